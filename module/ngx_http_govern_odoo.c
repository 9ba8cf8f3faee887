
/*
 * govern: Odoo calls.
 *
 * The model and method are taken where Odoo itself takes them: the
 * execute_kw arguments on /jsonrpc, params.model/params.method on
 * /web/dataset/call_kw (never its URL suffix, which Odoo ignores), and the
 * path of /json/2/<model>/<method> (which wins over the body).  Records are
 * counted the way the call would touch them: ids, created values, nested
 * x2many commands, and a search's limit (an absent limit is unlimited).
 */


#include <string.h>

#include "ngx_http_govern_odoo.h"
#include "ngx_http_govern_scopes.h"


/* @api.model methods: their first argument is not record ids */
static const char  *ngx_http_govern_odoo_model_methods[] = {
    "create", "search", "search_read", "search_count", "name_search",
    "name_create", "default_get", "fields_get", "read_group",
    "formatted_read_group", "web_search_read", "context_get", NULL
};


static int ngx_http_govern_odoo_in(const char *s, const char **list);
static long long ngx_http_govern_odoo_count_ids(json_t *ids);
static long long ngx_http_govern_odoo_count_values(json_t *values);


static int
ngx_http_govern_odoo_in(const char *s, const char **list)
{
    for ( /* void */ ; *list; list++) {
        if (strcmp(s, *list) == 0) {
            return 1;
        }
    }

    return 0;
}


