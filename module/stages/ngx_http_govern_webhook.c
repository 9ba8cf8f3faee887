
/*
 * govern: webhooks from partners, verified at the edge, and signed on the
 * way out.
 *
 * A route with govern_webhook verifies the sender's signature instead of
 * a token: its headers before a byte of the body is read (a malformed or
 * stale delivery is refused there), then the body's bytes as nginx reads
 * them: a request body filter feeds the MACs with every buffer while it
 * is in memory, before nginx may spill it to a temp file, which is never
 * read back.  The partner is the one whose secret verified.  With dedupe,
 * the last stage of the pipeline records the event under the partner's
 * hash tag: a delivery already delivered is answered 200 without reaching
 * the upstream, one in flight 409; the log phase marks it delivered (an
 * upstream 2xx) or clears it (anything else) so the sender's retry goes
 * through.
 *
 * govern_webhook_sign, on a location Odoo posts to, signs the body it
 * proxies to a partner (Standard Webhooks), read the same way.
 */


#include "ngx_http_govern_stages.h"
#include "govern_json.h"
#include "govern_webhook.h"

#include <openssl/rand.h>


#define NGX_HTTP_GOVERN_WEBHOOK_READING    1
#define NGX_HTTP_GOVERN_WEBHOOK_VERIFIED   2
#define NGX_HTTP_GOVERN_WEBHOOK_REFUSED    3

#define NGX_HTTP_GOVERN_DEDUPE_NONE        0
#define NGX_HTTP_GOVERN_DEDUPE_PENDING     1
#define NGX_HTTP_GOVERN_DEDUPE_DONE        2

/* what Redis says of an event: first delivery, delivered, in flight */
#define NGX_HTTP_GOVERN_DEDUPE_FIRST       0
#define NGX_HTTP_GOVERN_DEDUPE_DELIVERED   1
#define NGX_HTTP_GOVERN_DEDUPE_IN_FLIGHT   2

/* an in-flight marker outlives any upstream timeout, then lets go */
#define NGX_HTTP_GOVERN_DEDUPE_INFLIGHT    300000      /* ms */

#define NGX_HTTP_GOVERN_WEBHOOK_ID_LEN     (sizeof("msg_") - 1 + 32)


struct ngx_http_govern_webhook_conf_s {
    govern_webhook_scheme_e         scheme;
    govern_webhook_secrets_t        secrets;
    time_t                          tolerance;
    ngx_msec_t                      dedupe;         /* 0: off */
    u_char                         *conf_file;      /* for nginx -t */
    ngx_uint_t                      conf_line;
};


struct ngx_http_govern_webhook_sign_s {
    govern_webhook_secrets_t        secrets;
    ngx_http_complex_value_t        partner;
};


/* one delivery */
struct ngx_http_govern_webhook_s {
    ngx_http_govern_webhook_conf_t *conf;       /* the route's, verifying */
    ngx_uint_t                      state;
    govern_webhook_verify_t        *verify;     /* while the body is read */
    EVP_MD_CTX                     *sha;        /* body_sha256, audited */
    govern_webhook_result_t         result;
    ngx_str_t                       event_id;

    ngx_uint_t                      dedupe;     /* NONE, PENDING, DONE */
    ngx_int_t                       verdict;    /* -1: Redis failed */
    ngx_str_t                       key;
    ngx_str_t                       marker;     /* "P", random, request id */
    ngx_http_govern_wait_t          wait;
    unsigned                        looked:1;   /* GET after SET NX */
    unsigned                        retried:1;  /* SET NX again */
    unsigned                        proceeded:1;
    unsigned                        unseen:1;   /* a body buffer not fed */
};


/* an outbound delivery being signed, found by its pool cleanup */
typedef struct {
    govern_webhook_signer_t         signer;
    time_t                          timestamp;
    u_char                          id[NGX_HTTP_GOVERN_WEBHOOK_ID_LEN];
    unsigned                        signing:1;
    unsigned                        done:1;
    unsigned                        failed:1;
} ngx_http_govern_webhook_signing_t;


static ngx_int_t ngx_http_govern_webhook_start(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_webhook_conf_t *whcf);
static ngx_int_t ngx_http_govern_webhook_finish(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_webhook_t *wh);
static ngx_int_t ngx_http_govern_webhook_refuse(ngx_http_request_t *r,
    ngx_http_govern_webhook_t *wh);
static ngx_int_t ngx_http_govern_webhook_stripe_id(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_webhook_t *wh);
static void ngx_http_govern_webhook_cleanup(void *data);
static ngx_int_t ngx_http_govern_dedupe_send(ngx_http_request_t *r,
    ngx_http_govern_webhook_t *wh);
static void ngx_http_govern_dedupe_reply(ngx_http_request_t *r, void *data,
    redisReply *reply);
static ngx_int_t ngx_http_govern_dedupe_duplicate(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_webhook_t *wh);
static ngx_int_t ngx_http_govern_dedupe_unavailable(ngx_http_request_t *r);
static ngx_int_t ngx_http_govern_webhook_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_govern_webhook_sign_handler(ngx_http_request_t *r);
static void ngx_http_govern_webhook_sign_done(ngx_http_request_t *r);
static ngx_int_t ngx_http_govern_webhook_sign_read(ngx_http_request_t *r,
    ngx_http_govern_webhook_signing_t *st);
static ngx_http_govern_webhook_signing_t *ngx_http_govern_webhook_signing(
    ngx_http_request_t *r);
static void ngx_http_govern_webhook_signing_cleanup(void *data);
static ngx_int_t ngx_http_govern_webhook_secrets(ngx_conf_t *cf,
    ngx_str_t *name, govern_webhook_scheme_e scheme,
    govern_webhook_secrets_t *set);
static void ngx_http_govern_webhook_secrets_cleanup(void *data);
static void *ngx_http_govern_webhook_alloc(void *pool, size_t size);


