/*
 * libFuzzer target: a webhook delivery, all partner-controlled, through
 * govern's verifier (govern_webhook.c).  The input is
 *
 *   byte 0   the scheme (bits 0-1: standard, stripe, shopify, github) and
 *            for each header role, two bits (2-3 id, 4-5 timestamp, 6-7
 *            signature): 2 leaves the header out, 3 sends it twice
 *   byte 1   where the body is split in two for the step-by-step run
 *   then     id \n timestamp \n signature \n body (the body is the rest)
 *
 * Refusals are expected; a crash, leak or hang is a bug, and so is
 * any of: a verdict that the one-call and the step-by-step interfaces
 * disagree on, a refusal without a message, and a delivery verified
 * without the right HMAC, recomputed here with OpenSSL's one-shot HMAC()
 * (a code path of its own) and looked for in the signature header.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "govern_jv.h"
#include "govern_webhook.h"


#define NOW        1700000000
#define TOLERANCE  300


/* the text of each secret, and the key the sender signs with */
static const struct {
    const char  *text;
    const char  *key;
} fuzz_secrets[4][2] = {
    { { "whsec_ZnV6ei1zdGFuZGFyZC1rZXktb25lIQ==", "fuzz-standard-key-one!" },
      { "whsec_ZnV6ei1zdGFuZGFyZC1rZXktdHdvISE=",
        "fuzz-standard-key-two!!" } },
    { { "whsec_fuzzstripekeyone000", "whsec_fuzzstripekeyone000" },
      { "whsec_fuzzstripekeytwo000", "whsec_fuzzstripekeytwo000" } },
    { { "fuzz-shopify-key-one", "fuzz-shopify-key-one" },
      { "fuzz-shopify-key-two", "fuzz-shopify-key-two" } },
    { { "fuzz-github-key-one!", "fuzz-github-key-one!" },
      { "fuzz-github-key-two!", "fuzz-github-key-two!" } },
};

static govern_jv_arena_t        arena;
static govern_webhook_secret_t  secrets[4][2];
static int                      ready;


static void
fuzz_init(void)
{
    char      err[160];
    unsigned  s, i;

    for (s = 0; s < 4; s++) {
        for (i = 0; i < 2; i++) {
            if (govern_webhook_secret_init(&secrets[s][i],
                    (govern_webhook_scheme_e) (s + 1),
                    fuzz_secrets[s][i].text,
                    strlen(fuzz_secrets[s][i].text), govern_jv_arena_alloc,
                    &arena, err, sizeof(err))
                != 0)
            {
                abort();
            }
        }
    }

    ready = 1;
}


/* the field up to the next '\n' */

static const uint8_t *
fuzz_field(const uint8_t *p, const uint8_t *end, size_t *len)
{
    const uint8_t  *nl;

    nl = memchr(p, '\n', end - p);
    *len = (nl ? nl : end) - p;

    return nl ? nl + 1 : end;
}


/* is needle, as a whole item between separators, in the header? */

static int
fuzz_has_item(const uint8_t *h, size_t hlen, const char *needle,
    size_t nlen, char sep, int nocase)
{
    size_t  i, start;

    for (start = 0, i = 0; i <= hlen; i++) {
        if (i < hlen && h[i] != (uint8_t) sep) {
            continue;
        }

        if (i - start == nlen
            && (nocase ? strncasecmp((const char *) h + start, needle, nlen)
                       : memcmp(h + start, needle, nlen)) == 0)
        {
            return 1;
        }

        start = i + 1;
    }

    return 0;
}


/* a verified delivery: the right HMAC was in the signature header */

