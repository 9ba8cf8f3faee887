
/*
 * govern: compact JWS verification and claim extraction.
 *
 * Order matters for safety and cost: the header is parsed and the key
 * chosen (exact kid, else the keys pinned to the header's alg), the
 * signature verified, and only then is the payload parsed.  "none",
 * unknown algorithms and "crit" extensions are refused.  Header and
 * payload are parsed by the body parser into the caller's memory (the
 * request pool): no allocation to free on any path.
 */


#include <string.h>
#include <stdlib.h>
#include <math.h>
#include <openssl/crypto.h>
#include <openssl/rsa.h>

#include "govern_jwt.h"
#include "govern_jv.h"


static int govern_jwt_verify(const govern_jwt_key_t *key,
    const unsigned char *data, size_t len, const unsigned char *sig,
    size_t sig_len, const unsigned char *signed_sha256);
static size_t govern_jwt_ecdsa_der(unsigned char *der,
    const unsigned char *sig, size_t half);
static int govern_jwt_hmac(const govern_jwt_key_t *key,
    const unsigned char *data, size_t len, unsigned char *mac,
    unsigned int *mac_len);
static govern_jv_t *govern_jwt_segment(
    const unsigned char *s, size_t len, govern_jwt_alloc_pt alloc,
    void *ctx);
static int govern_jwt_time(govern_jv_t *payload,
    const char *name,
    int64_t *value, unsigned *present);
static int govern_jwt_copy(govern_jwt_str_t *dst,
    const char *s, size_t len, govern_jwt_alloc_pt alloc,
    void *ctx);
static int govern_jwt_scopes(govern_jv_t *payload,
    govern_jwt_str_t *out, govern_jwt_alloc_pt alloc,
    void *ctx);
static int govern_jwt_audiences(govern_jv_t *payload,
    govern_jwt_str_t *out, govern_jwt_alloc_pt alloc,
    void *ctx);


/*
 * One scratch digest context per process, reset for each use: a context
 * allocated per call costs a malloc and a free on the request path.
 */
static EVP_MD_CTX  *govern_jwt_md_ctx;
static EVP_MD      *govern_jwt_sha256;


static EVP_MD_CTX *
govern_jwt_scratch(void)
{
    if (govern_jwt_md_ctx == NULL) {
        govern_jwt_md_ctx = EVP_MD_CTX_new();
    }

    return govern_jwt_md_ctx;
}


/*
 * The verified-token cache key and the signing input's SHA-256, with one
 * pass over the signing input: key = SHA-256(SHA-256(header.payload) ||
 * ".signature").  A miss verifies RS256, PS256 and ES256 with the second
 * (govern_jwt_decode_sets' signed_sha256), so the token is hashed once
 * per miss rather than twice.  The signature is part of the key: a
 * token's header.payload alone, as logs often keep it, must never pass
 * as the token that was verified.
 */

int
govern_jwt_digests(const unsigned char *token, size_t len,
    unsigned char key[32], unsigned char signed_sha256[32])
{
    EVP_MD_CTX           *ctx;
    const unsigned char  *dot;

    ctx = govern_jwt_scratch();

    if (govern_jwt_sha256 == NULL) {
        govern_jwt_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    }

    if (ctx == NULL || govern_jwt_sha256 == NULL) {
        return -1;
    }

    for (dot = token + len; dot > token && dot[-1] != '.'; dot--) {
        /* void */
    }

    dot = (dot > token) ? dot - 1 : token + len;

    if (!EVP_DigestInit_ex(ctx, govern_jwt_sha256, NULL)
        || !EVP_DigestUpdate(ctx, token, dot - token)
        || !EVP_DigestFinal_ex(ctx, signed_sha256, NULL)
        || !EVP_DigestInit_ex(ctx, govern_jwt_sha256, NULL)
        || !EVP_DigestUpdate(ctx, signed_sha256, 32)
        || !EVP_DigestUpdate(ctx, dot, token + len - dot)
        || !EVP_DigestFinal_ex(ctx, key, NULL))
    {
        return -1;
    }

    return 0;
}


