/*
 * Unit tests: the closed-world Odoo policy (ngx_http_govern_odoo.c), table
 * driven over call shapes on both protocols: how each method is
 * classified, how records are counted (Python's number equality for
 * x2many command codes, plain id lists, a falsy limit), what a cap
 * refuses, and the body change a clamp makes.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "govern_odoo.h"


#define J2    GOVERN_ODOO_JSON2
#define RPC   GOVERN_ODOO_JSONRPC
#define OK    GOVERN_REASON_NONE
#define DENY  GOVERN_REASON_ODOO_DENIED
#define BAD   GOVERN_REASON_ODOO_MALFORMED
#define ALL   GOVERN_ODOO_UNLIMITED

/* policies: 0 open, 1 cap 100, 2 cap 100 with clamp, 3 rules and cap */
#define OPEN    0
#define CAP     1
#define CLAMP   2
#define RULES   3


static govern_jv_arena_t               policy_arena;
static govern_odoo_policy_t   policies[4];

static const char  *context[] = { "lang", "tz", NULL };
static const char  *order_methods[] = { "create", "write", "search_read",
                                        "name_search", "read_group",
                                        "custom_export", "action_confirm",
                                        NULL };
static const char  *partner_methods[] = { "read", NULL };


static int
setup(void **state)
{
    int          i;
    size_t       bad;
    const char  *why, *method;

    static const govern_odoo_rule_t           rules[] = {
        { "sale.order", order_methods, "orders:write" },
        { "res.partner", partner_methods, "customers:read" },
        { "res.partner", partner_methods, "admin" },
    };
    static govern_odoo_decl_t           decls[2];

    assert_true(govern_odoo_parse_shape("group=4", 7,
                                        &decls[0].shape));
    decls[0].model = "sale.order";
    decls[0].method = "read_group";
    assert_true(govern_odoo_parse_shape("search=1", 8,
                                        &decls[1].shape));
    decls[1].model = "sale.order";
    decls[1].method = "custom_export";

    for (i = 0; i < 4; i++) {
        policies[i].context_allow = context;
        policies[i].max_records = i ? 100 : 0;
        policies[i].clamp = (i == CLAMP);

        assert_int_equal(govern_odoo_policy_build(&policies[i],
                             rules, i == RULES ? 3 : 0, decls, i ? 2 : 0,
                             govern_jv_arena_alloc, &policy_arena, &why, &bad,
                             &method), 0);
    }

    return 0;
}


static int
teardown(void **state)
{
    govern_jv_arena_free(&policy_arena);
    return 0;
}


typedef struct {
    int          protocol;
    const char  *path;
    const char  *body;          /* NULL: an empty JSON-2 body */
    int          policy;
    int          reason;
    long long    records;
    const char  *why;           /* a part of the refusal's text */
    const char  *forwarded;     /* the body after a clamp */
} call_case_t;


/* an execute_kw body of model.method with args and kwargs */
#define KW(model, method, rest)                                               \
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"params\":{\"service\":\"object\","      \
    "\"method\":\"execute_kw\",\"args\":[\"db\",7,\"k\",\"" model "\",\""    \
    method "\"" rest "]}}"

#define CALLKW(model, method, args, kwargs)                                   \
    "{\"params\":{\"model\":\"" model "\",\"method\":\"" method "\","         \
    "\"args\":" args ",\"kwargs\":" kwargs "}}"


