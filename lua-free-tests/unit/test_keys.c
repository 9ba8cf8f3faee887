/*
 * Unit tests: when the identity provider's key set is fetched
 * (govern_keys.c): first load, background refresh, unknown kids under
 * min_refresh, failures within and past stale, lost fetches, and the
 * freshness of Cache-Control.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "govern_keys.h"


#define S(s)  s, strlen(s)

#define SEC   1000


/* refresh 10m, min_refresh 30s, stale 24h, lease 60s: the defaults */
static const govern_keys_policy_t  policy = {
    600 * SEC, 30 * SEC, 86400 * SEC, 60 * SEC
};


static govern_keys_action_e
decide(govern_keys_state_t *st, int64_t now, govern_keys_need_e need,
    uint64_t *fetch, govern_keys_log_e *log)
{
    uint64_t           f;
    govern_keys_log_e  l;

    return govern_keys_decide(&policy, st, now, need, fetch ? fetch : &f,
                              log ? log : &l);
}


/* a state holding a set fetched at "at" with the default freshness */
static void
loaded(govern_keys_state_t *st, int64_t at)
{
    uint64_t           f;
    govern_keys_log_e  l;

    memset(st, 0, sizeof(*st));
    assert_int_equal(decide(st, at, GOVERN_KEYS_NEED_SET, &f, NULL),
                     GOVERN_KEYS_FETCH_WAIT);
    assert_int_equal(govern_keys_done(&policy, st, at, f, GOVERN_KEYS_OK, 1,
                                      -1, &l), 0);
}


static void
test_first_load(void **state)
{
    uint64_t             f1, f2;
    govern_keys_log_e    log;
    govern_keys_state_t  st;

    memset(&st, 0, sizeof(st));

    /* the first request starts the fetch and waits, so do the next */
    assert_int_equal(decide(&st, 5000, GOVERN_KEYS_NEED_SET, &f1, NULL),
                     GOVERN_KEYS_FETCH_WAIT);
    assert_int_equal(f1, 1);
    assert_int_equal(decide(&st, 5001, GOVERN_KEYS_NEED_SET, &f2, NULL),
                     GOVERN_KEYS_WAIT);
    assert_int_equal(f2, 0);
    assert_false(govern_keys_usable(&policy, &st, 5001));

    assert_int_equal(govern_keys_done(&policy, &st, 5100, f1,
                                      GOVERN_KEYS_OK, 1, 120, &log), 0);
    assert_int_equal(log, GOVERN_KEYS_LOG_NONE);
    assert_int_equal(st.generation, 1);
    assert_true(govern_keys_usable(&policy, &st, 5100));

    /* max-age 120 ms is below min_refresh: fresh for 30 s */
    assert_int_equal(st.expires, 5100 + 30 * SEC);
    assert_int_equal(decide(&st, 5200, GOVERN_KEYS_NEED_SET, NULL, NULL),
                     GOVERN_KEYS_USE);

    /* a second completion of the same fetch changes nothing */
    assert_int_equal(govern_keys_done(&policy, &st, 5300, f1,
                                      GOVERN_KEYS_OK, 1, -1, &log), -1);
    assert_int_equal(st.generation, 1);
}


static void
test_first_load_fails(void **state)
{
    uint64_t             f;
    govern_keys_log_e    log;
    govern_keys_state_t  st;

    memset(&st, 0, sizeof(st));

    assert_int_equal(decide(&st, 0, GOVERN_KEYS_NEED_SET, &f, NULL),
                     GOVERN_KEYS_FETCH_WAIT);
    assert_int_equal(govern_keys_done(&policy, &st, 10, f,
                                      GOVERN_KEYS_FAILED, 0, -1, &log), 0);
    assert_int_equal(log, GOVERN_KEYS_LOG_FAILING);

    /* no set and no fetch before min_refresh: the gateway's failure */
    assert_int_equal(decide(&st, 20, GOVERN_KEYS_NEED_SET, NULL, NULL),
                     GOVERN_KEYS_UNAVAILABLE);
    assert_int_equal(decide(&st, 20, GOVERN_KEYS_NEED_KID, NULL, NULL),
                     GOVERN_KEYS_UNAVAILABLE);

    /* then the next one tries again; a second failure is not logged */
    assert_int_equal(decide(&st, 30 * SEC, GOVERN_KEYS_NEED_SET, &f, NULL),
                     GOVERN_KEYS_FETCH_WAIT);
    assert_int_equal(govern_keys_done(&policy, &st, 30 * SEC, f,
                                      GOVERN_KEYS_FAILED, 0, -1, &log), 0);
    assert_int_equal(log, GOVERN_KEYS_LOG_NONE);

    assert_int_equal(decide(&st, 60 * SEC, GOVERN_KEYS_NEED_SET, &f, NULL),
                     GOVERN_KEYS_FETCH_WAIT);
    assert_int_equal(govern_keys_done(&policy, &st, 60 * SEC, f,
                                      GOVERN_KEYS_OK, 1, -1, &log), 0);
    assert_int_equal(log, GOVERN_KEYS_LOG_RECOVERED);
}


