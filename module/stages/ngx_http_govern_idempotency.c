
/*
 * govern: idempotent retries (draft-ietf-httpapi-idempotency-key-header).
 *
 * The first request with an Idempotency-Key stores, in one atomic script,
 * an in-flight marker with the fingerprint of its method, path and body;
 * a duplicate while it runs gets 409, one with another payload 422, and one
 * after it completed gets the stored status, content type and body (up to
 * 1 MB) without reaching Odoo.  When the response is known (log phase) it is
 * stored; an upstream 5xx or a failed upstream releases the key so the
 * client may retry.  Without Redis nothing can be promised: 503.
 */


#include "ngx_http_govern_stages.h"


#define NGX_HTTP_GOVERN_IDEM_NONE      0
#define NGX_HTTP_GOVERN_IDEM_PENDING   1
#define NGX_HTTP_GOVERN_IDEM_DONE      2

#define NGX_HTTP_GOVERN_IDEM_MAX_BODY  (1024 * 1024)
#define NGX_HTTP_GOVERN_IDEM_INFLIGHT  300000       /* ms */


struct ngx_http_govern_idem_s {
    ngx_uint_t                      state;
    ngx_int_t                       verdict;    /* -1 error, 0..3 script */
    ngx_str_t                       key;        /* the Redis key */
    ngx_str_t                       header;     /* the client's key */
    u_char                          fingerprint[64];
    ngx_str_t                       stored;
    ngx_http_govern_wait_t          wait;
    ngx_buf_t                      *response;   /* captured, for storing */
    unsigned                        proceeded:1;
    unsigned                        too_large:1;
};


/*
 * KEYS[1] the record, ARGV[1] the fingerprint, ARGV[2] the in-flight TTL:
 * {0} first (marker set), {1} in flight, {2, record} done, {3} mismatch.
 * A record is "P<fp>" in flight, "D<fp><status 3><type len 4><type><body>".
 */

static const char  ngx_http_govern_idem_script[] =
    "local v = redis.call('GET', KEYS[1])\n"
    "if not v then\n"
    "  redis.call('SET', KEYS[1], 'P' .. ARGV[1], 'PX', ARGV[2])\n"
    "  return {0}\n"
    "end\n"
    "if string.sub(v, 2, 65) ~= ARGV[1] then return {3} end\n"
    "if string.sub(v, 1, 1) == 'P' then return {1} end\n"
    "return {2, string.sub(v, 66)}\n";


static ngx_str_t  ngx_http_govern_idem_header = ngx_string("idempotency-key");


static ngx_int_t ngx_http_govern_idem_send(ngx_http_request_t *r,
    ngx_http_govern_idem_t *idem);
static void ngx_http_govern_idem_reply(ngx_http_request_t *r, void *data,
    redisReply *reply);
static ngx_int_t ngx_http_govern_idem_replay(ngx_http_request_t *r,
    ngx_http_govern_idem_t *idem);


