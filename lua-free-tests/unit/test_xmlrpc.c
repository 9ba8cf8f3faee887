/*
 * Unit tests: the XML-RPC methodCall reader and the XML-RPC answers
 * (govern_xmlrpc.c).  Every type; the same call read from XML
 * and from JSON-RPC gives the same Odoo call under the same policy (a
 * table of JSON-RPC bodies turned into methodCalls in several layouts);
 * spans; a clamp and a credential splice on XML giving the tree the
 * JSON edit gives; every split of the body into two chunks, and byte by
 * byte, reading as one; hostile bodies; the faults Odoo writes.
 */

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "govern_xmlrpc.h"
#include "govern_test_text.h"


#define OK    GOVERN_REASON_NONE
#define DENY  GOVERN_REASON_ODOO_DENIED
#define BAD   GOVERN_REASON_ODOO_MALFORMED
#define ALL   GOVERN_ODOO_UNLIMITED

#define OPEN    0
#define CAP     1
#define CLAMP   2
#define RULES   3

#define MAX_BODY  (8 << 20)


/* policies, as test_odoo builds them */

static govern_jv_arena_t               policy_arena;
static govern_odoo_policy_t   policies[4];

static const char  *context[] = { "lang", "tz", NULL };
static const char  *order_methods[] = { "create", "write", "search_read",
                                        "name_search", "read_group",
                                        "custom_export", "action_confirm",
                                        "search", NULL };
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
                             rules, i == RULES ? 2 : 0, decls, i ? 2 : 0,
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


/* reading */


static govern_jv_t *
xml(govern_jv_arena_t *a, const char *path, const char *text, size_t len,
    govern_jv_error_t *err)
{
    return govern_xmlrpc_parse(path, strlen(path), text, len,
                               MAX_BODY, govern_jv_arena_alloc, a, err);
}


static govern_jv_t *
xmlz(govern_jv_arena_t *a, const char *path, const char *text)
{
    govern_jv_t                 *v;
    govern_jv_error_t            err;

    v = xml(a, path, text, strlen(text), &err);
    if (v == NULL) {
        fail_msg("%s: refused at %zu: %s", text, err.position, err.text);
    }

    return v;
}


/* the body refused, with a part of the reason, at a byte (or -1: any) */

static void
refused(const char *path, const char *text, size_t len, const char *why,
    long at)
{
    govern_jv_arena_t            a;
    govern_jv_error_t            err;

    memset(&a, 0, sizeof(a));
    memset(&err, 0, sizeof(err));

    if (xml(&a, path, text, len, &err) != NULL) {
        fail_msg("accepted: %.*s", (int) (len > 200 ? 200 : len), text);
    }

    if (strstr(err.text, why) == NULL || (at >= 0 && (long) err.position != at))
    {
        fail_msg("%.*s: refused at %zu (%s); expected %ld (%s)",
                 (int) (len > 200 ? 200 : len), text, err.position, err.text,
                 at, why);
    }

    govern_jv_arena_free(&a);
}

#define refusedz(text, why, at)                                               \
    refused("/xmlrpc/2/object", text, strlen(text), why, at)


/* the call's parameters: the args array */

static govern_jv_t *
args_of(govern_jv_t *root)
{
    return govern_jv_getz(govern_jv_getz(root, "params"),
                          "args");
}


/* one reading's outcome as text: the tree, or the refusal and its byte */

static void
outcome(buf_t *b, const char *path, const char *const *chunks,
    const size_t *lens, size_t n)
{
    size_t                       i;
    govern_jv_arena_t            a;
    govern_jv_t                 *v;
    govern_xmlrpc_t             *x;
    govern_jv_error_t            err;

    memset(&a, 0, sizeof(a));
    b->len = 0;

    x = govern_xmlrpc_create(path, strlen(path), MAX_BODY,
                             govern_jv_arena_alloc, &a, &err);
    assert_non_null(x);

    for (i = 0; i < n; i++) {
        if (!govern_xmlrpc_feed(x, chunks[i], lens[i])) {
            break;
        }
    }

    v = govern_xmlrpc_finish(x);

    /* finish freed expat; a cleanup calling destroy again is harmless */
    govern_xmlrpc_destroy(x);

    if (v) {
        jv_dump(b, v);

    } else {
        buf_printf(b, "refused at %zu: %s", err.position, err.text);
    }

    if (b->p == NULL) {
        buf_add(b, "", 0);
    }

    govern_jv_arena_free(&a);
}


/* the text, one-shot, then split at every byte, then byte by byte */

static void
chunked(const char *path, const char *text, size_t len)
{
    size_t        i, *lens;
    buf_t         whole, split;
    const char  **chunks;

    memset(&whole, 0, sizeof(whole));
    memset(&split, 0, sizeof(split));

    chunks = malloc((len + 1) * sizeof(char *));
    lens = malloc((len + 1) * sizeof(size_t));
    assert_non_null(chunks);
    assert_non_null(lens);

    chunks[0] = text;
    lens[0] = len;
    outcome(&whole, path, chunks, lens, 1);

    for (i = 0; i <= len; i++) {
        chunks[0] = text;
        lens[0] = i;
        chunks[1] = text + i;
        lens[1] = len - i;
        outcome(&split, path, chunks, lens, 2);

        if (strcmp(whole.p, split.p) != 0) {
            fail_msg("split at %zu of %.*s:\n%s\nnot\n%s", i, (int) len,
                     text, split.p, whole.p);
        }
    }

    for (i = 0; i < len; i++) {
        chunks[i] = text + i;
        lens[i] = 1;
    }

    outcome(&split, path, chunks, lens, len);

    if (strcmp(whole.p, split.p) != 0) {
        fail_msg("byte by byte %.*s:\n%s\nnot\n%s", (int) len, text, split.p,
                 whole.p);
    }

    free(chunks);
    free(lens);
    free(whole.p);
    free(split.p);
}


/* JSON-RPC bodies written as methodCalls, in several layouts */

#define LAYOUT_COMPACT   0      /* <value><string>s</string></value> */
#define LAYOUT_PYTHON    1      /* xmlrpc.client.dumps()'s newlines */
#define LAYOUT_UNTYPED   2      /* <value>s</value>, <i4>, spaces */
#define LAYOUT_CDATA     3      /* npm xmlrpc: CDATA, <string/>, <i8> */
#define LAYOUTS          4


static void
to_xml_string(buf_t *b, const char *s, size_t len, int layout)
{
    size_t  i;

    if (layout == LAYOUT_CDATA && len && strstr(s, "]]>") == NULL) {
        buf_add(b, "<![CDATA[", 9);
        buf_add(b, s, len);
        buf_add(b, "]]>", 3);
        return;
    }

    for (i = 0; i < len; i++) {
        switch (s[i]) {
        case '&':
            buf_add(b, "&amp;", 5);
            break;
        case '<':
            buf_add(b, "&lt;", 4);
            break;
        case '>':
            buf_add(b, "&gt;", 4);
            break;
        case '\r':
            buf_add(b, "&#13;", 5);
            break;
        default:
            buf_add(b, &s[i], 1);
        }
    }
}


static void
to_xml_value(buf_t *b, const govern_jv_t *v, int layout)
{
    size_t       i;
    const char  *nl;

    nl = (layout == LAYOUT_PYTHON) ? "\n" : "";

    buf_add(b, "<value>", 7);

    switch (v->type) {

    case GOVERN_JV_NULL:
        buf_add(b, "<nil/>", 6);
        break;

    case GOVERN_JV_FALSE:
    case GOVERN_JV_TRUE:
        buf_printf(b, "<boolean>%d</boolean>",
                   v->type == GOVERN_JV_TRUE);
        break;

    case GOVERN_JV_INTEGER:
        buf_printf(b, layout == LAYOUT_UNTYPED ? "<i4> %lld\n</i4>"
                      : layout == LAYOUT_CDATA ? "<i8>%lld</i8>"
                      : "<int>%lld</int>", v->u.integer);
        break;

    case GOVERN_JV_REAL:
        buf_printf(b, "<double>%.17g</double>", v->u.real);
        break;

    case GOVERN_JV_STRING:
        if (layout == LAYOUT_UNTYPED) {
            to_xml_string(b, v->u.string, v->len, layout);

        } else if (layout == LAYOUT_CDATA && v->len == 0) {
            buf_add(b, "<string/>", 9);

        } else {
            buf_add(b, "<string>", 8);
            to_xml_string(b, v->u.string, v->len, layout);
            buf_add(b, "</string>", 9);
        }

        break;

    case GOVERN_JV_ARRAY:
        if (v->len == 0 && layout == LAYOUT_UNTYPED) {
            buf_add(b, "<array><data/></array>", 22);
            break;
        }

        buf_printf(b, "<array><data>%s", nl);

        for (i = 0; i < v->len; i++) {
            to_xml_value(b, &v->u.items[i], layout);
        }

        buf_add(b, "</data></array>", 15);
        break;

    case GOVERN_JV_OBJECT:
        if (v->len == 0 && layout == LAYOUT_UNTYPED) {
            buf_add(b, "<struct />", 10);
            break;
        }

        buf_printf(b, "<struct>%s", nl);

        for (i = 0; i < v->len; i++) {
            buf_printf(b, "<member>%s<name>", nl);
            to_xml_string(b, v->u.members[i].key, v->u.members[i].key_len,
                          LAYOUT_COMPACT);
            buf_printf(b, "</name>%s", nl);
            to_xml_value(b, &v->u.members[i].value, layout);
            buf_printf(b, "</member>%s", nl);
        }

        buf_add(b, "</struct>", 9);
        break;
    }

    buf_printf(b, "</value>%s", nl);
}