static void
test_background_refresh(void **state)
{
    uint64_t             f;
    govern_keys_log_e    log;
    govern_keys_state_t  st;

    loaded(&st, 0);

    assert_int_equal(decide(&st, 600 * SEC - 1, GOVERN_KEYS_NEED_SET, NULL,
                            NULL),
                     GOVERN_KEYS_USE);

    /* due: one request starts the refresh and goes on, the others too */
    assert_int_equal(decide(&st, 600 * SEC, GOVERN_KEYS_NEED_SET, &f, NULL),
                     GOVERN_KEYS_FETCH);
    assert_int_equal(f, 2);
    assert_int_equal(decide(&st, 600 * SEC + 1, GOVERN_KEYS_NEED_SET, &f,
                            NULL),
                     GOVERN_KEYS_USE);
    assert_int_equal(f, 0);

    /* the same set again: no new generation, fresh again */
    assert_int_equal(govern_keys_done(&policy, &st, 601 * SEC, 2,
                                      GOVERN_KEYS_OK, 0, 300 * 1000, &log),
                     0);
    assert_int_equal(st.generation, 1);
    assert_int_equal(st.expires, 901 * SEC);

    /* Cache-Control above refresh is bounded by it */
    assert_int_equal(govern_keys_ttl(&policy, 3600 * SEC), 600 * SEC);
    assert_int_equal(govern_keys_ttl(&policy, -1), 600 * SEC);
    assert_int_equal(govern_keys_ttl(&policy, 0), 30 * SEC);
}


static void
test_unknown_kid(void **state)
{
    int                  i, fetches;
    uint64_t             f;
    govern_keys_log_e    log;
    govern_keys_state_t  st;
    govern_keys_action_e  a;

    loaded(&st, 0);

    /* the set was fetched less than min_refresh ago: refused at once */
    assert_int_equal(decide(&st, 29 * SEC, GOVERN_KEYS_NEED_KID, NULL,
                            NULL),
                     GOVERN_KEYS_REFUSE);

    /* later: one fetch, and every request that asks meanwhile waits */
    assert_int_equal(decide(&st, 30 * SEC, GOVERN_KEYS_NEED_KID, &f, NULL),
                     GOVERN_KEYS_FETCH_WAIT);
    assert_int_equal(decide(&st, 30 * SEC + 5, GOVERN_KEYS_NEED_KID, NULL,
                            NULL),
                     GOVERN_KEYS_WAIT);
    assert_int_equal(govern_keys_done(&policy, &st, 31 * SEC, f,
                                      GOVERN_KEYS_OK, 1, -1, &log), 0);
    assert_int_equal(st.generation, 2);

    /* a flood of random kids over ten minutes: one fetch per 30 s */
    fetches = 0;

    for (i = 0; i < 600 * 100; i++) {
        a = decide(&st, 31 * SEC + i * 10, GOVERN_KEYS_NEED_KID, &f, NULL);

        if (a == GOVERN_KEYS_FETCH_WAIT) {
            fetches++;
            /* the provider answers at once, always the same set */
            assert_int_equal(govern_keys_done(&policy, &st,
                                              31 * SEC + i * 10, f,
                                              GOVERN_KEYS_OK, 0, -1, &log),
                             0);

        } else {
            assert_int_equal(a, GOVERN_KEYS_REFUSE);
        }
    }

    assert_true(fetches >= 19 && fetches <= 21);
    assert_int_equal(st.generation, 2);
}


static void
test_stale(void **state)
{
    uint64_t             f;
    govern_keys_log_e    log;
    govern_keys_state_t  st;

    loaded(&st, 0);

    /* the refresh fails: logged once, the set stays in force */
    assert_int_equal(decide(&st, 600 * SEC, GOVERN_KEYS_NEED_SET, &f, NULL),
                     GOVERN_KEYS_FETCH);
    assert_int_equal(govern_keys_done(&policy, &st, 601 * SEC, f,
                                      GOVERN_KEYS_FAILED, 0, -1, &log), 0);
    assert_int_equal(log, GOVERN_KEYS_LOG_FAILING);

    assert_int_equal(decide(&st, 620 * SEC, GOVERN_KEYS_NEED_SET, &f, NULL),
                     GOVERN_KEYS_USE);
    assert_int_equal(decide(&st, 631 * SEC, GOVERN_KEYS_NEED_SET, &f, NULL),
                     GOVERN_KEYS_FETCH);
    assert_int_equal(govern_keys_done(&policy, &st, 632 * SEC, f,
                                      GOVERN_KEYS_FAILED, 0, -1, &log), 0);
    assert_int_equal(log, GOVERN_KEYS_LOG_NONE);
    assert_true(govern_keys_usable(&policy, &st, 600 * SEC + 86400 * SEC
                                                 - 1));

    /* past stale: unusable, logged once, and not waited for while a
     * fetch may not start */
    assert_int_equal(decide(&st, 600 * SEC + 86400 * SEC,
                            GOVERN_KEYS_NEED_SET, &f, &log),
                     GOVERN_KEYS_FETCH_WAIT);
    assert_int_equal(log, GOVERN_KEYS_LOG_EXPIRED);
    assert_int_equal(govern_keys_done(&policy, &st,
                                      600 * SEC + 86400 * SEC, f,
                                      GOVERN_KEYS_FAILED, 0, -1, &log), 0);
    assert_int_equal(decide(&st, 600 * SEC + 86400 * SEC + 1,
                            GOVERN_KEYS_NEED_SET, &f, &log),
                     GOVERN_KEYS_UNAVAILABLE);
    assert_int_equal(log, GOVERN_KEYS_LOG_NONE);

    /* a location with file keys too goes on with them */
    assert_int_equal(decide(&st, 600 * SEC + 86400 * SEC + 2,
                            GOVERN_KEYS_NEED_ANY, &f, &log),
                     GOVERN_KEYS_USE);

    /* the provider is back */
    assert_int_equal(decide(&st, 700 * SEC + 86400 * SEC,
                            GOVERN_KEYS_NEED_SET, &f, &log),
                     GOVERN_KEYS_FETCH_WAIT);
    assert_int_equal(govern_keys_done(&policy, &st, 700 * SEC + 86400 * SEC,
                                      f, GOVERN_KEYS_OK, 0, -1, &log), 0);
    assert_int_equal(log, GOVERN_KEYS_LOG_RECOVERED);
    assert_false(st.expired);
    assert_int_equal(decide(&st, 701 * SEC + 86400 * SEC,
                            GOVERN_KEYS_NEED_SET, &f, &log),
                     GOVERN_KEYS_USE);
}


