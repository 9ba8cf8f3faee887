
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

#include "govern_odoo.h"
#include "govern_scopes.h"


/*
 * s equals the literal.  A call's strings are parsed strings or copies of
 * the path, readable for GOVERN_JV_READABLE bytes: a short
 * literal is compared with its NUL at once, inline, where strcmp() is a
 * call per comparison.
 */
#define govern_odoo_is(s, lit)                                       \
    (sizeof(lit) <= GOVERN_JV_READABLE                                        \
     ? memcmp(s, lit, sizeof(lit)) == 0 : strcmp(s, lit) == 0)


/* @api.model methods: their first argument is not record ids */
static const char  *govern_odoo_model_methods[] = {
    "create", "search", "search_read", "search_count", "name_search",
    "name_create", "default_get", "fields_get", "read_group",
    "formatted_read_group", "web_search_read", "context_get", NULL
};


static govern_jv_t *govern_odoo_get(
    govern_jv_t *object, const char *key,
    const govern_jv_source_t *src, int *nomem);
static const char *govern_odoo_string(govern_jv_t *object,
    const char *key);
static int govern_odoo_in(const char *s, const char **list);
static long long govern_odoo_count_ids(govern_jv_t *ids);
static long long govern_odoo_count_values(
    govern_jv_t *values, const govern_jv_source_t *src,
    int *nomem);


/*
 * v built when the parse left it lazy: every container the call is read
 * from goes through here, so any lazy depth reads the same call.  0, and
 * *nomem set, without memory.
 */

static int
govern_odoo_build(govern_jv_t *v,
    const govern_jv_source_t *src, int *nomem)
{
    if (src && !govern_jv_expand(v, src)) {
        *nomem = 1;
        return 0;
    }

    return 1;
}


/* a member, or an item, built */

static govern_jv_t *
govern_odoo_get(govern_jv_t *object, const char *key,
    const govern_jv_source_t *src, int *nomem)
{
    govern_jv_t           *v;

    v = govern_jv_getz(object, key);
    (void) govern_odoo_build(v, src, nomem);

    return v;
}


static govern_jv_t *
govern_odoo_item(govern_jv_t *array, size_t i,
    const govern_jv_source_t *src, int *nomem)
{
    govern_jv_t           *v;

    v = govern_jv_item(array, i);
    (void) govern_odoo_build(v, src, nomem);

    return v;
}


/*
 * How deep the body is built before the policy reads it (see
 * GOVERN_JV_LAZY): below the containers the call is read from,
 * so a search's domain and fields are checked but not built.  Values
 * are built whole when read; where the path names create or write,
 * building everything at once is cheaper.
 */

unsigned
govern_odoo_lazy_depth(int protocol, const char *path,
    size_t path_len)
{
    const char  *method;

    if (protocol == GOVERN_ODOO_JSON2) {
        method = path + path_len;

        while (method > path && method[-1] != '/') {
            method--;
        }

        if ((path + path_len - method == 6 && memcmp(method, "create", 6) == 0)
            || (path + path_len - method == 5
                && memcmp(method, "write", 5) == 0))
        {
            return 0;
        }

        return 1;                   /* {"domain": [...], ...} */
    }

    if (path_len >= sizeof("/web/dataset/call_") - 1
        && memcmp(path, "/web/dataset/call_", sizeof("/web/dataset/call_") - 1)
           == 0)
    {
        return 3;                   /* params.args[0], params.kwargs.x */
    }

    return 4;                       /* params.args[5][0], args[6].x */
}


/* a string member, or NULL when absent or not a string */

static const char *
govern_odoo_string(govern_jv_t *object, const char *key)
{
    govern_jv_t           *v;

    v = govern_jv_getz(object, key);

    return govern_jv_string(v);
}


static int
govern_odoo_in(const char *s, const char **list)
{
    for ( /* void */ ; *list; list++) {
        if (s[0] == (*list)[0] && strcmp(s, *list) == 0) {
            return 1;
        }
    }

    return 0;
}


