/* Unit tests: JSON string escaping (ngx_http_govern_json.c). */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "govern_json.h"


static void
check(const char *in, size_t len, const char *want)
{
    unsigned char  out[256], *end;

    assert_true(GOVERN_JSON_ESCAPE_MAX(len) <= sizeof(out));

    end = govern_json_escape(out, (const unsigned char *) in, len);

    assert_int_equal(end - out, strlen(want));
    assert_memory_equal(out, want, strlen(want));
    assert_int_equal(govern_json_escape_len(
                         (const unsigned char *) in, len), strlen(want));
    assert_true((size_t) (end - out) <= GOVERN_JSON_ESCAPE_MAX(len));
}


static void
test_plain(void **state)
{
    check("/api/orders", 11, "/api/orders");
    check("", 0, "");
}


static void
test_specials(void **state)
{
    check("a\"b\\c", 5, "a\\\"b\\\\c");
    check("\n\r\t\b\f", 5, "\\n\\r\\t\\b\\f");
    check("\x01\x1f\x7f", 3, "\\u0001\\u001f\\u007f");
    check("a\0b", 3, "a\\u0000b");
}


static void
test_utf8_kept(void **state)
{
    check("caf\xc3\xa9", 5, "caf\xc3\xa9");
    check("\xe2\x82\xac", 3, "\xe2\x82\xac");           /* euro sign */
    check("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80");   /* U+1F600 */
}


static void
test_utf8_invalid(void **state)
{
    check("\xff", 1, "\\ufffd");
    check("\xc0\xaf", 2, "\\ufffd\\ufffd");             /* overlong '/' */
    check("\xed\xa0\x80", 3, "\\ufffd\\ufffd\\ufffd");  /* surrogate */
    check("\xf4\x90\x80\x80", 4,
          "\\ufffd\\ufffd\\ufffd\\ufffd");              /* > U+10FFFF */
    check("\xe2\x82", 2, "\\ufffd\\ufffd");             /* truncated */
    check("a\xc3", 2, "a\\ufffd");
    check("\x80x", 2, "\\ufffdx");                      /* lone continuation */
}


static void
test_worst_case_bound(void **state)
{
    unsigned char  in[40], out[GOVERN_JSON_ESCAPE_MAX(40)], *end;

    memset(in, 0x01, sizeof(in));
    end = govern_json_escape(out, in, sizeof(in));
    assert_int_equal(end - out, sizeof(out));

    memset(in, 0xff, sizeof(in));
    end = govern_json_escape(out, in, sizeof(in));
    assert_int_equal(end - out, sizeof(out));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_specials),
        cmocka_unit_test(test_utf8_kept),
        cmocka_unit_test(test_utf8_invalid),
        cmocka_unit_test(test_worst_case_bound),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