/* a JSON-RPC body's call as a methodCall; its service's XML-RPC path */

static const char *
to_xml(buf_t *b, govern_jv_t *json, int layout, int legacy)
{
    size_t                 i;
    const char            *nl, *service;
    govern_jv_t           *params, *args;

    nl = (layout == LAYOUT_PYTHON) ? "\n" : "";
    b->len = 0;

    params = govern_jv_getz(json, "params");
    service = govern_jv_string(govern_jv_getz(params,
                                              "service"));
    args = govern_jv_getz(params, "args");

    buf_printf(b, "%s<methodCall>%s<methodName>%s</methodName>%s",
               layout == LAYOUT_PYTHON ? "<?xml version='1.0'?>\n"
               : layout == LAYOUT_CDATA
               ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" : "",
               nl, govern_jv_string(govern_jv_getz(params,
                                                                   "method")),
               nl);

    if (args && args->len == 0 && layout == LAYOUT_UNTYPED) {
        buf_add(b, "<params/>", 9);

    } else if (args) {
        buf_printf(b, "<params>%s", nl);

        for (i = 0; i < args->len; i++) {
            buf_printf(b, "<param>%s", nl);
            to_xml_value(b, &args->u.items[i], layout);
            buf_printf(b, "</param>%s", nl);
        }

        buf_printf(b, "</params>%s", nl);
    }

    buf_printf(b, "</methodCall>%s", nl);

    if (strcmp(service, "common") == 0) {
        return legacy ? "/xmlrpc/common" : "/xmlrpc/2/common";
    }

    return legacy ? "/xmlrpc/object" : "/xmlrpc/2/object";
}


static govern_jv_t *
json(govern_jv_arena_t *a, const char *text, size_t len)
{
    govern_jv_t                 *v;
    govern_jv_error_t            err;

    v = govern_jv_parse(text, len, 0, govern_jv_arena_alloc, a, &err);
    if (v == NULL) {
        fail_msg("%.*s: %s", (int) len, text, err.text);
    }

    return v;
}


/* the types */


static void
test_types(void **state)
{
    govern_jv_arena_t       a;
    govern_jv_t            *root, *args, *v, *s;
    const char             *body;

    memset(&a, 0, sizeof(a));

    body = "<?xml version=\"1.0\"?>\n"
        "<methodCall><methodName>execute_kw</methodName><params>"
        "<param><value><int>7</int></value></param>"              /* 0 */
        "<param><value><i4>-2147483648</i4></value></param>"      /* 1 */
        "<param><value><i8>9223372036854775807</i8></value></param>"
        "<param><value><i8>-9223372036854775808</i8></value></param>"
        "<param><value><int> \n+42\t</int></value></param>"       /* 4 */
        "<param><value><boolean>1</boolean></value></param>"
        "<param><value><boolean>0</boolean></value></param>"
        "<param><value><string>a &amp; b &lt;c&gt; &#233;\xc3\xa9</string>"
        "</value></param>"                                        /* 7 */
        "<param><value> untyped </value></param>"
        "<param><value><string/></value></param>"
        "<param><value/></param>"                                 /* 10 */
        "<param><value><double>-1.5e3</double></value></param>"
        "<param><value><double> .5 </double></value></param>"
        "<param><value><dateTime.iso8601>20240229T23:59:59"
        "</dateTime.iso8601></value></param>"                     /* 13 */
        "<param><value><base64>\naGVs\nbG8=\n</base64></value></param>"
        "<param><value><nil/></value></param>"
        "<param><value><array><data/></array></value></param>"    /* 16 */
        "<param><value><array><data><value>1</value><value><int>2</int>"
        "</value></data></array></value></param>"
        "<param><value><struct/></value></param>"                 /* 18 */
        "<param><value><struct><member><name>a b</name><value><boolean>1"
        "</boolean></value></member><member><name></name><value><nil/>"
        "</value></member></struct></value></param>"
        "<param><value><string><![CDATA[a<b]]>&amp;</string></value>"
        "</param>"                                                /* 20 */
        "<param>\n <value>\n <int>3</int>\n </value>\n</param>"
        "</params></methodCall>\n";

    root = xmlz(&a, "/xmlrpc/2/object", body);

    assert_string_equal(govern_jv_string(govern_jv_getz(
        govern_jv_getz(root, "params"), "service")), "object");
    assert_string_equal(govern_jv_string(govern_jv_getz(
        govern_jv_getz(root, "params"), "method")), "execute_kw");

    args = args_of(root);
    assert_non_null(args);
    assert_int_equal(args->len, 22);

#define ITEM(i)  govern_jv_item(args, i)

    assert_int_equal(ITEM(0)->type, GOVERN_JV_INTEGER);
    assert_int_equal(ITEM(0)->u.integer, 7);
    assert_int_equal(ITEM(1)->u.integer, -2147483648LL);
    assert_true(ITEM(2)->u.integer == 9223372036854775807LL);
    assert_true(ITEM(3)->u.integer == -9223372036854775807LL - 1);
    assert_int_equal(ITEM(4)->u.integer, 42);
    assert_int_equal(ITEM(5)->type, GOVERN_JV_TRUE);
    assert_int_equal(ITEM(6)->type, GOVERN_JV_FALSE);
    assert_string_equal(govern_jv_string(ITEM(7)),
                        "a & b <c> \xc3\xa9\xc3\xa9");
    assert_int_equal(ITEM(7)->len, 14);
    assert_string_equal(govern_jv_string(ITEM(8)), " untyped ");
    assert_string_equal(govern_jv_string(ITEM(9)), "");
    assert_string_equal(govern_jv_string(ITEM(10)), "");
    assert_int_equal(ITEM(11)->type, GOVERN_JV_REAL);
    assert_true(ITEM(11)->u.real == -1500.0);
    assert_true(ITEM(12)->u.real == 0.5);
    assert_string_equal(govern_jv_string(ITEM(13)),
                        "20240229T23:59:59");
    assert_string_equal(govern_jv_string(ITEM(14)),
                        "\naGVs\nbG8=\n");
    assert_int_equal(ITEM(15)->type, GOVERN_JV_NULL);
    assert_int_equal(ITEM(16)->type, GOVERN_JV_ARRAY);
    assert_int_equal(ITEM(16)->len, 0);
    assert_false(govern_jv_is_lazy(ITEM(16)));

    v = ITEM(17);
    assert_int_equal(v->len, 2);
    assert_string_equal(govern_jv_string(&v->u.items[0]), "1");
    assert_int_equal(v->u.items[1].u.integer, 2);

    assert_int_equal(ITEM(18)->type, GOVERN_JV_OBJECT);
    assert_int_equal(ITEM(18)->len, 0);

    v = ITEM(19);
    assert_int_equal(v->len, 2);
    assert_int_equal(govern_jv_getz(v, "a b")->type,
                     GOVERN_JV_TRUE);
    s = govern_jv_get(v, "", 0);
    assert_non_null(s);
    assert_int_equal(s->type, GOVERN_JV_NULL);

    assert_string_equal(govern_jv_string(ITEM(20)), "a<b&");
    assert_int_equal(ITEM(21)->u.integer, 3);

    /* strings are readable for GOVERN_JV_READABLE bytes, zeroed */
    s = ITEM(9);
    for (int i = 0; i < GOVERN_JV_READABLE; i++) {
        assert_int_equal(s->u.string[i], 0);
    }

    /* a call without params has none; version is in common */
    root = xmlz(&a, "/xmlrpc/common",
                "<methodCall><methodName>version</methodName></methodCall>");
    args = args_of(root);
    assert_int_equal(args->type, GOVERN_JV_ARRAY);
    assert_int_equal(args->len, 0);
    assert_string_equal(govern_jv_string(govern_jv_getz(
        govern_jv_getz(root, "params"), "service")), "common");

    /* a UTF-8 byte order mark and declaration */
    root = xmlz(&a, "/xmlrpc/2/common", "\xef\xbb\xbf<?xml version=\"1.0\" "
                "encoding=\"utf-8\"?><methodCall><methodName>login"
                "</methodName><params/></methodCall>");
    assert_int_equal(args_of(root)->len, 0);

#undef ITEM

    chunked("/xmlrpc/2/object", body, strlen(body));

    govern_jv_arena_free(&a);
}


