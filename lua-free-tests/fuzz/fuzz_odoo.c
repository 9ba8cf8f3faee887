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
 * both trees.
 */

#include <stddef.h>
#include <stdint.h>
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
    govern_odoo_policy_t            policy;

    static const char  *methods[] = { "search_read", "create", NULL };
    static const char  *context[] = { "lang", "tz", NULL };
    static const govern_odoo_rule_t           rules[] = {
        { "sale.order", methods, "orders:write" },
    };
    static const char  *paths[] = {
        "/jsonrpc", "/web/dataset/call_kw/x/y",
        "/json/2/sale.order/create", "/json/2/a/b/c"
    };

    if (size < 1) {
        return 0;
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

    policy.rules = rules;
    policy.nrules = data[0] & 0x10 ? 1 : 0;
    policy.context_allow = context;
    policy.max_records = data[0] & 0x20 ? 100 : 0;

    /* as the policy stage does: every parsed call is checked */

    reason = govern_odoo_parse(protocol, body, NULL, path,
                               strlen(path), &call, &why);
    lreason = govern_odoo_parse(protocol, lazy, &src, path,
                                strlen(path), &lcall, &lwhy);

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
        reason = govern_odoo_check(&call, &policy, "orders:write",
                                   12, &why, &key);
        lreason = govern_odoo_check(&lcall, &policy,
                                    "orders:write", 12, &lwhy,
                                    &lkey);

        if (reason != lreason || !same_string(key, lkey)) {
            __builtin_trap();
        }
    }

    govern_jv_arena_free(&arena);

    return 0;
}
