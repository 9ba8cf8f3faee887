
/*
 * govern: Odoo calls.
 *
 * The model and method are taken where Odoo itself takes them: the
 * execute_kw arguments on /jsonrpc, params.model/params.method on
 * /web/dataset/call_kw and call_button (never its URL suffix, which Odoo
 * ignores), and the path of /json/2/<model>/<method> (which wins over the
 * body).  The method is then classified the way Odoo dispatches it, and
 * records are counted the way the call would touch them: ids, created
 * values and their x2many commands (codes compared as Python compares
 * numbers: 0.0 and false are CREATE), plain id lists, and a search's
 * limit (absent, null, false or 0: every record).  A policy with a record
 * cap refuses what it cannot classify.
 */


#include <stdio.h>
#include <stdlib.h>
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

#define govern_odoo_prefix(s, len, lit)                              \
    ((len) >= sizeof(lit) - 1 && memcmp(s, lit, sizeof(lit) - 1) == 0)


#define GOVERN_ODOO_MALFORMED_COUNT           (-2LL)


typedef struct {
    const char                    *name;
    govern_odoo_shape_t            shape;
} govern_odoo_builtin_t;


#define govern_odoo_model(values)                                     \
    { GOVERN_ODOO_MODEL, GOVERN_ODOO_VALUES_ ## values,                   \
      GOVERN_ODOO_KEYWORD_ONLY, 0, GOVERN_ODOO_UNLIMITED, 0 }
#define govern_odoo_records(values)                                   \
    { GOVERN_ODOO_RECORDS, GOVERN_ODOO_VALUES_ ## values,                 \
      GOVERN_ODOO_KEYWORD_ONLY, 0, GOVERN_ODOO_UNLIMITED, 0 }
#define govern_odoo_web_records(values, spec)                         \
    { GOVERN_ODOO_RECORDS, GOVERN_ODOO_VALUES_ ## values,                 \
      GOVERN_ODOO_KEYWORD_ONLY, 0, GOVERN_ODOO_UNLIMITED, 1 + (spec) }
#define govern_odoo_search(position, limit)                           \
    { GOVERN_ODOO_SEARCH, GOVERN_ODOO_VALUES_NONE, position, 0, limit, 0 }
#define govern_odoo_web_search(position, spec)                        \
    { GOVERN_ODOO_SEARCH, GOVERN_ODOO_VALUES_NONE, position, 0,           \
      GOVERN_ODOO_UNLIMITED, 1 + (spec) }
#define govern_odoo_group(position)                                   \
    { GOVERN_ODOO_GROUP, GOVERN_ODOO_VALUES_NONE, position, 0,            \
      GOVERN_ODOO_UNLIMITED, 0 }


/*
 * Odoo's own methods and how it dispatches them (odoo/models.py,
 * addons/web/models/models.py, 17.0 to 19.0), sorted for bsearch.  The
 * limit positions are those of the signatures, after self:
 * search(domain, offset, limit), search_read(domain, fields, offset,
 * limit), name_search(name, domain, operator, limit=100), read_group(
 * domain, fields, groupby, offset, limit), formatted_read_group(domain,
 * groupby, aggregates, having, offset, limit), web_read_group(domain,
 * fields or groupby, groupby or aggregates, limit).
 */

static const govern_odoo_builtin_t  govern_odoo_builtins[] =
{
    { "action_archive", govern_odoo_records(NONE) },
    { "action_unarchive", govern_odoo_records(NONE) },
    { "check_access_rights", govern_odoo_model(NONE) },
    { "context_get", govern_odoo_model(NONE) },
    { "copy", govern_odoo_records(COPY) },
    { "create", govern_odoo_model(CREATE) },
    { "default_get", govern_odoo_model(NONE) },
    { "fields_get", govern_odoo_model(NONE) },
    { "formatted_read_group", govern_odoo_group(5) },
    { "get_views", govern_odoo_model(NONE) },
    { "message_post", govern_odoo_records(NONE) },
    { "name_create", govern_odoo_model(ONE) },
    { "name_search", govern_odoo_search(3, 100) },
    { "onchange", govern_odoo_records(NONE) },
    { "read", govern_odoo_records(NONE) },
    { "read_group", govern_odoo_group(4) },
    { "search", govern_odoo_search(2,
                                   GOVERN_ODOO_UNLIMITED) },
    { "search_count", govern_odoo_model(NONE) },
    { "search_fetch", govern_odoo_search(3,
                                            GOVERN_ODOO_UNLIMITED) },
    { "search_read", govern_odoo_search(3,
                                            GOVERN_ODOO_UNLIMITED) },
    { "toggle_active", govern_odoo_records(NONE) },
    { "unlink", govern_odoo_records(NONE) },
    { "web_read", govern_odoo_web_records(NONE, 0) },
    { "web_read_group", govern_odoo_group(3) },
    { "web_save", govern_odoo_web_records(WRITE, 1) },
    { "web_search_read", govern_odoo_web_search(3, 1) },
    { "write", govern_odoo_records(WRITE) },
};