/* spans: a value's <value>, a parameter's <param>, the method's element */

static void
check_spans(const char *text, const govern_jv_t *v, int param)
{
    size_t  i, len;

    len = v->end - v->start;

    if (param) {
        assert_true(len >= 15);
        assert_memory_equal(text + v->start, "<param>", 7);
        assert_memory_equal(text + v->end - 8, "</param>", 8);

    } else if (len >= 8 && memcmp(text + v->end - 2, "/>", 2) == 0) {
        assert_memory_equal(text + v->start, "<value/>", 8);

    } else {
        assert_memory_equal(text + v->start, "<value>", 7);
        assert_memory_equal(text + v->end - 8, "</value>", 8);
    }

    if (v->type == GOVERN_JV_ARRAY) {
        for (i = 0; i < v->len; i++) {
            check_spans(text, &v->u.items[i], 0);
        }
    }

    if (v->type == GOVERN_JV_OBJECT) {
        for (i = 0; i < v->len; i++) {
            check_spans(text, &v->u.members[i].value, 0);
        }
    }
}


static void
test_spans(void **state)
{
    size_t                 i;
    govern_jv_arena_t      a;
    const char            *text;
    govern_jv_t           *root, *args, *method;

    memset(&a, 0, sizeof(a));

    /* xmlrpc.client.dumps() of an execute_kw, byte for byte */
    text = "<?xml version='1.0'?>\n<methodCall>\n<methodName>execute_kw"
        "</methodName>\n<params>\n<param>\n<value><string>db</string>"
        "</value>\n</param>\n<param>\n<value><int>7</int></value>\n"
        "</param>\n<param>\n<value><string>k</string></value>\n</param>\n"
        "<param>\n<value><string>res.partner</string></value>\n</param>\n"
        "<param>\n<value><string>search_read</string></value>\n</param>\n"
        "<param>\n<value><array><data>\n<value><array><data>\n<value>"
        "<array><data>\n<value><string>a</string></value>\n<value><string>"
        "=</string></value>\n<value><int>1</int></value>\n</data></array>"
        "</value>\n</data></array></value>\n</data></array></value>\n"
        "</param>\n<param>\n<value><struct>\n<member>\n<name>limit</name>\n"
        "<value><int>5</int></value>\n</member>\n<member>\n<name>x</name>\n"
        "<value><nil/></value></member>\n<member>\n<name>e</name>\n"
        "<value/></member>\n</struct></value>\n</param>\n</params>\n"
        "</methodCall>\n";

    root = xmlz(&a, "/xmlrpc/2/object", text);
    args = args_of(root);

    assert_memory_equal(text + args->start, "<params>", 8);
    assert_memory_equal(text + args->end - 9, "</params>", 9);

    for (i = 0; i < args->len; i++) {
        check_spans(text, &args->u.items[i], 1);
    }

    method = govern_jv_getz(govern_jv_getz(root, "params"),
                            "method");
    assert_int_equal(method->end - method->start,
                     sizeof("<methodName>execute_kw</methodName>") - 1);
    assert_memory_equal(text + method->start, "<methodName>", 12);

    assert_memory_equal(text + root->start, "<methodCall>", 12);
    assert_memory_equal(text + root->end - 13, "</methodCall>", 13);

    chunked("/xmlrpc/2/object", text, strlen(text));

    govern_jv_arena_free(&a);
}


/* the same calls from JSON-RPC and from XML-RPC */

typedef struct {
    int          policy;
    const char  *body;          /* a JSON-RPC body */
    int          reason;
    long long    records;
} parity_case_t;


#define KW(model, method, rest)                                               \
    "{\"params\":{\"service\":\"object\",\"method\":\"execute_kw\","         \
    "\"args\":[\"db\",7,\"k\",\"" model "\",\"" method "\"" rest "]}}"

#define EXECUTE(model, method, rest)                                          \
    "{\"params\":{\"service\":\"object\",\"method\":\"execute\","            \
    "\"args\":[\"db\",7,\"k\",\"" model "\",\"" method "\"" rest "]}}"


