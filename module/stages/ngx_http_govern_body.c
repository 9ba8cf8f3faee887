
/*
 * govern: request bodies, read in the access phase and validated whole.
 *
 * The body is read with ngx_http_read_client_request_body(), as the
 * mirror module does, so the upstream still receives it byte for byte;
 * a request body filter keeps a contiguous copy in memory as the bytes
 * arrive, so a body nginx spills to a temp file (larger than
 * client_body_buffer_size) is validated too, without reading the file
 * back.  The copy is parsed once (no duplicate keys, UTF-8 only, nesting
 * bounded) and checked against the location's compiled schema.
 */


#include "ngx_http_govern_stages.h"
#include "govern_json.h"


static ngx_uint_t ngx_http_govern_body_wanted(ngx_http_request_t *r,
    ngx_http_govern_loc_conf_t *glcf, ngx_uint_t *json_needed);
static void ngx_http_govern_body_done(ngx_http_request_t *r);
static ngx_int_t ngx_http_govern_body_check(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_loc_conf_t *glcf,
    ngx_uint_t json_needed);
static ngx_int_t ngx_http_govern_body_type(ngx_http_request_t *r,
    ngx_http_govern_loc_conf_t *glcf);
static ngx_int_t ngx_http_govern_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static void *ngx_http_govern_body_alloc(void *data, size_t size);


static ngx_http_request_body_filter_pt  ngx_http_next_request_body_filter;

static ngx_str_t  ngx_http_govern_default_types[] = {
    ngx_string("application/json"),
    ngx_string("application/json-rpc")      /* Odoo's JSON-RPC accepts it */
};

static ngx_str_t  ngx_http_govern_xml_types[] = {
    ngx_string("text/xml"),                 /* xmlrpc.client's */
    ngx_string("application/xml")
};


static ngx_int_t
ngx_http_govern_body_access(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    ngx_uint_t                   json_needed;
    ngx_http_govern_loc_conf_t  *glcf;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);

    if (!ngx_http_govern_body_wanted(r, glcf, &json_needed)) {
        return NGX_OK;
    }

    switch (ctx->body_state) {

    case NGX_HTTP_GOVERN_BODY_NONE:
        return ngx_http_govern_body_read(r, ctx, 0);

    case NGX_HTTP_GOVERN_BODY_READING:
        return NGX_AGAIN;

    case NGX_HTTP_GOVERN_BODY_READ:
        ctx->body_state = NGX_HTTP_GOVERN_BODY_DONE;
        return ngx_http_govern_body_check(r, ctx, glcf, json_needed);

    default:
        return NGX_OK;                  /* after an internal redirect */
    }
}


/*
 * Bodies are read where a schema applies, for every Odoo call, and for
 * the fingerprint of an idempotent request: 1 when this stage needs the
 * body (a copy of it), *json_needed when it parses it.
 */

static ngx_uint_t
ngx_http_govern_body_wanted(ngx_http_request_t *r,
    ngx_http_govern_loc_conf_t *glcf, ngx_uint_t *json_needed)
{
    *json_needed = (glcf->schema && (r->method & glcf->schema->methods))
                   || (glcf->odoo && (r->method & NGX_HTTP_POST));

    return *json_needed
           || (glcf->idempotency
               && (r->method & (NGX_HTTP_POST | NGX_HTTP_PUT | NGX_HTTP_PATCH
                                | NGX_HTTP_DELETE)));
}


/*
 * Starts reading the body, for this stage or for one before it that needs
 * the bytes as they arrive (a webhook's signature): the cheap refusals
 * first, then the read, with a copy kept when this stage will need it or
 * the caller asks for one (copy).  NGX_DONE: reading (the access handler
 * runs again at the caller's stage once it is read: body_state READ), or
 * refused; NGX_OK: there is no body to read (body_state DONE).
 */

