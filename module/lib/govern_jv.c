
/*
 * govern: a JSON parser for request bodies.
 *
 * Bodies are parsed on every governed POST, so the parser does one pass
 * and allocates only what it returns, from the caller's allocator (the
 * request pool): strings are copied once into one block the size of the
 * text (decoding never lengthens a string, and its quotes pay for its
 * NUL) plus GOVERN_JV_READABLE; arrays and objects are laid out
 * contiguously when they close, from a scratch stack reused by the whole
 * parse (on the C stack up to GOVERN_JV_STACK entries).  Numbers take the
 * exact fast path (at most 19 digits, a power of ten below 10^23) and fall
 * back to strtod() otherwise.
 *
 * What it refuses is what a gateway must not let through to a parser that
 * would read it differently: invalid UTF-8, lone surrogates, control
 * characters, duplicate keys (Odoo's Python keeps the last, we would have
 * checked the first), and nesting deeper than GOVERN_JV_MAX_DEPTH.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* 64-byte scans where the CPU has AVX-512BW or AVX2 (chosen at run time) */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define GOVERN_JV_WIDE    1
#define GOVERN_JV_AVX2    1
#define GOVERN_JV_AVX512  2
#endif

#include "govern_jv_int.h"
#include "govern_json.h"


#define GOVERN_JV_STACK         128     /* scratch entries on the C stack */
#define GOVERN_JV_NO_SLOT       ((size_t) -1)


typedef struct {
    const unsigned char          *text;
    const unsigned char          *p;
    const unsigned char          *end;
    unsigned                      flags;
    int                           depth;
    int                           lazy;     /* containers this deep: skip */
    int                           wide;     /* 0, or GOVERN_JV_AVX* */
    govern_jv_alloc_pt            alloc;
    void                         *alloc_ctx;
    unsigned char                *strings;  /* the next string's bytes */
    unsigned char                *strings_end;
    size_t                        strings_size;     /* the last block's */
    govern_jmember_t             *stack;    /* children of open containers */
    govern_jmember_t             *local;    /* the first GOVERN_JV_STACK */
    size_t                        top;
    size_t                        cap;
    govern_jv_error_t            *err;
} govern_jparser_t;



static int govern_jv_value(govern_jparser_t *jp,
    govern_jv_t *v);
static int govern_jv_skip(govern_jparser_t *jp,
    govern_jv_t *v, size_t slot);
static int govern_jv_block(govern_jparser_t *jp,
    size_t size);
static int govern_jv_read_string_rest(govern_jparser_t *jp,
    const unsigned char *s, const char **out, size_t *out_len);


static const double  govern_jv_pow10[] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
    1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};


static int
govern_jv_fail(govern_jparser_t *jp, const char *what)
{
    if (jp->err) {
        jp->err->position = jp->p - jp->text;
        snprintf(jp->err->text, sizeof(jp->err->text), "%s", what);
    }

    return 0;
}


static void
govern_jv_space(govern_jparser_t *jp)
{
    while (jp->p < jp->end
           && (*jp->p == ' ' || *jp->p == '\n' || *jp->p == '\r'
               || *jp->p == '\t'))
    {
        jp->p++;
    }
}


/* room for one more child on the scratch stack */

static int
govern_jv_reserve(govern_jparser_t *jp)
{
    size_t                      cap;
    govern_jmember_t           *grown;

    if (jp->top < jp->cap) {
        return 1;
    }

    cap = 2 * jp->cap;
    grown = realloc(jp->stack == jp->local ? NULL : jp->stack,
                    cap * sizeof(govern_jmember_t));
    if (grown == NULL) {
        return govern_jv_fail(jp, "out of memory");
    }

    if (jp->stack == jp->local) {
        memcpy(grown, jp->local, jp->top * sizeof(govern_jmember_t));
    }

    jp->stack = grown;
    jp->cap = cap;

    return 1;
}


/*
 * Room for a string of len bytes and the readable tail after it.  A
 * whole parse gets one block the size of the text at the start and never
 * comes here; a lazy one starts small (most of its strings are checked,
 * not kept) and takes blocks as it needs them: twice the last, but never
 * more than the rest of the text can fill.
 */

static int
govern_jv_grow(govern_jparser_t *jp, size_t len)
{
    size_t  need, size;

    need = len + 1 + GOVERN_JV_READABLE;

    if ((size_t) (jp->strings_end - jp->strings) >= need) {
        return 1;
    }

    size = 2 * jp->strings_size;

    if (size > need + (size_t) (jp->end - jp->p)) {
        size = need + (jp->end - jp->p);
    }

    if (size < need) {
        size = need;
    }

    return govern_jv_block(jp, size);
}


/* a new string block of size bytes */

static int
govern_jv_block(govern_jparser_t *jp, size_t size)
{
    jp->strings = jp->alloc(jp->alloc_ctx, size);
    if (jp->strings == NULL) {
        return govern_jv_fail(jp, "out of memory");
    }

    jp->strings_end = jp->strings + size;
    jp->strings_size = size;

    return 1;
}


/* a parser over text[from, to), its scratch stack in the caller's local */

static void
govern_jv_start(govern_jparser_t *jp,
    govern_jmember_t *local, const char *text, size_t from,
    size_t to, unsigned flags, govern_jv_alloc_pt alloc,
    void *alloc_ctx, govern_jv_error_t *err)
{
    memset(jp, 0, sizeof(govern_jparser_t));
    jp->stack = local;
    jp->local = local;
    jp->cap = GOVERN_JV_STACK;
    jp->text = (const unsigned char *) text;
    jp->p = jp->text + from;
    jp->end = jp->text + to;
    jp->flags = flags;
    jp->lazy = GOVERN_JV_MAX_DEPTH + 1;
    jp->alloc = alloc;
    jp->alloc_ctx = alloc_ctx;
    jp->err = err;
}