static const call_case_t  cases[] = {

    /* x2many command codes as Python compares them */
    { J2, "/json/2/sale.order/create",
      "{\"vals_list\":[{\"order_line\":[[0,0,{}],[0.0,0,{}],[false,0,{}]]}]}",
      CAP, OK, 4, NULL, NULL },
    { J2, "/json/2/sale.order/write",
      "{\"ids\":[1],\"vals\":{\"order_line\":[[true,5,{\"a\":1}],"
      "[1e0,6,{}]]}}", CAP, OK, 3, NULL, NULL },
    { J2, "/json/2/sale.order/write",
      "{\"ids\":[1,2],\"vals\":{\"tag_ids\":[[6.0,0,[1,2,3]]],"
      "\"line\":[[2,1],[3,1],[4,1],[5]]}}", CAP, OK, 16, NULL, NULL },
    { J2, "/json/2/sale.order/write",
      "{\"ids\":[1],\"vals\":{\"x\":[[7,0,{}]]}}", CAP, BAD, 0,
      "command code", NULL },
    { J2, "/json/2/sale.order/write",
      "{\"ids\":[1],\"vals\":{\"x\":[[2.5,0]]}}", CAP, BAD, 0,
      "command code", NULL },
    { J2, "/json/2/sale.order/write",
      "{\"ids\":[1],\"vals\":{\"x\":[[-1,0]]}}", CAP, BAD, 0,
      "command code", NULL },
    { J2, "/json/2/sale.order/write",
      "{\"ids\":[1],\"vals\":{\"x\":[[\"a\",0]],\"name\":\"n\"}}", CAP, OK,
      2, NULL, NULL },

    /* nested commands, plain id lists, dict items */
    { RPC, "/jsonrpc",
      KW("sale.order", "create", ",[{\"order_line\":[[0,0,{\"sub\":"
         "[[0,0,{}],[4,9]]}]]}]"), CAP, OK, 4, NULL, NULL },
    { RPC, "/jsonrpc",
      KW("sale.order", "create", ",[[{\"tag_ids\":[1,2,3,4,5]},"
         "{\"lines\":[{\"a\":1},{\"b\":2}]}]]"), CAP, OK, 9, NULL, NULL },

    /* writes apply their values to every record */
    { RPC, "/jsonrpc",
      KW("sale.order", "write", ",[[1,2,3,4,5,6,7,8,9,10],{\"line\":"
         "[[0,0,{}],[0,0,{}],[0,0,{}],[0,0,{}],[0,0,{}],[0,0,{}],[0,0,{}],"
         "[0,0,{}],[0,0,{}],[0,0,{}]]}]"), CAP, DENY, 110, "more records",
      NULL },
    { RPC, "/jsonrpc",
      KW("sale.order", "write", ",[[1,2],{}],{}"), CAP, OK, 2, NULL, NULL },
    { RPC, "/jsonrpc",
      KW("sale.order", "write", ",[[1,2]],{\"vals\":{\"x\":[[4,1]]}}"),
      CAP, OK, 4, NULL, NULL },

    /* ids */
    { J2, "/json/2/sale.order/read", "{\"ids\":[1.0,2],\"fields\":[]}", CAP,
      OK, 2, NULL, NULL },
    { J2, "/json/2/sale.order/read", "{\"ids\":[\"1\"]}", CAP, BAD, 0,
      "integers", NULL },
    { J2, "/json/2/sale.order/read", "{\"ids\":[true]}", CAP, BAD, 0,
      "integers", NULL },
    { J2, "/json/2/sale.order/read", "{\"ids\":{}}", CAP, BAD, 0,
      "integers", NULL },
    { J2, "/json/2/sale.order/read", "{\"ids\":7}", CAP, OK, 1, NULL,
      NULL },
    { J2, "/json/2/sale.order/read", "{\"ids\":null}", CAP, OK, 0, NULL,
      NULL },

    /* searches: the limit as Odoo reads it */
    { J2, "/json/2/sale.order/search_read", NULL, CAP, DENY, ALL,
      "without a limit", NULL },
    { J2, "/json/2/sale.order/search_read", "{}", CAP, DENY, ALL,
      "without a limit", NULL },
    { J2, "/json/2/sale.order/search_read", "{\"limit\":0}", CAP, DENY, ALL,
      "without a limit", NULL },
    { J2, "/json/2/sale.order/search_read", "{\"limit\":false}", CAP, DENY,
      ALL, "without a limit", NULL },
    { J2, "/json/2/sale.order/search_read", "{\"limit\":null}", CAP, DENY,
      ALL, "without a limit", NULL },
    { J2, "/json/2/sale.order/search_read", "{\"limit\":\"\"}", CAP, DENY,
      ALL, "without a limit", NULL },
    { J2, "/json/2/sale.order/search_read",
      "{\"limit\":5,\"context\":\"\"}", CAP, OK, 5, NULL, NULL },
    { J2, "/json/2/sale.order/search_read",
      "{\"limit\":5,\"context\":\"x\"}", CAP, BAD, 0, "context", NULL },
    { J2, "/json/2/sale.order/search_read", "{\"limit\":100.0}", CAP, OK,
      100, NULL, NULL },
    { J2, "/json/2/sale.order/search_read", "{\"limit\":101}", CAP, DENY,
      101, "more records", NULL },
    { J2, "/json/2/sale.order/search_read", "{\"limit\":2.5}", CAP, BAD, 0,
      "non-negative integer", NULL },
    { J2, "/json/2/sale.order/search_read", "{\"limit\":-1}", CAP, BAD, 0,
      "non-negative integer", NULL },
    { J2, "/json/2/sale.order/search_read", "{\"limit\":true}", CAP, BAD, 0,
      "non-negative integer", NULL },
    { J2, "/json/2/sale.order/search_read", "{\"limit\":\"10\"}", CAP, BAD,
      0, "non-negative integer", NULL },
    { J2, "/json/2/sale.order/name_search", "{\"name\":\"a\"}", CAP, OK,
      100, NULL, NULL },
    { J2, "/json/2/sale.order/name_search", "{\"limit\":null}", CAP, DENY,
      ALL, "without a limit", NULL },
    { J2, "/json/2/sale.order/name_search", "{\"limit\":100000}", CAP, DENY,
      100000, "more records", NULL },
    { J2, "/json/2/sale.order/search_fetch", "{\"domain\":[]}", CAP, DENY,
      ALL, "without a limit", NULL },
    { RPC, "/jsonrpc",
      KW("sale.order", "search_read", ",[[],[\"name\"],0,50]"), CAP, OK, 50,
      NULL, NULL },
    { RPC, "/jsonrpc",
      KW("sale.order", "search_read", ",[[],[\"name\"],0,50],"
         "{\"limit\":5}"), CAP, BAD, 0, "given twice", NULL },
    { RPC, "/jsonrpc",
      KW("sale.order", "search", ",[[],0,500]"), CAP, DENY, 500,
      "more records", NULL },

    /* web_read specifications: related records count, an unlimited one
     * cannot be counted */
    { J2, "/json/2/sale.order/web_read",
      "{\"ids\":[1,2],\"specification\":{\"name\":{},\"order_line\":"
      "{\"fields\":{\"name\":{}},\"limit\":10}}}", CAP, OK, 22, NULL,
      NULL },
    { J2, "/json/2/sale.order/web_read",
      "{\"ids\":[1],\"specification\":{\"partner_id\":"
      "{\"fields\":{\"display_name\":{}}}}}", CAP, DENY, 1,
      "without a limit", NULL },
    { RPC, "/jsonrpc",
      KW("sale.order", "web_search_read", ",[[],{\"order_line\":"
         "{\"fields\":{},\"limit\":9}}],{\"limit\":10}"), CAP, OK, 100,
      NULL, NULL },
    { RPC, "/jsonrpc",
      KW("sale.order", "web_search_read", ",[[],{\"order_line\":"
         "{\"fields\":{},\"limit\":10}}],{\"limit\":10}"), CAP, DENY,
      110, "more records", NULL },
    { J2, "/json/2/sale.order/web_read", "{\"ids\":[1],\"specification\":"
      "{\"name\":{}}}", OPEN, OK, 1, NULL, NULL },

    /* grouped reads: refused under a cap unless declared */
    { J2, "/json/2/sale.order/web_read_group", "{\"limit\":5}", CAP, DENY,
      5, "grouped read", NULL },
    { J2, "/json/2/sale.order/formatted_read_group", "{\"limit\":5}", CAP,
      DENY, 5, "grouped read", NULL },
    { J2, "/json/2/sale.order/read_group", "{\"limit\":5}", CAP, OK, 5,
      NULL, NULL },
    { RPC, "/jsonrpc",
      KW("sale.order", "read_group", ",[[],[],[],0,500]"), CAP, DENY, 500,
      "more records", NULL },
    { J2, "/json/2/sale.order/read_group", "{\"limit\":5}", OPEN, OK, 5,
      NULL, NULL },

    /* unknown methods: refused under a cap, unless declared */
    { J2, "/json/2/sale.order/do_magic", "{}", CAP, DENY, 0,
      "govern_odoo_method", NULL },
    { J2, "/json/2/sale.order/do_magic", "{}", OPEN, OK, 0, NULL, NULL },
    { J2, "/json/2/sale.order/action_cancel", "{\"ids\":[1]}", CAP, OK, 1,
      NULL, NULL },
    { RPC, "/jsonrpc",
      KW("sale.order", "custom_export", ",[[],7]"), CAP, OK, 7, NULL,
      NULL },

    /* rules: one lookup, scopes as alternatives */
    { J2, "/json/2/res.partner/read", "{\"ids\":[1]}", RULES, OK, 1, NULL,
      NULL },
    { J2, "/json/2/res.partner/write", "{\"ids\":[1]}", RULES, DENY, 1,
      "no rule", NULL },
    { J2, "/json/2/product.product/read", "{\"ids\":[1]}", RULES, DENY, 1,
      "no rule", NULL },

    /* endpoints */
    { RPC, "/web/dataset/resequence",
      "{\"params\":{\"service\":\"common\",\"method\":\"version\"}}", CAP,
      DENY, 0, "not an Odoo RPC endpoint", NULL },
    { RPC, "/web/dataset/call_kwx",
      CALLKW("sale.order", "read", "[[1]]", "{}"), CAP, DENY, 0,
      "not an Odoo RPC endpoint", NULL },
    { RPC, "/web/dataset/call_button/sale.order/action_confirm",
      CALLKW("sale.order", "action_confirm", "[[1]]", "{}"), CAP, OK, 1,
      NULL, NULL },
    { RPC, "/web/dataset/call_kw",
      CALLKW("sale.order", "create", "[[{}, {}]]", "{}"), CAP, OK, 2, NULL,
      NULL },
    { J2, "/json/2/sale.order", "{}", CAP, BAD, 0, "path", NULL },

    /* clamps: the limit replaced, or inserted where Odoo reads it */
    { J2, "/json/2/sale.order/search_read", NULL, CLAMP, OK, 100, NULL,
      "{\"limit\":100}" },
    { J2, "/json/2/sale.order/search_read", "{}", CLAMP, OK, 100, NULL,
      "{\"limit\":100}" },
    { J2, "/json/2/sale.order/search_read", "{\"domain\":[],\"limit\":0}",
      CLAMP, OK, 100, NULL, "{\"domain\":[],\"limit\":100}" },
    { J2, "/json/2/sale.order/search_read", "{\"domain\":[]}", CLAMP, OK,
      100, NULL, "{\"limit\":100,\"domain\":[]}" },
    { J2, "/json/2/sale.order/search_read", "{\"limit\":50}", CLAMP, OK, 50,
      NULL, NULL },
    { RPC, "/jsonrpc",
      KW("sale.order", "search_read", ",[[]],{\"fields\":[]}"), CLAMP, OK,
      100, NULL,
      KW("sale.order", "search_read", ",[[]],{\"limit\":100,\"fields\":[]}")
    },
    { RPC, "/jsonrpc",
      KW("sale.order", "search_read", ",[[]]"), CLAMP, OK, 100, NULL,
      KW("sale.order", "search_read", ",[[]],{\"limit\":100}") },
    { RPC, "/jsonrpc",
      KW("sale.order", "search_read", ",[[]],null"), CLAMP, OK, 100, NULL,
      KW("sale.order", "search_read", ",[[]],{\"limit\":100}") },
    { RPC, "/jsonrpc",
      KW("sale.order", "search_read", ",[[],[],0,1000]"), CLAMP, OK, 100,
      NULL, KW("sale.order", "search_read", ",[[],[],0,100]") },
    { RPC, "/jsonrpc",
      "{\"params\":{\"service\":\"object\",\"method\":\"execute\","
      "\"args\":[\"db\",7,\"k\",\"sale.order\",\"search\",[],0]}}", CLAMP,
      OK, 100, NULL,
      "{\"params\":{\"service\":\"object\",\"method\":\"execute\","
      "\"args\":[\"db\",7,\"k\",\"sale.order\",\"search\",[],0,100]}}" },
    { RPC, "/jsonrpc",
      "{\"params\":{\"service\":\"object\",\"method\":\"execute\","
      "\"args\":[\"db\",7,\"k\",\"sale.order\",\"search\",[]]}}", CLAMP,
      DENY, ALL, "without a limit", NULL },
    { RPC, "/web/dataset/call_kw",
      CALLKW("sale.order", "name_search", "[\"a\"]", "{\"limit\":null}"),
      CLAMP, OK, 100, NULL,
      CALLKW("sale.order", "name_search", "[\"a\"]", "{\"limit\":100}") },
    { J2, "/json/2/sale.order/create",
      "{\"vals_list\":[{\"tag_ids\":[[6,0,[" "1,2,3,4,5,6,7,8,9,10,"
      "1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,6,7,8,9,10,"
      "1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,6,7,8,9,10,"
      "1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,6,7,8,9,10,1,2,3,4,5,6,7,8,9,10"
      "]]]}]}", CLAMP, DENY, 101, "more records", NULL },
};


