
/*
 * govern: reason -> status table (DESIGN section 4).
 */


#include <string.h>

#include "govern_reason.h"


#define govern_reason_row(code, title, status)                               \
    { code, sizeof(code) - 1, title, sizeof(title) - 1, status }


static const govern_reason_t  govern_reasons[] = {
    govern_reason_row("", "", 0),
    govern_reason_row("token_missing", "Bearer token required", 401),
    govern_reason_row("token_malformed", "Malformed bearer token", 401),
    govern_reason_row("token_alg", "Token algorithm not accepted", 401),
    govern_reason_row("token_signature", "Token signature not verified", 401),
    govern_reason_row("token_expired", "Token expired", 401),
    govern_reason_row("token_not_yet_valid", "Token not yet valid", 401),
    govern_reason_row("token_issuer", "Token issuer not accepted", 401),
    govern_reason_row("token_audience", "Token audience not accepted", 401),
    govern_reason_row("token_partner", "Token names no partner", 401),
    govern_reason_row("scope_missing", "Insufficient scope", 403),
    govern_reason_row("odoo_denied", "Odoo call not allowed", 403),
    govern_reason_row("rate_limited", "Rate limit exceeded", 429),
    govern_reason_row("ratelimit_unavailable", "Rate limiter unavailable", 503),
    govern_reason_row("body_too_large", "Request body too large", 413),
    govern_reason_row("content_type", "Unsupported media type", 415),
    govern_reason_row("json_malformed", "Malformed JSON body", 400),
    govern_reason_row("odoo_malformed", "Malformed Odoo call", 400),
    govern_reason_row("schema_invalid",
                  "Request body violates its schema", 422),
    govern_reason_row("idempotency_mismatch",
                  "Idempotency key reused with another payload", 422),
    govern_reason_row("idempotency_conflict",
                  "Request with this idempotency key in progress", 409),
    govern_reason_row("idempotency_required", "Idempotency-Key header required",
                  400),
    govern_reason_row("idempotency_unavailable",
                  "Idempotency store unavailable", 503),
    govern_reason_row("audit_unavailable", "Audit trail unavailable", 503),
    govern_reason_row("version_sunset", "API version retired", 410),
    govern_reason_row("internal_error", "Internal gateway error", 500),
    govern_reason_row("keys_unavailable",
                  "Token verification keys unavailable", 503),
    govern_reason_row("token_revoked", "Token revoked", 401),
    govern_reason_row("partner_blocked", "Partner blocked", 403),
    govern_reason_row("revocation_unavailable",
                  "Revocation list unavailable", 503),
    govern_reason_row("webhook_signature", "Webhook signature not verified",
                  403),
    govern_reason_row("webhook_timestamp",
                  "Webhook timestamp outside the tolerance", 400),
    govern_reason_row("webhook_malformed", "Malformed webhook delivery", 400),
    govern_reason_row("webhook_duplicate", "Webhook event already delivered",
                  200),
    govern_reason_row("webhook_conflict",
                  "Webhook event delivery in progress", 409),
    govern_reason_row("webhook_unavailable",
                  "Webhook delivery record unavailable", 503),
};


/* the table and the enum must stay in step */
typedef char  govern_reasons_complete[
    sizeof(govern_reasons) / sizeof(govern_reasons[0])
    == GOVERN_REASON_LAST ? 1 : -1];


const govern_reason_t *
govern_reason(govern_reason_e reason)
{
    if ((unsigned) reason >= GOVERN_REASON_LAST) {
        reason = GOVERN_REASON_INTERNAL_ERROR;
    }

    return &govern_reasons[reason];
}


govern_reason_e
govern_reason_by_code(const char *code, size_t len)
{
    unsigned  i;

    for (i = 1; i < GOVERN_REASON_LAST; i++) {
        if (govern_reasons[i].code_len == len
            && memcmp(govern_reasons[i].code, code, len) == 0)
        {
            return (govern_reason_e) i;
        }
    }

    return GOVERN_REASON_NONE;
}


govern_reason_class_e
govern_reason_class(govern_reason_e reason)
{
    switch (reason) {

    case GOVERN_REASON_TOKEN_MISSING:
    case GOVERN_REASON_TOKEN_MALFORMED:
    case GOVERN_REASON_TOKEN_ALG:
    case GOVERN_REASON_TOKEN_SIGNATURE:
    case GOVERN_REASON_TOKEN_EXPIRED:
    case GOVERN_REASON_TOKEN_NOT_YET_VALID:
    case GOVERN_REASON_TOKEN_ISSUER:
    case GOVERN_REASON_TOKEN_AUDIENCE:
    case GOVERN_REASON_TOKEN_PARTNER:
    case GOVERN_REASON_TOKEN_REVOKED:
    case GOVERN_REASON_WEBHOOK_SIGNATURE:
        return GOVERN_REASON_CLASS_IDENTITY;

    case GOVERN_REASON_SCOPE_MISSING:
    case GOVERN_REASON_ODOO_DENIED:
    case GOVERN_REASON_PARTNER_BLOCKED:
        return GOVERN_REASON_CLASS_DENIED;

    case GOVERN_REASON_JSON_MALFORMED:
    case GOVERN_REASON_ODOO_MALFORMED:
    case GOVERN_REASON_CONTENT_TYPE:
    case GOVERN_REASON_BODY_TOO_LARGE:
    case GOVERN_REASON_WEBHOOK_TIMESTAMP:
    case GOVERN_REASON_WEBHOOK_MALFORMED:
        return GOVERN_REASON_CLASS_MALFORMED;

    case GOVERN_REASON_SCHEMA_INVALID:
    case GOVERN_REASON_IDEMPOTENCY_MISMATCH:
        return GOVERN_REASON_CLASS_INVALID;

    default:
        return GOVERN_REASON_CLASS_OTHER;
    }
}
