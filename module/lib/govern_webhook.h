
/*
 * govern: webhook signatures verified at the edge, and signed on the way
 * out.  Four schemes, as their senders sign:
 *
 *   standard  Standard Webhooks 1.0: webhook-id, webhook-timestamp and
 *             webhook-signature ("v1,<base64>" entries, space separated),
 *             HMAC-SHA256 of "id.timestamp.body" keyed with the secret's
 *             base64 after "whsec_", decoded;
 *   stripe    Stripe-Signature "t=<unix>,v1=<hex>[,v1=<hex>...]",
 *             HMAC-SHA256 of "t.body" keyed with the secret as given;
 *   shopify   X-Shopify-Hmac-Sha256, the base64 HMAC-SHA256 of the body;
 *             the event id in X-Shopify-Webhook-Id;
 *   github    X-Hub-Signature-256 "sha256=<hex>" of the body; the event id
 *             in X-GitHub-Delivery.
 *
 * The MAC covers the body's bytes as received, fed in as many pieces as
 * the caller holds them (a buffer chain, a file read in parts); every
 * candidate secret may be tried (partners, rotation), every signature the
 * sender sent may match, comparisons are constant time, a timestamp must
 * lie within the tolerance on both sides of now, and a header that does
 * not parse is refused, never skipped.
 *
 * Pure logic over OpenSSL's EVP_MAC and govern_jv: no nginx types.
 */


#ifndef _GOVERN_WEBHOOK_H_INCLUDED_
#define _GOVERN_WEBHOOK_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>


#define GOVERN_WEBHOOK_MAX_VALUE        4096    /* any header value */
#define GOVERN_WEBHOOK_MAX_ID           255     /* an event id */
#define GOVERN_WEBHOOK_MAX_SIGNATURES   16      /* in one header */
#define GOVERN_WEBHOOK_MAX_SECRETS      16      /* of one partner */
#define GOVERN_WEBHOOK_MAX_PARTNER      255
#define GOVERN_WEBHOOK_MIN_SECRET       16      /* bytes of key */
#define GOVERN_WEBHOOK_MAX_SECRET       512
#define GOVERN_WEBHOOK_MAX_FILE         (1024 * 1024)
#define GOVERN_WEBHOOK_MAC_LEN          32
#define GOVERN_WEBHOOK_MAX_HOLD         (64 * 1024)  /* body tried in turn */

/* "v1,<base64 of 32 bytes>", one per secret, space separated, and a NUL */
#define GOVERN_WEBHOOK_SIGNATURE_SIZE                                        \
    (GOVERN_WEBHOOK_MAX_SECRETS * 48)


typedef enum {
    GOVERN_WEBHOOK_UNKNOWN = 0,
    GOVERN_WEBHOOK_STANDARD,
    GOVERN_WEBHOOK_STRIPE,
    GOVERN_WEBHOOK_SHOPIFY,
    GOVERN_WEBHOOK_GITHUB
} govern_webhook_scheme_e;


/* what a verification came to; the codes are the reasons */
typedef enum {
    GOVERN_WEBHOOK_VERIFIED = 0,
    GOVERN_WEBHOOK_MALFORMED,           /* webhook_malformed */
    GOVERN_WEBHOOK_BAD_TIMESTAMP,       /* webhook_timestamp */
    GOVERN_WEBHOOK_BAD_SIGNATURE,       /* webhook_signature */
    GOVERN_WEBHOOK_ERROR                /* internal_error: memory, OpenSSL */
} govern_webhook_status_e;


/* the headers a scheme reads, by role */
#define GOVERN_WEBHOOK_HEADER_ID        0
#define GOVERN_WEBHOOK_HEADER_TIMESTAMP 1
#define GOVERN_WEBHOOK_HEADER_SIGNATURE 2
#define GOVERN_WEBHOOK_NHEADERS         3


typedef struct {
    const unsigned char        *data;
    size_t                      len;
    unsigned                    count;  /* times sent: 0 missing, 2+ twice */
} govern_webhook_value_t;


/* the values as the request carried them; zeroed before the first add */
typedef struct {
    govern_webhook_value_t      value[GOVERN_WEBHOOK_NHEADERS];
} govern_webhook_headers_t;


typedef struct {
    const unsigned char        *data;
    size_t                      len;
} govern_webhook_chunk_t;


/*
 * One secret, ready: the HMAC key (decoded for standard) and an EVP_MAC
 * context keyed with it, copied for each request.  The partner's name is
 * shared by all its secrets.
 */
typedef struct {
    govern_webhook_scheme_e     scheme;
    const char                 *partner;        /* NUL-terminated */
    size_t                      partner_len;
    unsigned char              *key;
    size_t                      key_len;
    EVP_MAC_CTX                *mac;
} govern_webhook_secret_t;


/* a secrets file: a partner's secrets are adjacent, in the file's order */
typedef struct {
    govern_webhook_scheme_e     scheme;
    govern_webhook_secret_t    *secrets;
    size_t                      nsecrets;
    size_t                      npartners;
} govern_webhook_secrets_t;


/*
 * Set as far as the headers were read, on refusals too (for the audit):
 * the event id and timestamp are the sender's word until the status is
 * VERIFIED.  A Stripe delivery names its event in the body only.
 */
typedef struct {
    govern_webhook_status_e     status;
    size_t                      secret;         /* the index that verified */
    int64_t                     timestamp;
    unsigned                    has_timestamp:1;
    size_t                      event_id_len;   /* 0: none */
    char                        event_id[GOVERN_WEBHOOK_MAX_ID + 1];
    char                        message[160];   /* which header, what */
} govern_webhook_result_t;


