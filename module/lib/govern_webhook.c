
/*
 * govern: webhook signatures (Standard Webhooks 1.0, Stripe, Shopify,
 * GitHub).  Headers are parsed strictly before the body is read; the
 * body's pieces feed one HMAC-SHA256 per candidate secret; the verdict
 * compares every MAC with every signature the sender sent, in constant
 * time.
 */


#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include "govern_jv.h"
#include "govern_base64.h"
#include "govern_webhook.h"


#define GOVERN_WEBHOOK_MAX_DIGITS       18      /* fits int64_t */
#define GOVERN_WEBHOOK_MAX_ITEMS        32      /* Stripe-Signature */
#define GOVERN_WEBHOOK_B64_MAC_LEN      44      /* 32 bytes, padded */
#define GOVERN_WEBHOOK_HEX_MAC_LEN      64


/* the headers as parsed: what is signed besides the body, the signatures */
typedef struct {
    govern_webhook_scheme_e     scheme;
    const unsigned char        *id;
    size_t                      id_len;
    const unsigned char        *ts;             /* its digits, as signed */
    size_t                      ts_len;
    size_t                      nsigs;
    unsigned char               sigs[GOVERN_WEBHOOK_MAX_SIGNATURES]
                                    [GOVERN_WEBHOOK_MAC_LEN];
} govern_webhook_parsed_t;


/*
 * Several secrets over a body announced small enough are tried one after
 * another once the body is whole, from a copy of what is signed, and the
 * first that verifies ends the trial; otherwise (one secret, a body of
 * unknown or large size, a body longer than announced) every secret's
 * MAC takes each piece as it comes.
 */
struct govern_webhook_verify_s {
    govern_webhook_parsed_t     parsed;
    const govern_webhook_secret_t  *secrets;
    size_t                      nsecrets;
    unsigned char              *held;           /* prefix and body so far */
    size_t                      held_len;
    size_t                      held_size;
    size_t                      nmacs;
    int                         failed;
    EVP_MAC_CTX                *macs[];         /* one per secret */
};


/* scratch memory for the secrets file's parse: wiped when freed */
typedef struct govern_webhook_scratch_s  govern_webhook_scratch_t;

struct govern_webhook_scratch_s {
    govern_webhook_scratch_t   *next;
    size_t                      size;
    max_align_t                 data[];
};


static govern_webhook_status_e govern_webhook_parse(
    govern_webhook_scheme_e scheme, const govern_webhook_headers_t *headers,
    int64_t now, int64_t tolerance, govern_webhook_parsed_t *parsed,
    govern_webhook_result_t *result);
static govern_webhook_status_e govern_webhook_parse_standard(
    const govern_webhook_value_t *value, govern_webhook_parsed_t *parsed,
    govern_webhook_result_t *result);
static govern_webhook_status_e govern_webhook_parse_stripe(
    const govern_webhook_value_t *value, govern_webhook_parsed_t *parsed,
    govern_webhook_result_t *result);
static const char *govern_webhook_digits(const unsigned char *s,
    size_t len, int64_t *value);
static govern_webhook_status_e govern_webhook_refuse(
    govern_webhook_result_t *result, govern_webhook_status_e status,
    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int govern_webhook_prefix(EVP_MAC_CTX *mac,
    const govern_webhook_parsed_t *parsed);
static int govern_webhook_matches(const govern_webhook_parsed_t *parsed,
    const unsigned char *mac);
static int govern_webhook_stream(govern_webhook_verify_t *v);
static govern_webhook_status_e govern_webhook_try_held(
    govern_webhook_verify_t *v, govern_webhook_result_t *result);
static govern_webhook_status_e govern_webhook_verdict(
    govern_webhook_scheme_e scheme, int ok, int found, size_t which,
    govern_webhook_result_t *result);
static EVP_MAC_CTX *govern_webhook_mac_new(const unsigned char *key,
    size_t len);
static int govern_webhook_hex_decode(unsigned char *dst,
    const unsigned char *src, size_t len);
static int govern_webhook_token(const unsigned char *s, size_t len);
static unsigned char govern_webhook_lower(unsigned char c);
static void *govern_webhook_scratch_alloc(void *ctx, size_t size);
static void govern_webhook_scratch_free(govern_webhook_scratch_t **list);
static int govern_webhook_partner_valid(const char *s, size_t len);


static const char  *govern_webhook_schemes[] = {
    NULL, "standard", "stripe", "shopify", "github"
};


/* by scheme, then role: id, timestamp, signature */
static const char  *govern_webhook_headers[][GOVERN_WEBHOOK_NHEADERS] = {
    { NULL, NULL, NULL },
    { "webhook-id", "webhook-timestamp", "webhook-signature" },
    { NULL, NULL, "Stripe-Signature" },
    { "X-Shopify-Webhook-Id", NULL, "X-Shopify-Hmac-Sha256" },
    { "X-GitHub-Delivery", NULL, "X-Hub-Signature-256" },
};




govern_webhook_scheme_e
govern_webhook_scheme(const char *name, size_t len)
{
    size_t  i;

    for (i = 1; i < sizeof(govern_webhook_schemes) / sizeof(char *); i++) {
        if (strlen(govern_webhook_schemes[i]) == len
            && memcmp(govern_webhook_schemes[i], name, len) == 0)
        {
            return (govern_webhook_scheme_e) i;
        }
    }

    return GOVERN_WEBHOOK_UNKNOWN;
}


const char *
govern_webhook_scheme_name(govern_webhook_scheme_e scheme)
{
    if ((unsigned) scheme > GOVERN_WEBHOOK_GITHUB) {
        return NULL;
    }

    return govern_webhook_schemes[scheme];
}


const char *
govern_webhook_reason_code(govern_webhook_status_e status)
{
    switch (status) {
    case GOVERN_WEBHOOK_VERIFIED:
        return NULL;
    case GOVERN_WEBHOOK_MALFORMED:
        return "webhook_malformed";
    case GOVERN_WEBHOOK_BAD_TIMESTAMP:
        return "webhook_timestamp";
    case GOVERN_WEBHOOK_BAD_SIGNATURE:
        return "webhook_signature";
    default:
        return "internal_error";
    }
}


const char *
govern_webhook_header_name(govern_webhook_scheme_e scheme, unsigned role)
{
    if ((unsigned) scheme > GOVERN_WEBHOOK_GITHUB
        || role >= GOVERN_WEBHOOK_NHEADERS)
    {
        return NULL;
    }

    return govern_webhook_headers[scheme][role];
}


int
govern_webhook_headers_add(govern_webhook_headers_t *headers,
    govern_webhook_scheme_e scheme, const unsigned char *name,
    size_t name_len, const unsigned char *value, size_t value_len)
{
    size_t                   i;
    unsigned                 role;
    const char              *want;
    govern_webhook_value_t  *v;

    for (role = 0; role < GOVERN_WEBHOOK_NHEADERS; role++) {
        want = govern_webhook_header_name(scheme, role);

        if (want == NULL || strlen(want) != name_len) {
            continue;
        }

        for (i = 0; i < name_len; i++) {
            if (govern_webhook_lower(name[i])
                != govern_webhook_lower((unsigned char) want[i]))
            {
                break;
            }
        }

        if (i < name_len) {
            continue;
        }

        v = &headers->value[role];

        if (v->count++ == 0) {
            v->data = value;
            v->len = value_len;
        }

        return 1;
    }

    return 0;
}


int
govern_webhook_event_id_valid(const unsigned char *s, size_t len)
{
    size_t  i;

    if (len == 0 || len > GOVERN_WEBHOOK_MAX_ID) {
        return 0;
    }

    /* the id names a Redis key and an audit field: visible ASCII, and no
     * braces, which would confuse a Redis Cluster hash tag */

    for (i = 0; i < len; i++) {
        if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '{' || s[i] == '}') {
            return 0;
        }
    }

    return 1;
}


