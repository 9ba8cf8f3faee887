
/*
 * govern: the pipeline's stages, each in a file of its own, and what they
 * offer one another and the observers.
 */


#ifndef _NGX_HTTP_GOVERN_STAGES_H_INCLUDED_
#define _NGX_HTTP_GOVERN_STAGES_H_INCLUDED_


#include "ngx_http_govern_core.h"
#include "govern_schema.h"
#include "govern_rate.h"
#include "govern_scopes.h"


/* govern_schema: shared by the body stage (which reads) and the schema's */
struct ngx_http_govern_schema_conf_s {
    govern_schema_t            *schema;
    ngx_uint_t                  methods;
    ngx_str_t                   file;
};


/* the stages, in the order the access handler walks them */
extern const ngx_http_govern_stage_t  ngx_http_govern_trace_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_token_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_scopes_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_version_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_ratelimit_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_body_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_xmlrpc_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_schema_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_odoo_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_credentials_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_idempotency_stage;


/* trace */
ngx_int_t ngx_http_govern_trace_ids(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_uint_t forward);

/* token */
char *ngx_http_govern_jwt_keys_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_govern_jwt_cache_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_govern_jwt_token_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
ngx_shm_zone_t *ngx_http_govern_cache_zone(ngx_conf_t *cf, size_t size);
ngx_int_t ngx_http_govern_cache_get(ngx_shm_zone_t *zone,
    const u_char *digest, ngx_pool_t *pool, govern_jwt_claims_t *claims);
void ngx_http_govern_cache_put(ngx_shm_zone_t *zone, const u_char *digest,
    govern_jwt_claims_t *claims, ngx_log_t *log);

/* scopes */
ngx_int_t ngx_http_govern_www_authenticate(ngx_http_request_t *r,
    const char *error, const char *name, ngx_str_t *value);
char *ngx_http_govern_scopes_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* version */
char *ngx_http_govern_api_version_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

/* rate limit */
char *ngx_http_govern_rate_limit_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
u_char *ngx_http_govern_ratelimit_audit(u_char *p, ngx_http_govern_rl_t *rl);
size_t ngx_http_govern_ratelimit_audit_len(ngx_http_govern_rl_t *rl);
ngx_uint_t ngx_http_govern_ratelimit_source(ngx_http_govern_rl_t *rl);
ngx_int_t ngx_http_govern_ratelimit_remaining(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_str_t *value);
ngx_shm_zone_t *ngx_http_govern_limiter_zone(ngx_conf_t *cf,
    ngx_http_govern_main_conf_t *gmcf);
ngx_int_t ngx_http_govern_limiter_take(ngx_shm_zone_t *zone, ngx_str_t *keys,
    govern_limit_t *limits, ngx_uint_t n, govern_limit_state_t *states,
    uint64_t *retry_ms);

/* body and schema */
ngx_int_t ngx_http_govern_body_sha256(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx);
ngx_int_t ngx_http_govern_body_edit(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_edit_t *edits,
    ngx_uint_t n);
char *ngx_http_govern_schema_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_govern_content_types_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

/* Odoo policy and credentials */
char *ngx_http_govern_odoo_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_govern_odoo_allow_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_govern_odoo_method_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_govern_odoo_context_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
char *ngx_http_govern_odoo_max_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
u_char *ngx_http_govern_odoo_audit(u_char *p, ngx_http_govern_ctx_t *ctx);
size_t ngx_http_govern_odoo_audit_len(ngx_http_govern_ctx_t *ctx);
char *ngx_http_govern_credentials_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);

/* XML-RPC: refusals as Odoo's faults, credentials in its marshalling */
ngx_buf_t *ngx_http_govern_xmlrpc_refusal(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, const govern_reason_t *info,
    ngx_str_t *detail, ngx_str_t *extra);
ngx_int_t ngx_http_govern_xmlrpc_credentials(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_str_t *db, ngx_int_t uid,
    ngx_str_t *key, ngx_http_govern_edit_t *edits, ngx_uint_t *n);
ngx_int_t ngx_http_govern_credentials_uid(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_int_t *uid);

/* idempotency */
char *ngx_http_govern_idempotency_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);


#endif /* _NGX_HTTP_GOVERN_STAGES_H_INCLUDED_ */
