
/*
 * govern: per-partner rate limits shared through Redis.
 *
 * All limits of a request are decided by one EVALSHA of the token-bucket
 * script (govern_rate.c) on this worker's pipelined connection, a call
 * the requests of one partner share (ngx_http_govern_ratelimit_call.c);
 * the request is suspended meanwhile.  When Redis is unavailable, slow
 * or answers an error, the location's fallback decides: this instance's
 * shared-memory buckets (local), allow (open) or refuse with 503
 * (closed).  Only the verified partner (or by=) keys a bucket: the
 * limiter runs after the token stage.  Where every limit keys
 * on the partner, the same call checks the token's revocation (its keys
 * share the partner's hash tag): a revoked token takes nothing, and the
 * revocation stage makes no call of its own.
 */


#include "ngx_http_govern_ratelimit.h"


static ngx_int_t ngx_http_govern_rl_prepare(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_loc_conf_t *glcf);
static ngx_int_t ngx_http_govern_rl_args(ngx_http_request_t *r,
    ngx_http_govern_rl_t *rl);
static void ngx_http_govern_rl_tightest(ngx_http_govern_rl_t *rl);
static uint64_t ngx_http_govern_rl_fill_ms(govern_limit_t *limit);


u_char  ngx_http_govern_rl_sha[41];             /* of the script */


static ngx_int_t
ngx_http_govern_ratelimit_access(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    ngx_int_t                     rc;
    ngx_str_t                     detail;
    ngx_http_govern_rl_t         *rl;
    ngx_http_govern_loc_conf_t   *glcf;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);

    if (glcf->limits == NULL) {
        return NGX_OK;
    }

    rl = ctx->rl;

    if (rl == NULL || rl->confs != glcf->limits->elts) {
        if (ngx_http_govern_rl_prepare(r, ctx, glcf) != NGX_OK) {
            ngx_str_set(&detail, "the rate limit could not be evaluated");
            return ngx_http_govern_refuse(r,
                       GOVERN_REASON_INTERNAL_ERROR, &detail);
        }

        rl = ctx->rl;
        rc = ngx_http_govern_rl_join(r, rl);

        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        if (rc == NGX_ERROR) {
            return ngx_http_govern_refuse_internal(r, "the rate limit");
        }

        ngx_http_govern_rl_fallback(r, rl);
    }

    if (rl->state == NGX_HTTP_GOVERN_RL_PENDING) {
        return NGX_AGAIN;
    }

    r->read_event_handler = ngx_http_block_reading;

    if (rl->carries) {
        rc = rl->revocation_failed
             ? ngx_http_govern_revocation_unavailable(r, ctx)
             : ngx_http_govern_revocation_verdict(r, ctx,
                                                  rl->revoked
                                                  ? rl->revoked
                                                  : GOVERN_REVOKE_PASSED);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    ngx_http_govern_rl_tightest(rl);

    if (rl->allowed) {
        return NGX_OK;
    }

    if (rl->source == NGX_HTTP_GOVERN_RL_SOURCE_NONE) {
        ngx_str_set(&detail, "the rate limiter is unavailable");

        if (ngx_http_govern_add_header(r, "Retry-After", (u_char *) "1", 1)
            != NGX_OK)
        {
            return ngx_http_govern_refuse_internal(r, "the rate limit");
        }

        return ngx_http_govern_refuse(r,
                   GOVERN_REASON_RATELIMIT_UNAVAILABLE, &detail);
    }

    detail.len = sizeof("limit \"\" exhausted") - 1
                 + rl->confs[rl->tightest].name.len;
    detail.data = ngx_pnalloc(r->pool, detail.len);
    if (detail.data == NULL) {
        return ngx_http_govern_refuse_internal(r, "the rate limit");
    }

    ngx_sprintf(detail.data, "limit \"%V\" exhausted",
                &rl->confs[rl->tightest].name);

    return ngx_http_govern_refuse(r, GOVERN_REASON_RATE_LIMITED,
                                  &detail);
}


