
/*
 * govern: reason -> status table (DESIGN section 4).
 */


#include <string.h>

#include "ngx_http_govern_reason.h"


#define govern_reason(code, title, status)                                   \
    { code, sizeof(code) - 1, title, sizeof(title) - 1, status }


static const ngx_http_govern_reason_t  ngx_http_govern_reasons[] = {
    govern_reason("", "", 0),
    govern_reason("token_missing", "Bearer token required", 401),
    govern_reason("token_malformed", "Malformed bearer token", 401),
    govern_reason("token_alg", "Token algorithm not accepted", 401),
    govern_reason("token_signature", "Token signature not verified", 401),
    govern_reason("token_expired", "Token expired", 401),
    govern_reason("token_not_yet_valid", "Token not yet valid", 401),
    govern_reason("token_issuer", "Token issuer not accepted", 401),
    govern_reason("token_audience", "Token audience not accepted", 401),
    govern_reason("token_partner", "Token names no partner", 401),
    govern_reason("scope_missing", "Insufficient scope", 403),
    govern_reason("odoo_denied", "Odoo call not allowed", 403),
    govern_reason("rate_limited", "Rate limit exceeded", 429),
    govern_reason("ratelimit_unavailable", "Rate limiter unavailable", 503),
    govern_reason("body_too_large", "Request body too large", 413),
    govern_reason("content_type", "Unsupported media type", 415),
    govern_reason("json_malformed", "Malformed JSON body", 400),
    govern_reason("odoo_malformed", "Malformed Odoo call", 400),
    govern_reason("schema_invalid", "Request body violates its schema", 422),
    govern_reason("idempotency_mismatch",
                  "Idempotency key reused with another payload", 422),
    govern_reason("idempotency_conflict",
                  "Request with this idempotency key in progress", 409),
    govern_reason("idempotency_required", "Idempotency-Key header required",
                  400),
    govern_reason("idempotency_unavailable",
                  "Idempotency store unavailable", 503),
    govern_reason("audit_unavailable", "Audit trail unavailable", 503),
    govern_reason("version_sunset", "API version retired", 410),
    govern_reason("internal_error", "Internal gateway error", 500),
};


/* the table and the enum must stay in step */
typedef char  ngx_http_govern_reasons_complete[
    sizeof(ngx_http_govern_reasons) / sizeof(ngx_http_govern_reasons[0])
    == NGX_HTTP_GOVERN_REASON_LAST ? 1 : -1];


const ngx_http_govern_reason_t *
ngx_http_govern_reason(ngx_http_govern_reason_e reason)
{
    if ((unsigned) reason >= NGX_HTTP_GOVERN_REASON_LAST) {
        reason = NGX_HTTP_GOVERN_REASON_INTERNAL_ERROR;
    }

    return &ngx_http_govern_reasons[reason];
}


ngx_http_govern_reason_e
ngx_http_govern_reason_by_code(const char *code, size_t len)
{
    unsigned  i;

    for (i = 1; i < NGX_HTTP_GOVERN_REASON_LAST; i++) {
        if (ngx_http_govern_reasons[i].code_len == len
            && memcmp(ngx_http_govern_reasons[i].code, code, len) == 0)
        {
            return (ngx_http_govern_reason_e) i;
        }
    }

    return NGX_HTTP_GOVERN_REASON_NONE;
}
