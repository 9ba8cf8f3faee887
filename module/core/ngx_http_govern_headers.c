
/*
 * govern: request and response header helpers.
 */


#include "ngx_http_govern_core.h"


ngx_uint_t
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

ngx_int_t
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


/* adds a response header; the value is copied to the request pool */

ngx_int_t
ngx_http_govern_add_header(ngx_http_request_t *r, const char *name,
    u_char *value, size_t len)
{
    u_char           *v;
    ngx_table_elt_t  *h;

    v = ngx_pnalloc(r->pool, len);
    if (v == NULL) {
        return NGX_ERROR;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(v, value, len);

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value.data = v;
    h->value.len = len;

    return NGX_OK;
}

