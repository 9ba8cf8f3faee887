
/*
 * govern: Odoo credentials mediated by the gateway.
 *
 * govern_odoo_credentials maps each verified partner to an Odoo database,
 * bot uid and API key, read at config time from a file only its owner may
 * read.  On JSON-RPC the forwarded body carries the mapped db, uid and key
 * in execute_kw's first three arguments whatever the partner sent (the
 * three values are spliced into the partner's bytes, everything else is
 * forwarded as sent, and the length follows); on JSON-2 the gateway sets
 * "Authorization: bearer <key>" and X-Odoo-Database.  Partners never hold
 * Odoo keys, and the key is never logged, audited or put in a variable.
 */


#include <sys/stat.h>

#include "ngx_http_govern_module.h"
#include "ngx_http_govern_json.h"


static ngx_int_t ngx_http_govern_credentials_body(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_jv_t *args, ngx_str_t *db,
    json_t *uid, const char *key);
static void ngx_http_govern_credentials_cleanup(void *data);


static ngx_str_t  ngx_http_govern_authorization = ngx_string("authorization");
static ngx_str_t  ngx_http_govern_authorization_key =
    ngx_string("Authorization");
static ngx_str_t  ngx_http_govern_database = ngx_string("x-odoo-database");
static ngx_str_t  ngx_http_govern_database_key = ngx_string("X-Odoo-Database");


/* after the policy allowed the call: put the partner's Odoo credentials */

