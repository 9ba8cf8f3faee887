
/*
 * govern: the Odoo call policy at request time, and refusals in the shape
 * Odoo clients expect.
 *
 * On a govern_odoo route the body (read by the body stage) is parsed into
 * one call tuple and checked: always-refused calls, the allow rules
 * against the partner's verified scopes, the context keys, the record cap.
 * Refusals keep the audit reason but speak Odoo: on JSON-RPC routes HTTP
 * 200 with a JSON-RPC error whose data.name is an odoo.exceptions class,
 * on JSON-2 routes the status and error object of Odoo's JSON-2 API.
 */


#include "ngx_http_govern_stages.h"
#include "govern_json.h"
#include "govern_xmlrpc.h"


/* where a directive stood, for nginx -t */
typedef struct {
    u_char                         *file;
    ngx_uint_t                      line;
} ngx_http_govern_odoo_where_t;


struct ngx_http_govern_odoo_conf_s {
    ngx_array_t                    *rules;   /* govern_odoo_rule_t */
    ngx_array_t                    *rules_where;
    ngx_array_t                    *decls;   /* govern_odoo_decl_t */
    ngx_array_t                    *decls_where;
    const char                    **context_allow;
    ngx_int_t                       max_records;
    ngx_flag_t                      clamp;
    govern_odoo_policy_t            policy;
    ngx_flag_t                      built;

    /* the first of these directives, which need govern_odoo beside them */
    u_char                         *first;
    ngx_http_govern_odoo_where_t    first_where;
};


static ngx_int_t ngx_http_govern_odoo_access(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx);
static ngx_int_t ngx_http_govern_odoo_headers(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx);
static ngx_buf_t *ngx_http_govern_odoo_refusal(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, const govern_reason_t *info,
    ngx_str_t *detail, ngx_str_t *extra);
static ngx_buf_t *ngx_http_govern_odoo_error(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, const govern_reason_t *info,
    ngx_uint_t protocol, ngx_str_t *detail, ngx_str_t *extra);
static ngx_int_t ngx_http_govern_odoo_login(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_loc_conf_t *glcf,
    govern_odoo_call_t *call);
static void ngx_http_govern_odoo_create(ngx_http_govern_loc_conf_t *conf);
static char *ngx_http_govern_odoo_merge(ngx_conf_t *cf,
    ngx_http_govern_loc_conf_t *prev, ngx_http_govern_loc_conf_t *conf);


static const char  *ngx_http_govern_default_context[] = { "lang", "tz",
                                                          NULL };



