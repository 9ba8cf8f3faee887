/* Unit tests: the schema validator's errors and bounds
 * (ngx_http_govern_schema.c); conformance is `make conformance`. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "govern_schema.h"


static govern_schema_t *
compile(const char *text)
{
    char                       err[256];
    json_t                    *doc;
    govern_schema_t           *s;

    doc = json_loads(text, 0, NULL);
    assert_non_null(doc);

    s = govern_schema_compile(doc, "urn:test", 0, NULL, NULL, err,
                              sizeof(err));
    json_decref(doc);

    return s;
}


static govern_jv_arena_t  arena;


static govern_jv_t *
parse(const char *text)
{
    return govern_jv_parse(text, strlen(text), 0,
                           govern_jv_arena_alloc, &arena,
                           NULL);
}


static void
test_error_pointers(void **state)
{
    govern_jv_t                      *inst;
    govern_schema_t                  *s;
    govern_schema_result_t            r;

    s = compile("{\"properties\": {\"lines\": {\"items\": {\"properties\":"
                " {\"qty\": {\"minimum\": 1}}}}, \"a/b\": {\"type\": "
                "\"string\"}}}");
    assert_non_null(s);

    inst = parse("{\"lines\": [{\"qty\": 1}, {\"qty\": 0}], \"a/b\": 1}");
    assert_non_null(inst);

    assert_false(govern_schema_validate(s, inst, &r));
    assert_int_equal(r.nerrors, 2);
    assert_string_equal(r.errors[0].pointer, "/lines/1/qty");
    assert_string_equal(r.errors[0].keyword, "minimum");
    assert_string_equal(r.errors[1].pointer, "/a~1b");
    assert_string_equal(r.errors[1].keyword, "type");

    govern_schema_result_free(&r);
    govern_jv_arena_free(&arena);
    govern_schema_free(s);
}


static void
test_compile_errors(void **state)
{
    char     err[256];
    json_t  *doc;

    doc = json_loads("{\"properties\": {\"x/y\": {\"pattern\": \"(\"}}}", 0,
                     NULL);
    assert_null(govern_schema_compile(doc, "urn:test", 0, NULL,
                                      NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "at \"/properties/x~1y/pattern\""));
    json_decref(doc);

    doc = json_loads("{\"$ref\": \"#/$defs/missing\"}", 0, NULL);
    assert_null(govern_schema_compile(doc, "urn:test", 0, NULL,
                                      NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "unresolvable \"$ref\""));
    json_decref(doc);
}


/* counts beyond 2^63 (the fuzzer's 5.5e19) compile and bound nothing, or
 * everything */

static void
test_huge_counts(void **state)
{
    govern_jv_t                      *inst;
    govern_schema_t                  *s;
    govern_schema_result_t            r;

    s = compile("{\"maxLength\": 5.5e19, \"maxItems\": 1e300, "
                "\"maxProperties\": 1.8446744073709552e19}");
    assert_non_null(s);
    inst = parse("\"abc\"");
    assert_true(govern_schema_validate(s, inst, &r));
    inst = parse("[1, 2, 3]");
    assert_true(govern_schema_validate(s, inst, &r));
    inst = parse("{\"a\": 1}");
    assert_true(govern_schema_validate(s, inst, &r));
    govern_schema_free(s);

    s = compile("{\"minItems\": 5.5e19}");
    assert_non_null(s);
    inst = parse("[1, 2, 3]");
    assert_false(govern_schema_validate(s, inst, &r));
    assert_string_equal(r.errors[0].keyword, "minItems");
    govern_schema_result_free(&r);
    govern_schema_free(s);

    govern_jv_arena_free(&arena);
}


/* a validation cut off by a bound: refused, the bound's keyword named */

static void
cut_off(govern_schema_t *s, govern_jv_t *inst,
    const char *keyword)
{
    govern_schema_result_t           r;

    assert_false(govern_schema_validate(s, inst, &r));
    assert_non_null(strstr(r.errors[r.nerrors - 1].message, "too many"));
    assert_string_equal(r.errors[r.nerrors - 1].keyword, keyword);
    govern_schema_result_free(&r);
}


/* an exponential schema and a deep instance stay within a step budget */

static void
test_step_budget(void **state)
{
    int                               i;
    char                              deep[4096];
    clock_t                           t0;
    govern_jv_t                      *inst;
    govern_schema_t                  *s;
    govern_schema_result_t            r;

    s = compile("{\"anyOf\": [{\"items\": {\"$ref\": \"#\"}}, "
                "{\"items\": {\"$ref\": \"#\"}}, {\"type\": \"string\"}], "
                "\"unevaluatedItems\": false}");
    assert_non_null(s);

    for (i = 0; i < 60; i++) {
        deep[i] = '[';
        deep[120 - i] = ']';
    }

    deep[60] = '1';
    deep[121] = '\0';

    inst = parse(deep);
    assert_non_null(inst);

    t0 = clock();
    assert_false(govern_schema_validate(s, inst, &r));
    assert_true(clock() - t0 < 5 * CLOCKS_PER_SEC);
    assert_true(r.nerrors >= 1);
    assert_string_equal(r.errors[r.nerrors - 1].keyword, "$ref");
    assert_non_null(strstr(r.errors[r.nerrors - 1].message, "too many"));

    govern_schema_result_free(&r);
    govern_jv_arena_free(&arena);
    govern_schema_free(s);
}