static ngx_int_t
ngx_http_govern_idempotency_access(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    u_char                        digest[32];
    ngx_int_t                     rc;
    ngx_str_t                     detail, fp;
    ngx_uint_t                    i;
    ngx_table_elt_t              *key;
    ngx_http_govern_idem_t       *idem;
    ngx_http_govern_loc_conf_t   *glcf;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);

    if (glcf->idempotency == 0
        || !(r->method & (NGX_HTTP_POST | NGX_HTTP_PUT | NGX_HTTP_PATCH
                          | NGX_HTTP_DELETE)))
    {
        return NGX_OK;
    }

    idem = ctx->idem;

    if (idem == NULL) {
        key = ngx_http_govern_find_header_in(r,
                                             &ngx_http_govern_idem_header);

        if (key == NULL) {
            if (glcf->idempotency == NGX_HTTP_GOVERN_IDEM_OPTIONAL) {
                return NGX_OK;
            }

            ngx_str_set(&detail, "this route needs an Idempotency-Key "
                                 "header");
            return ngx_http_govern_refuse(r,
                       GOVERN_REASON_IDEMPOTENCY_REQUIRED, &detail);
        }

        /* a key of 1 to 255 visible ASCII characters, quotes allowed */

        for (i = 0; i < key->value.len; i++) {
            if (key->value.data[i] <= 0x20 || key->value.data[i] >= 0x7f
                || key->value.data[i] == '{' || key->value.data[i] == '}')
            {
                break;
            }
        }

        if (key->value.len == 0 || key->value.len > 255
            || i < key->value.len)
        {
            ngx_str_set(&detail, "the Idempotency-Key must be 1 to 255 "
                                 "visible characters");
            return ngx_http_govern_refuse(r,
                       GOVERN_REASON_IDEMPOTENCY_REQUIRED, &detail);
        }

        idem = ngx_pcalloc(r->pool, sizeof(ngx_http_govern_idem_t));
        if (idem == NULL) {
            return ngx_http_govern_refuse_internal(r, "the idempotency key");
        }

        ctx->idem = idem;
        ctx->idempotency_key = key->value;
        idem->header = key->value;
        idem->wait.stage = "idempotency";
        idem->wait.done = ngx_http_govern_idem_reply;
        idem->wait.data = idem;

        /* govern:{PARTNER}:idem:KEY */

        idem->key.len = sizeof("govern:{}:idem:") - 1 + ctx->partner.len
                        + key->value.len;
        idem->key.data = ngx_pnalloc(r->pool, idem->key.len);
        if (idem->key.data == NULL) {
            return ngx_http_govern_refuse_internal(r, "the idempotency key");
        }

        ngx_sprintf(idem->key.data, "govern:{%V}:idem:%V", &ctx->partner,
                    &key->value);

        /*
         * the fingerprint: method, path and the body as the partner sent
         * it, by the SHA-256 the audit record carries too
         */

        if (ngx_http_govern_body_sha256(r, ctx) != NGX_OK) {
            return ngx_http_govern_refuse_internal(r, "the idempotency key");
        }

        fp.len = r->method_name.len + r->uri.len + ctx->body_sha256.len + 2;
        fp.data = ngx_pnalloc(r->pool, fp.len);
        if (fp.data == NULL) {
            return ngx_http_govern_refuse_internal(r, "the idempotency key");
        }

        ngx_sprintf(fp.data, "%V\n%V\n%V", &r->method_name, &r->uri,
                    &ctx->body_sha256);

        if (ngx_http_govern_digest(fp.data, fp.len, digest) != NGX_OK) {
            return ngx_http_govern_refuse_internal(r, "the idempotency key");
        }

        govern_hex(idem->fingerprint, digest, 32);

        rc = ngx_http_govern_idem_send(r, idem);

        if (rc == NGX_AGAIN) {
            idem->state = NGX_HTTP_GOVERN_IDEM_PENDING;
            return NGX_AGAIN;
        }

        if (rc == NGX_ERROR) {
            return ngx_http_govern_refuse_internal(r, "the idempotency key");
        }

        /* refuse rather than risk a duplicate */

        ngx_str_set(&detail, "the idempotency store is unavailable");

        if (ngx_http_govern_add_header(r, "Retry-After", (u_char *) "1", 1)
            != NGX_OK)
        {
            return ngx_http_govern_refuse_internal(r, "Retry-After");
        }

        return ngx_http_govern_refuse(r,
                   GOVERN_REASON_IDEMPOTENCY_UNAVAILABLE, &detail);
    }

    if (idem->state == NGX_HTTP_GOVERN_IDEM_PENDING) {
        return NGX_AGAIN;
    }

    r->read_event_handler = ngx_http_block_reading;

    switch (idem->verdict) {

    case 0:
        idem->proceeded = 1;
        return NGX_OK;

    case 1:
        ngx_str_set(&detail, "a request with this Idempotency-Key is still "
                             "in progress");
        return ngx_http_govern_refuse(r,
                   GOVERN_REASON_IDEMPOTENCY_CONFLICT, &detail);

    case 2:
        return ngx_http_govern_idem_replay(r, idem);

    case 3:
        ngx_str_set(&detail, "this Idempotency-Key was used with another "
                             "request");
        return ngx_http_govern_refuse(r,
                   GOVERN_REASON_IDEMPOTENCY_MISMATCH, &detail);

    default:
        ngx_str_set(&detail, "the idempotency store is unavailable");

        if (ngx_http_govern_add_header(r, "Retry-After", (u_char *) "1", 1)
            != NGX_OK)
        {
            return ngx_http_govern_refuse_internal(r, "the idempotency key");
        }

        return ngx_http_govern_refuse(r,
                   GOVERN_REASON_IDEMPOTENCY_UNAVAILABLE, &detail);
    }
}


