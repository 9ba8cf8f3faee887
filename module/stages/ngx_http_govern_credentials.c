
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



#include "ngx_http_govern_stages.h"
#include "govern_xmlrpc.h"
#include "govern_json.h"


/*
 * One partner's mapping, prepared at config time in the forms requests
 * use: the db and key as JSON string literals for the JSON-RPC splice,
 * and the JSON-2 Authorization value.  Sorted by partner for lookups.
 */

typedef struct {
    ngx_str_t                   partner;
    ngx_str_t                   db;             /* NUL-terminated */
    ngx_str_t                   db_json;        /* "retail" */
    ngx_str_t                   uid;            /* 7 */
    ngx_str_t                   key_json;       /* "<key>" */
    ngx_str_t                   bearer;         /* bearer <key> */
} ngx_http_govern_credential_t;


static ngx_int_t ngx_http_govern_credentials_apply(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_loc_conf_t *glcf,
    ngx_http_govern_edit_t *edits, ngx_uint_t *n);
static ngx_http_govern_credential_t *ngx_http_govern_credentials_find(
    ngx_array_t *credentials, ngx_str_t *partner);
static int ngx_http_govern_credentials_cmp(const void *a, const void *b);
static ngx_int_t ngx_http_govern_credentials_quote(ngx_conf_t *cf,
    ngx_str_t *dst, const char *s, size_t len);
static void ngx_http_govern_credentials_wipe(void *data);


static ngx_str_t  ngx_http_govern_authorization = ngx_string("authorization");
static ngx_str_t  ngx_http_govern_authorization_key =
    ngx_string("Authorization");
static ngx_str_t  ngx_http_govern_database = ngx_string("x-odoo-database");
static ngx_str_t  ngx_http_govern_database_key = ngx_string("X-Odoo-Database");


/* after the policy allowed the call: put the partner's Odoo credentials */

/*
 * The call Odoo receives: the partner's mapped credentials in place of
 * whatever the partner sent, and the limit the policy clamped, spliced
 * into the partner's bytes at once.
 */