/* schemas that are only "$ref"s: chains resolve, cycles end in an error */

static void
test_ref_chains(void **state)
{
    govern_schema_t                  *s;
    govern_schema_result_t            r;

    s = compile("{\"$defs\": {\"a\": {\"$ref\": \"#/$defs/b\"}, "
                "\"b\": {\"$ref\": \"#/$defs/c\"}, \"c\": {\"maximum\": 3}},"
                " \"items\": {\"$ref\": \"#/$defs/a\"}}");
    assert_non_null(s);
    assert_true(govern_schema_validate(s, parse("[1, 3]"), &r));
    assert_false(govern_schema_validate(s, parse("[1, 4]"), &r));
    assert_string_equal(r.errors[0].pointer, "/1");
    govern_schema_result_free(&r);
    govern_schema_free(s);

    s = compile("{\"$defs\": {\"a\": {\"$ref\": \"#/$defs/b\"}, "
                "\"b\": {\"$ref\": \"#/$defs/a\"}}, \"$ref\": \"#/$defs/a\"}");
    assert_non_null(s);
    assert_false(govern_schema_validate(s, parse("1"), &r));
    assert_true(r.nerrors >= 1);
    govern_schema_result_free(&r);
    govern_schema_free(s);

    s = compile("{\"$ref\": \"#\"}");
    assert_non_null(s);
    assert_false(govern_schema_validate(s, parse("{}"), NULL));
    govern_schema_free(s);

    govern_jv_arena_free(&arena);
}


/* each failed keyword is reported once, by its own name */

static void
test_keyword_errors(void **state)
{
    govern_schema_t                  *s;
    govern_schema_result_t            r;

    s = compile("{\"maximum\": 10, \"multipleOf\": 0.5}");
    assert_non_null(s);
    assert_false(govern_schema_validate(s, parse("11.5"), &r));
    assert_int_equal(r.nerrors, 1);
    assert_string_equal(r.errors[0].keyword, "maximum");
    govern_schema_result_free(&r);
    assert_false(govern_schema_validate(s, parse("3.25"), &r));
    assert_int_equal(r.nerrors, 1);
    assert_string_equal(r.errors[0].keyword, "multipleOf");
    govern_schema_result_free(&r);
    govern_schema_free(s);

    s = compile("{\"required\": [\"a\", \"z\"], \"properties\": "
                "{\"a\": {\"type\": \"string\"}}, "
                "\"additionalProperties\": false}");
    assert_non_null(s);
    assert_true(govern_schema_validate(s,
                    parse("{\"z\": 1, \"a\": \"x\"}"), &r) == 0);
    assert_int_equal(r.nerrors, 1);
    assert_string_equal(r.errors[0].keyword, "additionalProperties");
    govern_schema_result_free(&r);
    assert_false(govern_schema_validate(s, parse("{\"a\": 1}"),
                                        &r));
    assert_int_equal(r.nerrors, 2);             /* "a" a string, "z" */
    assert_string_equal(r.errors[0].keyword, "type");
    assert_string_equal(r.errors[1].keyword, "required");
    govern_schema_result_free(&r);
    govern_schema_free(s);

    govern_jv_arena_free(&arena);
}


/* pairwise keywords are bounded too: uniqueItems over a huge array */

