
/*
 * govern: the scopes stage.  A route's govern_scopes lines are
 * alternatives; the verified token must hold every scope of one of them.
 */


#include "ngx_http_govern_stages.h"


static ngx_int_t
ngx_http_govern_scopes_access(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    u_char                       *p;
    size_t                        i, closest, len;
    ngx_str_t                     detail, scope;
    govern_scope_set_t           *sets, *set;
    ngx_http_govern_loc_conf_t   *glcf;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);

    if (glcf->scopes == NULL) {
        return NGX_OK;
    }

    sets = glcf->scopes->elts;

    if (govern_scopes_match((const char *) ctx->scopes.data,
                            ctx->scopes.len, sets,
                            glcf->scopes->nelts, &closest)
        >= 0)
    {
        return NGX_OK;
    }

    /* name the alternative missing the fewest scopes */

    set = &sets[closest];
    len = 0;

    for (i = 0; i < set->n; i++) {
        len += ngx_strlen(set->scopes[i]) + 1;
    }

    scope.data = ngx_pnalloc(r->pool, len);
    if (scope.data == NULL) {
        return ngx_http_govern_refuse_internal(r, "the scope check");
    }

    p = scope.data;

    for (i = 0; i < set->n; i++) {
        if (i) {
            *p++ = ' ';
        }

        p = ngx_cpymem(p, set->scopes[i], ngx_strlen(set->scopes[i]));
    }

    scope.len = p - scope.data;

    if (ngx_http_govern_www_authenticate(r, "insufficient_scope", "scope",
                                         &scope)
        != NGX_OK)
    {
        return ngx_http_govern_refuse_internal(r, "the scope check");
    }

    detail.len = sizeof("the token lacks a scope this route requires: ") - 1
                 + scope.len;
    detail.data = ngx_pnalloc(r->pool, detail.len);
    if (detail.data == NULL) {
        return ngx_http_govern_refuse_internal(r, "the scope check");
    }

    ngx_sprintf(detail.data, "the token lacks a scope this route requires: "
                "%V", &scope);

    return ngx_http_govern_refuse(r, GOVERN_REASON_SCOPE_MISSING,
                                  &detail);
}


/* govern_scopes SCOPE ...: every line is an alternative */

char *
ngx_http_govern_scopes_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_loc_conf_t *glcf = conf;

    ngx_str_t                    *value;
    ngx_uint_t                    i, j;
    govern_scope_set_t           *set;

    ngx_http_govern_conf_mark(cf, glcf, cmd);

    if (glcf->scopes == NULL) {
        glcf->scopes = ngx_array_create(cf->pool, 2,
                                        sizeof(govern_scope_set_t));
        if (glcf->scopes == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    set = ngx_array_push(glcf->scopes);
    if (set == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    set->n = cf->args->nelts - 1;
    set->scopes = ngx_palloc(cf->pool, set->n * sizeof(char *));
    if (set->scopes == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 1; i < cf->args->nelts; i++) {
        for (j = 0; j < value[i].len; j++) {
            if (value[i].data[j] <= 0x20 || value[i].data[j] >= 0x7f
                || value[i].data[j] == '"' || value[i].data[j] == '\\')
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid scope \"%V\"", &value[i]);
                return NGX_CONF_ERROR;
            }
        }

        set->scopes[i - 1] = (const char *) value[i].data;
    }

    return NGX_CONF_OK;
}


const ngx_http_govern_stage_t  ngx_http_govern_scopes_stage = {
    "scopes",
    NULL,                                   /* create conf */
    NULL,                                   /* merge conf */
    NULL,                                   /* init */
    ngx_http_govern_scopes_access,
    NULL,                                   /* headers */
    NULL,                                   /* body */
    NULL                                    /* log */
};