static int
govern_jv_hex4(const unsigned char *p, unsigned *cp)
{
    int       i;
    unsigned  c, d;

    d = 0;

    for (i = 0; i < 4; i++) {
        c = p[i];

        if (c >= '0' && c <= '9') {
            c -= '0';

        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            c = (c | 0x20) - 'a' + 10;

        } else {
            return 0;
        }

        d = (d << 4) | c;
    }

    *cp = d;

    return 1;
}


/*
 * Reads the escape at jp->p (just after the backslash) as a code point;
 * a surrogate pair counts as one, a lone surrogate is an error.
 */

static int
govern_jv_escape(govern_jparser_t *jp, unsigned *cp)
{
    unsigned  lo;

    switch (*jp->p) {
    case '"':  *cp = '"';  break;
    case '\\': *cp = '\\'; break;
    case '/':  *cp = '/';  break;
    case 'b':  *cp = '\b'; break;
    case 'f':  *cp = '\f'; break;
    case 'n':  *cp = '\n'; break;
    case 'r':  *cp = '\r'; break;
    case 't':  *cp = '\t'; break;

    case 'u':
        if (jp->end - jp->p < 5 || !govern_jv_hex4(jp->p + 1, cp)) {
            return govern_jv_fail(jp, "invalid \\u escape");
        }

        jp->p += 4;

        if (*cp >= 0xdc00 && *cp <= 0xdfff) {
            return govern_jv_fail(jp, "lone Unicode surrogate");
        }

        if (*cp >= 0xd800 && *cp <= 0xdbff) {
            if (jp->end - jp->p < 7 || jp->p[1] != '\\' || jp->p[2] != 'u'
                || !govern_jv_hex4(jp->p + 3, &lo)
                || lo < 0xdc00 || lo > 0xdfff)
            {
                return govern_jv_fail(jp, "lone Unicode surrogate");
            }

            *cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
            jp->p += 6;
        }

        if (*cp == 0 && !(jp->flags & GOVERN_JV_ALLOW_NUL)) {
            return govern_jv_fail(jp, "\\u0000 is not allowed");
        }

        break;

    default:
        return govern_jv_fail(jp, "invalid escape");
    }

    jp->p++;

    return 1;
}


static unsigned char *
govern_jv_utf8(unsigned char *d, unsigned cp)
{
    if (cp < 0x80) {
        *d++ = (unsigned char) cp;

    } else if (cp < 0x800) {
        *d++ = (unsigned char) (0xc0 | (cp >> 6));
        *d++ = (unsigned char) (0x80 | (cp & 0x3f));

    } else if (cp < 0x10000) {
        *d++ = (unsigned char) (0xe0 | (cp >> 12));
        *d++ = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
        *d++ = (unsigned char) (0x80 | (cp & 0x3f));

    } else {
        *d++ = (unsigned char) (0xf0 | (cp >> 18));
        *d++ = (unsigned char) (0x80 | ((cp >> 12) & 0x3f));
        *d++ = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
        *d++ = (unsigned char) (0x80 | (cp & 0x3f));
    }

    return d;
}


/*
 * The string at jp->p (on its opening quote), copied NUL-terminated.
 * Plain strings are copied as they are; with escapes the text is checked
 * and measured first, then decoded into a buffer of the exact size.
 */

#if defined(__SSE2__)

/* a bit for each byte that ends a plain run: '"', '\\', < 0x20, >= 0x80 */

static inline unsigned
govern_jv_special(__m128i block)
{
    __m128i  quote, backslash, special;

    quote = _mm_cmpeq_epi8(block, _mm_set1_epi8('"'));
    backslash = _mm_cmpeq_epi8(block, _mm_set1_epi8('\\'));

    /* signed: bytes from 0x80 are negative, so below 0x20 too */
    special = _mm_cmplt_epi8(block, _mm_set1_epi8(0x20));

    return (unsigned) _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote,
                                                                  backslash),
                                                     special));
}

#endif


/*
 * Checks the rest of a string from jp->p (escapes, UTF-8, control
 * characters) up to its closing quote, where it leaves jp->p; *len is
 * what those bytes decode to.
 */

static int
govern_jv_check_string(govern_jparser_t *jp, size_t *len)
{
    size_t    n;
    unsigned  cp;

    *len = 0;

    for ( ;; ) {
        if (jp->p == jp->end) {
            return govern_jv_fail(jp, "unterminated string");
        }

        if (*jp->p == '"') {
            return 1;
        }

        if (*jp->p < 0x20) {
            return govern_jv_fail(jp, "control character in a "
                                               "string");
        }

        if (*jp->p == '\\') {
            jp->p++;

            if (jp->p == jp->end) {
                return govern_jv_fail(jp, "unterminated string");
            }

            if (!govern_jv_escape(jp, &cp)) {
                return 0;
            }

            *len += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            continue;
        }

        if (*jp->p >= 0x80) {
            n = govern_utf8_seq_len(jp->p, jp->end - jp->p);
            if (n == 0) {
                return govern_jv_fail(jp, "invalid UTF-8");
            }

        } else {
            n = 1;
        }

        jp->p += n;
        *len += n;
    }
}


