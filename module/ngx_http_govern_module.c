
/*
 * govern: API governance for Odoo at the edge.
 *
 * The module's directives, configuration, and the access-phase handler
 * that runs the governance stages of a request in order, as a state
 * machine a stage may suspend (NGX_AGAIN) and resume.
 */


#include "ngx_http_govern_module.h"


static ngx_int_t ngx_http_govern_access_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_govern_log_handler(ngx_http_request_t *r);
static void ngx_http_govern_ctx_cleanup(void *data);

static ngx_int_t ngx_http_govern_init_process(ngx_cycle_t *cycle);
static void ngx_http_govern_exit_process(ngx_cycle_t *cycle);
static ngx_int_t ngx_http_govern_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_govern_postconfiguration(ngx_conf_t *cf);
static void *ngx_http_govern_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_govern_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_govern_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_govern_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);


static ngx_conf_enum_t  ngx_http_govern_fallbacks[] = {
    { ngx_string("local"), NGX_HTTP_GOVERN_RL_FALLBACK_LOCAL },
    { ngx_string("open"), NGX_HTTP_GOVERN_RL_FALLBACK_OPEN },
    { ngx_string("closed"), NGX_HTTP_GOVERN_RL_FALLBACK_CLOSED },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_govern_odoo_protocols[] = {
    { ngx_string("off"), 0 },
    { ngx_string("jsonrpc"), GOVERN_ODOO_JSONRPC },
    { ngx_string("json2"), GOVERN_ODOO_JSON2 },
    { ngx_null_string, 0 }
};


static ngx_command_t  ngx_http_govern_commands[] = {

    { ngx_string("govern"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_http_govern_enable_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_govern_loc_conf_t, enable),
      NULL },

    { ngx_string("govern_route"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_govern_loc_conf_t, route),
      NULL },

    { ngx_string("govern_jwt_keys"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE123,
      ngx_http_govern_jwt_keys_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("govern_jwt_issuer"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_govern_strings_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_govern_loc_conf_t, issuers),
      NULL },

    { ngx_string("govern_jwt_audience"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_govern_strings_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_govern_loc_conf_t, audiences),
      NULL },

    { ngx_string("govern_jwt_leeway"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_govern_loc_conf_t, leeway),
      NULL },

    { ngx_string("govern_partner_claim"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_govern_loc_conf_t, partner_claim),
      NULL },

    { ngx_string("govern_jwt_token"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_govern_jwt_token_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_govern_loc_conf_t, token),
      NULL },

    { ngx_string("govern_jwt_forward"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_govern_loc_conf_t, forward),
      NULL },

    { ngx_string("govern_jwt_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_govern_jwt_cache_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("govern_scopes"),
      NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_govern_scopes_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("govern_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_govern_redis_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("govern_rate_limit"),
      NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_2MORE,
      ngx_http_govern_rate_limit_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("govern_rate_limit_fallback"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_govern_loc_conf_t, fallback),
      &ngx_http_govern_fallbacks },

    { ngx_string("govern_api_version"),
      NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_govern_api_version_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("govern_schema"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_govern_schema_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("govern_content_types"),
      NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_govern_content_types_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("govern_odoo"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_govern_odoo_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_govern_loc_conf_t, odoo),
      &ngx_http_govern_odoo_protocols },

    { ngx_string("govern_odoo_allow"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE3,
      ngx_http_govern_odoo_allow_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("govern_odoo_context_allow"),
      NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_govern_odoo_context_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("govern_odoo_max_records"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_govern_odoo_max_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("govern_odoo_method"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE3,
      ngx_http_govern_odoo_method_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("govern_odoo_credentials"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_govern_credentials_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("govern_idempotency"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_http_govern_idempotency_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("govern_audit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_govern_audit_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("govern_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_govern_metrics_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_govern_module_ctx = {
    ngx_http_govern_preconfiguration,      /* preconfiguration */
    ngx_http_govern_postconfiguration,     /* postconfiguration */

    ngx_http_govern_create_main_conf,      /* create main configuration */
    ngx_http_govern_init_main_conf,        /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_govern_create_loc_conf,       /* create location configuration */
    ngx_http_govern_merge_loc_conf         /* merge location configuration */
};


ngx_module_t  ngx_http_govern_module = {
    NGX_MODULE_V1,
    &ngx_http_govern_module_ctx,           /* module context */
    ngx_http_govern_commands,              /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_govern_init_process,          /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_govern_exit_process,          /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


/*
 * The governance stages, cheapest first (DESIGN section 2): token,
 * scopes, version, rate limit, body, schema, Odoo policy and idempotency
 * join this table as they are built.
 */

static ngx_http_govern_stage_pt  ngx_http_govern_stages[] = {
    ngx_http_govern_token_stage,
    ngx_http_govern_scopes_stage,
    ngx_http_govern_version_stage,
    ngx_http_govern_ratelimit_stage,
    ngx_http_govern_body_stage,
    ngx_http_govern_odoo_stage,
    ngx_http_govern_idempotency_stage,
    NULL
};


static ngx_int_t
ngx_http_govern_access_handler(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    ngx_http_govern_ctx_t       *ctx;
    ngx_http_govern_stage_pt     stage;
    ngx_http_govern_loc_conf_t  *glcf;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);

    if (!glcf->enable) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_govern_get_ctx(r);

    if (ctx == NULL) {
        ctx = ngx_http_govern_create_ctx(r);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ngx_http_govern_trace_ids(r, ctx, 1) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

    } else if (ctx->decided) {

        if (!ctx->allowed) {
            return govern_reason(ctx->reason)->status;
        }

        if (ctx->lcf == glcf) {
            return NGX_DECLINED;
        }

        /*
         * an internal redirect brought an allowed request to a location
         * governed by other rules: those rules decide again
         */

        ctx->decided = 0;
        ctx->stage = 0;
        ctx->lcf = glcf;
    }

    for ( ;; ) {
        stage = ngx_http_govern_stages[ctx->stage];

        if (stage == NULL) {
            break;
        }

        rc = stage(r);

        if (rc != NGX_OK) {
            /* NGX_AGAIN: suspended; NGX_DONE: refused; or an error */
            return rc;
        }

        ctx->stage++;
    }

    ctx->decided = 1;
    ctx->allowed = 1;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "govern: allowed request \"%V\"", &ctx->request_id);

    /*
     * governance is a gate of its own: an allowed request still passes
     * every other access check, even under "satisfy any"
     */

    return NGX_DECLINED;
}


/*
 * ngx_http_internal_redirect() clears r->ctx; like the realip module we
 * find the context again through the pool cleanup that carries it, so
 * the decision, ids and audit data survive error_page and X-Accel-Redirect.
 */

ngx_http_govern_ctx_t *
ngx_http_govern_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t     *cln;
    ngx_http_govern_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_govern_module);

    if (ctx || !(r->internal || r->filter_finalize)) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_govern_ctx_cleanup) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_http_govern_module);
            return ctx;
        }
    }

    return NULL;
}


ngx_http_govern_ctx_t *
ngx_http_govern_create_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t          *cln;
    ngx_http_govern_ctx_t       *ctx;
    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_govern_loc_conf_t  *glcf;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_govern_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_govern_ctx_cleanup;
    cln->data = ctx;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);
    ctx->lcf = glcf;

    if (glcf->route.len) {
        ctx->route = glcf->route;

    } else {
        clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);
        ctx->route = clcf->name;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_govern_module);

    return ctx;
}


static void
ngx_http_govern_ctx_cleanup(void *data)
{
    ngx_http_govern_ctx_t  *ctx = data;

    /*
     * Also marks the pool cleanup that carries the context (see
     * ngx_http_govern_get_ctx()).  Work a stage suspended the request
     * for is cancelled here, whatever ended the request.
     */

    if (ctx->rl) {
        ngx_http_govern_ratelimit_cleanup(ctx->rl);
    }

    if (ctx->idem) {
        ngx_http_govern_idempotency_cleanup(ctx->idem);
    }
}


/*
 * Called by a stage's event handler once the work it suspended the
 * request for is done: re-enters the access handler, which continues
 * at the stage that suspended.
 */

void
ngx_http_govern_resume(ngx_http_request_t *r)
{
    ngx_connection_t  *c;

    c = r->connection;

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);
    ngx_http_run_posted_requests(c);
}


static ngx_int_t
ngx_http_govern_init_process(ngx_cycle_t *cycle)
{
    ngx_http_govern_main_conf_t  *gmcf;

    gmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_govern_module);

    /* connections belong to workers, opened after the fork */

    if (gmcf == NULL || gmcf->redis == NULL
        || (ngx_process != NGX_PROCESS_WORKER
            && ngx_process != NGX_PROCESS_SINGLE))
    {
        return NGX_OK;
    }

    return ngx_http_govern_redis_init_process(cycle, gmcf->redis);
}


static void
ngx_http_govern_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_govern_main_conf_t  *gmcf;

    gmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_govern_module);

    if (gmcf && gmcf->redis) {
        ngx_http_govern_redis_exit_process(gmcf->redis);
    }
}