ngx_int_t
ngx_http_govern_body_read(ngx_http_request_t *r, ngx_http_govern_ctx_t *ctx,
    ngx_uint_t copy)
{
    ngx_int_t                    rc;
    ngx_str_t                    detail;
    ngx_uint_t                   wanted, json_needed;
    ngx_http_govern_loc_conf_t  *glcf;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);
    wanted = ngx_http_govern_body_wanted(r, glcf, &json_needed);

    /* cheap refusals before a byte of the body is read; JSON-2 allows an
     * empty body without a type (no Content-Length and no chunked
     * encoding is an empty body too, RFC 9112 6.3) */

    if (glcf->odoo == GOVERN_ODOO_JSON2
        && r->headers_in.content_length_n <= 0 && !r->headers_in.chunked)
    {
        ctx->body_state = NGX_HTTP_GOVERN_BODY_DONE;
        return NGX_OK;
    }

    if (json_needed && ngx_http_govern_body_type(r, glcf) != NGX_OK) {
        ngx_str_set(&detail, "the request body must be one of the accepted "
                             "media types");
        return ngx_http_govern_refuse(r, GOVERN_REASON_CONTENT_TYPE,
                                      &detail);
    }

    ctx->body_state = NGX_HTTP_GOVERN_BODY_READING;
    ctx->reading = 1;
    ctx->capture = (wanted || copy);

    rc = ngx_http_read_client_request_body(r, ngx_http_govern_body_done);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        ctx->reading = 0;
        ctx->capture = 0;

        if (rc == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE) {
            ngx_str_set(&detail, "the request body is larger than "
                                 "client_max_body_size");
            return ngx_http_govern_refuse(r,
                       GOVERN_REASON_BODY_TOO_LARGE, &detail);
        }

        return rc;
    }

    /* balances the count ngx_http_read_client_request_body() took */

    ngx_http_finalize_request(r, NGX_DONE);

    return NGX_DONE;
}


/*
 * body_sha256, what the audit trail can prove was sent: computed when an
 * audit record or an idempotency fingerprint first needs it, from the
 * body as read (kept in the pool; unchanged by credential rewriting).
 */

ngx_int_t
ngx_http_govern_body_sha256(ngx_http_request_t *r, ngx_http_govern_ctx_t *ctx)
{
    u_char  digest[32];

    if (ctx->body == NULL || ctx->body_sha256.len) {
        return NGX_OK;
    }

    if (ngx_http_govern_digest(ctx->body->pos,
                               ctx->body->last - ctx->body->pos, digest)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->body_sha256.data = ngx_pnalloc(r->pool, 64);
    if (ctx->body_sha256.data == NULL) {
        return NGX_ERROR;
    }

    govern_hex(ctx->body_sha256.data, digest, 32);
    ctx->body_sha256.len = 64;

    return NGX_OK;
}


static void
ngx_http_govern_body_done(ngx_http_request_t *r)
{
    ngx_http_govern_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_govern_module);

    ctx->reading = 0;
    ctx->capture = 0;
    ctx->body_state = NGX_HTTP_GOVERN_BODY_READ;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "govern: body resumed");

    ngx_http_govern_resume(r);
}


static ngx_int_t
ngx_http_govern_body_check(ngx_http_request_t *r, ngx_http_govern_ctx_t *ctx,
    ngx_http_govern_loc_conf_t *glcf, ngx_uint_t json_needed)
{
    size_t                            len;
    unsigned                          flags;
    ngx_str_t                         detail;
    govern_jv_t                      *json;
    govern_jv_error_t                 jerr;

    if (ctx->body == NULL) {
        ctx->body = ngx_create_temp_buf(r->pool, 1);
        if (ctx->body == NULL) {
            return ngx_http_govern_refuse_internal(r, "the request body");
        }
    }

    len = ctx->body->last - ctx->body->pos;

    /* an XML-RPC call is read by the stage after this one */

    if (!json_needed || glcf->odoo == GOVERN_ODOO_XMLRPC) {
        return NGX_OK;
    }

    /* an Odoo call's policy reads a few members: the rest (a search's
     * domain) is checked but built only if read; a schema reads all */

    flags = 0;

    if (glcf->odoo && glcf->schema == NULL) {
        flags = GOVERN_JV_LAZY(
                    govern_odoo_lazy_depth(glcf->odoo,
                        (const char *) r->uri.data, r->uri.len));
    }

    ctx->json_arena.pool = r->pool;
    ctx->json_source.text = (const char *) ctx->body->pos;
    ctx->json_source.flags = flags;
    ctx->json_source.alloc = ngx_http_govern_body_alloc;
    ctx->json_source.alloc_ctx = &ctx->json_arena;

    json = govern_jv_parse((const char *) ctx->body->pos, len, flags,
                           ngx_http_govern_body_alloc,
                           &ctx->json_arena, &jerr);

    if (json == NULL) {
        detail.data = ngx_pnalloc(r->pool, sizeof(jerr.text) + 64);
        if (detail.data == NULL) {
            return ngx_http_govern_refuse_internal(r, "the request body");
        }

        detail.len = ngx_sprintf(detail.data, "%s (at byte %uz)", jerr.text,
                                 jerr.position)
                     - detail.data;

        return ngx_http_govern_refuse(r,
                   GOVERN_REASON_JSON_MALFORMED, &detail);
    }

    ctx->json = json;

    return NGX_OK;
}