static ngx_int_t
ngx_http_govern_odoo_access(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    u_char                         *p, *q;
    size_t                          len;
    ngx_str_t                       detail;
    const char                     *why, *key;
    govern_reason_e                 reason;
    ngx_http_govern_loc_conf_t     *glcf;
    govern_odoo_call_t             *call;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);

    if (!glcf->odoo) {
        return NGX_OK;
    }

    if (r->uri.len >= sizeof("/web/database/") - 1
        && ngx_strncmp(r->uri.data, "/web/database/",
                       sizeof("/web/database/") - 1) == 0)
    {
        ngx_str_set(&detail, "database management is not exposed");
        return ngx_http_govern_refuse(r, GOVERN_REASON_ODOO_DENIED,
                                      &detail);
    }

    /*
     * Odoo routes by the path it receives, which is the client's as sent
     * (proxy_pass without a URI): it must be the one judged here, nginx's
     * decoded and normalised r->uri
     */

    if (r->valid_unparsed_uri) {
        p = r->unparsed_uri.data;
        q = ngx_strlchr(p, p + r->unparsed_uri.len, '?');
        len = (q ? q : p + r->unparsed_uri.len) - p;

        if (len != r->uri.len || ngx_memcmp(p, r->uri.data, len) != 0) {
            ngx_str_set(&detail, "the path must be sent as is: no "
                        "percent-encoding, dot segments or repeated "
                        "slashes");
            return ngx_http_govern_refuse(r,
                       GOVERN_REASON_ODOO_MALFORMED, &detail);
        }
    }

    if (!(r->method & NGX_HTTP_POST)) {
        ngx_str_set(&detail, "Odoo calls are POST requests");
        return ngx_http_govern_refuse(r,
                   GOVERN_REASON_ODOO_MALFORMED, &detail);
    }

    call = ngx_palloc(r->pool, sizeof(govern_odoo_call_t));
    if (call == NULL) {
        return ngx_http_govern_refuse_internal(r, "the Odoo call");
    }

    if (glcf->odoo == GOVERN_ODOO_XMLRPC) {

        /* the XML-RPC stage read the methodCall as a /jsonrpc body */

        reason = govern_odoo_parse(GOVERN_ODOO_JSONRPC, ctx->json, NULL,
                                   "/jsonrpc", sizeof("/jsonrpc") - 1,
                                   &glcf->odoo_conf->policy, call, &why);
        call->protocol = GOVERN_ODOO_XMLRPC;

    } else {
        reason = govern_odoo_parse(glcf->odoo, ctx->json, &ctx->json_source,
                                   (const char *) r->uri.data, r->uri.len,
                                   &glcf->odoo_conf->policy, call, &why);
    }

    ctx->odoo = call;
    key = NULL;

    if (reason == GOVERN_REASON_NONE && call->service
        && ngx_strcmp(call->service, "common") == 0
        && (ngx_strcmp(call->method, "login") == 0
            || ngx_strcmp(call->method, "authenticate") == 0))
    {
        return ngx_http_govern_odoo_login(r, ctx, glcf, call);
    }

    if (reason == GOVERN_REASON_NONE) {
        reason = govern_odoo_check(call, &glcf->odoo_conf->policy,
                                   (const char *) ctx->scopes.data,
                                   ctx->scopes.len, &why, &key);
    }

    if (call->model) {
        ctx->odoo_model.data = (u_char *) call->model;
        ctx->odoo_model.len = ngx_strlen(call->model);
    }

    if (call->method) {
        ctx->odoo_method.data = (u_char *) call->method;
        ctx->odoo_method.len = ngx_strlen(call->method);
    }

    if (reason == GOVERN_REASON_NONE) {
        return NGX_OK;              /* the credentials stage follows */
    }

    len = ngx_strlen(why) + (key ? ngx_strlen(key) + 4 : 0)
          + ctx->odoo_model.len + ctx->odoo_method.len + 8;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return ngx_http_govern_refuse_internal(r, "the Odoo call");
    }

    detail.data = p;

    if (key) {
        p = ngx_sprintf(p, "%s: \"%s\"", why, key);

    } else if (call->model && call->method) {
        p = ngx_sprintf(p, "%s: %s.%s", why, call->model, call->method);

    } else {
        p = ngx_sprintf(p, "%s", why);
    }

    detail.len = p - detail.data;

    return ngx_http_govern_refuse(r, reason, &detail);
}


/* Govern-Limit-Clamped: what the partner's search was cut to */

static ngx_int_t
ngx_http_govern_odoo_headers(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    u_char  buf[NGX_INT64_LEN];

    if (ctx->odoo == NULL || !ctx->odoo->clamped || !ctx->allowed) {
        return NGX_OK;
    }

    return ngx_http_govern_add_header(r, "Govern-Limit-Clamped", buf,
                                      ngx_sprintf(buf, "%L",
                                                  ctx->odoo->limit)
                                      - buf);
}


/*
 * common.login and common.authenticate are answered by the gateway, never
 * forwarded: the partner's verified token stands for the login, and the
 * answer is the mapped uid, so a client's "log in, then call" works as it
 * is.  Without a mapping the partner has no Odoo identity: refused.
 */