static ngx_int_t
ngx_http_govern_preconfiguration(ngx_conf_t *cf)
{
    return ngx_http_govern_add_variables(cf);
}


static ngx_int_t
ngx_http_govern_postconfiguration(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_govern_access_handler;

    if (ngx_http_govern_trace_init(cf) != NGX_OK
        || ngx_http_govern_token_init(cf) != NGX_OK
        || ngx_http_govern_ratelimit_init(cf) != NGX_OK
        || ngx_http_govern_body_init(cf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_govern_log_handler;

    return NGX_OK;
}


/*
 * One log-phase pass: settle the idempotency key, count the request, then
 * write its record.
 */

static ngx_int_t
ngx_http_govern_log_handler(ngx_http_request_t *r)
{
    ngx_http_govern_ctx_t       *ctx;
    ngx_http_govern_loc_conf_t  *glcf;

    if (r != r->main) {
        return NGX_OK;
    }

    ctx = ngx_http_govern_get_ctx(r);

    if (ctx == NULL) {
        glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);

        if (!glcf->enable) {
            return NGX_OK;
        }

        /* nginx answered before the access phase, e.g. 400 or 413 */

        ctx = ngx_http_govern_create_ctx(r);
        if (ctx == NULL || ngx_http_govern_trace_ids(r, ctx, 0) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    if (ctx->idem) {
        ngx_http_govern_idempotency_finish(r, ctx);
    }

    ngx_http_govern_metrics_count(r, ctx);

    return ngx_http_govern_audit(r, ctx);
}


static void *
ngx_http_govern_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_govern_main_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_govern_main_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->jwt_cache_size = NGX_CONF_UNSET;

    return conf;
}


static char *
ngx_http_govern_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_govern_main_conf_t *gmcf = conf;

    if (gmcf->jwt_cache_size == NGX_CONF_UNSET) {
        gmcf->jwt_cache_size = 10 * 1024 * 1024;
    }

    if (gmcf->need_limiter) {
        gmcf->limiter = ngx_http_govern_limiter_zone(cf, gmcf);
        if (gmcf->limiter == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    if (gmcf->jwt_cache_size) {
        gmcf->jwt_cache = ngx_http_govern_cache_zone(cf,
                                                     gmcf->jwt_cache_size);
        if (gmcf->jwt_cache == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/*
 * Records the first directive of a location block that only the pipeline
 * reads: without "govern on" there, nginx -t refuses it rather than let
 * a security team believe it applies.
 */

void
ngx_http_govern_conf_mark(ngx_conf_t *cf, ngx_http_govern_loc_conf_t *glcf,
    ngx_command_t *cmd)
{
    if (cf->cmd_type != NGX_HTTP_LOC_CONF || glcf->mark) {
        return;
    }

    glcf->mark = cmd->name.data;
    glcf->mark_file = cf->conf_file->file.name.data;
    glcf->mark_line = cf->conf_file->line;
}


static void *
ngx_http_govern_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_govern_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_govern_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->route = { 0, NULL };
     *     conf->partner_claim = { 0, NULL };
     *     conf->scopes = NULL;
     *     conf->scopes_required = { 0, NULL };
     *     conf->enable_file = NULL;
     */

    conf->enable = NGX_CONF_UNSET;
    conf->audit = NGX_CONF_UNSET_PTR;
    conf->keys = NGX_CONF_UNSET_PTR;
    conf->issuers = NGX_CONF_UNSET_PTR;
    conf->audiences = NGX_CONF_UNSET_PTR;
    conf->leeway = NGX_CONF_UNSET;
    conf->token = NGX_CONF_UNSET_PTR;
    conf->forward = NGX_CONF_UNSET;
    conf->limits = NGX_CONF_UNSET_PTR;
    conf->version = NGX_CONF_UNSET_PTR;
    conf->schema = NGX_CONF_UNSET_PTR;
    conf->content_types = NGX_CONF_UNSET_PTR;
    conf->odoo = NGX_CONF_UNSET_UINT;
    conf->idempotency = NGX_CONF_UNSET_UINT;
    conf->idempotency_ttl = NGX_CONF_UNSET_MSEC;
    conf->odoo_conf = NGX_CONF_UNSET_PTR;
    conf->fallback = NGX_CONF_UNSET_UINT;

    return conf;
}


static char *
ngx_http_govern_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_govern_loc_conf_t  *prev = parent;
    ngx_http_govern_loc_conf_t  *conf = child;

    ngx_flag_t                    limits_here;
    ngx_http_govern_main_conf_t  *gmcf;

    limits_here = (conf->limits != NGX_CONF_UNSET_PTR);

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_ptr_value(conf->audit, prev->audit, NULL);
    ngx_conf_merge_ptr_value(conf->limits, prev->limits, NULL);
    ngx_conf_merge_ptr_value(conf->version, prev->version, NULL);
    ngx_conf_merge_ptr_value(conf->schema, prev->schema, NULL);
    ngx_conf_merge_ptr_value(conf->content_types, prev->content_types, NULL);
    ngx_conf_merge_uint_value(conf->idempotency, prev->idempotency, 0);
    ngx_conf_merge_msec_value(conf->idempotency_ttl, prev->idempotency_ttl,
                              24 * 60 * 60 * 1000);
    ngx_conf_merge_uint_value(conf->fallback, prev->fallback,
                              NGX_HTTP_GOVERN_RL_FALLBACK_LOCAL);

    /* directives that only the pipeline reads, where it never runs */

    if (!conf->enable && conf->mark) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"%s\" has no effect without \"govern on\" in %s:%ui",
                      conf->mark, conf->mark_file, conf->mark_line);
        return NGX_CONF_ERROR;
    }

    if (limits_here) {
        gmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_govern_module);

        if (gmcf->redis == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"govern_rate_limit\" needs \"govern_redis\" "
                          "(limits are shared by the gateways through Redis)"
                          " in %s:%ui", conf->limits_file, conf->limits_line);
            return NGX_CONF_ERROR;
        }
    }

    if (ngx_http_govern_odoo_merge(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    return ngx_http_govern_token_merge(cf, prev, conf);
}
