
/*
 * govern: base64 (RFC 4648 section 4) and base64url (section 5), read
 * canonically: the unused bits of the last digit must be zero.  Tokens and
 * JWKs use the second unpadded; webhook signatures and secrets the first,
 * padded or not.
 */


#include <stdint.h>

#include "govern_base64.h"


/* each digit's value + 1, so that 0 means "not in the alphabet" */

#define GOVERN_BASE64_LETTERS                                                \
    ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6,        \
    ['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12,     \
    ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18,  \
    ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,  \
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30,  \
    ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,  \
    ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,  \
    ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,  \
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54,  \
    ['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60,  \
    ['8'] = 61, ['9'] = 62

static const signed char  govern_base64_std[256] = {
    GOVERN_BASE64_LETTERS, ['+'] = 63, ['/'] = 64
};

static const signed char  govern_base64_url[256] = {
    GOVERN_BASE64_LETTERS, ['-'] = 63, ['_'] = 64
};


/*
 * The digits alone (no padding), in the given alphabet.  Returns the
 * decoded length, or (size_t) -1 for a character outside the alphabet, an
 * impossible length or non-zero leftover bits.
 */

static size_t
govern_base64_digits(const signed char *table, unsigned char *dst,
    const unsigned char *src, size_t len)
{
    int        a, b, c, d;
    size_t     i, n;
    uint32_t   acc;

    if (len % 4 == 1) {
        return (size_t) -1;
    }

    n = 0;

    /* four characters, three bytes at a time: a signature is most of a
     * token, and it is decoded on every cache miss */

    for (i = 0; i + 4 <= len; i += 4) {
        a = table[src[i]];
        b = table[src[i + 1]];
        c = table[src[i + 2]];
        d = table[src[i + 3]];

        if ((a == 0) | (b == 0) | (c == 0) | (d == 0)) {
            return (size_t) -1;
        }

        acc = ((uint32_t) (a - 1) << 18) | ((uint32_t) (b - 1) << 12)
              | ((uint32_t) (c - 1) << 6) | (uint32_t) (d - 1);

        dst[n] = (unsigned char) (acc >> 16);
        dst[n + 1] = (unsigned char) (acc >> 8);
        dst[n + 2] = (unsigned char) acc;
        n += 3;
    }

    switch (len - i) {

    case 2:
        a = table[src[i]];
        b = table[src[i + 1]];

        if ((a == 0) | (b == 0)) {
            return (size_t) -1;
        }

        acc = ((uint32_t) (a - 1) << 6) | (uint32_t) (b - 1);

        if (acc & 0xf) {
            return (size_t) -1;         /* non-zero leftover bits */
        }

        dst[n++] = (unsigned char) (acc >> 4);
        break;

    case 3:
        a = table[src[i]];
        b = table[src[i + 1]];
        c = table[src[i + 2]];

        if ((a == 0) | (b == 0) | (c == 0)) {
            return (size_t) -1;
        }

        acc = ((uint32_t) (a - 1) << 12) | ((uint32_t) (b - 1) << 6)
              | (uint32_t) (c - 1);

        if (acc & 0x3) {
            return (size_t) -1;
        }

        dst[n++] = (unsigned char) (acc >> 10);
        dst[n++] = (unsigned char) (acc >> 2);
        break;

    default:
        break;
    }

    return n;
}


size_t
govern_base64url_decode(unsigned char *dst, const unsigned char *src,
    size_t len)
{
    return govern_base64_digits(govern_base64_url, dst, src, len);
}


size_t
govern_base64_decode(unsigned char *dst, size_t size,
    const unsigned char *src, size_t len, int padded)
{
    size_t  n, pad, out;

    pad = 0;

    if (len % 4 == 0) {
        while (pad < 2 && len > pad && src[len - 1 - pad] == '=') {
            pad++;
        }

    } else if (padded) {
        return (size_t) -1;
    }

    n = len - pad;

    if (n % 4 == 1) {
        return (size_t) -1;
    }

    out = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);

    if (out > size) {
        return (size_t) -1;
    }

    return govern_base64_digits(govern_base64_std, dst, src, n);
}


int
govern_base64_digit(unsigned char c)
{
    return govern_base64_std[c] != 0;
}
