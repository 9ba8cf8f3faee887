
/*
 * govern: webhooks signed on the way out (Standard Webhooks).
 * govern_webhook_sign, on a location Odoo posts to, signs the body it
 * proxies to a partner, read without blocking as it arrives, for each of
 * the partner's secrets.
 */


#include "ngx_http_govern_webhook.h"


/* an outbound delivery being signed, found by its pool cleanup */
typedef struct {
    govern_webhook_signer_t         signer;
    time_t                          timestamp;
    u_char                          id[NGX_HTTP_GOVERN_WEBHOOK_ID_LEN];
    unsigned                        signing:1;
    unsigned                        done:1;
    unsigned                        failed:1;
} ngx_http_govern_webhook_signing_t;


static ngx_int_t ngx_http_govern_webhook_sign_handler(ngx_http_request_t *r);
static void ngx_http_govern_webhook_sign_done(ngx_http_request_t *r);
static ngx_int_t ngx_http_govern_webhook_sign_read(ngx_http_request_t *r,
    ngx_http_govern_webhook_signing_t *st);
static ngx_http_govern_webhook_signing_t *ngx_http_govern_webhook_signing(
    ngx_http_request_t *r);
static void ngx_http_govern_webhook_signing_cleanup(void *data);


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

    ngx_memcpy(st->id, "msg_", sizeof("msg_") - 1);

    if (ngx_http_govern_random_hex(st->id + sizeof("msg_") - 1, 16)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
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


/* govern_webhook_sign standard secrets=FILE partner=VALUE */

char *
ngx_http_govern_webhook_sign_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_loc_conf_t *glcf = conf;

    ngx_str_t                       *value, secrets, partner;
    ngx_uint_t                       i;
    ngx_http_govern_webhook_sign_t  *ws;

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

    if (ngx_http_govern_webhook_secrets(cf, &secrets,
                                        GOVERN_WEBHOOK_STANDARD,
                                        &ws->secrets)
        != NGX_OK
        || ngx_http_govern_webhook_partner(cf, &partner, &secrets,
                                           &ws->secrets, &ws->partner)
           != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    glcf->webhook_sign = ws;

    return NGX_CONF_OK;
}


/* the signing handler runs before the content handler, as mirror's does */

ngx_int_t
ngx_http_govern_webhook_sign_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_govern_webhook_sign_handler;

    return NGX_OK;
}


/* the body's buffers, signed as nginx reads them (the body filter's) */

void
ngx_http_govern_webhook_sign_body(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t                              size;
    ngx_chain_t                        *cl;
    ngx_http_govern_loc_conf_t         *glcf;
    ngx_http_govern_webhook_signing_t  *st;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);

    if (glcf->webhook_sign == NULL || r != r->main) {
        return;
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
}