static const parity_case_t  parity[] = {
    { CAP, KW("sale.order", "search_read", ",[[],[\"name\"],0,50]"), OK, 50 },
    { CAP, KW("sale.order", "search_read", ",[[[\"name\",\"ilike\",\"a&b<\"]]"
              "],{\"limit\":5,\"fields\":[\"name\"]}"), OK, 5 },
    { CAP, KW("sale.order", "search_read", ",[[]],{\"limit\":0}"), DENY,
      ALL },
    { CAP, KW("sale.order", "search_read", ",[[]],{\"limit\":false}"), DENY,
      ALL },
    { CAP, KW("sale.order", "search_read", ",[[]],{\"limit\":null}"), DENY,
      ALL },
    { CAP, KW("sale.order", "search_read", ",[[]],{\"limit\":100.0}"), OK,
      100 },
    { CAP, KW("sale.order", "search_read", ",[[]],{\"limit\":2.5}"), BAD, 0 },
    { CAP, KW("sale.order", "search_read", ",[[]],{\"limit\":\"10\"}"), BAD,
      0 },
    { CAP, KW("sale.order", "search_read", ",[[],[\"name\"],0,50],"
              "{\"limit\":5}"), BAD, 0 },
    { CAP, KW("sale.order", "search", ",[[],0,500]"), DENY, 500 },
    { CAP, KW("sale.order", "create", ",[{\"order_line\":[[0,0,{\"sub\":"
              "[[0,0,{}],[4,9]]}]]}]"), OK, 4 },
    { CAP, KW("sale.order", "create", ",[[{\"tag_ids\":[1,2,3,4,5]},"
              "{\"lines\":[{\"a\":1},{\"b\":2}]}]]"), OK, 9 },
    { CAP, KW("sale.order", "create", ",[{\"x\":[[7,0,{}]]}]"), BAD, 0 },
    { CAP, KW("sale.order", "write", ",[[1,2],{}],{}"), OK, 2 },
    { CAP, KW("sale.order", "write", ",[[1,2]],{\"vals\":{\"x\":[[4,1]]}}"),
      OK, 4 },
    { CAP, KW("sale.order", "write", ",[[1],{\"l\":[[0.0,0,{}],[false,0,{}],"
              "[true,5,{}],[6,0,[1,2,3]]]}]"), OK, 7 },
    { CAP, KW("sale.order", "write", ",[[1,2,3,4,5,6,7,8,9,10],{\"line\":"
              "[[0,0,{}],[0,0,{}],[0,0,{}],[0,0,{}],[0,0,{}],[0,0,{}],"
              "[0,0,{}],[0,0,{}],[0,0,{}],[0,0,{}]]}]"), DENY, 110 },
    { CAP, KW("sale.order", "read", ",[[1.0,2]]"), OK, 2 },
    { CAP, KW("sale.order", "read", ",[[\"1\"]]"), BAD, 0 },
    { CAP, KW("sale.order", "read", ",[[true]]"), BAD, 0 },
    { CAP, KW("sale.order", "read", ",[7]"), OK, 1 },
    { CAP, KW("sale.order", "read", ",[null]"), OK, 0 },
    { CAP, KW("sale.order", "name_search", ",[\"a\"]"), OK, 100 },
    { CAP, KW("sale.order", "name_search", ",[\"a\"],{\"limit\":null}"),
      DENY, ALL },
    { CAP, KW("sale.order", "read_group", ",[[],[],[],0,500]"), DENY, 500 },
    { CAP, KW("sale.order", "web_read_group", ",[[]],{\"limit\":5}"), DENY,
      5 },
    { CAP, KW("sale.order", "custom_export", ",[[],7]"), OK, 7 },
    { CAP, KW("sale.order", "do_magic", ",[[]]"), DENY, 0 },
    { OPEN, KW("sale.order", "do_magic", ",[[]]"), OK, 0 },
    { CAP, KW("sale.order", "action_cancel", ",[[1]]"), OK, 1 },
    { CAP, KW("sale.order", "search_read", ",[[]],{\"limit\":3,\"context\":"
              "{\"lang\":\"en_US\",\"active_test\":false}}"), DENY, 3 },
    { CAP, KW("sale.order", "search_read", ",[[]],{\"limit\":3,\"context\":"
              "{\"lang\":\"en_US\",\"tz\":\"UTC\"}}"), OK, 3 },
    { CAP, KW("sale.order", "search_read", ",[[]],{\"limit\":3,\"context\":"
              "[]}"), BAD, 0 },
    { CAP, KW("sale.order", "_private", ",[[]]"), DENY, 0 },
    { OPEN, KW("res.users.apikeys", "search_read", ",[[]]"), DENY, ALL },
    { CAP, KW("sale.order", "search_read", ",[[]],[]"), BAD, 0 },
    { RULES, KW("res.partner", "read", ",[[1]]"), OK, 1 },
    { RULES, KW("res.partner", "write", ",[[1],{}]"), DENY, 1 },
    { RULES, KW("product.product", "read", ",[[1]]"), DENY, 1 },
    { RULES, KW("sale.order", "search", ",[[]],{\"limit\":7}"), OK, 7 },
    { CAP, EXECUTE("sale.order", "search", ",[],0,10"), OK, 10 },
    { CAP, EXECUTE("sale.order", "search", ",[]"), DENY, ALL },
    { CAP, EXECUTE("sale.order", "read", ",[1,2],[\"name\"]"), OK, 2 },
    { CAP, "{\"params\":{\"service\":\"object\",\"method\":\"execute_kw\","
           "\"args\":[\"db\",7,\"k\"]}}", BAD, 0 },
    { CAP, "{\"params\":{\"service\":\"object\",\"method\":\"login\","
           "\"args\":[\"db\",\"u\",\"p\"]}}", BAD, 0 },
    { CAP, "{\"params\":{\"service\":\"common\",\"method\":\"version\","
           "\"args\":[]}}", OK, 0 },
    { CAP, "{\"params\":{\"service\":\"common\",\"method\":\"authenticate\","
           "\"args\":[\"db\",\"u\",\"p\",{}]}}", DENY, 0 },

    /* clamps */
    { CLAMP, KW("sale.order", "search_read", ",[[]],{\"fields\":[]}"), OK,
      100 },
    { CLAMP, KW("sale.order", "search_read", ",[[]],{}"), OK, 100 },
    { CLAMP, KW("sale.order", "search_read", ",[[]]"), OK, 100 },
    { CLAMP, KW("sale.order", "search_read", ",[[]],null"), OK, 100 },
    { CLAMP, KW("sale.order", "search_read", ",[[],[],0,1000]"), OK, 100 },
    { CLAMP, KW("sale.order", "search_read", ",[[]],{\"limit\":5000,"
                "\"fields\":[]}"), OK, 100 },
    { CLAMP, KW("sale.order", "name_search", ",[\"a\"],{\"limit\":null}"), OK,
      100 },
    { CLAMP, EXECUTE("sale.order", "search", ",[],0"), OK, 100 },
    { CLAMP, EXECUTE("sale.order", "search", ",[],0,1000"), OK, 100 },
    { CLAMP, EXECUTE("sale.order", "search", ",[]"), DENY, ALL },
};


typedef struct {
    int                           reason;
    const char                   *why;
    const char                   *key;
    govern_odoo_call_t            call;
} checked_t;


static void
check_call(govern_jv_t *body, int policy, checked_t *c)
{
    c->why = "";
    c->key = NULL;
    c->reason = govern_odoo_parse(GOVERN_ODOO_JSONRPC, body,
                                  NULL, "/jsonrpc", 8,
                                  &policies[policy], &c->call,
                                  &c->why);

    if (c->reason == OK) {
        c->reason = govern_odoo_check(&c->call, &policies[policy],
                                      "orders:write customers:read",
                                      27, &c->why, &c->key);
    }
}


static int
same_string(const char *a, const char *b)
{
    return (a == NULL && b == NULL)
           || (a != NULL && b != NULL && strcmp(a, b) == 0);
}


static void
same_call(const char *what, const checked_t *j, const checked_t *x)
{
    if (j->reason != x->reason || strcmp(j->why, x->why) != 0
        || !same_string(j->key, x->key)
        || !same_string(j->call.service, x->call.service)
        || !same_string(j->call.db, x->call.db)
        || !same_string(j->call.model, x->call.model)
        || !same_string(j->call.method, x->call.method)
        || (j->reason != BAD
            && (j->call.records != x->call.records
                || j->call.limit != x->call.limit
                || j->call.clamped != x->call.clamped)))
    {
        fail_msg("%s: JSON %d (%s) %lld records, limit %lld; XML %d (%s) "
                 "%lld records, limit %lld", what, j->reason, j->why,
                 j->call.records, j->call.limit, x->reason, x->why,
                 x->call.records, x->call.limit);
    }
}


/* text with one edit applied */

static void
splice(buf_t *out, const char *text, size_t len, size_t start, size_t end,
    const char *edit, size_t edit_len)
{
    assert_true(start <= end && end <= len);

    out->len = 0;
    buf_add(out, text, start);
    buf_add(out, edit, edit_len);
    buf_add(out, text + end, len - end);
}


static void
test_parity(void **state)
{
    int                            layout, legacy;
    size_t                         i;
    buf_t                          b, edited, jedited;
    govern_jv_arena_t              a;
    checked_t                      j, x, j2, x2;
    const char                    *path;
    govern_jv_t                   *jtree, *xtree, *jt2, *xt2;
    govern_xmlrpc_edit_t           e;

    memset(&b, 0, sizeof(b));
    memset(&edited, 0, sizeof(edited));
    memset(&jedited, 0, sizeof(jedited));

    for (i = 0; i < sizeof(parity) / sizeof(parity[0]); i++) {
        for (layout = 0; layout < LAYOUTS; layout++) {
            legacy = layout & 1;
            memset(&a, 0, sizeof(a));

            jtree = json(&a, parity[i].body, strlen(parity[i].body));
            path = to_xml(&b, jtree, layout, legacy);
            xtree = xmlz(&a, path, b.p);

            /* the trees are equal, strings and numbers */
            if (!govern_jv_equal(jtree, xtree))
            {
                fail_msg("%s\nread differently from\n%s", b.p,
                         parity[i].body);
            }

            check_call(jtree, parity[i].policy, &j);
            check_call(xtree, parity[i].policy, &x);

            same_call(b.p, &j, &x);

            if ((int) j.reason != parity[i].reason
                || (j.reason != BAD && j.call.records != parity[i].records))
            {
                fail_msg("%s: %d (%s) %lld records", parity[i].body,
                         j.reason, j.why, j.call.records);
            }

            if (layout == LAYOUT_PYTHON) {
                chunked(path, b.p, b.len);
            }

            if (!x.call.clamped) {
                govern_jv_arena_free(&a);
                continue;
            }

            /* a clamp spliced into the XML reads as the JSON one does */

            assert_true(govern_xmlrpc_clamp(b.p, &x.call, 100, &e));
            assert_int_equal(e.len, strlen(e.text));
            splice(&edited, b.p, b.len, e.start, e.end, e.text, e.len);

            splice(&jedited, parity[i].body, strlen(parity[i].body),
                   j.call.edit.start, j.call.edit.end, j.call.edit.text,
                   j.call.edit.len);

            xt2 = xmlz(&a, path, edited.p);
            jt2 = json(&a, jedited.p, jedited.len);

            if (!govern_jv_equal(jt2, xt2)) {
                fail_msg("clamped XML\n%s\nreads differently from\n%s",
                         edited.p, jedited.p);
            }

            check_call(xt2, CAP, &x2);
            check_call(jt2, CAP, &j2);
            same_call(edited.p, &j2, &x2);
            assert_int_equal(x2.reason, OK);
            assert_int_equal(x2.call.limit, 100);

            govern_jv_arena_free(&a);
        }
    }

    free(b.p);
    free(edited.p);
    free(jedited.p);
}