static void
run_case(const call_case_t *c, unsigned flags)
{
    char                          out[1024];
    size_t                        len;
    govern_jv_arena_t             arena;
    const char                   *why, *key;
    govern_jv_t                  *body;
    govern_jv_error_t             err;
    govern_jv_source_t            src;
    govern_odoo_call_t            call;
    govern_reason_e               reason;

    memset(&arena, 0, sizeof(arena));
    body = NULL;
    len = c->body ? strlen(c->body) : 0;

    src.text = c->body;
    src.flags = flags;
    src.alloc = govern_jv_arena_alloc;
    src.alloc_ctx = &arena;

    if (c->body) {
        body = govern_jv_parse(c->body, len, flags, govern_jv_arena_alloc,
                               &arena, &err);
        if (body == NULL) {
            fail_msg("%s: %s", c->body, err.text);
        }
    }

    why = "";
    reason = govern_odoo_parse(c->protocol, body, &src, c->path,
                               strlen(c->path),
                               &policies[c->policy], &call, &why);

    if (reason == OK) {
        reason = govern_odoo_check(&call, &policies[c->policy],
                                   "orders:write customers:read",
                                   27, &why, &key);
    }

    if ((int) reason != c->reason
        || (c->why && strstr(why, c->why) == NULL)
        || (c->reason != BAD && call.records != c->records))
    {
        fail_msg("%s %s: reason %d (%s), records %lld; expected %d (%s), "
                 "%lld", c->path, c->body ? c->body : "(empty)", reason,
                 why, call.records, c->reason, c->why ? c->why : "",
                 c->records);
    }

    assert_int_equal(call.clamped, c->forwarded != NULL);

    if (c->forwarded) {
        assert_true(call.edit.start <= call.edit.end && call.edit.end <= len);
        snprintf(out, sizeof(out), "%.*s%s%s", (int) call.edit.start,
                 c->body ? c->body : "", call.edit.text,
                 c->body ? c->body + call.edit.end : "");
        assert_string_equal(out, c->forwarded);
        assert_int_equal(call.limit, 100);
    }

    govern_jv_arena_free(&arena);
}


