
/*
 * govern: JSON Web Tokens (RFC 7515/7519/7518, RFC 8037 for EdDSA).
 * Pure logic over OpenSSL and jansson: no nginx types, so unit tests and
 * fuzzers call it directly.
 *
 * Every key is pinned to exactly one algorithm when it is loaded (config
 * time); a token is verified only by a key pinned to the algorithm its
 * header names, with OpenSSL's EVP interface and the key already parsed.
 */


#ifndef _GOVERN_JWT_H_INCLUDED_
#define _GOVERN_JWT_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "govern_base64.h"
#include "govern_reason.h"


#define GOVERN_JWT_MAX_LEN           8192


typedef enum {
    GOVERN_JWT_ALG_UNKNOWN = 0,
    GOVERN_JWT_HS256,
    GOVERN_JWT_HS384,
    GOVERN_JWT_HS512,
    GOVERN_JWT_RS256,
    GOVERN_JWT_RS384,
    GOVERN_JWT_RS512,
    GOVERN_JWT_PS256,
    GOVERN_JWT_PS384,
    GOVERN_JWT_PS512,
    GOVERN_JWT_ES256,
    GOVERN_JWT_ES384,
    GOVERN_JWT_ES512,
    GOVERN_JWT_EDDSA
} govern_jwt_alg_e;


typedef struct {
    govern_jwt_alg_e            alg;
    char                       *kid;            /* NULL: none */
    EVP_PKEY                   *pkey;           /* RS, PS, ES, EdDSA */
    unsigned char              *secret;         /* HS */
    size_t                      secret_len;
    const EVP_MD               *md;             /* fetched once */
    EVP_PKEY_CTX               *verify;         /* RS, PS, ES: ready */
    EVP_MD_CTX                 *hmac_inner;     /* HS: ipad absorbed */
    EVP_MD_CTX                 *hmac_outer;     /* HS: opad absorbed */
    const char                 *source;         /* for the audit; not
                                                   owned */
    unsigned char               fingerprint[32];
} govern_jwt_key_t;


typedef struct {
    govern_jwt_key_t           *keys;
    size_t                      nkeys;
} govern_jwt_keys_t;


typedef struct {
    const char                 *data;
    size_t                      len;
} govern_jwt_str_t;


/*
 * The verified claims the pipeline needs, flat: strings live in memory
 * from the caller's allocator, so they can be copied into a cache.
 * "aud" holds every audience, each followed by a NUL; "scopes" is the
 * union of "scope" and "scp", space separated, without duplicates.
 */

typedef struct {
    int64_t                     exp;
    int64_t                     nbf;
    int64_t                     iat;
    unsigned                    has_nbf:1;
    unsigned                    has_iat:1;

    govern_jwt_str_t            iss;
    govern_jwt_str_t            sub;
    govern_jwt_str_t            jti;
    govern_jwt_str_t            kid;
    govern_jwt_str_t            aud;
    govern_jwt_str_t            scopes;
    govern_jwt_str_t            partner;
    govern_jwt_str_t            partner_claim;

    unsigned char               key_fingerprint[32];
} govern_jwt_claims_t;


typedef void *(*govern_jwt_alloc_pt)(void *ctx, size_t size);


typedef struct {
    const char                 *detail;         /* why it was refused */
    const govern_jwt_key_t     *key;            /* the key that verified */
    unsigned                    unknown_kid:1;  /* a kid no set has */
} govern_jwt_result_t;


/* a key of a fetched JWKS that cannot be used, and why */
typedef void (*govern_jwt_skip_pt)(void *data, const char *why);


typedef struct {
    int64_t                     now;
    int64_t                     leeway;
    const char *const          *issuers;        /* NULL-terminated */
    const char *const          *audiences;      /* NULL-terminated */
} govern_jwt_rules_t;


govern_jwt_alg_e govern_jwt_alg(const char *name,
    size_t len);
const char *govern_jwt_alg_name(govern_jwt_alg_e alg);

/* config time: 0 on success, else -1 with a message in err */
int govern_jwt_keys_load(govern_jwt_keys_t *keys,
    const char *path, const char *alg, const char *kid, char *err,
    size_t errlen);
int govern_jwt_keys_load_buf(govern_jwt_keys_t *keys,
    const unsigned char *buf, size_t len, const char *alg, const char *kid,
    char *err, size_t errlen);
int govern_jwt_keys_from_jwks(govern_jwt_keys_t *keys,
    const unsigned char *buf, size_t len, const char *alg, const char *source,
    int secrets, govern_jwt_skip_pt skip, void *data, char *err,
    size_t errlen);
void govern_jwt_keys_free(govern_jwt_keys_t *keys);
int govern_jwt_key_prepare(govern_jwt_key_t *key);
void govern_jwt_key_release(govern_jwt_key_t *key);
const govern_jwt_key_t *govern_jwt_key_by_fingerprint(
    const govern_jwt_keys_t *keys, const unsigned char fp[32]);

/* request time: verification and claim extraction, then the rules */
govern_reason_e govern_jwt_decode(const unsigned char *token,
    size_t len, const govern_jwt_keys_t *keys,
    const char *partner_claim, govern_jwt_alloc_pt alloc,
    void *alloc_ctx, govern_jwt_claims_t *claims,
    const char **detail);
govern_reason_e govern_jwt_decode_sets(const unsigned char *token,
    size_t len, const govern_jwt_keys_t *const *sets, size_t nsets,
    const char *partner_claim, const unsigned char *signed_sha256,
    govern_jwt_alloc_pt alloc, void *alloc_ctx, govern_jwt_claims_t *claims,
    govern_jwt_result_t *result);
int govern_jwt_digests(const unsigned char *token, size_t len,
    unsigned char key[32], unsigned char signed_sha256[32]);
govern_reason_e govern_jwt_validate(
    const govern_jwt_claims_t *claims,
    const govern_jwt_rules_t *rules, const char **detail);


#endif /* _GOVERN_JWT_H_INCLUDED_ */