/* request time */

static govern_webhook_status_e
govern_webhook_parse(govern_webhook_scheme_e scheme,
    const govern_webhook_headers_t *headers, int64_t now, int64_t tolerance,
    govern_webhook_parsed_t *parsed, govern_webhook_result_t *result)
{
    unsigned                       role;
    uint64_t                       off, limit;
    const char                    *name, *why;
    govern_webhook_status_e        rc;
    const govern_webhook_value_t  *v;

    memset(result, 0, sizeof(govern_webhook_result_t));
    memset(parsed, 0, offsetof(govern_webhook_parsed_t, sigs));
    parsed->scheme = scheme;

    if (scheme == GOVERN_WEBHOOK_UNKNOWN
        || (unsigned) scheme > GOVERN_WEBHOOK_GITHUB)
    {
        return govern_webhook_refuse(result, GOVERN_WEBHOOK_ERROR,
                                     "unknown webhook scheme");
    }

    /* every header the scheme reads: once, not empty, not oversized */

    for (role = 0; role < GOVERN_WEBHOOK_NHEADERS; role++) {
        name = govern_webhook_header_name(scheme, role);
        v = &headers->value[role];

        if (name == NULL) {
            continue;
        }

        if (v->count == 0) {
            return govern_webhook_refuse(result, GOVERN_WEBHOOK_MALFORMED,
                                         "%s header missing", name);
        }

        if (v->count > 1) {
            return govern_webhook_refuse(result, GOVERN_WEBHOOK_MALFORMED,
                                         "%s header sent %u times", name,
                                         v->count);
        }

        if (v->len == 0) {
            return govern_webhook_refuse(result, GOVERN_WEBHOOK_MALFORMED,
                                         "%s header empty", name);
        }

        if (v->len > GOVERN_WEBHOOK_MAX_VALUE) {
            return govern_webhook_refuse(result, GOVERN_WEBHOOK_MALFORMED,
                                         "%s header longer than %d bytes",
                                         name, GOVERN_WEBHOOK_MAX_VALUE);
        }
    }

    /* the event id */

    name = govern_webhook_header_name(scheme, GOVERN_WEBHOOK_HEADER_ID);

    if (name) {
        v = &headers->value[GOVERN_WEBHOOK_HEADER_ID];

        if (!govern_webhook_event_id_valid(v->data, v->len)) {
            return govern_webhook_refuse(result, GOVERN_WEBHOOK_MALFORMED,
                                         "%s header is not 1 to %d visible "
                                         "ASCII characters without braces",
                                         name, GOVERN_WEBHOOK_MAX_ID);
        }

        parsed->id = v->data;
        parsed->id_len = v->len;
        memcpy(result->event_id, v->data, v->len);
        result->event_id[v->len] = '\0';
        result->event_id_len = v->len;
    }

    /* the signatures (and Stripe's timestamp, which is among them) */

    v = &headers->value[GOVERN_WEBHOOK_HEADER_SIGNATURE];
    name = govern_webhook_header_name(scheme,
                                      GOVERN_WEBHOOK_HEADER_SIGNATURE);

    switch (scheme) {

    case GOVERN_WEBHOOK_STANDARD:
        rc = govern_webhook_parse_standard(v, parsed, result);
        break;

    case GOVERN_WEBHOOK_STRIPE:
        rc = govern_webhook_parse_stripe(v, parsed, result);
        break;

    case GOVERN_WEBHOOK_SHOPIFY:
        if (govern_base64_decode(parsed->sigs[0],
                                      GOVERN_WEBHOOK_MAC_LEN, v->data,
                                      v->len, 1)
            != GOVERN_WEBHOOK_MAC_LEN)
        {
            return govern_webhook_refuse(result, GOVERN_WEBHOOK_MALFORMED,
                                         "%s header is not the base64 of "
                                         "32 bytes", name);
        }

        parsed->nsigs = 1;
        rc = GOVERN_WEBHOOK_VERIFIED;
        break;

    default: /* GOVERN_WEBHOOK_GITHUB */
        if (v->len != sizeof("sha256=") - 1 + GOVERN_WEBHOOK_HEX_MAC_LEN
            || memcmp(v->data, "sha256=", sizeof("sha256=") - 1) != 0
            || govern_webhook_hex_decode(parsed->sigs[0],
                                         v->data + sizeof("sha256=") - 1,
                                         GOVERN_WEBHOOK_HEX_MAC_LEN)
               != 0)
        {
            return govern_webhook_refuse(result, GOVERN_WEBHOOK_MALFORMED,
                                         "%s header is not sha256= and 64 "
                                         "hex digits", name);
        }

        parsed->nsigs = 1;
        rc = GOVERN_WEBHOOK_VERIFIED;
        break;
    }

    if (rc != GOVERN_WEBHOOK_VERIFIED) {
        return rc;
    }

    /* the timestamp: well formed, then within the tolerance both ways */

    if (scheme == GOVERN_WEBHOOK_STANDARD) {
        v = &headers->value[GOVERN_WEBHOOK_HEADER_TIMESTAMP];
        why = govern_webhook_digits(v->data, v->len, &result->timestamp);

        if (why) {
            return govern_webhook_refuse(result, GOVERN_WEBHOOK_MALFORMED,
                                         "webhook-timestamp header %s", why);
        }

        parsed->ts = v->data;
        parsed->ts_len = v->len;
        result->has_timestamp = 1;
    }

    if (result->has_timestamp) {
        name = scheme == GOVERN_WEBHOOK_STRIPE ? "Stripe-Signature t="
                                               : "webhook-timestamp";
        limit = tolerance > 0 ? (uint64_t) tolerance : 0;

        /* the differences are exact in uint64_t for any two int64_t */

        if (result->timestamp >= now) {
            off = (uint64_t) result->timestamp - (uint64_t) now;

            if (off > limit) {
                return govern_webhook_refuse(result,
                           GOVERN_WEBHOOK_BAD_TIMESTAMP,
                           "%s is %llu s in the future, beyond the "
                           "tolerance of %llu s", name,
                           (unsigned long long) off,
                           (unsigned long long) limit);
            }

        } else {
            off = (uint64_t) now - (uint64_t) result->timestamp;

            if (off > limit) {
                return govern_webhook_refuse(result,
                           GOVERN_WEBHOOK_BAD_TIMESTAMP,
                           "%s is %llu s old, beyond the tolerance of "
                           "%llu s", name, (unsigned long long) off,
                           (unsigned long long) limit);
            }
        }
    }

    if (parsed->nsigs == 0) {
        name = govern_webhook_header_name(scheme,
                                          GOVERN_WEBHOOK_HEADER_SIGNATURE);
        return govern_webhook_refuse(result, GOVERN_WEBHOOK_BAD_SIGNATURE,
                                     "%s header has no v1 signature (the "
                                     "only scheme verified)", name);
    }

    return GOVERN_WEBHOOK_VERIFIED;
}


