
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
#include "govern_revoke.h"


/* govern_schema: shared by the body stage (which reads) and the schema's */
struct ngx_http_govern_schema_conf_s {
    govern_schema_t            *schema;
    ngx_uint_t                  methods;
    ngx_str_t                   file;
};


/* the stages, in the order the access handler walks them */
extern const ngx_http_govern_stage_t  ngx_http_govern_trace_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_webhook_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_keys_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_token_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_scopes_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_version_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_revocation_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_ratelimit_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_body_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_xmlrpc_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_schema_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_odoo_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_credentials_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_idempotency_stage;
extern const ngx_http_govern_stage_t  ngx_http_govern_webhook_dedupe_stage;


/* trace */
ngx_int_t ngx_http_govern_trace_ids(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_uint_t forward);

/* keys from the identity provider: fetches by result */
#define NGX_HTTP_GOVERN_KEYS_OK        0
#define NGX_HTTP_GOVERN_KEYS_ERROR     1
#define NGX_HTTP_GOVERN_KEYS_INVALID   2
#define NGX_HTTP_GOVERN_KEYS_ABORTED   3
#define NGX_HTTP_GOVERN_KEYS_RESULTS   4

char *ngx_http_govern_keys_request_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
govern_jwt_keys_t *ngx_http_govern_keys_current(ngx_http_request_t *r,
    ngx_http_govern_loc_conf_t *glcf);
ngx_int_t ngx_http_govern_keys_unknown_kid(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx);
ngx_uint_t ngx_http_govern_keys_pending(ngx_http_govern_ctx_t *ctx);
void ngx_http_govern_keys_header_filter(ngx_http_request_t *sr);
ngx_int_t ngx_http_govern_keys_body_filter(ngx_http_request_t *sr,
    ngx_chain_t *in);
ngx_http_govern_keys_source_t *ngx_http_govern_keys_stats(
    ngx_http_govern_main_conf_t *gmcf, ngx_uint_t i,
    ngx_atomic_uint_t *fetches, int64_t *age, size_t *nkeys);
ngx_str_t *ngx_http_govern_keys_source_uri(
    ngx_http_govern_keys_source_t *src);

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

/* revocation: the script's keys and iat, its verdicts */
typedef struct {
    ngx_uint_t                  nkeys;
    ngx_str_t                   keys[2];
    ngx_str_t                   iat;            /* empty: none */
} ngx_http_govern_revocation_args_t;

ngx_int_t ngx_http_govern_revocation_args(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_revocation_args_t *args);
govern_revoke_e ngx_http_govern_revocation_parse(redisReply *reply);
ngx_int_t ngx_http_govern_revocation_verdict(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, govern_revoke_e verdict);
ngx_int_t ngx_http_govern_revocation_unavailable(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx);
ngx_uint_t ngx_http_govern_ratelimit_carries_revocation(
    ngx_http_govern_loc_conf_t *glcf);
ngx_int_t ngx_http_govern_ratelimit_revocation(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_rl_t **check);
ngx_int_t ngx_http_govern_ratelimit_revocation_verdict(
    ngx_http_govern_rl_t *check, govern_revoke_e *verdict);

/* body and schema: where the body's read is (ctx->body_state) */
#define NGX_HTTP_GOVERN_BODY_NONE     0
#define NGX_HTTP_GOVERN_BODY_READING  1
#define NGX_HTTP_GOVERN_BODY_READ     2
#define NGX_HTTP_GOVERN_BODY_DONE     3

ngx_int_t ngx_http_govern_body_read(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_uint_t copy);
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

/* webhooks: verified instead of a token, deduplicated; signed outbound */
char *ngx_http_govern_webhook_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_govern_webhook_sign_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
u_char *ngx_http_govern_webhook_audit(u_char *p, ngx_http_govern_ctx_t *ctx);
size_t ngx_http_govern_webhook_audit_len(ngx_http_govern_ctx_t *ctx);


#endif /* _NGX_HTTP_GOVERN_STAGES_H_INCLUDED_ */