/* the keyword each kind of values is passed by */
static const char  *govern_odoo_values_keyword[] = {
    NULL, "vals_list", "vals", "default", NULL
};


typedef struct {
    const govern_jv_source_t           *src;
    int                                 nomem;
    const char                         *why;    /* set when malformed */
} govern_odoo_count_t;


static govern_jv_t *govern_odoo_get(
    govern_jv_t *object, const char *key,
    const govern_jv_source_t *src, int *nomem);
static const char *govern_odoo_string(govern_jv_t *object,
    const char *key);
static void govern_odoo_classify(govern_odoo_call_t *call,
    const govern_odoo_policy_t *policy);
static int govern_odoo_number(const govern_jv_t *v,
    int booleans, long long *n);
static long long govern_odoo_count_ids(govern_jv_t *ids,
    int strict, govern_odoo_count_t *cnt);
static long long govern_odoo_count_values(
    govern_jv_t *values, unsigned depth,
    govern_odoo_count_t *cnt);
static govern_reason_e govern_odoo_count(
    govern_odoo_call_t *call, govern_jv_t *limit,
    govern_odoo_count_t *cnt, const char **why);
static void govern_odoo_relate(govern_odoo_call_t *call);
static int govern_odoo_clamp(govern_odoo_call_t *call,
    long long n);