/* credentials: params 0-2 replaced whole, every other byte as sent */

static void
test_credentials_splice(void **state)
{
    size_t                 i, n, pos;
    char                   text[3][128];
    size_t                 len[3];
    buf_t                  b, out;
    govern_jv_arena_t      a;
    govern_jv_t           *jtree, *xtree, *args, *out_tree, *out_args;

    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    memset(&out, 0, sizeof(out));

    jtree = json(&a, KW("res.partner", "search_read", ",[[]],{\"limit\":5}"),
                 sizeof(KW("res.partner", "search_read",
                           ",[[]],{\"limit\":5}")) - 1);
    (void) to_xml(&b, jtree, LAYOUT_PYTHON, 0);
    xtree = xmlz(&a, "/xmlrpc/2/object", b.p);
    args = args_of(xtree);

    len[0] = govern_xmlrpc_param_string(text[0], sizeof(text[0]),
                                        "retail & <co>", 13);
    len[1] = govern_xmlrpc_param_int(text[1], sizeof(text[1]), 42);
    len[2] = govern_xmlrpc_param_string(text[2], sizeof(text[2]),
                 "0123456789abcdef0123456789abcdef01234567", 40);

    assert_memory_equal(text[1], "<param><value><int>42</int></value>"
                                 "</param>", len[1]);
    assert_int_equal(len[1], sizeof("<param><value><int>42</int></value>"
                                    "</param>") - 1);

    /* the three edits, in order */
    pos = 0;

    for (i = 0; i < 3; i++) {
        n = args->u.items[i].start;
        buf_add(&out, b.p + pos, n - pos);
        buf_add(&out, text[i], len[i]);
        pos = args->u.items[i].end;
    }

    buf_add(&out, b.p + pos, b.len - pos);

    out_tree = xmlz(&a, "/xmlrpc/2/object", out.p);
    out_args = args_of(out_tree);

    assert_string_equal(govern_jv_string(&out_args->u.items[0]),
                        "retail & <co>");
    assert_int_equal(out_args->u.items[1].u.integer, 42);
    assert_string_equal(govern_jv_string(&out_args->u.items[2]),
                        "0123456789abcdef0123456789abcdef01234567");

    for (i = 3; i < args->len; i++) {
        assert_true(govern_jv_equal(&args->u.items[i],
                                    &out_args->u.items[i]));
        /* the partner's bytes after the credentials, unchanged */
        assert_int_equal(args->u.items[i].end - args->u.items[i].start,
                         out_args->u.items[i].end
                         - out_args->u.items[i].start);
        assert_memory_equal(b.p + args->u.items[i].start,
                            out.p + out_args->u.items[i].start,
                            args->u.items[i].end - args->u.items[i].start);
    }

    free(b.p);
    free(out.p);
    govern_jv_arena_free(&a);
}


/* hostile and malformed bodies */

#define CALL(params)                                                          \
    "<methodCall><methodName>execute_kw</methodName><params>" params          \
    "</params></methodCall>"
#define PARAM(value)  "<param><value>" value "</value></param>"


