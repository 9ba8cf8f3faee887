/*
 * libFuzzer target: a partner's Odoo call body through govern's parser
 * and policy, on both protocols.  The first byte picks the protocol and
 * the path; the rest is the body.  The body parser is also checked
 * against jansson: both accept the same texts, but for what govern
 * refuses on purpose (nesting beyond 64), what jansson cannot hold
 * (integers beyond 64 bits) and jansson's end of input at a NUL byte.
 * And the lazy parse the gateway uses (AVX-512, AVX2 or byte scans)
 * is checked against the whole one: the same texts accepted (the same
 * error where refused), and the same call and policy decision read from
 * both trees.  And a differential oracle: a small model of how Odoo
 * itself reads values (Python's number equality for command codes, the
 * seven x2many commands, plain id lists, a falsy limit as none) counts
 * the records of every call the policy allows under a cap of 100: the
 * gateway must never allow what the model counts above the cap.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "govern_odoo.h"


static int
too_deep(const uint8_t *p, size_t len)
{
    int  depth, in_string;

    depth = 0;
    in_string = 0;

    for ( ; len; p++, len--) {
        if (in_string) {
            if (*p == '\\' && len > 1) {
                p++;
                len--;

            } else if (*p == '"') {
                in_string = 0;
            }

        } else if (*p == '"') {
            in_string = 1;

        } else if ((*p == '[' || *p == '{') && ++depth > 64) {
            return 1;

        } else if (*p == ']' || *p == '}') {
            depth--;
        }
    }

    return 0;
}


static int
same_string(const char *a, const char *b)
{
    return (a == NULL && b == NULL)
           || (a != NULL && b != NULL && strcmp(a, b) == 0);
}


/* Python's int(v) for what compares equal to an int: 1.0, True */

static int
py_int(const govern_jv_t *v, long long *n)
{
    if (v == NULL) {
        return 0;
    }

    switch (v->type) {
    case GOVERN_JV_INTEGER:
        *n = v->u.integer;
        return 1;
    case GOVERN_JV_REAL:
        if (v->u.real != v->u.real || v->u.real < -1e18 || v->u.real > 1e18
            || (double) (long long) v->u.real != v->u.real)
        {
            return 0;
        }
        *n = (long long) v->u.real;
        return 1;
    case GOVERN_JV_FALSE:
        *n = 0;
        return 1;
    case GOVERN_JV_TRUE:
        *n = 1;
        return 1;
    default:
        return 0;
    }
}


/* the records Odoo creates, updates or relinks for one values dict */

static long long
odoo_model_count(const govern_jv_t *vals)
{
    size_t                       i, j;
    long long                    n, code;
    const govern_jv_t           *f, *item;

    if (vals == NULL || vals->type != GOVERN_JV_OBJECT) {
        return 0;
    }

    n = 1;

    for (i = 0; i < vals->len; i++) {
        f = &vals->u.members[i].value;

        if (f->type != GOVERN_JV_ARRAY) {
            continue;
        }

        for (j = 0; j < f->len; j++) {
            item = &f->u.items[j];

            if (item->type == GOVERN_JV_OBJECT) {
                n += odoo_model_count(item);

            } else if (item->type != GOVERN_JV_ARRAY) {
                n += 1;                         /* an id */

            } else if (item->len && py_int(&item->u.items[0], &code)) {
                if (code == 0 || code == 1) {
                    n += item->len > 2 ? odoo_model_count(&item->u.items[2])
                                       : 0;
                } else if (code == 6) {
                    n += item->len > 2
                         && item->u.items[2].type == GOVERN_JV_ARRAY
                         ? (long long) item->u.items[2].len : 0;
                } else if (code >= 2 && code <= 5) {
                    n += 1;
                }
            }
        }
    }

    return n;
}


static long long
odoo_values_count(const govern_jv_t *v)
{
    size_t     i;
    long long  n;

    if (v == NULL) {
        return 0;
    }

    if (v->type == GOVERN_JV_ARRAY) {
        for (i = 0, n = 0; i < v->len; i++) {
            n += odoo_model_count(&v->u.items[i]);
        }
        return n;
    }

    return odoo_model_count(v);
}


/*
 * An allowed call under a cap of 100, read as Odoo reads it (from the
 * whole tree): at most 100 records, and a search's limit, as Python's
 * truthiness reads it, a number from 1 to 100.
 */

static void
oracle(const govern_odoo_call_t *call)
{
    long long  n, ids;

    ids = call->ids == NULL ? 0
          : call->ids->type == GOVERN_JV_ARRAY
            ? (long long) call->ids->len
          : call->ids->type == GOVERN_JV_NULL
            || call->ids->type == GOVERN_JV_FALSE ? 0 : 1;

    n = odoo_values_count(call->values);

    if (call->shape.kind == GOVERN_ODOO_RECORDS && n) {
        n *= ids ? ids : 1;
    }

    if (ids > n) {
        n = ids;
    }

    if (n > 100) {
        __builtin_trap();               /* more records than the cap */
    }

    if (call->searches && !call->clamped) {
        if (call->limit_value == NULL) {
            if (call->shape.default_limit < 1
                || call->shape.default_limit > 100)
            {
                __builtin_trap();       /* a default beyond the cap */
            }

        } else if (!py_int(call->limit_value, &n) || n < 1 || n > 100
                   || call->limit_value->type == GOVERN_JV_TRUE)
        {
            __builtin_trap();           /* a limit Odoo reads otherwise */
        }
    }
}