static ngx_int_t
ngx_http_govern_body_type(ngx_http_request_t *r,
    ngx_http_govern_loc_conf_t *glcf)
{
    u_char      *p, *end;
    ngx_str_t   *types, type;
    ngx_uint_t   i, n;

    if (r->headers_in.content_type == NULL) {
        return NGX_DECLINED;
    }

    type = r->headers_in.content_type->value;
    end = type.data + type.len;
    p = ngx_strlchr(type.data, end, ';');

    if (p) {
        end = p;
    }

    while (end > type.data && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }

    type.len = end - type.data;

    if (glcf->content_types) {
        types = glcf->content_types->elts;
        n = glcf->content_types->nelts;

    } else if (glcf->odoo == GOVERN_ODOO_XMLRPC) {
        types = ngx_http_govern_xml_types;
        n = 2;

    } else {
        types = ngx_http_govern_default_types;
        n = (glcf->odoo == GOVERN_ODOO_JSONRPC) ? 2 : 1;
    }

    for (i = 0; i < n; i++) {
        if (types[i].len == type.len
            && ngx_strncasecmp(types[i].data, type.data, type.len) == 0)
        {
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/*
 * Keeps a copy of the body as it is read: buffers reach the request body
 * filters in memory, before nginx may write them to a temp file.
 */

static ngx_int_t
ngx_http_govern_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    u_char                    *p;
    size_t                     size, need, max;
    ngx_chain_t               *cl;
    ngx_http_govern_ctx_t     *ctx;
    ngx_http_core_loc_conf_t  *clcf;

    ctx = ngx_http_get_module_ctx(r, ngx_http_govern_module);

    if (ctx == NULL || !ctx->capture) {
        return ngx_http_next_request_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        if (!ngx_buf_in_memory(cl->buf)) {
            continue;
        }

        size = cl->buf->last - cl->buf->pos;

        if (size == 0) {
            continue;
        }

        need = (ctx->body ? (size_t) (ctx->body->last - ctx->body->pos) : 0)
               + size;

        if (ctx->body == NULL || need > (size_t) (ctx->body->end
                                                  - ctx->body->pos))
        {
            clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);
            max = clcf->client_max_body_size
                  ? (size_t) clcf->client_max_body_size
                  : (size_t) 64 * 1024 * 1024;

            /* the whole body at once when its length is known (a small
             * one then fits the request pool's blocks) */

            if (r->headers_in.content_length_n > 0) {
                size = (size_t) r->headers_in.content_length_n;

            } else {
                size = ngx_max(2 * need, 4096);
            }

            size = ngx_max(size, need);
            size = ngx_min(size, ngx_max(max, need));

            p = ngx_pnalloc(r->pool, size);
            if (p == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            if (ctx->body == NULL) {
                ctx->body = ngx_calloc_buf(r->pool);
                if (ctx->body == NULL) {
                    return NGX_HTTP_INTERNAL_SERVER_ERROR;
                }

                ctx->body->pos = p;
                ctx->body->last = p;

            } else {
                ctx->body->last = ngx_cpymem(p, ctx->body->pos,
                                             ctx->body->last
                                             - ctx->body->pos);
                ctx->body->pos = p;
            }

            ctx->body->start = p;
            ctx->body->end = p + size;
        }

        ctx->body->last = ngx_cpymem(ctx->body->last, cl->buf->pos,
                                     cl->buf->last - cl->buf->pos);
    }

    return ngx_http_next_request_body_filter(r, in);
}


/*
 * The parsed body lives as long as the request.  A parse makes a dozen
 * small allocations (one per container): they are carved from one block
 * of the pool instead of each walking the pool's blocks; what does not fit
 * is the pool's.
 */

#define NGX_HTTP_GOVERN_BODY_ARENA  1024

static void *
ngx_http_govern_body_alloc(void *data, size_t size)
{
    ngx_http_govern_arena_t  *arena = data;

    u_char  *p;

    size = ngx_align(size, NGX_ALIGNMENT);

    if ((size_t) (arena->end - arena->pos) >= size) {
        p = arena->pos;
        arena->pos += size;
        return p;
    }

    if (size > NGX_HTTP_GOVERN_BODY_ARENA / 2) {
        return ngx_palloc(arena->pool, size);
    }

    p = ngx_palloc(arena->pool, NGX_HTTP_GOVERN_BODY_ARENA);
    if (p == NULL) {
        return NULL;
    }

    arena->pos = p + size;
    arena->end = p + NGX_HTTP_GOVERN_BODY_ARENA;

    return p;
}


ngx_int_t
ngx_http_govern_body_init(ngx_conf_t *cf)
{
    ngx_http_next_request_body_filter = ngx_http_top_request_body_filter;
    ngx_http_top_request_body_filter = ngx_http_govern_body_filter;

    return NGX_OK;
}




/* govern_content_types TYPE ... */

char *
ngx_http_govern_content_types_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_loc_conf_t *glcf = conf;

    ngx_str_t   *value, *t;
    ngx_uint_t   i;

    ngx_http_govern_conf_mark(cf, glcf, cmd);

    if (glcf->content_types != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    glcf->content_types = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                           sizeof(ngx_str_t));
    if (glcf->content_types == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (ngx_strlchr(value[i].data, value[i].data + value[i].len, '/')
            == NULL)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid media type \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        t = ngx_array_push(glcf->content_types);
        if (t == NULL) {
            return NGX_CONF_ERROR;
        }

        *t = value[i];
    }

    return NGX_CONF_OK;
}


/*
 * The body the upstream receives: the partner's bytes with the edits
 * (sorted, not overlapping) spliced in, and Content-Length to match.
 * Long unchanged runs are not copied, only pointed at; the edits and the
 * short runs between them share one buffer.  Every buffer's start is its
 * first byte, where an upstream retry sends it from again.
 */

#define NGX_HTTP_GOVERN_BODY_COPY_RUN  256

ngx_int_t
ngx_http_govern_body_edit(ngx_http_request_t *r, ngx_http_govern_ctx_t *ctx,
    ngx_http_govern_edit_t *edits, ngx_uint_t n)
{
    u_char        *text, *copy, *p;
    off_t          total;
    size_t         len, pos, end, size;
    ngx_buf_t     *b;
    ngx_uint_t     i;
    ngx_chain_t   *cl, *head, **ll;

    static ngx_str_t  type_key = ngx_string("Content-Type");
    static ngx_str_t  type_lowcase = ngx_string("content-type");
    static ngx_str_t  type_json = ngx_string("application/json");

    text = ctx->body ? ctx->body->pos : NULL;
    len = ctx->body ? (size_t) (ctx->body->last - ctx->body->pos) : 0;

    /* what is copied: the edits' texts, and the short runs between them */

    size = 0;
    pos = 0;

    for (i = 0; i < n; i++) {
        if (i && edits[i].start - pos < NGX_HTTP_GOVERN_BODY_COPY_RUN) {
            size += edits[i].start - pos;
        }

        size += edits[i].text.len;
        pos = edits[i].end;
    }

    copy = ngx_pnalloc(r->pool, size);
    if (copy == NULL && size) {
        return NGX_ERROR;
    }

    head = NULL;
    ll = &head;
    b = NULL;
    p = copy;
    pos = 0;

    for (i = 0; i <= n; i++) {
        end = (i < n) ? edits[i].start : len;

        if (end > pos && (i == 0 || i == n
                          || end - pos >= NGX_HTTP_GOVERN_BODY_COPY_RUN))
        {
            /* a run of the partner's bytes, pointed at */

            b = ngx_calloc_buf(r->pool);
            cl = ngx_alloc_chain_link(r->pool);
            if (b == NULL || cl == NULL) {
                return NGX_ERROR;
            }

            b->start = text + pos;
            b->pos = b->start;
            b->last = text + end;
            b->end = b->last;
            b->memory = 1;

            cl->buf = b;
            *ll = cl;
            ll = &cl->next;
            b = NULL;

        } else if (end > pos) {
            /* a short run, copied after the last edit's text */
            p = ngx_cpymem(p, text + pos, end - pos);
        }

        if (i == n) {
            break;
        }

        /* the edit's text joins the copied buffer */

        if (b == NULL) {
            b = ngx_calloc_buf(r->pool);
            cl = ngx_alloc_chain_link(r->pool);
            if (b == NULL || cl == NULL) {
                return NGX_ERROR;
            }

            b->start = p;
            b->pos = p;
            b->memory = 1;

            cl->buf = b;
            *ll = cl;
            ll = &cl->next;
        }

        p = ngx_cpymem(p, edits[i].text.data, edits[i].text.len);
        b->last = p;
        b->end = p;
        pos = edits[i].end;
    }

    *ll = NULL;

    for (cl = head, total = 0; cl; cl = cl->next) {
        total += cl->buf->last - cl->buf->pos;

        if (cl->next == NULL) {
            cl->buf->last_buf = 1;
        }
    }

    if (r->request_body == NULL) {
        /* an empty JSON-2 body, never read: now it has one */

        r->request_body = ngx_pcalloc(r->pool,
                                      sizeof(ngx_http_request_body_t));
        if (r->request_body == NULL) {
            return NGX_ERROR;
        }
    }

    if (len == 0 && r->headers_in.content_type == NULL
        && ngx_http_govern_set_header_in(r, &type_key, &type_lowcase,
                                         &type_json)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    r->request_body->bufs = head;
    r->request_body->temp_file = NULL;
    r->headers_in.content_length_n = total;
    r->headers_in.chunked = 0;

    if (r->headers_in.content_length) {
        r->headers_in.content_length->value.data = ngx_pnalloc(r->pool,
                                                               NGX_OFF_T_LEN);
        if (r->headers_in.content_length->value.data == NULL) {
            return NGX_ERROR;
        }

        r->headers_in.content_length->value.len =
            ngx_sprintf(r->headers_in.content_length->value.data, "%O",
                        total)
            - r->headers_in.content_length->value.data;
    }

    return NGX_OK;
}


static void
ngx_http_govern_body_create(ngx_http_govern_loc_conf_t *conf)
{
    conf->schema = NGX_CONF_UNSET_PTR;
    conf->content_types = NGX_CONF_UNSET_PTR;
}


static char *
ngx_http_govern_body_merge(ngx_conf_t *cf, ngx_http_govern_loc_conf_t *prev,
    ngx_http_govern_loc_conf_t *conf)
{
    ngx_conf_merge_ptr_value(conf->schema, prev->schema, NULL);
    ngx_conf_merge_ptr_value(conf->content_types, prev->content_types, NULL);

    return NGX_CONF_OK;
}


const ngx_http_govern_stage_t  ngx_http_govern_body_stage = {
    "body",
    ngx_http_govern_body_create,
    ngx_http_govern_body_merge,
    ngx_http_govern_body_init,
    ngx_http_govern_body_access,
    NULL,                                   /* headers */
    NULL,                                   /* body */
    NULL                                    /* log */
};