govern_reason_e
govern_jwt_decode(const unsigned char *token, size_t len,
    const govern_jwt_keys_t *keys, const char *partner_claim,
    govern_jwt_alloc_pt alloc, void *alloc_ctx,
    govern_jwt_claims_t *claims, const char **detail)
{
    govern_reason_e       rc;
    govern_jwt_result_t   result;

    rc = govern_jwt_decode_sets(token, len, &keys, 1, partner_claim, NULL,
                                alloc, alloc_ctx, claims, &result);
    *detail = result.detail;

    return rc;
}


/*
 * The sets are searched in order: a kid names the key of the first set
 * that has it; a token without kid is tried with every key pinned to its
 * algorithm.  result->unknown_kid tells a kid no set has (a key set that
 * may be out of date), result->key the key that verified.
 */

govern_reason_e
govern_jwt_decode_sets(const unsigned char *token, size_t len,
    const govern_jwt_keys_t *const *sets, size_t nsets,
    const char *partner_claim, const unsigned char *signed_sha256,
    govern_jwt_alloc_pt alloc, void *alloc_ctx, govern_jwt_claims_t *claims,
    govern_jwt_result_t *result)
{
    size_t                            i, s, sig_len, signed_len;
    unsigned                          dummy;
    const char                       *alg_name, *kid;
    unsigned char                     sig[512];
    const unsigned char              *dot1, *dot2, *end;
    govern_reason_e                   rc;
    govern_jwt_alg_e                  alg;
    govern_jv_t                      *header, *payload, *v;
    const govern_jwt_keys_t          *keys;
    const govern_jwt_key_t           *key, *used;

    end = token + len;

    memset(claims, 0, sizeof(*claims));
    memset(result, 0, sizeof(*result));

    if (len == 0 || len > GOVERN_JWT_MAX_LEN) {
        result->detail = "token length out of range";
        return GOVERN_REASON_TOKEN_MALFORMED;
    }

    dot1 = memchr(token, '.', len);
    dot2 = dot1 ? memchr(dot1 + 1, '.', end - dot1 - 1) : NULL;

    if (dot2 == NULL || memchr(dot2 + 1, '.', end - dot2 - 1)) {
        result->detail = "a JWS has exactly three segments";
        return GOVERN_REASON_TOKEN_MALFORMED;
    }

    header = govern_jwt_segment(token, dot1 - token, alloc,
                                alloc_ctx);

    if (header == NULL) {
        result->detail = "the header is not base64url-encoded JSON";
        return GOVERN_REASON_TOKEN_MALFORMED;
    }

    rc = GOVERN_REASON_TOKEN_MALFORMED;

    if (govern_jv_getz(header, "crit")) {
        result->detail = "critical header extensions are not supported";
        goto done;
    }

    v = govern_jv_getz(header, "alg");
    alg_name = govern_jv_string(v);

    if (alg_name == NULL) {
        result->detail = "the header has no \"alg\"";
        goto done;
    }

    alg = govern_jwt_alg(alg_name, strlen(alg_name));

    if (alg == GOVERN_JWT_ALG_UNKNOWN) {
        result->detail = "the algorithm is not accepted";
        rc = GOVERN_REASON_TOKEN_ALG;
        goto done;
    }

    v = govern_jv_getz(header, "kid");

    if (v && !govern_jv_is_string(v)) {
        result->detail = "\"kid\" is not a string";
        goto done;
    }

    kid = govern_jv_string(v);

    sig_len = end - dot2 - 1;

    if (sig_len > (sizeof(sig) * 4) / 3 + 1) {
        result->detail = "the signature is too long";
        goto done;
    }

    sig_len = govern_base64url_decode(sig, dot2 + 1, sig_len);

    if (sig_len == (size_t) -1) {
        result->detail = "the signature is not base64url";
        goto done;
    }

    signed_len = dot2 - token;
    used = NULL;

    if (kid) {
        key = NULL;

        for (s = 0; s < nsets && key == NULL; s++) {
            keys = sets[s];

            for (i = 0; keys && i < keys->nkeys; i++) {
                if (keys->keys[i].kid && strcmp(keys->keys[i].kid, kid) == 0)
                {
                    key = &keys->keys[i];
                    break;
                }
            }
        }

        if (key == NULL) {
            result->detail = "no key has this kid";
            result->unknown_kid = 1;
            rc = GOVERN_REASON_TOKEN_SIGNATURE;
            goto done;
        }

        if (key->alg != alg) {
            result->detail =
                "the key of this kid is pinned to another algorithm";
            rc = GOVERN_REASON_TOKEN_ALG;
            goto done;
        }

        if (govern_jwt_verify(key, token, signed_len, sig,
                              sig_len, signed_sha256))
        {
            used = key;
        }

    } else {
        key = NULL;

        for (s = 0; s < nsets && used == NULL; s++) {
            keys = sets[s];

            for (i = 0; keys && i < keys->nkeys; i++) {
                if (keys->keys[i].alg != alg) {
                    continue;
                }

                key = &keys->keys[i];

                if (govern_jwt_verify(key, token, signed_len, sig,
                                      sig_len, signed_sha256))
                {
                    used = key;
                    break;
                }
            }
        }

        if (key == NULL) {
            result->detail = "no key is pinned to this algorithm";
            rc = GOVERN_REASON_TOKEN_ALG;
            goto done;
        }
    }

    if (used == NULL) {
        result->detail = "the signature does not verify";
        rc = GOVERN_REASON_TOKEN_SIGNATURE;
        goto done;
    }

    memcpy(claims->key_fingerprint, used->fingerprint, 32);
    result->key = used;

    payload = govern_jwt_segment(dot1 + 1, dot2 - dot1 - 1, alloc,
                                 alloc_ctx);

    if (payload == NULL) {
        result->detail = "the payload is not base64url-encoded JSON";
        goto done;
    }

    if (!govern_jwt_time(payload, "exp", &claims->exp, &dummy)
        || !dummy)
    {
        result->detail = "\"exp\" is required and must be a number";
        goto done;
    }

    if (!govern_jwt_time(payload, "nbf", &claims->nbf, &dummy)) {
        result->detail = "\"nbf\" must be a number";
        goto done;
    }

    claims->has_nbf = dummy;

    if (!govern_jwt_time(payload, "iat", &claims->iat, &dummy)) {
        result->detail = "\"iat\" must be a number";
        goto done;
    }

    claims->has_iat = dummy;

    rc = GOVERN_REASON_INTERNAL_ERROR;
    result->detail = "out of memory";

#define govern_claim(field, name)                                            \
    v = govern_jv_getz(payload, name);                              \
    if (govern_jv_is_string(v)                                      \
        && !govern_jwt_copy(&claims->field, v->u.string, v->len,    \
                            alloc, alloc_ctx))                      \
    {                                                                        \
        goto done;                                                           \
    }

    govern_claim(iss, "iss");
    govern_claim(sub, "sub");
    govern_claim(jti, "jti");

#undef govern_claim

    /* the partner names Redis keys and audit records: no NUL inside */

    v = govern_jv_getz(payload, partner_claim);

    if (govern_jv_is_string(v)
        && strlen(v->u.string) == v->len
        && !govern_jwt_copy(&claims->partner, v->u.string, v->len,
                            alloc, alloc_ctx))
    {
        goto done;
    }

    if ((kid && !govern_jwt_copy(&claims->kid, kid, strlen(kid),
                                 alloc, alloc_ctx))
        || !govern_jwt_copy(&claims->partner_claim, partner_claim,
                            strlen(partner_claim), alloc, alloc_ctx)
        || !govern_jwt_audiences(payload, &claims->aud, alloc,
                                 alloc_ctx)
        || !govern_jwt_scopes(payload, &claims->scopes, alloc,
                              alloc_ctx))
    {
        goto done;
    }

    rc = GOVERN_REASON_NONE;
    result->detail = "";

done:

    /* header and payload stay in the caller's memory, as the claims */

    return rc;
}


