/* Unit tests: the schema validator's errors and bounds
 * (ngx_http_govern_schema.c); conformance is `make conformance`. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "ngx_http_govern_schema.h"


static ngx_http_govern_schema_t *
compile(const char *text)
{
    char                       err[256];
    json_t                    *doc;
    ngx_http_govern_schema_t  *s;

    doc = json_loads(text, 0, NULL);
    assert_non_null(doc);

    s = ngx_http_govern_schema_compile(doc, "urn:test", 0, NULL, NULL, err,
                                       sizeof(err));
    json_decref(doc);

    return s;
}


static ngx_http_govern_jv_arena_t  arena;


static ngx_http_govern_jv_t *
parse(const char *text)
{
    return ngx_http_govern_jv_parse(text, strlen(text), 0,
                                    ngx_http_govern_jv_arena_alloc, &arena,
                                    NULL);
}


static void
test_error_pointers(void **state)
{
    ngx_http_govern_jv_t             *inst;
    ngx_http_govern_schema_t         *s;
    ngx_http_govern_schema_result_t   r;

    s = compile("{\"properties\": {\"lines\": {\"items\": {\"properties\":"
                " {\"qty\": {\"minimum\": 1}}}}, \"a/b\": {\"type\": "
                "\"string\"}}}");
    assert_non_null(s);

    inst = parse("{\"lines\": [{\"qty\": 1}, {\"qty\": 0}], \"a/b\": 1}");
    assert_non_null(inst);

    assert_false(ngx_http_govern_schema_validate(s, inst, &r));
    assert_int_equal(r.nerrors, 2);
    assert_string_equal(r.errors[0].pointer, "/lines/1/qty");
    assert_string_equal(r.errors[0].keyword, "minimum");
    assert_string_equal(r.errors[1].pointer, "/a~1b");
    assert_string_equal(r.errors[1].keyword, "type");

    ngx_http_govern_schema_result_free(&r);
    ngx_http_govern_jv_arena_free(&arena);
    ngx_http_govern_schema_free(s);
}


static void
test_compile_errors(void **state)
{
    char     err[256];
    json_t  *doc;

    doc = json_loads("{\"properties\": {\"x/y\": {\"pattern\": \"(\"}}}", 0,
                     NULL);
    assert_null(ngx_http_govern_schema_compile(doc, "urn:test", 0, NULL,
                                               NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "at \"/properties/x~1y/pattern\""));
    json_decref(doc);

    doc = json_loads("{\"$ref\": \"#/$defs/missing\"}", 0, NULL);
    assert_null(ngx_http_govern_schema_compile(doc, "urn:test", 0, NULL,
                                               NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "unresolvable \"$ref\""));
    json_decref(doc);
}


/* an exponential schema and a deep instance stay within a step budget */

static void
test_step_budget(void **state)
{
    int                               i;
    char                              deep[4096];
    clock_t                           t0;
    ngx_http_govern_jv_t             *inst;
    ngx_http_govern_schema_t         *s;
    ngx_http_govern_schema_result_t   r;

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
    assert_false(ngx_http_govern_schema_validate(s, inst, &r));
    assert_true(clock() - t0 < 5 * CLOCKS_PER_SEC);
    assert_true(r.nerrors >= 1);

    ngx_http_govern_schema_result_free(&r);
    ngx_http_govern_jv_arena_free(&arena);
    ngx_http_govern_schema_free(s);
}


static void
test_uri_resolution(void **state)
{
    char  *u;

    u = ngx_http_govern_uri_resolve("http://a/b/c/d;p?q", "../g");
    assert_string_equal(u, "http://a/b/g");
    free(u);
    u = ngx_http_govern_uri_resolve("http://a/b/c/d;p?q", "g?y#s");
    assert_string_equal(u, "http://a/b/c/g?y#s");
    free(u);
    u = ngx_http_govern_uri_resolve("http://a/b/c/d;p?q", "//g");
    assert_string_equal(u, "http://g");
    free(u);
    u = ngx_http_govern_uri_resolve("file:///etc/govern/order.json",
                                    "customer.json");
    assert_string_equal(u, "file:///etc/govern/customer.json");
    free(u);
    u = ngx_http_govern_uri_resolve("urn:x", "#/$defs/a");
    assert_string_equal(u, "urn:x#/$defs/a");
    free(u);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_error_pointers),
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_step_budget),
        cmocka_unit_test(test_uri_resolution),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
