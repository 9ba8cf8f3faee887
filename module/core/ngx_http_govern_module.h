
/*
 * govern: API governance for Odoo at the edge.
 * The types every layer of the glue shares: the configurations, the
 * request context, and the stage descriptor the pipeline is a list of.
 * Functions are declared by their layer's header (core, stages, observe).
 */


#ifndef _NGX_HTTP_GOVERN_MODULE_H_INCLUDED_
#define _NGX_HTTP_GOVERN_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "govern_reason.h"
#include "govern_ids.h"
#include "govern_jv.h"
#include "govern_jwt.h"
#include "govern_odoo.h"


#define NGX_HTTP_GOVERN_MAX_LIMITS           8

#define NGX_HTTP_GOVERN_RL_FALLBACK_LOCAL    0
#define NGX_HTTP_GOVERN_RL_FALLBACK_OPEN     1
#define NGX_HTTP_GOVERN_RL_FALLBACK_CLOSED   2

#define NGX_HTTP_GOVERN_REVOCATION_OPEN      0
#define NGX_HTTP_GOVERN_REVOCATION_CLOSED    1
#define NGX_HTTP_GOVERN_TOKEN_HEADER         1
#define NGX_HTTP_GOVERN_TOKEN_PASSWORD       2
#define NGX_HTTP_GOVERN_TOKEN_ANY            3

#define NGX_HTTP_GOVERN_IDEM_OPTIONAL        1
#define NGX_HTTP_GOVERN_IDEM_REQUIRED        2

#define NGX_HTTP_GOVERN_RL_SOURCE_NONE       0
#define NGX_HTTP_GOVERN_RL_SOURCE_REDIS      1
#define NGX_HTTP_GOVERN_RL_SOURCE_LOCAL      2


typedef struct ngx_http_govern_audit_s  ngx_http_govern_audit_t;
typedef struct ngx_http_govern_audit_key_s  ngx_http_govern_audit_key_t;
typedef struct ngx_http_govern_rl_s     ngx_http_govern_rl_t;
typedef struct ngx_http_govern_version_s  ngx_http_govern_version_t;
typedef struct ngx_http_govern_schema_conf_s  ngx_http_govern_schema_conf_t;
typedef struct ngx_http_govern_odoo_conf_s  ngx_http_govern_odoo_conf_t;
typedef struct ngx_http_govern_idem_s   ngx_http_govern_idem_t;
typedef struct ngx_http_govern_redis_conf_s  ngx_http_govern_redis_conf_t;
typedef struct ngx_http_govern_keys_source_s  ngx_http_govern_keys_source_t;
typedef struct ngx_http_govern_keys_wait_s  ngx_http_govern_keys_wait_t;
typedef struct ngx_http_govern_revocation_s  ngx_http_govern_revocation_t;
typedef struct ngx_http_govern_webhook_conf_s  ngx_http_govern_webhook_conf_t;
typedef struct ngx_http_govern_webhook_sign_s  ngx_http_govern_webhook_sign_t;
typedef struct ngx_http_govern_webhook_s  ngx_http_govern_webhook_t;
typedef struct ngx_http_govern_ctx_s    ngx_http_govern_ctx_t;
typedef struct ngx_http_govern_loc_conf_s  ngx_http_govern_loc_conf_t;


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
    ngx_array_t                *key_sources;    /* of ..._keys_source_t * */
    ngx_shm_zone_t             *keys_zone;
    ngx_array_t                *audit_files;    /* audit file pointers */
    ngx_http_govern_audit_key_t  *audit_key;    /* NULL: plain records */
} ngx_http_govern_main_conf_t;


struct ngx_http_govern_loc_conf_s {
    ngx_flag_t                  enable;
    ngx_str_t                   route;      /* empty: the location name */
    ngx_http_govern_audit_t    *audit;      /* NULL: audit off */

    govern_jwt_keys_t          *keys;       /* from files */
    ngx_http_govern_keys_source_t  *keys_source;    /* fetched */
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
    ngx_flag_t                  revocation;     /* with govern_redis */
    ngx_uint_t                  revocation_fallback;

    ngx_http_govern_version_t  *version;

    ngx_http_govern_schema_conf_t  *schema;
    ngx_array_t                *content_types;  /* ngx_str_t */