static ngx_http_request_body_filter_pt  ngx_http_next_request_body_filter;

static EVP_MD  *ngx_http_govern_webhook_sha256;

static ngx_str_t  ngx_http_govern_webhook_json =
    ngx_string("application/json");


/*
 * An event's record is "P<random><request id>" while a delivery is in
 * flight, "D" once delivered.  The common path is two plain commands (no
 * script for Redis to run): SET NX marks the first delivery, SET marks it
 * delivered; a GET asks what a refused SET NX met.  A failed delivery
 * clears the record with this script, which deletes only its own marker
 * (one that outlived its 300 s and was taken by a later delivery is that
 * one's).
 */

static const char  ngx_http_govern_dedupe_clear[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
    "  return redis.call('DEL', KEYS[1])\n"
    "end\n"
    "return 0\n";


/* verification: the stage right after the audit's, before the token's */

static ngx_int_t
ngx_http_govern_webhook_access(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    ngx_str_t                        detail;
    ngx_http_govern_webhook_t       *wh;
    ngx_http_govern_loc_conf_t      *glcf;
    ngx_http_govern_webhook_conf_t  *whcf;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);
    whcf = glcf->webhook;

    if (whcf == NULL) {
        return NGX_OK;
    }

    wh = ctx->webhook;

    if (wh == NULL) {
        return ngx_http_govern_webhook_start(r, ctx, whcf);
    }

    switch (wh->state) {

    case NGX_HTTP_GOVERN_WEBHOOK_READING:
        if (ctx->body_state == NGX_HTTP_GOVERN_BODY_READING) {
            return NGX_AGAIN;
        }

        return ngx_http_govern_webhook_finish(r, ctx, wh);

    case NGX_HTTP_GOVERN_WEBHOOK_VERIFIED:

        /* an internal redirect: the body's MACs are spent, and only the
         * route whose secrets verified may take the delivery */

        if (wh->conf == whcf) {
            return NGX_OK;
        }

        ngx_str_set(&detail, "the delivery was verified for another "
                             "route");
        return ngx_http_govern_refuse(r, GOVERN_REASON_WEBHOOK_SIGNATURE,
                                      &detail);

    default:
        return ngx_http_govern_refuse_internal(r, "the webhook");
    }
}


static ngx_int_t
ngx_http_govern_webhook_start(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_webhook_conf_t *whcf)
{
    ngx_int_t                    rc;
    ngx_uint_t                   i;
    ngx_list_part_t             *part;
    ngx_table_elt_t             *h;
    ngx_pool_cleanup_t          *cln;
    govern_webhook_headers_t     headers;
    ngx_http_govern_webhook_t   *wh;

    wh = ngx_pcalloc(r->pool, sizeof(ngx_http_govern_webhook_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (wh == NULL || cln == NULL) {
        return ngx_http_govern_refuse_internal(r, "the webhook");
    }

    cln->handler = ngx_http_govern_webhook_cleanup;
    cln->data = wh;

    wh->conf = whcf;
    ctx->webhook = wh;

    /* the headers the scheme reads, each counted: one sent twice is
     * refused, not guessed */

    ngx_memzero(&headers, sizeof(govern_webhook_headers_t));

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        (void) govern_webhook_headers_add(&headers, whcf->scheme,
                                          h[i].key.data, h[i].key.len,
                                          h[i].value.data, h[i].value.len);
    }

    wh->verify = govern_webhook_verify_start(whcf->scheme, &headers,
                                             ngx_time(), whcf->tolerance,
                                             whcf->secrets.secrets,
                                             whcf->secrets.nsecrets,
                                             ngx_http_govern_webhook_alloc,
                                             r->pool, &wh->result);

    /* the sender's word until it verifies, for the audit */

    wh->event_id.data = (u_char *) wh->result.event_id;
    wh->event_id.len = wh->result.event_id_len;

    if (wh->verify == NULL) {
        return ngx_http_govern_webhook_refuse(r, wh);
    }

    if (ctx->lcf->audit) {
        wh->sha = EVP_MD_CTX_new();

        if (wh->sha == NULL
            || !EVP_DigestInit_ex(wh->sha, ngx_http_govern_webhook_sha256,
                                  NULL))
        {
            return ngx_http_govern_refuse_internal(r, "the body's digest");
        }
    }

    wh->state = NGX_HTTP_GOVERN_WEBHOOK_READING;

    /* a Stripe event names itself in the body: a copy is kept for it */

    rc = ngx_http_govern_body_read(r, ctx,
                                   whcf->scheme == GOVERN_WEBHOOK_STRIPE);

    if (rc != NGX_OK) {
        return rc;                      /* reading, or refused */
    }

    return ngx_http_govern_webhook_finish(r, ctx, wh);
}


/* the body is read: the verdict, and the partner whose secret verified */

static ngx_int_t
ngx_http_govern_webhook_finish(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_webhook_t *wh)
{
    u_char                    digest[32];
    govern_webhook_status_e   status;
    govern_webhook_secret_t  *secret;

    if (wh->unseen) {
        govern_webhook_verify_release(wh->verify);
        wh->verify = NULL;
        return ngx_http_govern_refuse_internal(r, "a webhook body buffer "
                                               "not in memory");
    }

    status = govern_webhook_verify_finish(wh->verify, &wh->result);
    wh->verify = NULL;

    if (status != GOVERN_WEBHOOK_VERIFIED) {
        return ngx_http_govern_webhook_refuse(r, wh);
    }

    secret = &wh->conf->secrets.secrets[wh->result.secret];

    ctx->partner.data = (u_char *) secret->partner;
    ctx->partner.len = secret->partner_len;

    if (wh->sha) {
        if (!EVP_DigestFinal_ex(wh->sha, digest, NULL)) {
            return ngx_http_govern_refuse_internal(r, "the body's digest");
        }

        ctx->body_sha256.data = ngx_pnalloc(r->pool, 64);
        if (ctx->body_sha256.data == NULL) {
            return ngx_http_govern_refuse_internal(r, "the body's digest");
        }

        govern_hex(ctx->body_sha256.data, digest, 32);
        ctx->body_sha256.len = 64;
    }

    if (wh->conf->scheme == GOVERN_WEBHOOK_STRIPE
        && ngx_http_govern_webhook_stripe_id(r, ctx, wh) != NGX_OK)
    {
        return NGX_DONE;
    }

    wh->state = NGX_HTTP_GOVERN_WEBHOOK_VERIFIED;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "govern: webhook of \"%V\" verified, event \"%V\"",
                   &ctx->partner, &wh->event_id);

    return NGX_OK;
}


