
/*
 * govern: API governance for Odoo at the edge.
 * Types shared by the module's request-facing files.
 */


#ifndef _NGX_HTTP_GOVERN_MODULE_H_INCLUDED_
#define _NGX_HTTP_GOVERN_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "govern_reason.h"
#include "govern_ids.h"
#include "govern_jwt.h"
#include "govern_scopes.h"
#include "govern_rate.h"
#include "ngx_http_govern_redis.h"
#include "govern_schema.h"
#include "govern_odoo.h"


#define NGX_HTTP_GOVERN_MAX_LIMITS           8

#define NGX_HTTP_GOVERN_RL_FALLBACK_LOCAL    0
#define NGX_HTTP_GOVERN_RL_FALLBACK_OPEN     1
#define NGX_HTTP_GOVERN_RL_FALLBACK_CLOSED   2

#define NGX_HTTP_GOVERN_IDEM_OPTIONAL        1
#define NGX_HTTP_GOVERN_IDEM_REQUIRED        2

#define NGX_HTTP_GOVERN_RL_SOURCE_NONE       0
#define NGX_HTTP_GOVERN_RL_SOURCE_REDIS      1
#define NGX_HTTP_GOVERN_RL_SOURCE_LOCAL      2


typedef struct ngx_http_govern_audit_s  ngx_http_govern_audit_t;
typedef struct ngx_http_govern_rl_s     ngx_http_govern_rl_t;
typedef struct ngx_http_govern_version_s  ngx_http_govern_version_t;
typedef struct ngx_http_govern_schema_conf_s  ngx_http_govern_schema_conf_t;
typedef struct ngx_http_govern_odoo_conf_s  ngx_http_govern_odoo_conf_t;
typedef struct ngx_http_govern_idem_s   ngx_http_govern_idem_t;


/* small allocations of one request carved from one block of its pool */
typedef struct {
    ngx_pool_t                 *pool;
    u_char                     *pos;
    u_char                     *end;
} ngx_http_govern_arena_t;


typedef struct {
    ssize_t                     jwt_cache_size;     /* 0: off */
    ngx_shm_zone_t             *jwt_cache;
    ngx_http_govern_redis_conf_t  *redis;
    ngx_shm_zone_t             *limiter;
    ngx_flag_t                  need_limiter;
    ngx_array_t                *credentials;    /* partner -> Odoo */
    ngx_shm_zone_t             *metrics;        /* NULL: not counted */
} ngx_http_govern_main_conf_t;


typedef struct {
    ngx_flag_t                  enable;
    ngx_str_t                   route;      /* empty: the location name */
    ngx_http_govern_audit_t    *audit;      /* NULL: audit off */

    govern_jwt_keys_t *keys;
    const char                **issuers;    /* NULL-terminated */
    const char                **audiences;  /* NULL-terminated */
    time_t                      leeway;
    ngx_str_t                   partner_claim;
    ngx_http_complex_value_t   *token;
    ngx_str_t                   token_header;   /* of "$http_NAME", lower */
    ngx_flag_t                  forward;
    ngx_array_t                *scopes;     /* govern_scope_set_t */
    ngx_str_t                   scopes_required;    /* audit JSON */

    ngx_array_t                *limits;     /* ngx_http_govern_rl_conf_t */
    ngx_uint_t                  fallback;

    ngx_http_govern_version_t  *version;

    ngx_http_govern_schema_conf_t  *schema;
    ngx_array_t                *content_types;  /* ngx_str_t */

    ngx_uint_t                  odoo;           /* 0, JSONRPC or JSON2 */
    ngx_http_govern_odoo_conf_t  *odoo_conf;

    ngx_uint_t                  idempotency;    /* 0, OPTIONAL, REQUIRED */
    ngx_msec_t                  idempotency_ttl;

    u_char                     *enable_file;        /* for nginx -t */
    ngx_uint_t                  enable_line;
    u_char                     *mark;       /* first pipeline directive */
    u_char                     *mark_file;
    ngx_uint_t                  mark_line;
    u_char                     *limits_file;
    ngx_uint_t                  limits_line;
} ngx_http_govern_loc_conf_t;


/* a replacement of the request body's bytes [start, end) */
typedef struct {
    size_t                      start;
    size_t                      end;
    ngx_str_t                   text;
} ngx_http_govern_edit_t;


