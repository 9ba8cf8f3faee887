
/*
 * govern: XML-RPC methodCall bodies read into the JSON value tree, and
 * the XML-RPC answers Odoo's controllers write.
 *
 * A methodCall to /xmlrpc/2/<service> or /xmlrpc/<service> becomes the
 * body a JSON-RPC client would have sent to /jsonrpc for the same call:
 *
 *     {"params": {"service": S, "method": M, "args": [...]}}
 *
 * so govern_odoo_parse(GOVERN_ODOO_JSONRPC, tree, NULL,
 * "/jsonrpc", ...) reads it with the same policy.  Every value keeps the
 * byte span of its <value> element in the XML text, and each of the
 * call's parameters (args' items) the span of its whole <param>, so
 * credentials and a clamped limit are spliced into the partner's bytes.
 *
 * Only what Odoo would read exactly as the gateway does is accepted (see
 * govern_xmlrpc.c for each rule and the Odoo source behind it).
 * expat reads the XML; no DOCTYPE, entity, comment, processing instruction
 * or attribute is accepted, UTF-8 only.
 * Pure logic: no nginx types.
 */


#ifndef _GOVERN_XMLRPC_H_INCLUDED_
#define _GOVERN_XMLRPC_H_INCLUDED_


#include <stddef.h>

#include "govern_jv.h"
#include "govern_odoo.h"


/* how an endpoint answers faults: Odoo's xmlrpc_2 and xmlrpc_1 routes */
#define GOVERN_XMLRPC_INT_FAULTS              1     /* /xmlrpc/2/<service> */
#define GOVERN_XMLRPC_STRING_FAULTS           2     /* /xmlrpc/<service> */

/* the exception classes Odoo turns into faults (xmlrpc_handle_exception_*) */
#define GOVERN_XMLRPC_APPLICATION_ERROR           1     /* anything else */
#define GOVERN_XMLRPC_USER_ERROR                  2     /* UserError */
#define GOVERN_XMLRPC_ACCESS_DENIED               3     /* AccessDenied */
#define GOVERN_XMLRPC_ACCESS_ERROR                4     /* AccessError */
#define GOVERN_XMLRPC_MISSING_ERROR               5     /* MissingError */

/* the Content-Type Odoo answers with (werkzeug adds the charset) */
#define GOVERN_XMLRPC_CONTENT_TYPE           "text/xml; charset=utf-8"


typedef struct govern_xmlrpc_s  govern_xmlrpc_t;


/* a replacement of the body's bytes [start, end) by text, as spliced */
typedef struct {
    size_t                  start;
    size_t                  end;
    size_t                  len;
    char                    text[160];
} govern_xmlrpc_edit_t;


/*
 * The fault style of an XML-RPC path (..._INT_FAULTS, ..._STRING_FAULTS),
 * or 0 when it is not under /xmlrpc/.
 */
int govern_xmlrpc_style(const char *path, size_t len);

/*
 * The service a governed XML-RPC path names: "common" or "object", for
 * /xmlrpc/2/common, /xmlrpc/2/object, /xmlrpc/common and /xmlrpc/object
 * exactly.  NULL and *why for any other path (the db service included).
 */
const char *govern_xmlrpc_service(const char *path, size_t len,
    const char **why);

/*
 * A reader of one methodCall posted to path, fed as the body arrives.
 * The reader itself comes from alloc (the request pool), and so do the
 * tree and its strings; expat and the reader's scratch memory are
 * malloc()ed and freed by govern_xmlrpc_finish() or
 * govern_xmlrpc_destroy() (call it from a pool cleanup: it does
 * nothing once the reader is finished).  max_size: the most bytes
 * accepted.  NULL with err for a path no governed service answers, or
 * without memory.
 */
govern_xmlrpc_t *govern_xmlrpc_create(const char *path,
    size_t path_len, size_t max_size, govern_jv_alloc_pt alloc,
    void *alloc_ctx, govern_jv_error_t *err);

/*
 * The next bytes of the body, at any split.  1, or 0 once the body is
 * refused (err says why and at which byte of the body; every later call
 * returns 0).
 */
int govern_xmlrpc_feed(govern_xmlrpc_t *x,
    const char *data, size_t len);

/*
 * The end of the body: the call's tree, or NULL with err.  The reader's
 * malloc()ed memory is freed either way.
 */
govern_jv_t *govern_xmlrpc_finish(
    govern_xmlrpc_t *x);

/* frees what the reader malloc()ed; safe to call again, and after finish */
void govern_xmlrpc_destroy(govern_xmlrpc_t *x);

/*
 * The whole text, read without expat when it is the plain XML clients
 * write (see the source), else NULL, and nothing said: expat decides.
 */
govern_jv_t *govern_xmlrpc_parse_fast(const char *path, size_t path_len,
    const char *text, size_t len, size_t max_size,
    govern_jv_alloc_pt alloc, void *alloc_ctx);

/* the whole text: the fast reader's tree, or create, feed, finish */
govern_jv_t *govern_xmlrpc_parse(const char *path,
    size_t path_len, const char *text, size_t len, size_t max_size,
    govern_jv_alloc_pt alloc, void *alloc_ctx,
    govern_jv_error_t *err);


/*
 * The writers below work like snprintf(): they write at most size bytes
 * to buf (which may be NULL when size is 0) and return the length of the
 * whole text, NUL not included and never written.  Strings are escaped
 * as Odoo's marshaller does (&, <, >; control characters other than tab,
 * newline and carriage return removed), and bytes that are not UTF-8 or
 * not XML characters are written as U+FFFD.
 */

/* <methodResponse><fault> with an integer faultCode */
size_t govern_xmlrpc_fault_int(char *buf, size_t size, int code,
    const char *string, size_t len);

/* <methodResponse><fault> with a string faultCode (legacy /xmlrpc/) */
size_t govern_xmlrpc_fault_string(char *buf, size_t size,
    const char *code, size_t code_len, const char *string, size_t len);

/*
 * The fault Odoo answers for an exception class (..._ACCESS_DENIED and
 * so on) carrying message, in the endpoint's style.
 */
size_t govern_xmlrpc_fault(char *buf, size_t size, int style,
    int exception, const char *message, size_t len);

/* <methodResponse> with one int or boolean: common.login's answers */
size_t govern_xmlrpc_response_int(char *buf, size_t size, int v);
size_t govern_xmlrpc_response_boolean(char *buf, size_t size,
    int v);

/*
 * The body change that sets a search's limit to n in the XML text the
 * call was read from, in the places govern_odoo_check() clamps
 * a JSON-RPC body: the limit's value replaced, a "limit" member added to
 * the kwargs struct, kwargs given to an execute_kw without them (or in
 * place of its nil), or the next positional parameter of an execute.
 * 0 when the call has no place for it (as for JSON-RPC).
 */
int govern_xmlrpc_clamp(const char *text,
    const govern_odoo_call_t *call, long long n,
    govern_xmlrpc_edit_t *edit);

/* a <param> holding a string or an int: credentials spliced over a span */
size_t govern_xmlrpc_param_string(char *buf, size_t size,
    const char *s, size_t len);
size_t govern_xmlrpc_param_int(char *buf, size_t size,
    long long v);


#endif /* _GOVERN_XMLRPC_H_INCLUDED_ */