static ngx_int_t
ngx_http_govern_odoo_login(ngx_http_request_t *r, ngx_http_govern_ctx_t *ctx,
    ngx_http_govern_loc_conf_t *glcf, govern_odoo_call_t *call)
{
    size_t       size;
    u_char      *p;
    ngx_int_t    uid;
    ngx_str_t    detail, *type;
    ngx_buf_t   *b;

    static ngx_str_t  json = ngx_string("application/json");
    static ngx_str_t  xml = ngx_string(GOVERN_XMLRPC_CONTENT_TYPE);

    if (ngx_http_govern_credentials_uid(r, ctx, &uid) != NGX_OK) {
        ngx_str_set(&detail, "no Odoo credentials are mapped to this "
                             "partner");
        return ngx_http_govern_refuse(r, GOVERN_REASON_ODOO_DENIED, &detail);
    }

    if (glcf->odoo == GOVERN_ODOO_XMLRPC) {
        size = govern_xmlrpc_response_int(NULL, 0, (int) uid);
        type = &xml;

    } else {
        size = sizeof("{\"jsonrpc\":\"2.0\",\"id\":,\"result\":}\n")
               + NGX_INT_T_LEN
               + (call->id ? call->id->end - call->id->start : 4);
        type = &json;
    }

    b = ngx_create_temp_buf(r->pool, size + 1);
    if (b == NULL) {
        return ngx_http_govern_refuse_internal(r, "the login's answer");
    }

    if (glcf->odoo == GOVERN_ODOO_XMLRPC) {
        b->last += govern_xmlrpc_response_int((char *) b->pos, size + 1,
                                              (int) uid);

    } else {
        p = ngx_cpymem(b->last, "{\"jsonrpc\":\"2.0\",\"id\":",
                       sizeof("{\"jsonrpc\":\"2.0\",\"id\":") - 1);

        if (call->id) {
            p = ngx_cpymem(p, ctx->body->pos + call->id->start,
                           call->id->end - call->id->start);

        } else {
            p = ngx_cpymem(p, "null", 4);
        }

        b->last = ngx_sprintf(p, ",\"result\":%i}\n", uid);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "govern: login answered with uid %i", uid);

    return ngx_http_govern_answer(r, NGX_HTTP_OK, type, b);
}


/* the route's refusals in its protocol's shape (installed by the merge) */

static ngx_buf_t *
ngx_http_govern_odoo_refusal(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, const govern_reason_t *info,
    ngx_str_t *detail, ngx_str_t *extra)
{
    ngx_http_govern_loc_conf_t  *glcf;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);

    return ngx_http_govern_odoo_error(r, ctx, info, glcf->odoo, detail,
                                      extra);
}


/* the Odoo exception a refusal stands for, per protocol */

static const char *
ngx_http_govern_odoo_exception(govern_reason_e reason,
    ngx_uint_t protocol)
{
    switch (govern_reason_class(reason)) {

    case GOVERN_REASON_CLASS_IDENTITY:
        return protocol == GOVERN_ODOO_JSON2
               ? "werkzeug.exceptions.Unauthorized"
               : "odoo.exceptions.AccessDenied";

    case GOVERN_REASON_CLASS_INVALID:
        return "odoo.exceptions.ValidationError";

    case GOVERN_REASON_CLASS_MALFORMED:
        return protocol == GOVERN_ODOO_JSON2
               ? "werkzeug.exceptions.BadRequest"
               : "odoo.exceptions.ValidationError";

    case GOVERN_REASON_CLASS_DENIED:
        return "odoo.exceptions.AccessError";

    default:
        return protocol == GOVERN_ODOO_JSON2
               ? "werkzeug.exceptions.HTTPException"
               : "odoo.exceptions.AccessError";
    }
}