ngx_int_t
ngx_http_govern_credentials_apply(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_loc_conf_t *glcf)
{
    u_char                       *p;
    json_t                       *entry;
    ngx_str_t                     detail, value, db;
    const char                   *key;
    ngx_http_govern_jv_t         *args;
    ngx_http_govern_odoo_call_t  *call;
    ngx_http_govern_main_conf_t  *gmcf;

    gmcf = ngx_http_get_module_main_conf(r, ngx_http_govern_module);
    call = ctx->odoo;

    if (gmcf->credentials == NULL) {
        return NGX_OK;
    }

    /* nothing to mediate for common.version and the like */

    if (call->service && ngx_strcmp(call->service, "object") != 0) {
        return NGX_OK;
    }

    entry = NULL;

    if (ctx->partner.len) {
        p = ngx_pnalloc(r->pool, ctx->partner.len + 1);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_cpystrn(p, ctx->partner.data, ctx->partner.len + 1);
        entry = json_object_get(gmcf->credentials, (char *) p);
    }

    if (entry == NULL) {
        ngx_str_set(&detail, "no Odoo credentials are mapped to this "
                             "partner");
        return ngx_http_govern_refuse(r, NGX_HTTP_GOVERN_REASON_ODOO_DENIED,
                                      &detail);
    }

    db.data = (u_char *) json_string_value(json_object_get(entry, "db"));
    db.len = ngx_strlen(db.data);
    key = json_string_value(json_object_get(entry, "api_key"));

    if (glcf->odoo == NGX_HTTP_GOVERN_ODOO_JSON2) {
        value.len = sizeof("bearer ") - 1 + ngx_strlen(key);
        value.data = ngx_pnalloc(r->pool, value.len);
        if (value.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_sprintf(value.data, "bearer %s", key);

        if (ngx_http_govern_set_header_in(r,
                &ngx_http_govern_authorization_key,
                &ngx_http_govern_authorization, &value)
            != NGX_OK
            || ngx_http_govern_set_header_in(r,
                   &ngx_http_govern_database_key, &ngx_http_govern_database,
                   &db)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        call->db = (const char *) db.data;

        return NGX_OK;
    }

    /* call_kw (no service) runs on the caller's Odoo session: its args
     * are the method's own, not db, uid and key */

    if (call->service == NULL) {
        return NGX_OK;
    }

    /* /jsonrpc object.execute_kw: args[0..2] are db, uid, key */

    args = ngx_http_govern_jv_getz(ngx_http_govern_jv_getz(ctx->json,
                                                           "params"),
                                   "args");

    if (!ngx_http_govern_jv_is_array(args) || args->len < 3) {
        return NGX_OK;
    }

    /* the partner's db string is gone: point at the mapped one */
    call->db = (const char *) db.data;

    return ngx_http_govern_credentials_body(r, ctx, args, &db,
                                            json_object_get(entry, "uid"),
                                            key);
}


/*
 * The rewritten call replaces the body the upstream will receive: the
 * partner's text with args[0..2] (in order in it) replaced by ours.  Only
 * the three values and what separates them are written anew; the text
 * before and after them is chained from the partner's own buffer, which
 * lives as long as the request.
 */

static ngx_int_t
ngx_http_govern_credentials_body(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_jv_t *args, ngx_str_t *db,
    json_t *uid, const char *key)
{
    u_char                *p, *text, number[NGX_INT64_LEN];
    size_t                 len, key_len;
    ngx_buf_t             *head, *mid, *tail;
    ngx_str_t              value[3];
    ngx_uint_t             i;
    ngx_chain_t           *cl[3];
    ngx_http_govern_jv_t  *item;

    key_len = ngx_strlen(key);
    text = ctx->body->pos;

    value[0] = *db;
    value[1].data = number;
    value[1].len = ngx_sprintf(number, "%L", (int64_t) json_integer_value(uid))
                   - number;
    value[2].data = (u_char *) key;
    value[2].len = key_len;

    len = args->u.items[2].start - args->u.items[0].end
          + 2 + NGX_HTTP_GOVERN_JSON_ESCAPE_MAX(db->len) + value[1].len
          + 2 + NGX_HTTP_GOVERN_JSON_ESCAPE_MAX(key_len);

    head = ngx_calloc_buf(r->pool);
    mid = ngx_create_temp_buf(r->pool, len);
    tail = ngx_calloc_buf(r->pool);

    for (i = 0; i < 3; i++) {
        cl[i] = ngx_alloc_chain_link(r->pool);
        if (cl[i] == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (head == NULL || mid == NULL || tail == NULL
        || r->request_body == NULL)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* what precedes args[0], and what follows args[2], as the partner
     * sent it (start is where an upstream retry sends it from again) */

    head->start = text;
    head->pos = text;
    head->last = text + args->u.items[0].start;
    head->end = head->last;
    head->memory = 1;

    tail->start = text + args->u.items[2].end;
    tail->pos = tail->start;
    tail->last = ctx->body->last;
    tail->end = tail->last;
    tail->memory = 1;
    tail->last_buf = 1;

    p = mid->pos;

    for (i = 0; i < 3; i++) {
        item = &args->u.items[i];

        if (i) {
            p = ngx_cpymem(p, text + args->u.items[i - 1].end,
                           item->start - args->u.items[i - 1].end);
        }

        if (i == 1) {
            p = ngx_cpymem(p, value[i].data, value[i].len);
            continue;
        }

        *p++ = '"';
        p = ngx_http_govern_json_escape(p, value[i].data, value[i].len);
        *p++ = '"';
    }

    mid->last = p;

    len = (head->last - head->pos) + (mid->last - mid->pos)
          + (tail->last - tail->pos);

    cl[0]->buf = head;
    cl[0]->next = cl[1];
    cl[1]->buf = mid;
    cl[1]->next = cl[2];
    cl[2]->buf = tail;
    cl[2]->next = NULL;

    r->request_body->bufs = cl[0];
    r->request_body->temp_file = NULL;
    r->headers_in.content_length_n = len;
    r->headers_in.chunked = 0;

    if (r->headers_in.content_length) {
        r->headers_in.content_length->value.data = ngx_pnalloc(r->pool,
                                                               NGX_OFF_T_LEN);
        if (r->headers_in.content_length->value.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        r->headers_in.content_length->value.len =
            ngx_sprintf(r->headers_in.content_length->value.data, "%O",
                        (off_t) len)
            - r->headers_in.content_length->value.data;
    }

    return NGX_OK;
}


static void
ngx_http_govern_credentials_cleanup(void *data)
{
    json_decref(data);
}


/* govern_odoo_credentials FILE */

char *
ngx_http_govern_credentials_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_main_conf_t *gmcf = conf;

    json_t              *creds, *entry, *v;
    ngx_str_t           *value, file;
    const char          *partner;
    struct stat          st;
    json_error_t         jerr;
    ngx_pool_cleanup_t  *cln;

    if (gmcf->credentials) {
        return "is duplicate";
    }

    value = cf->args->elts;
    file = value[1];

    if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (stat((char *) file.data, &st) == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "govern_odoo_credentials \"%V\"", &file);
        return NGX_CONF_ERROR;
    }

    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "govern_odoo_credentials \"%V\" is accessible by "
                           "group or others: it holds Odoo keys, "
                           "chmod 600 it", &file);
        return NGX_CONF_ERROR;
    }

    creds = json_load_file((char *) file.data, JSON_REJECT_DUPLICATES, &jerr);

    if (creds == NULL || !json_is_object(creds)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "govern_odoo_credentials \"%V\": %s", &file,
                           creds ? "not a JSON object" : jerr.text);
        json_decref(creds);
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        json_decref(creds);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_govern_credentials_cleanup;
    cln->data = creds;

    json_object_foreach(creds, partner, entry) {
        v = json_object_get(entry, "uid");

        if (!json_is_object(entry)
            || !json_is_string(json_object_get(entry, "db"))
            || json_string_length(json_object_get(entry, "db")) == 0
            || !json_is_integer(v) || json_integer_value(v) <= 0
            || !json_is_string(json_object_get(entry, "api_key"))
            || json_string_length(json_object_get(entry, "api_key")) < 16)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "govern_odoo_credentials \"%V\": partner "
                               "\"%s\" needs a db, a uid and an api_key",
                               &file, partner);
            return NGX_CONF_ERROR;
        }
    }

    gmcf->credentials = creds;

    return NGX_CONF_OK;
}
