
/*
 * govern: a webhook delivered once.  With govern_webhook's dedupe, the
 * last stage of the pipeline records the verified event under the
 * partner's hash tag: a delivery already delivered is answered 200
 * without reaching the upstream, one in flight 409, Redis unavailable
 * 503; the log phase marks it delivered (an upstream 2xx) or clears it
 * (anything else) so that the sender's retry goes through.
 */


#include "ngx_http_govern_webhook.h"


static ngx_int_t ngx_http_govern_dedupe_send(ngx_http_request_t *r,
    ngx_http_govern_webhook_t *wh);
static void ngx_http_govern_dedupe_reply(ngx_http_request_t *r, void *data,
    redisReply *reply);
static ngx_int_t ngx_http_govern_dedupe_duplicate(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_webhook_t *wh);
static ngx_int_t ngx_http_govern_dedupe_unavailable(ngx_http_request_t *r);


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


/* dedupe: the last stage, once every other one let the delivery through */

static ngx_int_t
ngx_http_govern_dedupe_access(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    u_char                          *p;
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
        if (p == NULL) {
            return ngx_http_govern_refuse_internal(r, "the webhook's record");
        }

        wh->key.data = p;
        p = ngx_sprintf(p, "govern:{%V}:wh:%V", &ctx->partner,
                        &wh->event_id);
        wh->marker.data = p;
        *p++ = 'P';

        if (ngx_http_govern_random_hex(p, 8) != NGX_OK) {
            return ngx_http_govern_refuse_internal(r, "the webhook's record");
        }

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

