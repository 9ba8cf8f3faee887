/* Unit tests: scope matching (ngx_http_govern_scopes.c). */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "govern_scopes.h"


#define G(s)  s, strlen(s)


static void
test_exact_tokens(void **state)
{
    assert_true(govern_scope_granted(G("a b c"), "b"));
    assert_true(govern_scope_granted(G("a b c"), "c"));
    assert_false(govern_scope_granted(G("a bb c"), "b"));
    assert_false(govern_scope_granted(G("orders:writer"),
                                      "orders:write"));
    assert_false(govern_scope_granted(G("ORDERS"), "orders"));
    assert_false(govern_scope_granted(G(""), "a"));
}


static void
test_alternatives(void **state)
{
    size_t  closest;

    static const char  *one[] = { "orders:write" };
    static const char  *two[] = { "stock:read", "stock:write" };
    static const char  *three[] = { "admin" };

    govern_scope_set_t           alts[] = {
        { one, 1 }, { two, 2 }, { three, 1 }
    };

    assert_int_equal(govern_scopes_match(G("admin"), alts, 3,
                                         &closest), 2);
    assert_int_equal(govern_scopes_match(G("stock:write stock:read"),
                                         alts, 3, &closest), 1);
    assert_int_equal(govern_scopes_match(G("stock:read"), alts, 3,
                                         &closest), -1);
    assert_int_equal(closest, 0);   /* ties: the first line */
    assert_int_equal(govern_scopes_missing(G("stock:read"),
                                           &alts[1]), 1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_exact_tokens),
        cmocka_unit_test(test_alternatives),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