static void
test_hostile(void **state)
{
    size_t   i, n, len;
    char    *deep;

    /* entities: billion laughs, external, parameter entities */
    refusedz("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
             " <!ENTITY lol \"lol\">\n"
             " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
             " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
             " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
             "]>\n" CALL(PARAM("<string>&lol3;</string>")),
             "DOCTYPE", -1);
    refusedz("<!DOCTYPE m [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
             CALL(PARAM("<string>&xxe;</string>")), "DOCTYPE", -1);
    refusedz("<!DOCTYPE m SYSTEM \"http://evil.example/m.dtd\">"
             CALL(PARAM("<string>x</string>")), "DOCTYPE", -1);
    refusedz("<!DOCTYPE m [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>"
             CALL(""), "DOCTYPE", -1);
    refusedz(CALL(PARAM("<string>&xxe;</string>")), "undefined entity", 77);

    /* nesting: 100,000 arrays deep, refused at the 62nd in a param */
    n = 100000;
    len = 0;
    deep = malloc(n * 40 + 256);
    assert_non_null(deep);
    len += sprintf(deep, "<methodCall><methodName>x</methodName><params>"
                   "<param><value>");
    for (i = 0; i < n; i++) {
        len += sprintf(deep + len, "<array><data><value>");
    }
    refused("/xmlrpc/2/object", deep, len, "nested deeper than 64",
            60 + 61 * 20);

    /* 61 nested containers in a param are the JSON parser's 64 */
    len = sprintf(deep, "<methodCall><methodName>x</methodName><params>"
                  "<param><value>");
    for (i = 0; i < 61; i++) {
        len += sprintf(deep + len, "<array><data><value>");
    }
    len += sprintf(deep + len, "<int>1</int>");
    for (i = 0; i < 61; i++) {
        len += sprintf(deep + len, "</value></data></array>");
    }
    len += sprintf(deep + len, "</value></param></params></methodCall>");
    {
        govern_jv_arena_t            a;
        govern_jv_error_t            err;

        memset(&a, 0, sizeof(a));
        assert_non_null(xml(&a, "/xmlrpc/2/object", deep, len, &err));
        govern_jv_arena_free(&a);
    }
    free(deep);

    /* invalid UTF-8: a stray byte, an overlong NUL, a surrogate */
    refusedz(CALL(PARAM("<string>\xff</string>")), "not UTF-8", 77);
    refusedz(CALL(PARAM("<string>\xc0\x80</string>")), "not UTF-8", 77);
    refusedz(CALL(PARAM("<string>\xed\xa0\x80</string>")), "not UTF-8", 77);
    refusedz(CALL(PARAM("<string>a&#0;</string>")), "XML", -1);
    refusedz(CALL(PARAM("<string>a&#1;</string>")), "XML", -1);

    /* other encodings, even declared, are not read */
    refusedz("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
             CALL(PARAM("<string>\xe9</string>")), "must be UTF-8", -1);
    refused("/xmlrpc/2/object", "\xff\xfe<\0m\0", 6, "XML", -1);

    /* integers beyond 64 bits, or not as Python's int() would read them
     * and the gateway would */
    refusedz(CALL(PARAM("<int>9223372036854775808</int>")),
             "out of the 64-bit range", 69);
    refusedz(CALL(PARAM("<i4>-9223372036854775809</i4>")),
             "out of the 64-bit range", 69);
    refusedz(CALL(PARAM("<i8>100000000000000000000000000000</i8>")),
             "<i8> is out of the 64-bit range", 69);
    refusedz(CALL(PARAM("<int>1_000</int>")), "not a decimal integer", 69);
    refusedz(CALL(PARAM("<int>\xd9\xa4\xd9\xa2</int>")),
             "not a decimal integer", 69);
    refusedz(CALL(PARAM("<int>\xc2\xa0" "42</int>")), "not a decimal", 69);
    refusedz(CALL(PARAM("<int>1e3</int>")), "not a decimal integer", 69);
    refusedz(CALL(PARAM("<int></int>")), "not a decimal integer", 69);
    refusedz(CALL(PARAM("<int>-</int>")), "not a decimal integer", 69);
    refusedz(CALL(PARAM("<int>0x10</int>")), "not a decimal integer", 69);
    refusedz(CALL(PARAM("<biginteger>1</biginteger>")),
             "unknown element <biginteger>", 69);
    refusedz(CALL(PARAM("<ex:i8>1</ex:i8>")), "unknown element <ex:i8>",
             69);

    /* booleans as end_boolean() reads them: "0" or "1" exactly */
    refusedz(CALL(PARAM("<boolean> 1</boolean>")), "0 or 1", 69);
    refusedz(CALL(PARAM("<boolean>true</boolean>")), "0 or 1", 69);

    /* doubles: finite decimals */
    refusedz(CALL(PARAM("<double>inf</double>")), "finite", 69);
    refusedz(CALL(PARAM("<double>nan</double>")), "finite", 69);
    refusedz(CALL(PARAM("<double>Infinity</double>")), "finite", 69);
    refusedz(CALL(PARAM("<double>1e400</double>")), "finite", 69);
    refusedz(CALL(PARAM("<double>1_0.5</double>")), "finite", 69);
    refusedz(CALL(PARAM("<double>.</double>")), "finite", 69);
    refusedz(CALL(PARAM("<double>1e</double>")), "finite", 69);

    /* dates strptime("%Y%m%dT%H:%M:%S") and datetime() accept */
    refusedz(CALL(PARAM("<dateTime.iso8601>2023-02-01T00:00:00"
                        "</dateTime.iso8601>")), "YYYYMMDDTHH:MM:SS", 69);
    refusedz(CALL(PARAM("<dateTime.iso8601>20230229T00:00:00"
                        "</dateTime.iso8601>")), "YYYYMMDDTHH:MM:SS", 69);
    refusedz(CALL(PARAM("<dateTime.iso8601>20240101T24:00:00"
                        "</dateTime.iso8601>")), "YYYYMMDDTHH:MM:SS", 69);
    refusedz(CALL(PARAM("<dateTime.iso8601>00000101T00:00:00"
                        "</dateTime.iso8601>")), "YYYYMMDDTHH:MM:SS", 69);
    refusedz(CALL(PARAM("<dateTime.iso8601> 20240101T00:00:00"
                        "</dateTime.iso8601>")), "YYYYMMDDTHH:MM:SS", 69);
    refusedz(CALL(PARAM("<dateTime.iso8601>20240101T00:00:00Z"
                        "</dateTime.iso8601>")), "YYYYMMDDTHH:MM:SS", 69);

    /* base64 */
    refusedz(CALL(PARAM("<base64>aGVsbG8</base64>")), "base64", 69);
    refusedz(CALL(PARAM("<base64>aG=Vs</base64>")), "base64", 69);
    refusedz(CALL(PARAM("<base64>a===</base64>")), "base64", 69);
    refusedz(CALL(PARAM("<base64>aGVs*G8=</base64>")), "base64", 69);

    /* duplicate struct members: Python's dict keeps the last */
    refusedz(CALL(PARAM("<struct><member><name>context</name><value>"
                        "<struct/></value></member><member><name>context"
                        "</name><value><struct/></value></member></struct>")),
             "duplicate struct member \"context\"", 166);
    {
        char  big[8192];

        /* many members: found by sorting */
        len = sprintf(big, "<methodCall><methodName>x</methodName><params>"
                      "<param><value><struct>");
        for (i = 0; i < 100; i++) {
            len += sprintf(big + len, "<member><name>k%zu</name><value/>"
                           "</member>", i % 99);
        }
        len += sprintf(big + len, "</struct></value></param></params>"
                       "</methodCall>");
        refused("/xmlrpc/2/object", big, len, "duplicate struct member "
                "\"k0\"", -1);
    }

    /* the grammar: what Python's lenient Unmarshaller would read askew */
    refusedz(CALL(PARAM("<string>a</string><string>b</string>")),
             "a <value> holds one typed value", -1);
    refusedz(CALL(PARAM("x<string>a</string>")), "text beside", -1);
    refusedz(CALL(PARAM("<string>a</string>x")), "text beside", -1);
    refusedz(CALL("<param><value>a</value><value>b</value></param>"),
             "a <param> holds one <value>", -1);
    refusedz(CALL("<param></param>"), "a <param> holds one <value>", 55);
    refusedz(CALL("<value>a</value>"), "<params> holds <param>", -1);
    refusedz(CALL(PARAM("<struct><name>a</name><value>1</value></struct>")),
             "<struct> holds <member>", -1);
    refusedz(CALL(PARAM("<struct><member><value>1</value><name>a</name>"
                        "</member></struct>")), "one <name>, then", -1);
    refusedz(CALL(PARAM("<struct><member><name>a</name></member>"
                        "</struct>")), "one <name>, then", -1);
    refusedz(CALL(PARAM("<array><value>1</value></array>")),
             "an <array> holds one <data>", -1);
    refusedz(CALL(PARAM("<array/>")), "an <array> holds one <data>", 69);
    refusedz(CALL(PARAM("<array><data/><data/></array>")), "one <data>",
             -1);
    refusedz(CALL(PARAM("<nil>x</nil>")), "text is not accepted in <nil>",
             -1);
    refusedz(CALL(PARAM("<int><int>1</int></int>")), "<int> holds text only",
             -1);
    refusedz(CALL(PARAM("<struct>x</struct>")), "text is not accepted", -1);
    refusedz(CALL("x"), "text is not accepted in <params>", -1);
    refusedz("<methodCall><params/><methodName>x</methodName></methodCall>",
             "one <methodName>, then", -1);
    refusedz("<methodCall><methodName>x</methodName><methodName>y"
             "</methodName></methodCall>", "one <methodName>, then", -1);
    refusedz("<methodCall><methodName>x</methodName><params/><params/>"
             "</methodCall>", "one <methodName>, then", -1);
    refusedz("<methodCall></methodCall>", "one <methodName>", 0);
    refusedz("<methodCall/>", "one <methodName>", 0);
    refusedz("<methodResponse><params/></methodResponse>",
             "the body must be a <methodCall> (<methodResponse> here)", 0);
    refusedz("<value>1</value>",
             "the body must be a <methodCall> (<value> here)", 0);
    refusedz("<methodCall><methodName>x</methodName><fault/></methodCall>",
             "unknown element <fault>", 38);
    refusedz("<methodCall><methodName></methodName></methodCall>",
             "not a method name", 12);
    refusedz("<methodCall><methodName> login </methodName></methodCall>",
             "not a method name", 12);
    refusedz("<methodCall a=\"1\"><methodName>x</methodName></methodCall>",
             "takes no attributes", 0);
    refusedz("<methodCall xmlns=\"urn:x\"><methodName>x</methodName>"
             "</methodCall>", "takes no attributes", 0);
    refusedz("<methodCall><!-- x --><methodName>x</methodName>"
             "</methodCall>", "comments", 12);
    refusedz("<?pi x?><methodCall><methodName>x</methodName></methodCall>",
             "processing instructions", 0);
    refusedz("<methodCall><methodName>x</methodName></methodCall><x/>",
             "XML: junk after document element", -1);
    refusedz("<methodCall><methodName>x</methodName>", "XML: no element",
             -1);
    refusedz("", "XML: no element found", 0);
    refusedz("not xml", "XML", 0);

    /* paths */
    refused("/xmlrpc/2/db", CALL(""), sizeof(CALL("")) - 1,
            "the db service is not exposed", 0);
    refused("/xmlrpc/db", CALL(""), sizeof(CALL("")) - 1,
            "the db service is not exposed", 0);
    refused("/xmlrpc/2/report", CALL(""), sizeof(CALL("")) - 1,
            "not an Odoo XML-RPC endpoint", 0);
    refused("/xmlrpc/2/object/", CALL(""), sizeof(CALL("")) - 1,
            "not an Odoo XML-RPC endpoint", 0);
    refused("/jsonrpc", CALL(""), sizeof(CALL("")) - 1, "not an XML-RPC",
            0);

    /* refusals read the same at every split */
    chunked("/xmlrpc/2/object", CALL(PARAM("<string>\xff</string>")),
            sizeof(CALL(PARAM("<string>\xff</string>"))) - 1);
    chunked("/xmlrpc/2/object", "<!DOCTYPE m [<!ENTITY a \"b\">]>"
            CALL(""), sizeof("<!DOCTYPE m [<!ENTITY a \"b\">]>" CALL("")) - 1);
    chunked("/xmlrpc/2/object",
            CALL(PARAM("<struct><member><name>a</name><value/></member>"
                       "<member><name>a</name><value/></member></struct>")),
            sizeof(CALL(PARAM("<struct><member><name>a</name><value/>"
                              "</member><member><name>a</name><value/>"
                              "</member></struct>"))) - 1);
    chunked("/xmlrpc/2/object", CALL(PARAM("<int> 12345678901234567890"
                                           "</int>")),
            sizeof(CALL(PARAM("<int> 12345678901234567890</int>"))) - 1);
}


/* the size bound, and feeding after a refusal */

/*
 * The fast reader takes what clients write and says nothing of the rest:
 * where it answers, its tree is expat's, spans included; where it does
 * not, the one-shot reading is expat's.
 */