govern_reason_e
govern_odoo_parse(int protocol, govern_jv_t *body,
    const govern_jv_source_t *src, const char *path,
    size_t path_len, govern_odoo_call_t *call, const char **why)
{
    int                    nomem, kw;
    size_t                 n, skip;
    long long              values;
    const char            *p, *end, *slash;
    govern_jv_t           *params, *args, *kwargs, *rest, *v;

    memset(call, 0, sizeof(*call));
    nomem = 0;
    call->protocol = protocol;
    call->limit = GOVERN_ODOO_UNLIMITED;

    if (protocol == GOVERN_ODOO_JSON2) {

        /* /json/2/<model>/<method>: the path is authoritative */

        p = path;
        end = path + path_len;

        if (path_len < sizeof("/json/2/") - 1
            || memcmp(path, "/json/2/", sizeof("/json/2/") - 1) != 0)
        {
            *why = "not a /json/2/<model>/<method> path";
            return GOVERN_REASON_ODOO_MALFORMED;
        }

        p += sizeof("/json/2/") - 1;
        slash = memchr(p, '/', end - p);

        if (slash == NULL || slash == p || slash + 1 == end
            || memchr(slash + 1, '/', end - slash - 1)
            || (size_t) (slash - p) >= sizeof(call->path_model)
            || (size_t) (end - slash - 1) >= sizeof(call->path_method))
        {
            *why = "not a /json/2/<model>/<method> path";
            return GOVERN_REASON_ODOO_MALFORMED;
        }

        memcpy(call->path_model, p, slash - p);
        call->path_model[slash - p] = '\0';
        memcpy(call->path_method, slash + 1, end - slash - 1);
        call->path_method[end - slash - 1] = '\0';

        call->model = call->path_model;
        call->method = call->path_method;

        if (body == NULL) {
            return GOVERN_REASON_NONE;
        }

        if (!govern_jv_is_object(body)) {
            *why = "a JSON-2 body is an object of named arguments";
            return GOVERN_REASON_ODOO_MALFORMED;
        }

        call->ids = govern_jv_getz(body, "ids");
        call->context = govern_odoo_get(body, "context", src,
                                        &nomem);
        call->values = govern_odoo_get(body, "vals_list", src,
                                       &nomem);

        if (call->values == NULL) {
            call->values = govern_odoo_get(body, "vals", src,
                                           &nomem);
        }

        v = govern_jv_getz(body, "limit");
        kwargs = body;
        goto limit;
    }

    /* JSON-RPC 2.0 envelope; only by-name params */

    if (!govern_jv_is_object(body)) {
        *why = "not a JSON-RPC request object";
        return GOVERN_REASON_ODOO_MALFORMED;
    }

    call->id = govern_jv_getz(body, "id");
    params = govern_odoo_get(body, "params", src, &nomem);

    if (!govern_jv_is_object(params)) {
        *why = "JSON-RPC \"params\" must be an object";
        return GOVERN_REASON_ODOO_MALFORMED;
    }

    if (path_len >= sizeof("/web/dataset/call_") - 1
        && memcmp(path, "/web/dataset/call_", sizeof("/web/dataset/call_") - 1)
           == 0)
    {
        /* the web client's RPC: model and method from the body */

        call->model = govern_odoo_string(params, "model");
        call->method = govern_odoo_string(params, "method");
        args = govern_odoo_get(params, "args", src, &nomem);
        kwargs = govern_odoo_get(params, "kwargs", src, &nomem);

        if (call->model == NULL || call->method == NULL
            || (args && !govern_jv_is_array(args))
            || (kwargs && !govern_jv_is_object(kwargs)))
        {
            *why = "call_kw needs params.model, params.method, args and "
                   "kwargs";
            return GOVERN_REASON_ODOO_MALFORMED;
        }

        skip = 0;
        goto positional;
    }

    call->service = govern_odoo_string(params, "service");
    call->method = govern_odoo_string(params, "method");
    args = govern_odoo_get(params, "args", src, &nomem);

    if (call->service == NULL || call->method == NULL
        || (args && !govern_jv_is_array(args)))
    {
        *why = "JSON-RPC needs params.service, params.method and args";
        return GOVERN_REASON_ODOO_MALFORMED;
    }

    if (!govern_odoo_is(call->service, "object")) {
        call->model = NULL;
        return GOVERN_REASON_NONE;
    }

    /* execute_kw(db, uid, password, model, method, args, kwargs) and
     * execute(db, uid, password, model, method, *args) */

    kw = govern_odoo_is(call->method, "execute_kw");

    if (!kw && !govern_odoo_is(call->method, "execute")) {
        *why = "the object service offers execute_kw and execute";
        return GOVERN_REASON_ODOO_MALFORMED;
    }

    if (govern_jv_size(args) < 5
        || !govern_jv_is_string(govern_jv_item(args, 3))
        || !govern_jv_is_string(govern_jv_item(args, 4)))
    {
        *why = "execute_kw needs db, uid, key, model and method";
        return GOVERN_REASON_ODOO_MALFORMED;
    }

    call->db = govern_jv_string(govern_jv_item(args, 0));
    call->model = govern_jv_string(govern_jv_item(args, 3));
    v = govern_jv_item(args, 4);
    call->method = govern_jv_string(v);

    if (kw) {
        rest = govern_odoo_item(args, 5, src, &nomem);
        kwargs = govern_odoo_item(args, 6, src, &nomem);

        if ((rest && !govern_jv_is_array(rest))
            || (kwargs && !govern_jv_is_object(kwargs)
                && !govern_jv_is_null(kwargs)))
        {
            *why = "execute_kw takes an args list and a kwargs object";
            return GOVERN_REASON_ODOO_MALFORMED;
        }

        args = rest;
        skip = 0;

    } else {
        kwargs = NULL;
        skip = 5;               /* execute: positional after the method */
    }

positional:

    n = govern_jv_size(args);

    if (!govern_odoo_in(call->method,
                        govern_odoo_model_methods))
    {
        /* a record method: its first argument is the ids */
        call->ids = govern_jv_item(args, skip);
        skip++;
    }

    if (govern_odoo_is(call->method, "create")) {
        call->values = govern_odoo_item(args, skip, src, &nomem);

        if (call->values == NULL && govern_jv_is_object(kwargs)) {
            call->values = govern_odoo_get(kwargs, "vals_list", src,
                                           &nomem);
        }

    } else if (govern_odoo_is(call->method, "write")) {
        call->values = govern_odoo_item(args, skip, src, &nomem);

        if (call->values == NULL && govern_jv_is_object(kwargs)) {
            call->values = govern_odoo_get(kwargs, "vals", src,
                                           &nomem);
        }
    }

    if (govern_jv_is_object(kwargs)) {
        call->context = govern_odoo_get(kwargs, "context", src,
                                        &nomem);
    }

    /* search_read(domain, fields, offset, limit); search(domain, offset,
     * limit): a positional limit counts too */

    v = govern_jv_getz(kwargs, "limit");

    if (v == NULL && govern_odoo_is(call->method, "search_read")
        && n > skip + 3)
    {
        v = govern_jv_item(args, skip + 3);

    } else if (v == NULL && govern_odoo_is(call->method, "search")
               && n > skip + 2)
    {
        v = govern_jv_item(args, skip + 2);
    }

limit:

    (void) kwargs;

    if (nomem) {
        *why = "out of memory";
        return GOVERN_REASON_INTERNAL_ERROR;
    }

    if (govern_odoo_is(call->method, "search_read")
        || govern_odoo_is(call->method, "search")
        || govern_odoo_is(call->method, "web_search_read")
        || govern_odoo_is(call->method, "read_group"))
    {
        call->searches = 1;

        if (govern_jv_is_integer(v) && v->u.integer > 0) {
            call->limit = v->u.integer;
        }
    }

    if (call->context && !govern_jv_is_object(call->context)
        && !govern_jv_is_null(call->context))
    {
        *why = "the context must be an object";
        return GOVERN_REASON_ODOO_MALFORMED;
    }

    call->records = govern_odoo_count_ids(call->ids);
    values = govern_odoo_count_values(call->values, src, &nomem);

    if (nomem) {
        *why = "out of memory";
        return GOVERN_REASON_INTERNAL_ERROR;
    }

    if (values > call->records) {
        call->records = values;
    }

    if (call->searches) {
        if (call->limit == GOVERN_ODOO_UNLIMITED) {
            call->records = GOVERN_ODOO_UNLIMITED;

        } else if (call->limit > call->records) {
            call->records = call->limit;
        }
    }

    return GOVERN_REASON_NONE;
}