static uint32_t govern_odoo_hash(const char *model,
    const char *method);


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

    if (govern_odoo_prefix(path, path_len, "/web/dataset/call_")) {
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


/* /web/dataset/call_kw and call_button, bare or with a path for logs */

static int
govern_odoo_web_endpoint(const char *path, size_t len)
{
    size_t  n;

    if (govern_odoo_prefix(path, len, "/web/dataset/call_kw")) {
        n = sizeof("/web/dataset/call_kw") - 1;

    } else if (govern_odoo_prefix(path, len,
                                  "/web/dataset/call_button"))
    {
        n = sizeof("/web/dataset/call_button") - 1;

    } else {
        return 0;
    }

    return len == n || path[n] == '/';
}


govern_reason_e
govern_odoo_parse(int protocol, govern_jv_t *body,
    const govern_jv_source_t *src, const char *path,
    size_t path_len, const govern_odoo_policy_t *policy,
    govern_odoo_call_t *call, const char **why)
{
    int                            kw;
    size_t                         n, skip;
    const char                    *p, *end, *slash, *keyword;
    govern_jv_t                   *params, *args, *kwargs, *rest, *limit,
                                  *positional;
    govern_odoo_count_t            cnt;

    memset(call, 0, offsetof(govern_odoo_call_t, edit));
    call->protocol = protocol;
    call->limit = GOVERN_ODOO_UNLIMITED;

    cnt.src = src;
    cnt.nomem = 0;
    cnt.why = NULL;

    if (protocol == GOVERN_ODOO_JSON2) {

        /* /json/2/<model>/<method>: the path is authoritative */

        p = path;
        end = path + path_len;

        if (!govern_odoo_prefix(path, path_len, "/json/2/")) {
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

        govern_odoo_classify(call, policy);

        /* an empty body is the call with {} */

        if (body != NULL && !govern_jv_is_object(body)) {
            *why = "a JSON-2 body is an object of named arguments";
            return GOVERN_REASON_ODOO_MALFORMED;
        }

        call->kwargs = body;
        call->ids = govern_jv_getz(body, "ids");
        call->context = govern_odoo_get(body, "context", src,
                                        &cnt.nomem);

        keyword = govern_odoo_values_keyword[call->shape.values];

        if (keyword) {
            call->values = govern_odoo_get(body, keyword, src,
                                           &cnt.nomem);
        }

        if (call->shape.spec) {
            call->specification = govern_odoo_get(body, "specification", src,
                                                  &cnt.nomem);
        }

        limit = govern_jv_getz(body, "limit");

        return govern_odoo_count(call, limit, &cnt, why);
    }

    /* JSON-RPC 2.0 envelope; only by-name params */

    kw = govern_odoo_web_endpoint(path, path_len);

    if (!kw && !(path_len == sizeof("/jsonrpc") - 1
                 && memcmp(path, "/jsonrpc", path_len) == 0))
    {
        *why = "not an Odoo RPC endpoint (/jsonrpc, /web/dataset/call_kw, "
               "/web/dataset/call_button)";
        return GOVERN_REASON_ODOO_DENIED;
    }

    if (!govern_jv_is_object(body)) {
        *why = "not a JSON-RPC request object";
        return GOVERN_REASON_ODOO_MALFORMED;
    }

    call->id = govern_jv_getz(body, "id");
    params = govern_odoo_get(body, "params", src, &cnt.nomem);

    if (!govern_jv_is_object(params)) {
        *why = "JSON-RPC \"params\" must be an object";
        return GOVERN_REASON_ODOO_MALFORMED;
    }

    if (kw) {
        /* the web client's RPC: model and method from the body */

        call->model = govern_odoo_string(params, "model");
        call->method = govern_odoo_string(params, "method");
        args = govern_odoo_get(params, "args", src, &cnt.nomem);
        kwargs = govern_odoo_get(params, "kwargs", src, &cnt.nomem);

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
    args = govern_odoo_get(params, "args", src, &cnt.nomem);

    if (call->service == NULL || call->method == NULL
        || (args && !govern_jv_is_array(args)))
    {
        *why = "JSON-RPC needs params.service, params.method and args";
        return GOVERN_REASON_ODOO_MALFORMED;
    }

    if (!govern_odoo_is(call->service, "object")) {
        call->model = NULL;
        return cnt.nomem ? GOVERN_REASON_INTERNAL_ERROR
                         : GOVERN_REASON_NONE;
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
    call->method = govern_jv_string(govern_jv_item(args,
                                                                      4));

    if (kw) {
        rest = govern_odoo_item(args, 5, src, &cnt.nomem);
        kwargs = govern_odoo_item(args, 6, src, &cnt.nomem);

        if ((rest && !govern_jv_is_array(rest))
            || (kwargs && !govern_jv_is_object(kwargs)
                && !govern_jv_is_null(kwargs)))
        {
            *why = "execute_kw takes an args list and a kwargs object";
            return GOVERN_REASON_ODOO_MALFORMED;
        }

        call->rpc_args = args;
        args = rest;
        skip = 0;

    } else {
        kwargs = NULL;
        skip = 5;               /* execute: positional after the method */
    }

positional:

    govern_odoo_classify(call, policy);

    n = govern_jv_size(args);

    if (call->shape.kind == GOVERN_ODOO_RECORDS
        || call->shape.kind == GOVERN_ODOO_UNKNOWN)
    {
        /* a record method: its first argument is the ids */
        call->ids = govern_odoo_item(args, skip, src, &cnt.nomem);
        skip++;
    }

    keyword = govern_odoo_values_keyword[call->shape.values];

    if (keyword) {
        call->values = govern_odoo_item(args, skip, src,
                                        &cnt.nomem);

        if (call->values == NULL) {
            call->values = govern_odoo_get(kwargs, keyword, src,
                                           &cnt.nomem);
        }
    }

    if (call->shape.spec) {
        call->specification = govern_odoo_item(args,
                                  skip + call->shape.spec - 1, src,
                                  &cnt.nomem);

        if (call->specification == NULL) {
            call->specification = govern_odoo_get(kwargs, "specification",
                                                  src, &cnt.nomem);
        }
    }

    call->args = args;
    call->skip = skip;
    call->kwargs = kwargs;
    call->context = govern_odoo_get(kwargs, "context", src,
                                    &cnt.nomem);

    /* the limit by keyword or at its position: both is Python's TypeError
     * ("got multiple values"), refused here */

    limit = govern_jv_getz(kwargs, "limit");
    positional = NULL;

    if (call->shape.limit_position >= 0
        && n > skip + (size_t) call->shape.limit_position)
    {
        positional = govern_jv_item(args,
                                  skip + (size_t) call->shape.limit_position);
    }

    if (limit && positional) {
        *why = "the limit is given twice";
        return GOVERN_REASON_ODOO_MALFORMED;
    }

    return govern_odoo_count(call, limit ? limit : positional, &cnt,
                             why);
}


/* the shape the policy declares for (model, method), else Odoo's own */

static void
govern_odoo_classify(govern_odoo_call_t *call,
    const govern_odoo_policy_t *policy)
{
    if (call->model && call->method) {
        call->entry = govern_odoo_lookup(policy, call->model,
                                         call->method);
    }

    if (call->entry) {
        call->shape = call->entry->shape;
        return;
    }

    call->shape = govern_odoo_builtin_shape(call->method);
}


static int
govern_odoo_builtin_cmp(const void *key, const void *elt)
{
    const govern_odoo_builtin_t           *b = elt;

    return strcmp(key, b->name);
}


govern_odoo_shape_t
govern_odoo_builtin_shape(const char *method)
{
    const govern_odoo_builtin_t           *b;

    static const govern_odoo_shape_t           records =
        govern_odoo_records(NONE);
    static const govern_odoo_shape_t  unknown = {
        GOVERN_ODOO_UNKNOWN, GOVERN_ODOO_VALUES_NONE,
        GOVERN_ODOO_KEYWORD_ONLY, 0, GOVERN_ODOO_UNLIMITED, 0
    };

    if (method == NULL) {
        return unknown;
    }

    b = bsearch(method, govern_odoo_builtins,
                sizeof(govern_odoo_builtins)
                / sizeof(govern_odoo_builtins[0]),
                sizeof(govern_odoo_builtin_t),
                govern_odoo_builtin_cmp);

    if (b) {
        return b->shape;
    }

    /* Odoo's conventions for buttons: methods of the records shown */

    if (strncmp(method, "action_", 7) == 0
        || strncmp(method, "button_", 7) == 0)
    {
        return records;
    }

    return unknown;
}


/*
 * The integer a JSON number (or, with booleans, a boolean) equals the way
 * Python compares them: 1.0 == 1, False == 0, True == 1.  0 when it
 * equals none.
 */

static int
govern_odoo_number(const govern_jv_t *v, int booleans,
    long long *n)
{
    double  d;

    switch (v->type) {

    case GOVERN_JV_INTEGER:
        *n = v->u.integer;
        return 1;

    case GOVERN_JV_REAL:
        d = v->u.real;

        /* NaN fails both comparisons; 2^63 is beyond any count */
        if (!(d > -9.2e18 && d < 9.2e18) || (double) (long long) d != d) {
            return 0;
        }

        *n = (long long) d;
        return 1;

    case GOVERN_JV_FALSE:
        *n = 0;
        return booleans;

    case GOVERN_JV_TRUE:
        *n = 1;
        return booleans;

    default:
        return 0;
    }
}


/*
 * Record ids: a list counts its length, one id one, null or false none
 * (Odoo browses them to an empty recordset).  Strict, for the ids of a
 * record method: each must be an integer (1.0 is 1), as Odoo's SQL needs.
 */

static long long
govern_odoo_count_ids(govern_jv_t *ids, int strict,
    govern_odoo_count_t *cnt)
{
    size_t     i;
    long long  n;

    if (ids == NULL || ids->type == GOVERN_JV_NULL
        || ids->type == GOVERN_JV_FALSE)
    {
        return 0;
    }

    if (govern_jv_is_array(ids)) {
        if (!strict) {
            return (long long) ids->len;
        }

        if (!govern_odoo_build(ids, cnt->src, &cnt->nomem)) {
            return 0;
        }

        for (i = 0; i < ids->len; i++) {
            if (!govern_odoo_number(&ids->u.items[i], 0, &n)) {
                goto malformed;
            }
        }

        return (long long) ids->len;
    }

    if (govern_odoo_number(ids, 0, &n) || !strict) {
        return 1;
    }

malformed:

    cnt->why = "record ids must be integers";
    return GOVERN_ODOO_MALFORMED_COUNT;
}


/* null, false and "" are falsy to Python; 0 is a number, judged apart */

static int
govern_odoo_falsy(const govern_jv_t *v)
{
    return v != NULL
           && (v->type == GOVERN_JV_NULL || v->type == GOVERN_JV_FALSE
               || (v->type == GOVERN_JV_STRING && v->len == 0));
}


/* a + b, saturated: a count only needs to say "more than any cap" */

static long long
govern_odoo_add(long long a, long long b)
{
    long long  r;

    if (__builtin_add_overflow(a, b, &r)) {
        return (long long) (~0ULL >> 1);
    }

    return r;
}


/*
 * Records a values dict or a list of them reaches: one per dict, plus,
 * in every field holding a list, its items: x2many commands (Odoo's
 * fields.Command, whose code is any number or boolean equal to 0..6)
 * [0, _, vals] creates and [1, id, vals] updates, counting vals the same
 * way; [2, id] deletes, [3, id] unlinks, [4, id] links and [5] clears, one
 * each; [6, _, ids] sets the ids.  A plain item (an id of a list that
 * sets those ids) counts one, a dict item is counted as values.  A list
 * led by a number equal to no command is refused: Odoo's reading of it
 * is not one the gateway can vouch for.
 */

static long long
govern_odoo_count_values(govern_jv_t *values,
    unsigned depth, govern_odoo_count_t *cnt)
{
    size_t                 i, j;
    long long              n, m, code;
    govern_jv_t           *v, *cmd;

    /* values may sit below the lazy depth: built whole on first read */

    if (values == NULL
        || !govern_odoo_build(values, cnt->src, &cnt->nomem))
    {
        return 0;
    }

    if (govern_jv_is_array(values)) {
        n = 0;

        for (i = 0; i < values->len; i++) {
            v = &values->u.items[i];

            m = govern_jv_is_object(v)
                ? govern_odoo_count_values(v, depth + 1, cnt) : 1;

            if (m < 0) {
                return m;
            }

            n = govern_odoo_add(n, m);
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

        if (!govern_odoo_build(v, cnt->src, &cnt->nomem)) {
            return 0;
        }

        for (j = 0; j < v->len; j++) {
            cmd = &v->u.items[j];

            if (!govern_odoo_build(cmd, cnt->src, &cnt->nomem)) {
                return 0;
            }

            if (govern_jv_is_object(cmd)) {
                m = govern_odoo_count_values(cmd, depth + 1, cnt);

            } else if (!govern_jv_is_array(cmd) || cmd->len == 0
                       || (cmd->u.items[0].type != GOVERN_JV_INTEGER
                           && cmd->u.items[0].type != GOVERN_JV_REAL
                           && cmd->u.items[0].type != GOVERN_JV_FALSE
                           && cmd->u.items[0].type != GOVERN_JV_TRUE))
            {
                m = 1;

            } else if (!govern_odoo_number(&cmd->u.items[0], 1,
                                           &code)
                       || code < 0 || code > 6)
            {
                cnt->why = "an x2many command code must be 0 to 6";
                return GOVERN_ODOO_MALFORMED_COUNT;

            } else if (code == 0 || code == 1) {
                m = govern_odoo_count_values(
                        govern_jv_item(cmd, 2), depth + 1, cnt);

                if (m == 0) {
                    m = 1;          /* vals that are not a dict */
                }

            } else if (code == 6) {
                m = govern_odoo_count_ids(
                        govern_jv_item(cmd, 2), 0, cnt);

            } else {
                m = 1;
            }

            if (m < 0) {
                return m;
            }

            n = govern_odoo_add(n, m);
        }
    }

    return n;
}


/*
 * Related records a web_read specification reads besides the records
 * themselves: a field's sub-specification with "fields" reads the
 * related records, as many as its "limit" says (an x2many), or every one
 * of them without it, which cannot be counted here (*unbounded set; a
 * many2one reads one, but the gateway cannot tell the two apart).
 */

static long long
govern_odoo_count_spec(govern_jv_t *spec, unsigned depth,
    govern_odoo_count_t *cnt, int *unbounded)
{
    size_t        i;
    long long     n, limit, sub;
    govern_jv_t  *v, *lv, *fields;

    if (!govern_jv_is_object(spec) || depth > GOVERN_JV_MAX_DEPTH
        || !govern_odoo_build(spec, cnt->src, &cnt->nomem))
    {
        return 0;
    }

    n = 0;

    for (i = 0; i < spec->len; i++) {
        v = &spec->u.members[i].value;
        fields = govern_jv_getz(v, "fields");

        if (!govern_jv_is_object(fields)) {
            continue;
        }

        lv = govern_jv_getz(v, "limit");

        if (lv == NULL || !govern_odoo_number(lv, 0, &limit) || limit <= 0) {
            *unbounded = 1;
            continue;
        }

        sub = govern_odoo_count_spec(fields, depth + 1, cnt, unbounded);

        if (__builtin_mul_overflow(limit, 1 + sub, &sub)) {
            sub = (long long) (~0ULL >> 1);
        }

        n = govern_odoo_add(n, sub);
    }

    return n;
}


/*
 * The records a parsed call touches, and its limit read the way Odoo
 * reads it: absent is the method's default; null, false and 0 are no
 * limit (a falsy limit adds no LIMIT clause); a positive integer (or a
 * number equal to one) is that limit; anything else Odoo would reject
 * or misread.
 */

static govern_reason_e
govern_odoo_count(govern_odoo_call_t *call,
    govern_jv_t *limit, govern_odoo_count_t *cnt,
    const char **why)
{
    long long  ids, values, n;

    /* Odoo takes "context or {}": a falsy one (null, false, "") is none
     * (npm's xmlrpc writes an undefined one as an empty string) */

    if (govern_odoo_falsy(call->context)) {
        call->context = NULL;

    } else if (call->context && !govern_jv_is_object(call->context)) {
        *why = "the context must be an object";
        return GOVERN_REASON_ODOO_MALFORMED;
    }

    ids = govern_odoo_count_ids(call->ids,
              call->shape.kind == GOVERN_ODOO_RECORDS, cnt);

    values = 0;

    if (ids >= 0) {
        values = call->shape.values == GOVERN_ODOO_VALUES_ONE
                 ? 1 : govern_odoo_count_values(call->values, 0,
                                                          cnt);
    }

    if (cnt->nomem) {
        *why = "out of memory";
        return GOVERN_REASON_INTERNAL_ERROR;
    }

    if (ids < 0 || values < 0) {
        *why = cnt->why;
        return GOVERN_REASON_ODOO_MALFORMED;
    }

    /* a write applies its values to every record it is called on */

    if (call->shape.kind == GOVERN_ODOO_RECORDS && values) {
        if (__builtin_mul_overflow(ids ? ids : 1, values, &call->records)) {
            call->records = (long long) (~0ULL >> 1);
        }

    } else {
        call->records = ids > values ? ids : values;
    }

    if (call->specification) {
        n = govern_odoo_count_spec(call->specification, 0, cnt,
                                   &call->unbounded_spec);

        if (cnt->nomem) {
            *why = "out of memory";
            return GOVERN_REASON_INTERNAL_ERROR;
        }

        call->related = n;
    }

    if (call->shape.kind != GOVERN_ODOO_SEARCH
        && call->shape.kind != GOVERN_ODOO_GROUP)
    {
        govern_odoo_relate(call);
        return GOVERN_REASON_NONE;
    }

    call->searches = 1;
    call->limit_value = limit;

    if (limit == NULL) {
        call->limit = call->shape.default_limit;

    } else if (govern_odoo_falsy(limit)) {
        call->limit = GOVERN_ODOO_UNLIMITED;

    } else if (govern_odoo_number(limit, 0, &n) && n >= 0) {
        call->limit = n ? n : GOVERN_ODOO_UNLIMITED;

    } else {
        *why = "a search's limit must be a non-negative integer";
        return GOVERN_REASON_ODOO_MALFORMED;
    }

    if (call->limit == GOVERN_ODOO_UNLIMITED) {
        call->records = GOVERN_ODOO_UNLIMITED;

    } else if (call->limit > call->records) {
        call->records = call->limit;
    }

    govern_odoo_relate(call);

    return GOVERN_REASON_NONE;
}


/* each record read brings its related records (web_read specifications) */

static void
govern_odoo_relate(govern_odoo_call_t *call)
{
    if (call->related == 0 || call->records == GOVERN_ODOO_UNLIMITED) {
        return;
    }

    if (__builtin_mul_overflow(call->records ? call->records : 1,
                               1 + call->related, &call->records))
    {
        call->records = (long long) (~0ULL >> 1);
    }
}


govern_reason_e
govern_odoo_check(govern_odoo_call_t *call,
    const govern_odoo_policy_t *policy, const char *granted,
    size_t granted_len, const char **why, const char **key)
{
    size_t              i;
    const char         *k, **scope;
    const char *const  *allow;

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

    /* deny by default once a rule exists: one lookup, however many */

    if (policy->nrules) {
        if (call->entry == NULL || call->entry->scopes == NULL) {
            goto denied;
        }

        for (scope = call->entry->scopes; *scope; scope++) {
            if (govern_scope_granted(granted, granted_len, *scope)) {
                goto allowed;
            }
        }

    denied:

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

    if (policy->max_records == 0) {
        return GOVERN_REASON_NONE;
    }

    /* under a cap, a call is counted only if its shape is known */

    if (call->shape.kind == GOVERN_ODOO_UNKNOWN) {
        *why = "the gateway does not know this method's shape (declare it "
               "with govern_odoo_method)";
        return GOVERN_REASON_ODOO_DENIED;
    }

    if (call->shape.kind == GOVERN_ODOO_GROUP
        && !call->shape.declared)
    {
        *why = "a grouped read aggregates every record its domain matches";
        return GOVERN_REASON_ODOO_DENIED;
    }

    if (call->unbounded_spec) {
        *why = "a specification reads related records without a limit "
               "(give each sub-specification a limit, or declare the "
               "method with govern_odoo_method)";
        return GOVERN_REASON_ODOO_DENIED;
    }

    if (call->records != GOVERN_ODOO_UNLIMITED
        && call->records <= policy->max_records)
    {
        return GOVERN_REASON_NONE;
    }

    if (policy->clamp && call->searches
        && govern_odoo_clamp(call, policy->max_records))
    {
        call->clamped = 1;
        call->limit = policy->max_records;
        call->records = policy->max_records;
        return GOVERN_REASON_NONE;
    }

    *why = call->records == GOVERN_ODOO_UNLIMITED
           ? "a search without a limit reaches every record"
           : "the call touches more records than allowed";
    return GOVERN_REASON_ODOO_DENIED;
}


/*
 * The body's change that sets a search's limit to n: its value replaced,
 * or a "limit" inserted where Odoo reads keyword arguments (the JSON-2
 * body, kwargs; execute_kw without kwargs gets them), or the next
 * positional argument when the limit is that one.  0 when the call has
 * no place for it (a positional call missing arguments before the limit).
 */

static int
govern_odoo_clamp(govern_odoo_call_t *call, long long n)
{
    size_t                        at;
    govern_jv_t                  *obj, *kwargs;
    govern_odoo_edit_t           *e;

    e = &call->edit;

    if (call->limit_value) {
        e->start = call->limit_value->start;
        e->end = call->limit_value->end;
        e->len = snprintf(e->text, sizeof(e->text), "%lld", n);
        return 1;
    }

    obj = call->kwargs;

    if (obj == NULL && call->protocol == GOVERN_ODOO_JSON2) {
        e->start = 0;                   /* an empty body */
        e->end = 0;
        e->len = snprintf(e->text, sizeof(e->text), "{\"limit\":%lld}", n);
        return 1;
    }

    if (govern_jv_is_object(obj)) {
        e->start = obj->start + 1;
        e->end = e->start;
        e->len = snprintf(e->text, sizeof(e->text), "\"limit\":%lld%s", n,
                          obj->len ? "," : "");
        return 1;
    }

    if (call->rpc_args) {
        /* execute_kw(db, uid, key, model, method, args[, kwargs]) */

        kwargs = govern_jv_item(call->rpc_args, 6);

        if (kwargs) {                   /* null */
            e->start = kwargs->start;
            e->end = kwargs->end;
            e->len = snprintf(e->text, sizeof(e->text), "{\"limit\":%lld}",
                              n);
            return 1;
        }

        if (call->args && call->rpc_args->len == 6) {
            e->start = call->args->end;
            e->end = e->start;
            e->len = snprintf(e->text, sizeof(e->text), ",{\"limit\":%lld}",
                              n);
            return 1;
        }

        return 0;
    }

    if (call->args && call->shape.limit_position >= 0
        && call->args->len == call->skip + (size_t) call->shape.limit_position)
    {
        at = call->args->end - 1;       /* before the closing bracket */
        e->start = at;
        e->end = at;
        e->len = snprintf(e->text, sizeof(e->text), "%s%lld",
                          call->args->len ? "," : "", n);
        return 1;
    }

    return 0;
}


/* policy tables */


static uint32_t
govern_odoo_hash(const char *model, const char *method)
{
    uint32_t  h;

    /* FNV-1a over "model\0method" */

    h = 2166136261u;

    for ( /* void */ ; *model; model++) {
        h = (h ^ (unsigned char) *model) * 16777619u;
    }

    h *= 16777619u;

    for ( /* void */ ; *method; method++) {
        h = (h ^ (unsigned char) *method) * 16777619u;
    }

    return h;
}


const govern_odoo_entry_t *
govern_odoo_lookup(const govern_odoo_policy_t *policy,
    const char *model, const char *method)
{
    size_t                               i;
    uint32_t                             h;
    const govern_odoo_entry_t           *e;

    if (policy == NULL || policy->table == NULL) {
        return NULL;
    }

    h = govern_odoo_hash(model, method);

    for (i = h & policy->mask; /* void */ ; i = (i + 1) & policy->mask) {
        e = &policy->table[i];

        if (e->model == NULL) {
            return NULL;
        }

        if (e->hash == h && strcmp(e->model, model) == 0
            && strcmp(e->method, method) == 0)
        {
            return e;
        }
    }
}


static govern_odoo_entry_t *
govern_odoo_insert(govern_odoo_policy_t *policy,
    const char *model, const char *method)
{
    size_t                         i;
    uint32_t                       h;
    govern_odoo_entry_t           *e;

    h = govern_odoo_hash(model, method);

    for (i = h & policy->mask; /* void */ ; i = (i + 1) & policy->mask) {
        e = &policy->table[i];

        if (e->model == NULL) {
            e->model = model;
            e->method = method;
            e->hash = h;
            return e;
        }

        if (e->hash == h && strcmp(e->model, model) == 0
            && strcmp(e->method, method) == 0)
        {
            return e;
        }
    }
}


int
govern_odoo_parse_shape(const char *text, size_t len,
    govern_odoo_shape_t *shape)
{
    size_t       i, n;
    long         position;
    const char  *name;

    memset(shape, 0, sizeof(*shape));
    shape->limit_position = GOVERN_ODOO_KEYWORD_ONLY;
    shape->default_limit = GOVERN_ODOO_UNLIMITED;
    shape->declared = 1;

    for (n = 0; n < len && text[n] != '='; n++) { /* void */ }

    name = text;

    if (n == 5 && memcmp(name, "model", 5) == 0) {
        shape->kind = GOVERN_ODOO_MODEL;

    } else if (n == 7 && memcmp(name, "records", 7) == 0) {
        shape->kind = GOVERN_ODOO_RECORDS;

    } else if (n == 6 && memcmp(name, "search", 6) == 0) {
        shape->kind = GOVERN_ODOO_SEARCH;

    } else if (n == 5 && memcmp(name, "group", 5) == 0) {
        shape->kind = GOVERN_ODOO_GROUP;

    } else {
        return 0;
    }

    if (n == len) {
        return 1;
    }

    /* =POSITION, for searches and grouped reads only */

    if (shape->kind != GOVERN_ODOO_SEARCH
        && shape->kind != GOVERN_ODOO_GROUP)
    {
        return 0;
    }

    if (n + 1 == len || len - n - 1 > 2) {
        return 0;
    }

    position = 0;

    for (i = n + 1; i < len; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return 0;
        }

        position = position * 10 + (text[i] - '0');
    }

    shape->limit_position = (int8_t) position;

    return 1;
}


int
govern_odoo_policy_build(govern_odoo_policy_t *policy,
    const govern_odoo_rule_t *rules, size_t nrules,
    const govern_odoo_decl_t *decls, size_t ndecls,
    govern_odoo_alloc_pt alloc, void *alloc_ctx,
    const char **why, size_t *bad, const char **bad_method)
{
    size_t                         i, pairs, size, k;
    const char                   **m;
    govern_odoo_entry_t           *e;

    *bad_method = NULL;

    pairs = ndecls;

    for (i = 0; i < nrules; i++) {
        if (strcmp(rules[i].model, "res.users.apikeys") == 0) {
            *why = "API keys are never managed through the gateway: the "
                   "rule can never apply";
            *bad = i;
            return -1;
        }

        for (m = rules[i].methods; *m; m++) {
            pairs++;
        }
    }

    for (size = 8; size < 2 * pairs; size <<= 1) { /* void */ }

    policy->table = alloc(alloc_ctx, size * sizeof(*policy->table));
    if (policy->table == NULL) {
        return -2;
    }

    memset(policy->table, 0, size * sizeof(*policy->table));
    policy->mask = size - 1;
    policy->nrules = 0;

    for (i = 0; i < nrules; i++) {
        for (m = rules[i].methods; *m; m++) {
            e = govern_odoo_insert(policy, rules[i].model, *m);
            e->nscopes++;           /* at most: duplicates are merged */
        }
    }

    for (i = 0; i < ndecls; i++) {
        e = govern_odoo_insert(policy, decls[i].model,
                               decls[i].method);

        if (e->shape.declared) {
            *why = "the method's shape is already declared";
            *bad = nrules + i;
            return -1;
        }

        e->shape = decls[i].shape;
        e->shape.declared = 1;
    }

    for (i = 0; i < size; i++) {
        e = &policy->table[i];

        if (e->model == NULL) {
            continue;
        }

        if (!e->shape.declared) {
            e->shape = govern_odoo_builtin_shape(e->method);
        }

        if (e->nscopes) {
            e->scopes = alloc(alloc_ctx, (e->nscopes + 1) * sizeof(char *));
            if (e->scopes == NULL) {
                return -2;
            }

            memset(e->scopes, 0, (e->nscopes + 1) * sizeof(char *));
            e->nscopes = 0;
            policy->nrules++;
        }
    }

    for (i = 0; i < nrules; i++) {
        for (m = rules[i].methods; *m; m++) {
            e = (govern_odoo_entry_t *)
                    govern_odoo_lookup(policy, rules[i].model, *m);

            for (k = 0; k < e->nscopes; k++) {
                if (strcmp(e->scopes[k], rules[i].scope) == 0) {
                    break;
                }
            }

            if (k == e->nscopes) {
                e->scopes[e->nscopes++] = rules[i].scope;
            }

            /* under a cap, a rule for what cannot be counted never applies */

            if (policy->max_records == 0) {
                continue;
            }

            if (e->shape.kind == GOVERN_ODOO_UNKNOWN) {
                *why = "the gateway does not know this method's shape, so "
                       "govern_odoo_max_records refuses every call of it: "
                       "declare it with govern_odoo_method";
                *bad = i;
                *bad_method = *m;
                return -1;
            }

            if (e->shape.kind == GOVERN_ODOO_GROUP
                && !e->shape.declared)
            {
                *why = "a grouped read aggregates every record its domain "
                       "matches, so govern_odoo_max_records refuses it "
                       "unless govern_odoo_method declares it a group";
                *bad = i;
                *bad_method = *m;
                return -1;
            }
        }
    }

    return 0;
}