ngx_http_govern_reason_e
ngx_http_govern_odoo_parse(int protocol, json_t *body, const char *path,
    size_t path_len, ngx_http_govern_odoo_call_t *call, const char **why)
{
    size_t        n, skip;
    json_t       *params, *args, *kwargs, *rest, *v;
    const char   *p, *end, *slash;

    memset(call, 0, sizeof(*call));
    call->protocol = protocol;
    call->limit = NGX_HTTP_GOVERN_ODOO_UNLIMITED;

    if (protocol == NGX_HTTP_GOVERN_ODOO_JSON2) {

        /* /json/2/<model>/<method>: the path is authoritative */

        p = path;
        end = path + path_len;

        if (path_len < sizeof("/json/2/") - 1
            || memcmp(path, "/json/2/", sizeof("/json/2/") - 1) != 0)
        {
            *why = "not a /json/2/<model>/<method> path";
            return NGX_HTTP_GOVERN_REASON_ODOO_MALFORMED;
        }

        p += sizeof("/json/2/") - 1;
        slash = memchr(p, '/', end - p);

        if (slash == NULL || slash == p || slash + 1 == end
            || memchr(slash + 1, '/', end - slash - 1)
            || (size_t) (slash - p) >= sizeof(call->path_model)
            || (size_t) (end - slash - 1) >= sizeof(call->path_method))
        {
            *why = "not a /json/2/<model>/<method> path";
            return NGX_HTTP_GOVERN_REASON_ODOO_MALFORMED;
        }

        memcpy(call->path_model, p, slash - p);
        call->path_model[slash - p] = '\0';
        memcpy(call->path_method, slash + 1, end - slash - 1);
        call->path_method[end - slash - 1] = '\0';

        call->model = call->path_model;
        call->method = call->path_method;

        if (body == NULL) {
            return NGX_HTTP_GOVERN_REASON_NONE;
        }

        if (!json_is_object(body)) {
            *why = "a JSON-2 body is an object of named arguments";
            return NGX_HTTP_GOVERN_REASON_ODOO_MALFORMED;
        }

        call->ids = json_object_get(body, "ids");
        call->context = json_object_get(body, "context");
        call->values = json_object_get(body, "vals_list");

        if (call->values == NULL) {
            call->values = json_object_get(body, "vals");
        }

        v = json_object_get(body, "limit");
        kwargs = body;
        goto limit;
    }

    /* JSON-RPC 2.0 envelope; only by-name params */

    if (!json_is_object(body)) {
        *why = "not a JSON-RPC request object";
        return NGX_HTTP_GOVERN_REASON_ODOO_MALFORMED;
    }

    call->id = json_object_get(body, "id");
    params = json_object_get(body, "params");

    if (!json_is_object(params)) {
        *why = "JSON-RPC \"params\" must be an object";
        return NGX_HTTP_GOVERN_REASON_ODOO_MALFORMED;
    }

    if (path_len >= sizeof("/web/dataset/call_") - 1
        && memcmp(path, "/web/dataset/call_", sizeof("/web/dataset/call_") - 1)
           == 0)
    {
        /* the web client's RPC: model and method from the body */

        call->model = json_string_value(json_object_get(params, "model"));
        call->method = json_string_value(json_object_get(params, "method"));
        args = json_object_get(params, "args");
        kwargs = json_object_get(params, "kwargs");

        if (call->model == NULL || call->method == NULL
            || (args && !json_is_array(args))
            || (kwargs && !json_is_object(kwargs)))
        {
            *why = "call_kw needs params.model, params.method, args and "
                   "kwargs";
            return NGX_HTTP_GOVERN_REASON_ODOO_MALFORMED;
        }

        skip = 0;
        goto positional;
    }

    call->service = json_string_value(json_object_get(params, "service"));
    call->method = json_string_value(json_object_get(params, "method"));
    args = json_object_get(params, "args");

    if (call->service == NULL || call->method == NULL
        || (args && !json_is_array(args)))
    {
        *why = "JSON-RPC needs params.service, params.method and args";
        return NGX_HTTP_GOVERN_REASON_ODOO_MALFORMED;
    }

    if (strcmp(call->service, "object") != 0) {
        call->model = NULL;
        return NGX_HTTP_GOVERN_REASON_NONE;
    }

    /* execute_kw(db, uid, password, model, method, args, kwargs) and
     * execute(db, uid, password, model, method, *args) */

    if (strcmp(call->method, "execute_kw") != 0
        && strcmp(call->method, "execute") != 0)
    {
        *why = "the object service offers execute_kw and execute";
        return NGX_HTTP_GOVERN_REASON_ODOO_MALFORMED;
    }

    if (json_array_size(args) < 5
        || !json_is_string(json_array_get(args, 3))
        || !json_is_string(json_array_get(args, 4)))
    {
        *why = "execute_kw needs db, uid, key, model and method";
        return NGX_HTTP_GOVERN_REASON_ODOO_MALFORMED;
    }

    call->db = json_string_value(json_array_get(args, 0));
    call->model = json_string_value(json_array_get(args, 3));
    v = json_array_get(args, 4);
    call->method = json_string_value(v);

    if (strcmp(json_string_value(json_object_get(params, "method")),
               "execute_kw") == 0)
    {
        rest = json_array_get(args, 5);
        kwargs = json_array_get(args, 6);

        if ((rest && !json_is_array(rest))
            || (kwargs && !json_is_object(kwargs) && !json_is_null(kwargs)))
        {
            *why = "execute_kw takes an args list and a kwargs object";
            return NGX_HTTP_GOVERN_REASON_ODOO_MALFORMED;
        }

        args = rest;
        skip = 0;

    } else {
        kwargs = NULL;
        skip = 5;               /* execute: positional after the method */
    }

positional:

    n = json_array_size(args);

    if (!ngx_http_govern_odoo_in(call->method,
                                 ngx_http_govern_odoo_model_methods))
    {
        /* a record method: its first argument is the ids */
        call->ids = json_array_get(args, skip);
        skip++;
    }

    if (strcmp(call->method, "create") == 0) {
        call->values = json_array_get(args, skip);

        if (call->values == NULL && json_is_object(kwargs)) {
            call->values = json_object_get(kwargs, "vals_list");
        }

    } else if (strcmp(call->method, "write") == 0) {
        call->values = json_array_get(args, skip);

        if (call->values == NULL && json_is_object(kwargs)) {
            call->values = json_object_get(kwargs, "vals");
        }
    }

    if (json_is_object(kwargs)) {
        call->context = json_object_get(kwargs, "context");
    }

    /* search_read(domain, fields, offset, limit); search(domain, offset,
     * limit): a positional limit counts too */

    v = json_is_object(kwargs) ? json_object_get(kwargs, "limit") : NULL;

    if (v == NULL && strcmp(call->method, "search_read") == 0
        && n > skip + 3)
    {
        v = json_array_get(args, skip + 3);

    } else if (v == NULL && strcmp(call->method, "search") == 0
               && n > skip + 2)
    {
        v = json_array_get(args, skip + 2);
    }

limit:

    (void) kwargs;

    if (strcmp(call->method, "search_read") == 0
        || strcmp(call->method, "search") == 0
        || strcmp(call->method, "web_search_read") == 0
        || strcmp(call->method, "read_group") == 0)
    {
        call->searches = 1;

        if (json_is_integer(v) && json_integer_value(v) > 0) {
            call->limit = json_integer_value(v);
        }
    }

    if (call->context && !json_is_object(call->context)
        && !json_is_null(call->context))
    {
        *why = "the context must be an object";
        return NGX_HTTP_GOVERN_REASON_ODOO_MALFORMED;
    }

    call->records = ngx_http_govern_odoo_count_ids(call->ids);

    if (ngx_http_govern_odoo_count_values(call->values) > call->records) {
        call->records = ngx_http_govern_odoo_count_values(call->values);
    }

    if (call->searches) {
        if (call->limit == NGX_HTTP_GOVERN_ODOO_UNLIMITED) {
            call->records = NGX_HTTP_GOVERN_ODOO_UNLIMITED;

        } else if (call->limit > call->records) {
            call->records = call->limit;
        }
    }

    return NGX_HTTP_GOVERN_REASON_NONE;
}