/*
 * The access handler walks these stages in order; a stage returns NGX_OK
 * to go on, NGX_AGAIN after it suspended the request (it resumes it with
 * ngx_http_govern_resume()), or NGX_DONE after it refused the request
 * with ngx_http_govern_refuse().
 */

typedef ngx_int_t (*ngx_http_govern_stage_pt)(ngx_http_request_t *r);


typedef struct {
    ngx_uint_t                  stage;
    ngx_http_govern_loc_conf_t *lcf;        /* the location that decided */

    ngx_str_t                   request_id;
    ngx_str_t                   trace_id;
    ngx_str_t                   route;

    /* verified data of later stages, empty until a stage sets it */
    ngx_str_t                   partner;
    ngx_str_t                   subject;
    ngx_str_t                   scopes;
    ngx_str_t                   api_version;
    ngx_str_t                   jwt_kid;
    ngx_str_t                   jwt_jti;
    ngx_str_t                   odoo_model;
    ngx_str_t                   odoo_method;

    ngx_str_t                   issuer;
    govern_jwt_claims_t           claims;
    ngx_http_govern_rl_t       *rl;
    ngx_http_govern_version_t  *version;

    ngx_uint_t                  body_state;
    ngx_buf_t                  *body;           /* the body, contiguous */
    govern_jv_t                *json;           /* parsed, pool-owned */
    govern_jv_source_t           json_source;   /* to build lazy parts */
    ngx_http_govern_arena_t     json_arena;     /* the parse's memory */
    ngx_str_t                   body_sha256;
    ngx_buf_t                  *replacement;    /* for nginx's own page */
    govern_odoo_call_t           *odoo;
    ngx_http_govern_idem_t     *idem;
    ngx_str_t                   idempotency_key;

    govern_reason_e             reason;

    unsigned                    decided:1;
    unsigned                    token_verified:1;
    unsigned                    identified:1;   /* claim rules passed */
    unsigned                    deprecated:1;
    unsigned                    capture:1;      /* copying the body */
    unsigned                    allowed:1;
    unsigned                    headers_forwarded:1;

    u_char                      request_id_buf[GOVERN_REQUEST_ID_MAX];
    u_char                      traceparent[GOVERN_TRACEPARENT_LEN];
} ngx_http_govern_ctx_t;


ngx_http_govern_ctx_t *ngx_http_govern_get_ctx(ngx_http_request_t *r);
ngx_http_govern_ctx_t *ngx_http_govern_create_ctx(ngx_http_request_t *r);
void ngx_http_govern_resume(ngx_http_request_t *r);

ngx_int_t ngx_http_govern_trace_ids(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_uint_t forward);
ngx_int_t ngx_http_govern_trace_init(ngx_conf_t *cf);
ngx_int_t ngx_http_govern_set_header_in(ngx_http_request_t *r,
    ngx_str_t *key, ngx_str_t *lowcase, ngx_str_t *value);
ngx_table_elt_t *ngx_http_govern_find_header_in(ngx_http_request_t *r,
    ngx_str_t *lowcase);

ngx_int_t ngx_http_govern_refuse(ngx_http_request_t *r,
    govern_reason_e reason, ngx_str_t *detail);
ngx_int_t ngx_http_govern_refuse_with(ngx_http_request_t *r,
    govern_reason_e reason, ngx_str_t *detail, ngx_str_t *extra);
ngx_int_t ngx_http_govern_add_header(ngx_http_request_t *r, const char *name,
    u_char *value, size_t len);
ngx_buf_t *ngx_http_govern_problem(ngx_http_request_t *r,
    govern_reason_e reason, ngx_str_t *detail, ngx_str_t *extra);

ngx_int_t ngx_http_govern_body_stage(ngx_http_request_t *r);
ngx_int_t ngx_http_govern_body_sha256(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx);
ngx_int_t ngx_http_govern_body_init(ngx_conf_t *cf);
char *ngx_http_govern_schema_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_govern_content_types_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

ngx_int_t ngx_http_govern_odoo_stage(ngx_http_request_t *r);
ngx_buf_t *ngx_http_govern_odoo_error(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, const govern_reason_t *info,
    ngx_uint_t protocol, ngx_str_t *detail, ngx_str_t *extra);
