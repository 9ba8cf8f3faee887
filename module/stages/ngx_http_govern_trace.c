
/*
 * govern: correlation ids.  Every governed request gets an X-Request-Id
 * (a sane inbound one is kept) and a W3C trace context (a valid inbound
 * traceparent is continued with a span of our own, otherwise a trace is
 * started); both reach the upstream, and the id is sent back to the client.
 */


#include "ngx_http_govern_stages.h"


static ngx_str_t  ngx_http_govern_request_id_key =
    ngx_string("X-Request-Id");
static ngx_str_t  ngx_http_govern_request_id_lowcase =
    ngx_string("x-request-id");
static ngx_str_t  ngx_http_govern_traceparent =
    ngx_string("traceparent");


/*
 * One pass over the request headers decides both ids; with "forward"
 * (the access phase) the request headers are rewritten so the upstream
 * receives exactly the ids the audit record carries (in place, or added,
 * without another pass unless a header came twice).
 */

ngx_int_t
ngx_http_govern_trace_ids(ngx_http_request_t *r, ngx_http_govern_ctx_t *ctx,
    ngx_uint_t forward)
{
    ngx_int_t                       rc;
    ngx_str_t                       traceparent;
    ngx_uint_t                      i, ids, tps, keep_id, keep_tp;
    ngx_list_part_t                *part;
    ngx_table_elt_t                *h, *id_h, *tp_h;
    govern_traceparent_t            tp;

    ids = 0;
    tps = 0;
    id_h = NULL;
    tp_h = NULL;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (ngx_http_govern_header_is(&h[i],
                                      &ngx_http_govern_request_id_lowcase))
        {
            if (ids++ == 0) {
                id_h = &h[i];
            }

        } else if (ngx_http_govern_header_is(&h[i],
                                             &ngx_http_govern_traceparent))
        {
            if (tps++ == 0) {
                tp_h = &h[i];
            }
        }
    }

    keep_id = id_h
              && govern_request_id_valid(id_h->value.data,
                                         id_h->value.len);

    if (keep_id) {
        ngx_memcpy(ctx->request_id_buf, id_h->value.data, id_h->value.len);
        ctx->request_id.len = id_h->value.len;

    } else {
        if (ngx_http_govern_random_hex(ctx->request_id_buf, 16) != NGX_OK) {
            return NGX_ERROR;
        }

        ctx->request_id.len = 32;
    }

    ctx->request_id.data = ctx->request_id_buf;

    /* two traceparent headers make the context invalid */

    keep_tp = tps == 1
              && govern_traceparent_parse(tp_h->value.data,
                                          tp_h->value.len, &tp);

    if (!keep_tp) {
        if (ngx_http_govern_random_hex(tp.trace_id, 16) != NGX_OK) {
            return NGX_ERROR;
        }

        tp.flags[0] = '0';
        tp.flags[1] = '1';
    }

    /* a span of our own: the upstream's parent is this gateway */

    if (ngx_http_govern_random_hex(tp.parent_id, 8) != NGX_OK) {
        return NGX_ERROR;
    }

    govern_traceparent_format(ctx->traceparent, &tp);

    ctx->trace_id.len = GOVERN_TRACE_ID_LEN;
    ctx->trace_id.data = &ctx->traceparent[3];

    if (!forward) {
        return NGX_OK;
    }

    traceparent.len = GOVERN_TRACEPARENT_LEN;
    traceparent.data = ctx->traceparent;

    /* the walk above counted them: only repeated headers need another */

    if (ids == 1) {
        id_h->value = ctx->request_id;
        rc = NGX_OK;

    } else if (ids == 0) {
        rc = ngx_http_govern_add_header_in(r,
                 &ngx_http_govern_request_id_key,
                 &ngx_http_govern_request_id_lowcase, &ctx->request_id);

    } else {
        rc = ngx_http_govern_set_header_in(r,
                 &ngx_http_govern_request_id_key,
                 &ngx_http_govern_request_id_lowcase, &ctx->request_id);
    }

    if (rc != NGX_OK) {
        return NGX_ERROR;
    }

    if (tps == 1) {
        tp_h->value = traceparent;
        return NGX_OK;
    }

    if (tps == 0) {
        return ngx_http_govern_add_header_in(r, &ngx_http_govern_traceparent,
                                             &ngx_http_govern_traceparent,
                                             &traceparent);
    }

    return ngx_http_govern_set_header_in(r, &ngx_http_govern_traceparent,
                                         &ngx_http_govern_traceparent,
                                         &traceparent);
}


/* the first stage: the ids every other stage and record refers to */

static ngx_int_t
ngx_http_govern_trace_access(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    if (ctx->request_id.len) {
        return NGX_OK;              /* decided again after a redirect */
    }

    if (ngx_http_govern_trace_ids(r, ctx, 1) != NGX_OK) {
        return ngx_http_govern_refuse_internal(r, "the request ids");
    }

    return NGX_OK;
}


const ngx_http_govern_stage_t  ngx_http_govern_trace_stage = {
    "trace",
    NULL,                                   /* create conf */
    NULL,                                   /* merge conf */
    NULL,                                   /* init */
    ngx_http_govern_trace_access,
    NULL,                                   /* headers */
    NULL,                                   /* body */
    NULL                                    /* log */
};
