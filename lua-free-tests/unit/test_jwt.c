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

#include <openssl/evp.h>

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


static void
count_skip(void *data, const char *why)
{
    int  *n = data;

    assert_non_null(strstr(why, "JWKS key #"));
    (*n)++;
}


#define OCT_K  "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s"

/* a provider's JWKS: one usable key among keys that cannot serve */

static void
test_fetched_jwks(void **state)
{
    int                          skipped;
    char                         err[256];
    const char                  *jwks;
    govern_jwt_keys_t            keys = { NULL, 0 };

/* oct keys allowed, as a file's: a fetched set's refusal is below */
#define from(buf, alg)                                                        \
    govern_jwt_keys_from_jwks(&keys, (const unsigned char *) (buf),           \
                              strlen(buf), alg, "request:/jwks", 1,           \
                              count_skip, &skipped, err, sizeof(err))

    jwks = "{\"keys\":["
           "{\"kty\":\"RSA\",\"use\":\"enc\",\"alg\":\"RSA-OAEP\","
           "\"kid\":\"e\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
           "{\"kty\":\"oct\",\"kid\":\"noalg\",\"k\":\"" OCT_K "\"},"
           "{\"kty\":\"EC\",\"alg\":\"ES256\",\"crv\":\"secp256k1\","
           "\"kid\":\"k1\",\"x\":\"AA\",\"y\":\"AA\"},"
           "{\"kty\":\"oct\",\"alg\":\"HS256\",\"kid\":\"h1\","
           "\"k\":\"" OCT_K "\"},"
           "{\"kty\":\"oct\",\"alg\":\"HS256\",\"kid\":\"h1\","
           "\"k\":\"" OCT_K "\"},"
           "\"not a key\"]}";

    skipped = 0;
    assert_int_equal(from(jwks, NULL), 0);
    assert_int_equal(keys.nkeys, 1);
    assert_int_equal(skipped, 5);
    assert_string_equal(keys.keys[0].kid, "h1");
    assert_string_equal(keys.keys[0].source, "request:/jwks");
    govern_jwt_keys_free(&keys);

    /* alg= pins the keys without "alg" (Entra ID publishes none) */
    skipped = 0;
    assert_int_equal(from(jwks, "HS256"), 0);
    assert_int_equal(keys.nkeys, 2);
    assert_int_equal(skipped, 4);
    assert_string_equal(keys.keys[0].kid, "noalg");
    govern_jwt_keys_free(&keys);

    /* from a URL, a secret is no secret: every oct key is skipped */
    skipped = 0;
    assert_int_equal(govern_jwt_keys_from_jwks(&keys,
                         (const unsigned char *) jwks, strlen(jwks), "HS256",
                         "request:/jwks", 0, count_skip, &skipped, err,
                         sizeof(err)), 0);
    assert_int_equal(keys.nkeys, 0);
    assert_int_equal(skipped, 6);
    govern_jwt_keys_free(&keys);

    /* not a JWKS at all */
    assert_int_equal(from("<html>", NULL), -1);
    assert_non_null(strstr(err, "not JSON"));
    assert_int_equal(from("{\"keys\":{}}", NULL), -1);
    assert_non_null(strstr(err, "no \"keys\" array"));
    assert_int_equal(from("[]", NULL), -1);
    assert_int_equal(from("{\"keys\":[],\"keys\":[]}", NULL), -1);
    assert_int_equal(from("{\"keys\":[]}", "none"), -1);

    /* an empty set is a JWKS, of no key */
    assert_int_equal(from("{\"keys\":[]}", NULL), 0);
    assert_int_equal(keys.nkeys, 0);

#undef from

    govern_jwt_keys_free(&keys);
}


/* several sets: a kid names the first set's key; an unknown kid says so */