govern_reason_e
govern_jwt_validate(const govern_jwt_claims_t *claims,
    const govern_jwt_rules_t *rules, const char **detail)
{
    size_t              len;
    const char         *a;
    const char *const  *p;

    if (claims->exp + rules->leeway <= rules->now) {
        *detail = "the token has expired";
        return GOVERN_REASON_TOKEN_EXPIRED;
    }

    if (claims->has_nbf && claims->nbf > rules->now + rules->leeway) {
        *detail = "the token is not valid yet (nbf)";
        return GOVERN_REASON_TOKEN_NOT_YET_VALID;
    }

    if (claims->has_iat && claims->iat > rules->now + rules->leeway) {
        *detail = "the token was issued in the future (iat)";
        return GOVERN_REASON_TOKEN_NOT_YET_VALID;
    }

    p = rules->issuers;

    if (claims->iss.data) {
        for ( /* void */ ; *p; p++) {
            if (strlen(*p) == claims->iss.len
                && memcmp(*p, claims->iss.data, claims->iss.len) == 0)
            {
                break;
            }
        }
    }

    if (claims->iss.data == NULL || *p == NULL) {
        *detail = "the issuer is not accepted";
        return GOVERN_REASON_TOKEN_ISSUER;
    }

    for (p = rules->audiences; *p; p++) {
        for (a = claims->aud.data; a && a < claims->aud.data + claims->aud.len;
             a += len + 1)
        {
            len = strlen(a);

            if (strcmp(a, *p) == 0) {
                goto audience;
            }
        }
    }

    *detail = "no audience of the token is accepted";
    return GOVERN_REASON_TOKEN_AUDIENCE;

audience:

    if (claims->partner.len == 0) {
        *detail = "the partner claim is missing, empty or not a string";
        return GOVERN_REASON_TOKEN_PARTNER;
    }

    *detail = "";

    return GOVERN_REASON_NONE;
}


