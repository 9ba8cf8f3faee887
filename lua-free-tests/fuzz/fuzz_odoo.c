/*
 * libFuzzer target: a partner's Odoo call body through govern's parser
 * and policy, on both protocols.  The first byte picks the protocol and
 * the path; the rest is the body.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <jansson.h>

#include "ngx_http_govern_odoo.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t                         *body;
    const char                     *why, *key, *path;
    ngx_http_govern_odoo_call_t     call;
    ngx_http_govern_odoo_policy_t   policy;

    static const char  *methods[] = { "search_read", "create", NULL };
    static const char  *context[] = { "lang", "tz", NULL };
    static const ngx_http_govern_odoo_rule_t  rules[] = {
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
    body = json_loadb((const char *) data + 1, size - 1,
                      JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);

    policy.rules = rules;
    policy.nrules = data[0] & 0x10 ? 1 : 0;
    policy.context_allow = context;
    policy.max_records = data[0] & 0x20 ? 100 : 0;

    /* as the policy stage does: every parsed call is checked */

    if (ngx_http_govern_odoo_parse(data[0] % 4 < 2 ? 1 : 2, body, path,
                                   strlen(path), &call, &why)
        == NGX_HTTP_GOVERN_REASON_NONE)
    {
        (void) ngx_http_govern_odoo_check(&call, &policy, "orders:write", 12,
                                          &why, &key);
    }

    json_decref(body);

    return 0;
}
