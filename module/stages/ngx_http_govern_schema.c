
/*
 * govern: the schema stage.  The body stage parsed the request body;
 * this one validates it against the location's JSON Schema, compiled
 * (and checked against its metaschema) by nginx -t.
 */


#include "ngx_http_govern_stages.h"
#include "govern_json.h"


/* a schema that compiles but says something it may not mean: a warning
 * naming the file, after which nginx -t names the directive's line */

typedef struct {
    ngx_conf_t                     *cf;
    ngx_str_t                      *file;
} ngx_http_govern_schema_warn_t;


static ngx_int_t
ngx_http_govern_schema_access(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    u_char                           *p;
    size_t                            i, size;
    ngx_str_t                         detail, errors;
    govern_schema_result_t            result;
    ngx_http_govern_loc_conf_t       *glcf;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);

    if (glcf->schema == NULL || ctx->json == NULL
        || !(r->method & glcf->schema->methods)
        || govern_schema_validate(glcf->schema->schema, ctx->json, &result))
    {
        return NGX_OK;
    }

    /* "errors": [{"pointer", "keyword", "message"}], at most 20 */

    size = sizeof(",\"errors\":[]") - 1;

    for (i = 0; i < result.nerrors; i++) {
        size += sizeof("{\"pointer\":\"\",\"keyword\":\"\",\"message\":\"\"},")
                + GOVERN_JSON_ESCAPE_MAX(
                      ngx_strlen(result.errors[i].pointer)
                      + ngx_strlen(result.errors[i].keyword)
                      + ngx_strlen(result.errors[i].message));
    }

    errors.data = ngx_pnalloc(r->pool, size);
    if (errors.data == NULL) {
        govern_schema_result_free(&result);
        return ngx_http_govern_refuse_internal(r, "the schema errors");
    }

    p = ngx_cpymem(errors.data, ",\"errors\":[", sizeof(",\"errors\":[") - 1);

    for (i = 0; i < result.nerrors; i++) {
        if (i) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, "{\"pointer\":\"", sizeof("{\"pointer\":\"") - 1);
        p = govern_json_escape(p,
                (u_char *) result.errors[i].pointer,
                ngx_strlen(result.errors[i].pointer));
        p = ngx_cpymem(p, "\",\"keyword\":\"", sizeof("\",\"keyword\":\"") - 1);
        p = govern_json_escape(p,
                (u_char *) result.errors[i].keyword,
                ngx_strlen(result.errors[i].keyword));
        p = ngx_cpymem(p, "\",\"message\":\"", sizeof("\",\"message\":\"") - 1);
        p = govern_json_escape(p,
                (u_char *) result.errors[i].message,
                ngx_strlen(result.errors[i].message));
        p = ngx_cpymem(p, "\"}", 2);
    }

    *p++ = ']';
    errors.len = p - errors.data;

    detail.data = ngx_pnalloc(r->pool, 64);
    if (detail.data == NULL) {
        govern_schema_result_free(&result);
        return ngx_http_govern_refuse_internal(r, "the schema errors");
    }

    detail.len = ngx_sprintf(detail.data, "the request body violates its "
                             "schema (%uz errors)", result.total)
                 - detail.data;

    govern_schema_result_free(&result);

    return ngx_http_govern_refuse_with(r,
               GOVERN_REASON_SCHEMA_INVALID, &detail, &errors);
}


static void
ngx_http_govern_schema_cleanup(void *data)
{
    govern_schema_free(data);
}


static void
ngx_http_govern_schema_warn(void *data, const char *message)
{
    ngx_http_govern_schema_warn_t  *w = data;

    ngx_conf_log_error(NGX_LOG_WARN, w->cf, 0, "govern_schema \"%V\": %s",
                       w->file, message);
}


/* govern_schema FILE [methods=POST,PUT,PATCH] */

char *
ngx_http_govern_schema_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_loc_conf_t *glcf = conf;

    u_char                         *p, *last, *comma;
    char                            err[1024];
    ngx_str_t                      *value, file, m;
    ngx_uint_t                      i, j;
    ngx_pool_cleanup_t             *cln;
    ngx_http_govern_schema_warn_t   warn;
    ngx_http_govern_schema_conf_t  *sc;

    static const struct {
        ngx_str_t   name;
        ngx_uint_t  method;
    } methods[] = {
        { ngx_string("POST"), NGX_HTTP_POST },
        { ngx_string("PUT"), NGX_HTTP_PUT },
        { ngx_string("PATCH"), NGX_HTTP_PATCH },
        { ngx_string("DELETE"), NGX_HTTP_DELETE },
        { ngx_null_string, 0 }
    };

    ngx_http_govern_conf_mark(cf, glcf, cmd);

    if (glcf->schema != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    sc = ngx_pcalloc(cf->pool, sizeof(ngx_http_govern_schema_conf_t));
    if (sc == NULL) {
        return NGX_CONF_ERROR;
    }

    sc->methods = NGX_HTTP_POST | NGX_HTTP_PUT | NGX_HTTP_PATCH;

    for (i = 2; i < cf->args->nelts; i++) {
        if (ngx_strncmp(value[i].data, "methods=", 8) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        sc->methods = 0;
        p = value[i].data + 8;
        last = value[i].data + value[i].len;

        while (p < last) {
            comma = ngx_strlchr(p, last, ',');
            m.data = p;
            m.len = (comma ? comma : last) - p;

            for (j = 0; methods[j].name.len; j++) {
                if (methods[j].name.len == m.len
                    && ngx_strncmp(methods[j].name.data, m.data, m.len) == 0)
                {
                    sc->methods |= methods[j].method;
                    break;
                }
            }

            if (methods[j].name.len == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid method \"%V\" in \"%V\"", &m,
                                   &value[i]);
                return NGX_CONF_ERROR;
            }

            p = comma ? comma + 1 : last;
        }
    }

    file = value[1];

    if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    sc->file = file;

    warn.cf = cf;
    warn.file = &file;

    sc->schema = govern_schema_compile_file(
                     (char *) file.data, ngx_http_govern_schema_warn, &warn,
                     err, sizeof(err));

    if (sc->schema == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "govern_schema \"%V\": invalid schema %s", &file,
                           err);
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        govern_schema_free(sc->schema);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_govern_schema_cleanup;
    cln->data = sc->schema;

    glcf->schema = sc;

    return NGX_CONF_OK;
}


const ngx_http_govern_stage_t  ngx_http_govern_schema_stage = {
    "schema",
    NULL,                                   /* create conf */
    NULL,                                   /* merge conf */
    NULL,                                   /* init */
    ngx_http_govern_schema_access,
    NULL,                                   /* headers */
    NULL,                                   /* body */
    NULL                                    /* log */
};