static void
test_lost_and_aborted(void **state)
{
    uint64_t             f, f2;
    govern_keys_log_e    log;
    govern_keys_state_t  st;

    loaded(&st, 0);

    assert_int_equal(decide(&st, 600 * SEC, GOVERN_KEYS_NEED_SET, &f, NULL),
                     GOVERN_KEYS_FETCH);

    /* its worker died: after the lease the next decision clears it */
    assert_int_equal(decide(&st, 659 * SEC, GOVERN_KEYS_NEED_KID, NULL,
                            NULL),
                     GOVERN_KEYS_WAIT);
    assert_int_equal(decide(&st, 660 * SEC, GOVERN_KEYS_NEED_KID, &f2, &log),
                     GOVERN_KEYS_FETCH_WAIT);
    assert_int_equal(log, GOVERN_KEYS_LOG_LOST);
    assert_int_equal(f2, f + 1);

    /* the lost one ends after all: ignored */
    assert_int_equal(govern_keys_done(&policy, &st, 661 * SEC, f,
                                      GOVERN_KEYS_OK, 1, -1, &log), -1);
    assert_true(st.fetching);

    /* aborted: no failure to log, no new set, next try after
     * min_refresh */
    assert_int_equal(govern_keys_done(&policy, &st, 661 * SEC, f2,
                                      GOVERN_KEYS_ABORTED, 0, -1, &log), 0);
    assert_int_equal(log, GOVERN_KEYS_LOG_NONE);
    assert_false(st.failing);
    assert_int_equal(st.generation, 1);
    assert_int_equal(decide(&st, 662 * SEC, GOVERN_KEYS_NEED_KID, NULL,
                            NULL),
                     GOVERN_KEYS_REFUSE);
}


static void
test_max_age(void **state)
{
    assert_int_equal(govern_http_max_age(S("max-age=300")), 300);
    assert_int_equal(govern_http_max_age(S("public, max-age=86400")), 86400);
    assert_int_equal(govern_http_max_age(S("Max-Age = 60 , must-revalidate")),
                     60);
    assert_int_equal(govern_http_max_age(S("max-age=\"45\"")), 45);
    assert_int_equal(govern_http_max_age(S("max-age=10, s-maxage=20")), 20);
    assert_int_equal(govern_http_max_age(S("s-maxage=5,max-age=10")), 5);
    assert_int_equal(govern_http_max_age(S("no-cache")), 0);
    assert_int_equal(govern_http_max_age(S("max-age=60, no-store")), 0);
    assert_int_equal(govern_http_max_age(S("private")), -1);
    assert_int_equal(govern_http_max_age(S("")), -1);
    assert_int_equal(govern_http_max_age(S("max-age=")), -1);
    assert_int_equal(govern_http_max_age(S("max-age=-5")), -1);
    assert_int_equal(govern_http_max_age(S("max-age=1e3")), -1);
    assert_int_equal(govern_http_max_age(S("max-ages=10")), -1);
    assert_int_equal(govern_http_max_age(S("x-max-age=10")), -1);
    assert_int_equal(govern_http_max_age(S("no-cache-x=1, max-age=7")), 7);
    assert_true(govern_http_max_age(S("max-age=99999999999999999999"))
                >= 1000000000000LL);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_load),
        cmocka_unit_test(test_first_load_fails),
        cmocka_unit_test(test_background_refresh),
        cmocka_unit_test(test_unknown_kid),
        cmocka_unit_test(test_stale),
        cmocka_unit_test(test_lost_and_aborted),
        cmocka_unit_test(test_max_age),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