static void
test_decode_sets(void **state)
{
    char                         err[256];
    void                        *blocks[256] = { NULL };
    govern_jwt_keys_t            files = { NULL, 0 }, fetched = { NULL, 0 };
    govern_jwt_claims_t          claims;
    govern_jwt_result_t          result;
    const govern_jwt_keys_t     *sets[2];

    assert_int_equal(govern_jwt_keys_load_buf(&files,
                         (const unsigned char *) SECRET "x", sizeof(SECRET),
                         "HS256", "other", err, sizeof(err)), 0);
    assert_int_equal(govern_jwt_keys_from_jwks(&fetched,
                         (const unsigned char *) "{\"keys\":[{\"kty\":\"oct\","
                         "\"alg\":\"HS256\",\"kid\":\"h1\",\"k\":\"" OCT_K
                         "\"}]}", sizeof("{\"keys\":[{\"kty\":\"oct\","
                         "\"alg\":\"HS256\",\"kid\":\"h1\",\"k\":\"" OCT_K
                         "\"}]}") - 1, NULL, "request:/jwks", 1, NULL,
                         NULL, err, sizeof(err)), 0);

    sets[0] = &files;
    sets[1] = &fetched;

    assert_int_equal(govern_jwt_decode_sets((const unsigned char *)
                         TOKEN_FULL, strlen(TOKEN_FULL), sets, 2, "sub", NULL,
                         test_alloc, blocks, &claims, &result),
                     GOVERN_REASON_NONE);
    assert_ptr_equal(result.key, &fetched.keys[0]);
    assert_string_equal(result.key->source, "request:/jwks");
    assert_false(result.unknown_kid);
    free_all(blocks);

    /* without kid: every key of the alg, in every set */
    assert_int_equal(govern_jwt_decode_sets((const unsigned char *)
                         TOKEN_NO_KID, strlen(TOKEN_NO_KID), sets, 2, "sub",
                         NULL, test_alloc, blocks, &claims, &result),
                     GOVERN_REASON_NONE);
    assert_ptr_equal(result.key, &fetched.keys[0]);
    free_all(blocks);

    /* the kid is in no set: a refetch may bring it */
    assert_int_equal(govern_jwt_decode_sets((const unsigned char *)
                         TOKEN_FULL, strlen(TOKEN_FULL), sets, 1, "sub", NULL,
                         test_alloc, blocks, &claims, &result),
                     GOVERN_REASON_TOKEN_SIGNATURE);
    assert_true(result.unknown_kid);
    assert_null(result.key);
    free_all(blocks);

    /* a known kid whose signature fails is not an unknown kid */
    sets[1] = &files;
    govern_jwt_keys_free(&fetched);
    assert_int_equal(govern_jwt_keys_load_buf(&fetched,
                         (const unsigned char *) SECRET "y", sizeof(SECRET),
                         "HS256", "h1", err, sizeof(err)), 0);
    sets[0] = &fetched;
    assert_int_equal(govern_jwt_decode_sets((const unsigned char *)
                         TOKEN_FULL, strlen(TOKEN_FULL), sets, 2, "sub", NULL,
                         test_alloc, blocks, &claims, &result),
                     GOVERN_REASON_TOKEN_SIGNATURE);
    assert_false(result.unknown_kid);
    assert_string_equal(result.detail, "the signature does not verify");
    free_all(blocks);

    govern_jwt_keys_free(&files);
    govern_jwt_keys_free(&fetched);
}


/* the cache key binds the signature; the signing input's hash is SHA-256 */

static void
test_digests(void **state)
{
    size_t           dot;
    unsigned char    key[32], key2[32], si[32], si2[32], want[32];
    char             forged[sizeof(TOKEN_FULL)];
    unsigned int     n;

    assert_int_equal(govern_jwt_digests((const unsigned char *) TOKEN_FULL,
                                        strlen(TOKEN_FULL), key, si), 0);

    dot = strrchr(TOKEN_FULL, '.') - TOKEN_FULL;
    assert_true(EVP_Digest(TOKEN_FULL, dot, want, &n, EVP_sha256(), NULL));
    assert_memory_equal(si, want, 32);

    /* another signature: the same signing input, another key */
    memcpy(forged, TOKEN_FULL, sizeof(TOKEN_FULL));
    forged[sizeof(TOKEN_FULL) - 2] ^= 1;
    assert_int_equal(govern_jwt_digests((const unsigned char *) forged,
                                        strlen(forged), key2, si2), 0);
    assert_memory_equal(si, si2, 32);
    assert_memory_not_equal(key, key2, 32);

    /* the signature stripped is not the token either */
    assert_int_equal(govern_jwt_digests((const unsigned char *) TOKEN_FULL,
                                        dot + 1, key2, si2), 0);
    assert_memory_not_equal(key, key2, 32);
    assert_int_equal(govern_jwt_digests((const unsigned char *) "nodot", 5,
                                        key2, si2), 0);
}


/* base64url, four characters at a time, against the byte-wise rules */

static void
test_base64url_lengths(void **state)
{
    size_t          i, len, n;
    unsigned char   raw[64], out[64];
    char            enc[100];
    static const char  alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    for (i = 0; i < sizeof(raw); i++) {
        raw[i] = (unsigned char) (i * 37 + 11);
    }

    for (len = 0; len <= 48; len++) {
        /* encode len bytes, unpadded */
        n = 0;

        for (i = 0; i + 3 <= len; i += 3) {
            enc[n++] = alphabet[raw[i] >> 2];
            enc[n++] = alphabet[((raw[i] & 3) << 4) | (raw[i + 1] >> 4)];
            enc[n++] = alphabet[((raw[i + 1] & 15) << 2) | (raw[i + 2] >> 6)];
            enc[n++] = alphabet[raw[i + 2] & 63];
        }

        if (len - i == 1) {
            enc[n++] = alphabet[raw[i] >> 2];
            enc[n++] = alphabet[(raw[i] & 3) << 4];

        } else if (len - i == 2) {
            enc[n++] = alphabet[raw[i] >> 2];
            enc[n++] = alphabet[((raw[i] & 3) << 4) | (raw[i + 1] >> 4)];
            enc[n++] = alphabet[(raw[i + 1] & 15) << 2];
        }

        assert_int_equal(govern_base64url_decode(out,
                             (const unsigned char *) enc, n), len);
        assert_memory_equal(out, raw, len);

        /* a character outside the alphabet anywhere is refused */
        for (i = 0; i < n; i++) {
            char  c = enc[i];

            enc[i] = '=';
            assert_int_equal(govern_base64url_decode(out,
                                 (const unsigned char *) enc, n),
                             (size_t) -1);
            enc[i] = c;
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_base64url),
        cmocka_unit_test(test_decode_and_validate),
        cmocka_unit_test(test_decode_refusals),
        cmocka_unit_test(test_key_loading_errors),
        cmocka_unit_test(test_fetched_jwks),
        cmocka_unit_test(test_decode_sets),
        cmocka_unit_test(test_digests),
        cmocka_unit_test(test_base64url_lengths),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