static void
test_call_shapes(void **state)
{
    size_t  i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run_case(&cases[i], 0);
    }
}


/* every container lazy: the counts read the same */

static void
test_call_shapes_lazy(void **state)
{
    size_t  i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        run_case(&cases[i], GOVERN_JV_LAZY(1));
    }
}


static void
test_builtins(void **state)
{
    govern_odoo_shape_t           s;

    s = govern_odoo_builtin_shape("search_read");
    assert_int_equal(s.kind, GOVERN_ODOO_SEARCH);
    assert_int_equal(s.limit_position, 3);
    s = govern_odoo_builtin_shape("name_search");
    assert_int_equal(s.default_limit, 100);
    s = govern_odoo_builtin_shape("write");
    assert_int_equal(s.kind, GOVERN_ODOO_RECORDS);
    assert_int_equal(s.values, GOVERN_ODOO_VALUES_WRITE);
    s = govern_odoo_builtin_shape("button_validate");
    assert_int_equal(s.kind, GOVERN_ODOO_RECORDS);
    s = govern_odoo_builtin_shape("export_data");
    assert_int_equal(s.kind, GOVERN_ODOO_UNKNOWN);

    /* bsearch needs the table sorted: every entry must find itself */

    static const char  *names[] = {
        "action_archive", "action_unarchive", "check_access_rights",
        "context_get", "copy", "create", "default_get", "fields_get",
        "formatted_read_group", "get_views", "message_post", "name_create",
        "name_search", "onchange", "read", "read_group", "search",
        "search_count", "search_fetch", "search_read", "toggle_active",
        "unlink", "web_read", "web_read_group", "web_save",
        "web_search_read", "write", NULL
    };

    for (const char **n = names; *n; n++) {
        s = govern_odoo_builtin_shape(*n);
        if (s.kind == GOVERN_ODOO_UNKNOWN) {
            fail_msg("%s not found", *n);
        }
    }

    assert_true(govern_odoo_parse_shape("search", 6, &s));
    assert_int_equal(s.limit_position, -1);
    assert_true(govern_odoo_parse_shape("group=12", 8, &s));
    assert_int_equal(s.limit_position, 12);
    assert_false(govern_odoo_parse_shape("records=1", 9, &s));
    assert_false(govern_odoo_parse_shape("search=", 7, &s));
    assert_false(govern_odoo_parse_shape("search=x", 8, &s));
    assert_false(govern_odoo_parse_shape("searches", 8, &s));
}


