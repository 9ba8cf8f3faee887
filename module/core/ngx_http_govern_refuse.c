
/*
 * govern: refusals.  Every stage refuses through ngx_http_govern_refuse(),
 * which records the decision for the audit record and answers with an
 * RFC 9457 problem+json body carrying the stable reason and request id.
 */


#include "ngx_http_govern_core.h"
#include "govern_json.h"


#define NGX_HTTP_GOVERN_PROBLEM_TYPE  "urn:govern:problem:"


static ngx_int_t ngx_http_govern_send(ngx_http_request_t *r, ngx_buf_t *b);


static ngx_str_t  ngx_http_govern_problem_type =
    ngx_string("application/problem+json");


/*
 * Sends the refusal and finalizes the request; the caller returns the
 * result (NGX_DONE) from its stage.  Headers a reason needs (such as
 * WWW-Authenticate or Retry-After) are added by the stage beforehand.
 */

ngx_int_t
ngx_http_govern_refuse(ngx_http_request_t *r, govern_reason_e reason,
    ngx_str_t *detail)
{
    return ngx_http_govern_refuse_with(r, reason, detail, NULL);
}


/* extra: more members of the problem object, as ',"name":value...' */

/*
 * The gateway itself failed (no memory, a variable that cannot be
 * evaluated): 500 internal_error in the route's shape, with a log line
 * naming what failed; never nginx's own HTML page.
 */

ngx_int_t
ngx_http_govern_refuse_internal(ngx_http_request_t *r, const char *what)
{
    ngx_str_t  detail;

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "govern: %s failed", what);

    ngx_str_set(&detail, "the gateway failed to process the request");

    return ngx_http_govern_refuse(r, GOVERN_REASON_INTERNAL_ERROR, &detail);
}


ngx_int_t
ngx_http_govern_refuse_with(ngx_http_request_t *r,
    govern_reason_e reason, ngx_str_t *detail, ngx_str_t *extra)
{
    ngx_buf_t              *b;
    ngx_http_govern_ctx_t  *ctx;

    ctx = ngx_http_govern_get_ctx(r);

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "govern: request \"%V\" refused: %s: %V",
                  &ctx->request_id, govern_reason(reason)->code,
                  detail);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    b = ngx_http_govern_problem(r, reason, detail, extra);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_govern_send(r, b);
}


/* the gateway's own response, headers set: sent, the request finalized */

static ngx_int_t
ngx_http_govern_send(ngx_http_request_t *r, ngx_buf_t *b)
{
    ngx_int_t    rc;
    ngx_chain_t  out;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        ngx_http_finalize_request(r, rc);
        return NGX_DONE;
    }

    out.buf = b;
    out.next = NULL;

    ngx_http_finalize_request(r, ngx_http_output_filter(r, &out));

    return NGX_DONE;
}


/*
 * Records the refusal and turns the response headers into a problem's;
 * returns the problem+json body (last in its chain).
 */

ngx_buf_t *
ngx_http_govern_problem(ngx_http_request_t *r,
    govern_reason_e reason, ngx_str_t *detail, ngx_str_t *extra)
{
    size_t                           len;
    u_char                          *p;
    ngx_buf_t                       *b;
    ngx_table_elt_t                 *cc;
    ngx_http_govern_ctx_t           *ctx;
    ngx_http_govern_loc_conf_t      *glcf;
    const govern_reason_t           *info;

    ctx = ngx_http_govern_get_ctx(r);
    info = govern_reason(reason);

    ctx->decided = 1;
    ctx->allowed = 0;
    ctx->reason = reason;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);

    if (glcf->refusal) {
        b = glcf->refusal(r, ctx, info, detail, extra);
        if (b == NULL) {
            return NULL;
        }

        goto headers;
    }

    len = sizeof("{\"type\":\"" NGX_HTTP_GOVERN_PROBLEM_TYPE) - 1
          + info->code_len
          + sizeof("\",\"title\":\"") - 1 + info->title_len
          + sizeof("\",\"status\":") - 1 + NGX_INT_T_LEN
          + sizeof(",\"detail\":\"") - 1
          + GOVERN_JSON_ESCAPE_MAX(detail->len)
          + sizeof("\",\"reason\":\"") - 1 + info->code_len
          + sizeof("\",\"request_id\":\"") - 1 + ctx->request_id.len
          + (extra ? extra->len : 0)
          + sizeof("\"}\n") - 1;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
    }

    p = ngx_sprintf(b->last, "{\"type\":\"" NGX_HTTP_GOVERN_PROBLEM_TYPE
                    "%s\",\"title\":\"%s\",\"status\":%d,\"detail\":\"",
                    info->code, info->title, info->status);
    p = govern_json_escape(p, detail->data, detail->len);
    p = ngx_sprintf(p, "\",\"reason\":\"%s\",\"request_id\":\"%V\"",
                    info->code, &ctx->request_id);

    if (extra) {
        p = ngx_cpymem(p, extra->data, extra->len);
    }

    b->last = ngx_cpymem(p, "}\n", 2);
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = info->status;
    r->headers_out.content_type = ngx_http_govern_problem_type;
    r->headers_out.content_type_len = ngx_http_govern_problem_type.len;

headers:

    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.content_length_n = b->last - b->pos;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    /* a refusal is about this request only */

    cc = ngx_list_push(&r->headers_out.headers);
    if (cc == NULL) {
        return NULL;
    }

    cc->hash = 1;
    ngx_str_set(&cc->key, "Cache-Control");
    ngx_str_set(&cc->value, "no-store");

    return b;
}


/*
 * The gateway answers the request itself, allowed (a login answered at
 * the edge): the response is sent and the request finalized; NGX_DONE
 * for the access handler to return.
 */

ngx_int_t
ngx_http_govern_answer(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, ngx_buf_t *b)
{
    ngx_http_govern_ctx_t  *ctx;

    ctx = ngx_http_govern_get_ctx(r);

    ctx->decided = 1;
    ctx->allowed = 1;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        r->keepalive = 0;
    }

    r->headers_out.status = status;
    r->headers_out.content_type = *type;
    r->headers_out.content_type_len = type->len;
    r->headers_out.content_length_n = b->last - b->pos;

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    return ngx_http_govern_send(r, b);
}
