/*
 * Unit tests: base64url, key loading, token decoding and claim rules
 * (ngx_http_govern_jwk.c, ngx_http_govern_jwt.c).  The tokens below were
 * minted by PyJWT 2.6 with the HS256 secret "k" x 32.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "govern_jwt.h"


#define SECRET  "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"

#define TOKEN_FULL                                                           \
    "eyJhbGciOiJIUzI1NiIsImtpZCI6ImgxIiwidHlwIjoiSldUIn0."                   \
    "eyJpc3MiOiJpIiwiYXVkIjpbIngiLCJnb3Zlcm4iXSwic3ViIjoiYWNtZSIsImV4cCI6"   \
    "NDEwMjQ0NDgwMCwibmJmIjoxLCJpYXQiOjEsImp0aSI6ImoxIiwic2NvcGUiOiJhIGIi"   \
    "LCJzY3AiOlsiYiIsImMiXX0."                                               \
    "U5pQvZn8pvHkefD4i3pPlL749l_nG5BfUQ5ubKw7lLw"

#define TOKEN_NO_KID                                                         \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."                                  \
    "eyJpc3MiOiJpIiwiYXVkIjoiZ292ZXJuIiwiZXhwIjo0MTAyNDQ0ODAwfQ."            \
    "VWgTQ822nV8BUf4lj_bj22OF76z--HZlwkDyJjqRtMU"


static void *
test_alloc(void *ctx, size_t size)
{
    void  **list = ctx;
    void   *p;

    p = malloc(size);

    /* remember every block so the test frees them: 255 at most, the
     * 256th entry stays NULL */
    for ( ; *list; list++) { /* void */ }
    assert_true(list - (void **) ctx < 255);
    *list = p;

    return p;
}


static void
free_all(void **list)
{
    for ( ; *list; list++) {
        free(*list);
        *list = NULL;
    }
}


static void
load_secret(govern_jwt_keys_t *keys, const char *kid)
{
    char  err[256];

    assert_int_equal(govern_jwt_keys_load_buf(keys,
                         (const unsigned char *) SECRET "\n",
                         sizeof(SECRET), "HS256", kid, err, sizeof(err)),
                     0);
}


static void
test_base64url(void **state)
{
    unsigned char  out[16];

    assert_int_equal(govern_base64url_decode(out,
                         (const unsigned char *) "aGVsbG8", 7), 5);
    assert_memory_equal(out, "hello", 5);
    assert_int_equal(govern_base64url_decode(out,
                         (const unsigned char *) "-_8", 3), 2);
    assert_int_equal(out[0], 0xfb);
    assert_int_equal(out[1], 0xff);
    assert_int_equal(govern_base64url_decode(out,
                         (const unsigned char *) "", 0), 0);

    /* padding, the standard alphabet, impossible length, stray bits */
    assert_int_equal(govern_base64url_decode(out,
                         (const unsigned char *) "aGVsbG8=", 8), (size_t) -1);
    assert_int_equal(govern_base64url_decode(out,
                         (const unsigned char *) "a+/b", 4), (size_t) -1);
    assert_int_equal(govern_base64url_decode(out,
                         (const unsigned char *) "aGVsb", 5), (size_t) -1);
    assert_int_equal(govern_base64url_decode(out,
                         (const unsigned char *) "aGVsbG9", 7), (size_t) -1);
}


static void
test_decode_and_validate(void **state)
{
    void                          *blocks[256] = { NULL };
    const char                    *detail;
    govern_jwt_keys_t              keys = { NULL, 0 };
    govern_jwt_rules_t             rules;
    govern_jwt_claims_t            c;

    static const char *const  issuers[] = { "other", "i", NULL };
    static const char *const  audiences[] = { "govern", NULL };
    static const char *const  wrong[] = { "nobody", NULL };

    load_secret(&keys, "h1");

    assert_int_equal(govern_jwt_decode(
                         (const unsigned char *) TOKEN_FULL,
                         strlen(TOKEN_FULL), &keys, "sub", test_alloc,
                         blocks, &c, &detail),
                     GOVERN_REASON_NONE);

    assert_string_equal(c.sub.data, "acme");
    assert_string_equal(c.partner.data, "acme");
    assert_string_equal(c.kid.data, "h1");
    assert_string_equal(c.jti.data, "j1");
    assert_string_equal(c.scopes.data, "a b c");
    assert_int_equal(c.aud.len, sizeof("x\0govern"));
    assert_int_equal(c.exp, 4102444800LL);
    assert_true(c.has_nbf && c.has_iat);
    assert_memory_equal(c.key_fingerprint, keys.keys[0].fingerprint, 32);

    rules.now = 1700000000;
    rules.leeway = 30;
    rules.issuers = issuers;
    rules.audiences = audiences;

    assert_int_equal(govern_jwt_validate(&c, &rules, &detail),
                     GOVERN_REASON_NONE);

    rules.now = 4102444800LL + 30;
    assert_int_equal(govern_jwt_validate(&c, &rules, &detail),
                     GOVERN_REASON_TOKEN_EXPIRED);

    rules.now = 4102444800LL + 29;
    assert_int_equal(govern_jwt_validate(&c, &rules, &detail),
                     GOVERN_REASON_NONE);

    rules.now = 1700000000;
    rules.issuers = wrong;
    assert_int_equal(govern_jwt_validate(&c, &rules, &detail),
                     GOVERN_REASON_TOKEN_ISSUER);

    rules.issuers = issuers;
    rules.audiences = wrong;
    assert_int_equal(govern_jwt_validate(&c, &rules, &detail),
                     GOVERN_REASON_TOKEN_AUDIENCE);

    free_all(blocks);

    /* no sub: decoded, but the partner rule refuses it */
    rules.audiences = audiences;
    assert_int_equal(govern_jwt_decode(
                         (const unsigned char *) TOKEN_NO_KID,
                         strlen(TOKEN_NO_KID), &keys, "sub", test_alloc,
                         blocks, &c, &detail),
                     GOVERN_REASON_NONE);
    assert_int_equal(govern_jwt_validate(&c, &rules, &detail),
                     GOVERN_REASON_TOKEN_PARTNER);

    free_all(blocks);
    govern_jwt_keys_free(&keys);
}