static ngx_int_t
ngx_http_govern_idem_send(ngx_http_request_t *r, ngx_http_govern_idem_t *idem)
{
    u_char       ttl[NGX_INT_T_LEN];
    size_t       argvlen[6];
    const char  *argv[6];

    argv[0] = "EVAL";
    argvlen[0] = 4;
    argv[1] = ngx_http_govern_idem_script;
    argvlen[1] = sizeof(ngx_http_govern_idem_script) - 1;
    argv[2] = "1";
    argvlen[2] = 1;
    argv[3] = (const char *) idem->key.data;
    argvlen[3] = idem->key.len;
    argv[4] = (const char *) idem->fingerprint;
    argvlen[4] = 64;
    argv[5] = (const char *) ttl;
    argvlen[5] = ngx_sprintf(ttl, "%d", NGX_HTTP_GOVERN_IDEM_INFLIGHT) - ttl;

    return ngx_http_govern_redis_call(r, &idem->wait, 6, argv, argvlen);
}


/* the script's verdict; no reply (Redis failed or was too slow): -1 */

static void
ngx_http_govern_idem_reply(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_govern_idem_t  *idem = data;

    idem->verdict = -1;

    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1
        && reply->element[0]->type == REDIS_REPLY_INTEGER
        && reply->element[0]->integer >= 0 && reply->element[0]->integer <= 3)
    {
        idem->verdict = reply->element[0]->integer;

        if (idem->verdict == 2) {
            if (reply->elements != 2
                || reply->element[1]->type != REDIS_REPLY_STRING
                || reply->element[1]->len < 7)
            {
                idem->verdict = -1;

            } else {
                idem->stored.data = ngx_pnalloc(r->pool,
                                                reply->element[1]->len);
                if (idem->stored.data == NULL) {
                    idem->verdict = -1;

                } else {
                    ngx_memcpy(idem->stored.data, reply->element[1]->str,
                               reply->element[1]->len);
                    idem->stored.len = reply->element[1]->len;
                }
            }
        }

    } else if (reply && reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "govern: redis answered the idempotency script with "
                      "an error: %s", reply->str);
    }

    idem->state = NGX_HTTP_GOVERN_IDEM_DONE;
}


/* the stored response, sent again; Odoo never sees the retry */

