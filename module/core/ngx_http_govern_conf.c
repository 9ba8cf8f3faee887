
/*
 * govern: configuration helpers every layer of the glue uses, and the
 * SHA-256 digest.
 */


#include "ngx_http_govern_core.h"


static EVP_MD      *ngx_http_govern_sha256;
static EVP_MD_CTX  *ngx_http_govern_sha256_ctx;     /* reused */


/* govern_jwt_issuer / govern_jwt_audience VALUE ...: NULL-terminated */

char *
ngx_http_govern_strings_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char  *p = conf;

    const char  ***field;
    ngx_str_t     *value;
    ngx_uint_t     i;

    field = (const char ***) (p + cmd->offset);

    if (*field != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (value[i].len == 0) {
            return "takes no empty value";
        }
    }

    *field = ngx_http_govern_conf_strings(cf);

    return *field ? NGX_CONF_OK : NGX_CONF_ERROR;
}


/*
 * A file of secrets named by the directive's first argument: its full
 * name in *file, and refused (file and reason for nginx -t) unless only
 * its owner may read it; holds says what it holds.
 */

ngx_int_t
ngx_http_govern_conf_secret_file(ngx_conf_t *cf, ngx_str_t *file,
    const char *holds)
{
    ngx_str_t  *value;

    value = cf->args->elts;

    return ngx_http_govern_conf_secret_path(cf, &value[1], file, holds);
}


/* the same for a file named by a parameter (secrets=FILE) */

ngx_int_t
ngx_http_govern_conf_secret_path(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *file, const char *holds)
{
    ngx_str_t    *value;
    struct stat   st;

    value = cf->args->elts;
    *file = *name;

    if (ngx_conf_full_name(cf->cycle, file, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    if (stat((char *) file->data, &st) == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno, "%V \"%V\"",
                           &value[0], file);
        return NGX_ERROR;
    }

    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V \"%V\" is accessible by group or others: "
                           "it %s, chmod 600 it", &value[0], file, holds);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the directive's arguments as a NULL-terminated list of C strings */

const char **
ngx_http_govern_conf_strings(ngx_conf_t *cf)
{
    ngx_str_t    *value;
    ngx_uint_t    i;
    const char  **list;

    value = cf->args->elts;

    list = ngx_palloc(cf->pool, cf->args->nelts * sizeof(char *));
    if (list == NULL) {
        return NULL;
    }

    for (i = 1; i < cf->args->nelts; i++) {
        list[i - 1] = (const char *) value[i].data;
    }

    list[cf->args->nelts - 1] = NULL;

    return list;
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


/*
 * SHA-256 with the digest fetched once and one context reused: the
 * token cache key, the audit's body_sha256, idempotency fingerprints.
 */

ngx_int_t
ngx_http_govern_digest(const u_char *data, size_t len, u_char *digest)
{
    if (!EVP_DigestInit_ex(ngx_http_govern_sha256_ctx, ngx_http_govern_sha256,
                           NULL)
        || !EVP_DigestUpdate(ngx_http_govern_sha256_ctx, data, len)
        || !EVP_DigestFinal_ex(ngx_http_govern_sha256_ctx, digest, NULL))
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_govern_digest_init(ngx_conf_t *cf)
{
    if (ngx_http_govern_sha256 == NULL) {
        ngx_http_govern_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
        ngx_http_govern_sha256_ctx = EVP_MD_CTX_new();

        if (ngx_http_govern_sha256 == NULL
            || ngx_http_govern_sha256_ctx == NULL)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}

