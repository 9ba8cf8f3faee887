/*
 * Unit tests: webhook signatures (govern_webhook.c).  The deliveries and
 * outbound signatures come from bin/webhook_vectors.h, which
 * webhook_vectors.py writes at build time from the npm packages
 * standardwebhooks and stripe and Python's hmac, never from govern's own
 * code; each delivery is verified whole, in pieces at every split point
 * (small bodies) or in uneven pieces (large ones), through the one-call
 * and the step-by-step interfaces, with its headers found the way the
 * nginx glue finds them.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "govern_jv.h"
#include "govern_webhook.h"


typedef struct {
    const char                    *name;
    govern_webhook_scheme_e        scheme;
    const char                    *secrets[4];      /* NULL-terminated */
    govern_webhook_value_t         headers[GOVERN_WEBHOOK_NHEADERS];
    const char                    *body;            /* repeated */
    size_t                         body_len;
    size_t                         repeat;
    long long                      now;
    long long                      tolerance;
    govern_webhook_status_e        status;
    size_t                         secret;
    const char                    *event_id;
    long long                      timestamp;
    int                            has_timestamp;
    const char                    *why;             /* in the message */
} webhook_vector_t;


typedef struct {
    const char                    *secrets[4];
    const char                    *id;
    long long                      timestamp;
    const char                    *body;
    size_t                         body_len;
    size_t                         repeat;
    const char                    *header;
} webhook_sign_vector_t;


#include "webhook_vectors.h"


#define NVECTORS  (sizeof(webhook_vectors) / sizeof(webhook_vectors[0]))

/* bodies up to this size are split at every position */
#define SPLIT_ALL  512


typedef struct {
    govern_jv_arena_t              arena;
    govern_webhook_secret_t        secrets[4];
    size_t                         nsecrets;
    unsigned char                 *body;
    size_t                         body_len;
} fixture_t;


static void
fixture_init(fixture_t *f, govern_webhook_scheme_e scheme,
    const char *const *secrets, const char *body, size_t body_len,
    size_t repeat)
{
    char    err[160];
    size_t  i;

    memset(f, 0, sizeof(fixture_t));

    for (i = 0; secrets[i]; i++) {
        if (govern_webhook_secret_init(&f->secrets[i], scheme, secrets[i],
                                       strlen(secrets[i]),
                                       govern_jv_arena_alloc, &f->arena, err,
                                       sizeof(err))
            != 0)
        {
            fail_msg("secret %zu refused: %s", i, err);
        }

        f->nsecrets++;
    }

    f->body_len = body_len * repeat;
    f->body = malloc(f->body_len + 1);
    assert_non_null(f->body);

    for (i = 0; i < repeat; i++) {
        memcpy(f->body + i * body_len, body, body_len);
    }
}


static void
fixture_free(fixture_t *f)
{
    size_t  i;

    for (i = 0; i < f->nsecrets; i++) {
        govern_webhook_secret_release(&f->secrets[i]);
        assert_null(f->secrets[i].key);
        assert_null(f->secrets[i].mac);
    }

    free(f->body);
    govern_jv_arena_free(&f->arena);
}


/* the verdict the vector expects, with its name when it is not */

static void
check_result(const webhook_vector_t *v, const govern_webhook_result_t *r,
    const char *how)
{
    if (r->status != v->status) {
        fail_msg("%s (%s): status %d, expected %d: \"%s\"", v->name, how,
                 r->status, v->status, r->message);
    }

    if (v->status == GOVERN_WEBHOOK_VERIFIED) {
        if (r->secret != v->secret || r->message[0] != '\0') {
            fail_msg("%s (%s): secret %zu, expected %zu", v->name, how,
                     r->secret, v->secret);
        }

    } else if (strlen(r->message) < 10) {
        fail_msg("%s (%s): refused without a message", v->name, how);

    } else if (strstr(r->message, v->why) == NULL) {
        fail_msg("%s (%s): \"%s\" does not say \"%s\"", v->name, how,
                 r->message, v->why);
    }

    if (v->status == GOVERN_WEBHOOK_MALFORMED) {
        return;
    }

    if (r->event_id_len != strlen(v->event_id)
        || strcmp(r->event_id, v->event_id) != 0)
    {
        fail_msg("%s (%s): event id \"%s\", expected \"%s\"", v->name, how,
                 r->event_id, v->event_id);
    }

    if (r->has_timestamp != (unsigned) v->has_timestamp
        || (v->has_timestamp && r->timestamp != v->timestamp))
    {
        fail_msg("%s (%s): timestamp %lld, expected %lld", v->name, how,
                 (long long) r->timestamp, v->timestamp);
    }
}


/* the step-by-step interface over pieces ending at the given offsets,
 * hold as the glue would announce the body's length */

