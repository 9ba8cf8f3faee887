/* Unit tests: the request body parser (govern_jv.c). */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "govern_jv.h"


static govern_jv_arena_t  arena;
static govern_jv_error_t  err;


static govern_jv_t *
parse_flags(const char *text, size_t len, unsigned flags)
{
    return govern_jv_parse(text, len, flags,
                           govern_jv_arena_alloc, &arena,
                           &err);
}


static govern_jv_t *
parse(const char *text)
{
    return parse_flags(text, strlen(text), 0);
}


static void
refused(const char *text, const char *why)
{
    assert_null(parse(text));

    if (strstr(err.text, why) == NULL) {
        fail_msg("%s: \"%s\", not \"%s\"", text, err.text, why);
    }
}


/* one malloc() per allocation: ASan sees the end of every block */

static void   *exact_blocks[4096];
static size_t  exact_n;


static void *
exact_alloc(void *ctx, size_t size)
{
    void  *p;

    (void) ctx;

    if (exact_n == sizeof(exact_blocks) / sizeof(exact_blocks[0])) {
        return NULL;
    }

    p = malloc(size);
    exact_blocks[exact_n++] = p;

    return p;
}


static int
teardown(void **state)
{
    govern_jv_arena_free(&arena);

    while (exact_n) {
        free(exact_blocks[--exact_n]);
    }

    return 0;
}


static void
test_values(void **state)
{
    const char            *text;
    govern_jv_t           *v, *e;

    text = " {\"a\": [1, -2, 3.5, true, false, null], \"b\": {\"c\": \"d\"},"
           " \"\": \"\"} ";
    v = parse(text);
    assert_non_null(v);
    assert_int_equal(v->type, GOVERN_JV_OBJECT);
    assert_int_equal(govern_jv_size(v), 3);

    e = govern_jv_getz(v, "a");
    assert_true(govern_jv_is_array(e));
    assert_int_equal(e->len, 6);
    assert_int_equal(govern_jv_item(e, 0)->u.integer, 1);
    assert_int_equal(govern_jv_item(e, 1)->u.integer, -2);
    assert_int_equal(govern_jv_item(e, 2)->type,
                     GOVERN_JV_REAL);
    assert_true(govern_jv_item(e, 2)->u.real == 3.5);
    assert_int_equal(govern_jv_item(e, 3)->type,
                     GOVERN_JV_TRUE);
    assert_int_equal(govern_jv_item(e, 4)->type,
                     GOVERN_JV_FALSE);
    assert_true(govern_jv_is_null(govern_jv_item(e, 5)));
    assert_null(govern_jv_item(e, 6));

    /* spans: the exact bytes of each value in the text */
    assert_memory_equal(text + e->start, "[1, -2, 3.5, true, false, null]",
                        e->end - e->start);
    e = govern_jv_getz(v, "b");
    assert_int_equal(e->end - e->start, strlen("{\"c\": \"d\"}"));
    assert_string_equal(govern_jv_string(
                            govern_jv_getz(e, "c")), "d");
    assert_string_equal(govern_jv_string(
                            govern_jv_getz(v, "")), "");
    assert_null(govern_jv_getz(v, "missing"));
    assert_null(govern_jv_getz(govern_jv_getz(e, "c"),
                               "c"));

    assert_non_null(parse("\"top-level string\""));
    assert_non_null(parse("[]"));
    assert_non_null(parse("{}"));
    assert_non_null(parse("0"));
}