/* rules that can never apply are refused when the policy is built */

static void
test_build_refusals(void **state)
{
    size_t                          bad;
    govern_jv_arena_t               arena;
    const char                     *why, *method;
    govern_odoo_policy_t            p;

    static const char  *read[] = { "read", NULL };
    static const char  *group[] = { "search_read", "web_read_group", NULL };
    static const char  *odd[] = { "read", "export_data", NULL };
    static const govern_odoo_rule_t           keys[] = {
        { "res.partner", read, "a" }, { "res.users.apikeys", read, "a" },
    };
    static const govern_odoo_rule_t           grouped[] = {
        { "res.partner", group, "a" },
    };
    static const govern_odoo_rule_t           unknown[] = {
        { "res.partner", odd, "a" },
    };
    static govern_odoo_decl_t           decls[] = {
        { "res.partner", "export_data",
          { GOVERN_ODOO_MODEL, 0, -1, 1, -1, 0 } },
        { "res.partner", "export_data",
          { GOVERN_ODOO_RECORDS, 0, -1, 1, -1, 0 } },
    };

    memset(&arena, 0, sizeof(arena));
    memset(&p, 0, sizeof(p));
    p.context_allow = context;

    assert_int_equal(govern_odoo_policy_build(&p, keys, 2, NULL, 0,
                         govern_jv_arena_alloc, &arena, &why, &bad,
                         &method), -1);
    assert_int_equal(bad, 1);

    /* without a cap, grouped reads and unknown methods may be allowed */
    assert_int_equal(govern_odoo_policy_build(&p, grouped, 1, NULL,
                         0, govern_jv_arena_alloc, &arena, &why, &bad,
                         &method), 0);

    p.max_records = 10;
    assert_int_equal(govern_odoo_policy_build(&p, grouped, 1, NULL,
                         0, govern_jv_arena_alloc, &arena, &why, &bad,
                         &method), -1);
    assert_string_equal(method, "web_read_group");
    assert_int_equal(govern_odoo_policy_build(&p, unknown, 1, NULL,
                         0, govern_jv_arena_alloc, &arena, &why, &bad,
                         &method), -1);
    assert_string_equal(method, "export_data");
    assert_int_equal(govern_odoo_policy_build(&p, unknown, 1, decls,
                         1, govern_jv_arena_alloc, &arena, &why, &bad,
                         &method), 0);
    assert_int_equal(govern_odoo_policy_build(&p, unknown, 1, decls,
                         2, govern_jv_arena_alloc, &arena, &why, &bad,
                         &method), -1);
    assert_int_equal(bad, 2);

    govern_jv_arena_free(&arena);
}


