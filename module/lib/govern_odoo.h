
/*
 * govern: Odoo's external API calls, understood.  JSON-RPC (/jsonrpc and
 * /web/dataset/call_kw) and JSON-2 (/json/2/<model>/<method>) calls are
 * normalised to one tuple, and the tuple is checked against the policy.
 * Pure logic over parsed bodies (govern_jv_t): no nginx types.
 */


#ifndef _GOVERN_ODOO_H_INCLUDED_
#define _GOVERN_ODOO_H_INCLUDED_


#include <stddef.h>

#include "govern_jv.h"
#include "govern_reason.h"


#define GOVERN_ODOO_JSONRPC           1
#define GOVERN_ODOO_JSON2             2

#define GOVERN_ODOO_UNLIMITED           (-1LL)


typedef struct {
    int                     protocol;       /* GOVERN_ODOO_* */
    const char             *service;        /* JSON-RPC: common, object, db */
    const char             *db;
    const char             *model;
    const char             *method;
    govern_jv_t            *id;             /* the JSON-RPC request id */
    govern_jv_t            *ids;
    govern_jv_t            *values;         /* create or write values */
    govern_jv_t            *context;
    long long               limit;          /* search limit, or UNLIMITED */
    int                     searches;       /* a search: limit applies */
    long long               records;        /* the most records it touches */
    char                    path_model[128];    /* JSON-2: from the path */
    char                    path_method[128];
} govern_odoo_call_t;


typedef struct {
    const char         *model;
    const char        **methods;        /* NULL-terminated */
    const char         *scope;
} govern_odoo_rule_t;


typedef struct {
    const govern_odoo_rule_t           *rules;
    size_t                              nrules;
    const char *const                  *context_allow;  /* NULL-terminated */
    long long                           max_records;    /* 0: no cap */
} govern_odoo_policy_t;


/* the lazy depth (GOVERN_JV_LAZY) to parse a call's body with */
unsigned govern_odoo_lazy_depth(int protocol, const char *path,
    size_t path_len);

/*
 * path: the request path; model/method of JSON-2 come from it.  src: the
 * parse of a lazily parsed body (what is read of it is built), or NULL.
 */
govern_reason_e govern_odoo_parse(int protocol,
    govern_jv_t *body, const govern_jv_source_t *src,
    const char *path, size_t path_len, govern_odoo_call_t *call,
    const char **why);

/* the partner's granted scopes: space separated */
govern_reason_e govern_odoo_check(
    const govern_odoo_call_t *call,
    const govern_odoo_policy_t *policy, const char *granted,
    size_t granted_len, const char **why, const char **key);


#endif /* _GOVERN_ODOO_H_INCLUDED_ */