/*
 * webhook-signature: "v1,<base64>" entries separated by single spaces.
 * Entries of other versions (v1a, an asymmetric signature) must be well
 * formed and are not verified.
 */

static govern_webhook_status_e
govern_webhook_parse_standard(const govern_webhook_value_t *value,
    govern_webhook_parsed_t *parsed, govern_webhook_result_t *result)
{
    size_t                 i, n;
    const unsigned char   *p, *end, *entry, *comma, *sig;

    p = value->data;
    end = p + value->len;

    for (n = 1; ; n++, p++) {
        entry = p;

        while (p < end && *p != ' ') {
            p++;
        }

        if (p == entry) {
            return govern_webhook_refuse(result, GOVERN_WEBHOOK_MALFORMED,
                                         "webhook-signature header has an "
                                         "empty entry %zu (a space too "
                                         "many)", n);
        }

        if (n > GOVERN_WEBHOOK_MAX_SIGNATURES) {
            return govern_webhook_refuse(result, GOVERN_WEBHOOK_MALFORMED,
                                         "webhook-signature header has "
                                         "more than %d entries",
                                         GOVERN_WEBHOOK_MAX_SIGNATURES);
        }

        comma = memchr(entry, ',', p - entry);

        if (comma == NULL || comma == entry || comma + 1 == p
            || !govern_webhook_token(entry, comma - entry))
        {
            return govern_webhook_refuse(result, GOVERN_WEBHOOK_MALFORMED,
                                         "webhook-signature header entry "
                                         "%zu is not VERSION,SIGNATURE", n);
        }

        sig = comma + 1;

        if (comma - entry == 2 && entry[0] == 'v' && entry[1] == '1') {
            if (govern_base64_decode(parsed->sigs[parsed->nsigs],
                                          GOVERN_WEBHOOK_MAC_LEN, sig,
                                          p - sig, 1)
                != GOVERN_WEBHOOK_MAC_LEN)
            {
                return govern_webhook_refuse(result,
                           GOVERN_WEBHOOK_MALFORMED,
                           "webhook-signature header entry %zu: v1 is not "
                           "the base64 of 32 bytes", n);
            }

            parsed->nsigs++;

        } else {
            for (i = 0; i < (size_t) (p - sig); i++) {
                if (sig[i] != '=' && !govern_base64_digit(sig[i])) {
                    return govern_webhook_refuse(result,
                               GOVERN_WEBHOOK_MALFORMED,
                               "webhook-signature header entry %zu is not "
                               "base64", n);
                }
            }
        }

        if (p == end) {
            return GOVERN_WEBHOOK_VERIFIED;
        }
    }
}


/*
 * Stripe-Signature: comma-separated KEY=VALUE items, exactly one t (the
 * timestamp, signed as sent), any number of v1 (hex); other schemes such
 * as v0 are skipped as Stripe's libraries skip them, once well formed.
 */

static govern_webhook_status_e
govern_webhook_parse_stripe(const govern_webhook_value_t *value,
    govern_webhook_parsed_t *parsed, govern_webhook_result_t *result)
{
    size_t                 i, n, vlen;
    const char            *why;
    const unsigned char   *p, *end, *item, *eq, *val;

    p = value->data;
    end = p + value->len;

    for (n = 1; ; n++, p++) {
        item = p;

        while (p < end && *p != ',') {
            p++;
        }

        if (p == item) {
            return govern_webhook_refuse(result, GOVERN_WEBHOOK_MALFORMED,
                                         "Stripe-Signature header has an "
                                         "empty item %zu", n);
        }

        if (n > GOVERN_WEBHOOK_MAX_ITEMS) {
            return govern_webhook_refuse(result, GOVERN_WEBHOOK_MALFORMED,
                                         "Stripe-Signature header has more "
                                         "than %d items",
                                         GOVERN_WEBHOOK_MAX_ITEMS);
        }

        eq = memchr(item, '=', p - item);

        if (eq == NULL || eq == item || eq + 1 == p
            || !govern_webhook_token(item, eq - item))
        {
            return govern_webhook_refuse(result, GOVERN_WEBHOOK_MALFORMED,
                                         "Stripe-Signature header item %zu "
                                         "is not KEY=VALUE", n);
        }

        val = eq + 1;
        vlen = p - val;

        if (eq - item == 1 && item[0] == 't') {
            if (parsed->ts) {
                return govern_webhook_refuse(result,
                           GOVERN_WEBHOOK_MALFORMED,
                           "Stripe-Signature header has t= twice");
            }

            why = govern_webhook_digits(val, vlen, &result->timestamp);

            if (why) {
                return govern_webhook_refuse(result,
                           GOVERN_WEBHOOK_MALFORMED,
                           "Stripe-Signature header t= %s", why);
            }

            parsed->ts = val;
            parsed->ts_len = vlen;
            result->has_timestamp = 1;

        } else if (eq - item == 2 && item[0] == 'v' && item[1] == '1') {
            if (parsed->nsigs == GOVERN_WEBHOOK_MAX_SIGNATURES) {
                return govern_webhook_refuse(result,
                           GOVERN_WEBHOOK_MALFORMED,
                           "Stripe-Signature header has more than %d v1 "
                           "signatures", GOVERN_WEBHOOK_MAX_SIGNATURES);
            }

            if (vlen != GOVERN_WEBHOOK_HEX_MAC_LEN
                || govern_webhook_hex_decode(parsed->sigs[parsed->nsigs],
                                             val, vlen)
                   != 0)
            {
                return govern_webhook_refuse(result,
                           GOVERN_WEBHOOK_MALFORMED,
                           "Stripe-Signature header item %zu: v1 is not "
                           "64 hex digits", n);
            }

            parsed->nsigs++;

        } else {
            for (i = 0; i < vlen; i++) {
                if (val[i] < 0x21 || val[i] > 0x7e) {
                    return govern_webhook_refuse(result,
                               GOVERN_WEBHOOK_MALFORMED,
                               "Stripe-Signature header item %zu has a "
                               "byte that is not visible ASCII", n);
                }
            }
        }

        if (p == end) {
            break;
        }
    }

    if (parsed->ts == NULL) {
        return govern_webhook_refuse(result, GOVERN_WEBHOOK_MALFORMED,
                                     "Stripe-Signature header has no t= "
                                     "timestamp");
    }

    return GOVERN_WEBHOOK_VERIFIED;
}