static ngx_int_t
ngx_http_govern_rl_prepare(ngx_http_request_t *r, ngx_http_govern_ctx_t *ctx,
    ngx_http_govern_loc_conf_t *glcf)
{
    u_char                     *p;
    ngx_str_t                   by, rate_str;
    ngx_uint_t                  i;
    ngx_http_govern_rl_t       *rl;
    govern_rate_t               rate;
    ngx_http_govern_rl_conf_t  *confs;

    rl = ngx_pcalloc(r->pool, sizeof(ngx_http_govern_rl_t));
    if (rl == NULL) {
        return NGX_ERROR;
    }

    confs = glcf->limits->elts;

    rl->confs = confs;
    rl->n = glcf->limits->nelts;
    rl->wait.stage = "rate limit";
    rl->wait.cancel = ngx_http_govern_rl_leave;
    rl->wait.data = rl;

    for (i = 0; i < rl->n; i++) {

        if (confs[i].rate_cv) {
            if (ngx_http_complex_value(r, confs[i].rate_cv, &rate_str)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            if (!govern_rate_parse((char *) rate_str.data,
                                   rate_str.len, &rate))
            {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "govern: rate limit \"%V\": invalid rate "
                              "\"%V\" from its variable", &confs[i].name,
                              &rate_str);
                return NGX_ERROR;
            }

        } else {
            rate = confs[i].rate;
        }

        rl->limits[i].count = rate.count;
        rl->limits[i].period_ms = rate.period_ms;
        rl->limits[i].capacity = confs[i].burst ? confs[i].burst
                                                : rate.count;

        if (confs[i].by) {
            if (ngx_http_complex_value(r, confs[i].by, &by) != NGX_OK) {
                return NGX_ERROR;
            }

        } else {
            by = ctx->partner;
        }

        if (by.len == 0) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "govern: rate limit \"%V\" has an empty key",
                          &confs[i].name);
            return NGX_ERROR;
        }

        /* govern:{PARTNER}:rl:NAME, the partner as the cluster hash tag */

        rl->keys[i].len = sizeof("govern:{}:rl:") - 1 + by.len
                          + confs[i].name.len;
        p = ngx_pnalloc(r->pool, rl->keys[i].len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        rl->keys[i].data = p;
        ngx_sprintf(p, "govern:{%V}:rl:%V", &by, &confs[i].name);
    }

    if (ngx_http_govern_ratelimit_carries_revocation(glcf)) {
        if (ngx_http_govern_revocation_args(r, ctx, &rl->revocation)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        rl->carries = 1;
    }

    if (ngx_http_govern_rl_args(r, rl) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->rl = rl;

    return NGX_OK;
}


/*
 * The revocation check alone, for a route whose rate limits do not carry
 * it (the revocation stage's): the same script without buckets, its calls
 * shared by the requests of one token as the limits' are.  NGX_AGAIN:
 * the request waits; NGX_DECLINED: no Redis.
 */

ngx_int_t
ngx_http_govern_ratelimit_revocation(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_rl_t **check)
{
    ngx_http_govern_rl_t  *rl;

    rl = ngx_pcalloc(r->pool, sizeof(ngx_http_govern_rl_t));
    if (rl == NULL) {
        return NGX_ERROR;
    }

    rl->wait.stage = "revocation";
    rl->wait.cancel = ngx_http_govern_rl_leave;
    rl->wait.data = rl;
    rl->carries = 1;

    if (ngx_http_govern_revocation_args(r, ctx, &rl->revocation) != NGX_OK
        || ngx_http_govern_rl_args(r, rl) != NGX_OK)
    {
        return NGX_ERROR;
    }

    *check = rl;

    return ngx_http_govern_rl_join(r, rl);
}


/* NGX_AGAIN: still waiting; NGX_DECLINED: Redis did not answer; NGX_OK */

ngx_int_t
ngx_http_govern_ratelimit_revocation_verdict(ngx_http_govern_rl_t *check,
    govern_revoke_e *verdict)
{
    if (check->state == NGX_HTTP_GOVERN_RL_PENDING) {
        return NGX_AGAIN;
    }

    if (check->revocation_failed) {
        return NGX_DECLINED;
    }

    *verdict = check->revoked ? check->revoked : GOVERN_REVOKE_PASSED;

    return NGX_OK;
}


/* every limit keys on the partner: the revocation keys share their hash
 * tag, so one script on one Cluster node can read both */

ngx_uint_t
ngx_http_govern_ratelimit_carries_revocation(ngx_http_govern_loc_conf_t *glcf)
{
    ngx_uint_t                  i;
    ngx_http_govern_rl_conf_t  *confs;

    if (glcf->limits == NULL || !glcf->revocation) {
        return 0;
    }

    confs = glcf->limits->elts;

    for (i = 0; i < glcf->limits->nelts; i++) {
        if (confs[i].by) {
            return 0;
        }
    }

    return 1;
}


/*
 * The script's arguments after its SHA, the request count left out: the
 * key count, the revocation keys, the buckets' keys, the revocation key
 * count, the iat, then four numbers per bucket; each as a 4-byte length
 * and its bytes, so that equal arguments are equal strings.
 */

static ngx_int_t
ngx_http_govern_rl_args(ngx_http_request_t *r, ngx_http_govern_rl_t *rl)
{
    u_char      *p;
    size_t       len;
    uint32_t     n32;
    ngx_str_t    args[NGX_HTTP_GOVERN_RL_ARGS];
    ngx_uint_t   i, argc, nrev;
    u_char       nums[NGX_INT_T_LEN * (2 + 4 * NGX_HTTP_GOVERN_MAX_LIMITS)];

    nrev = rl->carries ? rl->revocation.nkeys : 0;

    p = nums;
    argc = 0;

    args[argc].data = p;
    p = ngx_sprintf(p, "%ui", nrev + rl->n);
    args[argc].len = p - args[argc].data;
    argc++;

    for (i = 0; i < nrev; i++) {
        args[argc++] = rl->revocation.keys[i];
    }

    for (i = 0; i < rl->n; i++) {
        args[argc++] = rl->keys[i];
    }

    args[argc].data = p;
    p = ngx_sprintf(p, "%ui", nrev);
    args[argc].len = p - args[argc].data;
    argc++;

    if (nrev) {
        args[argc++] = rl->revocation.iat;

    } else {
        ngx_str_null(&args[argc]);
        argc++;
    }

    rl->head = argc;

    for (i = 0; i < rl->n; i++) {
        args[argc].data = p;
        p = ngx_sprintf(p, "%uL", rl->limits[i].capacity);
        args[argc].len = p - args[argc].data;
        argc++;

        args[argc].data = p;
        p = ngx_sprintf(p, "%uL", rl->limits[i].count);
        args[argc].len = p - args[argc].data;
        argc++;

        args[argc].data = p;
        p = ngx_sprintf(p, "%uL", rl->limits[i].period_ms);
        args[argc].len = p - args[argc].data;
        argc++;

        /* an idle bucket is kept until it would be full again */
        args[argc].data = p;
        p = ngx_sprintf(p, "%uL", ngx_http_govern_rl_fill_ms(&rl->limits[i])
                                  + 1000);
        args[argc].len = p - args[argc].data;
        argc++;
    }

    len = 0;

    for (i = 0; i < argc; i++) {
        len += sizeof(uint32_t) + args[i].len;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    rl->args.data = p;
    rl->args.len = len;

    for (i = 0; i < argc; i++) {
        n32 = (uint32_t) args[i].len;
        p = ngx_cpymem(p, &n32, sizeof(uint32_t));
        p = ngx_cpymem(p, args[i].data, args[i].len);
    }

    return NGX_OK;
}


void
ngx_http_govern_rl_fallback(ngx_http_request_t *r, ngx_http_govern_rl_t *rl)
{
    ngx_int_t                     rc;
    ngx_http_govern_loc_conf_t   *glcf;
    ngx_http_govern_main_conf_t  *gmcf;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);
    gmcf = ngx_http_get_module_main_conf(r, ngx_http_govern_module);

    rl->state = NGX_HTTP_GOVERN_RL_DONE;
    rl->known = 0;

    if (rl->carries) {
        rl->revocation_failed = 1;

        if (glcf->revocation_fallback == NGX_HTTP_GOVERN_REVOCATION_CLOSED) {
            /* refused for the revocation: no local token is taken */
            rl->allowed = 0;
            rl->source = NGX_HTTP_GOVERN_RL_SOURCE_NONE;
            return;
        }
    }

    if (rl->n == 0) {
        /* the revocation check alone: its stage's fallback decides */
        rl->allowed = 1;
        rl->source = NGX_HTTP_GOVERN_RL_SOURCE_NONE;
        return;
    }

    switch (glcf->fallback) {

    case NGX_HTTP_GOVERN_RL_FALLBACK_OPEN:
        rl->allowed = 1;
        rl->source = NGX_HTTP_GOVERN_RL_SOURCE_NONE;
        return;

    case NGX_HTTP_GOVERN_RL_FALLBACK_CLOSED:
        rl->allowed = 0;
        rl->source = NGX_HTTP_GOVERN_RL_SOURCE_NONE;
        return;

    default:
        rc = ngx_http_govern_limiter_take(gmcf->limiter, rl->keys, rl->limits,
                                          rl->n, rl->states, &rl->retry_ms);

        if (rc == NGX_ERROR) {
            /* no memory for a bucket: fail closed, not open */
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "govern: the local rate limiter is out of memory");
            rl->allowed = 0;
            rl->source = NGX_HTTP_GOVERN_RL_SOURCE_NONE;
            return;
        }

        rl->allowed = (rc == NGX_OK);
        rl->known = 1;
        rl->source = NGX_HTTP_GOVERN_RL_SOURCE_LOCAL;
    }
}