static int
govern_jv_read_string_rest(govern_jparser_t *jp,
    const unsigned char *s, const char **out, size_t *out_len)
{
    size_t                len;
    unsigned              cp;
    unsigned char        *d;
    const unsigned char  *p;
#if defined(__SSE2__)
    unsigned              mask;
#endif

    p = s;

#if defined(__SSE2__)

    /* 16 bytes at a time while 16 remain */

    if (jp->end - p >= 16) {
        mask = govern_jv_special(
                   _mm_loadu_si128((const __m128i *) p));

        while (mask == 0) {
            p += 16;

            if (jp->end - p < 16) {
                break;
            }

            mask = govern_jv_special(
                       _mm_loadu_si128((const __m128i *) p));
        }

        if (mask) {
            p += __builtin_ctz(mask);
        }
    }

#endif

    while (p < jp->end && *p >= 0x20 && *p < 0x80 && *p != '"'
           && *p != '\\')
    {
        p++;
    }

    if (p < jp->end && *p == '"') {
        len = p - s;

        if (!govern_jv_grow(jp, len)) {
            return 0;
        }

        d = jp->strings;
        jp->strings += len + 1;

        memcpy(d, s, len);
        d[len] = '\0';

        jp->p = p + 1;
        *out = (const char *) d;
        *out_len = len;

        return 1;
    }

    /* check and measure */

    jp->p = p;

    if (!govern_jv_check_string(jp, &len)) {
        return 0;
    }

    len += p - s;

    if (!govern_jv_grow(jp, len)) {
        return 0;
    }

    d = jp->strings;
    jp->strings += len + 1;

    *out = (const char *) d;
    *out_len = len;

    /* decode what was checked: escapes are the only change */

    for (p = s; p < jp->p; /* void */) {
        if (*p != '\\') {
            *d++ = *p++;
            continue;
        }

        p++;

        switch (*p) {
        case 'b':  *d++ = '\b'; p++; break;
        case 'f':  *d++ = '\f'; p++; break;
        case 'n':  *d++ = '\n'; p++; break;
        case 'r':  *d++ = '\r'; p++; break;
        case 't':  *d++ = '\t'; p++; break;

        case 'u':
            cp = 0;
            (void) govern_jv_hex4(p + 1, &cp);
            p += 5;

            if (cp >= 0xd800 && cp <= 0xdbff) {
                unsigned  lo = 0xdc00;

                (void) govern_jv_hex4(p + 2, &lo);
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                p += 6;
            }

            d = govern_jv_utf8(d, cp);
            break;

        default:                        /* " \ / */
            *d++ = *p++;
        }
    }

    *d = '\0';
    jp->p++;

    return 1;
}


/*
 * A string or key, the opening quote at jp->p.  The common case, a plain
 * string that ends within 16 bytes, is inlined into the callers; the rest
 * (longer strings, escapes, UTF-8, the end of the text) is below.
 */

static inline int
govern_jv_read_string(govern_jparser_t *jp,
    const char **out, size_t *out_len)
{
    const unsigned char  *s;
#if defined(__SSE2__)
    size_t                len;
    unsigned              mask;
    unsigned char        *d;
    __m128i               block;
#endif

    s = ++jp->p;

#if defined(__SSE2__)

    /* room for the whole 16-byte write and the readable tail after the
     * string (a whole parse's block always has it: no string outgrows its
     * JSON text) */

    if (jp->end - s >= 16
        && jp->strings_end - jp->strings >= 2 * GOVERN_JV_READABLE)
    {
        block = _mm_loadu_si128((const __m128i *) s);
        mask = govern_jv_special(block);

        if (mask && s[__builtin_ctz(mask)] == '"') {
            len = __builtin_ctz(mask);
            d = jp->strings;
            jp->strings += len + 1;

            _mm_storeu_si128((__m128i *) d, block);
            d[len] = '\0';

            jp->p = s + len + 1;
            *out = (const char *) d;
            *out_len = len;

            return 1;
        }
    }

#endif

    return govern_jv_read_string_rest(jp, s, out, out_len);
}


/* a string checked but not kept, the opening quote at jp->p */

static inline int
govern_jv_skip_string(govern_jparser_t *jp)
{
    size_t                len;
    const unsigned char  *p;
#if defined(__SSE2__)
    unsigned              mask, quote;
    __m128i               block;
#endif

    p = ++jp->p;

#if defined(__SSE2__)

    /* the next position depends on the quote alone: the check that no
     * other special byte comes first stays off that dependency chain */

    while (jp->end - p >= 16) {
        block = _mm_loadu_si128((const __m128i *) p);
        quote = (unsigned) _mm_movemask_epi8(
                    _mm_cmpeq_epi8(block, _mm_set1_epi8('"')));
        mask = govern_jv_special(block);

        if (quote == 0) {
            if (mask == 0) {
                p += 16;
                continue;
            }

            break;
        }

        if ((mask & ((quote & (0 - quote)) - 1)) == 0) {
            jp->p = p + __builtin_ctz(quote) + 1;
            return 1;
        }

        break;
    }

#endif

    jp->p = p;

    if (!govern_jv_check_string(jp, &len)) {
        return 0;
    }

    jp->p++;

    return 1;
}


#if (GOVERN_JV_WIDE)

/* bit i: the parity of the bits 0..i of x */

static inline uint64_t
govern_jv_prefix_xor(uint64_t x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;

    return x;
}


/*
 * A run of plain strings in an array (a domain's codes), jp->p on the
 * first one's opening quote.  Read a byte after another, each string's end
 * is where the next scan starts: a chain of dependent loads.  Here the run
 * is classified 64 bytes at a time, each block on its own but for two
 * carried bits (inside a string, and the parity of tokens so far), and
 * checked by bit arithmetic: inside strings no escape, control or
 * non-ASCII byte, outside them only spaces and commas, strings and commas
 * alternating.  The run stops at the first byte that breaks this; jp->p
 * is then left on the opening quote of the last string seen, which the
 * general loop reads with whatever stopped the run (and says what is
 * wrong).  The caller counts the strings passed: all but that last one.
 * Runs of integers (lists of ids) are passed the same way, by a block
 * function of their own: one for both would slow the strings down.
 */