/*
 * Unix seconds in canonical decimal: the text is signed as sent, and
 * Standard Webhooks' and Stripe's libraries sign the number, so "0170..."
 * or "+170..." would mean different things to sender and gateway
 */

static const char *
govern_webhook_digits(const unsigned char *s, size_t len, int64_t *value)
{
    size_t   i;
    int64_t  n;

    if (len == 0) {
        return "is empty";
    }

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return "is not a number of seconds";
        }
    }

    if (len > GOVERN_WEBHOOK_MAX_DIGITS) {
        return "is out of range";
    }

    if (len > 1 && s[0] == '0') {
        return "has a leading zero";
    }

    for (n = 0, i = 0; i < len; i++) {
        n = n * 10 + (s[i] - '0');
    }

    *value = n;

    return NULL;
}


static govern_webhook_status_e
govern_webhook_refuse(govern_webhook_result_t *result,
    govern_webhook_status_e status, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    vsnprintf(result->message, sizeof(result->message), fmt, args);
    va_end(args);

    result->status = status;

    return status;
}


/* what the sender signed before the body: "id.ts." or "ts." */

static int
govern_webhook_prefix(EVP_MAC_CTX *mac, const govern_webhook_parsed_t *parsed)
{
    if (parsed->scheme == GOVERN_WEBHOOK_STANDARD
        && (!EVP_MAC_update(mac, parsed->id, parsed->id_len)
            || !EVP_MAC_update(mac, (const unsigned char *) ".", 1)))
    {
        return 0;
    }

    if (parsed->ts
        && (!EVP_MAC_update(mac, parsed->ts, parsed->ts_len)
            || !EVP_MAC_update(mac, (const unsigned char *) ".", 1)))
    {
        return 0;
    }

    return 1;
}


/* any signature equal to the MAC; every comparison is made, each in
 * constant time */

static int
govern_webhook_matches(const govern_webhook_parsed_t *parsed,
    const unsigned char *mac)
{
    int     found;
    size_t  i;

    found = 0;

    for (i = 0; i < parsed->nsigs; i++) {
        found |= CRYPTO_memcmp(parsed->sigs[i], mac,
                               GOVERN_WEBHOOK_MAC_LEN) == 0;
    }

    return found;
}


govern_webhook_verify_t *
govern_webhook_verify_start(govern_webhook_scheme_e scheme,
    const govern_webhook_headers_t *headers, int64_t now, int64_t tolerance,
    const govern_webhook_secret_t *secrets, size_t nsecrets, size_t hold,
    govern_webhook_alloc_pt alloc, void *alloc_ctx,
    govern_webhook_result_t *result)
{
    size_t                    i, prefix;
    unsigned char            *p;
    govern_webhook_parsed_t   parsed;
    govern_webhook_verify_t  *v;

    if (govern_webhook_parse(scheme, headers, now, tolerance, &parsed,
                             result)
        != GOVERN_WEBHOOK_VERIFIED)
    {
        return NULL;
    }

    for (i = 0; i < nsecrets; i++) {
        if (secrets[i].scheme != scheme || secrets[i].mac == NULL) {
            govern_webhook_refuse(result, GOVERN_WEBHOOK_ERROR,
                                  "secret %zu is not a %s secret", i,
                                  govern_webhook_scheme_name(scheme));
            return NULL;
        }
    }

    /* "id.ts.", "ts." or nothing: copied, as the header values may go */

    prefix = (scheme == GOVERN_WEBHOOK_STANDARD ? parsed.id_len + 1 : 0)
             + (parsed.ts ? parsed.ts_len + 1 : 0);

    if (nsecrets < 2 || hold > GOVERN_WEBHOOK_MAX_HOLD) {
        hold = 0;
    }

    v = alloc(alloc_ctx, sizeof(govern_webhook_verify_t)
                         + nsecrets * sizeof(EVP_MAC_CTX *)
                         + (hold ? prefix + hold : 0));
    if (v == NULL) {
        govern_webhook_refuse(result, GOVERN_WEBHOOK_ERROR, "out of memory");
        return NULL;
    }

    v->parsed = parsed;
    v->secrets = secrets;
    v->nsecrets = nsecrets;
    v->held = NULL;
    v->held_len = 0;
    v->held_size = 0;
    v->nmacs = 0;
    v->failed = 0;

    if (hold) {
        v->held = (unsigned char *) &v->macs[nsecrets];
        v->held_size = prefix + hold;

        p = v->held;

        if (scheme == GOVERN_WEBHOOK_STANDARD) {
            memcpy(p, parsed.id, parsed.id_len);
            p += parsed.id_len;
            *p++ = '.';
        }

        if (parsed.ts) {
            memcpy(p, parsed.ts, parsed.ts_len);
            p += parsed.ts_len;
            *p++ = '.';
        }

        v->held_len = p - v->held;

    } else if (!govern_webhook_stream(v)) {
        govern_webhook_verify_release(v);
        govern_webhook_refuse(result, GOVERN_WEBHOOK_ERROR,
                              "HMAC-SHA256 failed");
        return NULL;
    }

    /* the header values may go: the prefix is absorbed or copied */
    v->parsed.id = NULL;
    v->parsed.ts = NULL;

    return v;
}


