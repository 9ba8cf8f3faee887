
/*
 * govern: the refusal reasons of DESIGN section 4 and their HTTP statuses.
 * Pure logic: no nginx types, so unit tests link it directly.
 */


#ifndef _GOVERN_REASON_H_INCLUDED_
#define _GOVERN_REASON_H_INCLUDED_


#include <stddef.h>


typedef enum {
    GOVERN_REASON_NONE = 0,
    GOVERN_REASON_TOKEN_MISSING,
    GOVERN_REASON_TOKEN_MALFORMED,
    GOVERN_REASON_TOKEN_ALG,
    GOVERN_REASON_TOKEN_SIGNATURE,
    GOVERN_REASON_TOKEN_EXPIRED,
    GOVERN_REASON_TOKEN_NOT_YET_VALID,
    GOVERN_REASON_TOKEN_ISSUER,
    GOVERN_REASON_TOKEN_AUDIENCE,
    GOVERN_REASON_TOKEN_PARTNER,
    GOVERN_REASON_SCOPE_MISSING,
    GOVERN_REASON_ODOO_DENIED,
    GOVERN_REASON_RATE_LIMITED,
    GOVERN_REASON_RATELIMIT_UNAVAILABLE,
    GOVERN_REASON_BODY_TOO_LARGE,
    GOVERN_REASON_CONTENT_TYPE,
    GOVERN_REASON_JSON_MALFORMED,
    GOVERN_REASON_ODOO_MALFORMED,
    GOVERN_REASON_SCHEMA_INVALID,
    GOVERN_REASON_IDEMPOTENCY_MISMATCH,
    GOVERN_REASON_IDEMPOTENCY_CONFLICT,
    GOVERN_REASON_IDEMPOTENCY_REQUIRED,
    GOVERN_REASON_IDEMPOTENCY_UNAVAILABLE,
    GOVERN_REASON_AUDIT_UNAVAILABLE,
    GOVERN_REASON_VERSION_SUNSET,
    GOVERN_REASON_INTERNAL_ERROR,
    GOVERN_REASON_KEYS_UNAVAILABLE,
    GOVERN_REASON_TOKEN_REVOKED,
    GOVERN_REASON_PARTNER_BLOCKED,
    GOVERN_REASON_REVOCATION_UNAVAILABLE,
    GOVERN_REASON_WEBHOOK_SIGNATURE,
    GOVERN_REASON_WEBHOOK_TIMESTAMP,
    GOVERN_REASON_WEBHOOK_MALFORMED,
    GOVERN_REASON_WEBHOOK_DUPLICATE,    /* audit only: answered 200 */
    GOVERN_REASON_WEBHOOK_CONFLICT,
    GOVERN_REASON_WEBHOOK_UNAVAILABLE,
    GOVERN_REASON_LAST
} govern_reason_e;


typedef struct {
    const char  *code;      /* stable machine-readable "reason" */
    size_t       code_len;
    const char  *title;     /* problem+json "title" */
    size_t       title_len;
    int          status;
} govern_reason_t;


/*
 * What a refusal says of the call, for protocols that answer in classes
 * of their own (Odoo's exceptions, XML-RPC fault codes): one reading, so
 * that a new reason cannot be classed one way on one route and another
 * way on the next.
 */
typedef enum {
    GOVERN_REASON_CLASS_OTHER = 0,      /* limits, the gateway's failures */
    GOVERN_REASON_CLASS_IDENTITY,       /* no verified caller: tokens */
    GOVERN_REASON_CLASS_DENIED,         /* a verified caller, not allowed */
    GOVERN_REASON_CLASS_MALFORMED,      /* the request cannot be read */
    GOVERN_REASON_CLASS_INVALID         /* read, and its values refused */
} govern_reason_class_e;


const govern_reason_t *govern_reason(
    govern_reason_e reason);
govern_reason_class_e govern_reason_class(govern_reason_e reason);
govern_reason_e govern_reason_by_code(const char *code,
    size_t len);


#endif /* _GOVERN_REASON_H_INCLUDED_ */