u_char *ngx_http_govern_odoo_audit(u_char *p, ngx_http_govern_ctx_t *ctx);
size_t ngx_http_govern_odoo_audit_len(ngx_http_govern_ctx_t *ctx);
char *ngx_http_govern_odoo_allow_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_govern_odoo_context_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_govern_odoo_max_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_govern_idempotency_stage(ngx_http_request_t *r);
void ngx_http_govern_idempotency_capture(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_chain_t *in);
void ngx_http_govern_idempotency_finish(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx);
void ngx_http_govern_idempotency_cleanup(ngx_http_govern_idem_t *idem);
char *ngx_http_govern_idempotency_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_govern_credentials_apply(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_loc_conf_t *glcf,
    ngx_http_govern_edit_t *edits, ngx_uint_t *n);
ngx_int_t ngx_http_govern_body_edit(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_edit_t *edits,
    ngx_uint_t n);
ngx_int_t ngx_http_govern_odoo_headers(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx);
char *ngx_http_govern_odoo_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_govern_odoo_method_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
void ngx_http_govern_conf_mark(ngx_conf_t *cf,
    ngx_http_govern_loc_conf_t *glcf, ngx_command_t *cmd);
char *ngx_http_govern_credentials_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_govern_odoo_merge(ngx_conf_t *cf,
    ngx_http_govern_loc_conf_t *prev, ngx_http_govern_loc_conf_t *conf);

ngx_int_t ngx_http_govern_add_variables(ngx_conf_t *cf);

ngx_int_t ngx_http_govern_token_stage(ngx_http_request_t *r);
ngx_int_t ngx_http_govern_scopes_stage(ngx_http_request_t *r);
char *ngx_http_govern_enable_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_govern_jwt_keys_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_govern_strings_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
const char **ngx_http_govern_conf_strings(ngx_conf_t *cf);
ngx_int_t ngx_http_govern_digest(const u_char *data, size_t len,
    u_char *digest);
char *ngx_http_govern_scopes_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_govern_jwt_cache_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_govern_jwt_token_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_govern_token_merge(ngx_conf_t *cf,
    ngx_http_govern_loc_conf_t *prev, ngx_http_govern_loc_conf_t *conf);
ngx_int_t ngx_http_govern_token_init(ngx_conf_t *cf);

ngx_int_t ngx_http_govern_version_stage(ngx_http_request_t *r);
ngx_int_t ngx_http_govern_version_headers(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx);
char *ngx_http_govern_api_version_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

ngx_int_t ngx_http_govern_ratelimit_stage(ngx_http_request_t *r);
void ngx_http_govern_ratelimit_cleanup(ngx_http_govern_rl_t *rl);
ngx_int_t ngx_http_govern_ratelimit_headers(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx);
u_char *ngx_http_govern_ratelimit_audit(u_char *p, ngx_http_govern_rl_t *rl);
size_t ngx_http_govern_ratelimit_audit_len(ngx_http_govern_rl_t *rl);
ngx_uint_t ngx_http_govern_ratelimit_source(ngx_http_govern_rl_t *rl);

char *ngx_http_govern_metrics_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_http_govern_metrics_count(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx);
void ngx_http_govern_metrics_token_cache(ngx_http_request_t *r,
    ngx_uint_t hit);
ngx_int_t ngx_http_govern_ratelimit_remaining(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_str_t *value);
char *ngx_http_govern_redis_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_govern_rate_limit_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_govern_ratelimit_init(ngx_conf_t *cf);
ngx_shm_zone_t *ngx_http_govern_limiter_zone(ngx_conf_t *cf,
    ngx_http_govern_main_conf_t *gmcf);
ngx_int_t ngx_http_govern_limiter_take(ngx_shm_zone_t *zone, ngx_str_t *keys,
    govern_limit_t *limits, ngx_uint_t n,
    govern_limit_state_t *states, uint64_t *retry_ms);

ngx_shm_zone_t *ngx_http_govern_cache_zone(ngx_conf_t *cf, size_t size);
ngx_int_t ngx_http_govern_cache_get(ngx_shm_zone_t *zone,
    const u_char *digest, ngx_pool_t *pool,
    govern_jwt_claims_t *claims);
void ngx_http_govern_cache_put(ngx_shm_zone_t *zone, const u_char *digest,
    govern_jwt_claims_t *claims, ngx_log_t *log);

char *ngx_http_govern_audit_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_govern_audit(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx);


extern ngx_module_t  ngx_http_govern_module;


#endif /* _NGX_HTTP_GOVERN_MODULE_H_INCLUDED_ */