/*
 * Every secret's MAC, fed what is signed so far: at the start (the
 * headers' prefix), or when a held body turns out longer than announced
 * (the prefix and the body so far, from the copy).
 */

static int
govern_webhook_stream(govern_webhook_verify_t *v)
{
    size_t  i;

    for (i = 0; i < v->nsecrets; i++) {
        v->macs[i] = EVP_MAC_CTX_dup(v->secrets[i].mac);
        if (v->macs[i] == NULL) {
            return 0;
        }

        v->nmacs++;

        if (v->held) {
            if (!EVP_MAC_update(v->macs[i], v->held, v->held_len)) {
                return 0;
            }

        } else if (!govern_webhook_prefix(v->macs[i], &v->parsed)) {
            return 0;
        }
    }

    if (v->held) {
        OPENSSL_cleanse(v->held, v->held_len);
        v->held = NULL;
    }

    return 1;
}


int
govern_webhook_verify_update(govern_webhook_verify_t *v,
    const unsigned char *data, size_t len)
{
    size_t  i;

    if (v->failed) {
        return -1;
    }

    if (len == 0) {
        return 0;
    }

    if (v->held) {
        if (len <= v->held_size - v->held_len) {
            memcpy(v->held + v->held_len, data, len);
            v->held_len += len;
            return 0;
        }

        /* longer than announced: every secret from here on, as it comes */

        if (!govern_webhook_stream(v)) {
            v->failed = 1;
            return -1;
        }
    }

    for (i = 0; i < v->nmacs; i++) {
        if (!EVP_MAC_update(v->macs[i], data, len)) {
            v->failed = 1;
            return -1;
        }
    }

    return 0;
}


govern_webhook_status_e
govern_webhook_verify_finish(govern_webhook_verify_t *v,
    govern_webhook_result_t *result)
{
    int            ok, found;
    size_t         i, len, which;
    unsigned char  mac[EVP_MAX_MD_SIZE];

    if (v->held && !v->failed) {
        return govern_webhook_try_held(v, result);
    }

    found = 0;
    which = 0;

    for (i = 0; i < v->nmacs && !v->failed; i++) {
        if (!EVP_MAC_final(v->macs[i], mac, &len, sizeof(mac))
            || len != GOVERN_WEBHOOK_MAC_LEN)
        {
            v->failed = 1;
            break;
        }

        if (govern_webhook_matches(&v->parsed, mac) && !found) {
            found = 1;
            which = i;
        }
    }

    OPENSSL_cleanse(mac, sizeof(mac));

    ok = !v->failed;
    govern_webhook_verify_release(v);

    return govern_webhook_verdict(v->parsed.scheme, ok, found, which, result);
}


/*
 * A held body: the secrets in the file's order, each over the copy, until
 * one verifies.  The time taken tells how many were tried, which only a
 * sender holding a valid signature learns anything from: one that has
 * none makes every secret be tried, as when streaming.
 */

static govern_webhook_status_e
govern_webhook_try_held(govern_webhook_verify_t *v,
    govern_webhook_result_t *result)
{
    int             ok, found;
    size_t          i, len;
    EVP_MAC_CTX    *mac;
    unsigned char   out[EVP_MAX_MD_SIZE];

    found = 0;
    ok = 1;

    for (i = 0; i < v->nsecrets; i++) {
        mac = EVP_MAC_CTX_dup(v->secrets[i].mac);

        ok = mac != NULL
             && EVP_MAC_update(mac, v->held, v->held_len)
             && EVP_MAC_final(mac, out, &len, sizeof(out))
             && len == GOVERN_WEBHOOK_MAC_LEN;

        EVP_MAC_CTX_free(mac);

        if (!ok) {
            break;
        }

        if (govern_webhook_matches(&v->parsed, out)) {
            found = 1;
            break;
        }
    }

    OPENSSL_cleanse(out, sizeof(out));
    govern_webhook_verify_release(v);

    return govern_webhook_verdict(v->parsed.scheme, ok, found, i, result);
}


/* the MACs are made: an error, no match, or the secret that verified */

static govern_webhook_status_e
govern_webhook_verdict(govern_webhook_scheme_e scheme, int ok, int found,
    size_t which, govern_webhook_result_t *result)
{
    if (!ok) {
        return govern_webhook_refuse(result, GOVERN_WEBHOOK_ERROR,
                                     "HMAC-SHA256 failed");
    }

    if (!found) {
        return govern_webhook_refuse(result, GOVERN_WEBHOOK_BAD_SIGNATURE,
                   "%s header: no signature matches the body with any "
                   "secret", govern_webhook_header_name(scheme,
                                 GOVERN_WEBHOOK_HEADER_SIGNATURE));
    }

    result->status = GOVERN_WEBHOOK_VERIFIED;
    result->secret = which;
    result->message[0] = '\0';

    return GOVERN_WEBHOOK_VERIFIED;
}


void
govern_webhook_verify_release(govern_webhook_verify_t *v)
{
    size_t  i;

    if (v == NULL) {
        return;
    }

    for (i = 0; i < v->nmacs; i++) {
        EVP_MAC_CTX_free(v->macs[i]);
    }

    v->nmacs = 0;
    v->held = NULL;
    v->failed = 1;
}


/* one secret at a time: no memory but OpenSSL's, one context live */

govern_webhook_status_e
govern_webhook_verify(govern_webhook_scheme_e scheme,
    const govern_webhook_headers_t *headers,
    const govern_webhook_chunk_t *chunks, size_t nchunks, int64_t now,
    int64_t tolerance, const govern_webhook_secret_t *secrets,
    size_t nsecrets, govern_webhook_result_t *result)
{
    int                       ok, found;
    size_t                    i, c, len, which;
    EVP_MAC_CTX              *mac;
    unsigned char             out[EVP_MAX_MD_SIZE];
    govern_webhook_parsed_t   parsed;

    if (govern_webhook_parse(scheme, headers, now, tolerance, &parsed,
                             result)
        != GOVERN_WEBHOOK_VERIFIED)
    {
        return result->status;
    }

    found = 0;
    which = 0;

    for (i = 0; i < nsecrets; i++) {
        if (secrets[i].scheme != scheme || secrets[i].mac == NULL) {
            return govern_webhook_refuse(result, GOVERN_WEBHOOK_ERROR,
                                         "secret %zu is not a %s secret", i,
                                         govern_webhook_scheme_name(scheme));
        }

        mac = EVP_MAC_CTX_dup(secrets[i].mac);
        ok = mac != NULL && govern_webhook_prefix(mac, &parsed);

        for (c = 0; ok && c < nchunks; c++) {
            ok = chunks[c].len == 0
                 || EVP_MAC_update(mac, chunks[c].data, chunks[c].len);
        }

        ok = ok && EVP_MAC_final(mac, out, &len, sizeof(out))
             && len == GOVERN_WEBHOOK_MAC_LEN;

        EVP_MAC_CTX_free(mac);

        if (!ok) {
            OPENSSL_cleanse(out, sizeof(out));
            return govern_webhook_refuse(result, GOVERN_WEBHOOK_ERROR,
                                         "HMAC-SHA256 failed");
        }

        if (govern_webhook_matches(&parsed, out) && !found) {
            found = 1;
            which = i;
        }
    }

    OPENSSL_cleanse(out, sizeof(out));

    return govern_webhook_verdict(scheme, 1, found, which, result);
}


