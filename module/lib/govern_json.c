
/*
 * govern: JSON string escaping.
 *
 * Audit records must be valid JSON whatever a client put in the request
 * line, so besides quotes, backslashes and control characters, bytes that
 * are not well-formed UTF-8 (overlong forms, surrogates, truncated
 * sequences) are replaced by U+FFFD instead of being copied through.
 */


#include <string.h>

#include "govern_json.h"


static const char  govern_hex[] = "0123456789abcdef";


/*
 * Returns the length of the well-formed UTF-8 sequence at s (1 to 4),
 * or 0 if the bytes there are not one.
 */

size_t
govern_utf8_seq_len(const unsigned char *s, size_t len)
{
    unsigned char  c;
    size_t         n, i;
    unsigned char  lo, hi;

    c = s[0];

    if (c < 0x80) {
        return 1;
    }

    lo = 0x80;
    hi = 0xbf;

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;

    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;

        if (c == 0xe0) {
            lo = 0xa0;              /* no overlong forms */

        } else if (c == 0xed) {
            hi = 0x9f;              /* no surrogates */
        }

    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;

        if (c == 0xf0) {
            lo = 0x90;

        } else if (c == 0xf4) {
            hi = 0x8f;              /* nothing above U+10FFFF */
        }

    } else {
        return 0;
    }

    if (len < n) {
        return 0;
    }

    if (s[1] < lo || s[1] > hi) {
        return 0;
    }

    for (i = 2; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf) {
            return 0;
        }
    }

    return n;
}


/* the character after the backslash of a two-byte escape, or 0 */

static unsigned char
govern_json_short_escape(unsigned char c)
{
    switch (c) {
    case '"':
    case '\\':
        return c;
    case '\n':
        return 'n';
    case '\r':
        return 'r';
    case '\t':
        return 't';
    case '\b':
        return 'b';
    case '\f':
        return 'f';
    default:
        return 0;
    }
}


size_t
govern_json_escape_len(const unsigned char *s, size_t len)
{
    size_t  out, n;

    out = 0;

    while (len) {
        if (*s >= 0x80) {
            n = govern_utf8_seq_len(s, len);
            out += n ? n : 6;       /* invalid byte: \ufffd */
            n = n ? n : 1;

        } else {
            n = 1;

            if (govern_json_short_escape(*s)) {
                out += 2;

            } else {
                out += (*s < 0x20 || *s == 0x7f) ? 6 : 1;
            }
        }

        s += n;
        len -= n;
    }

    return out;
}


unsigned char *
govern_json_escape(unsigned char *dst, const unsigned char *s,
    size_t len)
{
    size_t         n;
    unsigned char  e;

    while (len) {

        /* the common case: a run of printable ASCII, copied at once */

        for (n = 0; n < len && s[n] >= 0x20 && s[n] < 0x7f && s[n] != '"'
                    && s[n] != '\\';
             n++)
        {
            /* void */
        }

        if (n) {
            dst = (unsigned char *) memcpy(dst, s, n) + n;
            s += n;
            len -= n;
            continue;
        }

        if (*s >= 0x80) {
            n = govern_utf8_seq_len(s, len);

            if (n == 0) {
                memcpy(dst, "\\ufffd", 6);
                dst += 6;
                n = 1;

            } else {
                memcpy(dst, s, n);
                dst += n;
            }

            s += n;
            len -= n;
            continue;
        }

        e = govern_json_short_escape(*s);

        if (e) {
            *dst++ = '\\';
            *dst++ = e;

        } else if (*s < 0x20 || *s == 0x7f) {
            dst = (unsigned char *) memcpy(dst, "\\u00", 4) + 4;
            *dst++ = govern_hex[*s >> 4];
            *dst++ = govern_hex[*s & 0xf];

        } else {
            *dst++ = *s;
        }

        s++;
        len--;
    }

    return dst;
}