static void
test_compare_budget(void **state)
{
    int                               i;
    char                             *text, *p;
    govern_schema_t                  *s;
    govern_schema_result_t            r;

    s = compile("{\"uniqueItems\": true}");
    assert_non_null(s);

    text = malloc(6000 * 10 + 16);
    assert_non_null(text);

    /* scalars are sorted: 6,000 distinct numbers and strings are valid,
     * one repeated is found and both its indexes named */
    p = text + sprintf(text, "[0");
    for (i = 1; i < 6000; i++) {
        p += i % 2 ? sprintf(p, ",%d", i) : sprintf(p, ",\"%d\"", i);
    }
    sprintf(p, "]");
    assert_true(govern_schema_validate(s, parse(text), NULL));

    p = strrchr(text, ']');
    sprintf(p, ",4321.0]");
    assert_false(govern_schema_validate(s, parse(text), &r));
    assert_int_equal(r.nerrors, 1);
    assert_string_equal(r.errors[0].message, "items 4321 and 6000 are equal");
    govern_schema_result_free(&r);

    /* what the sort must keep apart, and what it must not */
    assert_true(govern_schema_validate(s, parse(
        "[1, \"1\", true, false, null, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,"
        " 13, 14, \"\", 0]"), NULL));
    assert_false(govern_schema_validate(s, parse(
        "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, -0.0, 0]"),
        NULL));
    assert_false(govern_schema_validate(s, parse(
        "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, null, null]"),
        NULL));

    /* integers past 2^53 are compared by pairs, exactly */
    assert_true(govern_schema_validate(s, parse(
        "[9007199254740993, 9007199254740992, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,"
        " 11, 12, 13, 14, 15, 16]"), NULL));

    /* 6,000 small arrays: 18 million pairs, over the budget: refused,
     * saying why */
    p = text + sprintf(text, "[[0]");
    for (i = 1; i < 6000; i++) {
        p += sprintf(p, ",[%d]", i);
    }
    sprintf(p, "]");
    cut_off(s, parse(text), "uniqueItems");

    /* 2,000 arrays of 60 numbers, differing at their ends: comparing two
     * costs 60, so the budget is spent long before 2 million pairs */
    free(text);
    text = malloc(2000 * 260 + 8);
    assert_non_null(text);
    p = text + sprintf(text, "[");

    for (i = 0; i < 2000; i++) {
        int  k;

        p += sprintf(p, "%s[", i ? "," : "");

        for (k = 0; k < 59; k++) {
            p += sprintf(p, "%d,", k);
        }

        p += sprintf(p, "%d]", i);
    }

    sprintf(p, "]");
    cut_off(s, parse(text), "uniqueItems");

    free(text);
    govern_schema_free(s);
    govern_jv_arena_free(&arena);
}


/* property names of every length around the word size, matched exactly */

static void
test_property_names(void **state)
{
    int                        i, j;
    char                       schema[2048], inst[256], *p;
    govern_schema_t           *s;

    static const char  *names[] = {
        "", "a", "abcdefg", "abcdefgh", "abcdefghi", "abcdefghijklmno",
        "abcdefghijklmnop", "abcdefghijklmnopq", "abcdefghijklmnoq",
        "abcdefgi", "b", "abcdefghijklmnopr"
    };

    /* the first nine are properties (each a string), nothing else is */
    p = schema + sprintf(schema, "{\"additionalProperties\": false, "
                                 "\"properties\": {");
    for (i = 0; i < 9; i++) {
        p += sprintf(p, "%s\"%s\": {\"type\": \"string\"}", i ? ", " : "",
                     names[i]);
    }
    sprintf(p, "}}");

    s = compile(schema);
    assert_non_null(s);

    for (i = 0; i < 12; i++) {
        for (j = 0; j < 2; j++) {
            sprintf(inst, "{\"%s\": %s}", names[i], j ? "1" : "\"x\"");

            /* a known name takes a string, not a number; an unknown one
             * nothing */
            assert_int_equal(govern_schema_validate(s, parse(inst),
                                                    NULL),
                             i < 9 && j == 0);
        }
    }

    govern_schema_free(s);
    govern_jv_arena_free(&arena);
}


/* a pattern that backtracks exponentially is cut off, not waited for */

static void
test_pattern_limit(void **state)
{
    govern_schema_t           *s;

    s = compile("{\"items\": {\"pattern\": \"^(a+)+$\"}}");
    assert_non_null(s);

    assert_true(govern_schema_validate(s, parse("[\"aaaa\"]"),
                                       NULL));
    cut_off(s, parse("[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\"]"),
            "pattern");

    govern_schema_free(s);
    govern_jv_arena_free(&arena);
}


static void
test_uri_resolution(void **state)
{
    char  *u;

    u = govern_uri_resolve("http://a/b/c/d;p?q", "../g");
    assert_string_equal(u, "http://a/b/g");
    free(u);
    u = govern_uri_resolve("http://a/b/c/d;p?q", "g?y#s");
    assert_string_equal(u, "http://a/b/c/g?y#s");
    free(u);
    u = govern_uri_resolve("http://a/b/c/d;p?q", "//g");
    assert_string_equal(u, "http://g");
    free(u);
    u = govern_uri_resolve("file:///etc/govern/order.json",
                           "customer.json");
    assert_string_equal(u, "file:///etc/govern/customer.json");
    free(u);
    u = govern_uri_resolve("urn:x", "#/$defs/a");
    assert_string_equal(u, "urn:x#/$defs/a");
    free(u);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_error_pointers),
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_huge_counts),
        cmocka_unit_test(test_step_budget),
        cmocka_unit_test(test_ref_chains),
        cmocka_unit_test(test_keyword_errors),
        cmocka_unit_test(test_compare_budget),
        cmocka_unit_test(test_pattern_limit),
        cmocka_unit_test(test_property_names),
        cmocka_unit_test(test_uri_resolution),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