static ngx_int_t
ngx_http_govern_credentials_access(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    ngx_int_t                     rc;
    ngx_str_t                     detail;
    ngx_uint_t                    n;
    govern_odoo_call_t           *call;
    govern_xmlrpc_edit_t         *xedit;
    ngx_http_govern_edit_t        edits[4];
    ngx_http_govern_loc_conf_t   *glcf;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);
    call = ctx->odoo;

    if (!glcf->odoo || call == NULL) {
        return NGX_OK;
    }

    n = 0;

    rc = ngx_http_govern_credentials_apply(r, ctx, glcf, edits, &n);
    if (rc != NGX_OK) {
        return rc;
    }

    if (call->clamped && glcf->odoo == GOVERN_ODOO_XMLRPC) {
        xedit = ngx_palloc(r->pool, sizeof(govern_xmlrpc_edit_t));
        if (xedit == NULL) {
            return ngx_http_govern_refuse_internal(r, "the clamp");
        }

        if (!govern_xmlrpc_clamp((const char *) ctx->body->pos, call,
                                 call->limit, xedit))
        {
            ngx_str_set(&detail, "a search without a limit reaches every "
                                 "record");
            return ngx_http_govern_refuse(r, GOVERN_REASON_ODOO_DENIED,
                                          &detail);
        }

        edits[n].start = xedit->start;
        edits[n].end = xedit->end;
        edits[n].text.data = (u_char *) xedit->text;
        edits[n].text.len = xedit->len;
        n++;

    } else if (call->clamped) {
        edits[n].start = call->edit.start;
        edits[n].end = call->edit.end;
        edits[n].text.data = (u_char *) call->edit.text;
        edits[n].text.len = call->edit.len;
        n++;
    }

    if (n && ngx_http_govern_body_edit(r, ctx, edits, n) != NGX_OK) {
        return ngx_http_govern_refuse_internal(r, "the call's rewrite");
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_govern_credentials_apply(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_loc_conf_t *glcf,
    ngx_http_govern_edit_t *edits, ngx_uint_t *n)
{
    ngx_str_t                      detail, key, *value[3];
    ngx_uint_t                     i;
    govern_jv_t                   *args;
    govern_odoo_call_t            *call;
    ngx_http_govern_main_conf_t   *gmcf;
    ngx_http_govern_credential_t  *cred;

    gmcf = ngx_http_get_module_main_conf(r, ngx_http_govern_module);
    call = ctx->odoo;

    if (gmcf->credentials == NULL) {
        return NGX_OK;
    }

    /* nothing to mediate for common.version and the like */

    if (call->service && ngx_strcmp(call->service, "object") != 0) {
        return NGX_OK;
    }

    cred = ctx->partner.len
           ? ngx_http_govern_credentials_find(gmcf->credentials,
                                              &ctx->partner)
           : NULL;

    if (cred == NULL) {
        ngx_str_set(&detail, "no Odoo credentials are mapped to this "
                             "partner");
        return ngx_http_govern_refuse(r, GOVERN_REASON_ODOO_DENIED,
                                      &detail);
    }

    if (glcf->odoo == GOVERN_ODOO_JSON2) {
        if (ngx_http_govern_set_header_in(r,
                &ngx_http_govern_authorization_key,
                &ngx_http_govern_authorization, &cred->bearer)
            != NGX_OK
            || ngx_http_govern_set_header_in(r,
                   &ngx_http_govern_database_key, &ngx_http_govern_database,
                   &cred->db)
            != NGX_OK)
        {
            return ngx_http_govern_refuse_internal(r, "the Odoo headers");
        }

        call->db = (const char *) cred->db.data;

        return NGX_OK;
    }

    /* call_kw (no service) runs on the caller's Odoo session: its args
     * are the method's own, not db, uid and key */

    if (call->service == NULL) {
        return NGX_OK;
    }

    if (glcf->odoo == GOVERN_ODOO_XMLRPC) {
        key.data = cred->bearer.data + sizeof("bearer ") - 1;
        key.len = cred->bearer.len - (sizeof("bearer ") - 1);

        if (ngx_http_govern_xmlrpc_credentials(r, ctx, &cred->db,
                                               ngx_atoi(cred->uid.data,
                                                        cred->uid.len),
                                               &key, edits, n)
            != NGX_OK)
        {
            return ngx_http_govern_refuse_internal(r, "the credentials");
        }

        call->db = (const char *) cred->db.data;

        return NGX_OK;
    }

    /*
     * /jsonrpc object.execute_kw: args[0..2] are db, uid, key, replaced
     * by the mapped ones; the partner's other bytes are forwarded as sent
     */

    args = govern_jv_getz(govern_jv_getz(ctx->json,
                                         "params"),
                          "args");

    if (!govern_jv_is_array(args) || args->len < 3) {
        return NGX_OK;
    }

    value[0] = &cred->db_json;
    value[1] = &cred->uid;
    value[2] = &cred->key_json;

    for (i = 0; i < 3; i++) {
        edits[*n].start = args->u.items[i].start;
        edits[*n].end = args->u.items[i].end;
        edits[*n].text = *value[i];
        (*n)++;
    }

    /* the partner's db string is gone: point at the mapped one */
    call->db = (const char *) cred->db.data;

    return NGX_OK;
}


static ngx_http_govern_credential_t *
ngx_http_govern_credentials_find(ngx_array_t *credentials,
    ngx_str_t *partner)
{
    int                            rc;
    ngx_uint_t                     lo, hi, mid;
    ngx_http_govern_credential_t  *c, key;

    c = credentials->elts;
    key.partner = *partner;
    lo = 0;
    hi = credentials->nelts;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        rc = ngx_http_govern_credentials_cmp(&c[mid], &key);

        if (rc == 0) {
            return &c[mid];
        }

        if (rc < 0) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return NULL;
}


/*
 * The rewritten call replaces the body the upstream will receive: the
 * partner's text with args[0..2] (in order in it) replaced by ours.  Only
 * the three values and what separates them are written anew; the text
 * before and after them is chained from the partner's own buffer, which
 * lives as long as the request.
 */

/* the keys are wiped when their configuration is freed (after a reload) */

static void
ngx_http_govern_credentials_wipe(void *data)
{
    ngx_array_t  *credentials = data;

    ngx_uint_t                     i;
    ngx_http_govern_credential_t  *c;

    c = credentials->elts;

    for (i = 0; i < credentials->nelts; i++) {
        ngx_explicit_memzero(c[i].key_json.data, c[i].key_json.len);
        ngx_explicit_memzero(c[i].bearer.data, c[i].bearer.len);
    }
}


static int
ngx_http_govern_credentials_cmp(const void *a, const void *b)
{
    const ngx_http_govern_credential_t  *x = a, *y = b;

    if (x->partner.len != y->partner.len) {
        return x->partner.len < y->partner.len ? -1 : 1;
    }

    return ngx_memcmp(x->partner.data, y->partner.data, x->partner.len);
}


/* s as a JSON string literal, quotes included */

static ngx_int_t
ngx_http_govern_credentials_quote(ngx_conf_t *cf, ngx_str_t *dst,
    const char *s, size_t len)
{
    u_char  *p;

    p = ngx_pnalloc(cf->pool, GOVERN_JSON_ESCAPE_MAX(len) + 2);
    if (p == NULL) {
        return NGX_ERROR;
    }

    dst->data = p;
    *p++ = '"';
    p = govern_json_escape(p, (u_char *) s, len);
    *p++ = '"';
    dst->len = p - dst->data;

    return NGX_OK;
}


/* govern_odoo_credentials FILE */

char *
ngx_http_govern_credentials_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_main_conf_t *gmcf = conf;

    char                          *rv;
    json_t                        *creds, *entry, *v, *db, *key;
    ngx_str_t                      file;
    const char                    *partner;
    ngx_array_t                   *credentials;
    json_error_t                   jerr;
    ngx_pool_cleanup_t            *cln;
    ngx_http_govern_credential_t  *c;

    if (gmcf->credentials) {
        return "is duplicate";
    }

    if (ngx_http_govern_conf_secret_file(cf, &file, "holds Odoo keys")
        != NGX_OK)
    {
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

    credentials = ngx_array_create(cf->pool, json_object_size(creds) + 1,
                                   sizeof(ngx_http_govern_credential_t));
    cln = ngx_pool_cleanup_add(cf->pool, 0);

    if (credentials == NULL || cln == NULL) {
        json_decref(creds);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_govern_credentials_wipe;
    cln->data = credentials;
    rv = NGX_CONF_ERROR;

    json_object_foreach(creds, partner, entry) {
        v = json_object_get(entry, "uid");
        db = json_object_get(entry, "db");
        key = json_object_get(entry, "api_key");

        if (!json_is_object(entry)
            || !json_is_string(db) || json_string_length(db) == 0
            || !json_is_integer(v) || json_integer_value(v) <= 0
            || !json_is_string(key) || json_string_length(key) < 16)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "govern_odoo_credentials \"%V\": partner "
                               "\"%s\" needs a db, a uid and an api_key",
                               &file, partner);
            goto done;
        }

        c = ngx_array_push(credentials);
        if (c == NULL) {
            goto done;
        }

        ngx_memzero(c, sizeof(ngx_http_govern_credential_t));

        c->partner.len = ngx_strlen(partner);
        c->partner.data = (u_char *) partner;
        c->partner.data = ngx_pstrdup(cf->pool, &c->partner);

        c->db.len = json_string_length(db);
        c->db.data = ngx_pnalloc(cf->pool, c->db.len + 1);

        c->uid.data = ngx_pnalloc(cf->pool, NGX_INT64_LEN);

        c->bearer.len = sizeof("bearer ") - 1 + json_string_length(key);
        c->bearer.data = ngx_pnalloc(cf->pool, c->bearer.len);

        if (c->partner.data == NULL || c->db.data == NULL
            || c->uid.data == NULL || c->bearer.data == NULL
            || ngx_http_govern_credentials_quote(cf, &c->db_json,
                   json_string_value(db), c->db.len) != NGX_OK
            || ngx_http_govern_credentials_quote(cf, &c->key_json,
                   json_string_value(key), json_string_length(key))
               != NGX_OK)
        {
            goto done;
        }

        ngx_memcpy(c->db.data, json_string_value(db), c->db.len);
        c->db.data[c->db.len] = '\0';

        c->uid.len = ngx_sprintf(c->uid.data, "%L",
                                 (int64_t) json_integer_value(v))
                     - c->uid.data;

        ngx_memcpy(ngx_cpymem(c->bearer.data, "bearer ",
                              sizeof("bearer ") - 1),
                   json_string_value(key), json_string_length(key));
    }

    ngx_qsort(credentials->elts, credentials->nelts,
              sizeof(ngx_http_govern_credential_t),
              ngx_http_govern_credentials_cmp);

    gmcf->credentials = credentials;
    rv = NGX_CONF_OK;

done:

    json_decref(creds);

    return rv;
}


/* the partner's mapped Odoo uid: a login answered by the gateway */

ngx_int_t
ngx_http_govern_credentials_uid(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_int_t *uid)
{
    ngx_http_govern_main_conf_t   *gmcf;
    ngx_http_govern_credential_t  *cred;

    gmcf = ngx_http_get_module_main_conf(r, ngx_http_govern_module);

    if (gmcf->credentials == NULL || ctx->partner.len == 0) {
        return NGX_DECLINED;
    }

    cred = ngx_http_govern_credentials_find(gmcf->credentials,
                                            &ctx->partner);
    if (cred == NULL) {
        return NGX_DECLINED;
    }

    *uid = ngx_atoi(cred->uid.data, cred->uid.len);

    return NGX_OK;
}


const ngx_http_govern_stage_t  ngx_http_govern_credentials_stage = {
    "credentials",
    NULL,                                   /* create conf */
    NULL,                                   /* merge conf */
    NULL,                                   /* init */
    ngx_http_govern_credentials_access,
    NULL,                                   /* headers */
    NULL,                                   /* body */
    NULL                                    /* log */
};
