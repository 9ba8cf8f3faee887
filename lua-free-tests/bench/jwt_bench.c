/*
 * make bench, the verified-token cache miss: what a miss costs beyond a hit
 * in the token stage (govern_jwt_decode_sets and the claim rules, given the
 * digests a hit computes too), against the raw signature check openssl
 * speed measures (EVP_PKEY_verify of a precomputed digest with a prepared
 * context), in the same process, rounds interleaved, in thread CPU time.
 *
 * usage: jwt_bench JWKS TOKENS ROUNDS  (TOKENS: one compact JWS a line,
 * all of one algorithm, claims iss https://idp.bench, aud govern)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include "govern_jwt.h"


#define MAX_TOKENS  4096
#define PER_ROUND   2000


static unsigned char  arena[64 * 1024];
static size_t         used;


/* a request pool's stand-in: bump allocation, reset per token */

static void *
bench_alloc(void *ctx, size_t size)
{
    void  *p;

    (void) ctx;
    size = (size + 15) & ~(size_t) 15;

    if (used + size > sizeof(arena)) {
        return NULL;
    }

    p = arena + used;
    used += size;

    return p;
}


static double
cpu_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


int
main(int argc, char **argv)
{
    int                        rounds, r, i, n;
    char                       err[256], line[8192];
    FILE                      *f;
    size_t                     sig_len, der_len;
    double                     t0, t1, t2, raw, miss;
    unsigned char              sig[512], der[600], *p, keyd[32];
    const char                *dot;
    ECDSA_SIG                 *es;
    govern_jwt_keys_t          keys = { NULL, 0 };
    govern_jwt_rules_t         rules;
    govern_jwt_claims_t        claims;
    govern_jwt_result_t        result;
    const govern_jwt_key_t    *key;
    const govern_jwt_keys_t   *sets[1];
    static char               *tokens[MAX_TOKENS];
    static unsigned char       si[MAX_TOKENS][32];
    static const char         *issuers[] = { "https://idp.bench", NULL };
    static const char         *audiences[] = { "govern", NULL };

    if (argc != 4) {
        fprintf(stderr, "usage: jwt_bench JWKS TOKENS ROUNDS\n");
        return 2;
    }

    if (govern_jwt_keys_load(&keys, argv[1], NULL, NULL, err, sizeof(err))
        != 0)
    {
        fprintf(stderr, "jwt_bench: %s\n", err);
        return 1;
    }

    f = fopen(argv[2], "r");
    if (f == NULL) {
        perror(argv[2]);
        return 1;
    }

    for (n = 0; n < MAX_TOKENS && fgets(line, sizeof(line), f); n++) {
        line[strcspn(line, "\n")] = '\0';
        tokens[n] = strdup(line);

        /* the digests a hit computes as well (the cache key's pass) */
        govern_jwt_digests((unsigned char *) tokens[n], strlen(tokens[n]),
                           keyd, si[n]);
    }

    fclose(f);
    rounds = atoi(argv[3]);
    sets[0] = &keys;

    if (n == 0 || rounds <= 0) {
        fprintf(stderr, "jwt_bench: no tokens\n");
        return 2;
    }

    /* the key and signature of the first token, for the raw check */

    used = 0;

    if (govern_jwt_decode_sets((unsigned char *) tokens[0],
                               strlen(tokens[0]), sets, 1, "sub", si[0],
                               bench_alloc, NULL, &claims, &result)
        != GOVERN_REASON_NONE)
    {
        fprintf(stderr, "jwt_bench: %s\n", result.detail);
        return 1;
    }

    key = result.key;
    dot = strrchr(tokens[0], '.');
    sig_len = govern_base64url_decode(sig, (unsigned char *) dot + 1,
                                      strlen(dot + 1));

    if (key->alg == GOVERN_JWT_ES256) {
        es = ECDSA_SIG_new();
        ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL),
                       BN_bin2bn(sig + 32, 32, NULL));
        p = der;
        der_len = i2d_ECDSA_SIG(es, &p);
        ECDSA_SIG_free(es);

    } else if (key->alg == GOVERN_JWT_RS256 || key->alg == GOVERN_JWT_PS256) {
        memcpy(der, sig, sig_len);
        der_len = sig_len;

    } else {
        fprintf(stderr, "jwt_bench: RS256, PS256 or ES256 tokens only\n");
        return 2;
    }

    rules.now = time(NULL);
    rules.leeway = 30;
    rules.issuers = issuers;
    rules.audiences = audiences;

    raw = 0;
    miss = 0;

    for (r = 0; r < rounds; r++) {
        t0 = cpu_now();

        for (i = 0; i < PER_ROUND; i++) {
            if (EVP_PKEY_verify(key->verify, der, der_len, si[0], 32) != 1) {
                fprintf(stderr, "jwt_bench: raw verify failed\n");
                return 1;
            }
        }

        t1 = cpu_now();

        for (i = 0; i < PER_ROUND; i++) {
            used = 0;

            if (govern_jwt_decode_sets((unsigned char *) tokens[i % n],
                                       strlen(tokens[i % n]), sets, 1,
                                       "sub", si[i % n], bench_alloc, NULL,
                                       &claims, &result)
                != GOVERN_REASON_NONE
                || govern_jwt_validate(&claims, &rules, &result.detail)
                   != GOVERN_REASON_NONE)
            {
                fprintf(stderr, "jwt_bench: %s\n", result.detail);
                return 1;
            }
        }

        t2 = cpu_now();

        raw += t1 - t0;
        miss += t2 - t1;
    }

    printf("%s cache miss in the token stage: %.2f us; raw verify "
           "(openssl speed's): %.2f us; ratio %.3f (%d x %d tokens, "
           "thread CPU time)\n", govern_jwt_alg_name(key->alg),
           miss / rounds / PER_ROUND * 1e6, raw / rounds / PER_ROUND * 1e6,
           miss / raw, rounds, PER_ROUND);

    govern_jwt_keys_free(&keys);

    return 0;
}