static int
govern_jwt_verify(const govern_jwt_key_t *key,
    const unsigned char *data, size_t len, const unsigned char *sig,
    size_t sig_len, const unsigned char *signed_sha256)
{
    int             ok;
    size_t          half;
    EVP_MD_CTX     *ctx;
    unsigned int    mac_len, dlen;
    unsigned char   mac[EVP_MAX_MD_SIZE], der[2 * 66 + 16];

    switch (key->alg) {

    case GOVERN_JWT_HS256:
    case GOVERN_JWT_HS384:
    case GOVERN_JWT_HS512:
        return govern_jwt_hmac(key, data, len, mac, &mac_len)
               && mac_len == sig_len
               && CRYPTO_memcmp(mac, sig, sig_len) == 0;

    case GOVERN_JWT_EDDSA:
        /* pure EdDSA signs the message itself, not a digest */
        ctx = EVP_MD_CTX_new();
        if (ctx == NULL) {
            return 0;
        }

        ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key->pkey) == 1
             && EVP_DigestVerify(ctx, sig, sig_len, data, len) == 1;

        EVP_MD_CTX_free(ctx);

        return ok;

    case GOVERN_JWT_ES256:
    case GOVERN_JWT_ES384:
    case GOVERN_JWT_ES512:
        /* JWS carries R || S of fixed size; OpenSSL verifies DER */
        half = key->alg == GOVERN_JWT_ES256 ? 32
               : key->alg == GOVERN_JWT_ES384 ? 48 : 66;

        if (sig_len != 2 * half) {
            return 0;
        }

        sig_len = govern_jwt_ecdsa_der(der, sig, half);
        sig = der;
        break;

    default:
        break;
    }

    /*
     * The verify context was set up once, with its digest and padding:
     * a context per request costs a provider fetch, more than RSA itself.
     * The signing input's SHA-256 may be known already (the cache key's).
     */

    if (signed_sha256
        && (key->alg == GOVERN_JWT_RS256 || key->alg == GOVERN_JWT_PS256
            || key->alg == GOVERN_JWT_ES256))
    {
        return EVP_PKEY_verify(key->verify, sig, sig_len, signed_sha256, 32)
               == 1;
    }

    ctx = govern_jwt_scratch();

    if (ctx == NULL
        || !EVP_DigestInit_ex(ctx, key->md, NULL)
        || !EVP_DigestUpdate(ctx, data, len)
        || !EVP_DigestFinal_ex(ctx, mac, &dlen))
    {
        return 0;
    }

    return EVP_PKEY_verify(key->verify, sig, sig_len, mac, dlen) == 1;
}


/* ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279) */

static size_t
govern_jwt_der_int(unsigned char *dst, const unsigned char *n,
    size_t len)
{
    size_t  pad;

    while (len > 1 && *n == 0) {
        n++;
        len--;
    }

    pad = (*n & 0x80) ? 1 : 0;

    dst[0] = 0x02;
    dst[1] = (unsigned char) (len + pad);
    dst[2] = 0;
    memcpy(dst + 2 + pad, n, len);

    return 2 + pad + len;
}


static size_t
govern_jwt_ecdsa_der(unsigned char *der, const unsigned char *sig,
    size_t half)
{
    size_t          body, head;
    unsigned char   ints[2 * 66 + 8];

    body = govern_jwt_der_int(ints, sig, half);
    body += govern_jwt_der_int(ints + body, sig + half, half);

    der[0] = 0x30;

    if (body < 0x80) {
        der[1] = (unsigned char) body;
        head = 2;

    } else {
        der[1] = 0x81;
        der[2] = (unsigned char) body;
        head = 3;
    }

    memcpy(der + head, ints, body);

    return head + body;
}


/* RFC 2104 from contexts that absorbed the padded key at load time */

static int
govern_jwt_hmac(const govern_jwt_key_t *key,
    const unsigned char *data, size_t len, unsigned char *mac,
    unsigned int *mac_len)
{
    EVP_MD_CTX    *ctx;
    unsigned int   inner_len;
    unsigned char  inner[EVP_MAX_MD_SIZE];

    ctx = govern_jwt_scratch();

    return ctx != NULL
           && EVP_MD_CTX_copy_ex(ctx, key->hmac_inner)
           && EVP_DigestUpdate(ctx, data, len)
           && EVP_DigestFinal_ex(ctx, inner, &inner_len)
           && EVP_MD_CTX_copy_ex(ctx, key->hmac_outer)
           && EVP_DigestUpdate(ctx, inner, inner_len)
           && EVP_DigestFinal_ex(ctx, mac, mac_len);
}


int
govern_jwt_key_prepare(govern_jwt_key_t *key)
{
    int             block;
    size_t          i, klen;
    const char     *name;
    unsigned int    hlen;
    unsigned char   k[128], pad[128];

    switch (key->alg) {
    case GOVERN_JWT_HS256:
    case GOVERN_JWT_RS256:
    case GOVERN_JWT_PS256:
    case GOVERN_JWT_ES256:
        name = "SHA256";
        break;
    case GOVERN_JWT_HS384:
    case GOVERN_JWT_RS384:
    case GOVERN_JWT_PS384:
    case GOVERN_JWT_ES384:
        name = "SHA384";
        break;
    case GOVERN_JWT_EDDSA:
        return 0;                       /* Ed25519 hashes internally */
    default:
        name = "SHA512";
    }

    /* fetched once: an implicit fetch per request costs locks and lookups */

    key->md = EVP_MD_fetch(NULL, name, NULL);
    if (key->md == NULL) {
        return -1;
    }

    if (key->secret == NULL) {
        key->verify = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);

        if (key->verify == NULL
            || EVP_PKEY_verify_init(key->verify) != 1
            || EVP_PKEY_CTX_set_signature_md(key->verify, key->md) != 1)
        {
            return -1;
        }

        switch (key->alg) {
        case GOVERN_JWT_PS256:
        case GOVERN_JWT_PS384:
        case GOVERN_JWT_PS512:
            /* RFC 7518 3.5: MGF1 with the same hash, salt as long as it */
            if (EVP_PKEY_CTX_set_rsa_padding(key->verify,
                                             RSA_PKCS1_PSS_PADDING) != 1
                || EVP_PKEY_CTX_set_rsa_pss_saltlen(key->verify,
                                                    RSA_PSS_SALTLEN_DIGEST)
                   != 1)
            {
                return -1;
            }

            break;

        case GOVERN_JWT_RS256:
        case GOVERN_JWT_RS384:
        case GOVERN_JWT_RS512:
            if (EVP_PKEY_CTX_set_rsa_padding(key->verify,
                                             RSA_PKCS1_PADDING) != 1)
            {
                return -1;
            }

            break;

        default:
            break;
        }

        return 0;
    }

    block = EVP_MD_get_block_size(key->md);

    if (key->secret_len > (size_t) block) {
        if (!EVP_Digest(key->secret, key->secret_len, k, &hlen, key->md,
                        NULL))
        {
            return -1;
        }

        klen = hlen;

    } else {
        memcpy(k, key->secret, key->secret_len);
        klen = key->secret_len;
    }

    memset(k + klen, 0, block - klen);

    key->hmac_inner = EVP_MD_CTX_new();
    key->hmac_outer = EVP_MD_CTX_new();

    if (key->hmac_inner == NULL || key->hmac_outer == NULL
        || !EVP_DigestInit_ex(key->hmac_inner, key->md, NULL)
        || !EVP_DigestInit_ex(key->hmac_outer, key->md, NULL))
    {
        OPENSSL_cleanse(k, sizeof(k));
        return -1;
    }

    for (i = 0; i < (size_t) block; i++) {
        pad[i] = k[i] ^ 0x36;
    }

    EVP_DigestUpdate(key->hmac_inner, pad, block);

    for (i = 0; i < (size_t) block; i++) {
        pad[i] = k[i] ^ 0x5c;
    }

    EVP_DigestUpdate(key->hmac_outer, pad, block);

    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(pad, sizeof(pad));

    return 0;
}


