
/*
 * govern: verification keys, loaded once at config time.
 *
 * A file is a JWKS ({"keys": [...]}: RSA, EC P-256/384/521, OKP Ed25519,
 * oct), a single PEM public key, or an HMAC secret.  Every key ends up
 * pinned to exactly one algorithm: the JWK's "alg" or the directive's
 * alg=, which must agree when both are given; a key with neither, a key
 * whose type cannot serve its algorithm (an RSA key for HS256 among them:
 * the algorithm-confusion attack), RSA under 2048 bits and HMAC secrets
 * shorter than their hash are refused.
 */


#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <errno.h>

#include "govern_jwt.h"


#define GOVERN_JWK_MAX_FILE           (1024 * 1024)


static int govern_jwk_add(govern_jwt_keys_t *keys,
    govern_jwt_alg_e alg, const char *kid, EVP_PKEY *pkey,
    const unsigned char *secret, size_t secret_len, char *err,
    size_t errlen);
static int govern_jwk_parse(govern_jwt_keys_t *keys,
    json_t *jwk, size_t index, const char *alg_param, const char *kid_param,
    char *err, size_t errlen);
static EVP_PKEY *govern_jwk_rsa(json_t *jwk, const char **what);
static EVP_PKEY *govern_jwk_ec(json_t *jwk, const char *crv,
    const char **what);
static EVP_PKEY *govern_jwk_okp(json_t *jwk, const char **what);
static unsigned char *govern_jwk_b64(json_t *jwk, const char *name,
    size_t *len);
static int govern_jwk_fits(govern_jwt_alg_e alg,
    EVP_PKEY *pkey, size_t secret_len, const char **why);


static const struct {
    const char                 *name;
    govern_jwt_alg_e            alg;
} govern_jwt_algs[] = {
    { "HS256", GOVERN_JWT_HS256 },
    { "HS384", GOVERN_JWT_HS384 },
    { "HS512", GOVERN_JWT_HS512 },
    { "RS256", GOVERN_JWT_RS256 },
    { "RS384", GOVERN_JWT_RS384 },
    { "RS512", GOVERN_JWT_RS512 },
    { "PS256", GOVERN_JWT_PS256 },
    { "PS384", GOVERN_JWT_PS384 },
    { "PS512", GOVERN_JWT_PS512 },
    { "ES256", GOVERN_JWT_ES256 },
    { "ES384", GOVERN_JWT_ES384 },
    { "ES512", GOVERN_JWT_ES512 },
    { "EdDSA", GOVERN_JWT_EDDSA },
    { NULL, GOVERN_JWT_ALG_UNKNOWN }
};


govern_jwt_alg_e
govern_jwt_alg(const char *name, size_t len)
{
    size_t  i;

    /* exact and case-sensitive: "none", "hs256" and the like are unknown */

    for (i = 0; govern_jwt_algs[i].name; i++) {
        if (strlen(govern_jwt_algs[i].name) == len
            && memcmp(govern_jwt_algs[i].name, name, len) == 0)
        {
            return govern_jwt_algs[i].alg;
        }
    }

    return GOVERN_JWT_ALG_UNKNOWN;
}


const char *
govern_jwt_alg_name(govern_jwt_alg_e alg)
{
    size_t  i;

    for (i = 0; govern_jwt_algs[i].name; i++) {
        if (govern_jwt_algs[i].alg == alg) {
            return govern_jwt_algs[i].name;
        }
    }

    return "unknown";
}


int
govern_jwt_keys_load(govern_jwt_keys_t *keys,
    const char *path, const char *alg, const char *kid, char *err,
    size_t errlen)
{
    int             rc;
    FILE           *f;
    size_t          n;
    unsigned char  *buf;

    f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "cannot open key file \"%s\": %s", path,
                 strerror(errno));
        return -1;
    }

    buf = malloc(GOVERN_JWK_MAX_FILE + 1);
    if (buf == NULL) {
        fclose(f);
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    n = fread(buf, 1, GOVERN_JWK_MAX_FILE + 1, f);

    if (ferror(f) || n > GOVERN_JWK_MAX_FILE) {
        snprintf(err, errlen, "cannot read key file \"%s\"%s", path,
                 n > GOVERN_JWK_MAX_FILE ? ": larger than 1 MB" : "");
        fclose(f);
        free(buf);
        return -1;
    }

    fclose(f);

    rc = govern_jwt_keys_load_buf(keys, buf, n, alg, kid, err,
                                  errlen);

    OPENSSL_cleanse(buf, n);
    free(buf);

    return rc;
}