typedef struct {
    const unsigned char          *last;     /* the last value's first byte */
    size_t                        values;   /* values seen */
    uint64_t                      in_string;
    uint64_t                      in_number;
    uint64_t                      odd;
} govern_jv_run_t;


/*
 * One 64-byte block at p, as bit masks: 0 to go on, 1 when it stopped.
 * Inlined into the callers below, whose targets include popcnt.
 */

static inline int
govern_jv_run_block(govern_jv_run_t *run,
    const unsigned char *p, uint64_t quote, uint64_t special, uint64_t comma,
    uint64_t space)
{
    uint64_t  inside, opens, commas, parity, stop;

    /* from each opening quote up to its closing one, exclusive */
    inside = govern_jv_prefix_xor(quote) ^ run->in_string;
    run->in_string = (uint64_t) ((int64_t) inside >> 63);

    opens = quote & inside;
    commas = comma & ~inside;

    /* the k-th token is a string if k is odd, a comma if even */
    parity = govern_jv_prefix_xor(opens | commas) ^ run->odd;
    run->odd = (uint64_t) ((int64_t) parity >> 63);

    stop = (special & ~quote & inside)
           | (~inside & ~quote & ~space & ~comma)
           | (opens & ~parity) | (commas & parity);

    if (stop) {
        opens &= (stop & (0 - stop)) - 1;
    }

    if (opens) {
        run->values += __builtin_popcountll(opens);
        run->last = p + 63 - __builtin_clzll(opens);
    }

    return stop != 0;
}


/*
 * One 64-byte block of a run of integers (a list of ids): outside numbers
 * only spaces and commas; a number is an optional minus, then 0 or digits
 * not starting with 0; numbers and commas alternate.  What a block cannot
 * judge alone (a minus or a leading zero in its last byte, a block all
 * digits) stops the run too: the general loop reads it.
 */

static inline int
govern_jv_run_integers(govern_jv_run_t *run,
    const unsigned char *p, uint64_t comma, uint64_t space, uint64_t digit,
    uint64_t minus, uint64_t zero)
{
    uint64_t  number, starts, first, parity, stop;

    number = digit | minus;
    starts = number & ~((number << 1) | run->in_number);
    run->in_number = number >> 63;
    first = (starts & digit) | ((starts & minus) << 1);

    /* the k-th token is a number if k is odd, a comma if even */
    parity = govern_jv_prefix_xor(starts | comma) ^ run->odd;
    run->odd = (uint64_t) ((int64_t) parity >> 63);

    stop = ~(number | space | comma)
           | (starts & ~parity) | (comma & parity)
           | (minus & (~starts | ~(digit >> 1)))
           | (first & zero & ((digit >> 1) | (uint64_t) 1 << 63));

    if (number == ~(uint64_t) 0) {
        stop |= 1;
    }

    if (stop) {
        starts &= (stop & (0 - stop)) - 1;
    }

    if (starts) {
        run->values += __builtin_popcountll(starts);
        run->last = p + 63 - __builtin_clzll(starts);
    }

    return stop != 0;
}


__attribute__((target("avx512f,avx512bw,popcnt")))
static void
govern_jv_run_avx512(govern_jparser_t *jp,
    govern_jv_run_t *run)
{
    __m512i                   b;
    const unsigned char      *p;
    govern_jv_run_t           r;

    r = *run;       /* in registers: the carried bits chain the blocks */

    for (p = jp->p; jp->end - p >= 64; p += 64) {
        b = _mm512_loadu_si512((const void *) p);

        if (govern_jv_run_block(&r, p,
                _mm512_cmpeq_epi8_mask(b, _mm512_set1_epi8('"')),
                _mm512_cmpeq_epi8_mask(b, _mm512_set1_epi8('\\'))
                | _mm512_cmplt_epu8_mask(b, _mm512_set1_epi8(0x20))
                | _mm512_movepi8_mask(b),
                _mm512_cmpeq_epi8_mask(b, _mm512_set1_epi8(',')),
                _mm512_cmpeq_epi8_mask(b, _mm512_set1_epi8(' '))))
        {
            break;
        }
    }

    *run = r;
}


__attribute__((target("avx512f,avx512bw,popcnt")))
static void
govern_jv_run_avx512_integers(govern_jparser_t *jp,
    govern_jv_run_t *run)
{
    __m512i                   b;
    const unsigned char      *p;
    govern_jv_run_t           r;

    r = *run;

    for (p = jp->p; jp->end - p >= 64; p += 64) {
        b = _mm512_loadu_si512((const void *) p);

        if (govern_jv_run_integers(&r, p,
                _mm512_cmpeq_epi8_mask(b, _mm512_set1_epi8(',')),
                _mm512_cmpeq_epi8_mask(b, _mm512_set1_epi8(' ')),
                _mm512_cmplt_epu8_mask(
                    _mm512_sub_epi8(b, _mm512_set1_epi8('0')),
                    _mm512_set1_epi8(10)),
                _mm512_cmpeq_epi8_mask(b, _mm512_set1_epi8('-')),
                _mm512_cmpeq_epi8_mask(b, _mm512_set1_epi8('0'))))
        {
            break;
        }
    }

    *run = r;
}


/* 32 bytes as a mask: each byte equal to c */

__attribute__((target("avx2")))
static inline uint64_t
govern_jv_avx2_eq(__m256i b, char c)
{
    return (uint32_t) _mm256_movemask_epi8(
               _mm256_cmpeq_epi8(b, _mm256_set1_epi8(c)));
}