void
govern_jwt_key_release(govern_jwt_key_t *key)
{
    EVP_PKEY_CTX_free(key->verify);
    EVP_PKEY_free(key->pkey);
    EVP_MD_CTX_free(key->hmac_inner);
    EVP_MD_CTX_free(key->hmac_outer);
    EVP_MD_free((EVP_MD *) key->md);
    free(key->kid);

    if (key->secret) {
        OPENSSL_cleanse(key->secret, key->secret_len);
        free(key->secret);
    }

    memset(key, 0, sizeof(*key));
}


static govern_jv_t *
govern_jwt_segment(const unsigned char *s, size_t len,
    govern_jwt_alloc_pt alloc, void *ctx)
{
    size_t                 n;
    unsigned char          buf[GOVERN_JWT_MAX_LEN];
    govern_jv_t           *json;

    if (len == 0 || len > sizeof(buf)) {
        return NULL;
    }

    n = govern_base64url_decode(buf, s, len);

    if (n == (size_t) -1) {
        return NULL;
    }

    json = govern_jv_parse((const char *) buf, n, 0, alloc, ctx,
                           NULL);

    return govern_jv_is_object(json) ? json : NULL;
}


/* 1 when absent or a finite number (fractions are truncated), else 0 */

static int
govern_jwt_time(govern_jv_t *payload, const char *name,
    int64_t *value, unsigned *present)
{
    double                 d;
    govern_jv_t           *v;

    v = govern_jv_getz(payload, name);
    *present = 0;

    if (v == NULL) {
        return 1;
    }

    if (v->type == GOVERN_JV_INTEGER) {
        *value = v->u.integer;

    } else if (v->type == GOVERN_JV_REAL) {
        d = v->u.real;

        if (!isfinite(d) || d > 9.2e18 || d < -9.2e18) {
            return 0;
        }

        *value = (int64_t) floor(d);

    } else {
        return 0;
    }

    *present = 1;

    return 1;
}


static int
govern_jwt_copy(govern_jwt_str_t *dst, const char *s,
    size_t len, govern_jwt_alloc_pt alloc, void *ctx)
{
    char  *p;

    p = alloc(ctx, len + 1);
    if (p == NULL) {
        return 0;
    }

    memcpy(p, s, len);
    p[len] = '\0';

    dst->data = p;
    dst->len = len;

    return 1;
}


/*
 * "scope" (RFC 8693: space-separated) and "scp" (a string or an array),
 * merged into one space-separated list without duplicates; a scope is a
 * run of printable ASCII other than space, quote and backslash (RFC 6749
 * 3.3), anything else is dropped rather than trusted.
 */