static long long
govern_odoo_count_ids(govern_jv_t *ids)
{
    if (govern_jv_is_integer(ids)) {
        return 1;
    }

    return govern_jv_is_array(ids) ? (long long) ids->len : 0;
}


/*
 * Records a values dict or list reaches: one per dict, plus its x2many
 * commands: [0, 0, vals] creates, [1, id, vals] updates, [2, id] deletes,
 * [6, 0, ids] sets ids; nested values are counted too.
 */

static long long
govern_odoo_count_values(govern_jv_t *values,
    const govern_jv_source_t *src, int *nomem)
{
    size_t                 i, j;
    long long              n, code;
    govern_jv_t           *v, *cmd;

    /* values may sit below the lazy depth: built whole on first read */

    if (!govern_odoo_build(values, src, nomem)) {
        return 0;
    }

    if (govern_jv_is_array(values)) {
        n = 0;

        for (i = 0; i < values->len; i++) {
            n += govern_odoo_count_values(&values->u.items[i], src,
                                          nomem);
        }

        return n;
    }

    if (!govern_jv_is_object(values)) {
        return 0;
    }

    n = 1;

    for (i = 0; i < values->len; i++) {
        v = &values->u.members[i].value;

        if (!govern_jv_is_array(v)) {
            continue;
        }

        if (!govern_odoo_build(v, src, nomem)) {
            return 0;
        }

        for (j = 0; j < v->len; j++) {
            cmd = &v->u.items[j];

            if (!govern_odoo_build(cmd, src, nomem)) {
                return 0;
            }

            if (!govern_jv_is_array(cmd) || cmd->len == 0
                || !govern_jv_is_integer(&cmd->u.items[0]))
            {
                continue;
            }

            code = cmd->u.items[0].u.integer;

            if (code == 0 || code == 1) {
                n += govern_odoo_count_values(
                         govern_jv_item(cmd, 2), src, nomem);

            } else if (code == 2) {
                n++;

            } else if (code == 6) {
                n += govern_odoo_count_ids(
                         govern_jv_item(cmd, 2));
            }
        }
    }

    return n;
}