/*
 * RateLimit-Policy and RateLimit (draft-ietf-httpapi-ratelimit-headers):
 * one list item per limit, e.g. "orders";q=600;w=60 and "orders";r=42;t=6;
 * on 429, Retry-After in whole seconds, rounded up.
 */

ngx_int_t
ngx_http_govern_ratelimit_headers(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    u_char                *policy, *state, *p, *q, retry[NGX_INT_T_LEN];
    size_t                 len;
    ngx_uint_t             i;
    ngx_http_govern_rl_t  *rl;

    rl = ctx->rl;

    if (rl == NULL || rl->state != NGX_HTTP_GOVERN_RL_DONE) {
        return NGX_OK;
    }

    len = 0;

    for (i = 0; i < rl->n; i++) {
        len += rl->confs[i].name.len + sizeof("\"\";q=;w=, ") - 1
               + 2 * NGX_INT_T_LEN;
    }

    policy = ngx_pnalloc(r->pool, 2 * len);
    if (policy == NULL) {
        return NGX_ERROR;
    }

    state = policy + len;
    p = policy;
    q = state;

    for (i = 0; i < rl->n; i++) {
        if (i) {
            p = ngx_cpymem(p, ", ", 2);
            q = ngx_cpymem(q, ", ", 2);
        }

        p = ngx_sprintf(p, "\"%V\";q=%uL;w=%uL", &rl->confs[i].name,
                        rl->limits[i].capacity,
                        (ngx_http_govern_rl_fill_ms(&rl->limits[i]) + 999)
                        / 1000);
        q = ngx_sprintf(q, "\"%V\";r=%uL;t=%uL", &rl->confs[i].name,
                        rl->states[i].remaining,
                        (rl->states[i].reset_ms + 999) / 1000);
    }

    if (ngx_http_govern_add_header(r, "RateLimit-Policy", policy, p - policy)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (rl->known) {
        if (ngx_http_govern_add_header(r, "RateLimit", state, q - state)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (!rl->allowed && rl->known) {
        p = ngx_sprintf(retry, "%uL", ngx_max((rl->retry_ms + 999) / 1000, 1));

        if (ngx_http_govern_add_header(r, "Retry-After", retry, p - retry)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* the tightest limit: the fewest tokens left, for audit and variable */

static void
ngx_http_govern_rl_tightest(ngx_http_govern_rl_t *rl)
{
    ngx_uint_t  i, min;

    min = 0;

    for (i = 1; i < rl->n; i++) {
        if (rl->states[i].remaining < rl->states[min].remaining) {
            min = i;
        }
    }

    rl->tightest = min;
}


/* ms for an empty bucket to fill; whole ms, rounded up */

static uint64_t
ngx_http_govern_rl_fill_ms(govern_limit_t *limit)
{
    /* capacity < 10^11 (rates, burst=) and period <= 86,400,000 */
    return (limit->period_ms * limit->capacity + limit->count - 1)
           / limit->count;
}


/* where the decision was taken: NGX_HTTP_GOVERN_RL_SOURCE_* */

ngx_uint_t
ngx_http_govern_ratelimit_source(ngx_http_govern_rl_t *rl)
{
    return rl->source;
}


/* the audit record's "ratelimit": the tightest limit */

u_char *
ngx_http_govern_ratelimit_audit(u_char *p, ngx_http_govern_rl_t *rl)
{
    static const char  *sources[] = { "none", "redis", "local" };

    ngx_uint_t  t;

    if (rl == NULL || rl->state != NGX_HTTP_GOVERN_RL_DONE) {
        return ngx_cpymem(p, "null", 4);
    }

    t = rl->tightest;

    p = ngx_sprintf(p, "{\"name\":\"%V\",\"limit\":%uL,", &rl->confs[t].name,
                    rl->limits[t].capacity);

    if (rl->known) {
        p = ngx_sprintf(p, "\"remaining\":%uL,", rl->states[t].remaining);

    } else {
        p = ngx_cpymem(p, "\"remaining\":null,", 17);
    }

    return ngx_sprintf(p, "\"source\":\"%s\"}", sources[rl->source]);
}


size_t
ngx_http_govern_ratelimit_audit_len(ngx_http_govern_rl_t *rl)
{
    if (rl == NULL) {
        return 4;
    }

    return sizeof("{\"name\":\"\",\"limit\":,\"remaining\":,"
                  "\"source\":\"redis\"}") + 2 * NGX_INT_T_LEN
           + rl->confs[rl->tightest].name.len;
}


ngx_int_t
ngx_http_govern_ratelimit_remaining(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_str_t *value)
{
    ngx_http_govern_rl_t  *rl;

    rl = ctx->rl;

    if (rl == NULL || !rl->known) {
        return NGX_DECLINED;
    }

    value->data = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (value->data == NULL) {
        return NGX_ERROR;
    }

    value->len = ngx_sprintf(value->data, "%uL",
                             rl->states[rl->tightest].remaining)
                 - value->data;

    return NGX_OK;
}


/* configuration */


/* govern_rate_limit NAME RATE [burst=N] [by=$var] */

char *
ngx_http_govern_rate_limit_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_loc_conf_t *glcf = conf;

    u_char                              c;
    ngx_int_t                           n;
    ngx_str_t                          *value;
    ngx_uint_t                          i;
    ngx_http_govern_rl_conf_t          *rc, *other;
    ngx_http_govern_main_conf_t        *gmcf;
    ngx_http_compile_complex_value_t    ccv;

    ngx_http_govern_conf_mark(cf, glcf, cmd);

    value = cf->args->elts;

    if (glcf->limits == NGX_CONF_UNSET_PTR) {
        glcf->limits_file = cf->conf_file->file.name.data;
        glcf->limits_line = cf->conf_file->line;

        glcf->limits = ngx_array_create(cf->pool, 2,
                                        sizeof(ngx_http_govern_rl_conf_t));
        if (glcf->limits == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    if (glcf->limits->nelts == NGX_HTTP_GOVERN_MAX_LIMITS) {
        return "is given more than 8 times here";
    }

    for (i = 0; i < value[1].len; i++) {
        c = value[1].data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid rate limit name \"%V\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    other = glcf->limits->elts;

    for (i = 0; i < glcf->limits->nelts; i++) {
        if (other[i].name.len == value[1].len
            && ngx_strncmp(other[i].name.data, value[1].data, value[1].len)
               == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate rate limit \"%V\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    rc = ngx_array_push(glcf->limits);
    if (rc == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(rc, sizeof(ngx_http_govern_rl_conf_t));
    rc->name = value[1];

    if (value[2].len && value[2].data[0] == '$') {
        rc->rate_cv = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
        if (rc->rate_cv == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &value[2];
        ccv.complex_value = rc->rate_cv;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

    } else if (!govern_rate_parse((char *) value[2].data,
                                  value[2].len, &rc->rate))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid rate \"%V\", it must be like 20r/s, "
                           "600r/m, 1000r/h or 50000r/d", &value[2]);
        return NGX_CONF_ERROR;
    }

    for (i = 3; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "burst=", 6) == 0) {
            n = ngx_atoi(value[i].data + 6, value[i].len - 6);

            if (n <= 0 || n > 1000000000) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid burst \"%V\", it must be a "
                                   "number from 1 to 1000000000", &value[i]);
                return NGX_CONF_ERROR;
            }

            rc->burst = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "by=", 3) == 0 && value[i].len > 3) {
            rc->by = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
            if (rc->by == NULL) {
                return NGX_CONF_ERROR;
            }

            value[i].data += 3;
            value[i].len -= 3;

            ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
            ccv.cf = cf;
            ccv.value = &value[i];
            ccv.complex_value = rc->by;

            if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\"",
                           &value[i]);
        return NGX_CONF_ERROR;
    }

    gmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_govern_module);
    gmcf->need_limiter = 1;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_govern_ratelimit_init(ngx_conf_t *cf)
{
    u_char      digest[20];
    EVP_MD_CTX  *md;

    if (ngx_http_govern_rl_sha[0]) {
        return NGX_OK;
    }

    md = EVP_MD_CTX_new();

    if (md == NULL
        || !EVP_DigestInit_ex(md, EVP_sha1(), NULL)
        || !EVP_DigestUpdate(md, govern_rate_script,
                             ngx_strlen(govern_rate_script))
        || !EVP_DigestFinal_ex(md, digest, NULL))
    {
        EVP_MD_CTX_free(md);
        return NGX_ERROR;
    }

    EVP_MD_CTX_free(md);

    govern_hex(ngx_http_govern_rl_sha, digest, 20);
    ngx_http_govern_rl_sha[40] = '\0';

    return NGX_OK;
}


static void
ngx_http_govern_ratelimit_create(ngx_http_govern_loc_conf_t *conf)
{
    conf->limits = NGX_CONF_UNSET_PTR;
    conf->fallback = NGX_CONF_UNSET_UINT;
}


static char *
ngx_http_govern_ratelimit_merge(ngx_conf_t *cf,
    ngx_http_govern_loc_conf_t *prev, ngx_http_govern_loc_conf_t *conf)
{
    ngx_uint_t                    i;
    ngx_http_govern_rl_conf_t    *rc;
    ngx_http_govern_main_conf_t  *gmcf;

    /* a limit without Redis would only ever count this instance's calls */

    if (conf->limits != NGX_CONF_UNSET_PTR) {
        gmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_govern_module);

        if (gmcf->redis == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"govern_rate_limit\" needs \"govern_redis\" "
                          "(limits are shared by the gateways through Redis)"
                          " in %s:%ui", conf->limits_file, conf->limits_line);
            return NGX_CONF_ERROR;
        }

        /* a cluster runs a script on the node of its keys' one slot */

        if (gmcf->redis->mode == NGX_HTTP_GOVERN_REDIS_CLUSTER) {
            rc = conf->limits->elts;

            for (i = 1; i < conf->limits->nelts; i++) {
                if ((rc[i].by == NULL) != (rc[0].by == NULL)
                    || (rc[i].by
                        && (rc[i].by->value.len != rc[0].by->value.len
                            || ngx_strncmp(rc[i].by->value.data,
                                           rc[0].by->value.data,
                                           rc[0].by->value.len) != 0)))
                {
                    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                                  "\"govern_rate_limit\" in cluster mode: "
                                  "the limits of a location are decided by "
                                  "one script on one node, so they need the "
                                  "same by= (or none) in %s:%ui",
                                  conf->limits_file, conf->limits_line);
                    return NGX_CONF_ERROR;
                }
            }
        }
    }

    ngx_conf_merge_ptr_value(conf->limits, prev->limits, NULL);
    ngx_conf_merge_uint_value(conf->fallback, prev->fallback,
                              NGX_HTTP_GOVERN_RL_FALLBACK_LOCAL);

    return NGX_CONF_OK;
}


const ngx_http_govern_stage_t  ngx_http_govern_ratelimit_stage = {
    "rate limit",
    ngx_http_govern_ratelimit_create,
    ngx_http_govern_ratelimit_merge,
    ngx_http_govern_ratelimit_init,
    ngx_http_govern_ratelimit_access,
    ngx_http_govern_ratelimit_headers,
    NULL,                                   /* body */
    NULL                                    /* log */
};