/*
 * A Stripe event's id is its body's "id" ("evt_..."), read once the
 * signature says the body is Stripe's.  Without it the event cannot be
 * deduplicated: a route with dedupe refuses it, another one lets it
 * through (its audit record has no event id).  NGX_DONE: refused.
 */

static ngx_int_t
ngx_http_govern_webhook_stripe_id(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_webhook_t *wh)
{
    ngx_str_t           detail;
    govern_jv_t        *root, *id;
    govern_jv_error_t   err;

    root = NULL;
    id = NULL;

    if (ctx->body && ctx->body->last > ctx->body->pos) {
        root = govern_jv_parse((const char *) ctx->body->pos,
                               ctx->body->last - ctx->body->pos,
                               GOVERN_JV_LAZY(1),
                               ngx_http_govern_webhook_alloc, r->pool,
                               &err);
    }

    if (govern_jv_is_object(root)) {
        id = govern_jv_getz(root, "id");
    }

    if (govern_jv_is_string(id)
        && govern_webhook_event_id_valid((const u_char *) id->u.string,
                                         id->len))
    {
        ngx_memcpy(wh->result.event_id, id->u.string, id->len);
        wh->result.event_id_len = id->len;
        wh->event_id.data = (u_char *) wh->result.event_id;
        wh->event_id.len = id->len;

        return NGX_OK;
    }

    if (wh->conf->dedupe == 0) {
        return NGX_OK;
    }

    wh->state = NGX_HTTP_GOVERN_WEBHOOK_REFUSED;

    ngx_str_set(&detail, "the Stripe event is not a JSON object with an "
                         "\"id\" of 1 to 255 visible ASCII characters: it "
                         "cannot be deduplicated");

    return ngx_http_govern_refuse(r, GOVERN_REASON_WEBHOOK_MALFORMED,
                                  &detail);
}


static ngx_int_t
ngx_http_govern_webhook_refuse(ngx_http_request_t *r,
    ngx_http_govern_webhook_t *wh)
{
    ngx_str_t        detail;
    govern_reason_e  reason;

    wh->state = NGX_HTTP_GOVERN_WEBHOOK_REFUSED;

    switch (wh->result.status) {

    case GOVERN_WEBHOOK_MALFORMED:
        reason = GOVERN_REASON_WEBHOOK_MALFORMED;
        break;

    case GOVERN_WEBHOOK_BAD_TIMESTAMP:
        reason = GOVERN_REASON_WEBHOOK_TIMESTAMP;
        break;

    case GOVERN_WEBHOOK_BAD_SIGNATURE:
        reason = GOVERN_REASON_WEBHOOK_SIGNATURE;
        break;

    default:
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "govern: webhook verification failed: %s",
                      wh->result.message);
        return ngx_http_govern_refuse_internal(r, "the webhook");
    }

    /* the library's message names the header and what is wrong with it,
     * never a secret */

    detail.data = (u_char *) wh->result.message;
    detail.len = ngx_strlen(wh->result.message);

    return ngx_http_govern_refuse(r, reason, &detail);
}


/* the request ends, whatever ended it: OpenSSL's contexts go */

static void
ngx_http_govern_webhook_cleanup(void *data)
{
    ngx_http_govern_webhook_t  *wh = data;

    govern_webhook_verify_release(wh->verify);
    wh->verify = NULL;

    EVP_MD_CTX_free(wh->sha);
    wh->sha = NULL;
}


/*
 * Feeds every buffer of the body to the MACs (and the audit's digest) as
 * nginx reads it: chunked encoding is already removed here, and the
 * buffers are still in memory, so a body spilled to a temp file is
 * verified without reading the file back.
 */

static ngx_int_t
ngx_http_govern_webhook_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t                              size;
    ngx_chain_t                        *cl;
    ngx_http_govern_ctx_t              *ctx;
    ngx_http_govern_webhook_t          *wh;
    ngx_http_govern_loc_conf_t         *glcf;
    ngx_http_govern_webhook_signing_t  *st;

    ctx = ngx_http_get_module_ctx(r, ngx_http_govern_module);
    wh = ctx ? ctx->webhook : NULL;

    if (wh && ctx->reading && wh->verify) {
        for (cl = in; cl; cl = cl->next) {
            if (ngx_buf_special(cl->buf)) {
                continue;               /* the last buffer: no bytes */
            }

            if (!ngx_buf_in_memory(cl->buf)) {
                wh->unseen = 1;
                continue;
            }

            size = cl->buf->last - cl->buf->pos;

            if (size == 0) {
                continue;
            }

            if (govern_webhook_verify_update(wh->verify, cl->buf->pos, size)
                != 0)
            {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "govern: HMAC-SHA256 of a webhook body "
                              "failed");
                /* the verdict will be an error: the context says so */
            }

            if (wh->sha
                && !EVP_DigestUpdate(wh->sha, cl->buf->pos, size))
            {
                EVP_MD_CTX_free(wh->sha);
                wh->sha = NULL;
            }
        }

        return ngx_http_next_request_body_filter(r, in);
    }

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);

    if (glcf->webhook_sign == NULL || r != r->main) {
        return ngx_http_next_request_body_filter(r, in);
    }

    st = ngx_http_govern_webhook_signing(r);

    if (st && st->signing) {
        for (cl = in; cl; cl = cl->next) {
            if (ngx_buf_special(cl->buf)) {
                continue;
            }

            if (!ngx_buf_in_memory(cl->buf)) {
                st->failed = 1;
                continue;
            }

            size = cl->buf->last - cl->buf->pos;

            if (size
                && govern_webhook_sign_update(&st->signer, cl->buf->pos,
                                              size)
                   != 0)
            {
                st->failed = 1;
            }
        }
    }

    return ngx_http_next_request_body_filter(r, in);
}