static ngx_buf_t *
ngx_http_govern_odoo_error(ngx_http_request_t *r, ngx_http_govern_ctx_t *ctx,
    const govern_reason_t *info, ngx_uint_t protocol,
    ngx_str_t *detail, ngx_str_t *extra)
{
    u_char      *p, *id;
    size_t       len, id_len;
    ngx_buf_t   *b;
    const char  *name;

    static ngx_str_t  json = ngx_string("application/json");

    name = ngx_http_govern_odoo_exception(ctx->reason, protocol);

    /* the JSON-RPC id is echoed as sent once the body was read, else null */

    if (ctx->odoo && ctx->odoo->id) {
        id = ctx->body->pos + ctx->odoo->id->start;
        id_len = ctx->odoo->id->end - ctx->odoo->id->start;

    } else {
        id = NULL;
        id_len = 4;
    }

    len = sizeof("{\"jsonrpc\":\"2.0\",\"id\":,\"error\":{\"code\":200,"
                 "\"message\":\"Odoo Server Error\",\"data\":{\"name\":\"\","
                 "\"message\":\"\",\"arguments\":[\"\",],\"context\":{},"
                 "\"debug\":\"\",\"reason\":\"\",\"request_id\":\"\"}}}\n")
          + id_len + ngx_strlen(name)
          + 2 * GOVERN_JSON_ESCAPE_MAX(detail->len)
          + NGX_INT_T_LEN + info->code_len + ctx->request_id.len
          + (extra ? extra->len : 0);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
    }

    p = b->last;

    if (protocol == GOVERN_ODOO_JSONRPC) {
        p = ngx_sprintf(p, "{\"jsonrpc\":\"2.0\",\"id\":");
        p = id ? ngx_cpymem(p, id, id_len) : ngx_cpymem(p, "null", 4);
        p = ngx_sprintf(p, ",\"error\":{\"code\":200,\"message\":\"Odoo "
                        "Server Error\",\"data\":");
    }

    p = ngx_sprintf(p, "{\"name\":\"%s\",\"message\":\"", name);
    p = govern_json_escape(p, detail->data, detail->len);
    p = ngx_cpymem(p, "\",\"arguments\":[\"", sizeof("\",\"arguments\":[\"")
                                                - 1);
    p = govern_json_escape(p, detail->data, detail->len);

    if (protocol == GOVERN_ODOO_JSON2) {
        p = ngx_sprintf(p, "\",%d", info->status);

    } else {
        *p++ = '"';
    }

    p = ngx_sprintf(p, "],\"context\":{},\"debug\":\"\",\"reason\":\"%s\","
                    "\"request_id\":\"%V\"", info->code, &ctx->request_id);

    if (extra) {
        p = ngx_cpymem(p, extra->data, extra->len);
    }

    p = ngx_cpymem(p, "}", 1);

    if (protocol == GOVERN_ODOO_JSONRPC) {
        p = ngx_cpymem(p, "}}", 2);
    }

    *p++ = '\n';

    b->last = p;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    /* JSON-RPC errors travel at HTTP 200, as Odoo sends them */

    r->headers_out.status = (protocol == GOVERN_ODOO_JSONRPC)
                            ? NGX_HTTP_OK : (ngx_uint_t) info->status;
    r->headers_out.content_type = json;
    r->headers_out.content_type_len = json.len;

    return b;
}


/* the audit record's "odoo" */

u_char *
ngx_http_govern_odoo_audit(u_char *p, ngx_http_govern_ctx_t *ctx)
{
    ngx_str_t                     s;
    govern_odoo_call_t           *call;

    call = ctx->odoo;

    if (call == NULL) {
        return ngx_cpymem(p, "null", 4);
    }

    p = ngx_cpymem(p, "{\"db\":", sizeof("{\"db\":") - 1);

    if (call->db) {
        s.data = (u_char *) call->db;
        s.len = ngx_strlen(call->db);
        *p++ = '"';
        p = govern_json_escape(p, s.data, s.len);
        *p++ = '"';

    } else {
        p = ngx_cpymem(p, "null", 4);
    }

    p = ngx_cpymem(p, ",\"model\":", sizeof(",\"model\":") - 1);

    if (ctx->odoo_model.len) {
        *p++ = '"';
        p = govern_json_escape(p, ctx->odoo_model.data,
                               ctx->odoo_model.len);
        *p++ = '"';

    } else {
        p = ngx_cpymem(p, "null", 4);
    }

    p = ngx_cpymem(p, ",\"method\":", sizeof(",\"method\":") - 1);

    if (ctx->odoo_method.len) {
        *p++ = '"';
        p = govern_json_escape(p, ctx->odoo_method.data,
                               ctx->odoo_method.len);
        *p++ = '"';

    } else {
        p = ngx_cpymem(p, "null", 4);
    }

    if (call->records == GOVERN_ODOO_UNLIMITED) {
        p = ngx_cpymem(p, ",\"records\":null", sizeof(",\"records\":null")
                                                 - 1);

    } else {
        p = ngx_sprintf(p, ",\"records\":%L", call->records);
    }

    p = call->clamped
        ? ngx_cpymem(p, ",\"clamped\":true", sizeof(",\"clamped\":true") - 1)
        : ngx_cpymem(p, ",\"clamped\":false",
                     sizeof(",\"clamped\":false") - 1);

    switch (call->protocol) {
    case GOVERN_ODOO_JSON2:
        return ngx_cpymem(p, ",\"protocol\":\"json2\"}",
                          sizeof(",\"protocol\":\"json2\"}") - 1);
    case GOVERN_ODOO_XMLRPC:
        return ngx_cpymem(p, ",\"protocol\":\"xmlrpc\"}",
                          sizeof(",\"protocol\":\"xmlrpc\"}") - 1);
    default:
        return ngx_cpymem(p, ",\"protocol\":\"jsonrpc\"}",
                          sizeof(",\"protocol\":\"jsonrpc\"}") - 1);
    }
}