static void
test_strings(void **state)
{
    govern_jv_t           *v;

    v = parse("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\u20ac\\ud83d\\ude00\"");
    assert_non_null(v);
    assert_string_equal(v->u.string, "a\"b\\c/d\b\f\n\r\t\xc3\xa9"
                                     "\xe2\x82\xac\xf0\x9f\x98\x80");
    assert_int_equal(v->len, strlen(v->u.string));

    v = parse("\"caf\xc3\xa9 \xe2\x82\xac\"");
    assert_non_null(v);
    assert_string_equal(v->u.string, "caf\xc3\xa9 \xe2\x82\xac");

    refused("\"\\ud83d\"", "surrogate");
    refused("\"\\ude00\"", "surrogate");
    refused("\"\\ud83d\\u0041\"", "surrogate");
    refused("\"\\u12\"", "\\u escape");
    refused("\"\\x\"", "invalid escape");
    refused("\"a\nb\"", "control character");
    refused("\"\xc0\xaf\"", "UTF-8");          /* overlong '/' */
    refused("\"\xed\xa0\x80\"", "UTF-8");      /* encoded surrogate */
    refused("\"\xf4\x90\x80\x80\"", "UTF-8");  /* above U+10FFFF */
    refused("\"\xe2\x82\"", "UTF-8");          /* truncated */
    refused("\"abc", "unterminated");
    refused("\"a\\u0000b\"", "\\u0000");

    v = parse_flags("\"a\\u0000b\"", 10, GOVERN_JV_ALLOW_NUL);
    assert_non_null(v);
    assert_int_equal(v->len, 3);
    assert_memory_equal(v->u.string, "a\0b", 3);
}


static void
test_numbers(void **state)
{
    int                    i;
    char                   text[64];
    double                 want;
    govern_jv_t           *v;

    static const char  *reals[] = {
        "0.1", "1e23", "9007199254740993.0", "2.2250738585072014e-308",
        "1.7976931348623157e308", "4.9e-324", "123456789012345678901234",
        "0.000001", "1E+2", "-0.0", "3.141592653589793238462643383279",
        "1e-400", "0e99999"
    };

    v = parse("9223372036854775807");
    assert_int_equal(v->type, GOVERN_JV_INTEGER);
    assert_true(v->u.integer == 9223372036854775807LL);

    v = parse("-9223372036854775808");
    assert_int_equal(v->type, GOVERN_JV_INTEGER);
    assert_true(v->u.integer == (-9223372036854775807LL - 1));

    /* beyond 64 bits: a real, as Python would still read it */
    v = parse("9223372036854775808");
    assert_int_equal(v->type, GOVERN_JV_REAL);
    assert_true(v->u.real == 9223372036854775808.0);

    v = parse("-0");
    assert_int_equal(v->type, GOVERN_JV_INTEGER);

    for (i = 0; i < (int) (sizeof(reals) / sizeof(reals[0])); i++) {
        v = parse(reals[i]);
        assert_non_null(v);
        assert_int_equal(v->type, GOVERN_JV_REAL);
        assert_true(v->u.real == strtod(reals[i], NULL));
    }

    /* the fast path rounds exactly as strtod() does */
    srand(7);

    for (i = 0; i < 100000; i++) {
        snprintf(text, sizeof(text), "%d.%0*de%d", rand() % 100000,
                 1 + rand() % 9, rand() % 1000000000, rand() % 45 - 22);
        want = strtod(text, NULL);
        v = parse(text);
        assert_non_null(v);

        if (v->u.real != want) {
            fail_msg("%s: %.17g, not %.17g", text, v->u.real, want);
        }
    }

    refused("1e400", "out of range");
    refused("-1e400", "out of range");
    refused("01", "invalid number");
    refused("1.", "invalid number");
    refused(".5", "unexpected character");
    refused("-", "invalid number");
    refused("1e", "invalid number");
    refused("1e+", "invalid number");
    refused("+1", "unexpected character");
    refused("0x10", "end of input expected");
    refused("NaN", "unexpected character");
}