/* dedupe: the last stage, once every other one let the delivery through */

static ngx_int_t
ngx_http_govern_dedupe_access(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    u_char                          *p, random[8];
    ngx_int_t                        rc;
    ngx_str_t                        detail;
    ngx_http_govern_webhook_t       *wh;
    ngx_http_govern_loc_conf_t      *glcf;
    ngx_http_govern_webhook_conf_t  *whcf;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);
    whcf = glcf->webhook;
    wh = ctx->webhook;

    if (whcf == NULL || whcf->dedupe == 0 || wh == NULL
        || wh->state != NGX_HTTP_GOVERN_WEBHOOK_VERIFIED)
    {
        return NGX_OK;
    }

    switch (wh->dedupe) {

    case NGX_HTTP_GOVERN_DEDUPE_NONE:

        /*
         * govern:{PARTNER}:wh:EVENT, in flight "P<16 random hex digits>
         * <request id>": this delivery's own, even when a sender sends
         * its retries with the same X-Request-Id
         */

        wh->key.len = sizeof("govern:{}:wh:") - 1 + ctx->partner.len
                      + wh->event_id.len;
        wh->marker.len = 1 + 16 + ctx->request_id.len;

        p = ngx_pnalloc(r->pool, wh->key.len + wh->marker.len);
        if (p == NULL || RAND_bytes(random, sizeof(random)) != 1) {
            return ngx_http_govern_refuse_internal(r, "the webhook's record");
        }

        wh->key.data = p;
        p = ngx_sprintf(p, "govern:{%V}:wh:%V", &ctx->partner,
                        &wh->event_id);
        wh->marker.data = p;
        *p++ = 'P';
        govern_hex(p, random, sizeof(random));
        ngx_memcpy(p + 16, ctx->request_id.data, ctx->request_id.len);

        wh->wait.stage = "webhook";
        wh->wait.done = ngx_http_govern_dedupe_reply;
        wh->wait.data = wh;

        rc = ngx_http_govern_dedupe_send(r, wh);

        if (rc == NGX_AGAIN) {
            wh->dedupe = NGX_HTTP_GOVERN_DEDUPE_PENDING;
            return NGX_AGAIN;
        }

        if (rc == NGX_ERROR) {
            return ngx_http_govern_refuse_internal(r, "the webhook's record");
        }

        wh->dedupe = NGX_HTTP_GOVERN_DEDUPE_DONE;
        wh->verdict = -1;               /* Redis cannot be used now */
        break;

    case NGX_HTTP_GOVERN_DEDUPE_PENDING:
        return NGX_AGAIN;

    default:
        break;
    }

    r->read_event_handler = ngx_http_block_reading;

    switch (wh->verdict) {

    case NGX_HTTP_GOVERN_DEDUPE_FIRST:
        wh->proceeded = 1;
        return NGX_OK;

    case NGX_HTTP_GOVERN_DEDUPE_DELIVERED:
        return ngx_http_govern_dedupe_duplicate(r, ctx, wh);

    case NGX_HTTP_GOVERN_DEDUPE_IN_FLIGHT:
        ngx_str_set(&detail, "an earlier delivery of this event is still "
                             "in progress");
        return ngx_http_govern_refuse(r, GOVERN_REASON_WEBHOOK_CONFLICT,
                                      &detail);

    default:
        return ngx_http_govern_dedupe_unavailable(r);
    }
}


static ngx_int_t
ngx_http_govern_dedupe_send(ngx_http_request_t *r,
    ngx_http_govern_webhook_t *wh)
{
    u_char       ttl[NGX_INT_T_LEN];
    size_t       argvlen[6];
    const char  *argv[6];

    if (wh->looked) {
        argv[0] = "GET";
        argvlen[0] = 3;
        argv[1] = (const char *) wh->key.data;
        argvlen[1] = wh->key.len;

        return ngx_http_govern_redis_call(r, &wh->wait, 2, argv, argvlen);
    }

    argv[0] = "SET";
    argvlen[0] = 3;
    argv[1] = (const char *) wh->key.data;
    argvlen[1] = wh->key.len;
    argv[2] = (const char *) wh->marker.data;
    argvlen[2] = wh->marker.len;
    argv[3] = "NX";
    argvlen[3] = 2;
    argv[4] = "PX";
    argvlen[4] = 2;
    argv[5] = (const char *) ttl;
    argvlen[5] = ngx_sprintf(ttl, "%d", NGX_HTTP_GOVERN_DEDUPE_INFLIGHT)
                 - ttl;

    return ngx_http_govern_redis_call(r, &wh->wait, 6, argv, argvlen);
}


/*
 * SET NX's answer: OK, the first delivery; none, then GET says what is
 * there: "D" delivered, a marker in flight, or nothing (it lapsed or was
 * cleared meanwhile: SET NX once more).  No reply (Redis failed or was
 * too slow): -1.
 */

