
/*
 * govern: correlation ids.  Every governed request gets an X-Request-Id
 * (a sane inbound one is kept) and a W3C trace context (a valid inbound
 * traceparent is continued with a span of our own, otherwise a trace is
 * started); both reach the upstream, and the id is sent back to the client.
 */


#include <openssl/rand.h>

#include "ngx_http_govern_module.h"


static ngx_uint_t ngx_http_govern_header_is(ngx_table_elt_t *h,
    ngx_str_t *lowcase);
static ngx_int_t ngx_http_govern_add_header_in(ngx_http_request_t *r,
    ngx_str_t *key, ngx_str_t *lowcase, ngx_str_t *value);
static ngx_int_t ngx_http_govern_random_hex(u_char *dst, size_t bytes);
static ngx_int_t ngx_http_govern_header_filter(ngx_http_request_t *r);


static ngx_int_t ngx_http_govern_body_out_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;

static ngx_str_t  ngx_http_govern_too_large =
    ngx_string("the request body is larger than client_max_body_size");

static govern_rng_t  ngx_http_govern_rng;
static ngx_pid_t              ngx_http_govern_rng_pid = -1;

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


static ngx_uint_t
ngx_http_govern_header_is(ngx_table_elt_t *h, ngx_str_t *lowcase)
{
    return h->key.len == lowcase->len
           && ngx_strncmp(h->lowcase_key, lowcase->data, lowcase->len) == 0;
}


/*
 * Gives every copy of a request header the value, so no hop sees another,
 * or adds the header when the client sent none.
 */

ngx_int_t
ngx_http_govern_set_header_in(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *lowcase, ngx_str_t *value)
{
    ngx_uint_t        i, found;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    found = 0;
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

        if (ngx_http_govern_header_is(&h[i], lowcase)) {
            h[i].value = *value;
            found = 1;
        }
    }

    if (found) {
        return NGX_OK;
    }

    return ngx_http_govern_add_header_in(r, key, lowcase, value);
}


/* a request header the client did not send */

static ngx_int_t
ngx_http_govern_add_header_in(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *lowcase, ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_in.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->key = *key;
    h->lowcase_key = lowcase->data;
    h->hash = ngx_hash_key(lowcase->data, lowcase->len);
    h->value = *value;

    return NGX_OK;
}


/* the first request header of that (lower-case) name, or NULL */

ngx_table_elt_t *
ngx_http_govern_find_header_in(ngx_http_request_t *r, ngx_str_t *lowcase)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (ngx_http_govern_header_is(&h[i], lowcase)) {
            return &h[i];
        }
    }
}


static ngx_int_t
ngx_http_govern_random_hex(u_char *dst, size_t bytes)
{
    u_char  rnd[32];

    /* the stream is per process: reseed after fork (ngx_pid changed) */

    if (ngx_http_govern_rng_pid != ngx_pid) {
        if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
            return NGX_ERROR;
        }

        govern_rng_seed(&ngx_http_govern_rng, rnd);
        ngx_http_govern_rng_pid = ngx_pid;
    }

    govern_rng_bytes(&ngx_http_govern_rng, rnd, bytes);
    govern_hex(dst, rnd, bytes);

    return NGX_OK;
}


static ngx_int_t
ngx_http_govern_header_filter(ngx_http_request_t *r)
{
    ngx_uint_t                   i;
    ngx_list_part_t             *part;
    ngx_table_elt_t             *h;
    ngx_http_govern_ctx_t       *ctx;
    ngx_http_govern_loc_conf_t  *glcf;

    if (r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_govern_get_ctx(r);

    if (ctx == NULL) {
        glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);

        if (!glcf->enable) {
            return ngx_http_next_header_filter(r);
        }

        /* refused by nginx itself before the access phase, e.g. 413 */

        ctx = ngx_http_govern_create_ctx(r);
        if (ctx == NULL || ngx_http_govern_trace_ids(r, ctx, 0) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    /*
     * nginx itself refused a body it was reading for us (a chunked body
     * over client_max_body_size): the audit names the reason
     */

    if (ctx->capture && r->headers_out.status
                        == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE)
    {
        ctx->capture = 0;

        /* its HTML page becomes our problem+json (the body filter) */

        ctx->replacement = ngx_http_govern_problem(r,
                               GOVERN_REASON_BODY_TOO_LARGE,
                               &ngx_http_govern_too_large, NULL);
        if (ctx->replacement == NULL) {
            return NGX_ERROR;
        }
    }

    /* the upstream's own X-Request-Id must not contradict ours */

    part = &r->headers_out.headers.part;
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

        if (h[i].hash
            && h[i].key.len == ngx_http_govern_request_id_key.len
            && ngx_strncasecmp(h[i].key.data,
                               ngx_http_govern_request_id_key.data,
                               ngx_http_govern_request_id_key.len) == 0)
        {
            h[i].hash = 0;
        }
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key = ngx_http_govern_request_id_key;
    h->value = ctx->request_id;

    if (ngx_http_govern_ratelimit_headers(r, ctx) != NGX_OK
        || ngx_http_govern_version_headers(r, ctx) != NGX_OK
        || ngx_http_govern_odoo_headers(r, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_next_header_filter(r);
}


/* sends the replacement instead of whatever nginx's page was */

static ngx_int_t
ngx_http_govern_body_out_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_buf_t              *b;
    ngx_chain_t             out;
    ngx_http_govern_ctx_t  *ctx;

    if (r != r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_govern_module);

    if (ctx == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    if (ctx->idem) {
        ngx_http_govern_idempotency_capture(r, ctx, in);
    }

    if (ctx->replacement == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    for ( /* void */ ; in; in = in->next) {
        in->buf->pos = in->buf->last;       /* consumed */

        if (in->buf->file_pos < in->buf->file_last) {
            in->buf->file_pos = in->buf->file_last;
        }
    }

    b = ctx->replacement;
    ctx->replacement = NULL;

    out.buf = b;
    out.next = NULL;

    return ngx_http_next_body_filter(r, &out);
}


ngx_int_t
ngx_http_govern_trace_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_govern_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_govern_body_out_filter;

    return NGX_OK;
}
