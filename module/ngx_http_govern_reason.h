
/*
 * govern: the refusal reasons of DESIGN section 4 and their HTTP statuses.
 * Pure logic: no nginx types, so unit tests link it directly.
 */


#ifndef _NGX_HTTP_GOVERN_REASON_H_INCLUDED_
#define _NGX_HTTP_GOVERN_REASON_H_INCLUDED_


#include <stddef.h>


typedef enum {
    NGX_HTTP_GOVERN_REASON_NONE = 0,
    NGX_HTTP_GOVERN_REASON_TOKEN_MISSING,
    NGX_HTTP_GOVERN_REASON_TOKEN_MALFORMED,
    NGX_HTTP_GOVERN_REASON_TOKEN_ALG,
    NGX_HTTP_GOVERN_REASON_TOKEN_SIGNATURE,
    NGX_HTTP_GOVERN_REASON_TOKEN_EXPIRED,
    NGX_HTTP_GOVERN_REASON_TOKEN_NOT_YET_VALID,
    NGX_HTTP_GOVERN_REASON_TOKEN_ISSUER,
    NGX_HTTP_GOVERN_REASON_TOKEN_AUDIENCE,
    NGX_HTTP_GOVERN_REASON_TOKEN_PARTNER,
    NGX_HTTP_GOVERN_REASON_SCOPE_MISSING,
    NGX_HTTP_GOVERN_REASON_ODOO_DENIED,
    NGX_HTTP_GOVERN_REASON_RATE_LIMITED,
    NGX_HTTP_GOVERN_REASON_RATELIMIT_UNAVAILABLE,
    NGX_HTTP_GOVERN_REASON_BODY_TOO_LARGE,
    NGX_HTTP_GOVERN_REASON_CONTENT_TYPE,
    NGX_HTTP_GOVERN_REASON_JSON_MALFORMED,
    NGX_HTTP_GOVERN_REASON_ODOO_MALFORMED,
    NGX_HTTP_GOVERN_REASON_SCHEMA_INVALID,
    NGX_HTTP_GOVERN_REASON_IDEMPOTENCY_MISMATCH,
    NGX_HTTP_GOVERN_REASON_IDEMPOTENCY_CONFLICT,
    NGX_HTTP_GOVERN_REASON_IDEMPOTENCY_REQUIRED,
    NGX_HTTP_GOVERN_REASON_IDEMPOTENCY_UNAVAILABLE,
    NGX_HTTP_GOVERN_REASON_AUDIT_UNAVAILABLE,
    NGX_HTTP_GOVERN_REASON_VERSION_SUNSET,
    NGX_HTTP_GOVERN_REASON_INTERNAL_ERROR,
    NGX_HTTP_GOVERN_REASON_LAST
} ngx_http_govern_reason_e;


typedef struct {
    const char  *code;      /* stable machine-readable "reason" */
    size_t       code_len;
    const char  *title;     /* problem+json "title" */
    size_t       title_len;
    int          status;
} ngx_http_govern_reason_t;


const ngx_http_govern_reason_t *ngx_http_govern_reason(
    ngx_http_govern_reason_e reason);
ngx_http_govern_reason_e ngx_http_govern_reason_by_code(const char *code,
    size_t len);


#endif /* _NGX_HTTP_GOVERN_REASON_H_INCLUDED_ */