/* outbound */

int
govern_webhook_sign_start(govern_webhook_signer_t *signer,
    const govern_webhook_secret_t *secrets, size_t nsecrets,
    const unsigned char *id, size_t id_len, int64_t timestamp)
{
    int                       n;
    size_t                    i;
    char                      ts[24];
    govern_webhook_parsed_t   prefix;

    signer->nmacs = 0;

    if (nsecrets == 0 || nsecrets > GOVERN_WEBHOOK_MAX_SECRETS
        || timestamp < 0 || !govern_webhook_event_id_valid(id, id_len))
    {
        return -1;
    }

    n = snprintf(ts, sizeof(ts), "%lld", (long long) timestamp);

    memset(&prefix, 0, offsetof(govern_webhook_parsed_t, sigs));
    prefix.scheme = GOVERN_WEBHOOK_STANDARD;
    prefix.id = id;
    prefix.id_len = id_len;
    prefix.ts = (const unsigned char *) ts;
    prefix.ts_len = n;

    for (i = 0; i < nsecrets; i++) {
        if (secrets[i].scheme != GOVERN_WEBHOOK_STANDARD
            || secrets[i].mac == NULL)
        {
            break;
        }

        signer->macs[i] = EVP_MAC_CTX_dup(secrets[i].mac);
        if (signer->macs[i] == NULL) {
            break;
        }

        signer->nmacs++;

        if (!govern_webhook_prefix(signer->macs[i], &prefix)) {
            break;
        }
    }

    if (i < nsecrets) {
        govern_webhook_sign_release(signer);
        return -1;
    }

    return 0;
}


int
govern_webhook_sign_update(govern_webhook_signer_t *signer,
    const unsigned char *data, size_t len)
{
    size_t  i;

    if (signer->nmacs == 0) {
        return -1;
    }

    for (i = 0; len && i < signer->nmacs; i++) {
        if (!EVP_MAC_update(signer->macs[i], data, len)) {
            govern_webhook_sign_release(signer);
            return -1;
        }
    }

    return 0;
}


size_t
govern_webhook_sign_finish(govern_webhook_signer_t *signer, char *out,
    size_t size)
{
    char           *p;
    size_t          i, len;
    unsigned char   mac[EVP_MAX_MD_SIZE];

    p = out;

    /* each "v1," and 44 base64 digits, then a space or the NUL */

    if (signer->nmacs == 0
        || size < signer->nmacs * (3 + GOVERN_WEBHOOK_B64_MAC_LEN + 1))
    {
        govern_webhook_sign_release(signer);
        return 0;
    }

    for (i = 0; i < signer->nmacs; i++) {
        if (!EVP_MAC_final(signer->macs[i], mac, &len, sizeof(mac))
            || len != GOVERN_WEBHOOK_MAC_LEN)
        {
            govern_webhook_sign_release(signer);
            return 0;
        }

        if (i) {
            *p++ = ' ';
        }

        memcpy(p, "v1,", 3);
        p += 3;
        p += EVP_EncodeBlock((unsigned char *) p, mac, len);
    }

    *p = '\0';
    govern_webhook_sign_release(signer);

    return p - out;
}


void
govern_webhook_sign_release(govern_webhook_signer_t *signer)
{
    size_t  i;

    for (i = 0; i < signer->nmacs; i++) {
        EVP_MAC_CTX_free(signer->macs[i]);
        signer->macs[i] = NULL;
    }

    signer->nmacs = 0;
}


/* config time */

int
govern_webhook_secret_init(govern_webhook_secret_t *secret,
    govern_webhook_scheme_e scheme, const char *text, size_t len,
    govern_webhook_alloc_pt alloc, void *alloc_ctx, char *err,
    size_t errlen)
{
    size_t                klen, i, min;
    const unsigned char  *key, *s;
    unsigned char         decoded[GOVERN_WEBHOOK_MAX_SECRET + 3];

    memset(secret, 0, sizeof(govern_webhook_secret_t));
    s = (const unsigned char *) text;

    switch (scheme) {

    case GOVERN_WEBHOOK_STANDARD:
        if (len < sizeof("whsec_") - 1
            || memcmp(s, "whsec_", sizeof("whsec_") - 1) != 0)
        {
            snprintf(err, errlen, "a standard secret is \"whsec_\" "
                     "followed by base64");
            return -1;
        }

        s += sizeof("whsec_") - 1;
        len -= sizeof("whsec_") - 1;

        /* 4 digits make 3 bytes: anything longer decodes too long */
        if (len > (GOVERN_WEBHOOK_MAX_SECRET + 2) / 3 * 4) {
            snprintf(err, errlen, "the secret is longer than %d bytes",
                     GOVERN_WEBHOOK_MAX_SECRET);
            return -1;
        }

        klen = govern_base64_decode(decoded, sizeof(decoded), s, len,
                                         0);

        if (klen == (size_t) -1) {
            OPENSSL_cleanse(decoded, sizeof(decoded));
            snprintf(err, errlen, "the secret after \"whsec_\" is not "
                     "base64");
            return -1;
        }

        if (klen < GOVERN_WEBHOOK_MIN_SECRET
            || klen > GOVERN_WEBHOOK_MAX_SECRET)
        {
            OPENSSL_cleanse(decoded, sizeof(decoded));
            snprintf(err, errlen, "the secret decodes to %zu bytes, not "
                     "%d to %d", klen, GOVERN_WEBHOOK_MIN_SECRET,
                     GOVERN_WEBHOOK_MAX_SECRET);
            return -1;
        }

        key = decoded;
        break;

    case GOVERN_WEBHOOK_STRIPE:
    case GOVERN_WEBHOOK_SHOPIFY:
    case GOVERN_WEBHOOK_GITHUB:

        /*
         * Used as given.  A Stripe endpoint secret starts with "whsec_"
         * (an API key pasted instead, "sk_...", is caught here); none
         * of them has control characters, and spaces only inside
         */

        min = GOVERN_WEBHOOK_MIN_SECRET;

        if (scheme == GOVERN_WEBHOOK_STRIPE) {
            if (len < sizeof("whsec_") - 1
                || memcmp(s, "whsec_", sizeof("whsec_") - 1) != 0)
            {
                snprintf(err, errlen, "a Stripe endpoint secret starts "
                         "with \"whsec_\"");
                return -1;
            }

            min += sizeof("whsec_") - 1;
        }

        if (len < min || len > GOVERN_WEBHOOK_MAX_SECRET) {
            snprintf(err, errlen, "the secret has %zu bytes, not %zu to %d",
                     len, min, GOVERN_WEBHOOK_MAX_SECRET);
            return -1;
        }

        for (i = 0; i < len; i++) {
            if (s[i] < 0x20 || s[i] > 0x7e
                || (s[i] == ' '
                    && (i == 0 || i == len - 1
                        || scheme == GOVERN_WEBHOOK_STRIPE)))
            {
                snprintf(err, errlen, "the secret has a byte that is not "
                         "printable ASCII, or a space %s",
                         scheme == GOVERN_WEBHOOK_STRIPE
                         ? "(Stripe's have none)" : "at an end");
                return -1;
            }
        }

        key = s;
        klen = len;
        break;

    default:
        snprintf(err, errlen, "unknown webhook scheme");
        return -1;
    }

    secret->key = alloc(alloc_ctx, klen);
    secret->mac = secret->key ? govern_webhook_mac_new(key, klen) : NULL;

    if (secret->mac == NULL) {
        OPENSSL_cleanse(decoded, sizeof(decoded));

        if (secret->key) {
            OPENSSL_cleanse(secret->key, klen);
        }

        secret->key = NULL;
        snprintf(err, errlen, "cannot prepare HMAC-SHA256");
        return -1;
    }

    memcpy(secret->key, key, klen);
    secret->key_len = klen;
    secret->scheme = scheme;
    OPENSSL_cleanse(decoded, sizeof(decoded));

    return 0;
}


