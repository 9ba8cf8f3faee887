
/*
 * govern: Odoo's external API calls, understood.  JSON-RPC (/jsonrpc and
 * /web/dataset/call_kw) and JSON-2 (/json/2/<model>/<method>) calls are
 * normalised to one tuple, and the tuple is checked against the policy.
 * Pure logic over parsed bodies (ngx_http_govern_jv_t): no nginx types.
 */


#ifndef _NGX_HTTP_GOVERN_ODOO_H_INCLUDED_
#define _NGX_HTTP_GOVERN_ODOO_H_INCLUDED_


#include <stddef.h>

#include "ngx_http_govern_jv.h"
#include "ngx_http_govern_reason.h"


#define NGX_HTTP_GOVERN_ODOO_JSONRPC  1
#define NGX_HTTP_GOVERN_ODOO_JSON2    2

#define NGX_HTTP_GOVERN_ODOO_UNLIMITED  (-1LL)


typedef struct {
    int                     protocol;       /* NGX_HTTP_GOVERN_ODOO_* */
    const char             *service;        /* JSON-RPC: common, object, db */
    const char             *db;
    const char             *model;
    const char             *method;
    ngx_http_govern_jv_t   *id;             /* the JSON-RPC request id */
    ngx_http_govern_jv_t   *ids;
    ngx_http_govern_jv_t   *values;         /* create or write values */
    ngx_http_govern_jv_t   *context;
    long long               limit;          /* search limit, or UNLIMITED */
    int                     searches;       /* a search: limit applies */
    long long               records;        /* the most records it touches */
    char                    path_model[128];    /* JSON-2: from the path */
    char                    path_method[128];
} ngx_http_govern_odoo_call_t;


typedef struct {
    const char         *model;
    const char        **methods;        /* NULL-terminated */
    const char         *scope;
} ngx_http_govern_odoo_rule_t;


typedef struct {
    const ngx_http_govern_odoo_rule_t  *rules;
    size_t                              nrules;
    const char *const                  *context_allow;  /* NULL-terminated */
    long long                           max_records;    /* 0: no cap */
} ngx_http_govern_odoo_policy_t;


/* the lazy depth (NGX_HTTP_GOVERN_JV_LAZY) to parse a call's body with */
unsigned ngx_http_govern_odoo_lazy_depth(int protocol, const char *path,
    size_t path_len);

/*
 * path: the request path; model/method of JSON-2 come from it.  src: the
 * parse of a lazily parsed body (what is read of it is built), or NULL.
 */
ngx_http_govern_reason_e ngx_http_govern_odoo_parse(int protocol,
    ngx_http_govern_jv_t *body, const ngx_http_govern_jv_source_t *src,
    const char *path, size_t path_len, ngx_http_govern_odoo_call_t *call,
    const char **why);

/* the partner's granted scopes: space separated */
ngx_http_govern_reason_e ngx_http_govern_odoo_check(
    const ngx_http_govern_odoo_call_t *call,
    const ngx_http_govern_odoo_policy_t *policy, const char *granted,
    size_t granted_len, const char **why, const char **key);


#endif /* _NGX_HTTP_GOVERN_ODOO_H_INCLUDED_ */