size_t
ngx_http_govern_odoo_audit_len(ngx_http_govern_ctx_t *ctx)
{
    if (ctx->odoo == NULL) {
        return 4;
    }

    return sizeof("{\"db\":\"\",\"model\":\"\",\"method\":\"\","
                  "\"records\":,\"clamped\":false,"
                  "\"protocol\":\"jsonrpc\"}") + NGX_INT_T_LEN
           + GOVERN_JSON_ESCAPE_MAX(
                 (ctx->odoo->db ? ngx_strlen(ctx->odoo->db) : 0)
                 + ctx->odoo_model.len + ctx->odoo_method.len);
}


/* configuration */


static ngx_http_govern_odoo_conf_t *
ngx_http_govern_odoo_conf(ngx_conf_t *cf, ngx_command_t *cmd,
    ngx_http_govern_loc_conf_t *glcf)
{
    ngx_http_govern_odoo_conf_t  *oc;

    if (glcf->odoo_conf == NGX_CONF_UNSET_PTR) {
        oc = ngx_pcalloc(cf->pool, sizeof(ngx_http_govern_odoo_conf_t));
        if (oc == NULL) {
            return NULL;
        }

        oc->context_allow = ngx_http_govern_default_context;
        oc->first = cmd->name.data;
        oc->first_where.file = cf->conf_file->file.name.data;
        oc->first_where.line = cf->conf_file->line;

        glcf->odoo_conf = oc;
    }

    return glcf->odoo_conf;
}


static ngx_int_t
ngx_http_govern_odoo_where(ngx_conf_t *cf, ngx_array_t **where)
{
    ngx_http_govern_odoo_where_t  *w;

    if (*where == NULL) {
        *where = ngx_array_create(cf->pool, 4,
                                  sizeof(ngx_http_govern_odoo_where_t));
        if (*where == NULL) {
            return NGX_ERROR;
        }
    }

    w = ngx_array_push(*where);
    if (w == NULL) {
        return NGX_ERROR;
    }

    w->file = cf->conf_file->file.name.data;
    w->line = cf->conf_file->line;

    return NGX_OK;
}


/* govern_odoo jsonrpc | json2 | off */

char *
ngx_http_govern_odoo_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char                        *rv;
    ngx_http_govern_loc_conf_t  *glcf = conf;

    rv = ngx_conf_set_enum_slot(cf, cmd, conf);

    if (rv == NGX_CONF_OK && glcf->odoo) {
        ngx_http_govern_conf_mark(cf, glcf, cmd);
    }

    return rv;
}


/* govern_odoo_allow MODEL METHOD[,METHOD...] scope=SCOPE */

