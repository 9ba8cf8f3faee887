/* Unit tests: rate parsing and token buckets (ngx_http_govern_rate.c). */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "govern_rate.h"


#define S(s)  s, strlen(s)


static void
test_parse(void **state)
{
    govern_rate_t           r;

    assert_true(govern_rate_parse(S("20r/s"), &r));
    assert_int_equal(r.count, 20);
    assert_int_equal(r.period_ms, 1000);
    assert_true(govern_rate_parse(S("600r/m"), &r));
    assert_int_equal(r.period_ms, 60000);
    assert_true(govern_rate_parse(S("1000r/h"), &r));
    assert_int_equal(r.period_ms, 3600000);
    assert_true(govern_rate_parse(S("50000r/d"), &r));
    assert_int_equal(r.period_ms, 86400000);

    assert_false(govern_rate_parse(S("0r/s"), &r));
    assert_false(govern_rate_parse(S("r/s"), &r));
    assert_false(govern_rate_parse(S("10r/x"), &r));
    assert_false(govern_rate_parse(S("10/s"), &r));
    assert_false(govern_rate_parse(S("10r/ss"), &r));
    assert_false(govern_rate_parse(S("-1r/s"), &r));
    assert_false(govern_rate_parse(S("99999999999999r/s"), &r));
}


static void
test_bucket_capacity_and_refill(void **state)
{
    int                             i;
    uint64_t                        retry;
    govern_bucket_t                 b = { 0, 0 };
    govern_bucket_t                *bp = &b;
    govern_limit_t                  l = { 3, 60, 60000 };   /* 60r/m, 3 */
    govern_limit_state_t            st;

    for (i = 0; i < 3; i++) {
        assert_true(govern_buckets_take(&bp, &l, 1, 1000, &st,
                                        &retry));
    }

    assert_int_equal(st.remaining, 0);
    assert_false(govern_buckets_take(&bp, &l, 1, 1000, &st,
                                     &retry));
    assert_int_equal(retry, 1000);          /* one token a second */

    /* refused requests took nothing: one second later, one token */
    assert_true(govern_buckets_take(&bp, &l, 1, 2000, &st,
                                    &retry));
    assert_false(govern_buckets_take(&bp, &l, 1, 2000, &st,
                                     &retry));

    /* never above capacity */
    assert_true(govern_buckets_take(&bp, &l, 1, 1000000, &st,
                                    &retry));
    assert_int_equal(st.remaining, 2);
}


static void
test_all_or_nothing(void **state)
{
    uint64_t                        retry;
    govern_bucket_t                 a = { 0, 0 }, b = { 0, 0 };
    govern_bucket_t                *bs[2] = { &a, &b };
    govern_limit_t                  l[2] = { { 5, 5, 1000 },
                                             { 1, 1, 3600000 } };
    govern_limit_state_t            st[2];

    assert_true(govern_buckets_take(bs, l, 2, 1, st, &retry));
    assert_false(govern_buckets_take(bs, l, 2, 1, st, &retry));

    /* the roomy bucket kept its tokens: 4 of 5 */
    assert_int_equal(st[0].remaining, 4);
    assert_int_equal(st[1].remaining, 0);
    assert_int_equal(retry, 3600000);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_bucket_capacity_and_refill),
        cmocka_unit_test(test_all_or_nothing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