static void
test_structure(void **state)
{
    int   i;
    char  deep[200];

    refused("", "unexpected end");
    refused("   ", "unexpected end");
    refused("{", "unexpected end");
    refused("[1,]", "unexpected character");
    refused("[1 2]", "expected ','");
    refused("{\"a\" 1}", "expected ':'");
    refused("{\"a\": 1,}", "string key");
    refused("{a: 1}", "string key");
    refused("{\"a\": 1} x", "end of input expected");
    refused("[1] [2]", "end of input expected");
    refused("tru", "invalid literal");
    refused("nul", "invalid literal");

    /* 64 levels are read, 65 are not */
    for (i = 0; i < 64; i++) {
        deep[i] = '[';
        deep[64 + i] = ']';
    }

    deep[128] = '\0';
    assert_non_null(parse(deep));

    memmove(deep + 1, deep, 129);
    deep[0] = '[';
    deep[130] = ']';
    deep[131] = '\0';
    refused(deep, "nested deeper than 64");

    assert_null(parse_flags("[1]", 2, 0));
    assert_int_equal(err.position, 2);
}


static void
test_duplicates(void **state)
{
    int     i;
    char   *big, *p;
    size_t  size;

    refused("{\"a\": 1, \"a\": 2}", "duplicate");
    refused("{\"a\": 1, \"\\u0061\": 2}", "duplicate");
    refused("{\"x\": {\"a\": 1, \"b\": 2, \"a\": 3}}", "duplicate");
    assert_non_null(parse("{\"a\": 1, \"ab\": 2, \"b\": {\"a\": 3}}"));

    /* many members: found by hashing, the last one repeating the first */
    size = 200 * 16 + 32;
    big = malloc(size);
    assert_non_null(big);

    for (i = 0; i < 2; i++) {
        p = big;
        p += sprintf(p, "{");

        for (int k = 0; k < 200; k++) {
            p += sprintf(p, "\"key%d\":%d,", k, k);
        }

        p += sprintf(p, "\"key%d\":0}", i ? 0 : 200);

        if (i == 0) {
            assert_non_null(parse(big));
            assert_int_equal(govern_jv_size(parse(big)), 201);

        } else {
            refused(big, "duplicate");
        }
    }

    free(big);

    /* keys of several lengths in every order (a letter prefix, then a
     * number unique per member), one member given another's key in half
     * of the documents: the sort finds exactly those */
    big = malloc(1000 * 24 + 32);
    assert_non_null(big);
    srand(11);

    for (i = 0; i < 60; i++) {
        int  k, n, dup_a, dup_b, dup, prefix[1000];

        n = 17 + rand() % 900;
        dup_a = rand() % n;
        dup_b = (dup_a + 1 + rand() % (n - 1)) % n;
        dup = (i % 2 == 0);
        p = big;
        p += sprintf(p, "{");

        for (k = 0; k < n; k++) {
            prefix[k] = rand() % 4;
        }

        for (k = 0; k < n; k++) {
            int  m = (dup && k == dup_b) ? dup_a : k;

            p += sprintf(p, "%s\"%.*s%d\":1", k ? "," : "", prefix[m],
                         "abc", (m * 7919) % 1000);
        }

        sprintf(p, "}");

        if (dup) {
            refused(big, "duplicate");

        } else {
            assert_int_equal(govern_jv_size(parse(big)), n);
        }
    }

    /* deterministic: the same key at both ends of 500, and 500 distinct */
    p = big;
    p += sprintf(p, "{\"same\":0");

    for (i = 1; i < 499; i++) {
        p += sprintf(p, ",\"k%d\":%d", i, i);
    }

    sprintf(p, ",\"same\":1}");
    refused(big, "duplicate");

    p = big;
    p += sprintf(p, "{\"same\":0");

    for (i = 1; i < 500; i++) {
        p += sprintf(p, ",\"k%d\":%d", 500 - i, i);
    }

    sprintf(p, "}");
    assert_int_equal(govern_jv_size(parse(big)), 500);

    free(big);
}