static void
ngx_http_govern_dedupe_reply(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_govern_webhook_t  *wh = data;

    wh->verdict = -1;
    wh->dedupe = NGX_HTTP_GOVERN_DEDUPE_DONE;

    if (reply == NULL) {
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "govern: redis answered the webhook record's %s with "
                      "an error: %s", wh->looked ? "GET" : "SET",
                      reply->str);
        return;
    }

    if (!wh->looked) {
        if (reply->type == REDIS_REPLY_STATUS) {
            wh->verdict = NGX_HTTP_GOVERN_DEDUPE_FIRST;
            return;
        }

        if (reply->type != REDIS_REPLY_NIL) {
            goto unexpected;
        }

        wh->looked = 1;

    } else if (reply->type == REDIS_REPLY_STRING) {
        wh->verdict = (reply->len == 1 && reply->str[0] == 'D')
                      ? NGX_HTTP_GOVERN_DEDUPE_DELIVERED
                      : NGX_HTTP_GOVERN_DEDUPE_IN_FLIGHT;
        return;

    } else if (reply->type == REDIS_REPLY_NIL && !wh->retried) {
        wh->looked = 0;
        wh->retried = 1;

    } else if (reply->type == REDIS_REPLY_NIL) {
        wh->verdict = NGX_HTTP_GOVERN_DEDUPE_IN_FLIGHT;
        return;

    } else {
        goto unexpected;
    }

    if (ngx_http_govern_dedupe_send(r, wh) == NGX_AGAIN) {
        wh->dedupe = NGX_HTTP_GOVERN_DEDUPE_PENDING;
    }

    return;

unexpected:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "govern: unexpected reply to the webhook record's %s",
                  wh->looked ? "GET" : "SET");
}


/*
 * Delivered before: 200, so the sender stops retrying, and the upstream
 * never sees it.  The one allowed request with a reason, for the audit.
 */

static ngx_int_t
ngx_http_govern_dedupe_duplicate(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_webhook_t *wh)
{
    size_t      len;
    ngx_buf_t  *b;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "govern: request \"%V\": webhook event \"%V\" of \"%V\" "
                  "was delivered before", &ctx->request_id, &wh->event_id,
                  &ctx->partner);

    len = sizeof("{\"status\":\"duplicate\",\"reason\":\"webhook_duplicate\""
                 ",\"event_id\":\"\",\"request_id\":\"\"}\n") - 1
          + GOVERN_JSON_ESCAPE_MAX(wh->event_id.len) + ctx->request_id.len;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return ngx_http_govern_refuse_internal(r, "the duplicate's answer");
    }

    b->last = ngx_cpymem(b->last, "{\"status\":\"duplicate\",\"reason\":"
                         "\"webhook_duplicate\",\"event_id\":\"",
                         sizeof("{\"status\":\"duplicate\",\"reason\":"
                                "\"webhook_duplicate\",\"event_id\":\"")
                         - 1);
    b->last = govern_json_escape(b->last, wh->event_id.data,
                                 wh->event_id.len);
    b->last = ngx_sprintf(b->last, "\",\"request_id\":\"%V\"}\n",
                          &ctx->request_id);

    if (ngx_http_govern_add_header(r, "Cache-Control", (u_char *) "no-store",
                                   sizeof("no-store") - 1)
        != NGX_OK)
    {
        return ngx_http_govern_refuse_internal(r, "the duplicate's answer");
    }

    ctx->reason = GOVERN_REASON_WEBHOOK_DUPLICATE;

    return ngx_http_govern_answer(r, NGX_HTTP_OK,
                                  &ngx_http_govern_webhook_json, b);
}


/* refused rather than risk delivering the event twice */

static ngx_int_t
ngx_http_govern_dedupe_unavailable(ngx_http_request_t *r)
{
    ngx_str_t  detail;

    if (ngx_http_govern_add_header(r, "Retry-After", (u_char *) "1", 1)
        != NGX_OK)
    {
        return ngx_http_govern_refuse_internal(r, "Retry-After");
    }

    ngx_str_set(&detail, "the record of delivered events is unavailable: "
                         "retry later");

    return ngx_http_govern_refuse(r, GOVERN_REASON_WEBHOOK_UNAVAILABLE,
                                  &detail);
}


/*
 * Log phase: the outcome is known.  An upstream 2xx delivered the event
 * (kept for dedupe); anything else, or no upstream answer, lets the
 * sender's retry through.  Sent without waiting: the request is over.
 */

static void
ngx_http_govern_dedupe_log(ngx_http_request_t *r, ngx_http_govern_ctx_t *ctx)
{
    u_char                      ttl[NGX_INT_T_LEN];
    size_t                      argvlen[6];
    ngx_uint_t                  i, status, delivered;
    const char                 *argv[6];
    ngx_http_govern_webhook_t  *wh;
    ngx_http_upstream_state_t  *state;

    wh = ctx->webhook;

    if (wh == NULL || !wh->proceeded) {
        return;
    }

    status = r->headers_out.status;
    delivered = (status >= 200 && status < 300);

    /* the last upstream tried must have answered 2xx (a route without
     * an upstream delivers by its own answer) */

    if (delivered && r->upstream_states) {
        state = r->upstream_states->elts;

        for (i = 0; i < r->upstream_states->nelts; i++) {
            if (state[i].peer) {
                delivered = (state[i].status >= 200 && state[i].status < 300);
            }
        }
    }

    if (delivered) {
        argv[0] = "SET";
        argvlen[0] = 3;
        argv[1] = (const char *) wh->key.data;
        argvlen[1] = wh->key.len;
        argv[2] = "D";
        argvlen[2] = 1;
        argv[3] = "PX";
        argvlen[3] = 2;
        argv[4] = (const char *) ttl;
        argvlen[4] = ngx_sprintf(ttl, "%M", wh->conf->dedupe) - ttl;

        ngx_http_govern_redis_post(r, 5, argv, argvlen);
        return;
    }

    argv[0] = "EVAL";
    argvlen[0] = 4;
    argv[1] = ngx_http_govern_dedupe_clear;
    argvlen[1] = sizeof(ngx_http_govern_dedupe_clear) - 1;
    argv[2] = "1";
    argvlen[2] = 1;
    argv[3] = (const char *) wh->key.data;
    argvlen[3] = wh->key.len;
    argv[4] = (const char *) wh->marker.data;
    argvlen[4] = wh->marker.len;

    ngx_http_govern_redis_post(r, 5, argv, argvlen);
}