static ngx_int_t
ngx_http_govern_idem_replay(ngx_http_request_t *r,
    ngx_http_govern_idem_t *idem)
{
    u_char                 *p;
    ngx_int_t               status, tlen, rc;
    ngx_buf_t              *b;
    ngx_chain_t             out;
    ngx_http_govern_ctx_t  *ctx;

    p = idem->stored.data;

    status = ngx_atoi(p, 3);
    tlen = ngx_atoi(p + 3, 4);

    if (status == NGX_ERROR || tlen == NGX_ERROR
        || (size_t) (7 + tlen) > idem->stored.len)
    {
        return ngx_http_govern_refuse_internal(r, "the idempotency key");
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_govern_module);
    ctx->decided = 1;
    ctx->allowed = 1;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    r->headers_out.status = status;
    r->headers_out.content_type.data = p + 7;
    r->headers_out.content_type.len = tlen;
    r->headers_out.content_type_len = tlen;
    r->headers_out.content_length_n = idem->stored.len - 7 - tlen;

    if (ngx_http_govern_add_header(r, "Idempotency-Replayed",
                                   (u_char *) "true", 4)
        != NGX_OK)
    {
        return ngx_http_govern_refuse_internal(r, "the idempotency key");
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        ngx_http_finalize_request(r, rc);
        return NGX_DONE;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return ngx_http_govern_refuse_internal(r, "the idempotency key");
    }

    /* an empty body is still a last buffer: it flushes the header */

    b->pos = p + 7 + tlen;
    b->last = idem->stored.data + idem->stored.len;
    b->memory = (b->last > b->pos);
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    ngx_http_finalize_request(r, ngx_http_output_filter(r, &out));

    return NGX_DONE;
}


/* the response filter's part: a copy of the body to store (1 MB) */

void
ngx_http_govern_idempotency_capture(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_chain_t *in)
{
    size_t                   size;
    ngx_buf_t               *b;
    ngx_http_govern_idem_t  *idem;

    idem = ctx->idem;

    if (idem == NULL || !idem->proceeded || idem->too_large) {
        return;
    }

    for ( /* void */ ; in; in = in->next) {
        if (ngx_buf_special(in->buf)) {
            continue;                   /* flush, last_buf */
        }

        if (!ngx_buf_in_memory(in->buf)) {
            idem->too_large = 1;        /* sendfile: not kept */
            return;
        }

        size = in->buf->last - in->buf->pos;

        if (size == 0) {
            continue;
        }

        b = idem->response;

        if (b == NULL || (size_t) (b->end - b->last) < size) {
            if ((b ? (size_t) (b->last - b->pos) : 0) + size
                > NGX_HTTP_GOVERN_IDEM_MAX_BODY)
            {
                idem->too_large = 1;
                return;
            }

            b = ngx_create_temp_buf(r->pool,
                                    ngx_max(2 * (idem->response
                                                 ? (size_t) (idem->response
                                                             ->last
                                                   - idem->response->pos)
                                                 : 0) + size, 4096));
            if (b == NULL) {
                idem->too_large = 1;
                return;
            }

            if (idem->response) {
                b->last = ngx_cpymem(b->last, idem->response->pos,
                                     idem->response->last
                                     - idem->response->pos);
            }

            idem->response = b;
        }

        b->last = ngx_cpymem(b->last, in->buf->pos, size);
    }
}


/*
 * Log phase: the outcome is known.  A response is stored for retries; an
 * upstream 5xx, or no upstream response at all, releases the key.  The
 * command is sent without waiting: the request is over.
 */