static void
test_equal(void **state)
{
    assert_true(govern_jv_equal(parse("{\"a\": [1, 2.0], \"b\": 1}"),
                                parse("{\"b\": 1.0, \"a\": [1, 2]}")));
    assert_false(govern_jv_equal(parse("[1, 2]"), parse("[2, 1]")));
    assert_false(govern_jv_equal(parse("\"1\""), parse("1")));
    assert_false(govern_jv_equal(parse("{\"a\": 1}"),
                                 parse("{\"a\": 1, \"b\": 1}")));
    assert_false(govern_jv_equal(parse("true"), parse("false")));
    assert_true(govern_jv_equal(parse("null"), parse("null")));

    /* big objects are compared in key order, whatever the text's order */
    {
        int    i;
        char   a[2048], b[2048], *p, *q;

        p = a + sprintf(a, "{");
        q = b + sprintf(b, "{");

        for (i = 0; i < 40; i++) {
            p += sprintf(p, "%s\"k%d\":%d", i ? "," : "", i, i);
            q += sprintf(q, "%s\"k%d\":%d.0", i ? "," : "", 39 - i, 39 - i);
        }

        sprintf(p, "}");
        sprintf(q, "}");
        assert_true(govern_jv_equal(parse(a), parse(b)));

        q[-3] = '5';                    /* "k0": 5.0 */
        assert_false(govern_jv_equal(parse(a), parse(b)));

        q[-3] = '0';
        q = strstr(b, "\"k7\"");
        q[2] = '8';                     /* "k8" twice: refused, never equal */
        assert_null(parse(b));
        q[1] = 'j';                     /* "j8" for "k7" */
        assert_false(govern_jv_equal(parse(a), parse(b)));
    }
}


/*
 * Strings are scanned 16 bytes at a time while 16 remain: every length
 * around that block, each kind of special byte at every position, and
 * every distance to the end of the text, as a value and as a key, in an
 * exactly sized buffer (so ASan sees any read past it); jansson decides
 * what the answer must be.
 */

static const char  *specials[] = {
    NULL, "\\n", "\\\"", "\\u00e9", "\\ud83d\\ude00", "\xc3\xa9",
    "\xf0\x9f\x98\x80", "\x01", "\x80", "\x7f", "\\u0000", "\\x"
};


static void
string_case(const char *content, size_t content_len, size_t pad, int key)
{
    char                  *text;
    size_t                 n;
    json_t                *expect, *s;
    json_error_t           jerr;
    govern_jv_t           *v;

    text = malloc(content_len + pad + 8);
    assert_non_null(text);

    n = 0;
    if (key) {
        text[n++] = '{';
    }
    text[n++] = '"';
    memcpy(text + n, content, content_len);
    n += content_len;
    text[n++] = '"';
    if (key) {
        memcpy(text + n, ":1}", 3);
        n += 3;
    }
    memset(text + n, ' ', pad);
    n += pad;

    /* exactly n bytes: a read past them is a heap overflow */
    text = realloc(text, n);
    assert_non_null(text);

    expect = json_loadb(text, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
                        &jerr);
    v = parse_flags(text, n, 0);

    if (expect == NULL) {
        if (v != NULL) {
            fail_msg("accepted what jansson refuses: %.*s", (int) n, text);
        }

    } else {
        s = key ? NULL : expect;

        if (key) {
            assert_non_null(v);
            assert_int_equal(v->len, 1);
            assert_int_equal(v->u.members[0].key_len,
                             strlen(json_object_iter_key(
                                        json_object_iter(expect))));
            assert_memory_equal(v->u.members[0].key,
                                json_object_iter_key(json_object_iter(expect)),
                                v->u.members[0].key_len + 1);

        } else {
            if (v == NULL) {
                fail_msg("refused (%s): %.*s", err.text, (int) n, text);
            }

            assert_int_equal(v->type, GOVERN_JV_STRING);
            assert_int_equal(v->len, json_string_length(s));
            assert_memory_equal(v->u.string, json_string_value(s), v->len);
            assert_int_equal(v->u.string[v->len], '\0');
            assert_int_equal(v->start, 0);
            assert_int_equal(v->end, content_len + 2);
        }

        json_decref(expect);
    }

    free(text);
    govern_jv_arena_free(&arena);
}