/* the audit record's "webhook": {"scheme", "event_id", "timestamp"} */

size_t
ngx_http_govern_webhook_audit_len(ngx_http_govern_ctx_t *ctx)
{
    if (ctx->webhook == NULL) {
        return 4;
    }

    return sizeof("{\"scheme\":\"standard\",\"event_id\":\"\","
                  "\"timestamp\":}") + NGX_INT64_LEN
           + GOVERN_JSON_ESCAPE_MAX(ctx->webhook->event_id.len);
}


u_char *
ngx_http_govern_webhook_audit(u_char *p, ngx_http_govern_ctx_t *ctx)
{
    ngx_http_govern_webhook_t  *wh;

    wh = ctx->webhook;

    if (wh == NULL) {
        return ngx_cpymem(p, "null", 4);
    }

    p = ngx_sprintf(p, "{\"scheme\":\"%s\",\"event_id\":",
                    govern_webhook_scheme_name(wh->conf->scheme));

    if (wh->event_id.len) {
        *p++ = '"';
        p = govern_json_escape(p, wh->event_id.data, wh->event_id.len);
        *p++ = '"';

    } else {
        p = ngx_cpymem(p, "null", 4);
    }

    if (wh->result.has_timestamp) {
        return ngx_sprintf(p, ",\"timestamp\":%L}", wh->result.timestamp);
    }

    return ngx_cpymem(p, ",\"timestamp\":null}",
                      sizeof(",\"timestamp\":null}") - 1);
}


/*
 * Outbound: Odoo's request to a partner, signed for the partner's
 * secrets (each one's "v1," signature, so a partner rotating holds one
 * that verifies).  The body is read first (a precontent handler, as the
 * mirror module reads it), signed as it arrives, and the three headers
 * join the request proxy_pass sends.
 */