int
govern_jwt_keys_load_buf(govern_jwt_keys_t *keys,
    const unsigned char *buf, size_t len, const char *alg, const char *kid,
    char *err, size_t errlen)
{
    BIO                        *bio;
    size_t                      i, start;
    json_t                     *jwks, *list;
    EVP_PKEY                   *pkey;
    const char                 *why;
    json_error_t                jerr;
    govern_jwt_alg_e            a;

    a = GOVERN_JWT_ALG_UNKNOWN;

    if (alg) {
        a = govern_jwt_alg(alg, strlen(alg));

        if (a == GOVERN_JWT_ALG_UNKNOWN) {
            snprintf(err, errlen, "unknown algorithm \"%s\"", alg);
            return -1;
        }
    }

    for (start = 0; start < len; start++) {
        if (buf[start] != ' ' && buf[start] != '\t' && buf[start] != '\r'
            && buf[start] != '\n')
        {
            break;
        }
    }

    if (start < len && buf[start] == '{') {
        jwks = json_loadb((const char *) buf, len, JSON_REJECT_DUPLICATES,
                          &jerr);
        if (jwks == NULL) {
            snprintf(err, errlen, "malformed JWKS: %s at line %d",
                     jerr.text, jerr.line);
            return -1;
        }

        list = json_object_get(jwks, "keys");

        if (!json_is_array(list) || json_array_size(list) == 0) {
            json_decref(jwks);
            snprintf(err, errlen, "malformed JWKS: no \"keys\" array");
            return -1;
        }

        if (kid && json_array_size(list) != 1) {
            json_decref(jwks);
            snprintf(err, errlen, "kid= needs a JWKS of one key");
            return -1;
        }

        for (i = 0; i < json_array_size(list); i++) {
            if (govern_jwk_parse(keys, json_array_get(list, i), i,
                                 alg, kid, err, errlen)
                != 0)
            {
                json_decref(jwks);
                return -1;
            }
        }

        json_decref(jwks);
        return 0;
    }

    if (alg == NULL) {
        snprintf(err, errlen, "a PEM key or a secret needs alg=");
        return -1;
    }

    if (len - start >= 11 && memcmp(buf + start, "-----BEGIN ", 11) == 0) {
        bio = BIO_new_mem_buf(buf, (int) len);
        if (bio == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }

        pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
        BIO_free(bio);

        if (pkey == NULL) {
            snprintf(err, errlen, "not a PEM public key (private keys and "
                     "certificates are not accepted)");
            return -1;
        }

        if (!govern_jwk_fits(a, pkey, 0, &why)) {
            EVP_PKEY_free(pkey);
            snprintf(err, errlen, "key cannot be used with %s: %s", alg, why);
            return -1;
        }

        return govern_jwk_add(keys, a, kid, pkey, NULL, 0, err,
                              errlen);
    }

    /* an HMAC secret: the file's bytes without a trailing line break */

    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
        len--;
    }

    if (!govern_jwk_fits(a, NULL, len, &why)) {
        snprintf(err, errlen, "key cannot be used with %s: %s", alg, why);
        return -1;
    }

    return govern_jwk_add(keys, a, kid, NULL, buf, len, err,
                          errlen);
}


/*
 * A JWKS fetched from an identity provider: every key is parsed and
 * pinned as in a file, but one that cannot be used (an encryption key, no
 * "alg" and no alg=, an unsupported type or curve, a short RSA key, a
 * duplicate kid) is skipped and reported rather than fatal, since
 * providers publish keys of other uses beside their signing keys.  -1
 * (with err) when the document is not a JWKS; else 0, and keys->nkeys
 * may still be 0.
 */