govern_reason_e
govern_odoo_check(const govern_odoo_call_t *call,
    const govern_odoo_policy_t *policy, const char *granted,
    size_t granted_len, const char **why, const char **key)
{
    size_t                              i;
    const char                         *k;
    const char *const                  *allow;
    const govern_odoo_rule_t           *rule;

    *key = NULL;

    /* never through the gateway, whatever the rules */

    if (call->service && govern_odoo_is(call->service, "db")) {
        *why = "the db service is not exposed";
        return GOVERN_REASON_ODOO_DENIED;
    }

    if (call->service && govern_odoo_is(call->service, "common")) {
        if (govern_odoo_is(call->method, "version")
            || govern_odoo_is(call->method, "about"))
        {
            return GOVERN_REASON_NONE;
        }

        *why = "Odoo logins are not made through the gateway";
        return GOVERN_REASON_ODOO_DENIED;
    }

    if (call->service && !govern_odoo_is(call->service, "object")) {
        *why = "unknown JSON-RPC service";
        return GOVERN_REASON_ODOO_DENIED;
    }

    if (call->method[0] == '_') {
        *why = "private methods cannot be called";
        return GOVERN_REASON_ODOO_DENIED;
    }

    if (govern_odoo_is(call->model, "res.users.apikeys")) {
        *why = "API keys are not managed through the gateway";
        return GOVERN_REASON_ODOO_DENIED;
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
                    && govern_scope_granted(granted, granted_len,
                                            rule->scope))
                {
                    goto allowed;
                }
            }
        }

        *why = "no rule allows this model and method for the partner's "
               "scopes";
        return GOVERN_REASON_ODOO_DENIED;
    }

allowed:

    if (govern_jv_is_object(call->context)) {
        for (i = 0; i < call->context->len; i++) {
            k = call->context->u.members[i].key;

            for (allow = policy->context_allow; *allow; allow++) {
                if (strcmp(*allow, k) == 0) {
                    break;
                }
            }

            if (*allow == NULL) {
                *key = k;
                *why = "a context key is not allowed";
                return GOVERN_REASON_ODOO_DENIED;
            }
        }
    }

    if (policy->max_records
        && (call->records == GOVERN_ODOO_UNLIMITED
            || call->records > policy->max_records))
    {
        *why = call->records == GOVERN_ODOO_UNLIMITED
               ? "a search without a limit reaches every record"
               : "the call touches more records than allowed";
        return GOVERN_REASON_ODOO_DENIED;
    }

    return GOVERN_REASON_NONE;
}