static govern_webhook_status_e
verify_steps_hold(const webhook_vector_t *v, const govern_webhook_headers_t *h,
    fixture_t *f, const size_t *ends, size_t nends, size_t hold,
    govern_webhook_result_t *r)
{
    size_t                    i, at;
    govern_jv_arena_t         arena = { NULL };
    govern_webhook_verify_t  *ver;

    ver = govern_webhook_verify_start(v->scheme, h, v->now, v->tolerance,
                                      f->secrets, f->nsecrets, hold,
                                      govern_jv_arena_alloc, &arena, r);
    if (ver == NULL) {
        assert_int_not_equal(r->status, GOVERN_WEBHOOK_VERIFIED);
        govern_jv_arena_free(&arena);
        return r->status;
    }

    for (i = 0, at = 0; i < nends; i++) {
        assert_int_equal(govern_webhook_verify_update(ver, f->body + at,
                                                      ends[i] - at), 0);
        at = ends[i];
    }

    govern_webhook_verify_finish(ver, r);

    /* finished: released, and safe to release again */
    govern_webhook_verify_release(ver);
    assert_int_equal(govern_webhook_verify_update(ver, f->body, 1), -1);

    govern_jv_arena_free(&arena);

    return r->status;
}


/*
 * The same verdict whether every secret streams (no length announced),
 * the secrets are tried in turn over a held body (its length announced),
 * or the body outgrows what was announced half way and streams from there
 */

static govern_webhook_status_e
verify_steps(const webhook_vector_t *v, const govern_webhook_headers_t *h,
    fixture_t *f, const size_t *ends, size_t nends,
    govern_webhook_result_t *r)
{
    size_t                   i;
    govern_webhook_result_t  other;

    const size_t  holds[] = { f->body_len, f->body_len / 2 + 1, 1 };

    verify_steps_hold(v, h, f, ends, nends, 0, r);

    for (i = 0; i < sizeof(holds) / sizeof(holds[0]); i++) {
        memset(&other, 0xa5, sizeof(other));
        verify_steps_hold(v, h, f, ends, nends, holds[i], &other);

        assert_int_equal(other.status, r->status);
        assert_string_equal(other.message, r->message);
        assert_int_equal(other.event_id_len, r->event_id_len);
        assert_memory_equal(other.event_id, r->event_id, r->event_id_len);

        if (r->status == GOVERN_WEBHOOK_VERIFIED) {
            assert_int_equal(other.secret, r->secret);
        }
    }

    return r->status;
}


/* the headers the way the glue finds them: by name, any case, among
 * others, each as many times as it came */

static void
headers_by_name(const webhook_vector_t *v, govern_webhook_headers_t *h,
    int upper)
{
    char                     name[64];
    size_t                   i, k;
    unsigned                 role, n;
    const char              *want;

    memset(h, 0, sizeof(govern_webhook_headers_t));

    assert_int_equal(govern_webhook_headers_add(h, v->scheme,
                         (const unsigned char *) "Content-Type", 12,
                         (const unsigned char *) "application/json", 16),
                     0);

    for (role = 0; role < GOVERN_WEBHOOK_NHEADERS; role++) {
        want = govern_webhook_header_name(v->scheme, role);

        if (want == NULL) {
            assert_int_equal(v->headers[role].count, 0);
            continue;
        }

        k = strlen(want);
        assert_true(k < sizeof(name));

        for (i = 0; i < k; i++) {
            if (upper) {
                name[i] = want[i] >= 'a' && want[i] <= 'z' ? want[i] - 32
                                                           : want[i];
            } else {
                name[i] = want[i] >= 'A' && want[i] <= 'Z' ? want[i] + 32
                                                           : want[i];
            }
        }

        for (n = 0; n < v->headers[role].count; n++) {
            assert_int_equal(govern_webhook_headers_add(h, v->scheme,
                                 (const unsigned char *) name, k,
                                 v->headers[role].data,
                                 v->headers[role].len),
                             1);
        }
    }
}


static void
test_vectors(void **state)
{
    size_t                     i, j, at, n, ends[8];
    fixture_t                  f;
    const webhook_vector_t    *v;
    govern_webhook_chunk_t     chunks[3], *bytes;
    govern_webhook_result_t    r, r2;
    govern_webhook_headers_t   h;

    static const size_t  uneven[] = { 1, 7, 4093, 8192, 3, 16384, 65521 };

    for (i = 0; i < NVECTORS; i++) {
        v = &webhook_vectors[i];
        fixture_init(&f, v->scheme, v->secrets, v->body, v->body_len,
                     v->repeat);

        headers_by_name(v, &h, (int) (i & 1));
        assert_memory_equal(&h, v->headers, sizeof(h));

        /* whole, in one call */
        chunks[0].data = f.body;
        chunks[0].len = f.body_len;
        govern_webhook_verify(v->scheme, &h, chunks, 1, v->now,
                              v->tolerance, f.secrets, f.nsecrets, &r);
        check_result(v, &r, "one call");

        /* step by step, whole */
        ends[0] = f.body_len;
        verify_steps(v, &h, &f, ends, 1, &r);
        check_result(v, &r, "steps");

        if (r.status != GOVERN_WEBHOOK_VERIFIED
            && r.status != GOVERN_WEBHOOK_BAD_SIGNATURE)
        {
            /* refused on the headers: the body plays no part */
            fixture_free(&f);
            continue;
        }

        if (f.body_len <= SPLIT_ALL) {

            /* split at every position, both interfaces */

            for (at = 0; at <= f.body_len; at++) {
                chunks[0].data = f.body;
                chunks[0].len = at;
                chunks[1].data = f.body + at;
                chunks[1].len = f.body_len - at;
                govern_webhook_verify(v->scheme, &h, chunks, 2, v->now,
                                      v->tolerance, f.secrets, f.nsecrets,
                                      &r2);
                check_result(v, &r2, "two pieces");

                ends[0] = at;
                ends[1] = f.body_len;
                verify_steps(v, &h, &f, ends, 2, &r2);
                check_result(v, &r2, "two steps");
            }

            /* every byte a piece of its own */

            bytes = calloc(f.body_len + 1, sizeof(govern_webhook_chunk_t));
            assert_non_null(bytes);

            for (j = 0; j < f.body_len; j++) {
                bytes[j].data = f.body + j;
                bytes[j].len = 1;
            }

            govern_webhook_verify(v->scheme, &h, bytes, f.body_len, v->now,
                                  v->tolerance, f.secrets, f.nsecrets, &r2);
            check_result(v, &r2, "byte by byte");
            free(bytes);

        } else {

            /* uneven pieces through a large body, as buffers and file
             * reads come */

            for (n = 0, at = 0; at < f.body_len && n < 7; n++) {
                at += uneven[n];
                ends[n] = at < f.body_len ? at : f.body_len;
            }

            if (at < f.body_len) {
                ends[n++] = f.body_len;
            }

            verify_steps(v, &h, &f, ends, n, &r2);
            check_result(v, &r2, "uneven steps");
        }

        fixture_free(&f);
    }

    print_message("%zu deliveries\n", NVECTORS);
}