static void
fuzz_check_verified(unsigned scheme, const govern_webhook_result_t *r,
    const uint8_t *id, size_t id_len, const uint8_t *ts, size_t ts_len,
    const uint8_t *sig, size_t sig_len, const uint8_t *body, size_t len)
{
    char            want[128];
    size_t          i, n, mlen;
    uint8_t        *msg;
    const char     *key;
    const uint8_t  *t;
    unsigned int    maclen;
    unsigned char   mac[EVP_MAX_MD_SIZE];

    if (r->secret >= 2) {
        abort();
    }

    key = fuzz_secrets[scheme][r->secret].key;

    /* what the sender signed */

    msg = malloc(id_len + ts_len + sig_len + len + 2 + 1);
    if (msg == NULL) {
        abort();
    }

    mlen = 0;

    if (scheme == 0) {
        memcpy(msg, id, id_len);
        mlen = id_len;
        msg[mlen++] = '.';
        memcpy(msg + mlen, ts, ts_len);
        mlen += ts_len;
        msg[mlen++] = '.';

        if ((size_t) r->event_id_len != id_len
            || memcmp(r->event_id, id, id_len) != 0)
        {
            abort();
        }

    } else if (scheme == 1) {

        /* Stripe's t, found here on its own */
        for (t = NULL, i = 0; i + 2 <= sig_len; i++) {
            if ((i == 0 || sig[i - 1] == ',') && sig[i] == 't'
                && sig[i + 1] == '=')
            {
                t = sig + i + 2;
                break;
            }
        }

        if (t == NULL) {
            abort();
        }

        for (n = 0; t + n < sig + sig_len && t[n] != ','; n++) {
            /* void */
        }

        memcpy(msg, t, n);
        mlen = n;
        msg[mlen++] = '.';
    }

    memcpy(msg + mlen, body, len);
    mlen += len;

    if (HMAC(EVP_sha256(), key, strlen(key), msg, mlen, mac, &maclen)
        == NULL || maclen != 32)
    {
        abort();
    }

    free(msg);

    switch (scheme) {

    case 0:
        memcpy(want, "v1,", 3);
        EVP_EncodeBlock((unsigned char *) want + 3, mac, 32);

        if (!fuzz_has_item(sig, sig_len, want, 47, ' ', 0)) {
            abort();
        }

        break;

    case 1:
        memcpy(want, "v1=", 3);

        for (i = 0; i < 32; i++) {
            want[3 + 2 * i] = "0123456789abcdef"[mac[i] >> 4];
            want[4 + 2 * i] = "0123456789abcdef"[mac[i] & 0xf];
        }

        if (!fuzz_has_item(sig, sig_len, want, 67, ',', 1)) {
            abort();
        }

        break;

    case 2:
        EVP_EncodeBlock((unsigned char *) want, mac, 32);

        if (sig_len != 44 || memcmp(sig, want, 44) != 0) {
            abort();
        }

        break;

    default:
        memcpy(want, "sha256=", 7);

        for (i = 0; i < 32; i++) {
            want[7 + 2 * i] = "0123456789abcdef"[mac[i] >> 4];
            want[8 + 2 * i] = "0123456789abcdef"[mac[i] & 0xf];
        }

        if (sig_len != 71 || strncasecmp((const char *) sig, want, 71) != 0
            || memcmp(sig, want, 7) != 0)
        {
            abort();
        }

        break;
    }

    /* a timestamp it carries is within the tolerance */
    if (r->has_timestamp
        && (r->timestamp < NOW - TOLERANCE || r->timestamp > NOW + TOLERANCE))
    {
        abort();
    }

    if (scheme >= 2 && (r->has_timestamp || r->event_id_len != id_len
                        || memcmp(r->event_id, id, id_len) != 0))
    {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                     len, at, hold, field[3];
    unsigned                   scheme, role, mode;
    const uint8_t             *p, *end, *value[3];
    govern_jv_arena_t          requests;
    govern_webhook_chunk_t     chunks[2];
    govern_webhook_result_t    r1, r2;
    govern_webhook_headers_t   h;
    govern_webhook_verify_t   *v;

    if (!ready) {
        fuzz_init();
    }

    if (size < 2) {
        return 0;
    }

    scheme = data[0] & 3;
    p = data + 2;
    end = data + size;

    for (role = 0; role < 3; role++) {
        value[role] = p;
        p = fuzz_field(p, end, &field[role]);
    }

    /* the headers as the glue finds them */

    memset(&h, 0, sizeof(h));

    for (role = 0; role < 3; role++) {
        const char  *name;

        name = govern_webhook_header_name(
                   (govern_webhook_scheme_e) (scheme + 1), role);
        mode = (data[0] >> (2 + 2 * role)) & 3;

        if (name == NULL || mode == 2) {
            continue;
        }

        govern_webhook_headers_add(&h, (govern_webhook_scheme_e) (scheme + 1),
                                   (const unsigned char *) name,
                                   strlen(name), value[role], field[role]);

        if (mode == 3) {
            govern_webhook_headers_add(&h,
                (govern_webhook_scheme_e) (scheme + 1),
                (const unsigned char *) name, strlen(name), value[role],
                field[role]);
        }
    }

    len = end - p;
    at = len ? data[1] % (len + 1) : 0;

    /* the length announced: none, the body's, or short of it */
    hold = (data[1] & 0x80) ? len : (data[1] & 0x40) ? at : 0;

    /* one call, the body in two pieces */

    chunks[0].data = p;
    chunks[0].len = at;
    chunks[1].data = p + at;
    chunks[1].len = len - at;

    govern_webhook_verify((govern_webhook_scheme_e) (scheme + 1), &h, chunks,
                          2, NOW, TOLERANCE, secrets[scheme], 2, &r1);

    /* step by step, the same two pieces */

    requests.blocks = NULL;
    v = govern_webhook_verify_start((govern_webhook_scheme_e) (scheme + 1),
                                    &h, NOW, TOLERANCE, secrets[scheme], 2,
                                    hold, govern_jv_arena_alloc, &requests,
                                    &r2);
    if (v) {
        if (govern_webhook_verify_update(v, p, at) != 0
            || govern_webhook_verify_update(v, p + at, len - at) != 0)
        {
            abort();
        }

        govern_webhook_verify_finish(v, &r2);
    }

    govern_jv_arena_free(&requests);

    if (r1.status != r2.status || r1.status > GOVERN_WEBHOOK_ERROR
        || r1.status == GOVERN_WEBHOOK_ERROR
        || (r1.status != GOVERN_WEBHOOK_VERIFIED && r1.message[0] == '\0')
        || strcmp(r1.message, r2.message) != 0)
    {
        abort();
    }

    if (r1.status == GOVERN_WEBHOOK_VERIFIED) {
        if (r1.secret != r2.secret) {
            abort();
        }

        fuzz_check_verified(scheme, &r1, value[0], field[0], value[1],
                            field[1], value[2], field[2], p, len);
    }

    return 0;
}
