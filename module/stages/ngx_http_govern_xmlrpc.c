
/*
 * govern: the XML-RPC stage.  On a `govern_odoo xmlrpc` route the body
 * the body stage read is a methodCall to /xmlrpc/2/common, /xmlrpc/2/object
 * (or the legacy /xmlrpc/common, /xmlrpc/object); it is read into the tree
 * a JSON-RPC client would have sent, so the Odoo stage judges it with the
 * same policy.  Refusals are Odoo's XML-RPC faults at HTTP 200, and the
 * credentials and a clamped limit are spliced into the partner's XML.
 */


#include "ngx_http_govern_stages.h"
#include "govern_xmlrpc.h"


static void *ngx_http_govern_xmlrpc_alloc(void *pool, size_t size);


static ngx_str_t  ngx_http_govern_xmlrpc_type =
    ngx_string(GOVERN_XMLRPC_CONTENT_TYPE);


static ngx_int_t
ngx_http_govern_xmlrpc_access(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    size_t                        len;
    ngx_str_t                     detail;
    const char                   *why;
    govern_jv_t                  *tree;
    govern_jv_error_t             err;
    ngx_http_core_loc_conf_t     *clcf;
    ngx_http_govern_loc_conf_t   *glcf;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);

    if (glcf->odoo != GOVERN_ODOO_XMLRPC || ctx->json) {
        return NGX_OK;
    }

    /* the db service, and any path no governed service answers */

    if (govern_xmlrpc_service((const char *) r->uri.data, r->uri.len, &why)
        == NULL)
    {
        detail.data = (u_char *) why;
        detail.len = ngx_strlen(why);
        return ngx_http_govern_refuse(r, GOVERN_REASON_ODOO_DENIED, &detail);
    }

    if (!(r->method & NGX_HTTP_POST) || ctx->body == NULL) {
        ngx_str_set(&detail, "XML-RPC calls are POST requests with a "
                             "methodCall");
        return ngx_http_govern_refuse(r, GOVERN_REASON_ODOO_MALFORMED,
                                      &detail);
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);
    len = ctx->body->last - ctx->body->pos;

    tree = govern_xmlrpc_parse((const char *) r->uri.data, r->uri.len,
                               (const char *) ctx->body->pos, len,
                               clcf->client_max_body_size
                               ? (size_t) clcf->client_max_body_size : len,
                               ngx_http_govern_xmlrpc_alloc, r->pool, &err);

    if (tree == NULL) {
        detail.data = ngx_pnalloc(r->pool, sizeof(err.text) + 64);
        if (detail.data == NULL) {
            return ngx_http_govern_refuse_internal(r, "the XML-RPC call");
        }

        detail.len = ngx_sprintf(detail.data, "%s (at byte %uz)", err.text,
                                 err.position)
                     - detail.data;

        return ngx_http_govern_refuse(r, GOVERN_REASON_ODOO_MALFORMED,
                                      &detail);
    }

    ctx->json = tree;

    return NGX_OK;
}


static void *
ngx_http_govern_xmlrpc_alloc(void *pool, size_t size)
{
    return ngx_palloc(pool, size);
}


/* the exception Odoo's controllers would have turned into this fault */

static int
ngx_http_govern_xmlrpc_exception(govern_reason_e reason)
{
    switch (govern_reason_class(reason)) {

    case GOVERN_REASON_CLASS_IDENTITY:
        return GOVERN_XMLRPC_ACCESS_DENIED;

    case GOVERN_REASON_CLASS_DENIED:
        return GOVERN_XMLRPC_ACCESS_ERROR;

    case GOVERN_REASON_CLASS_MALFORMED:
    case GOVERN_REASON_CLASS_INVALID:
        return GOVERN_XMLRPC_USER_ERROR;

    default:
        return GOVERN_XMLRPC_APPLICATION_ERROR;
    }
}