static void
test_sign_vectors(void **state)
{
    char                       out[GOVERN_WEBHOOK_SIGNATURE_SIZE];
    size_t                     i, len, at, step;
    fixture_t                  f;
    govern_webhook_chunk_t     chunk;
    govern_webhook_result_t    r;
    govern_webhook_signer_t    signer;
    govern_webhook_headers_t   h;
    const webhook_sign_vector_t  *s;

    char                       ts[24];

    for (i = 0; i < sizeof(webhook_sign_vectors)
                    / sizeof(webhook_sign_vectors[0]); i++)
    {
        s = &webhook_sign_vectors[i];
        fixture_init(&f, GOVERN_WEBHOOK_STANDARD, s->secrets, s->body,
                     s->body_len, s->repeat);

        assert_int_equal(govern_webhook_sign_start(&signer, f.secrets,
                             f.nsecrets, (const unsigned char *) s->id,
                             strlen(s->id), s->timestamp), 0);

        /* in pieces of 1000 bytes */
        for (at = 0; at < f.body_len; at += step) {
            step = f.body_len - at < 1000 ? f.body_len - at : 1000;
            assert_int_equal(govern_webhook_sign_update(&signer,
                                 f.body + at, step), 0);
        }

        len = govern_webhook_sign_finish(&signer, out, sizeof(out));
        assert_int_equal(len, strlen(s->header));
        assert_string_equal(out, s->header);
        assert_int_equal(signer.nmacs, 0);

        /* and the gateway verifies it with each secret */
        snprintf(ts, sizeof(ts), "%lld", s->timestamp);
        memset(&h, 0, sizeof(h));
        h.value[GOVERN_WEBHOOK_HEADER_ID] = (govern_webhook_value_t) {
            (const unsigned char *) s->id, strlen(s->id), 1 };
        h.value[GOVERN_WEBHOOK_HEADER_TIMESTAMP] = (govern_webhook_value_t) {
            (const unsigned char *) ts, strlen(ts), 1 };
        h.value[GOVERN_WEBHOOK_HEADER_SIGNATURE] = (govern_webhook_value_t) {
            (const unsigned char *) out, len, 1 };
        chunk.data = f.body;
        chunk.len = f.body_len;

        for (at = 0; at < f.nsecrets; at++) {
            assert_int_equal(govern_webhook_verify(GOVERN_WEBHOOK_STANDARD,
                                 &h, &chunk, 1, s->timestamp, 300,
                                 &f.secrets[at], 1, &r),
                             GOVERN_WEBHOOK_VERIFIED);
        }

        fixture_free(&f);
    }
}