static void
test_decode_refusals(void **state)
{
    char                          *t;
    void                          *blocks[256] = { NULL };
    const char                    *detail;
    govern_jwt_keys_t              keys = { NULL, 0 };
    govern_jwt_claims_t            c;

#define decode(tok)                                                          \
    govern_jwt_decode((const unsigned char *) (tok), strlen(tok),   \
                      &keys, "sub", test_alloc, blocks, &c, &detail)

    load_secret(&keys, "other-kid");

    /* the token's kid is unknown here */
    assert_int_equal(decode(TOKEN_FULL),
                     GOVERN_REASON_TOKEN_SIGNATURE);

    /* a token without kid tries the HS256 key and verifies */
    assert_int_equal(decode(TOKEN_NO_KID), GOVERN_REASON_NONE);
    free_all(blocks);

    t = strdup(TOKEN_NO_KID);
    t[strlen(t) - 2] = (t[strlen(t) - 2] == 'A') ? 'B' : 'A';
    assert_int_equal(decode(t), GOVERN_REASON_TOKEN_SIGNATURE);
    free(t);

    /* {"alg":"none"}.{}. and {"alg":"HS256"} with garbage */
    assert_int_equal(decode("eyJhbGciOiJub25lIn0.e30."),
                     GOVERN_REASON_TOKEN_ALG);
    assert_int_equal(decode("eyJhbGciOiJub25lIn0.e30"),
                     GOVERN_REASON_TOKEN_MALFORMED);
    assert_int_equal(decode("a.b.c.d"),
                     GOVERN_REASON_TOKEN_MALFORMED);
    assert_int_equal(decode(""), GOVERN_REASON_TOKEN_MALFORMED);
    assert_int_equal(decode("e30.e30.e30"),
                     GOVERN_REASON_TOKEN_MALFORMED);

    /* RS256 header, but only an HS256 key: no key pinned to RS256 */
    assert_int_equal(decode("eyJhbGciOiJSUzI1NiJ9.e30.AAAA"),
                     GOVERN_REASON_TOKEN_ALG);

#undef decode

    /* refusals leave what they parsed in the caller's memory, as a
     * request pool holds it */
    free_all(blocks);
    govern_jwt_keys_free(&keys);
}


static void
test_key_loading_errors(void **state)
{
    char                         err[256];
    govern_jwt_keys_t            keys = { NULL, 0 };

#define load(buf, alg, kid)                                                  \
    govern_jwt_keys_load_buf(&keys, (const unsigned char *) (buf), \
                             strlen(buf), alg, kid, err,            \
                             sizeof(err))

    assert_int_equal(load("short", "HS256", NULL), -1);
    assert_non_null(strstr(err, "shorter than the hash"));

    assert_int_equal(load(SECRET, NULL, NULL), -1);
    assert_string_equal(err, "a PEM key or a secret needs alg=");

    assert_int_equal(load(SECRET, "none", NULL), -1);
    assert_string_equal(err, "unknown algorithm \"none\"");

    assert_int_equal(load("{\"keys\":[{\"kty\":\"oct\",\"k\":\"a2tr\"}]}",
                          NULL, NULL), -1);
    assert_non_null(strstr(err, "has no \"alg\""));

    assert_int_equal(load("{\"keys\":[{\"kty\":\"oct\",\"alg\":\"HS256\","
                          "\"k\":\"a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tr"
                          "a2tra2tr\",\"kid\":\"a\"},{\"kty\":\"oct\","
                          "\"alg\":\"HS256\",\"k\":\"a2tra2tra2tra2tra2tra2tra"
                          "2tra2tra2tra2tra2tra2tr\",\"kid\":\"a\"}]}",
                          NULL, NULL), -1);
    assert_string_equal(err, "duplicate kid \"a\"");

    assert_int_equal(load("{\"keys\":[{\"kty\":\"EC\",\"alg\":\"ES256\","
                          "\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\"}]}",
                          NULL, NULL), -1);
    assert_non_null(strstr(err, "wrong size"));

    assert_int_equal(load("{\"keys\": [", NULL, NULL), -1);
    assert_non_null(strstr(err, "malformed JWKS"));

#undef load

    govern_jwt_keys_free(&keys);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_base64url),
        cmocka_unit_test(test_decode_and_validate),
        cmocka_unit_test(test_decode_refusals),
        cmocka_unit_test(test_key_loading_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