static void
test_string_blocks(void **state)
{
    int          key;
    char         content[64];
    size_t       len, pos, pad, k, sl, n;
    const char  *sp;

    for (len = 0; len <= 40; len++) {
        for (k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
            for (pos = 0; pos <= len; pos++) {
                sp = specials[k];

                if (sp == NULL && pos > 0) {
                    break;
                }

                sl = sp ? strlen(sp) : 0;
                n = 0;

                while (n < pos) {
                    content[n] = 'a' + n % 26;
                    n++;
                }

                if (sp) {
                    memcpy(content + n, sp, sl);
                    n += sl;
                }

                while (n < len + sl) {
                    content[n] = 'A' + n % 26;
                    n++;
                }

                for (pad = 0; pad <= 18; pad++) {
                    for (key = 0; key <= 1; key++) {
                        string_case(content, n, pad, key);
                    }
                }
            }
        }
    }
}


/*
 * A lazy array is passed 64 bytes at a time where the CPU can (AVX-512BW,
 * or AVX2), byte by byte elsewhere: each way must accept, count and refuse
 * exactly as the whole parse does.  On a CPU without AVX-512 or AVX2 the
 * first two ways are the byte path again.  what: the case, for a failure.
 */

static void
lazy_as_whole(const char *text, size_t len, const char *key,
    const char *what)
{
    int                         k;
    govern_jv_t                *whole, *v;
    govern_jv_error_t           whole_err;

    static const unsigned  ways[] = {
        GOVERN_JV_LAZY(1),
        GOVERN_JV_LAZY(1) | GOVERN_JV_NO_AVX512,
        GOVERN_JV_LAZY(1) | GOVERN_JV_BYTEWISE
    };

    whole = parse_flags(text, len, 0);
    whole_err = err;

    for (k = 0; k < 3; k++) {
        v = parse_flags(text, len, ways[k]);

        if ((whole == NULL) != (v == NULL)) {
            fail_msg("%s way %d: %s", what, k,
                     whole ? err.text : whole_err.text);
        }

        if (whole == NULL) {
            assert_string_equal(err.text, whole_err.text);
            assert_int_equal(err.position, whole_err.position);
            continue;
        }

        assert_int_equal(govern_jv_getz(v, key)->len,
                         govern_jv_getz(whole, key)->len);
        assert_int_equal(govern_jv_getz(v, key)->end,
                         govern_jv_getz(whole, key)->end);
    }

    govern_jv_arena_free(&arena);
}


/* flaw put into text at byte 10 + at, if that is before its last bytes */

static void
insert_flaw(char *text, size_t *len, size_t at, const char *flaw)
{
    size_t  n;

    n = strlen(flaw);

    if (n == 0 || 10 + at >= *len - 3) {
        return;
    }

    memmove(text + 10 + at + n, text + 10 + at, *len - 10 - at);
    memcpy(text + 10 + at, flaw, n);
    *len += n;
}


/* lazy parsing: deep containers counted and spanned, built on demand */

