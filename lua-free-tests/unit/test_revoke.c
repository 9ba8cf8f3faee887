/*
 * Unit tests: the Redis keys and verdicts of revocation
 * (govern_revoke.c): the partner is the hash tag, bytes are kept as they
 * are, the script's kinds map to verdicts.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "govern_revoke.h"


static void
test_keys(void **state)
{
    char    buf[128];
    size_t  n;

    n = govern_revoke_key(buf, "acme", 4);
    assert_int_equal(n, GOVERN_REVOKE_KEY_LEN(4));
    assert_memory_equal(buf, "govern:{acme}:revoked", n);

    n = govern_revoke_jti_key(buf, "acme", 4, "a1b2", 4);
    assert_int_equal(n, GOVERN_REVOKE_JTI_KEY_LEN(4, 4));
    assert_memory_equal(buf, "govern:{acme}:jti:a1b2", n);

    /* any bytes of a verified claim, NUL and braces included */
    n = govern_revoke_jti_key(buf, "a\0b", 3, "{x}\0", 4);
    assert_int_equal(n, sizeof("govern:{a\0b}:jti:{x}\0") - 1);
    assert_memory_equal(buf, "govern:{a\0b}:jti:{x}\0", n);
}


static void
test_verdicts(void **state)
{
    assert_int_equal(govern_revoke_kind(1), GOVERN_REVOKE_PARTNER);
    assert_int_equal(govern_revoke_kind(2), GOVERN_REVOKE_IAT);
    assert_int_equal(govern_revoke_kind(3), GOVERN_REVOKE_JTI);
    assert_int_equal(govern_revoke_kind(0), GOVERN_REVOKE_UNKNOWN);
    assert_int_equal(govern_revoke_kind(4), GOVERN_REVOKE_UNKNOWN);
    assert_int_equal(govern_revoke_kind(-1), GOVERN_REVOKE_UNKNOWN);

    assert_string_equal(govern_revoke_name(GOVERN_REVOKE_PASSED), "passed");
    assert_string_equal(govern_revoke_name(GOVERN_REVOKE_UNCHECKED),
                        "unchecked");
    assert_string_equal(govern_revoke_name(GOVERN_REVOKE_PARTNER),
                        "partner");
    assert_string_equal(govern_revoke_name(GOVERN_REVOKE_IAT), "iat");
    assert_string_equal(govern_revoke_name(GOVERN_REVOKE_JTI), "jti");
    assert_null(govern_revoke_name(GOVERN_REVOKE_UNKNOWN));
    assert_null(govern_revoke_name((govern_revoke_e) 99));
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_verdicts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
