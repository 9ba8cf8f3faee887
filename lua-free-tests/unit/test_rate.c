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


/*
 * One script call deciding n requests answers each as n calls in a row
 * would: govern_buckets_decide() against govern_buckets_take() run n
 * times at the same instant, over whole and fractional tokens, one and
 * two buckets, and more requests than tokens.
 */

static void
test_decide_as_calls_in_a_row(void **state)
{
    size_t                  i, b, nb, n, taken;
    uint64_t                retry, retry2;
    const double            starts[] = { 0, 0.25, 1, 2.5, 3, 7.9999, 10 };
    govern_bucket_t         seq[2];
    govern_bucket_t        *bs[2] = { &seq[0], &seq[1] };
    govern_limit_t          l[2] = { { 10, 10, 60000 },     /* 10r/m */
                                     { 4, 3, 1000 } };      /* 3r/s, 4 */
    govern_limit_state_t    st[2], st2[2];
    double                  tokens[2];
    int                     allowed[16], a;
    govern_limit_state_t    seen[16][2];
    uint64_t                retries[16];
    size_t                  s0, s1;

    for (nb = 1; nb <= 2; nb++) {
        for (s0 = 0; s0 < sizeof(starts) / sizeof(starts[0]); s0++) {
            for (s1 = 0; s1 < (nb == 2 ? 4 : 1); s1++) {
                tokens[0] = starts[s0];
                tokens[1] = starts[s1];
                if (tokens[1] > 4) {
                    tokens[1] = 4;
                }

                for (n = 1; n <= 12; n++) {
                    taken = 0;

                    for (b = 0; b < nb; b++) {
                        seq[b].tokens = tokens[b];
                        seq[b].ts_ms = 5000;
                    }

                    for (i = 0; i < n; i++) {
                        allowed[i] = govern_buckets_take(bs, l, nb, 5000,
                                                         seen[i],
                                                         &retries[i]);
                        taken += allowed[i];
                    }

                    for (i = 0; i < n; i++) {
                        a = govern_buckets_decide(l, tokens, nb, taken, i,
                                                  st, &retry);
                        assert_int_equal(a, allowed[i]);
                        assert_int_equal(retry, retries[i]);

                        for (b = 0; b < nb; b++) {
                            assert_int_equal(st[b].remaining,
                                             seen[i][b].remaining);
                            assert_int_equal(st[b].reset_ms,
                                             seen[i][b].reset_ms);
                        }
                    }
                }
            }
        }
    }

    /* the passing ones come first; the rest see what they left */
    tokens[0] = 2.5;
    assert_true(govern_buckets_decide(l, tokens, 1, 2, 1, st, &retry));
    assert_int_equal(st[0].remaining, 0);
    assert_false(govern_buckets_decide(l, tokens, 1, 2, 2, st2, &retry2));
    assert_int_equal(st2[0].remaining, 0);
    assert_int_equal(retry2, 3000);         /* half a token at 6 s each */
}


static void
test_unpack(void **state)
{
    const unsigned char  one[8] = { 0, 0, 0, 0, 0, 0, 0xf0, 0x3f };
    const unsigned char  half[8] = { 0, 0, 0, 0, 0, 0, 0xe0, 0x3f };

    assert_true(govern_rate_unpack(one) == 1.0);
    assert_true(govern_rate_unpack(half) == 0.5);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_bucket_capacity_and_refill),
        cmocka_unit_test(test_all_or_nothing),
        cmocka_unit_test(test_decide_as_calls_in_a_row),
        cmocka_unit_test(test_unpack),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