static void
test_sign_refusals(void **state)
{
    char                     out[GOVERN_WEBHOOK_SIGNATURE_SIZE];
    fixture_t                f, g;
    govern_webhook_signer_t  signer;

    static const char *const  standard[] = {
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", NULL
    };
    static const char *const  github[] = { "0123456789abcdef", NULL };

    fixture_init(&f, GOVERN_WEBHOOK_STANDARD, standard, "", 0, 1);
    fixture_init(&g, GOVERN_WEBHOOK_GITHUB, github, "", 0, 1);

    /* the id must be one the receiver can key on */
    assert_int_equal(govern_webhook_sign_start(&signer, f.secrets, 1,
                         (const unsigned char *) "msg 1", 5, 1), -1);
    assert_int_equal(govern_webhook_sign_start(&signer, f.secrets, 1,
                         (const unsigned char *) "", 0, 1), -1);
    assert_int_equal(govern_webhook_sign_start(&signer, f.secrets, 1,
                         (const unsigned char *) "m", 1, -1), -1);
    assert_int_equal(govern_webhook_sign_start(&signer, f.secrets, 0,
                         (const unsigned char *) "m", 1, 1), -1);

    /* only standard secrets sign */
    assert_int_equal(govern_webhook_sign_start(&signer, g.secrets, 1,
                         (const unsigned char *) "m", 1, 1), -1);
    assert_int_equal(signer.nmacs, 0);

    /* the example of the Standard Webhooks specification */
    assert_int_equal(govern_webhook_sign_start(&signer, f.secrets, 1,
                         (const unsigned char *)
                         "msg_p5jXN8AQM9LWM0D4loKWxJek", 28, 1614265330),
                     0);
    assert_int_equal(govern_webhook_sign_update(&signer,
                         (const unsigned char *) "{\"test\": 2432232314}",
                         20), 0);
    assert_int_equal(govern_webhook_sign_finish(&signer, out, sizeof(out)),
                     47);
    assert_string_equal(out, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");

    /* no room: nothing written, released all the same */
    assert_int_equal(govern_webhook_sign_start(&signer, f.secrets, 1,
                         (const unsigned char *) "m", 1, 1), 0);
    assert_int_equal(govern_webhook_sign_finish(&signer, out, 47), 0);
    assert_int_equal(signer.nmacs, 0);
    assert_int_equal(govern_webhook_sign_update(&signer,
                         (const unsigned char *) "x", 1), -1);

    /* abandoned half way */
    assert_int_equal(govern_webhook_sign_start(&signer, f.secrets, 1,
                         (const unsigned char *) "m", 1, 1), 0);
    govern_webhook_sign_release(&signer);
    govern_webhook_sign_release(&signer);

    fixture_free(&f);
    fixture_free(&g);
}


static void
test_names(void **state)
{
    govern_webhook_headers_t  h;

    assert_int_equal(govern_webhook_scheme("standard", 8),
                     GOVERN_WEBHOOK_STANDARD);
    assert_int_equal(govern_webhook_scheme("stripe", 6),
                     GOVERN_WEBHOOK_STRIPE);
    assert_int_equal(govern_webhook_scheme("shopify", 7),
                     GOVERN_WEBHOOK_SHOPIFY);
    assert_int_equal(govern_webhook_scheme("github", 6),
                     GOVERN_WEBHOOK_GITHUB);
    assert_int_equal(govern_webhook_scheme("Standard", 8),
                     GOVERN_WEBHOOK_UNKNOWN);
    assert_int_equal(govern_webhook_scheme("svix", 4),
                     GOVERN_WEBHOOK_UNKNOWN);
    assert_int_equal(govern_webhook_scheme("github", 5),
                     GOVERN_WEBHOOK_UNKNOWN);
    assert_string_equal(govern_webhook_scheme_name(GOVERN_WEBHOOK_SHOPIFY),
                        "shopify");
    assert_null(govern_webhook_scheme_name(GOVERN_WEBHOOK_UNKNOWN));
    assert_null(govern_webhook_scheme_name((govern_webhook_scheme_e) 9));

    assert_null(govern_webhook_reason_code(GOVERN_WEBHOOK_VERIFIED));
    assert_string_equal(govern_webhook_reason_code(GOVERN_WEBHOOK_MALFORMED),
                        "webhook_malformed");
    assert_string_equal(
        govern_webhook_reason_code(GOVERN_WEBHOOK_BAD_TIMESTAMP),
        "webhook_timestamp");
    assert_string_equal(
        govern_webhook_reason_code(GOVERN_WEBHOOK_BAD_SIGNATURE),
        "webhook_signature");
    assert_string_equal(govern_webhook_reason_code(GOVERN_WEBHOOK_ERROR),
                        "internal_error");

    assert_string_equal(govern_webhook_header_name(GOVERN_WEBHOOK_GITHUB,
                            GOVERN_WEBHOOK_HEADER_ID), "X-GitHub-Delivery");
    assert_null(govern_webhook_header_name(GOVERN_WEBHOOK_STRIPE,
                    GOVERN_WEBHOOK_HEADER_ID));
    assert_null(govern_webhook_header_name(GOVERN_WEBHOOK_STANDARD, 3));

    /* names match whole and case-insensitively, nothing else */
    memset(&h, 0, sizeof(h));
    assert_int_equal(govern_webhook_headers_add(&h, GOVERN_WEBHOOK_STANDARD,
                         (const unsigned char *) "Webhook-Id", 10,
                         (const unsigned char *) "a", 1), 1);
    assert_int_equal(govern_webhook_headers_add(&h, GOVERN_WEBHOOK_STANDARD,
                         (const unsigned char *) "webhook\rid", 10,
                         (const unsigned char *) "b", 1), 0);
    assert_int_equal(govern_webhook_headers_add(&h, GOVERN_WEBHOOK_STANDARD,
                         (const unsigned char *) "webhook-i", 9,
                         (const unsigned char *) "b", 1), 0);
    assert_int_equal(govern_webhook_headers_add(&h, GOVERN_WEBHOOK_STANDARD,
                         (const unsigned char *) "webhook-ids", 11,
                         (const unsigned char *) "b", 1), 0);
    assert_int_equal(govern_webhook_headers_add(&h, GOVERN_WEBHOOK_STRIPE,
                         (const unsigned char *) "webhook-id", 10,
                         (const unsigned char *) "b", 1), 0);
    assert_int_equal(govern_webhook_headers_add(&h, GOVERN_WEBHOOK_STANDARD,
                         (const unsigned char *) "WEBHOOK-ID", 10,
                         (const unsigned char *) "c", 1), 1);

    /* the first value is kept, the count tells it came twice */
    assert_int_equal(h.value[GOVERN_WEBHOOK_HEADER_ID].count, 2);
    assert_memory_equal(h.value[GOVERN_WEBHOOK_HEADER_ID].data, "a", 1);

    assert_true(govern_webhook_event_id_valid(
                    (const unsigned char *) "evt_1", 5));
    assert_false(govern_webhook_event_id_valid(
                     (const unsigned char *) "evt\x7f", 4));
    assert_false(govern_webhook_event_id_valid(
                     (const unsigned char *) "caf\xc3\xa9", 5));
    assert_false(govern_webhook_event_id_valid(
                     (const unsigned char *) "a}", 2));
}


#define ZEROS64                                                              \
    "0000000000000000000000000000000000000000000000000000000000000000"


static govern_webhook_value_t
value(const char *s)
{
    govern_webhook_value_t  v = { (const unsigned char *) s, strlen(s), 1 };

    return v;
}


static void
test_verify_misuse(void **state)
{
    fixture_t                  f, g;
    govern_jv_arena_t          arena = { NULL };
    govern_webhook_chunk_t     chunk;
    govern_webhook_result_t    r;
    govern_webhook_headers_t   h;
    govern_webhook_verify_t   *v;

    static const char *const  github[] = { "0123456789abcdef", NULL };
    static const char *const  shopify[] = { "0123456789abcdef", NULL };

    fixture_init(&f, GOVERN_WEBHOOK_GITHUB, github, "x", 1, 1);
    fixture_init(&g, GOVERN_WEBHOOK_SHOPIFY, shopify, "x", 1, 1);

    memset(&h, 0, sizeof(h));
    h.value[GOVERN_WEBHOOK_HEADER_ID] = value("d1");
    h.value[GOVERN_WEBHOOK_HEADER_SIGNATURE] = value("sha256=" ZEROS64);
    chunk.data = f.body;
    chunk.len = 1;

    /* the same key under another scheme's rules is not a candidate */
    assert_int_equal(govern_webhook_verify(GOVERN_WEBHOOK_GITHUB, &h, &chunk,
                         1, 0, 300, g.secrets, 1, &r),
                     GOVERN_WEBHOOK_ERROR);
    assert_null(govern_webhook_verify_start(GOVERN_WEBHOOK_GITHUB, &h, 0,
                    300, g.secrets, 1, 0, govern_jv_arena_alloc, &arena,
                    &r));
    assert_int_equal(r.status, GOVERN_WEBHOOK_ERROR);

    assert_int_equal(govern_webhook_verify(GOVERN_WEBHOOK_UNKNOWN, &h,
                         &chunk, 1, 0, 300, f.secrets, 1, &r),
                     GOVERN_WEBHOOK_ERROR);
    assert_int_equal(govern_webhook_verify((govern_webhook_scheme_e) 7, &h,
                         &chunk, 1, 0, 300, f.secrets, 1, &r),
                     GOVERN_WEBHOOK_ERROR);

    /* no secret at all: nothing verifies */
    assert_int_equal(govern_webhook_verify(GOVERN_WEBHOOK_GITHUB, &h, &chunk,
                         1, 0, 300, f.secrets, 0, &r),
                     GOVERN_WEBHOOK_BAD_SIGNATURE);
    assert_string_equal(r.event_id, "d1");
    assert_false(r.has_timestamp);

    /* abandoned after the headers: release frees it, twice is harmless */
    v = govern_webhook_verify_start(GOVERN_WEBHOOK_GITHUB, &h, 0, 300,
                                    f.secrets, 1, 0, govern_jv_arena_alloc,
                                    &arena, &r);
    assert_non_null(v);
    assert_int_equal(govern_webhook_verify_update(v, f.body, 1), 0);
    govern_webhook_verify_release(v);
    govern_webhook_verify_release(v);
    govern_webhook_verify_release(NULL);

    /* a negative tolerance is none */
    {
        govern_webhook_headers_t  s;

        memset(&s, 0, sizeof(s));
        s.value[GOVERN_WEBHOOK_HEADER_SIGNATURE] = value("t=100,v1="
                                                         ZEROS64);
        assert_int_equal(govern_webhook_verify(GOVERN_WEBHOOK_STRIPE, &s,
                             &chunk, 1, 101, -5, NULL, 0, &r),
                         GOVERN_WEBHOOK_BAD_TIMESTAMP);
        assert_int_equal(govern_webhook_verify(GOVERN_WEBHOOK_STRIPE, &s,
                             &chunk, 1, 100, -5, NULL, 0, &r),
                         GOVERN_WEBHOOK_BAD_SIGNATURE);

        /* extreme clocks do not wrap around */
        assert_int_equal(govern_webhook_verify(GOVERN_WEBHOOK_STRIPE, &s,
                             &chunk, 1, INT64_MIN, INT64_MAX, NULL, 0, &r),
                         GOVERN_WEBHOOK_BAD_TIMESTAMP);
        assert_int_equal(govern_webhook_verify(GOVERN_WEBHOOK_STRIPE, &s,
                             &chunk, 1, INT64_MAX, 300, NULL, 0, &r),
                         GOVERN_WEBHOOK_BAD_TIMESTAMP);
        assert_non_null(strstr(r.message, "s old"));
    }

    govern_jv_arena_free(&arena);
    fixture_free(&f);
    fixture_free(&g);
}


/* secrets as the provider hands them out */

static void
expect_secret_refused(govern_webhook_scheme_e scheme, const char *secret,
    const char *why)
{
    char                      err[160];
    govern_jv_arena_t         arena = { NULL };
    govern_webhook_secret_t   s;

    if (govern_webhook_secret_init(&s, scheme, secret, strlen(secret),
                                   govern_jv_arena_alloc, &arena, err,
                                   sizeof(err))
        == 0)
    {
        govern_webhook_secret_release(&s);
        govern_jv_arena_free(&arena);
        fail_msg("secret \"%s\" accepted", secret);
    }

    if (strstr(err, why) == NULL) {
        fail_msg("secret \"%s\": \"%s\", expected \"%s\"", secret, err, why);
    }

    /* the message never quotes the secret */
    if (strlen(secret) > 6 && strstr(err, secret + 6) != NULL) {
        fail_msg("the message quotes the secret: %s", err);
    }

    assert_null(s.key);
    assert_null(s.mac);
    govern_jv_arena_free(&arena);
}


static void
test_secret_rules(void **state)
{
    char                      err[160];
    govern_jv_arena_t         arena = { NULL };
    govern_webhook_secret_t   s;

    /* 16 bytes, with and without padding */
    assert_int_equal(govern_webhook_secret_init(&s, GOVERN_WEBHOOK_STANDARD,
                         "whsec_AAECAwQFBgcICQoLDA0ODw==", 30,
                         govern_jv_arena_alloc, &arena, err, sizeof(err)),
                     0);
    assert_int_equal(s.key_len, 16);
    assert_int_equal(s.key[15], 15);
    govern_webhook_secret_release(&s);
    assert_int_equal(govern_webhook_secret_init(&s, GOVERN_WEBHOOK_STANDARD,
                         "whsec_AAECAwQFBgcICQoLDA0ODw", 28,
                         govern_jv_arena_alloc, &arena, err, sizeof(err)),
                     0);
    assert_int_equal(s.key_len, 16);
    govern_webhook_secret_release(&s);

    expect_secret_refused(GOVERN_WEBHOOK_STANDARD,
                          "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_");
    expect_secret_refused(GOVERN_WEBHOOK_STANDARD, "whsec_", "decodes to 0");
    expect_secret_refused(GOVERN_WEBHOOK_STANDARD,
                          "whsec_AAECAwQFBgcICQoLDA0O", "decodes to 15");
    expect_secret_refused(GOVERN_WEBHOOK_STANDARD,
                          "whsec_AAECAwQFBgcICQoLDA0ODw=", "not base64");
    expect_secret_refused(GOVERN_WEBHOOK_STANDARD,
                          "whsec_AAECAwQFBgcICQoLDA0ODx==", "not base64");
    expect_secret_refused(GOVERN_WEBHOOK_STANDARD,
                          "whsec_AAECAwQFBgcICQoLDA0O-w", "not base64");
    expect_secret_refused(GOVERN_WEBHOOK_STANDARD,
                          "whsec_AAECAwQFBgcICQoLDA0ODw== ", "not base64");
    expect_secret_refused(GOVERN_WEBHOOK_STANDARD,
                          "whsec_AAECAwQFBgcICQoLDA0OD", "not base64");

    {
        char  big[800];

        memcpy(big, "whsec_", 6);
        memset(big + 6, 'A', sizeof(big) - 7);
        big[sizeof(big) - 1] = '\0';
        expect_secret_refused(GOVERN_WEBHOOK_STANDARD, big, "longer than");
    }

    expect_secret_refused(GOVERN_WEBHOOK_STRIPE,
                          "sk_live_0123456789abcdefghij", "whsec_");
    expect_secret_refused(GOVERN_WEBHOOK_STRIPE, "whsec_0123456789abcde",
                          "21 bytes");
    expect_secret_refused(GOVERN_WEBHOOK_STRIPE,
                          "whsec_0123456789 abcdefghij", "Stripe's have");
    expect_secret_refused(GOVERN_WEBHOOK_SHOPIFY, "0123456789abcde",
                          "15 bytes");
    expect_secret_refused(GOVERN_WEBHOOK_SHOPIFY,
                          "0123456789abcdef\n", "printable");
    expect_secret_refused(GOVERN_WEBHOOK_GITHUB, " 0123456789abcdef",
                          "at an end");
    expect_secret_refused(GOVERN_WEBHOOK_GITHUB, "0123456789abcd\xc3\xa9",
                          "printable");
    expect_secret_refused(GOVERN_WEBHOOK_UNKNOWN, "0123456789abcdef",
                          "unknown");

    /* a GitHub secret may hold spaces inside */
    assert_int_equal(govern_webhook_secret_init(&s, GOVERN_WEBHOOK_GITHUB,
                         "It's a Secret to Everybody", 26,
                         govern_jv_arena_alloc, &arena, err, sizeof(err)),
                     0);
    assert_int_equal(s.key_len, 26);
    govern_webhook_secret_release(&s);

    govern_jv_arena_free(&arena);
}


static void
expect_file_refused(govern_webhook_scheme_e scheme, const char *text,
    const char *why)
{
    char                      err[256];
    govern_jv_arena_t         arena = { NULL };
    govern_webhook_secrets_t  set;

    if (govern_webhook_secrets_parse(&set, scheme, text, strlen(text),
                                     govern_jv_arena_alloc, &arena, err,
                                     sizeof(err))
        == 0)
    {
        govern_webhook_secrets_release(&set);
        govern_jv_arena_free(&arena);
        fail_msg("accepted: %s", text);
    }

    if (strstr(err, why) == NULL) {
        fail_msg("%s: \"%s\", expected \"%s\"", text, err, why);
    }

    /* what was made before the refusal is released */
    assert_int_equal(set.nsecrets, 0);
    govern_jv_arena_free(&arena);
}


#define STD_A  "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define STD_B  "whsec_AAECAwQFBgcICQoLDA0ODw=="
#define STD_C  "whsec_c2Vjb25kIHBhcnRuZXIga2V5IQ=="


static void
test_secrets_file(void **state)
{
    char                      err[256];
    size_t                    first;
    govern_jv_arena_t         arena = { NULL };
    govern_webhook_secrets_t  set;

    static const char  file[] =
        "{\"acme\": [\"" STD_A "\", \"" STD_B "\"],\n"
        " \"caf\\u00e9 retail\": [\"" STD_C "\"]}";

    assert_int_equal(govern_webhook_secrets_parse(&set,
                         GOVERN_WEBHOOK_STANDARD, file, sizeof(file) - 1,
                         govern_jv_arena_alloc, &arena, err, sizeof(err)),
                     0);
    assert_int_equal(set.scheme, GOVERN_WEBHOOK_STANDARD);
    assert_int_equal(set.nsecrets, 3);
    assert_int_equal(set.npartners, 2);
    assert_string_equal(set.secrets[0].partner, "acme");
    assert_ptr_equal(set.secrets[0].partner, set.secrets[1].partner);
    assert_string_equal(set.secrets[2].partner, "caf\xc3\xa9 retail");
    assert_int_equal(set.secrets[2].partner_len, 12);
    assert_int_equal(set.secrets[1].key_len, 16);

    assert_int_equal(govern_webhook_secrets_partner(&set, "acme", 4, &first),
                     2);
    assert_int_equal(first, 0);
    assert_int_equal(govern_webhook_secrets_partner(&set,
                         "caf\xc3\xa9 retail", 12, &first), 1);
    assert_int_equal(first, 2);
    assert_int_equal(govern_webhook_secrets_partner(&set, "acm", 3, &first),
                     0);

    govern_webhook_secrets_release(&set);
    assert_int_equal(set.nsecrets, 0);
    govern_webhook_secrets_release(&set);

    expect_file_refused(GOVERN_WEBHOOK_STANDARD, "", "invalid JSON at byte");
    expect_file_refused(GOVERN_WEBHOOK_STANDARD, "{\"a\": [\"x\"]",
                        "invalid JSON");
    expect_file_refused(GOVERN_WEBHOOK_STANDARD, "[]", "not a JSON object");
    expect_file_refused(GOVERN_WEBHOOK_STANDARD, "{}", "not a JSON object");
    expect_file_refused(GOVERN_WEBHOOK_STANDARD,
                        "{\"a\": \"" STD_A "\"}", "partner \"a\": not an "
                        "array of 1 to 16");
    expect_file_refused(GOVERN_WEBHOOK_STANDARD, "{\"a\": []}",
                        "not an array");
    expect_file_refused(GOVERN_WEBHOOK_STANDARD,
                        "{\"a\": [\"" STD_A "\", 7]}",
                        "partner \"a\", secret 2: not a string");
    expect_file_refused(GOVERN_WEBHOOK_STANDARD,
                        "{\"a\": [\"" STD_A "\"], \"a\": [\"" STD_B "\"]}",
                        "duplicate");
    expect_file_refused(GOVERN_WEBHOOK_STANDARD,
                        "{\"\": [\"" STD_A "\"]}", "partner 1: a name");
    expect_file_refused(GOVERN_WEBHOOK_STANDARD,
                        "{\"a\": [\"" STD_A "\"], \"{b}\": [\"" STD_B "\"]}",
                        "partner 2: a name");
    expect_file_refused(GOVERN_WEBHOOK_STANDARD,
                        "{\"a\\tb\": [\"" STD_A "\"]}", "partner 1: a name");
    expect_file_refused(GOVERN_WEBHOOK_STANDARD,
                        "{\"a\": [\"" STD_A "\", \"whsec_short\"]}",
                        "partner \"a\", secret 2: the secret after");
    expect_file_refused(GOVERN_WEBHOOK_STANDARD,
                        "{\"a\": [\"" STD_B "\", \"" STD_A "\", \""
                        STD_B "\"]}",
                        "partner \"a\": secrets 1 and 3 are the same");

    /* the same key, spelt without its padding, is the same secret */
    expect_file_refused(GOVERN_WEBHOOK_STANDARD,
                        "{\"a\": [\"" STD_A "\"], \"b\": [\"" STD_C "\", "
                        "\"whsec_AAECAwQFBgcICQoLDA0ODw\"], \"c\": [\""
                        STD_B "\"]}",
                        "partners \"b\" and \"c\" share a secret");

    expect_file_refused(GOVERN_WEBHOOK_STANDARD,
                        "{\"a\": [\"1\", \"2\", \"3\", \"4\", \"5\", \"6\", "
                        "\"7\", \"8\", \"9\", \"10\", \"11\", \"12\", \"13\", "
                        "\"14\", \"15\", \"16\", \"17\"]}", "1 to 16");
    expect_file_refused(GOVERN_WEBHOOK_STRIPE,
                        "{\"a\": [\"sk_live_0123456789abcdefghij\"]}",
                        "partner \"a\", secret 1: a Stripe endpoint secret");
    expect_file_refused(GOVERN_WEBHOOK_UNKNOWN, "{}", "unknown");

    /* one file per scheme: a Stripe secret is used as given */
    assert_int_equal(govern_webhook_secrets_parse(&set, GOVERN_WEBHOOK_STRIPE,
                         "{\"shop\": [\"whsec_0123456789abcdef\"]}", 36,
                         govern_jv_arena_alloc, &arena, err, sizeof(err)),
                     0);
    assert_int_equal(set.secrets[0].key_len, 22);
    assert_memory_equal(set.secrets[0].key, "whsec_0123456789abcdef", 22);
    govern_webhook_secrets_release(&set);

    govern_jv_arena_free(&arena);
}


static void
test_secrets_load(void **state)
{
    int                       fd;
    char                      path[] = "/tmp/govern-webhook-XXXXXX";
    char                      err[256];
    govern_jv_arena_t         arena = { NULL };
    govern_webhook_secrets_t  set;

    static const char  file[] = "{\"acme\": [\"" STD_A "\"]}\n";

    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, file, sizeof(file) - 1), sizeof(file) - 1);
    close(fd);

    /* mkstemp makes it 0600 */
    assert_int_equal(govern_webhook_secrets_load(&set,
                         GOVERN_WEBHOOK_STANDARD, path,
                         govern_jv_arena_alloc, &arena, err, sizeof(err)),
                     0);
    assert_int_equal(set.nsecrets, 1);
    govern_webhook_secrets_release(&set);

    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(govern_webhook_secrets_load(&set,
                         GOVERN_WEBHOOK_STANDARD, path,
                         govern_jv_arena_alloc, &arena, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "accessible by group or others"));

    assert_int_equal(chmod(path, 0604), 0);
    assert_int_equal(govern_webhook_secrets_load(&set,
                         GOVERN_WEBHOOK_STANDARD, path,
                         govern_jv_arena_alloc, &arena, err, sizeof(err)),
                     -1);

    /* the same secret is a valid one for the other schemes */
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(govern_webhook_secrets_load(&set,
                         GOVERN_WEBHOOK_GITHUB, path,
                         govern_jv_arena_alloc, &arena, err, sizeof(err)),
                     0);
    govern_webhook_secrets_release(&set);
    assert_int_equal(govern_webhook_secrets_load(&set,
                         GOVERN_WEBHOOK_STRIPE, path,
                         govern_jv_arena_alloc, &arena, err, sizeof(err)),
                     0);
    govern_webhook_secrets_release(&set);
    assert_int_equal(govern_webhook_secrets_load(&set,
                         GOVERN_WEBHOOK_SHOPIFY, path,
                         govern_jv_arena_alloc, &arena, err, sizeof(err)),
                     0);
    govern_webhook_secrets_release(&set);

    /* the parse's message comes through */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "{\"acme\": []}", 12), 12);
    close(fd);
    assert_int_equal(govern_webhook_secrets_load(&set,
                         GOVERN_WEBHOOK_STANDARD, path,
                         govern_jv_arena_alloc, &arena, err, sizeof(err)),
                     -1);
    assert_string_equal(err, "partner \"acme\": not an array of 1 to 16 "
                             "secrets");

    assert_int_equal(unlink(path), 0);
    assert_int_equal(govern_webhook_secrets_load(&set,
                         GOVERN_WEBHOOK_STANDARD, path,
                         govern_jv_arena_alloc, &arena, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "cannot open"));

    assert_int_equal(govern_webhook_secrets_load(&set,
                         GOVERN_WEBHOOK_STANDARD, "/tmp",
                         govern_jv_arena_alloc, &arena, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "not a regular file"));

    govern_jv_arena_free(&arena);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_sign_vectors),
        cmocka_unit_test(test_sign_refusals),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_verify_misuse),
        cmocka_unit_test(test_secret_rules),
        cmocka_unit_test(test_secrets_file),
        cmocka_unit_test(test_secrets_load),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