    ngx_uint_t                  odoo;           /* 0, JSONRPC, JSON2, XMLRPC */
    ngx_uint_t                  odoo_token;     /* where the token may be */
    ngx_http_govern_odoo_conf_t  *odoo_conf;

    ngx_uint_t                  idempotency;    /* 0, OPTIONAL, REQUIRED */
    ngx_msec_t                  idempotency_ttl;

    /* a webhook route verifies a signature instead of a token */
    ngx_http_govern_webhook_conf_t  *webhook;
    ngx_http_govern_webhook_sign_t  *webhook_sign;  /* outbound */

    u_char                     *enable_file;        /* for nginx -t */
    ngx_uint_t                  enable_line;
    u_char                     *mark;       /* first pipeline directive */
    u_char                     *mark_file;
    ngx_uint_t                  mark_line;
    u_char                     *limits_file;
    ngx_uint_t                  limits_line;

    /* the refusal's body in the shape the route's clients expect (Odoo's
     * on govern_odoo routes), installed by the stage that owns the shape;
     * NULL: problem+json */
    ngx_buf_t                *(*refusal)(ngx_http_request_t *r,
                                 ngx_http_govern_ctx_t *ctx,
                                 const govern_reason_t *info,
                                 ngx_str_t *detail, ngx_str_t *extra);
};


/* a replacement of the request body's bytes [start, end) */
typedef struct {
    size_t                      start;
    size_t                      end;
    ngx_str_t                   text;
} ngx_http_govern_edit_t;


struct ngx_http_govern_ctx_s {
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
    ngx_http_govern_webhook_t  *webhook;

    govern_reason_e             reason;
    ngx_uint_t                  token_cache;    /* 1 hit, 2 miss */
    ngx_str_t                   key_source;     /* of the verifying key */
    ngx_http_govern_keys_wait_t  *keys_wait;
    ngx_uint_t                  revocation;     /* govern_revoke_e */
    ngx_http_govern_revocation_t  *revocation_state;

    unsigned                    decided:1;
    unsigned                    token_verified:1;
    unsigned                    identified:1;   /* claim rules passed */
    unsigned                    deprecated:1;
    unsigned                    reading:1;      /* reading the body */
    unsigned                    capture:1;      /* copying the body */
    unsigned                    allowed:1;
    unsigned                    headers_forwarded:1;
    unsigned                    keys_refetched:1;   /* waited once */

    u_char                      request_id_buf[GOVERN_REQUEST_ID_MAX];
    u_char                      traceparent[GOVERN_TRACEPARENT_LEN];
};


/*
 * A stage of the pipeline: module.c walks the list of them
 * (ngx_http_govern_stages[]) for every hook.  access() returns NGX_OK to
 * go on, NGX_AGAIN after it suspended the request (ngx_http_govern_suspend:
 * the walk resumes at the same stage), NGX_DONE after it refused the
 * request (ngx_http_govern_refuse).  headers() adds the stage's response
 * headers, body() sees the response body as it leaves.  Every hook may be
 * NULL.
 */

typedef struct {
    const char                 *name;

    /* configuration: defaults of its fields, their merge, postconfiguration */
    void                      (*create_conf)(ngx_http_govern_loc_conf_t *conf);
    char                     *(*merge_conf)(ngx_conf_t *cf,
                                   ngx_http_govern_loc_conf_t *prev,
                                   ngx_http_govern_loc_conf_t *conf);
    ngx_int_t                 (*init)(ngx_conf_t *cf);

    /* request time: its step of the decision, its response headers */
    ngx_int_t                 (*access)(ngx_http_request_t *r,
                                   ngx_http_govern_ctx_t *ctx);
    ngx_int_t                 (*headers)(ngx_http_request_t *r,
                                   ngx_http_govern_ctx_t *ctx);
    void                      (*body)(ngx_http_request_t *r,
                                   ngx_http_govern_ctx_t *ctx,
                                   ngx_chain_t *in);

    /* the log phase, before the audit record is written */
    void                      (*log)(ngx_http_request_t *r,
                                   ngx_http_govern_ctx_t *ctx);
} ngx_http_govern_stage_t;


extern ngx_module_t  ngx_http_govern_module;


#endif /* _NGX_HTTP_GOVERN_MODULE_H_INCLUDED_ */
