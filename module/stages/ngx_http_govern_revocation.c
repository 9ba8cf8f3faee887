
/*
 * govern: revocation at the edge.  With govern_redis (unless
 * govern_revocation off), every governed request's verified token is
 * checked against what a security team wrote in Redis
 * (scripts/govern-revoke): the partner blocked (403 partner_blocked), its
 * tokens issued before a time, or one token by its jti (401
 * token_revoked).  The keys carry the partner as the Cluster
 * hash tag (DESIGN section 7).
 *
 * On a route whose rate limits all key on the partner, the check is part
 * of the rate limit's script: no round trip of its own (the rate-limit
 * stage calls this file's functions).  Elsewhere this stage has the rate
 * limit stage run the same script without buckets, a call the requests
 * of one token share as the limits' are shared.  When Redis cannot answer,
 * govern_revocation_fallback decides: let the request through and say so
 * (open, the default: the error log once per change, the audit record's
 * "revocation": "unchecked") or refuse it (closed: 503
 * revocation_unavailable).
 */


#include "ngx_http_govern_stages.h"


/* the check of a route whose rate limits do not carry it */

struct ngx_http_govern_revocation_s {
    ngx_http_govern_rl_t                *check;
    unsigned                             failed:1;
};


/* this worker let requests through unchecked: logged once, until Redis
 * answers again */
static ngx_uint_t  ngx_http_govern_revocation_unchecked;


static ngx_int_t
ngx_http_govern_revocation_access(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    ngx_int_t                      rc;
    govern_revoke_e                verdict;
    ngx_http_govern_revocation_t  *rv;
    ngx_http_govern_loc_conf_t    *glcf;
    ngx_http_govern_main_conf_t   *gmcf;

    gmcf = ngx_http_get_module_main_conf(r, ngx_http_govern_module);
    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);

    if (gmcf->redis == NULL || !glcf->revocation
        || ngx_http_govern_ratelimit_carries_revocation(glcf))
    {
        return NGX_OK;
    }

    rv = ctx->revocation_state;

    if (rv == NULL) {
        rv = ngx_pcalloc(r->pool, sizeof(ngx_http_govern_revocation_t));
        if (rv == NULL) {
            return ngx_http_govern_refuse_internal(r, "the revocation check");
        }

        ctx->revocation_state = rv;

        /* the rate limit's script without buckets, its call shared */

        rc = ngx_http_govern_ratelimit_revocation(r, ctx, &rv->check);

        if (rc == NGX_ERROR) {
            return ngx_http_govern_refuse_internal(r, "the revocation check");
        }

        if (rc == NGX_DECLINED) {
            rv->failed = 1;             /* Redis cannot be used now */
        }
    }

    verdict = GOVERN_REVOKE_PASSED;

    if (!rv->failed) {
        rc = ngx_http_govern_ratelimit_revocation_verdict(rv->check,
                                                          &verdict);
        if (rc == NGX_AGAIN) {
            return NGX_AGAIN;
        }

        if (rc == NGX_DECLINED) {
            rv->failed = 1;
        }
    }

    r->read_event_handler = ngx_http_block_reading;

    if (rv->failed) {
        return ngx_http_govern_revocation_unavailable(r, ctx);
    }

    return ngx_http_govern_revocation_verdict(r, ctx, verdict);
}


/*
 * The revocation part of the script's call: the keys of the verified
 * partner (and of the token's jti, if it has one) and its iat.
 */

ngx_int_t
ngx_http_govern_revocation_args(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_revocation_args_t *args)
{
    u_char  *p;

    args->nkeys = 1;

    p = ngx_pnalloc(r->pool,
                    GOVERN_REVOKE_KEY_LEN(ctx->partner.len)
                    + GOVERN_REVOKE_JTI_KEY_LEN(ctx->partner.len,
                                                ctx->jwt_jti.len)
                    + NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    args->keys[0].data = p;
    args->keys[0].len = govern_revoke_key((char *) p,
                                          (const char *) ctx->partner.data,
                                          ctx->partner.len);
    p += args->keys[0].len;

    if (ctx->jwt_jti.len) {
        args->keys[1].data = p;
        args->keys[1].len = govern_revoke_jti_key((char *) p,
                                        (const char *) ctx->partner.data,
                                        ctx->partner.len,
                                        (const char *) ctx->jwt_jti.data,
                                        ctx->jwt_jti.len);
        p += args->keys[1].len;
        args->nkeys = 2;
    }

    args->iat.data = p;
    args->iat.len = ctx->claims.has_iat
                    ? (size_t) (ngx_sprintf(p, "%L", ctx->claims.iat) - p)
                    : 0;

    return NGX_OK;
}


/* {1, 0}: nothing revoked; {-1, kind}: revoked */

govern_revoke_e
ngx_http_govern_revocation_parse(redisReply *reply)
{
    redisReply  **e;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
        || reply->element[0]->type != REDIS_REPLY_INTEGER
        || reply->element[1]->type != REDIS_REPLY_INTEGER)
    {
        return GOVERN_REVOKE_UNKNOWN;
    }

    e = reply->element;

    if (e[0]->integer == 1) {
        return GOVERN_REVOKE_PASSED;
    }

    if (e[0]->integer == -1) {
        return govern_revoke_kind(e[1]->integer);
    }

    return GOVERN_REVOKE_UNKNOWN;
}


