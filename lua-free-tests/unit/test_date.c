/* Unit tests: lifecycle dates (ngx_http_govern_date.c). */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "govern_date.h"


static int64_t
parse(const char *s)
{
    int64_t  t;

    return govern_date_parse(s, strlen(s), &t) ? t : -1;
}


static void
test_dates(void **state)
{
    assert_int_equal(parse("1970-01-01"), 0);
    assert_int_equal(parse("2026-12-01"), 1796083200);
    assert_int_equal(parse("2024-02-29"), 1709164800);
    assert_int_equal(parse("2026-12-01T00:00:00Z"), 1796083200);
    assert_int_equal(parse("2026-12-01T01:00:00+01:00"), 1796083200);
    assert_int_equal(parse("2026-11-30T23:00:00-01:00"), 1796083200);
    assert_int_equal(parse("2026-12-01T00:00:00.123Z"), 1796083200);
}


static void
test_invalid(void **state)
{
    assert_int_equal(parse("2026-02-29"), -1);
    assert_int_equal(parse("2026-13-01"), -1);
    assert_int_equal(parse("2026-00-10"), -1);
    assert_int_equal(parse("2026-1-01"), -1);
    assert_int_equal(parse("1969-12-31"), -1);
    assert_int_equal(parse("2026-12-01T00:00:00"), -1);
    assert_int_equal(parse("2026-12-01T24:00:00Z"), -1);
    assert_int_equal(parse("2026-12-01T00:00:00.Z"), -1);
    assert_int_equal(parse("2026-12-01T00:00:00+1:00"), -1);
    assert_int_equal(parse("2026-12-01 00:00:00Z"), -1);
    assert_int_equal(parse("2026-12-01x"), -1);
    assert_int_equal(parse(""), -1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_invalid),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