void
govern_webhook_secret_release(govern_webhook_secret_t *secret)
{
    EVP_MAC_CTX_free(secret->mac);
    secret->mac = NULL;

    if (secret->key) {
        OPENSSL_cleanse(secret->key, secret->key_len);
    }

    secret->key = NULL;
    secret->key_len = 0;
}


static EVP_MAC_CTX *
govern_webhook_mac_new(const unsigned char *key, size_t len)
{
    EVP_MAC      *hmac;
    OSSL_PARAM    params[2];
    EVP_MAC_CTX  *mac;

    hmac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
    if (hmac == NULL) {
        return NULL;
    }

    /* the context holds its own reference to the algorithm */
    mac = EVP_MAC_CTX_new(hmac);
    EVP_MAC_free(hmac);

    if (mac == NULL) {
        return NULL;
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    if (!EVP_MAC_init(mac, key, len, params)) {
        EVP_MAC_CTX_free(mac);
        return NULL;
    }

    return mac;
}


int
govern_webhook_secrets_parse(govern_webhook_secrets_t *set,
    govern_webhook_scheme_e scheme, const char *text, size_t len,
    govern_webhook_alloc_pt alloc, void *alloc_ctx, char *err,
    size_t errlen)
{
    int                        rc;
    char                       why[128];
    size_t                     i, j, k, n, first;
    govern_jv_t               *root, *list, *item;
    govern_jv_error_t          jerr;
    govern_jmember_t          *m;
    govern_webhook_secret_t   *s, *t;
    govern_webhook_scratch_t  *scratch;

    memset(set, 0, sizeof(govern_webhook_secrets_t));
    scratch = NULL;
    rc = -1;

    if (govern_webhook_scheme_name(scheme) == NULL) {
        snprintf(err, errlen, "unknown webhook scheme");
        return -1;
    }

    if (len > GOVERN_WEBHOOK_MAX_FILE) {
        snprintf(err, errlen, "larger than %d bytes",
                 GOVERN_WEBHOOK_MAX_FILE);
        return -1;
    }

    root = govern_jv_parse(text, len, 0, govern_webhook_scratch_alloc,
                           &scratch, &jerr);

    if (root == NULL) {
        snprintf(err, errlen, "invalid JSON at byte %zu: %s", jerr.position,
                 jerr.text);
        goto done;
    }

    if (!govern_jv_is_object(root) || root->len == 0) {
        snprintf(err, errlen, "not a JSON object of partners: "
                 "{\"PARTNER\": [\"SECRET\", ...]}");
        goto done;
    }

    n = 0;
    m = root->u.members;

    for (i = 0; i < root->len; i++) {
        if (!govern_webhook_partner_valid(m[i].key, m[i].key_len)) {
            snprintf(err, errlen, "partner %zu: a name is 1 to %d bytes, "
                     "without control characters or braces", i + 1,
                     GOVERN_WEBHOOK_MAX_PARTNER);
            goto done;
        }

        list = &m[i].value;

        if (!govern_jv_is_array(list) || list->len == 0
            || list->len > GOVERN_WEBHOOK_MAX_SECRETS)
        {
            snprintf(err, errlen, "partner \"%s\": not an array of 1 to %d "
                     "secrets", m[i].key, GOVERN_WEBHOOK_MAX_SECRETS);
            goto done;
        }

        for (j = 0; j < list->len; j++) {
            if (!govern_jv_is_string(&list->u.items[j])) {
                snprintf(err, errlen, "partner \"%s\", secret %zu: not a "
                         "string", m[i].key, j + 1);
                goto done;
            }
        }

        n += list->len;
    }

    set->secrets = alloc(alloc_ctx, n * sizeof(govern_webhook_secret_t));
    if (set->secrets == NULL) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }

    memset(set->secrets, 0, n * sizeof(govern_webhook_secret_t));
    set->scheme = scheme;

    for (i = 0; i < root->len; i++) {
        char  *partner;

        partner = alloc(alloc_ctx, m[i].key_len + 1);
        if (partner == NULL) {
            snprintf(err, errlen, "out of memory");
            goto done;
        }

        memcpy(partner, m[i].key, m[i].key_len + 1);
        list = &m[i].value;
        first = set->nsecrets;

        for (j = 0; j < list->len; j++) {
            item = &list->u.items[j];
            s = &set->secrets[set->nsecrets];

            if (govern_webhook_secret_init(s, scheme, item->u.string,
                                           item->len, alloc, alloc_ctx, why,
                                           sizeof(why))
                != 0)
            {
                snprintf(err, errlen, "partner \"%s\", secret %zu: %s",
                         partner, j + 1, why);
                goto done;
            }

            s->partner = partner;
            s->partner_len = m[i].key_len;
            set->nsecrets++;

            /*
             * The partner is the one whose secret verifies: a secret
             * held twice would make a partner ambiguous, or a rotation
             * list a mistake
             */

            for (k = 0; k + 1 < set->nsecrets; k++) {
                t = &set->secrets[k];

                if (t->key_len != s->key_len
                    || CRYPTO_memcmp(t->key, s->key, s->key_len) != 0)
                {
                    continue;
                }

                if (t->partner == s->partner) {
                    snprintf(err, errlen, "partner \"%s\": secrets %zu and "
                             "%zu are the same", partner,
                             k - first + 1, j + 1);

                } else {
                    snprintf(err, errlen, "partners \"%s\" and \"%s\" share "
                             "a secret: the partner is the one whose secret "
                             "verifies", t->partner, partner);
                }

                goto done;
            }
        }

        set->npartners++;
    }

    rc = 0;

done:

    if (rc != 0) {
        govern_webhook_secrets_release(set);
    }

    govern_webhook_scratch_free(&scratch);

    return rc;
}