/* 1,000 rules: every one is found, and what is not ruled is not */

static void
test_many_rules(void **state)
{
    int                             i;
    char                          (*models)[24];
    size_t                          bad;
    govern_jv_arena_t               arena;
    const char                     *why, *method;
    govern_odoo_rule_t             *rules;
    govern_odoo_policy_t            p;
    const govern_odoo_entry_t           *e;

    static const char  *methods[] = { "read", "search_read", NULL };

    memset(&arena, 0, sizeof(arena));
    memset(&p, 0, sizeof(p));
    p.context_allow = context;

    models = malloc(1000 * sizeof(*models));
    rules = malloc(1000 * sizeof(*rules));
    assert_non_null(models);
    assert_non_null(rules);

    for (i = 0; i < 1000; i++) {
        snprintf(models[i], sizeof(models[i]), "x.model%d", i);
        rules[i].model = models[i];
        rules[i].methods = methods;
        rules[i].scope = i % 2 ? "odd" : "even";
    }

    assert_int_equal(govern_odoo_policy_build(&p, rules, 1000, NULL,
                         0, govern_jv_arena_alloc, &arena, &why, &bad,
                         &method), 0);
    assert_int_equal(p.nrules, 2000);

    for (i = 0; i < 1000; i++) {
        e = govern_odoo_lookup(&p, models[i], "search_read");
        assert_non_null(e);
        assert_string_equal(e->scopes[0], i % 2 ? "odd" : "even");
        assert_null(e->scopes[1]);
    }

    assert_null(govern_odoo_lookup(&p, "x.model1000", "read"));
    assert_null(govern_odoo_lookup(&p, "x.model1", "write"));

    free(models);
    free(rules);
    govern_jv_arena_free(&arena);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_call_shapes),
        cmocka_unit_test(test_call_shapes_lazy),
        cmocka_unit_test(test_builtins),
        cmocka_unit_test(test_build_refusals),
        cmocka_unit_test(test_many_rules),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