/* the check answered: the request goes on, or is refused */

ngx_int_t
ngx_http_govern_revocation_verdict(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, govern_revoke_e verdict)
{
    ngx_str_t  detail;

    ctx->revocation = verdict;

    if (ngx_http_govern_revocation_unchecked) {
        ngx_http_govern_revocation_unchecked = 0;

        ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                      "govern: revocation is checked again");
    }

    switch (verdict) {

    case GOVERN_REVOKE_PARTNER:
        ngx_str_set(&detail, "the partner is blocked");

        return ngx_http_govern_refuse(r, GOVERN_REASON_PARTNER_BLOCKED,
                                      &detail);

    case GOVERN_REVOKE_IAT:
        ngx_str_set(&detail, "the partner's tokens issued before a time "
                    "were revoked");
        break;

    case GOVERN_REVOKE_JTI:
        ngx_str_set(&detail, "this token was revoked");
        break;

    default:
        return NGX_OK;
    }

    if (ngx_http_govern_www_authenticate(r, "invalid_token",
                                         "error_description", &detail)
        != NGX_OK)
    {
        return ngx_http_govern_refuse_internal(r, "the revocation check");
    }

    return ngx_http_govern_refuse(r, GOVERN_REASON_TOKEN_REVOKED, &detail);
}


/* Redis is down, slow or wrong: the location's fallback decides */

ngx_int_t
ngx_http_govern_revocation_unavailable(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    ngx_str_t                    detail;
    ngx_http_govern_loc_conf_t  *glcf;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);

    if (glcf->revocation_fallback == NGX_HTTP_GOVERN_REVOCATION_CLOSED) {
        if (ngx_http_govern_add_header(r, "Retry-After", (u_char *) "1", 1)
            != NGX_OK)
        {
            return ngx_http_govern_refuse_internal(r, "the revocation check");
        }

        ngx_str_set(&detail, "revocations cannot be checked");

        return ngx_http_govern_refuse(r,
                                      GOVERN_REASON_REVOCATION_UNAVAILABLE,
                                      &detail);
    }

    ctx->revocation = GOVERN_REVOKE_UNCHECKED;

    if (!ngx_http_govern_revocation_unchecked) {
        ngx_http_govern_revocation_unchecked = 1;

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "govern: revocation cannot be checked, Redis does "
                      "not answer: requests are let through "
                      "(govern_revocation_fallback open) until it does");
    }

    return NGX_OK;
}


static void
ngx_http_govern_revocation_create(ngx_http_govern_loc_conf_t *conf)
{
    conf->revocation = NGX_CONF_UNSET;
    conf->revocation_fallback = NGX_CONF_UNSET_UINT;
}


static char *
ngx_http_govern_revocation_merge(ngx_conf_t *cf,
    ngx_http_govern_loc_conf_t *prev, ngx_http_govern_loc_conf_t *conf)
{
    ngx_conf_merge_value(conf->revocation, prev->revocation, 1);
    ngx_conf_merge_uint_value(conf->revocation_fallback,
                              prev->revocation_fallback,
                              NGX_HTTP_GOVERN_REVOCATION_OPEN);

    return NGX_CONF_OK;
}


const ngx_http_govern_stage_t  ngx_http_govern_revocation_stage = {
    "revocation",
    ngx_http_govern_revocation_create,
    ngx_http_govern_revocation_merge,
    NULL,                                   /* init */
    ngx_http_govern_revocation_access,
    NULL,                                   /* headers */
    NULL,                                   /* body */
    NULL                                    /* log */
};
