/* Unit tests: request ids and W3C traceparent (ngx_http_govern_ids.c). */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "govern_ids.h"


#define S(s)  (const unsigned char *) (s), strlen(s)

#define VALID_TP  "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


static void
test_request_id(void **state)
{
    char  id[80];

    assert_true(govern_request_id_valid(S("abc-1")));
    assert_true(govern_request_id_valid(S("A.b_c-9")));
    assert_false(govern_request_id_valid(S("")));
    assert_false(govern_request_id_valid(S("bad id")));
    assert_false(govern_request_id_valid(S("x\"y")));
    assert_false(govern_request_id_valid(S("a\r\nb")));
    assert_false(govern_request_id_valid(S("caf\xc3\xa9")));
    assert_false(govern_request_id_valid(S("a/b")));

    memset(id, 'a', sizeof(id));
    assert_true(govern_request_id_valid((unsigned char *) id, 64));
    assert_false(govern_request_id_valid((unsigned char *) id, 65));
}


static void
test_traceparent_valid(void **state)
{
    unsigned char                  out[GOVERN_TRACEPARENT_LEN];
    govern_traceparent_t           tp;

    assert_true(govern_traceparent_parse(S(VALID_TP), &tp));
    assert_memory_equal(tp.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736", 32);
    assert_memory_equal(tp.parent_id, "00f067aa0ba902b7", 16);
    assert_memory_equal(tp.flags, "01", 2);

    govern_traceparent_format(out, &tp);
    assert_memory_equal(out, VALID_TP, sizeof(out));

    /* a future version may carry more fields */
    assert_true(govern_traceparent_parse(
        S("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what"),
        &tp));
    assert_true(govern_traceparent_parse(
        S("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), &tp));
}


static void
test_traceparent_invalid(void **state)
{
    govern_traceparent_t           tp;

    /* version ff, upper case, all-zero ids, bad lengths and separators */
    assert_false(govern_traceparent_parse(
        S("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), &tp));
    assert_false(govern_traceparent_parse(
        S("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"), &tp));
    assert_false(govern_traceparent_parse(
        S("00-00000000000000000000000000000000-00f067aa0ba902b7-01"), &tp));
    assert_false(govern_traceparent_parse(
        S("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"), &tp));
    assert_false(govern_traceparent_parse(
        S("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x"),
        &tp));
    assert_false(govern_traceparent_parse(
        S("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0"), &tp));
    assert_false(govern_traceparent_parse(
        S("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), &tp));
    assert_false(govern_traceparent_parse(
        S("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x"),
        &tp));
    assert_false(govern_traceparent_parse(
        S("0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), &tp));
    assert_false(govern_traceparent_parse(S(""), &tp));
}


static void
test_hex(void **state)
{
    unsigned char  out[8];
    unsigned char  in[4] = { 0x00, 0x9f, 0xa0, 0xff };

    govern_hex(out, in, 4);
    assert_memory_equal(out, "009fa0ff", 8);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_request_id),
        cmocka_unit_test(test_traceparent_valid),
        cmocka_unit_test(test_traceparent_invalid),
        cmocka_unit_test(test_hex),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