char *
ngx_http_govern_odoo_allow_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    u_char                       *p, *last, *comma;
    ngx_str_t                    *value;
    ngx_uint_t                    n, i;
    ngx_http_govern_odoo_conf_t  *oc;
    govern_odoo_rule_t           *rule;

    oc = ngx_http_govern_odoo_conf(cf, cmd, conf);
    if (oc == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    if (ngx_strlchr(value[1].data, value[1].data + value[1].len, ',')) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid model \"%V\", one model per rule",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    if (ngx_strncmp(value[3].data, "scope=", 6) != 0 || value[3].len == 6) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\", it must be "
                           "scope=SCOPE", &value[3]);
        return NGX_CONF_ERROR;
    }

    if (oc->rules == NULL) {
        oc->rules = ngx_array_create(cf->pool, 4,
                                     sizeof(govern_odoo_rule_t));
        if (oc->rules == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    rule = ngx_array_push(oc->rules);
    if (rule == NULL
        || ngx_http_govern_odoo_where(cf, &oc->rules_where) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    rule->model = (const char *) value[1].data;
    rule->scope = (const char *) value[3].data + 6;

    n = 1;

    for (i = 0; i < value[2].len; i++) {
        n += (value[2].data[i] == ',');
    }

    rule->methods = ngx_pcalloc(cf->pool, (n + 1) * sizeof(char *));
    if (rule->methods == NULL) {
        return NGX_CONF_ERROR;
    }

    p = value[2].data;
    last = p + value[2].len;
    i = 0;

    while (p <= last) {
        comma = ngx_strlchr(p, last, ',');

        if (comma == NULL) {
            comma = last;
        }

        if (comma == p || *p == '_') {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid method list \"%V\"", &value[2]);
            return NGX_CONF_ERROR;
        }

        *comma = '\0';
        rule->methods[i++] = (const char *) p;
        p = comma + 1;
    }

    return NGX_CONF_OK;
}


/* govern_odoo_method MODEL METHOD model | records | search[=POS] | ... */

char *
ngx_http_govern_odoo_method_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_str_t                    *value;
    ngx_http_govern_odoo_conf_t  *oc;
    govern_odoo_decl_t           *decl;

    oc = ngx_http_govern_odoo_conf(cf, cmd, conf);
    if (oc == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    if (value[2].data[0] == '_') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid method \"%V\", private methods cannot "
                           "be called", &value[2]);
        return NGX_CONF_ERROR;
    }

    if (oc->decls == NULL) {
        oc->decls = ngx_array_create(cf->pool, 4,
                                     sizeof(govern_odoo_decl_t));
        if (oc->decls == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    decl = ngx_array_push(oc->decls);
    if (decl == NULL
        || ngx_http_govern_odoo_where(cf, &oc->decls_where) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    decl->model = (const char *) value[1].data;
    decl->method = (const char *) value[2].data;

    if (!govern_odoo_parse_shape((const char *) value[3].data,
                                 value[3].len, &decl->shape))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid shape \"%V\", it must be model, "
                           "records, search[=POSITION] or group[=POSITION]",
                           &value[3]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* govern_odoo_context_allow KEY ... */

char *
ngx_http_govern_odoo_context_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_odoo_conf_t  *oc;

    oc = ngx_http_govern_odoo_conf(cf, cmd, conf);
    if (oc == NULL) {
        return NGX_CONF_ERROR;
    }

    if (oc->context_allow != ngx_http_govern_default_context) {
        return "is duplicate";
    }

    oc->context_allow = ngx_http_govern_conf_strings(cf);

    return oc->context_allow ? NGX_CONF_OK : NGX_CONF_ERROR;
}


/* govern_odoo_max_records N [clamp] */

char *
ngx_http_govern_odoo_max_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_str_t                    *value;
    ngx_http_govern_odoo_conf_t  *oc;

    oc = ngx_http_govern_odoo_conf(cf, cmd, conf);
    if (oc == NULL) {
        return NGX_CONF_ERROR;
    }

    if (oc->max_records) {
        return "is duplicate";
    }

    value = cf->args->elts;
    oc->max_records = ngx_atoi(value[1].data, value[1].len);

    if (oc->max_records <= 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid number of records \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (cf->args->nelts == 3) {
        if (ngx_strcmp(value[2].data, "clamp") != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\", it can only be "
                               "clamp", &value[2]);
            return NGX_CONF_ERROR;
        }

        oc->clamp = 1;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_govern_odoo_alloc(void *pool, size_t size)
{
    return ngx_palloc(pool, size);
}


/* the policy's table, once per set of rules (nested locations share it) */

static char *
ngx_http_govern_odoo_build(ngx_conf_t *cf, ngx_http_govern_odoo_conf_t *oc)
{
    int                            rc;
    size_t                         bad, nrules;
    const char                    *why, *method;
    ngx_http_govern_odoo_where_t  *where;
    govern_odoo_rule_t            *rule;

    if (oc->built) {
        return NGX_CONF_OK;
    }

    oc->built = 1;
    oc->policy.context_allow = oc->context_allow;
    oc->policy.max_records = oc->max_records;
    oc->policy.clamp = oc->clamp;

    nrules = oc->rules ? oc->rules->nelts : 0;

    rc = govern_odoo_policy_build(&oc->policy,
             oc->rules ? oc->rules->elts : NULL, nrules,
             oc->decls ? oc->decls->elts : NULL,
             oc->decls ? oc->decls->nelts : 0,
             ngx_http_govern_odoo_alloc, cf->pool, &why, &bad, &method);

    if (rc == 0) {
        return NGX_CONF_OK;
    }

    if (rc == -2) {
        return NGX_CONF_ERROR;
    }

    if (bad < nrules) {
        where = (ngx_http_govern_odoo_where_t *) oc->rules_where->elts + bad;
        rule = (govern_odoo_rule_t *) oc->rules->elts + bad;

        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"govern_odoo_allow\" for %s%s%s: %s in %s:%ui",
                      rule->model, method ? "." : "", method ? method : "",
                      why, where->file, where->line);

    } else {
        where = (ngx_http_govern_odoo_where_t *) oc->decls_where->elts
                + (bad - nrules);

        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"govern_odoo_method\": %s in %s:%ui", why,
                      where->file, where->line);
    }

    return NGX_CONF_ERROR;
}


static char *
ngx_http_govern_odoo_merge(ngx_conf_t *cf, ngx_http_govern_loc_conf_t *prev,
    ngx_http_govern_loc_conf_t *conf)
{
    ngx_http_govern_odoo_conf_t  *oc;

    ngx_conf_merge_uint_value(conf->odoo, prev->odoo, 0);

    if (conf->odoo_conf == NGX_CONF_UNSET_PTR) {
        conf->odoo_conf = (prev->odoo_conf != NGX_CONF_UNSET_PTR)
                          ? prev->odoo_conf : NULL;

    } else if (!conf->odoo) {
        /* rules written where no Odoo call is ever parsed */

        oc = conf->odoo_conf;

        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"%s\" has no effect without \"govern_odoo\" in this "
                      "location in %s:%ui", oc->first, oc->first_where.file,
                      oc->first_where.line);
        return NGX_CONF_ERROR;
    }

    if (!conf->odoo) {
        return NGX_CONF_OK;
    }

    if (conf->odoo_conf == NULL) {
        conf->odoo_conf = ngx_pcalloc(cf->pool,
                                      sizeof(ngx_http_govern_odoo_conf_t));
        if (conf->odoo_conf == NULL) {
            return NGX_CONF_ERROR;
        }

        conf->odoo_conf->context_allow = ngx_http_govern_default_context;
    }

    /* refusals on this route speak Odoo's protocol */
    conf->refusal = (conf->odoo == GOVERN_ODOO_XMLRPC)
                    ? ngx_http_govern_xmlrpc_refusal
                    : ngx_http_govern_odoo_refusal;

    return ngx_http_govern_odoo_build(cf, conf->odoo_conf);
}


static void
ngx_http_govern_odoo_create(ngx_http_govern_loc_conf_t *conf)
{
    conf->odoo = NGX_CONF_UNSET_UINT;
    conf->odoo_conf = NGX_CONF_UNSET_PTR;
}


const ngx_http_govern_stage_t  ngx_http_govern_odoo_stage = {
    "odoo",
    ngx_http_govern_odoo_create,
    ngx_http_govern_odoo_merge,
    NULL,                                   /* init */
    ngx_http_govern_odoo_access,
    ngx_http_govern_odoo_headers,
    NULL,                                   /* body */
    NULL                                    /* log */
};