static void *
fuzz_alloc(void *ctx, size_t size)
{
    (void) ctx;
    return malloc(size);             /* policies live for the whole run */
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                             protocol;
    json_t                         *jansson;
    unsigned                        depth;
    const char                     *why, *key, *path, *lwhy, *lkey;
    govern_jv_t                    *body, *lazy;
    json_error_t                    jerr;
    govern_jv_error_t               err, lerr;
    govern_jv_arena_t               arena;
    govern_jv_source_t              src;
    govern_odoo_call_t              call, lcall;
    govern_reason_e                 reason, lreason;
    govern_odoo_policy_t           *policy;
    size_t                          bad;
    const char                     *bad_method;

    static const char  *methods[] = { "search_read", "create", "write",
                                      "name_search", "copy", "read_group",
                                      "action_confirm", "unlink", NULL };
    static const char  *context[] = { "lang", "tz", NULL };
    static const govern_odoo_rule_t           rules[] = {
        { "sale.order", methods, "orders:write" },
    };
    static const govern_odoo_decl_t           decls[] = {
        { "sale.order", "read_group",
          { GOVERN_ODOO_GROUP, 0, 4, 1,
            GOVERN_ODOO_UNLIMITED, 0 } },
    };
    static govern_odoo_policy_t           policies[8];
    static int                            built;
    static const char  *paths[] = {
        "/jsonrpc", "/web/dataset/call_kw/x/y",
        "/json/2/sale.order/create", "/json/2/a/b/c"
    };

    if (size < 1) {
        return 0;
    }

    /* rules or none, a cap of 100 or none, clamp or not */

    if (!built) {
        for (int i = 0; i < 8; i++) {
            policies[i].context_allow = context;
            policies[i].max_records = i & 2 ? 100 : 0;
            policies[i].clamp = i & 4 ? 1 : 0;

            if (govern_odoo_policy_build(&policies[i], rules,
                                         i & 1, decls, i & 2 ? 1 : 0,
                                         fuzz_alloc, NULL, &why,
                                         &bad, &bad_method)
                != 0)
            {
                __builtin_trap();
            }
        }

        built = 1;
    }

    path = paths[data[0] % 4];
    arena.blocks = NULL;
    body = govern_jv_parse((const char *) data + 1, size - 1, 0,
                           govern_jv_arena_alloc, &arena,
                           &err);

    /* the gateway's depth for this path, or any other */

    protocol = data[0] % 4 < 2 ? 1 : 2;
    depth = data[0] & 0x40
            ? govern_odoo_lazy_depth(protocol, path, strlen(path))
            : (unsigned) (data[0] >> 7) * 2 + 1;

    src.text = (const char *) data + 1;
    src.flags = GOVERN_JV_LAZY(depth)
                | (data[0] & 0x04 ? GOVERN_JV_BYTEWISE : 0)
                | (data[0] & 0x08 ? GOVERN_JV_NO_AVX512 : 0);
    src.alloc = govern_jv_arena_alloc;
    src.alloc_ctx = &arena;

    lazy = govern_jv_parse(src.text, size - 1, src.flags,
                           src.alloc, src.alloc_ctx, &lerr);

    if ((body == NULL) != (lazy == NULL)
        || (body == NULL && (err.position != lerr.position
                             || strcmp(err.text, lerr.text) != 0)))
    {
        __builtin_trap();               /* lazy and whole parses differ */
    }
    jansson = json_loadb((const char *) data + 1, size - 1,
                         JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);

    if (jansson && body == NULL && !too_deep(data + 1, size - 1)
        && memchr(data + 1, 0, size - 1) == NULL)
    {
        __builtin_trap();               /* refused what jansson reads */
    }

    if (jansson == NULL && body
        && strstr(jerr.text, "too big integer") == NULL
        && strstr(jerr.text, "too big negative integer") == NULL)
    {
        __builtin_trap();               /* read what jansson refuses */
    }

    json_decref(jansson);

    policy = &policies[(data[0] >> 4) & 7];

    /* as the policy stage does: every parsed call is checked */

    reason = govern_odoo_parse(protocol, body, NULL, path,
                               strlen(path), policy, &call, &why);
    lreason = govern_odoo_parse(protocol, lazy, &src, path,
                                strlen(path), policy, &lcall,
                                &lwhy);

    if (reason != lreason
        || (reason == GOVERN_REASON_NONE
            && (!same_string(call.service, lcall.service)
                || !same_string(call.db, lcall.db)
                || !same_string(call.model, lcall.model)
                || !same_string(call.method, lcall.method)
                || call.records != lcall.records
                || call.limit != lcall.limit
                || call.searches != lcall.searches)))
    {
        __builtin_trap();               /* a lazy tree read differently */
    }

    if (reason == GOVERN_REASON_NONE) {
        reason = govern_odoo_check(&call, policy, "orders:write",
                                   12, &why, &key);
        lreason = govern_odoo_check(&lcall, policy,
                                    "orders:write", 12, &lwhy,
                                    &lkey);

        if (reason != lreason || !same_string(key, lkey)
            || call.clamped != lcall.clamped
            || (call.clamped && (call.edit.start != lcall.edit.start
                                 || call.edit.end != lcall.edit.end
                                 || strcmp(call.edit.text, lcall.edit.text))))
        {
            __builtin_trap();
        }

        if (reason == GOVERN_REASON_NONE && policy->max_records
            && call.model)
        {
            oracle(&call);
        }
    }

    govern_jv_arena_free(&arena);

    return 0;
}