static void
test_lazy(void **state)
{
    size_t                        i;
    const char                   *text;
    govern_jv_t                  *v, *whole, *domain, *ctx;
    govern_jv_source_t            src;

    static const char  *bad[] = {
        "{\"a\": [[1, 2], [\"x\" 3]]}",
        "{\"a\": [{\"k\": 1, \"k\": 2}]}",
        "{\"a\": [\"\\ud800\"]}",
        "{\"a\": [\"\xc3\x28\"]}",
        "{\"a\": [\"tab\there\"]}",
        "{\"a\": [1e999]}",
        "{\"a\": [tru]}",
        "{\"a\": [01]}",
        "{\"a\": [[1], }",
        "{\"a\": [\"unterminated]}",
        NULL
    };

    text = "{\"domain\": [[\"code\", \"in\", [\"A\", \"B\\u00e9\"]]],"
           " \"context\": {\"lang\": \"en_US\", \"x\": {\"y\": [1]}},"
           " \"ids\": [1, 2, 3], \"e\": [], \"limit\": 5}";

    src.text = text;
    src.flags = GOVERN_JV_LAZY(1);
    src.alloc = govern_jv_arena_alloc;
    src.alloc_ctx = &arena;

    v = parse_flags(text, strlen(text), src.flags);
    whole = parse(text);
    assert_non_null(v);
    assert_non_null(whole);

    /* the root is built; its containers are counted, not built */

    domain = govern_jv_getz(v, "domain");
    assert_true(govern_jv_is_array(domain));
    assert_true(govern_jv_is_lazy(domain));
    assert_int_equal(domain->len, 1);
    assert_memory_equal(text + domain->start, "[[", 2);
    assert_memory_equal(text + domain->end - 2, "]]", 2);
    assert_null(govern_jv_item(domain, 0));
    assert_int_equal(govern_jv_getz(v, "ids")->len, 3);
    assert_false(govern_jv_is_lazy(govern_jv_getz(v, "e")));
    assert_int_equal(govern_jv_getz(v, "limit")->u.integer, 5);

    /* built on demand, whole, equal to the whole parse */

    ctx = govern_jv_getz(v, "context");
    assert_int_equal(govern_jv_expand(ctx, &src), 1);
    assert_false(govern_jv_is_lazy(ctx));
    assert_string_equal(govern_jv_getz(ctx, "lang")->u.string,
                        "en_US");
    assert_int_equal(govern_jv_item(
        govern_jv_getz(govern_jv_getz(ctx, "x"), "y"),
        0)->u.integer, 1);

    for (i = 0; i < v->len; i++) {
        assert_int_equal(govern_jv_expand(&v->u.members[i].value,
                                          &src), 1);
    }

    assert_int_equal(govern_jv_equal(v, whole), 1);
    assert_string_equal(govern_jv_item(govern_jv_item(
        govern_jv_item(domain, 0), 2), 1)->u.string, "B\xc3\xa9");

    /* what a lazy parse keeps takes string blocks as it needs them: each
     * string keeps its readable tail (read here: ASan watches) */

    {
        char                   big[16384], want[32];
        char                   tail[GOVERN_JV_READABLE];
        size_t                off;
        govern_jv_t           *m;

        off = 0;
        off += sprintf(big + off,
                       "{\"skipped\": [\"a\", [1, {\"k\": \"v\"}]]");

        for (i = 0; i < 300; i++) {
            off += sprintf(big + off, ", \"key%03zu\": \"%.*s\"", i,
                           (int) (i % 40),
                           "0123456789012345678901234567890123456789");
        }

        off += sprintf(big + off, "}");

        m = govern_jv_parse(big, off, GOVERN_JV_LAZY(1),
                            exact_alloc, NULL, &err);
        assert_non_null(m);
        assert_int_equal(m->len, 301);

        for (i = 0; i < 300; i++) {
            sprintf(want, "key%03zu", i);
            v = govern_jv_getz(m, want);
            assert_non_null(v);
            assert_int_equal(v->len, i % 40);
            assert_memory_equal(v->u.string,
                                "0123456789012345678901234567890123456789",
                                i % 40);
            assert_int_equal(v->u.string[v->len], '\0');
            memcpy(tail, v->u.string, sizeof(tail));
            memcpy(tail, m->u.members[i + 1].key, sizeof(tail));
        }
    }

    /* a lazy part is checked as strictly: the same error, same place */

    for (i = 0; bad[i]; i++) {
        assert_null(parse(bad[i]));
        lazy_as_whole(bad[i], strlen(bad[i]), "a", bad[i]);
    }
}


/* lazy arrays of strings: the three ways answer as the whole parse does,
 * whatever the strings' lengths, the separators and where a flaw sits
 * (across the 64-byte blocks too) */

