
/*
 * govern: the $govern_* variables (DESIGN section 5).  They read the
 * request's governance context, so they hold verified data only and keep
 * their values across internal redirects.
 */


#include "ngx_http_govern_module.h"


static ngx_int_t ngx_http_govern_variable_str(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_govern_variable_decision(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_govern_variable_reason(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_govern_variable_remaining(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


#define ngx_http_govern_str_var(name, field)                                 \
    { ngx_string(name), NULL, ngx_http_govern_variable_str,                  \
      offsetof(ngx_http_govern_ctx_t, field), NGX_HTTP_VAR_NOCACHEABLE, 0 }


static ngx_http_variable_t  ngx_http_govern_vars[] = {

    { ngx_string("govern_decision"), NULL,
      ngx_http_govern_variable_decision, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("govern_reason"), NULL,
      ngx_http_govern_variable_reason, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    ngx_http_govern_str_var("govern_partner", partner),
    ngx_http_govern_str_var("govern_subject", subject),
    ngx_http_govern_str_var("govern_route", route),
    ngx_http_govern_str_var("govern_scopes", scopes),
    ngx_http_govern_str_var("govern_api_version", api_version),
    ngx_http_govern_str_var("govern_request_id", request_id),
    ngx_http_govern_str_var("govern_trace_id", trace_id),
    ngx_http_govern_str_var("govern_jwt_kid", jwt_kid),
    ngx_http_govern_str_var("govern_jwt_jti", jwt_jti),
    ngx_http_govern_str_var("govern_odoo_model", odoo_model),
    ngx_http_govern_str_var("govern_odoo_method", odoo_method),
    { ngx_string("govern_ratelimit_remaining"), NULL,
      ngx_http_govern_variable_remaining, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_int_t
ngx_http_govern_variable_str(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t              *s;
    ngx_http_govern_ctx_t  *ctx;

    ctx = ngx_http_govern_get_ctx(r->main);

    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    s = (ngx_str_t *) ((char *) ctx + data);

    if (s->len == 0) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = s->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_govern_variable_decision(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_govern_ctx_t  *ctx;

    ctx = ngx_http_govern_get_ctx(r->main);

    if (ctx == NULL || !ctx->decided) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (ctx->allowed) {
        v->len = sizeof("allow") - 1;
        v->data = (u_char *) "allow";

    } else {
        v->len = sizeof("deny") - 1;
        v->data = (u_char *) "deny";
    }

    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_http_govern_variable_reason(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_govern_ctx_t           *ctx;
    const govern_reason_t           *info;

    ctx = ngx_http_govern_get_ctx(r->main);

    if (ctx == NULL || ctx->reason == GOVERN_REASON_NONE) {
        v->not_found = 1;
        return NGX_OK;
    }

    info = govern_reason(ctx->reason);

    v->len = info->code_len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = (u_char *) info->code;

    return NGX_OK;
}


static ngx_int_t
ngx_http_govern_variable_remaining(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_int_t               rc;
    ngx_str_t               value;
    ngx_http_govern_ctx_t  *ctx;

    ctx = ngx_http_govern_get_ctx(r->main);

    rc = ctx ? ngx_http_govern_ratelimit_remaining(r, ctx, &value)
             : NGX_DECLINED;

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->len = value.len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = value.data;

    return NGX_OK;
}


ngx_int_t
ngx_http_govern_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_govern_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}