void
ngx_http_govern_idempotency_finish(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    u_char                       *p, ttl[NGX_INT_T_LEN];
    size_t                        len, argvlen[5], tlen, blen;
    ngx_uint_t                    status, i, upstream_ok;
    const char                   *argv[5];
    ngx_http_govern_idem_t       *idem;
    ngx_http_upstream_state_t    *state;
    ngx_http_govern_loc_conf_t   *glcf;

    idem = ctx->idem;

    if (idem == NULL || !idem->proceeded) {
        return;
    }

    glcf = ctx->lcf;

    status = r->headers_out.status;
    upstream_ok = 0;

    if (r->upstream_states) {
        state = r->upstream_states->elts;

        for (i = 0; i < r->upstream_states->nelts; i++) {
            if (state[i].status && state[i].status < 500) {
                upstream_ok = 1;
            }
        }
    }

    if (!upstream_ok || status >= 500 || status == 0) {
        argv[0] = "DEL";
        argvlen[0] = 3;
        argv[1] = (const char *) idem->key.data;
        argvlen[1] = idem->key.len;

        ngx_http_govern_redis_post(r, 2, argv, argvlen);
        return;
    }

    tlen = ngx_min(r->headers_out.content_type.len, 9999);
    blen = (idem->response && !idem->too_large)
           ? (size_t) (idem->response->last - idem->response->pos) : 0;

    len = 1 + 64 + 3 + 4 + tlen + blen;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return;
    }

    argv[2] = (const char *) p;

    p = ngx_sprintf(p, "D%*s%03ui%04uz", (size_t) 64, idem->fingerprint,
                    ngx_min(status, 999), tlen);
    p = ngx_cpymem(p, r->headers_out.content_type.data, tlen);

    if (blen) {
        p = ngx_cpymem(p, idem->response->pos, blen);
    }

    argv[0] = "SET";
    argvlen[0] = 3;
    argv[1] = (const char *) idem->key.data;
    argvlen[1] = idem->key.len;
    argvlen[2] = p - (u_char *) argv[2];
    argv[3] = "PX";
    argvlen[3] = 2;
    argv[4] = (const char *) ttl;
    argvlen[4] = ngx_sprintf(ttl, "%M", glcf->idempotency_ttl) - ttl;

    ngx_http_govern_redis_post(r, 5, argv, argvlen);
}


/* govern_idempotency off | optional | required [ttl=TIME] */

char *
ngx_http_govern_idempotency_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_loc_conf_t *glcf = conf;

    ngx_str_t                    *value, s;
    ngx_uint_t                    i;
    ngx_http_govern_main_conf_t  *gmcf;

    ngx_http_govern_conf_mark(cf, glcf, cmd);

    if (glcf->idempotency != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        glcf->idempotency = 0;

    } else if (ngx_strcmp(value[1].data, "optional") == 0) {
        glcf->idempotency = NGX_HTTP_GOVERN_IDEM_OPTIONAL;

    } else if (ngx_strcmp(value[1].data, "required") == 0) {
        glcf->idempotency = NGX_HTTP_GOVERN_IDEM_REQUIRED;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\", it must be \"off\", "
                           "\"optional\" or \"required\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {
        if (ngx_strncmp(value[i].data, "ttl=", 4) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        s.data = value[i].data + 4;
        s.len = value[i].len - 4;

        glcf->idempotency_ttl = ngx_parse_time(&s, 0);

        if (glcf->idempotency_ttl == (ngx_msec_t) NGX_ERROR
            || glcf->idempotency_ttl < 1000)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid ttl \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    gmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_govern_module);

    if (glcf->idempotency && gmcf->redis == NULL) {
        return "needs govern_redis, defined before it in the http block";
    }

    return NGX_CONF_OK;
}


static void
ngx_http_govern_idempotency_create(ngx_http_govern_loc_conf_t *conf)
{
    conf->idempotency = NGX_CONF_UNSET_UINT;
    conf->idempotency_ttl = NGX_CONF_UNSET_MSEC;
}


static char *
ngx_http_govern_idempotency_merge(ngx_conf_t *cf,
    ngx_http_govern_loc_conf_t *prev, ngx_http_govern_loc_conf_t *conf)
{
    ngx_conf_merge_uint_value(conf->idempotency, prev->idempotency, 0);
    ngx_conf_merge_msec_value(conf->idempotency_ttl, prev->idempotency_ttl,
                              24 * 60 * 60 * 1000);

    return NGX_CONF_OK;
}


const ngx_http_govern_stage_t  ngx_http_govern_idempotency_stage = {
    "idempotency",
    ngx_http_govern_idempotency_create,
    ngx_http_govern_idempotency_merge,
    NULL,                                   /* init */
    ngx_http_govern_idempotency_access,
    NULL,                                   /* headers */
    ngx_http_govern_idempotency_capture,
    ngx_http_govern_idempotency_finish
};