static void
test_lazy_string_runs(void **state)
{
    char    text[4096], what[96];
    size_t  len, count, at, flaw, i, j, off;

    static const char  *seps[] = { ",", ", ", " , ", ",  " };
    static const char  *flaws[] = {
        "", "\\n", "\\\"", "\xc3\xa9", "\t", "\x01", "\xff",
        "\",\"", "\" \"", "\",,\"", "\", 1, \"", "\", [\"", "\", {\"",
        "\"]\"", "\\u00e9", "\\", "\"\t,\""
    };

    for (len = 0; len < 70; len += (len < 20 ? 1 : 7)) {
        for (i = 0; i < sizeof(seps) / sizeof(seps[0]); i++) {
            for (flaw = 0; flaw < sizeof(flaws) / sizeof(flaws[0]); flaw++) {
                for (at = 0; at < 150; at += 1 + at / 10) {

                    /* {"a": ["xxx", "xxx", ...]} with a flaw at byte at */

                    off = sprintf(text, "{\"a\": [");
                    count = 0;

                    while (off < 400 + len) {
                        if (count++) {
                            off += sprintf(text + off, "%s", seps[i]);
                        }

                        text[off++] = '"';

                        for (j = 0; j < len; j++) {
                            text[off] = 'a' + (off % 26);
                            off++;
                        }

                        text[off++] = '"';
                    }

                    off += sprintf(text + off, "]}");

                    insert_flaw(text, &off, at, flaws[flaw]);

                    snprintf(what, sizeof(what),
                             "len %zu sep %zu flaw %zu at %zu", len, i,
                             flaw, at);
                    lazy_as_whole(text, off, "a", what);
                }
            }
        }
    }
}


/* lazy arrays of integers (lists of ids): the same three ways, the same
 * answers as the whole parse */

static void
test_lazy_integer_runs(void **state)
{
    char         text[8192], huge[401], what[96];
    size_t       digits, count, at, flaw, nflaws, i, j, off;
    const char  *flaws[32];

    static const char  *seps[] = { ",", ", ", " , " };
    static const char  *some[] = {
        "", "0", "-", "--", "1-", ".5", "e5", "+", " 7", "\"a\"", "[",
        "x", "\t", "\n", ", ", ",", "-0", "00", "9999999999999999999999"
    };

    /* and 400 digits: beyond a double, "number out of range" */

    nflaws = sizeof(some) / sizeof(some[0]);
    memcpy(flaws, some, sizeof(some));
    memset(huge, '9', 400);
    huge[400] = '\0';
    flaws[nflaws++] = huge;

    for (digits = 1; digits < 90; digits += (digits < 12 ? 1 : 11)) {
        for (i = 0; i < sizeof(seps) / sizeof(seps[0]); i++) {
            for (flaw = 0; flaw < nflaws; flaw++) {
                for (at = 0; at < 200; at += 1 + at / 8) {

                    /* {"ids": [n, -n, 0, n, ...]} with a flaw at byte at */

                    off = sprintf(text, "{\"ids\": [");
                    count = 0;

                    while (off < 600 + digits) {
                        if (count++) {
                            off += sprintf(text + off, "%s", seps[i]);
                        }

                        if (count % 7 == 3) {
                            text[off++] = '0';
                            continue;
                        }

                        if (count % 5 == 2) {
                            text[off++] = '-';
                        }

                        for (j = 0; j < digits; j++) {
                            text[off] = '1' + (off + j) % 9;
                            off++;
                        }
                    }

                    off += sprintf(text + off, "]}");

                    insert_flaw(text, &off, at, flaws[flaw]);

                    snprintf(what, sizeof(what),
                             "digits %zu sep %zu flaw %zu at %zu", digits,
                             i, flaw, at);
                    lazy_as_whole(text, off, "ids", what);
                }
            }
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_values, teardown),
        cmocka_unit_test_teardown(test_strings, teardown),
        cmocka_unit_test_teardown(test_string_blocks, teardown),
        cmocka_unit_test_teardown(test_numbers, teardown),
        cmocka_unit_test_teardown(test_structure, teardown),
        cmocka_unit_test_teardown(test_duplicates, teardown),
        cmocka_unit_test_teardown(test_equal, teardown),
        cmocka_unit_test_teardown(test_lazy, teardown),
        cmocka_unit_test_teardown(test_lazy_string_runs, teardown),
        cmocka_unit_test_teardown(test_lazy_integer_runs, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