static ngx_int_t
ngx_http_govern_webhook_sign_handler(ngx_http_request_t *r)
{
    size_t                               n, first;
    ngx_int_t                            rc;
    ngx_str_t                            partner;
    u_char                               random[16];
    ngx_pool_cleanup_t                  *cln;
    ngx_http_govern_loc_conf_t          *glcf;
    ngx_http_govern_webhook_sign_t      *ws;
    ngx_http_govern_webhook_signing_t   *st;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);
    ws = glcf->webhook_sign;

    if (ws == NULL || r != r->main) {
        return NGX_DECLINED;
    }

    st = ngx_http_govern_webhook_signing(r);

    if (st) {
        return st->done ? NGX_DECLINED : NGX_DONE;
    }

    if (ngx_http_complex_value(r, &ws->partner, &partner) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = govern_webhook_secrets_partner(&ws->secrets,
                                       (const char *) partner.data,
                                       partner.len, &first);

    if (n == 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "govern: govern_webhook_sign: the partner \"%V\" has "
                      "no secret", &partner);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    st = ngx_pcalloc(r->pool, sizeof(ngx_http_govern_webhook_signing_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (st == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_govern_webhook_signing_cleanup;
    cln->data = st;

    /* a unique id, "msg_" and 128 random bits */

    if (RAND_bytes(random, sizeof(random)) != 1) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(st->id, "msg_", sizeof("msg_") - 1);
    govern_hex(st->id + sizeof("msg_") - 1, random, sizeof(random));
    st->timestamp = ngx_time();

    if (govern_webhook_sign_start(&st->signer, &ws->secrets.secrets[first],
                                  n, st->id, sizeof(st->id), st->timestamp)
        != 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "govern: govern_webhook_sign: HMAC-SHA256 failed");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    st->signing = 1;

    /*
     * A body another handler read already (a governed route's, a
     * mirror's) passed the request body filters before this: it is
     * signed from its buffers if they are all in memory; one nginx wrote
     * to a temp file would have to be read back, which a worker does not
     */

    if (r->request_body
        && ngx_http_govern_webhook_sign_read(r, st) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_read_client_request_body(r,
                                           ngx_http_govern_webhook_sign_done);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    /* balances the count ngx_http_read_client_request_body() took */

    ngx_http_finalize_request(r, NGX_DONE);

    return NGX_DONE;
}


static void
ngx_http_govern_webhook_sign_done(ngx_http_request_t *r)
{
    size_t                              len;
    u_char                             *p;
    ngx_str_t                           value;
    char                                signature[
                                            GOVERN_WEBHOOK_SIGNATURE_SIZE];
    ngx_http_govern_webhook_signing_t  *st;

    static ngx_str_t  id_key = ngx_string("webhook-id");
    static ngx_str_t  ts_key = ngx_string("webhook-timestamp");
    static ngx_str_t  sig_key = ngx_string("webhook-signature");

    st = ngx_http_govern_webhook_signing(r);

    st->signing = 0;
    len = govern_webhook_sign_finish(&st->signer, signature,
                                     sizeof(signature));

    if (len == 0 || st->failed) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "govern: govern_webhook_sign: the body could not be "
                      "signed");
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    p = ngx_pnalloc(r->pool, len + NGX_TIME_T_LEN);
    if (p == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* every copy Odoo may have sent is replaced */

    value.data = st->id;
    value.len = sizeof(st->id);

    if (ngx_http_govern_set_header_in(r, &id_key, &id_key, &value)
        != NGX_OK)
    {
        goto failed;
    }

    value.data = p;
    value.len = ngx_sprintf(p, "%T", st->timestamp) - p;
    p += value.len;

    if (ngx_http_govern_set_header_in(r, &ts_key, &ts_key, &value)
        != NGX_OK)
    {
        goto failed;
    }

    value.data = ngx_cpymem(p, signature, len) - len;
    value.len = len;

    if (ngx_http_govern_set_header_in(r, &sig_key, &sig_key, &value)
        != NGX_OK)
    {
        goto failed;
    }

    st->done = 1;

    r->write_event_handler = ngx_http_core_run_phases;
    ngx_http_core_run_phases(r);

    return;

failed:

    ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
}


static ngx_int_t
ngx_http_govern_webhook_sign_read(ngx_http_request_t *r,
    ngx_http_govern_webhook_signing_t *st)
{
    size_t        size;
    ngx_chain_t  *cl;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        if (ngx_buf_special(cl->buf)) {
            continue;
        }

        if (!ngx_buf_in_memory(cl->buf)) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "govern: govern_webhook_sign: the body was read "
                          "into a temp file before it could be signed");
            return NGX_ERROR;
        }

        size = cl->buf->last - cl->buf->pos;

        if (size
            && govern_webhook_sign_update(&st->signer, cl->buf->pos, size)
               != 0)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_http_govern_webhook_signing_t *
ngx_http_govern_webhook_signing(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t  *cln;

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_govern_webhook_signing_cleanup) {
            return cln->data;
        }
    }

    return NULL;
}


static void
ngx_http_govern_webhook_signing_cleanup(void *data)
{
    ngx_http_govern_webhook_signing_t  *st = data;

    govern_webhook_sign_release(&st->signer);
}


/* configuration */


/* govern_webhook SCHEME secrets=FILE [tolerance=TIME] [dedupe[=TIME]] */

char *
ngx_http_govern_webhook_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_loc_conf_t *glcf = conf;

    time_t                           tolerance;
    ngx_str_t                       *value, s, secrets;
    ngx_uint_t                       i;
    ngx_msec_t                       dedupe;
    ngx_http_govern_main_conf_t     *gmcf;
    ngx_http_govern_webhook_conf_t  *whcf;

    ngx_http_govern_conf_mark(cf, glcf, cmd);

    if (glcf->webhook != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    whcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_govern_webhook_conf_t));
    if (whcf == NULL) {
        return NGX_CONF_ERROR;
    }

    whcf->scheme = govern_webhook_scheme((const char *) value[1].data,
                                         value[1].len);

    if (whcf->scheme == GOVERN_WEBHOOK_UNKNOWN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "unknown webhook scheme \"%V\": it must be "
                           "\"standard\", \"stripe\", \"shopify\" or "
                           "\"github\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    ngx_str_null(&secrets);
    whcf->tolerance = 300;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "secrets=", 8) == 0
            && value[i].len > 8)
        {
            secrets.data = value[i].data + 8;
            secrets.len = value[i].len - 8;
            continue;
        }

        if (ngx_strncmp(value[i].data, "tolerance=", 10) == 0) {
            s.data = value[i].data + 10;
            s.len = value[i].len - 10;

            tolerance = ngx_parse_time(&s, 1);

            if (tolerance == (time_t) NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid tolerance \"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            whcf->tolerance = tolerance;
            continue;
        }

        if (ngx_strcmp(value[i].data, "dedupe") == 0) {
            whcf->dedupe = 24 * 60 * 60 * 1000;
            continue;
        }

        if (ngx_strncmp(value[i].data, "dedupe=", 7) == 0) {
            s.data = value[i].data + 7;
            s.len = value[i].len - 7;

            dedupe = ngx_parse_time(&s, 0);

            if (dedupe == (ngx_msec_t) NGX_ERROR || dedupe < 1000) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid dedupe \"%V\": a time of 1s "
                                   "or more", &value[i]);
                return NGX_CONF_ERROR;
            }

            whcf->dedupe = dedupe;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (secrets.len == 0) {
        return "needs secrets=FILE";
    }

    gmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_govern_module);

    if (whcf->dedupe && gmcf->redis == NULL) {
        return "with dedupe needs govern_redis, defined before it in the "
               "http block";
    }

    if (ngx_http_govern_webhook_secrets(cf, &secrets, whcf->scheme,
                                        &whcf->secrets)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    whcf->conf_file = cf->conf_file->file.name.data;
    whcf->conf_line = cf->conf_file->line;

    glcf->webhook = whcf;

    return NGX_CONF_OK;
}


/* govern_webhook_sign standard secrets=FILE partner=VALUE */

char *
ngx_http_govern_webhook_sign_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_loc_conf_t *glcf = conf;

    size_t                               first;
    ngx_str_t                           *value, secrets, partner;
    ngx_uint_t                           i;
    ngx_http_govern_webhook_sign_t      *ws;
    ngx_http_compile_complex_value_t     ccv;

    if (glcf->webhook_sign != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (govern_webhook_scheme((const char *) value[1].data, value[1].len)
        != GOVERN_WEBHOOK_STANDARD)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid scheme \"%V\": the gateway signs "
                           "\"standard\" webhooks only", &value[1]);
        return NGX_CONF_ERROR;
    }

    ws = ngx_pcalloc(cf->pool, sizeof(ngx_http_govern_webhook_sign_t));
    if (ws == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_str_null(&secrets);
    ngx_str_null(&partner);

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "secrets=", 8) == 0
            && value[i].len > 8)
        {
            secrets.data = value[i].data + 8;
            secrets.len = value[i].len - 8;
            continue;
        }

        if (ngx_strncmp(value[i].data, "partner=", 8) == 0
            && value[i].len > 8)
        {
            partner.data = value[i].data + 8;
            partner.len = value[i].len - 8;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (secrets.len == 0 || partner.len == 0) {
        return "needs secrets=FILE and partner=VALUE";
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &partner;
    ccv.complex_value = &ws->partner;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_govern_webhook_secrets(cf, &secrets,
                                        GOVERN_WEBHOOK_STANDARD,
                                        &ws->secrets)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    /* a partner named as it is: its secrets must be in the file now */

    if (ws->partner.lengths == NULL
        && govern_webhook_secrets_partner(&ws->secrets,
                                          (const char *) partner.data,
                                          partner.len, &first)
           == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the partner \"%V\" has no secret in \"%V\"",
                           &partner, &secrets);
        return NGX_CONF_ERROR;
    }

    glcf->webhook_sign = ws;

    return NGX_CONF_OK;
}