__attribute__((target("avx2,popcnt")))
static void
govern_jv_run_avx2(govern_jparser_t *jp,
    govern_jv_run_t *run)
{
    __m256i                   lo, hi;
    uint64_t                  special;
    const unsigned char      *p;
    govern_jv_run_t           r;

    r = *run;

    for (p = jp->p; jp->end - p >= 64; p += 64) {
        lo = _mm256_loadu_si256((const __m256i *) p);
        hi = _mm256_loadu_si256((const __m256i *) (p + 32));

        /* signed: bytes from 0x80 are negative, so below 0x20 too */
        special = (uint32_t) _mm256_movemask_epi8(
                      _mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), lo))
                  | (uint64_t) (uint32_t) _mm256_movemask_epi8(
                      _mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), hi)) << 32;

        if (govern_jv_run_block(&r, p,
                govern_jv_avx2_eq(lo, '"')
                | govern_jv_avx2_eq(hi, '"') << 32,
                special
                | govern_jv_avx2_eq(lo, '\\')
                | govern_jv_avx2_eq(hi, '\\') << 32,
                govern_jv_avx2_eq(lo, ',')
                | govern_jv_avx2_eq(hi, ',') << 32,
                govern_jv_avx2_eq(lo, ' ')
                | govern_jv_avx2_eq(hi, ' ') << 32))
        {
            break;
        }
    }

    *run = r;
}


/* 32 bytes as a mask: each byte a digit (signed: bytes from 0x80 are
 * negative, below '0') */

__attribute__((target("avx2")))
static inline uint64_t
govern_jv_avx2_digits(__m256i b)
{
    return (uint32_t) _mm256_movemask_epi8(
               _mm256_and_si256(
                   _mm256_cmpgt_epi8(b, _mm256_set1_epi8('0' - 1)),
                   _mm256_cmpgt_epi8(_mm256_set1_epi8('9' + 1), b)));
}


__attribute__((target("avx2,popcnt")))
static void
govern_jv_run_avx2_integers(govern_jparser_t *jp,
    govern_jv_run_t *run)
{
    __m256i                   lo, hi;
    const unsigned char      *p;
    govern_jv_run_t           r;

    r = *run;

    for (p = jp->p; jp->end - p >= 64; p += 64) {
        lo = _mm256_loadu_si256((const __m256i *) p);
        hi = _mm256_loadu_si256((const __m256i *) (p + 32));

        if (govern_jv_run_integers(&r, p,
                govern_jv_avx2_eq(lo, ',')
                | govern_jv_avx2_eq(hi, ',') << 32,
                govern_jv_avx2_eq(lo, ' ')
                | govern_jv_avx2_eq(hi, ' ') << 32,
                govern_jv_avx2_digits(lo)
                | govern_jv_avx2_digits(hi) << 32,
                govern_jv_avx2_eq(lo, '-')
                | govern_jv_avx2_eq(hi, '-') << 32,
                govern_jv_avx2_eq(lo, '0')
                | govern_jv_avx2_eq(hi, '0') << 32))
        {
            break;
        }
    }

    *run = r;
}


/* the values of a run passed with their commas: strings, or integers */

static size_t
govern_jv_skip_run(govern_jparser_t *jp, int integers)
{
    govern_jv_run_t           run;

    run.last = jp->p;
    run.values = 0;
    run.in_string = 0;
    run.in_number = 0;
    run.odd = 0;

    if (jp->wide == GOVERN_JV_AVX512) {
        if (integers) {
            govern_jv_run_avx512_integers(jp, &run);

        } else {
            govern_jv_run_avx512(jp, &run);
        }

    } else if (integers) {
        govern_jv_run_avx2_integers(jp, &run);

    } else {
        govern_jv_run_avx2(jp, &run);
    }

    /* every value before the last was followed by its comma */

    jp->p = run.last;

    return run.values ? run.values - 1 : 0;
}

#endif


/* a string value, the opening quote at jp->p */

static inline int
govern_jv_string_value(govern_jparser_t *jp,
    govern_jv_t *v)
{
    v->type = GOVERN_JV_STRING;
    v->start = jp->p - jp->text;

    if (!govern_jv_read_string(jp, &v->u.string, &v->len)) {
        return 0;
    }

    v->end = jp->p - jp->text;

    return 1;
}