static void
fast_and_expat(const char *text, int fast)
{
    size_t                       len;
    buf_t                        slow, quick;
    govern_jv_arena_t            a;
    govern_jv_t                 *v;
    govern_jv_error_t            err;

    len = strlen(text);
    memset(&a, 0, sizeof(a));
    memset(&slow, 0, sizeof(slow));
    memset(&quick, 0, sizeof(quick));

    outcome(&slow, "/xmlrpc/2/object", &text, &len, 1);

    v = govern_xmlrpc_parse_fast("/xmlrpc/2/object", 16, text, len,
                                 MAX_BODY, govern_jv_arena_alloc, &a);

    if (fast != (v != NULL)) {
        fail_msg("%s: the fast reader %s", text,
                 fast ? "declined" : "answered");
    }

    if (v) {
        jv_dump(&quick, v);

        if (strcmp(slow.p, quick.p) != 0) {
            fail_msg("%s:\nexpat: %s\nfast:  %s", text, slow.p, quick.p);
        }
    }

    /* and the one-shot reading is the same as expat's either way */
    v = xml(&a, "/xmlrpc/2/object", text, len, &err);
    quick.len = 0;

    if (v) {
        jv_dump(&quick, v);

    } else {
        buf_printf(&quick, "refused at %zu: %s", err.position, err.text);
    }

    if (strcmp(slow.p, quick.p) != 0) {
        fail_msg("%s:\nexpat:    %s\none-shot: %s", text, slow.p, quick.p);
    }

    free(slow.p);
    free(quick.p);
    govern_jv_arena_free(&a);
}


#define FAST_CALL(params)                                                    \
    "<methodCall>\n<methodName>execute_kw</methodName>\n<params>\n"          \
    params "\n</params>\n</methodCall>\n"

#define FAST_STRING(s)                                                       \
    "<param>\n<value><string>" s "</string></value>\n</param>\n"


static void
test_fast_reader(void **state)
{
    size_t                 i;
    static const char     *fast[] = {
        /* Python's xmlrpc.client */
        "<?xml version='1.0'?>\n" FAST_CALL(FAST_STRING("retail")
            "<param>\n<value><int>2</int></value>\n</param>\n"
            FAST_STRING("k") FAST_STRING("res.partner")
            FAST_STRING("search_read")
            "<param>\n<value><array><data>\n<value><array><data>\n"
            "<value><array><data>\n<value><string>name</string></value>\n"
            "<value><string>ilike</string></value>\n"
            "<value><string>a &amp; b &lt;c&gt; \"d\" 'e'</string></value>\n"
            "</data></array></value>\n</data></array></value>\n"
            "</data></array></value>\n</param>\n"
            "<param>\n<value><struct>\n<member>\n<name>limit</name>\n"
            "<value><int>5</int></value>\n</member>\n<member>\n"
            "<name>context</name>\n<value><struct>\n</struct></value>\n"
            "</member>\n</struct></value>\n</param>\n"),
        /* the npm clients: double quotes, an encoding, no layout */
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><methodCall>"
            "<methodName>execute_kw</methodName><params><param><value>"
            "<string>retail</string></value></param><param><value><int>2"
            "</int></value></param><param><value><string>k</string>"
            "</value></param><param><value><string>res.partner</string>"
            "</value></param><param><value><string>read</string></value>"
            "</param><param><value><array><data><value><i4>1</i4></value>"
            "</data></array></value></param></params></methodCall>",
        /* no declaration; empty elements; bare text values */
        FAST_CALL("<param><value>x</value></param><param><value/></param>"
             "<param><value><string/></value></param>"
             "<param><value><nil/></value></param>"
             "<param><value><double>1.5</double></value></param>"
             "<param><value><boolean>1</boolean></value></param>"
             "<param><value><dateTime.iso8601>20260101T00:00:00"
             "</dateTime.iso8601></value></param>"
             "<param><value><base64>eA==</base64></value></param>"),
        /* "]]" without '>' and '>' alone are text */
        FAST_CALL(FAST_STRING("]] > ]>")),
        "<?xml version='1.0' encoding='utf-8'?>\t\n"
            FAST_CALL(FAST_STRING("\t")),
    };
    static const char     *slow[] = {
        "\xef\xbb\xbf<?xml version='1.0'?>" FAST_CALL(FAST_STRING("bom")),
        " <?xml version='1.0'?>" FAST_CALL(FAST_STRING("late declaration")),
        "<?xml version='1.0' standalone='yes'?>" FAST_CALL(FAST_STRING("x")),
        "<?xml version='1.0' encoding='latin-1'?>" FAST_CALL(FAST_STRING("x")),
        "<?xml  version='1.0'?>" FAST_CALL(FAST_STRING("two spaces")),
        FAST_CALL(FAST_STRING("caf\xc3\xa9")),
        FAST_CALL(FAST_STRING("\xff")),
        FAST_CALL(FAST_STRING("a\r\nb")),
        FAST_CALL(FAST_STRING("a\rb")),
        FAST_CALL(FAST_STRING("&#65;")),
        FAST_CALL(FAST_STRING("&#x41;")),
        FAST_CALL(FAST_STRING("&nbsp;")),
        FAST_CALL(FAST_STRING("&amp")),
        FAST_CALL(FAST_STRING("a]]>b")),
        FAST_CALL(FAST_STRING("\x7f")),
        FAST_CALL(FAST_STRING("\x01")),
        FAST_CALL(FAST_STRING("<![CDATA[x]]>")),
        FAST_CALL(FAST_STRING("<!-- c -->")),
        FAST_CALL(FAST_STRING("<?pi x?>")),
        "<!DOCTYPE methodCall>" FAST_CALL(FAST_STRING("x")),
        FAST_CALL(FAST_STRING("x")) "<!-- after -->",
        FAST_CALL(FAST_STRING("x")) "junk",
        FAST_CALL(FAST_STRING("x")) "\r\n",
        FAST_CALL("<param ><value><string>x</string></value></param>"),
        FAST_CALL("<param><value><string>x</string ></value></param>"),
        FAST_CALL("<param><value><string a='1'>x</string></value></param>"),
        FAST_CALL("<param><value><string>x</strinG></value></param>"),
        FAST_CALL("<param><value><string>x</value></param>"),
        FAST_CALL("<param><value><my-type>x</my-type></value></param>"),
        FAST_CALL("<param><value><ns:string>x</ns:string></value></param>"),
        FAST_CALL("<param><value><string/ ></value></param>"),
        FAST_CALL("<param><value><string>x</string></value></param>")
            "</methodCall>",
        "<methodCall><methodName>x</methodName><params>",
        "<methodResponse><params></params></methodResponse>",
        FAST_CALL("<param><value><int>x</int></value></param>"),
        FAST_CALL("<param>text<value><int>1</int></value></param>"),
        "",
    };

    (void) state;

    for (i = 0; i < sizeof(fast) / sizeof(fast[0]); i++) {
        fast_and_expat(fast[i], 1);
    }

    for (i = 0; i < sizeof(slow) / sizeof(slow[0]); i++) {
        fast_and_expat(slow[i], 0);
    }
}


static void
test_bounds(void **state)
{
    govern_jv_arena_t            a;
    const char                  *body;
    govern_xmlrpc_t             *x;
    govern_jv_error_t            err;

    memset(&a, 0, sizeof(a));
    body = FAST_CALL(PARAM("<int>1</int>"));

    x = govern_xmlrpc_create("/xmlrpc/2/object", 16, 50,
                             govern_jv_arena_alloc, &a, &err);
    assert_non_null(x);
    assert_int_equal(govern_xmlrpc_feed(x, body, 40), 1);
    assert_int_equal(govern_xmlrpc_feed(x, body + 40, 40), 0);
    assert_string_equal(err.text, "the body is longer than 50 bytes");
    assert_int_equal(err.position, 50);
    assert_int_equal(govern_xmlrpc_feed(x, body, 1), 0);
    assert_null(govern_xmlrpc_finish(x));
    assert_string_equal(err.text, "the body is longer than 50 bytes");
    govern_xmlrpc_destroy(x);

    /* exactly the bound */
    x = govern_xmlrpc_create("/xmlrpc/2/object", 16, strlen(body),
                             govern_jv_arena_alloc, &a, &err);
    assert_int_equal(govern_xmlrpc_feed(x, body, strlen(body)), 1);
    assert_non_null(govern_xmlrpc_finish(x));

    /* abandoned mid-body: destroy frees expat (LeakSanitizer checks) */
    x = govern_xmlrpc_create("/xmlrpc/2/object", 16, 1000,
                             govern_jv_arena_alloc, &a, &err);
    assert_int_equal(govern_xmlrpc_feed(x, body, 20), 1);
    govern_xmlrpc_destroy(x);
    govern_xmlrpc_destroy(x);

    govern_jv_arena_free(&a);
}