/*
 * A secrets file, read at config time (so again on every reload): only
 * its owner may read it; its keys are wiped and OpenSSL's contexts freed
 * with the configuration's pool.
 */

static ngx_int_t
ngx_http_govern_webhook_secrets(ngx_conf_t *cf, ngx_str_t *name,
    govern_webhook_scheme_e scheme, govern_webhook_secrets_t *set)
{
    char                 err[256];
    ngx_str_t            file, *value;
    ngx_pool_cleanup_t  *cln;

    value = cf->args->elts;

    if (ngx_http_govern_conf_secret_path(cf, name, &file,
                                         "holds webhook secrets")
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    if (govern_webhook_secrets_load(set, scheme, (const char *) file.data,
                                    ngx_http_govern_webhook_alloc, cf->pool,
                                    err, sizeof(err))
        != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%V \"%V\": %s",
                           &value[0], &file, err);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_govern_webhook_secrets_cleanup;
    cln->data = set;

    return NGX_OK;
}


static void
ngx_http_govern_webhook_secrets_cleanup(void *data)
{
    govern_webhook_secrets_t  *set = data;

    govern_webhook_secrets_release(set);
}


static void *
ngx_http_govern_webhook_alloc(void *pool, size_t size)
{
    return ngx_palloc(pool, size);
}


static void
ngx_http_govern_webhook_create(ngx_http_govern_loc_conf_t *conf)
{
    conf->webhook = NGX_CONF_UNSET_PTR;
    conf->webhook_sign = NGX_CONF_UNSET_PTR;
}


/*
 * Runs before the keys' and the token's merges: a webhook route takes
 * none of a token's configuration (what the server or http block holds
 * for its token routes is not inherited), and one written beside
 * govern_webhook is refused: a location verifies a token or a webhook,
 * never both.  Revocations are a token's (iat, jti): off here.
 */

static char *
ngx_http_govern_webhook_merge(ngx_conf_t *cf,
    ngx_http_govern_loc_conf_t *prev, ngx_http_govern_loc_conf_t *conf)
{
    const char                      *token;
    ngx_http_govern_webhook_conf_t  *whcf;

    ngx_conf_merge_ptr_value(conf->webhook, prev->webhook, NULL);
    ngx_conf_merge_ptr_value(conf->webhook_sign, prev->webhook_sign, NULL);

    whcf = conf->webhook;

    if (whcf == NULL) {
        return NGX_CONF_OK;
    }

    if (conf->keys != NGX_CONF_UNSET_PTR) {
        token = "govern_jwt_keys";

    } else if (conf->keys_source != NGX_CONF_UNSET_PTR) {
        token = "govern_jwt_keys_request";

    } else if (conf->issuers != NGX_CONF_UNSET_PTR) {
        token = "govern_jwt_issuer";

    } else if (conf->audiences != NGX_CONF_UNSET_PTR) {
        token = "govern_jwt_audience";

    } else if (conf->token != NGX_CONF_UNSET_PTR) {
        token = "govern_jwt_token";

    } else if (conf->partner_claim.data) {
        token = "govern_partner_claim";

    } else if (conf->scopes || prev->scopes) {
        token = "govern_scopes";

    } else if (conf->odoo_token != NGX_CONF_UNSET_UINT) {
        token = "govern_odoo_token";

    } else if (conf->revocation == 1) {
        token = "govern_revocation on";

    } else {
        conf->keys = NULL;
        conf->keys_source = NULL;
        conf->issuers = NULL;
        conf->audiences = NULL;
        conf->token = NULL;
        conf->revocation = 0;

        return NGX_CONF_OK;
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "\"%s\" in the location of \"govern_webhook\" in %s:%ui: "
                  "a location verifies a token or a webhook, never both",
                  token, whcf->conf_file, whcf->conf_line);

    return NGX_CONF_ERROR;
}


static ngx_int_t
ngx_http_govern_webhook_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_govern_webhook_sign_handler;

    ngx_http_next_request_body_filter = ngx_http_top_request_body_filter;
    ngx_http_top_request_body_filter = ngx_http_govern_webhook_body_filter;

    if (ngx_http_govern_webhook_sha256 == NULL) {
        ngx_http_govern_webhook_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
        if (ngx_http_govern_webhook_sha256 == NULL) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


const ngx_http_govern_stage_t  ngx_http_govern_webhook_stage = {
    "webhook",
    ngx_http_govern_webhook_create,
    ngx_http_govern_webhook_merge,
    ngx_http_govern_webhook_init,
    ngx_http_govern_webhook_access,
    NULL,                                   /* headers */
    NULL,                                   /* body */
    NULL                                    /* log */
};


const ngx_http_govern_stage_t  ngx_http_govern_webhook_dedupe_stage = {
    "webhook dedupe",
    NULL,                                   /* create conf */
    NULL,                                   /* merge conf */
    NULL,                                   /* init */
    ngx_http_govern_dedupe_access,
    NULL,                                   /* headers */
    NULL,                                   /* body */
    ngx_http_govern_dedupe_log
};
