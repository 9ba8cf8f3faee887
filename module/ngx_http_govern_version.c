
/*
 * govern: API versions and their lifecycle at the edge.
 *
 * After its deprecation date a version's responses carry Deprecation
 * (RFC 9745) and a Link to the deprecation notice; once a sunset date is
 * set they carry Sunset (RFC 8594); after the sunset the version answers
 * 410 and nothing reaches Odoo.
 */


#include "ngx_http_govern_module.h"
#include "govern_date.h"


struct ngx_http_govern_version_s {
    ngx_str_t                    name;
    time_t                       deprecated;     /* -1: not set */
    time_t                       sunset;         /* -1: not set */
    ngx_str_t                    link;
    ngx_str_t                    sunset_http;    /* the HTTP-date */
    ngx_str_t                    deprecation;    /* "@<epoch>" */
};


static ngx_int_t ngx_http_govern_version_link(ngx_http_request_t *r,
    ngx_http_govern_version_t *v, const char *rel);


ngx_int_t
ngx_http_govern_version_stage(ngx_http_request_t *r)
{
    ngx_str_t                    detail;
    ngx_http_govern_ctx_t       *ctx;
    ngx_http_govern_version_t   *v;
    ngx_http_govern_loc_conf_t  *glcf;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);
    v = glcf->version;

    if (v == NULL) {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_govern_module);

    ctx->version = v;
    ctx->api_version = v->name;
    ctx->deprecated = v->deprecated != -1 && ngx_time() >= v->deprecated;

    if (v->sunset == -1 || ngx_time() < v->sunset) {
        return NGX_OK;
    }

    if (ngx_http_govern_add_header(r, "Sunset", v->sunset_http.data,
                                   v->sunset_http.len)
        != NGX_OK
        || ngx_http_govern_version_link(r, v, "sunset") != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    detail.len = sizeof("API version \"\" was retired on ") - 1 + v->name.len
                 + v->sunset_http.len;
    detail.data = ngx_pnalloc(r->pool, detail.len);
    if (detail.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(detail.data, "API version \"%V\" was retired on %V",
                &v->name, &v->sunset_http);

    ctx->version = NULL;            /* its headers are already set */

    return ngx_http_govern_refuse(r, GOVERN_REASON_VERSION_SUNSET,
                                  &detail);
}


/* the header filter's part: lifecycle headers on every response */

ngx_int_t
ngx_http_govern_version_headers(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    ngx_http_govern_version_t  *v;

    v = ctx->version;

    if (v == NULL) {
        return NGX_OK;
    }

    if (ctx->deprecated) {
        if (ngx_http_govern_add_header(r, "Deprecation", v->deprecation.data,
                                       v->deprecation.len)
            != NGX_OK
            || ngx_http_govern_version_link(r, v, "deprecation") != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (v->sunset != -1) {
        if (ngx_http_govern_add_header(r, "Sunset", v->sunset_http.data,
                                       v->sunset_http.len)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_govern_version_link(ngx_http_request_t *r,
    ngx_http_govern_version_t *v, const char *rel)
{
    ngx_str_t  link;

    if (v->link.len == 0) {
        return NGX_OK;
    }

    link.len = sizeof("<>; rel=\"\"; type=\"text/html\"") - 1 + v->link.len
               + ngx_strlen(rel);
    link.data = ngx_pnalloc(r->pool, link.len);
    if (link.data == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(link.data, "<%V>; rel=\"%s\"; type=\"text/html\"", &v->link,
                rel);

    return ngx_http_govern_add_header(r, "Link", link.data, link.len);
}


/* govern_api_version NAME [deprecated=DATE] [sunset=DATE] [link=URL] */

char *
ngx_http_govern_api_version_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_loc_conf_t *glcf = conf;

    u_char                     *p;
    int64_t                     t;
    ngx_str_t                  *value, s;
    ngx_uint_t                  i, j;
    ngx_http_govern_version_t  *v;

    ngx_http_govern_conf_mark(cf, glcf, cmd);

    if (glcf->version != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (j = 0; j < value[1].len; j++) {
        if (value[1].data[j] <= 0x20 || value[1].data[j] >= 0x7f
            || value[1].data[j] == '"' || value[1].data[j] == '\\')
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid API version name \"%V\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    v = ngx_pcalloc(cf->pool, sizeof(ngx_http_govern_version_t));
    if (v == NULL) {
        return NGX_CONF_ERROR;
    }

    v->name = value[1];
    v->deprecated = -1;
    v->sunset = -1;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "deprecated=", 11) == 0
            || ngx_strncmp(value[i].data, "sunset=", 7) == 0)
        {
            s.data = (u_char *) ngx_strchr(value[i].data, '=') + 1;
            s.len = value[i].data + value[i].len - s.data;

            if (!govern_date_parse((char *) s.data, s.len, &t)) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid date \"%V\", it must be "
                                   "YYYY-MM-DD or an RFC 3339 timestamp",
                                   &value[i]);
                return NGX_CONF_ERROR;
            }

            if (value[i].data[0] == 'd') {
                v->deprecated = (time_t) t;

            } else {
                v->sunset = (time_t) t;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "link=", 5) == 0 && value[i].len > 5) {
            v->link.data = value[i].data + 5;
            v->link.len = value[i].len - 5;

            for (j = 0; j < v->link.len; j++) {
                if (v->link.data[j] <= 0x20 || v->link.data[j] >= 0x7f
                    || v->link.data[j] == '>' || v->link.data[j] == '<')
                {
                    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                       "invalid link \"%V\"", &value[i]);
                    return NGX_CONF_ERROR;
                }
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\"",
                           &value[i]);
        return NGX_CONF_ERROR;
    }

    if (v->deprecated != -1 && v->sunset != -1 && v->sunset < v->deprecated)
    {
        return "has a sunset before its deprecation";
    }

    if (v->sunset != -1) {
        p = ngx_pnalloc(cf->pool, sizeof("Mon, 28 Sep 1970 06:00:00 GMT"));
        if (p == NULL) {
            return NGX_CONF_ERROR;
        }

        v->sunset_http.data = p;
        v->sunset_http.len = ngx_http_time(p, v->sunset) - p;
    }

    if (v->deprecated != -1) {
        p = ngx_pnalloc(cf->pool, 1 + NGX_TIME_T_LEN);
        if (p == NULL) {
            return NGX_CONF_ERROR;
        }

        v->deprecation.data = p;
        v->deprecation.len = ngx_sprintf(p, "@%T", v->deprecated) - p;
    }

    glcf->version = v;

    return NGX_CONF_OK;
}