static int
govern_jv_number(govern_jparser_t *jp,
    govern_jv_t *v)
{
    int                   neg, real, truncated, esign, e, exp10, digits;
    char                  small[64], *copy;
    size_t                len;
    double                d;
    uint64_t              mant;
    const unsigned char  *p, *end;

    p = jp->p;
    end = jp->end;
    neg = 0;
    real = 0;
    truncated = 0;
    exp10 = 0;
    digits = 0;
    mant = 0;

    if (*p == '-') {
        neg = 1;
        p++;
    }

    if (p == end || *p < '0' || *p > '9') {
        return govern_jv_fail(jp, "invalid number");
    }

    if (*p == '0') {
        p++;

        if (p < end && *p >= '0' && *p <= '9') {
            return govern_jv_fail(jp, "invalid number");
        }

    } else {
        while (p < end && *p >= '0' && *p <= '9') {
            if (digits < 19) {
                mant = mant * 10 + (*p - '0');
                digits++;

            } else {
                exp10++;
                truncated = 1;
            }

            p++;
        }
    }

    if (p < end && *p == '.') {
        real = 1;
        p++;

        if (p == end || *p < '0' || *p > '9') {
            jp->p = p;
            return govern_jv_fail(jp, "invalid number");
        }

        while (p < end && *p >= '0' && *p <= '9') {
            if (digits < 19) {
                mant = mant * 10 + (*p - '0');
                digits += (mant != 0);
                exp10--;

            } else if (*p != '0') {
                truncated = 1;
            }

            p++;
        }
    }

    if (p < end && (*p | 0x20) == 'e') {
        real = 1;
        p++;
        esign = 1;

        if (p < end && (*p == '+' || *p == '-')) {
            esign = (*p == '-') ? -1 : 1;
            p++;
        }

        if (p == end || *p < '0' || *p > '9') {
            jp->p = p;
            return govern_jv_fail(jp, "invalid number");
        }

        e = 0;

        while (p < end && *p >= '0' && *p <= '9') {
            if (e < 100000) {
                e = e * 10 + (*p - '0');
            }

            p++;
        }

        exp10 += esign * e;
    }

    v->start = jp->p - jp->text;
    v->end = p - jp->text;

    if (!real && !truncated
        && mant <= (uint64_t) INT64_MAX + (uint64_t) neg)
    {
        v->type = GOVERN_JV_INTEGER;
        v->u.integer = neg ? (long long) (0 - mant) : (long long) mant;
        jp->p = p;
        return 1;
    }

    v->type = GOVERN_JV_REAL;

    if (!truncated && mant < (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
        d = (double) mant;
        d = exp10 < 0 ? d / govern_jv_pow10[-exp10]
                      : d * govern_jv_pow10[exp10];
        v->u.real = neg ? -d : d;
        jp->p = p;
        return 1;
    }

    /* the rare long or extreme number: let libc round it */

    len = p - jp->p;
    copy = small;

    if (len >= sizeof(small)) {
        copy = jp->alloc(jp->alloc_ctx, len + 1);
        if (copy == NULL) {
            return govern_jv_fail(jp, "out of memory");
        }
    }

    memcpy(copy, jp->p, len);
    copy[len] = '\0';

    d = strtod(copy, NULL);

    if (isinf(d)) {
        return govern_jv_fail(jp, "number out of range");
    }

    v->u.real = d;
    jp->p = p;

    return 1;
}


/*
 * A stable bottom-up merge sort of n pointers: O(n log n) comparisons
 * whatever a client put in the body, where a hash table could be driven
 * into collisions by a crafted one.  0, or -1 without memory.
 */

int
govern_jv_sort(const void **v, size_t n,
    int (*cmp)(const void *a, const void *b))
{
    size_t        i, j, k, lo, mid, hi, width;
    const void  **tmp, **a, **b, **t;

    if (n < 2) {
        return 0;
    }

    tmp = malloc(n * sizeof(void *));
    if (tmp == NULL) {
        return -1;
    }

    a = v;
    b = tmp;

    for (width = 1; width < n; width *= 2) {
        for (lo = 0; lo < n; lo += 2 * width) {
            mid = lo + width < n ? lo + width : n;
            hi = lo + 2 * width < n ? lo + 2 * width : n;

            for (i = lo, j = mid, k = lo; k < hi; k++) {
                if (j == hi || (i < mid && cmp(a[i], a[j]) <= 0)) {
                    b[k] = a[i++];

                } else {
                    b[k] = a[j++];
                }
            }
        }

        t = a;
        a = b;
        b = t;
    }

    if (a != v) {
        memcpy(v, a, n * sizeof(void *));
    }

    free(tmp);

    return 0;
}


static int
govern_jv_key_order(const void *a, const void *b)
{
    return govern_jv_key_cmp(a, b);
}


/* the members' addresses sorted by key (malloc()ed), or NULL */

const void **
govern_jv_sorted(const govern_jmember_t *m, size_t n)
{
    size_t        i;
    const void  **sorted;

    sorted = malloc(n * sizeof(void *));
    if (sorted == NULL) {
        return NULL;
    }

    for (i = 0; i < n; i++) {
        sorted[i] = &m[i];
    }

    if (govern_jv_sort(sorted, n, govern_jv_key_order)
        != 0)
    {
        free(sorted);
        return NULL;
    }

    return sorted;
}


/* 1 if two members share a key: by pairs when few, else sorted */

static int
govern_jv_duplicates(const govern_jmember_t *m, size_t n)
{
    int           dup;
    size_t        i, j;
    const void  **sorted;

    if (n <= GOVERN_JV_SMALL_OBJECT) {
        for (i = 1; i < n; i++) {
            for (j = 0; j < i; j++) {
                if (govern_jv_key_is(&m[i], m[j].key, m[j].key_len)) {
                    return 1;
                }
            }
        }

        return 0;
    }

    sorted = govern_jv_sorted(m, n);
    if (sorted == NULL) {
        return -1;
    }

    dup = 0;

    for (i = 1; i < n && !dup; i++) {
        dup = (govern_jv_key_order(sorted[i - 1], sorted[i]) == 0);
    }

    free(sorted);

    return dup;
}


/* moves the children pushed since base into one block of the arena */

static int
govern_jv_close(govern_jparser_t *jp, size_t base,
    govern_jv_t *v)
{
    size_t                  i, n;
    govern_jv_t            *items;

    n = jp->top - base;
    v->len = n;
    v->end = jp->p - jp->text;

    if (n == 0) {
        v->u.items = NULL;
        return 1;
    }

    if (v->type == GOVERN_JV_OBJECT) {
        switch (govern_jv_duplicates(&jp->stack[base], n)) {
        case 0:
            break;
        case 1:
            return govern_jv_fail(jp, "duplicate object key");
        default:
            return govern_jv_fail(jp, "out of memory");
        }

        v->u.members = jp->alloc(jp->alloc_ctx,
                                 n * sizeof(govern_jmember_t));
        if (v->u.members == NULL) {
            return govern_jv_fail(jp, "out of memory");
        }

        memcpy(v->u.members, &jp->stack[base],
               n * sizeof(govern_jmember_t));

    } else {
        items = jp->alloc(jp->alloc_ctx, n * sizeof(govern_jv_t));
        if (items == NULL) {
            return govern_jv_fail(jp, "out of memory");
        }

        for (i = 0; i < n; i++) {
            items[i] = jp->stack[base + i].value;
        }

        v->u.items = items;
    }

    jp->top = base;

    return 1;
}


/* an object member's key and its colon, the key's quote at jp->p */

static inline int
govern_jv_key(govern_jparser_t *jp, const char **key,
    size_t *key_len)
{
    if (*jp->p != '"') {
        return govern_jv_fail(jp, "expected a string key");
    }

    if (!govern_jv_read_string(jp, key, key_len)) {
        return 0;
    }

    govern_jv_space(jp);

    if (jp->p == jp->end || *jp->p != ':') {
        return govern_jv_fail(jp, "expected ':'");
    }

    jp->p++;
    govern_jv_space(jp);

    return 1;
}


/*
 * What follows a member or an item: 1 when a comma announces another
 * (jp->p on it), 2 when the container closes (jp->p past it), 0 on error.
 */

static inline int
govern_jv_next(govern_jparser_t *jp, unsigned char close)
{
    govern_jv_space(jp);

    if (jp->p == jp->end) {
        return govern_jv_fail(jp, "unexpected end of input");
    }

    if (*jp->p == ',') {
        jp->p++;
        govern_jv_space(jp);
        return 1;
    }

    if (*jp->p == close) {
        jp->p++;
        return 2;
    }

    return govern_jv_fail(jp, close == '}' ? "expected ',' or '}'"
                                                    : "expected ',' or ']'");
}


/*
 * A container's value is written where it belongs: into its slot on the
 * scratch stack (slot < top), found again by index after its children,
 * whose pushes may move the stack, or at v for the root.  Children are
 * parsed into their own slots in turn: a value built aside and copied
 * a moment after its fields were written stalled the CPU on
 * store-to-load forwarding (a fifth of the parse).
 */

static int
govern_jv_container(govern_jparser_t *jp,
    govern_jv_t *v, size_t slot)
{
    int                     object, rc;
    size_t                  base, key_len, child;
    const char             *key;
    unsigned char           close;

    if (++jp->depth > GOVERN_JV_MAX_DEPTH) {
        return govern_jv_fail(jp, "nested deeper than 64 levels");
    }

    object = (*jp->p == '{');
    close = object ? '}' : ']';

    if (v == NULL) {
        v = &jp->stack[slot].value;
    }

    v->type = object ? GOVERN_JV_OBJECT : GOVERN_JV_ARRAY;
    v->start = jp->p - jp->text;

    base = jp->top;
    key = NULL;
    key_len = 0;

    jp->p++;
    govern_jv_space(jp);

    if (jp->p < jp->end && *jp->p == close) {
        jp->p++;
        jp->depth--;
        return govern_jv_close(jp, base, v);
    }

    for ( ;; ) {
        if (jp->p == jp->end) {
            return govern_jv_fail(jp, "unexpected end of input");
        }

        if (object && !govern_jv_key(jp, &key, &key_len)) {
            return 0;
        }

        if (!govern_jv_reserve(jp)) {
            return 0;
        }

        child = jp->top++;
        jp->stack[child].key = key;
        jp->stack[child].key_len = key_len;

        if (jp->p == jp->end) {
            return govern_jv_fail(jp, "unexpected end of input");
        }

        if (*jp->p == '{' || *jp->p == '[') {
            if (jp->depth >= jp->lazy) {
                if (!govern_jv_skip(jp, NULL, child)) {
                    return 0;
                }

            } else if (!govern_jv_container(jp, NULL, child)) {
                return 0;
            }

        } else if (*jp->p == '"') {
            /* strings are most values: no dispatch through jv_value() */
            if (!govern_jv_string_value(jp,
                                        &jp->stack[child].value))
            {
                return 0;
            }

        } else if (!govern_jv_value(jp, &jp->stack[child].value)) {
            return 0;
        }

        rc = govern_jv_next(jp, close);

        if (rc == 0) {
            return 0;
        }

        if (rc == 2) {
            jp->depth--;

            if (slot != GOVERN_JV_NO_SLOT) {
                v = &jp->stack[slot].value;     /* the stack may have moved */
            }

            return govern_jv_close(jp, base, v);
        }
    }
}


/*
 * A container checked as strictly as jv_container() checks one, but not
 * built: v gets its type, span and number of children, and u.items NULL
 * (govern_jv_expand() builds it when it is read).  Strings are
 * decoded into the string block and dropped; an object's keys stay on
 * the scratch stack until its duplicate check.
 */

static int
govern_jv_skip(govern_jparser_t *jp, govern_jv_t *v,
    size_t slot)
{
    int                    object, rc;
    size_t                 base, n, start;
    unsigned char         *strings, *strings_end, close;
    govern_jv_t            scalar;

    if (++jp->depth > GOVERN_JV_MAX_DEPTH) {
        return govern_jv_fail(jp, "nested deeper than 64 levels");
    }

    object = (*jp->p == '{');
    close = object ? '}' : ']';
    start = jp->p - jp->text;

    base = jp->top;
    strings = jp->strings;
    strings_end = jp->strings_end;
    n = 0;

    jp->p++;
    govern_jv_space(jp);

    if (jp->p < jp->end && *jp->p == close) {
        jp->p++;
        goto done;
    }

    for ( ;; ) {
        if (jp->p == jp->end) {
            return govern_jv_fail(jp, "unexpected end of input");
        }

        if (object) {
            if (!govern_jv_reserve(jp)
                || !govern_jv_key(jp, &jp->stack[jp->top].key,
                                  &jp->stack[jp->top].key_len))
            {
                return 0;
            }

            jp->top++;

            if (jp->p == jp->end) {
                return govern_jv_fail(jp, "unexpected end of input");
            }
        }

        if (*jp->p == '{' || *jp->p == '[') {
            if (!govern_jv_skip(jp, &scalar, GOVERN_JV_NO_SLOT)) {
                return 0;
            }

        } else if (*jp->p == '"') {
#if (GOVERN_JV_WIDE)
            if (jp->wide && !object) {
                n += govern_jv_skip_run(jp, 0);
            }
#endif

            if (!govern_jv_skip_string(jp)) {
                return 0;
            }

        } else {
#if (GOVERN_JV_WIDE)
            if (jp->wide && !object
                && (*jp->p == '-' || (*jp->p >= '0' && *jp->p <= '9')))
            {
                n += govern_jv_skip_run(jp, 1);
            }
#endif

            if (!govern_jv_value(jp, &scalar)) {
                return 0;
            }
        }

        n++;
        rc = govern_jv_next(jp, close);

        if (rc == 0) {
            return 0;
        }

        if (rc == 2) {
            break;
        }
    }

    /* after the close, as jv_close() checks: the same error position */

    if (object) {
        switch (govern_jv_duplicates(&jp->stack[base], n)) {
        case 0:
            break;
        case 1:
            return govern_jv_fail(jp, "duplicate object key");
        default:
            return govern_jv_fail(jp, "out of memory");
        }
    }

done:

    jp->depth--;
    jp->top = base;
    jp->strings = strings;
    jp->strings_end = strings_end;

    if (v == NULL) {
        v = &jp->stack[slot].value;     /* the stack may have moved */
    }

    v->type = object ? GOVERN_JV_OBJECT : GOVERN_JV_ARRAY;
    v->start = start;
    v->end = jp->p - jp->text;
    v->len = n;
    v->u.items = NULL;

    return 1;
}


static int
govern_jv_literal(govern_jparser_t *jp,
    govern_jv_t *v, const char *word, size_t len, unsigned type)
{
    if ((size_t) (jp->end - jp->p) < len || memcmp(jp->p, word, len) != 0) {
        return govern_jv_fail(jp, "invalid literal");
    }

    v->type = type;
    v->start = jp->p - jp->text;
    jp->p += len;
    v->end = jp->p - jp->text;

    return 1;
}


static int
govern_jv_value(govern_jparser_t *jp,
    govern_jv_t *v)
{
    govern_jv_space(jp);

    if (jp->p == jp->end) {
        return govern_jv_fail(jp, "unexpected end of input");
    }

    v->len = 0;

    switch (*jp->p) {

    case '{':
    case '[':
        return govern_jv_container(jp, v, GOVERN_JV_NO_SLOT);

    case '"':
        return govern_jv_string_value(jp, v);

    case 't':
        return govern_jv_literal(jp, v, "true", 4,
                                 GOVERN_JV_TRUE);
    case 'f':
        return govern_jv_literal(jp, v, "false", 5,
                                 GOVERN_JV_FALSE);
    case 'n':
        return govern_jv_literal(jp, v, "null", 4,
                                 GOVERN_JV_NULL);

    default:
        if (*jp->p == '-' || (*jp->p >= '0' && *jp->p <= '9')) {
            return govern_jv_number(jp, v);
        }

        return govern_jv_fail(jp, "unexpected character");
    }
}


govern_jv_t *
govern_jv_parse(const char *text, size_t len, unsigned flags,
    govern_jv_alloc_pt alloc, void *alloc_ctx,
    govern_jv_error_t *err)
{
    int                        ok;
    govern_jv_t               *v;
    govern_jmember_t           local[GOVERN_JV_STACK];
    govern_jparser_t           jp;

    govern_jv_start(&jp, local, text, 0, len, flags, alloc,
                    alloc_ctx, err);

    if (GOVERN_JV_LAZY_DEPTH(flags)) {
        jp.lazy = GOVERN_JV_LAZY_DEPTH(flags);
    }

#if (GOVERN_JV_WIDE)
    if (flags & GOVERN_JV_BYTEWISE) {
        jp.wide = 0;

    } else if (!(flags & GOVERN_JV_NO_AVX512)
               && __builtin_cpu_supports("avx512bw"))
    {
        jp.wide = GOVERN_JV_AVX512;

    } else if (__builtin_cpu_supports("avx2")) {
        jp.wide = GOVERN_JV_AVX2;
    }
#endif

    if (len > UINT32_MAX) {
        govern_jv_fail(&jp, "the text is too long");
        return NULL;
    }

    v = alloc(alloc_ctx, sizeof(govern_jv_t));

    if (v == NULL) {
        govern_jv_fail(&jp, "out of memory");
        return NULL;
    }

    /* a lazy parse keeps a few strings: its block starts small */

    if (!govern_jv_block(&jp,
            (GOVERN_JV_LAZY_DEPTH(flags) && len > 256 ? 256 : len)
            + 1 + GOVERN_JV_READABLE))
    {
        return NULL;
    }

    ok = govern_jv_value(&jp, v);

    if (ok) {
        govern_jv_space(&jp);

        if (jp.p != jp.end) {
            ok = govern_jv_fail(&jp, "end of input expected");
        }
    }

    if (jp.stack != local) {
        free(jp.stack);
    }

    return ok ? v : NULL;
}


int
govern_jv_expand(govern_jv_t *v,
    const govern_jv_source_t *src)
{
    int                        ok;
    govern_jmember_t           local[GOVERN_JV_STACK];
    govern_jparser_t           jp;

    if (!govern_jv_is_lazy(v)) {
        return 1;
    }

    govern_jv_start(&jp, local, src->text, v->start, v->end,
                    src->flags, src->alloc, src->alloc_ctx, NULL);

    /* the text was checked whole: only memory can fail */

    if (!govern_jv_block(&jp, v->end - v->start + 1
                                       + GOVERN_JV_READABLE))
    {
        return 0;
    }

    ok = govern_jv_container(&jp, v, GOVERN_JV_NO_SLOT);

    if (jp.stack != local) {
        free(jp.stack);
    }

    return ok;
}