int
govern_jwt_keys_from_jwks(govern_jwt_keys_t *keys, const unsigned char *buf,
    size_t len, const char *alg, const char *source, int secrets,
    govern_jwt_skip_pt skip, void *data, char *err, size_t errlen)
{
    char           why[512], line[600];
    size_t         i, n;
    json_t        *jwks, *list, *jwk;
    const char    *kty;
    json_error_t   jerr;

    if (alg && govern_jwt_alg(alg, strlen(alg)) == GOVERN_JWT_ALG_UNKNOWN) {
        snprintf(err, errlen, "unknown algorithm \"%s\"", alg);
        return -1;
    }

    jwks = json_loadb((const char *) buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (jwks == NULL) {
        snprintf(err, errlen, "not JSON: %s at line %d", jerr.text,
                 jerr.line);
        return -1;
    }

    list = json_object_get(jwks, "keys");

    if (!json_is_array(list)) {
        json_decref(jwks);
        snprintf(err, errlen, "not a JWKS: no \"keys\" array");
        return -1;
    }

    for (i = 0; i < json_array_size(list); i++) {
        n = keys->nkeys;
        jwk = json_array_get(list, i);

        /* a secret published at a URL is no secret: anyone could sign */

        kty = json_string_value(json_object_get(jwk, "kty"));

        if (!secrets && kty && strcmp(kty, "oct") == 0) {
            snprintf(why, sizeof(why), "JWKS key #%zu: a symmetric (oct) "
                     "key is never taken from a fetched set", i);
            if (skip) {
                skip(data, why);
            }

            continue;
        }

        if (govern_jwk_parse(keys, jwk, i, alg, NULL, why, sizeof(why))
            != 0)
        {
            if (skip) {
                if (strncmp(why, "JWKS key #", 10) != 0) {
                    snprintf(line, sizeof(line), "JWKS key #%zu: %s", i, why);
                    skip(data, line);

                } else {
                    skip(data, why);
                }
            }

            continue;
        }

        keys->keys[n].source = source;
    }

    json_decref(jwks);

    return 0;
}


static int
govern_jwk_parse(govern_jwt_keys_t *keys, json_t *jwk,
    size_t index, const char *alg_param, const char *kid_param, char *err,
    size_t errlen)
{
    int                         rc;
    size_t                      secret_len;
    json_t                     *v;
    EVP_PKEY                   *pkey;
    const char                 *kty, *alg, *kid, *use, *why, *crv;
    unsigned char              *secret;
    govern_jwt_alg_e            a;

    if (!json_is_object(jwk)) {
        snprintf(err, errlen, "JWKS key #%zu is not an object", index);
        return -1;
    }

    kty = json_string_value(json_object_get(jwk, "kty"));
    kid = kid_param ? kid_param : json_string_value(json_object_get(jwk,
                                                                    "kid"));
    alg = json_string_value(json_object_get(jwk, "alg"));
    use = json_string_value(json_object_get(jwk, "use"));

    v = json_object_get(jwk, "kid");
    if (v && !json_is_string(v)) {
        snprintf(err, errlen, "JWKS key #%zu: \"kid\" is not a string",
                 index);
        return -1;
    }

    if (use && strcmp(use, "sig") != 0) {
        snprintf(err, errlen, "JWKS key #%zu (kid \"%s\"): \"use\" is \"%s\","
                 " not \"sig\"", index, kid ? kid : "", use);
        return -1;
    }

    if (alg && alg_param && strcmp(alg, alg_param) != 0) {
        snprintf(err, errlen, "JWKS key #%zu (kid \"%s\"): its alg \"%s\" "
                 "contradicts alg=%s", index, kid ? kid : "", alg, alg_param);
        return -1;
    }

    if (alg == NULL) {
        alg = alg_param;
    }

    if (alg == NULL) {
        snprintf(err, errlen, "JWKS key #%zu (kid \"%s\") has no \"alg\": "
                 "pin it in the JWK or with alg=", index, kid ? kid : "");
        return -1;
    }

    a = govern_jwt_alg(alg, strlen(alg));

    if (a == GOVERN_JWT_ALG_UNKNOWN) {
        snprintf(err, errlen, "JWKS key #%zu (kid \"%s\"): unknown "
                 "algorithm \"%s\"", index, kid ? kid : "", alg);
        return -1;
    }

    if (kty == NULL) {
        snprintf(err, errlen, "JWKS key #%zu (kid \"%s\") has no \"kty\"",
                 index, kid ? kid : "");
        return -1;
    }

    pkey = NULL;
    secret = NULL;
    secret_len = 0;
    why = "unsupported key type";

    if (strcmp(kty, "RSA") == 0) {
        pkey = govern_jwk_rsa(jwk, &why);

    } else if (strcmp(kty, "EC") == 0) {
        crv = json_string_value(json_object_get(jwk, "crv"));
        pkey = govern_jwk_ec(jwk, crv, &why);

    } else if (strcmp(kty, "OKP") == 0) {
        pkey = govern_jwk_okp(jwk, &why);

    } else if (strcmp(kty, "oct") == 0) {
        secret = govern_jwk_b64(jwk, "k", &secret_len);
        why = "\"k\" is missing or not base64url";
    }

    if (pkey == NULL && secret == NULL) {
        snprintf(err, errlen, "JWKS key #%zu (kid \"%s\", kty \"%s\"): %s",
                 index, kid ? kid : "", kty, why);
        return -1;
    }

    if (!govern_jwk_fits(a, pkey, secret_len, &why)) {
        snprintf(err, errlen, "JWKS key #%zu (kid \"%s\") cannot be used "
                 "with %s: %s", index, kid ? kid : "", alg, why);
        EVP_PKEY_free(pkey);
        free(secret);
        return -1;
    }

    rc = govern_jwk_add(keys, a, kid, pkey, secret, secret_len, err,
                        errlen);

    if (secret) {
        OPENSSL_cleanse(secret, secret_len);
        free(secret);
    }

    return rc;
}


/* takes ownership of pkey, copies the secret */

static int
govern_jwk_add(govern_jwt_keys_t *keys,
    govern_jwt_alg_e alg, const char *kid, EVP_PKEY *pkey,
    const unsigned char *secret, size_t secret_len, char *err, size_t errlen)
{
    int                         der_len;
    size_t                      i;
    EVP_MD_CTX                 *sha;
    unsigned char              *der, *p;
    govern_jwt_key_t           *key, *grown;

    if (kid) {
        for (i = 0; i < keys->nkeys; i++) {
            if (keys->keys[i].kid && strcmp(keys->keys[i].kid, kid) == 0) {
                snprintf(err, errlen, "duplicate kid \"%s\"", kid);
                EVP_PKEY_free(pkey);
                return -1;
            }
        }
    }

    grown = realloc(keys->keys, (keys->nkeys + 1) * sizeof(*key));
    if (grown == NULL) {
        EVP_PKEY_free(pkey);
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    keys->keys = grown;
    key = &keys->keys[keys->nkeys];
    memset(key, 0, sizeof(*key));

    key->alg = alg;
    key->pkey = pkey;

    if (kid) {
        key->kid = strdup(kid);
        if (key->kid == NULL) {
            goto nomem;
        }
    }

    if (secret) {
        key->secret = malloc(secret_len ? secret_len : 1);
        if (key->secret == NULL) {
            goto nomem;
        }

        memcpy(key->secret, secret, secret_len);
        key->secret_len = secret_len;
    }

    /*
     * The fingerprint names the key in the token cache: alg, kid and key
     * material, so a cached token is accepted only while its key exists.
     */

    if (govern_jwt_key_prepare(key) != 0) {
        goto nomem;
    }

    sha = EVP_MD_CTX_new();
    if (sha == NULL || !EVP_DigestInit_ex(sha, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(sha);
        goto nomem;
    }

    EVP_DigestUpdate(sha, &alg, sizeof(alg));

    if (kid) {
        EVP_DigestUpdate(sha, kid, strlen(kid) + 1);
    }

    if (pkey) {
        der_len = i2d_PUBKEY(pkey, NULL);
        der = der_len > 0 ? malloc(der_len) : NULL;

        if (der == NULL) {
            EVP_MD_CTX_free(sha);
            goto nomem;
        }

        p = der;
        i2d_PUBKEY(pkey, &p);
        EVP_DigestUpdate(sha, der, der_len);
        free(der);

    } else {
        EVP_DigestUpdate(sha, secret, secret_len);
    }

    EVP_DigestFinal_ex(sha, key->fingerprint, NULL);
    EVP_MD_CTX_free(sha);

    keys->nkeys++;

    return 0;

nomem:

    govern_jwt_key_release(key);
    snprintf(err, errlen, "out of memory");

    return -1;
}


void
govern_jwt_keys_free(govern_jwt_keys_t *keys)
{
    size_t  i;

    for (i = 0; i < keys->nkeys; i++) {
        govern_jwt_key_release(&keys->keys[i]);
    }

    free(keys->keys);
    keys->keys = NULL;
    keys->nkeys = 0;
}


const govern_jwt_key_t *
govern_jwt_key_by_fingerprint(const govern_jwt_keys_t *keys,
    const unsigned char fp[32])
{
    size_t  i;

    for (i = 0; i < keys->nkeys; i++) {
        if (memcmp(keys->keys[i].fingerprint, fp, 32) == 0) {
            return &keys->keys[i];
        }
    }

    return NULL;
}


static unsigned char *
govern_jwk_b64(json_t *jwk, const char *name, size_t *len)
{
    size_t          slen;
    const char     *s;
    unsigned char  *out;

    s = json_string_value(json_object_get(jwk, name));
    if (s == NULL) {
        return NULL;
    }

    slen = strlen(s);

    out = malloc(slen + 1);
    if (out == NULL) {
        return NULL;
    }

    *len = govern_base64url_decode(out, (const unsigned char *) s,
                                            slen);

    if (*len == (size_t) -1 || *len == 0) {
        free(out);
        return NULL;
    }

    return out;
}


static EVP_PKEY *
govern_jwk_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
    EVP_PKEY      *pkey;
    OSSL_PARAM    *params;
    EVP_PKEY_CTX  *ctx;

    pkey = NULL;
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);

    if (params == NULL || ctx == NULL
        || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    {
        pkey = NULL;
    }

    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);

    return pkey;
}


static EVP_PKEY *
govern_jwk_rsa(json_t *jwk, const char **what)
{
    BIGNUM          *n, *e;
    size_t           nlen, elen;
    EVP_PKEY        *pkey;
    unsigned char   *nb, *eb;
    OSSL_PARAM_BLD  *bld;

    pkey = NULL;
    n = NULL;
    e = NULL;
    bld = NULL;

    nb = govern_jwk_b64(jwk, "n", &nlen);
    eb = govern_jwk_b64(jwk, "e", &elen);

    if (nb == NULL || eb == NULL) {
        *what = "\"n\" or \"e\" is missing or not base64url";
        goto done;
    }

    n = BN_bin2bn(nb, nlen, NULL);
    e = BN_bin2bn(eb, elen, NULL);
    bld = OSSL_PARAM_BLD_new();

    if (n == NULL || e == NULL || bld == NULL
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n)
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
    {
        *what = "out of memory";
        goto done;
    }

    pkey = govern_jwk_fromdata("RSA", bld);
    *what = "invalid RSA public key";

done:

    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    free(nb);
    free(eb);

    return pkey;
}


static EVP_PKEY *
govern_jwk_ec(json_t *jwk, const char *crv, const char **what)
{
    size_t           xlen, ylen, size;
    EVP_PKEY        *pkey;
    const char      *group;
    unsigned char   *x, *y, point[1 + 2 * 66];
    OSSL_PARAM_BLD  *bld;

    if (crv == NULL) {
        *what = "no \"crv\"";
        return NULL;
    }

    if (strcmp(crv, "P-256") == 0) {
        group = "prime256v1";
        size = 32;

    } else if (strcmp(crv, "P-384") == 0) {
        group = "secp384r1";
        size = 48;

    } else if (strcmp(crv, "P-521") == 0) {
        group = "secp521r1";
        size = 66;

    } else {
        *what = "unsupported curve";
        return NULL;
    }

    pkey = NULL;
    bld = NULL;

    x = govern_jwk_b64(jwk, "x", &xlen);
    y = govern_jwk_b64(jwk, "y", &ylen);

    if (x == NULL || y == NULL || xlen != size || ylen != size) {
        *what = "\"x\" or \"y\" is missing or of the wrong size";
        goto done;
    }

    /* an uncompressed point: 0x04 || x || y */

    point[0] = 0x04;
    memcpy(point + 1, x, size);
    memcpy(point + 1 + size, y, size);

    bld = OSSL_PARAM_BLD_new();

    if (bld == NULL
        || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                            group, 0)
        || !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                             point, 1 + 2 * size))
    {
        *what = "out of memory";
        goto done;
    }

    pkey = govern_jwk_fromdata("EC", bld);
    *what = "the point is not on the curve";

