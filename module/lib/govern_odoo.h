
/*
 * govern: Odoo's external API calls, understood.  JSON-RPC (/jsonrpc and
 * /web/dataset/call_kw, call_button) and JSON-2 (/json/2/<model>/<method>)
 * calls are normalised to one tuple, and the tuple is checked against a
 * closed-world policy: every method is classified (model method, record
 * method, search, grouped read) before its records are counted, and what
 * cannot be classified is refused under a record cap.
 * Pure logic over parsed bodies (govern_jv_t): no nginx types.
 */


#ifndef _GOVERN_ODOO_H_INCLUDED_
#define _GOVERN_ODOO_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "govern_jv.h"
#include "govern_reason.h"


#define GOVERN_ODOO_JSONRPC           1
#define GOVERN_ODOO_JSON2             2
#define GOVERN_ODOO_XMLRPC            3     /* read into a JSON-RPC tree */

#define GOVERN_ODOO_UNLIMITED           (-1LL)

/* a method's shape: how Odoo dispatches it */
#define GOVERN_ODOO_UNKNOWN           0
#define GOVERN_ODOO_MODEL             1     /* @api.model: no ids */
#define GOVERN_ODOO_RECORDS           2     /* ids first */
#define GOVERN_ODOO_SEARCH            3     /* @api.model, limit counts */
#define GOVERN_ODOO_GROUP             4     /* @api.model, aggregates */

/* where a method's values come from (positional after the ids, keyword) */
#define GOVERN_ODOO_VALUES_NONE             0
#define GOVERN_ODOO_VALUES_CREATE           1   /* vals_list */
#define GOVERN_ODOO_VALUES_WRITE            2   /* vals */
#define GOVERN_ODOO_VALUES_COPY             3   /* default */
#define GOVERN_ODOO_VALUES_ONE              4   /* name_create: one */

#define GOVERN_ODOO_KEYWORD_ONLY           (-1)


typedef struct {
    int8_t                  kind;           /* GOVERN_ODOO_* */
    int8_t                  values;         /* ..._VALUES_* */
    int8_t                  limit_position; /* positional index, or -1 */
    uint8_t                 declared;       /* by govern_odoo_method */
    long long               default_limit;  /* when absent, or UNLIMITED */
    uint8_t                 spec;           /* 1 + the position of a web
                                               read's specification; 0 */
} govern_odoo_shape_t;


/* one allow rule of the configuration: a model, methods, a scope */
typedef struct {
    const char             *model;
    const char            **methods;        /* NULL-terminated */
    const char             *scope;
} govern_odoo_rule_t;


/* govern_odoo_method MODEL METHOD SHAPE */
typedef struct {
    const char             *model;
    const char             *method;
    govern_odoo_shape_t           shape;
} govern_odoo_decl_t;


/* a (model, method) the policy knows: the scopes that allow it */
typedef struct {
    const char             *model;          /* NULL: an empty slot */
    const char             *method;
    const char            **scopes;         /* NULL-terminated, or NULL */
    size_t                  nscopes;
    uint32_t                hash;
    govern_odoo_shape_t           shape;
} govern_odoo_entry_t;


typedef struct {
    govern_odoo_entry_t            *table;  /* open addressing, 2^n slots */
    size_t                          mask;
    size_t                          nrules; /* entries with scopes */
    const char *const              *context_allow;  /* NULL-terminated */
    long long                       max_records;    /* 0: no cap */
    int                             clamp;
} govern_odoo_policy_t;


/* a replacement of the body's bytes [start, end) by text */
typedef struct {
    size_t                  start;
    size_t                  end;
    size_t                  len;
    char                    text[48];
} govern_odoo_edit_t;


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
    govern_jv_t            *specification;  /* web_read's, web_save's */
    const govern_odoo_entry_t           *entry;     /* NULL: no rule */
    govern_odoo_shape_t                  shape;
    long long               limit;          /* search limit, or UNLIMITED */
    int                     searches;       /* a search: limit applies */
    int                     clamped;        /* limit set by the gateway */
    int                     unbounded_spec; /* reads uncountable records */
    long long               related;        /* per record, by its spec */
    long long               records;        /* the most records it touches */

    /* where the limit is, or would go, for a clamp */
    govern_jv_t            *limit_value;
    govern_jv_t            *kwargs;         /* the keyword arguments */
    govern_jv_t            *args;           /* the positional arguments */
    size_t                  skip;           /* args before the method's */
    govern_jv_t            *rpc_args;       /* execute_kw's own args */
    govern_odoo_edit_t           edit;      /* valid when clamped */

    char                    path_model[128];    /* JSON-2: from the path */
    char                    path_method[128];
} govern_odoo_call_t;


typedef void *(*govern_odoo_alloc_pt)(void *ctx, size_t size);


/* the lazy depth (GOVERN_JV_LAZY) to parse a call's body with */
unsigned govern_odoo_lazy_depth(int protocol, const char *path,
    size_t path_len);

/*
 * path: the request path, already checked to be what the client sent;
 * the endpoint and, for JSON-2, the model and method come from it.  body:
 * NULL for an empty JSON-2 body.  src: the parse of a lazily parsed body
 * (what is read of it is built), or NULL.
 */
govern_reason_e govern_odoo_parse(int protocol,
    govern_jv_t *body, const govern_jv_source_t *src,
    const char *path, size_t path_len,
    const govern_odoo_policy_t *policy,
    govern_odoo_call_t *call, const char **why);

/*
 * The partner's granted scopes: space separated.  A clamped search comes
 * back allowed with call->clamped set and call->edit the body's change.
 */
govern_reason_e govern_odoo_check(
    govern_odoo_call_t *call,
    const govern_odoo_policy_t *policy, const char *granted,
    size_t granted_len, const char **why, const char **key);

/* the built-in shape of a method name (UNKNOWN when Odoo's is unknown) */
govern_odoo_shape_t govern_odoo_builtin_shape(
    const char *method);

/*
 * Parses a shape as govern_odoo_method writes it: model, records,
 * search[=POS], group[=POS].  0 when it is none of them.
 */
int govern_odoo_parse_shape(const char *text, size_t len,
    govern_odoo_shape_t *shape);

/*
 * Builds the policy's table from the rules and declarations (policy's
 * context_allow, max_records and clamp set by the caller).  -1 with
 * *why and *bad (the index of the offending rule, or of the declaration
 * after nrules) for a rule that can never apply; -2 without memory.
 */
int govern_odoo_policy_build(govern_odoo_policy_t *policy,
    const govern_odoo_rule_t *rules, size_t nrules,
    const govern_odoo_decl_t *decls, size_t ndecls,
    govern_odoo_alloc_pt alloc, void *alloc_ctx,
    const char **why, size_t *bad, const char **bad_method);

const govern_odoo_entry_t *govern_odoo_lookup(
    const govern_odoo_policy_t *policy, const char *model,
    const char *method);


#endif /* _GOVERN_ODOO_H_INCLUDED_ */
