
/*
 * govern: webhooks from partners, verified at the edge.
 *
 * A route with govern_webhook verifies the sender's signature instead of
 * a token: its headers before a byte of the body is read (a malformed or
 * stale delivery is refused there), then the body's bytes as nginx reads
 * them: a request body filter feeds the MACs with every buffer while it
 * is in memory, before nginx may spill it to a temp file, which is never
 * read back.  The partner is the one whose secret verified.  Dedupe is the
 * last stage's (ngx_http_govern_webhook_dedupe.c), signing on the way out
 * a handler's (ngx_http_govern_webhook_sign.c).
 */


#include "ngx_http_govern_webhook.h"


static ngx_int_t ngx_http_govern_webhook_start(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_webhook_conf_t *whcf);
static ngx_int_t ngx_http_govern_webhook_finish(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_webhook_t *wh);
static ngx_int_t ngx_http_govern_webhook_refuse(ngx_http_request_t *r,
    ngx_http_govern_webhook_t *wh);
static ngx_int_t ngx_http_govern_webhook_stripe_id(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_webhook_t *wh);
static void ngx_http_govern_webhook_cleanup(void *data);
static ngx_int_t ngx_http_govern_webhook_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static void ngx_http_govern_webhook_secrets_cleanup(void *data);
static void *ngx_http_govern_webhook_alloc(void *pool, size_t size);


static ngx_http_request_body_filter_pt  ngx_http_next_request_body_filter;

static EVP_MD  *ngx_http_govern_webhook_sha256;


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
    size_t                       n, hold;
    ngx_int_t                    rc;
    ngx_str_t                    partner;
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

    /* the partner the route names, if it does: only its secrets */

    n = whcf->secrets.nsecrets;

    if (whcf->partner) {
        if (ngx_http_complex_value(r, whcf->partner, &partner) != NGX_OK) {
            return ngx_http_govern_refuse_internal(r, "the webhook");
        }

        n = govern_webhook_secrets_partner(&whcf->secrets,
                                           (const char *) partner.data,
                                           partner.len, &wh->first);
    }

    /* a body of announced length may be tried one secret after another */

    hold = r->headers_in.content_length_n > 0
           ? (size_t) r->headers_in.content_length_n : 0;

    wh->verify = govern_webhook_verify_start(whcf->scheme, &headers,
                                             ngx_time(), whcf->tolerance,
                                             whcf->secrets.secrets
                                             + wh->first,
                                             n, hold,
                                             ngx_http_govern_webhook_alloc,
                                             r->pool, &wh->result);

    /* the sender's word until it verifies, for the audit */

    wh->event_id.data = (u_char *) wh->result.event_id;
    wh->event_id.len = wh->result.event_id_len;

    if (wh->verify == NULL) {
        return ngx_http_govern_webhook_refuse(r, wh);
    }

    if (n == 0) {

        /* the headers are sound, but no secret can verify them: refused
         * before the body is read */

        govern_webhook_verify_release(wh->verify);
        wh->verify = NULL;

        wh->result.status = GOVERN_WEBHOOK_BAD_SIGNATURE;
        ngx_cpystrn((u_char *) wh->result.message,
                    (u_char *) "the partner this route names has no "
                    "secret", sizeof(wh->result.message));

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

    secret = &wh->conf->secrets.secrets[wh->first + wh->result.secret];

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
 * verified without reading the file back.  An outbound delivery's body
 * is signed here too (ngx_http_govern_webhook_sign.c).
 */

static ngx_int_t
ngx_http_govern_webhook_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    size_t                              size;
    ngx_chain_t                        *cl;
    ngx_http_govern_ctx_t              *ctx;
    ngx_http_govern_webhook_t          *wh;

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

    ngx_http_govern_webhook_sign_body(r, in);

    return ngx_http_next_request_body_filter(r, in);
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


/* configuration */


/*
 * govern_webhook SCHEME secrets=FILE [partner=VALUE] [tolerance=TIME]
 *     [dedupe[=TIME]]
 */

char *
ngx_http_govern_webhook_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_loc_conf_t *glcf = conf;

    time_t                           tolerance;
    ngx_str_t                       *value, s, secrets, partner;
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
    ngx_str_null(&partner);
    whcf->tolerance = 300;

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

    if (partner.len) {
        whcf->partner = ngx_palloc(cf->pool,
                                   sizeof(ngx_http_complex_value_t));
        if (whcf->partner == NULL
            || ngx_http_govern_webhook_partner(cf, &partner, &secrets,
                                               &whcf->secrets, whcf->partner)
               != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    whcf->conf_file = cf->conf_file->file.name.data;
    whcf->conf_line = cf->conf_file->line;

    glcf->webhook = whcf;

    return NGX_CONF_OK;
}


/*
 * partner=VALUE of govern_webhook and govern_webhook_sign: variables
 * allowed; a partner named as it is must have a secret in the file now
 */

ngx_int_t
ngx_http_govern_webhook_partner(ngx_conf_t *cf, ngx_str_t *value,
    ngx_str_t *file, govern_webhook_secrets_t *set,
    ngx_http_complex_value_t *cv)
{
    size_t                             first;
    ngx_http_compile_complex_value_t   ccv;

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = value;
    ccv.complex_value = cv;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_ERROR;
    }

    if (cv->lengths == NULL
        && govern_webhook_secrets_partner(set, (const char *) value->data,
                                          value->len, &first)
           == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "the partner \"%V\" has no secret in \"%V\"",
                           value, file);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * A secrets file, read at config time (so again on every reload): only
 * its owner may read it; its keys are wiped and OpenSSL's contexts freed
 * with the configuration's pool.
 */

ngx_int_t
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
    if (ngx_http_govern_webhook_sign_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

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