done:

    OSSL_PARAM_BLD_free(bld);
    free(x);
    free(y);

    return pkey;
}


static EVP_PKEY *
govern_jwk_okp(json_t *jwk, const char **what)
{
    size_t          xlen;
    EVP_PKEY       *pkey;
    const char     *crv;
    unsigned char  *x;

    crv = json_string_value(json_object_get(jwk, "crv"));

    if (crv == NULL || strcmp(crv, "Ed25519") != 0) {
        *what = "only the Ed25519 curve is supported";
        return NULL;
    }

    x = govern_jwk_b64(jwk, "x", &xlen);

    if (x == NULL || xlen != 32) {
        free(x);
        *what = "\"x\" is missing or not 32 bytes";
        return NULL;
    }

    pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xlen);
    free(x);

    *what = "invalid Ed25519 key";

    return pkey;
}


static int
govern_jwk_fits(govern_jwt_alg_e alg, EVP_PKEY *pkey,
    size_t secret_len, const char **why)
{
    int     id;
    char    group[32];
    size_t  glen, min;

    switch (alg) {

    case GOVERN_JWT_HS256:
    case GOVERN_JWT_HS384:
    case GOVERN_JWT_HS512:
        if (pkey) {
            *why = "an HMAC algorithm needs a secret, not a public key";
            return 0;
        }

        min = alg == GOVERN_JWT_HS256 ? 32
              : alg == GOVERN_JWT_HS384 ? 48 : 64;

        if (secret_len < min) {
            *why = "the secret is shorter than the hash (RFC 7518 3.2)";
            return 0;
        }

        return 1;

    default:
        break;
    }

    if (pkey == NULL) {
        *why = "a public-key algorithm needs a public key, not a secret";
        return 0;
    }

    id = EVP_PKEY_get_base_id(pkey);

    switch (alg) {

    case GOVERN_JWT_RS256:
    case GOVERN_JWT_RS384:
    case GOVERN_JWT_RS512:
    case GOVERN_JWT_PS256:
    case GOVERN_JWT_PS384:
    case GOVERN_JWT_PS512:
        if (id != EVP_PKEY_RSA) {
            *why = "not an RSA key";
            return 0;
        }

        if (EVP_PKEY_get_bits(pkey) < 2048) {
            *why = "RSA keys under 2048 bits are refused";
            return 0;
        }

        return 1;

    case GOVERN_JWT_ES256:
    case GOVERN_JWT_ES384:
    case GOVERN_JWT_ES512:
        if (id != EVP_PKEY_EC
            || !EVP_PKEY_get_utf8_string_param(pkey,
                                               OSSL_PKEY_PARAM_GROUP_NAME,
                                               group, sizeof(group), &glen))
        {
            *why = "not an EC key";
            return 0;
        }

        if (strcmp(group, alg == GOVERN_JWT_ES256 ? "prime256v1"
                          : alg == GOVERN_JWT_ES384 ? "secp384r1"
                          : "secp521r1") != 0)
        {
            *why = "the curve does not match the algorithm";
            return 0;
        }

        return 1;

    case GOVERN_JWT_EDDSA:
        if (id != EVP_PKEY_ED25519) {
            *why = "not an Ed25519 key";
            return 0;
        }

        return 1;

    default:
        *why = "unknown algorithm";
        return 0;
    }
}