static int
govern_jwt_scope_ok(const char *s, size_t len)
{
    size_t  i;

    if (len == 0) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\') {
            return 0;
        }
    }

    return 1;
}


static void
govern_jwt_scope_add(char *list, size_t *len, const char *s,
    size_t n)
{
    const char  *p, *end, *sp;

    if (!govern_jwt_scope_ok(s, n)) {
        return;
    }

    for (p = list, end = list + *len; p < end; p = sp + 1) {
        sp = memchr(p, ' ', end - p);

        if (sp == NULL) {
            sp = end;
        }

        if ((size_t) (sp - p) == n && memcmp(p, s, n) == 0) {
            return;
        }
    }

    if (*len) {
        list[(*len)++] = ' ';
    }

    memcpy(list + *len, s, n);
    *len += n;
}


static void
govern_jwt_scope_split(char *list, size_t *len, const char *s)
{
    const char  *sp;

    for ( ;; ) {
        while (*s == ' ') {
            s++;
        }

        if (*s == '\0') {
            return;
        }

        sp = strchr(s, ' ');

        if (sp == NULL) {
            govern_jwt_scope_add(list, len, s, strlen(s));
            return;
        }

        govern_jwt_scope_add(list, len, s, sp - s);
        s = sp;
    }
}


static int
govern_jwt_scopes(govern_jv_t *payload,
    govern_jwt_str_t *out, govern_jwt_alloc_pt alloc,
    void *ctx)
{
    char                  *list;
    size_t                 i, size, len;
    govern_jv_t           *scope, *scp, *v;

    scope = govern_jv_getz(payload, "scope");
    scp = govern_jv_getz(payload, "scp");

    size = 1;

    if (govern_jv_is_string(scope)) {
        size += scope->len + 1;
    }

    if (govern_jv_is_string(scp)) {
        size += scp->len + 1;

    } else if (govern_jv_is_array(scp)) {
        for (i = 0; i < scp->len; i++) {
            v = &scp->u.items[i];

            if (govern_jv_is_string(v)) {
                size += v->len + 1;
            }
        }
    }

    list = alloc(ctx, size);
    if (list == NULL) {
        return 0;
    }

    len = 0;

    if (govern_jv_is_string(scope)) {
        govern_jwt_scope_split(list, &len, scope->u.string);
    }

    if (govern_jv_is_string(scp)) {
        govern_jwt_scope_split(list, &len, scp->u.string);

    } else if (govern_jv_is_array(scp)) {
        for (i = 0; i < scp->len; i++) {
            v = &scp->u.items[i];

            if (govern_jv_is_string(v)
                && v->len == strlen(v->u.string))
            {
                govern_jwt_scope_add(list, &len, v->u.string,
                                     v->len);
            }
        }
    }

    list[len] = '\0';
    out->data = list;
    out->len = len;

    return 1;
}


/* every string audience, each followed by a NUL */

static int
govern_jwt_audiences(govern_jv_t *payload,
    govern_jwt_str_t *out, govern_jwt_alloc_pt alloc,
    void *ctx)
{
    char                  *p;
    size_t                 i, n, size;
    govern_jv_t           *aud, *list, *v;

    aud = govern_jv_getz(payload, "aud");

    /* a string is a list of one */

    list = aud;
    n = 1;

    if (govern_jv_is_array(aud)) {
        list = aud->u.items;
        n = aud->len;

    } else if (!govern_jv_is_string(aud)) {
        n = 0;
    }

    size = 0;

    for (i = 0; i < n; i++) {
        if (govern_jv_is_string(&list[i])) {
            size += list[i].len + 1;
        }
    }

    if (size == 0) {
        out->data = NULL;
        out->len = 0;
        return 1;
    }

    p = alloc(ctx, size);
    if (p == NULL) {
        return 0;
    }

    out->data = p;
    out->len = 0;

    for (i = 0; i < n; i++) {
        v = &list[i];

        /* an embedded NUL would let "a\0b" stand for "a" */

        if (govern_jv_is_string(v) && strlen(v->u.string) == v->len)
        {
            memcpy(p + out->len, v->u.string, v->len + 1);
            out->len += v->len + 1;
        }
    }

    return 1;
}