/*
 * A refusal as the fault Odoo answers (HTTP 200, text/xml), so an
 * XML-RPC client raises Fault and the partner reads why: the reason, the
 * detail and the request id in faultString.
 */

ngx_buf_t *
ngx_http_govern_xmlrpc_refusal(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, const govern_reason_t *info,
    ngx_str_t *detail, ngx_str_t *extra)
{
    int         style, exception;
    u_char     *message, *p;
    size_t      len, size;
    ngx_buf_t  *b;

    style = govern_xmlrpc_style((const char *) r->uri.data, r->uri.len);

    if (style == 0) {
        style = GOVERN_XMLRPC_INT_FAULTS;
    }

    exception = ngx_http_govern_xmlrpc_exception(ctx->reason);

    len = info->code_len + detail->len + ctx->request_id.len
          + sizeof(": " " (request )") - 1;

    message = ngx_pnalloc(r->pool, len);
    if (message == NULL) {
        return NULL;
    }

    p = ngx_sprintf(message, "%s: %V (request %V)", info->code, detail,
                    &ctx->request_id);

    size = govern_xmlrpc_fault(NULL, 0, style, exception,
                               (const char *) message, p - message);

    b = ngx_create_temp_buf(r->pool, size + 1);
    if (b == NULL) {
        return NULL;
    }

    b->last += govern_xmlrpc_fault((char *) b->pos, size + 1, style,
                                   exception, (const char *) message,
                                   p - message);
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_type = ngx_http_govern_xmlrpc_type;
    r->headers_out.content_type_len = ngx_http_govern_xmlrpc_type.len;

    return b;
}


/*
 * execute_kw's and execute's db, uid and password parameters replaced by
 * the partner's mapped ones, written as Odoo's marshaller writes them;
 * and a clamped limit, as XML.
 */

ngx_int_t
ngx_http_govern_xmlrpc_credentials(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_str_t *db, ngx_int_t uid, ngx_str_t *key,
    ngx_http_govern_edit_t *edits, ngx_uint_t *n)
{
    size_t        size;
    ngx_uint_t    i;
    govern_jv_t  *args;

    args = govern_jv_getz(govern_jv_getz(ctx->json, "params"), "args");

    if (!govern_jv_is_array(args) || args->len < 3) {
        return NGX_OK;
    }

    for (i = 0; i < 3; i++) {
        switch (i) {
        case 0:
            size = govern_xmlrpc_param_string(NULL, 0, (const char *) db->data,
                                              db->len);
            break;
        case 1:
            size = govern_xmlrpc_param_int(NULL, 0, uid);
            break;
        default:
            size = govern_xmlrpc_param_string(NULL, 0,
                                              (const char *) key->data,
                                              key->len);
        }

        edits[*n].text.data = ngx_pnalloc(r->pool, size + 1);
        if (edits[*n].text.data == NULL) {
            return NGX_ERROR;
        }

        switch (i) {
        case 0:
            (void) govern_xmlrpc_param_string((char *) edits[*n].text.data,
                                              size + 1,
                                              (const char *) db->data,
                                              db->len);
            break;
        case 1:
            (void) govern_xmlrpc_param_int((char *) edits[*n].text.data,
                                           size + 1, uid);
            break;
        default:
            (void) govern_xmlrpc_param_string((char *) edits[*n].text.data,
                                              size + 1,
                                              (const char *) key->data,
                                              key->len);
        }

        edits[*n].text.len = size;
        edits[*n].start = args->u.items[i].start;
        edits[*n].end = args->u.items[i].end;
        (*n)++;
    }

    return NGX_OK;
}


const ngx_http_govern_stage_t  ngx_http_govern_xmlrpc_stage = {
    "xmlrpc",
    NULL,                                   /* create conf */
    NULL,                                   /* merge conf */
    NULL,                                   /* init */
    ngx_http_govern_xmlrpc_access,
    NULL,                                   /* headers */
    NULL,                                   /* body */
    NULL                                    /* log */
};