int
govern_webhook_secrets_load(govern_webhook_secrets_t *set,
    govern_webhook_scheme_e scheme, const char *path,
    govern_webhook_alloc_pt alloc, void *alloc_ctx, char *err,
    size_t errlen)
{
    int           fd, rc;
    char         *buf, why[160];
    size_t        len;
    ssize_t       n;
    struct stat   st;

    memset(set, 0, sizeof(govern_webhook_secrets_t));

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        snprintf(err, errlen, "cannot open: %s", strerror(errno));
        return -1;
    }

    /* the descriptor's own mode: no window between check and read */

    if (fstat(fd, &st) == -1) {
        snprintf(err, errlen, "cannot stat: %s", strerror(errno));
        close(fd);
        return -1;
    }

    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "not a regular file");
        close(fd);
        return -1;
    }

    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, errlen, "is accessible by group or others: it holds "
                 "webhook secrets, chmod 600 it");
        close(fd);
        return -1;
    }

    if (st.st_size > GOVERN_WEBHOOK_MAX_FILE) {
        snprintf(err, errlen, "larger than %d bytes",
                 GOVERN_WEBHOOK_MAX_FILE);
        close(fd);
        return -1;
    }

    buf = malloc(st.st_size + 1);
    if (buf == NULL) {
        snprintf(err, errlen, "out of memory");
        close(fd);
        return -1;
    }

    len = 0;
    n = 0;

    for ( ;; ) {
        n = read(fd, buf + len, st.st_size + 1 - len);

        if (n == -1 && errno == EINTR) {
            continue;
        }

        if (n <= 0) {
            break;
        }

        len += n;

        if (len > (size_t) st.st_size) {
            break;
        }
    }

    close(fd);

    if (n == -1 || len > (size_t) st.st_size) {
        snprintf(err, errlen, "%s", n == -1 ? strerror(errno)
                                            : "changed while read");
        OPENSSL_cleanse(buf, st.st_size + 1);
        free(buf);
        return -1;
    }

    rc = govern_webhook_secrets_parse(set, scheme, buf, len, alloc,
                                      alloc_ctx, why, sizeof(why));
    if (rc != 0) {
        snprintf(err, errlen, "%s", why);
    }

    OPENSSL_cleanse(buf, st.st_size + 1);
    free(buf);

    return rc;
}


void
govern_webhook_secrets_release(govern_webhook_secrets_t *set)
{
    size_t  i;

    for (i = 0; i < set->nsecrets; i++) {
        govern_webhook_secret_release(&set->secrets[i]);
    }

    set->nsecrets = 0;
    set->npartners = 0;
}


size_t
govern_webhook_secrets_partner(const govern_webhook_secrets_t *set,
    const char *partner, size_t len, size_t *first)
{
    size_t  i, n;

    for (i = 0; i < set->nsecrets; i++) {
        if (set->secrets[i].partner_len == len
            && memcmp(set->secrets[i].partner, partner, len) == 0)
        {
            *first = i;

            for (n = 1; i + n < set->nsecrets
                        && set->secrets[i + n].partner
                           == set->secrets[i].partner; n++)
            {
                /* void */
            }

            return n;
        }
    }

    return 0;
}


static int
govern_webhook_partner_valid(const char *s, size_t len)
{
    size_t  i;

    /* valid UTF-8 without NUL already (the JSON parse) */

    if (len == 0 || len > GOVERN_WEBHOOK_MAX_PARTNER) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f || s[i] == '{'
            || s[i] == '}')
        {
            return 0;
        }
    }

    return 1;
}


static void *
govern_webhook_scratch_alloc(void *ctx, size_t size)
{
    govern_webhook_scratch_t  **list = ctx;
    govern_webhook_scratch_t   *b;

    b = malloc(sizeof(govern_webhook_scratch_t) + size);
    if (b == NULL) {
        return NULL;
    }

    b->size = size;
    b->next = *list;
    *list = b;

    return b->data;
}


/* the parse held the secrets' text: wiped before the heap has it back */

static void
govern_webhook_scratch_free(govern_webhook_scratch_t **list)
{
    govern_webhook_scratch_t  *b, *next;

    for (b = *list; b; b = next) {
        next = b->next;
        OPENSSL_cleanse(b->data, b->size);
        free(b);
    }

    *list = NULL;
}


/* codecs */

/* len hex digits, either case, into len / 2 bytes; 0, or -1 */

static int
govern_webhook_hex_decode(unsigned char *dst, const unsigned char *src,
    size_t len)
{
    size_t         i;
    unsigned       c, v;

    if (len % 2) {
        return -1;
    }

    for (i = 0; i < len; i++) {
        c = src[i];

        if (c >= '0' && c <= '9') {
            v = c - '0';

        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            v = (c | 0x20) - 'a' + 10;

        } else {
            return -1;
        }

        if (i % 2 == 0) {
            dst[i / 2] = (unsigned char) (v << 4);

        } else {
            dst[i / 2] |= (unsigned char) v;
        }
    }

    return 0;
}


/* a version or key name: lowercase letters and digits */

static int
govern_webhook_token(const unsigned char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))) {
            return 0;
        }
    }

    return len > 0;
}


static unsigned char
govern_webhook_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? c | 0x20 : c;
}
