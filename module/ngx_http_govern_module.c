
/*
 * govern: API governance for Odoo at the edge.
 *
 * The module's directives, configuration, and the access-phase handler
 * that runs the governance stages of a request in order, as a state
 * machine a stage may suspend (NGX_AGAIN) and resume.
 */


#include "ngx_http_govern_observe.h"


static char *ngx_http_govern_enable_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_http_govern_access_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_govern_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_govern_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_govern_log_handler(ngx_http_request_t *r);

static ngx_int_t ngx_http_govern_init_process(ngx_cycle_t *cycle);
static void ngx_http_govern_exit_process(ngx_cycle_t *cycle);
static ngx_int_t ngx_http_govern_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_govern_postconfiguration(ngx_conf_t *cf);
static void *ngx_http_govern_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_govern_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_govern_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_govern_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;

static ngx_str_t  ngx_http_govern_too_large =
    ngx_string("the request body is larger than client_max_body_size");
static ngx_str_t  ngx_http_govern_request_id_key = ngx_string("X-Request-Id");


static ngx_conf_enum_t  ngx_http_govern_fallbacks[] = {
    { ngx_string("local"), NGX_HTTP_GOVERN_RL_FALLBACK_LOCAL },
    { ngx_string("open"), NGX_HTTP_GOVERN_RL_FALLBACK_OPEN },
    { ngx_string("closed"), NGX_HTTP_GOVERN_RL_FALLBACK_CLOSED },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_govern_revocation_fallbacks[] = {
    { ngx_string("open"), NGX_HTTP_GOVERN_REVOCATION_OPEN },
    { ngx_string("closed"), NGX_HTTP_GOVERN_REVOCATION_CLOSED },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_govern_odoo_protocols[] = {
    { ngx_string("off"), 0 },
    { ngx_string("jsonrpc"), GOVERN_ODOO_JSONRPC },
    { ngx_string("json2"), GOVERN_ODOO_JSON2 },
    { ngx_string("xmlrpc"), GOVERN_ODOO_XMLRPC },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_http_govern_odoo_tokens[] = {
    { ngx_string("header"), NGX_HTTP_GOVERN_TOKEN_HEADER },
    { ngx_string("password"), NGX_HTTP_GOVERN_TOKEN_PASSWORD },
    { ngx_string("any"), NGX_HTTP_GOVERN_TOKEN_ANY },
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

    { ngx_string("govern_jwt_keys_request"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_govern_keys_request_directive,
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

    { ngx_string("govern_revocation"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_govern_loc_conf_t, revocation),
      NULL },

    { ngx_string("govern_revocation_fallback"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_govern_loc_conf_t, revocation_fallback),
      &ngx_http_govern_revocation_fallbacks },

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

    { ngx_string("govern_odoo_token"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_enum_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_govern_loc_conf_t, odoo_token),
      &ngx_http_govern_odoo_tokens },

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

    { ngx_string("govern_webhook"),
      NGX_HTTP_LOC_CONF|NGX_CONF_2MORE,
      ngx_http_govern_webhook_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("govern_webhook_sign"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE3,
      ngx_http_govern_webhook_sign_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("govern_audit"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_govern_audit_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("govern_audit_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE12,
      ngx_http_govern_audit_key_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
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
 * The pipeline, cheapest first (DESIGN section 2): nothing that costs
 * Redis or a body runs before the token is verified.  A new stage is a
 * file under stages/ and its line here.  The keys stage comes before the
 * token's: a route waits there for its first key set, and a due one is
 * refreshed in the background; the token stage asks it for a refetch
 * when it meets an unknown kid.  A webhook route verifies its sender
 * (and reads the body) where a token route verifies its token, and
 * records the event last, once every other stage let it through.
 */

static const ngx_http_govern_stage_t  *ngx_http_govern_stages[] = {
    &ngx_http_govern_trace_stage,
    &ngx_http_govern_audit_stage,           /* observe's: fail closed */
    &ngx_http_govern_webhook_stage,         /* instead of keys and token */
    &ngx_http_govern_keys_stage,
    &ngx_http_govern_token_stage,
    &ngx_http_govern_scopes_stage,
    &ngx_http_govern_version_stage,
    &ngx_http_govern_revocation_stage,
    &ngx_http_govern_ratelimit_stage,
    &ngx_http_govern_body_stage,
    &ngx_http_govern_xmlrpc_stage,
    &ngx_http_govern_schema_stage,
    &ngx_http_govern_odoo_stage,
    &ngx_http_govern_credentials_stage,
    &ngx_http_govern_idempotency_stage,
    &ngx_http_govern_webhook_dedupe_stage,
    NULL
};


static ngx_int_t
ngx_http_govern_access_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_http_govern_ctx_t          *ctx;
    ngx_http_govern_loc_conf_t     *glcf;
    const ngx_http_govern_stage_t  *stage;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);

    /* a subrequest (the key set's fetch among them) is the gateway's own */

    if (!glcf->enable || r != r->main) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_govern_get_ctx(r);

    if (ctx == NULL) {
        ctx = ngx_http_govern_create_ctx(r);
        if (ctx == NULL) {
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

    for ( /* void */ ; ngx_http_govern_stages[ctx->stage]; ctx->stage++) {
        stage = ngx_http_govern_stages[ctx->stage];

        if (stage->access == NULL) {
            continue;
        }

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "govern: stage %s", stage->name);

        rc = stage->access(r, ctx);

        if (rc != NGX_OK) {
            /* NGX_AGAIN: suspended; NGX_DONE: refused; or an error */
            return rc;
        }
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
 * Every governed response: the request id, then each stage's headers
 * (rate limits, deprecation, a clamped limit); a page nginx itself
 * produced for a governed request becomes a refusal of ours.
 */

static ngx_int_t
ngx_http_govern_header_filter(ngx_http_request_t *r)
{
    ngx_uint_t                   i;
    ngx_list_part_t             *part;
    ngx_table_elt_t             *h;
    ngx_http_govern_ctx_t       *ctx;
    ngx_http_govern_loc_conf_t  *glcf;

    if (r != r->main) {
        /* a fetch of the key set records its status and freshness */
        ngx_http_govern_keys_header_filter(r);
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_govern_get_ctx(r);

    if (ctx == NULL) {
        glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);

        if (!glcf->enable) {
            return ngx_http_next_header_filter(r);
        }

        /* refused by nginx itself before the access phase, e.g. 413 */

        ctx = ngx_http_govern_create_ctx(r);
        if (ctx == NULL || ngx_http_govern_trace_ids(r, ctx, 0) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    /*
     * nginx itself refused a body it was reading for us (a chunked body
     * over client_max_body_size): the audit names the reason
     */

    if (ctx->reading && r->headers_out.status
                        == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE)
    {
        ctx->reading = 0;
        ctx->capture = 0;

        /* its HTML page becomes our problem+json (the body filter) */

        ctx->replacement = ngx_http_govern_problem(r,
                               GOVERN_REASON_BODY_TOO_LARGE,
                               &ngx_http_govern_too_large, NULL);
        if (ctx->replacement == NULL) {
            return NGX_ERROR;
        }
    }

    /* the upstream's own X-Request-Id must not contradict ours */

    part = &r->headers_out.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash
            && h[i].key.len == ngx_http_govern_request_id_key.len
            && ngx_strncasecmp(h[i].key.data,
                               ngx_http_govern_request_id_key.data,
                               ngx_http_govern_request_id_key.len) == 0)
        {
            h[i].hash = 0;
        }
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key = ngx_http_govern_request_id_key;
    h->value = ctx->request_id;

    for (i = 0; ngx_http_govern_stages[i]; i++) {
        if (ngx_http_govern_stages[i]->headers
            && ngx_http_govern_stages[i]->headers(r, ctx) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return ngx_http_next_header_filter(r);
}


/* sends the replacement instead of whatever nginx's page was */

static ngx_int_t
ngx_http_govern_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_int_t               rc;
    ngx_uint_t              i;
    ngx_buf_t              *b;
    ngx_chain_t             out;
    ngx_http_govern_ctx_t  *ctx;

    if (r != r->main) {
        /* a fetch of the key set keeps its body: it goes no further */
        rc = ngx_http_govern_keys_body_filter(r, in);
        return (rc == NGX_DECLINED) ? ngx_http_next_body_filter(r, in) : rc;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_govern_module);

    if (ctx == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    for (i = 0; ngx_http_govern_stages[i]; i++) {
        if (ngx_http_govern_stages[i]->body) {
            ngx_http_govern_stages[i]->body(r, ctx, in);
        }
    }

    if (ctx->replacement == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    for ( /* void */ ; in; in = in->next) {
        in->buf->pos = in->buf->last;       /* consumed */

        if (in->buf->file_pos < in->buf->file_last) {
            in->buf->file_pos = in->buf->file_last;
        }
    }

    b = ctx->replacement;
    ctx->replacement = NULL;

    out.buf = b;
    out.next = NULL;

    return ngx_http_next_body_filter(r, &out);
}


static char *
ngx_http_govern_enable_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_loc_conf_t *glcf = conf;

    char  *rv;

    rv = ngx_conf_set_flag_slot(cf, cmd, conf);

    if (rv == NGX_CONF_OK) {
        glcf->enable_file = cf->conf_file->file.name.data;
        glcf->enable_line = cf->conf_file->line;
    }

    return rv;
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

    if (gmcf == NULL) {
        return;
    }

    if (gmcf->redis) {
        ngx_http_govern_redis_exit_process(gmcf->redis);
    }

    if (ngx_process == NGX_PROCESS_WORKER
        || ngx_process == NGX_PROCESS_SINGLE)
    {
        ngx_http_govern_audit_exit(cycle, gmcf);
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
    ngx_uint_t                    i;
    ngx_http_handler_pt          *h;
    ngx_http_core_main_conf_t    *cmcf;
    ngx_http_govern_main_conf_t  *gmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_govern_access_handler;

    if (ngx_http_govern_digest_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    gmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_govern_module);

    if (gmcf->redis
        && ngx_http_govern_redis_postconfiguration(cf, gmcf->redis) != NGX_OK)
    {
        return NGX_ERROR;
    }

    for (i = 0; ngx_http_govern_stages[i]; i++) {
        if (ngx_http_govern_stages[i]->init
            && ngx_http_govern_stages[i]->init(cf) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_govern_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_govern_body_filter;

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
    ngx_uint_t                   i;
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

    for (i = 0; ngx_http_govern_stages[i]; i++) {
        if (ngx_http_govern_stages[i]->log) {
            ngx_http_govern_stages[i]->log(r, ctx);
        }
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

    return ngx_http_govern_audit_init(cf, gmcf);
}


static void *
ngx_http_govern_create_loc_conf(ngx_conf_t *cf)
{
    ngx_uint_t                   i;
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

    for (i = 0; ngx_http_govern_stages[i]; i++) {
        if (ngx_http_govern_stages[i]->create_conf) {
            ngx_http_govern_stages[i]->create_conf(conf);
        }
    }

    return conf;
}


static char *
ngx_http_govern_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_govern_loc_conf_t  *prev = parent;
    ngx_http_govern_loc_conf_t  *conf = child;

    ngx_uint_t  i;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_ptr_value(conf->audit, prev->audit, NULL);

    /* directives that only the pipeline reads, where it never runs */

    if (!conf->enable && conf->mark) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"%s\" has no effect without \"govern on\" in %s:%ui",
                      conf->mark, conf->mark_file, conf->mark_line);
        return NGX_CONF_ERROR;
    }

    for (i = 0; ngx_http_govern_stages[i]; i++) {
        if (ngx_http_govern_stages[i]->merge_conf
            && ngx_http_govern_stages[i]->merge_conf(cf, prev, conf)
               != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}