static void
test_paths(void **state)
{
    const char  *why;

#define STYLE(p)  govern_xmlrpc_style(p, sizeof(p) - 1)
#define SERVICE(p)  govern_xmlrpc_service(p, sizeof(p) - 1, &why)

    assert_int_equal(STYLE("/xmlrpc/2/object"),
                     GOVERN_XMLRPC_INT_FAULTS);
    assert_int_equal(STYLE("/xmlrpc/2/db"), GOVERN_XMLRPC_INT_FAULTS);
    assert_int_equal(STYLE("/xmlrpc/object"),
                     GOVERN_XMLRPC_STRING_FAULTS);
    assert_int_equal(STYLE("/xmlrpc/2"), GOVERN_XMLRPC_STRING_FAULTS);
    assert_int_equal(STYLE("/jsonrpc"), 0);
    assert_int_equal(STYLE("/xmlrpc"), 0);

    assert_string_equal(SERVICE("/xmlrpc/2/common"), "common");
    assert_string_equal(SERVICE("/xmlrpc/2/object"), "object");
    assert_string_equal(SERVICE("/xmlrpc/common"), "common");
    assert_string_equal(SERVICE("/xmlrpc/object"), "object");
    assert_null(SERVICE("/xmlrpc/2/db"));
    assert_string_equal(why, "the db service is not exposed");
    assert_null(SERVICE("/xmlrpc/2/objects"));
    assert_null(SERVICE("/xmlrpc/2/2/object"));
    assert_null(SERVICE("/xmlrpc//object"));

#undef STYLE
#undef SERVICE
}


/* the answers, byte for byte as Odoo's dumps() writes them (Python
 * 3.11's xmlrpc.client.Marshaller) */

#define FAULT_INT(code, string)                                               \
    "<?xml version=\"1.0\"?>\n<methodResponse>\n<fault>\n<value><struct>\n"   \
    "<member>\n<name>faultCode</name>\n<value><int>" code "</int></value>\n"  \
    "</member>\n<member>\n<name>faultString</name>\n<value><string>" string   \
    "</string></value>\n</member>\n</struct></value>\n</fault>\n\n"           \
    "</methodResponse>\n"

#define FAULT_STRING(code, string)                                            \
    "<?xml version=\"1.0\"?>\n<methodResponse>\n<fault>\n<value><struct>\n"   \
    "<member>\n<name>faultCode</name>\n<value><string>" code                  \
    "</string></value>\n</member>\n<member>\n<name>faultString</name>\n"      \
    "<value><string>" string "</string></value>\n</member>\n</struct>"        \
    "</value>\n</fault>\n\n</methodResponse>\n"


static void
writes(size_t (*fn)(char *, size_t, int, int, const char *, size_t),
    int style, int exception, const char *message, const char *expected)
{
    char    out[2048], small[16];
    size_t  n;

    n = fn(out, sizeof(out), style, exception, message, strlen(message));
    assert_true(n < sizeof(out));
    out[n] = '\0';
    assert_string_equal(out, expected);

    /* snprintf()'s contract: the whole length, at most size bytes */
    memset(small, 'z', sizeof(small));
    assert_int_equal(fn(small, 8, style, exception, message,
                        strlen(message)), n);
    assert_memory_equal(small, expected, 8);
    assert_int_equal(small[8], 'z');
    assert_int_equal(fn(NULL, 0, style, exception, message,
                        strlen(message)), n);
}


static void
test_writers(void **state)
{
    char    out[1024];
    size_t  n;

#define V2  GOVERN_XMLRPC_INT_FAULTS
#define V1  GOVERN_XMLRPC_STRING_FAULTS
#define F   govern_xmlrpc_fault

    writes(F, V2, GOVERN_XMLRPC_ACCESS_DENIED, "Access Denied",
           FAULT_INT("3", "Access Denied"));
    writes(F, V2, GOVERN_XMLRPC_ACCESS_ERROR, "no <rule> & no",
           FAULT_INT("4", "no &lt;rule&gt; &amp; no"));
    writes(F, V2, GOVERN_XMLRPC_USER_ERROR, "u",
           FAULT_INT("2", "u"));
    writes(F, V2, GOVERN_XMLRPC_MISSING_ERROR, "m",
           FAULT_INT("2", "m"));
    writes(F, V2, GOVERN_XMLRPC_APPLICATION_ERROR, "bad\x01\x1f\t\r"
           "\n", FAULT_INT("1", "bad\t\r\n"));

    writes(F, V1, GOVERN_XMLRPC_ACCESS_DENIED, "Access Denied",
           FAULT_STRING("AccessDenied", "Access Denied"));
    writes(F, V1, GOVERN_XMLRPC_ACCESS_ERROR, "a > b",
           FAULT_STRING("warning -- AccessError\n\na &gt; b", ""));
    writes(F, V1, GOVERN_XMLRPC_USER_ERROR, "u",
           FAULT_STRING("warning -- UserError\n\nu", ""));
    writes(F, V1, GOVERN_XMLRPC_MISSING_ERROR, "m",
           FAULT_STRING("warning -- MissingError\n\nm", ""));
    writes(F, V1, GOVERN_XMLRPC_APPLICATION_ERROR, "oops",
           FAULT_STRING("oops", "oops"));

    /* not UTF-8, or not an XML character: U+FFFD */
    writes(F, V2, GOVERN_XMLRPC_ACCESS_DENIED,
           "a\xff" "b\xc3\xa9\xef\xbf\xbe\xed\xa0\x80",
           FAULT_INT("3", "a\xef\xbf\xbd" "b\xc3\xa9\xef\xbf\xbd"
                     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"));

#undef F

    n = govern_xmlrpc_fault_int(out, sizeof(out), 4, "x", 1);
    out[n] = '\0';
    assert_string_equal(out, FAULT_INT("4", "x"));
    n = govern_xmlrpc_fault_string(out, sizeof(out), "c<", 2, "", 0);
    out[n] = '\0';
    assert_string_equal(out, FAULT_STRING("c&lt;", ""));

    n = govern_xmlrpc_response_int(out, sizeof(out), 7);
    out[n] = '\0';
    assert_string_equal(out, "<?xml version=\"1.0\"?>\n<methodResponse>\n"
                        "<params>\n<param>\n<value><int>7</int></value>\n"
                        "</param>\n</params>\n\n</methodResponse>\n");
    n = govern_xmlrpc_response_boolean(out, sizeof(out), 0);
    out[n] = '\0';
    assert_string_equal(out, "<?xml version=\"1.0\"?>\n<methodResponse>\n"
                        "<params>\n<param>\n<value><boolean>0</boolean>"
                        "</value>\n</param>\n</params>\n\n"
                        "</methodResponse>\n");
    assert_int_equal(govern_xmlrpc_response_int(NULL, 0, -5),
                     sizeof("<?xml version=\"1.0\"?>\n<methodResponse>\n"
                            "<params>\n<param>\n<value><int>-5</int>"
                            "</value>\n</param>\n</params>\n\n"
                            "</methodResponse>\n") - 1);

    n = govern_xmlrpc_param_string(out, sizeof(out), "a&b", 3);
    out[n] = '\0';
    assert_string_equal(out, "<param><value><string>a&amp;b</string>"
                             "</value></param>");

#undef V1
#undef V2
}


/* what the gateway writes, Python's xmlrpc.client reads back: the fault
 * and the response parse as a methodResponse would (here: well-formed
 * XML whose strings the reader's own rules take as written) */

static void
test_writers_read_back(void **state)
{
    char                   out[1024], call[2048];
    size_t                 n;
    govern_jv_arena_t      a;
    govern_jv_t           *v;

    memset(&a, 0, sizeof(a));

    n = govern_xmlrpc_param_string(out, sizeof(out),
                                   "<]]>&\t\r\n\"'", 10);
    out[n] = '\0';
    snprintf(call, sizeof(call), "<methodCall><methodName>x</methodName>"
             "<params>%s</params></methodCall>", out);
    v = xmlz(&a, "/xmlrpc/2/object", call);

    /* CR LF comes back as LF: Odoo writes the carriage return raw, and
     * XML reads a line end so */
    assert_string_equal(govern_jv_string(&args_of(v)->u.items[0]),
                        "<]]>&\t\n\"'");

    govern_jv_arena_free(&a);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_spans),
        cmocka_unit_test(test_parity),
        cmocka_unit_test(test_credentials_splice),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_fast_reader),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_writers),
        cmocka_unit_test(test_writers_read_back),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