static long long
ngx_http_govern_odoo_count_ids(json_t *ids)
{
    if (json_is_integer(ids)) {
        return 1;
    }

    return json_is_array(ids) ? (long long) json_array_size(ids) : 0;
}


/*
 * Records a values dict or list reaches: one per dict, plus its x2many
 * commands: [0, 0, vals] creates, [1, id, vals] updates, [2, id] deletes,
 * [6, 0, ids] sets ids; nested values are counted too.
 */

static long long
ngx_http_govern_odoo_count_values(json_t *values)
{
    size_t       i, j;
    json_t      *v, *cmd;
    long long    n, code;
    const char  *key;

    if (json_is_array(values)) {
        n = 0;

        json_array_foreach(values, i, v) {
            n += ngx_http_govern_odoo_count_values(v);
        }

        return n;
    }

    if (!json_is_object(values)) {
        return 0;
    }

    n = 1;

    json_object_foreach(values, key, v) {
        if (!json_is_array(v)) {
            continue;
        }

        json_array_foreach(v, j, cmd) {
            if (!json_is_array(cmd) || json_array_size(cmd) == 0
                || !json_is_integer(json_array_get(cmd, 0)))
            {
                continue;
            }

            code = json_integer_value(json_array_get(cmd, 0));

            if (code == 0 || code == 1) {
                n += ngx_http_govern_odoo_count_values(json_array_get(cmd,
                                                                      2));

            } else if (code == 2) {
                n++;

            } else if (code == 6) {
                n += ngx_http_govern_odoo_count_ids(json_array_get(cmd, 2));
            }
        }
    }

    return n;
}


ngx_http_govern_reason_e
ngx_http_govern_odoo_check(const ngx_http_govern_odoo_call_t *call,
    const ngx_http_govern_odoo_policy_t *policy, const char *granted,
    size_t granted_len, const char **why, const char **key)
{
    size_t                              i;
    const char                         *k;
    json_t                             *v;
    const char *const                  *allow;
    const ngx_http_govern_odoo_rule_t  *rule;

    *key = NULL;

    /* never through the gateway, whatever the rules */

    if (call->service && strcmp(call->service, "db") == 0) {
        *why = "the db service is not exposed";
        return NGX_HTTP_GOVERN_REASON_ODOO_DENIED;
    }

    if (call->service && strcmp(call->service, "common") == 0) {
        if (strcmp(call->method, "version") == 0
            || strcmp(call->method, "about") == 0)
        {
            return NGX_HTTP_GOVERN_REASON_NONE;
        }

        *why = "Odoo logins are not made through the gateway";
        return NGX_HTTP_GOVERN_REASON_ODOO_DENIED;
    }

    if (call->service && strcmp(call->service, "object") != 0) {
        *why = "unknown JSON-RPC service";
        return NGX_HTTP_GOVERN_REASON_ODOO_DENIED;
    }

    if (call->method[0] == '_') {
        *why = "private methods cannot be called";
        return NGX_HTTP_GOVERN_REASON_ODOO_DENIED;
    }

    if (strcmp(call->model, "res.users.apikeys") == 0) {
        *why = "API keys are not managed through the gateway";
        return NGX_HTTP_GOVERN_REASON_ODOO_DENIED;
    }

    /* deny by default once a rule exists */

    if (policy->nrules) {
        for (i = 0; i < policy->nrules; i++) {
            rule = &policy->rules[i];

            if (strcmp(rule->model, call->model) != 0) {
                continue;
            }

            for (allow = rule->methods; *allow; allow++) {
                if (strcmp(*allow, call->method) == 0
                    && ngx_http_govern_scope_granted(granted, granted_len,
                                                     rule->scope))
                {
                    goto allowed;
                }
            }
        }

        *why = "no rule allows this model and method for the partner's "
               "scopes";
        return NGX_HTTP_GOVERN_REASON_ODOO_DENIED;
    }

allowed:

    if (json_is_object(call->context)) {
        json_object_foreach(call->context, k, v) {
            for (allow = policy->context_allow; *allow; allow++) {
                if (strcmp(*allow, k) == 0) {
                    break;
                }
            }

            if (*allow == NULL) {
                *key = k;
                *why = "a context key is not allowed";
                return NGX_HTTP_GOVERN_REASON_ODOO_DENIED;
            }
        }
    }

    if (policy->max_records
        && (call->records == NGX_HTTP_GOVERN_ODOO_UNLIMITED
            || call->records > policy->max_records))
    {
        *why = call->records == NGX_HTTP_GOVERN_ODOO_UNLIMITED
               ? "a search without a limit reaches every record"
               : "the call touches more records than allowed";
        return NGX_HTTP_GOVERN_REASON_ODOO_DENIED;
    }

    return NGX_HTTP_GOVERN_REASON_NONE;
}