typedef struct govern_webhook_verify_s  govern_webhook_verify_t;


/* signs one body for every secret of a partner (outbound, standard) */
typedef struct {
    size_t                      nmacs;
    EVP_MAC_CTX                *macs[GOVERN_WEBHOOK_MAX_SECRETS];
} govern_webhook_signer_t;


typedef void *(*govern_webhook_alloc_pt)(void *ctx, size_t size);


govern_webhook_scheme_e govern_webhook_scheme(const char *name,
    size_t len);
const char *govern_webhook_scheme_name(govern_webhook_scheme_e scheme);

/* "webhook_malformed" and so on; NULL for VERIFIED */
const char *govern_webhook_reason_code(govern_webhook_status_e status);

/*
 * The header a scheme reads in a role (NULL: none), as senders spell it;
 * request header names match it case-insensitively.
 */
const char *govern_webhook_header_name(govern_webhook_scheme_e scheme,
    unsigned role);

/* one request header: 1 when the scheme reads it (kept, counted), else 0 */
int govern_webhook_headers_add(govern_webhook_headers_t *headers,
    govern_webhook_scheme_e scheme, const unsigned char *name,
    size_t name_len, const unsigned char *value, size_t value_len);

/*
 * Config time.  A secret as the provider hands it out: standard and
 * stripe "whsec_..." (standard's base64 of 16 to 512 bytes), shopify and
 * github printable ASCII of 16 bytes or more; 0, or -1 with a message
 * that never quotes the secret.  Memory from alloc; the release functions
 * wipe the keys and free what OpenSSL holds (the caller's memory is the
 * caller's to free).
 */
int govern_webhook_secret_init(govern_webhook_secret_t *secret,
    govern_webhook_scheme_e scheme, const char *text, size_t len,
    govern_webhook_alloc_pt alloc, void *alloc_ctx, char *err,
    size_t errlen);
void govern_webhook_secret_release(govern_webhook_secret_t *secret);

/* {"PARTNER": ["SECRET", ...], ...} */
int govern_webhook_secrets_parse(govern_webhook_secrets_t *set,
    govern_webhook_scheme_e scheme, const char *text, size_t len,
    govern_webhook_alloc_pt alloc, void *alloc_ctx, char *err,
    size_t errlen);
/* the file must not be accessible by group or others */
int govern_webhook_secrets_load(govern_webhook_secrets_t *set,
    govern_webhook_scheme_e scheme, const char *path,
    govern_webhook_alloc_pt alloc, void *alloc_ctx, char *err,
    size_t errlen);
void govern_webhook_secrets_release(govern_webhook_secrets_t *set);
/* a partner's secrets: the first's index and how many (0: none) */
size_t govern_webhook_secrets_partner(const govern_webhook_secrets_t *set,
    const char *partner, size_t len, size_t *first);

/*
 * Request time, in steps: the headers (before the body is read: a
 * malformed or stale delivery is refused without reading it), the body's
 * pieces in order, the verdict.  start returns NULL with result->status
 * set when it refuses (or fails); finish releases the OpenSSL contexts,
 * release does it for a verification abandoned half way (idempotent).
 * tolerance in seconds, both sides of now.  hold: the body's announced
 * length (0: unknown); with several secrets and a body of at most
 * GOVERN_WEBHOOK_MAX_HOLD, the body is copied as it comes and the
 * secrets tried in turn at the end, the first that verifies ending it
 * (one HMAC for the first partner of the file instead of one for each);
 * a body longer than announced falls back to every secret at once.
 */
govern_webhook_verify_t *govern_webhook_verify_start(
    govern_webhook_scheme_e scheme, const govern_webhook_headers_t *headers,
    int64_t now, int64_t tolerance, const govern_webhook_secret_t *secrets,
    size_t nsecrets, size_t hold, govern_webhook_alloc_pt alloc,
    void *alloc_ctx, govern_webhook_result_t *result);
int govern_webhook_verify_update(govern_webhook_verify_t *v,
    const unsigned char *data, size_t len);
govern_webhook_status_e govern_webhook_verify_finish(
    govern_webhook_verify_t *v, govern_webhook_result_t *result);
void govern_webhook_verify_release(govern_webhook_verify_t *v);

/* the same in one call, for a body held in chunks */
govern_webhook_status_e govern_webhook_verify(
    govern_webhook_scheme_e scheme, const govern_webhook_headers_t *headers,
    const govern_webhook_chunk_t *chunks, size_t nchunks, int64_t now,
    int64_t tolerance, const govern_webhook_secret_t *secrets,
    size_t nsecrets, govern_webhook_result_t *result);

/*
 * Outbound (standard): the webhook-signature value for a partner's
 * secrets, one "v1,<base64>" per secret so that the receiver verifies
 * with whichever it holds during a rotation.  finish writes it NUL-
 * terminated into out (GOVERN_WEBHOOK_SIGNATURE_SIZE bytes suffice) and
 * returns its length, 0 on failure; both release the signer.
 */
int govern_webhook_sign_start(govern_webhook_signer_t *signer,
    const govern_webhook_secret_t *secrets, size_t nsecrets,
    const unsigned char *id, size_t id_len, int64_t timestamp);
int govern_webhook_sign_update(govern_webhook_signer_t *signer,
    const unsigned char *data, size_t len);
size_t govern_webhook_sign_finish(govern_webhook_signer_t *signer,
    char *out, size_t size);
void govern_webhook_sign_release(govern_webhook_signer_t *signer);

/* an event id the gateway keys on: 1 to 255 visible ASCII, no braces */
int govern_webhook_event_id_valid(const unsigned char *s, size_t len);


#endif /* _GOVERN_WEBHOOK_H_INCLUDED_ */
