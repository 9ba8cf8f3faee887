
/*
 * govern: the identity provider's key set (govern_jwt_keys_request).
 *
 * The JWKS is fetched by a background subrequest to an internal location
 * the security team writes (proxy_pass to the provider: TLS, resolver,
 * timeouts and proxy_cache are nginx's).  The subrequest carries none of
 * the partner's headers, and its response never reaches the client: this
 * file's filters take the body as it is produced.  The fetching worker
 * parses and checks the set once, then publishes its bytes in a shared
 * zone with a new generation; every worker parses a generation it has
 * not seen at its next request.  When to fetch, wait or refuse is decided
 * by govern_keys.c on the state kept in the zone, under its lock, so the
 * rules hold across workers: one fetch at a time, none sooner than
 * min_refresh after the last.
 *
 * This stage runs before the token stage: a route with no usable set
 * waits for the first load (or gets 503 keys_unavailable), a due set is
 * refreshed in the background.  The token stage, which alone knows that
 * a kid is unknown, asks ngx_http_govern_keys_unknown_kid() for a refetch
 * and is run again when it ends.
 *
 * Requests wait on core's wait: a fetch of this worker wakes its waiters
 * when it ends; waiters of a fetch in another worker look at the zone
 * every 20 ms.  The request that carries a fetch does not watch its
 * client meanwhile (a client that goes away would take the fetch with
 * it); one that starts a background refresh answers with
 * "Connection: close", since nginx keeps a connection until its
 * subrequests end and the partner's next request must not wait for the
 * provider.
 */


#include "ngx_http_govern_stages.h"
#include "govern_keys.h"


#define NGX_HTTP_GOVERN_KEYS_ZONE      (4 * 1024 * 1024)
#define NGX_HTTP_GOVERN_KEYS_MAX_BODY  (512 * 1024)
#define NGX_HTTP_GOVERN_KEYS_LEASE     60000
#define NGX_HTTP_GOVERN_KEYS_POLL      20


/* one source's state in the shared zone */

typedef struct {
    ngx_queue_t                 queue;
    govern_keys_state_t         state;
    u_char                     *body;           /* the set, as fetched */
    size_t                      body_len;
    size_t                      nkeys;          /* usable keys in it */
    ngx_atomic_t                fetches[NGX_HTTP_GOVERN_KEYS_RESULTS];
    size_t                      name_len;
    u_char                      name[1];
} ngx_http_govern_keys_sh_t;


typedef struct {
    ngx_queue_t                 sources;
} ngx_http_govern_keys_shctx_t;


typedef struct {
    ngx_http_govern_keys_shctx_t  *sh;
    ngx_slab_pool_t            *shpool;
    ngx_array_t                *sources;        /* of the configuration */
} ngx_http_govern_keys_zone_t;


struct ngx_http_govern_keys_source_s {
    ngx_str_t                   uri;
    ngx_str_t                   args;
    ngx_str_t                   name;           /* "request:URI" */
    char                       *alg;            /* NULL: the JWKs' own */
    govern_keys_policy_t        policy;
    u_char                     *file;
    ngx_uint_t                  line;

    ngx_shm_zone_t             *zone;
    ngx_http_govern_keys_sh_t  *sh;

    /* this worker's */
    uint64_t                    generation;     /* of "keys" */
    govern_jwt_keys_t          *keys;           /* NULL: none parsed */
    ngx_queue_t                 waiters;
    ngx_event_t                 poll;
};


struct ngx_http_govern_keys_wait_s {
    ngx_http_govern_wait_t          wait;
    ngx_queue_t                     queue;
    ngx_http_govern_keys_source_t  *source;
    uint64_t                        fetch;      /* the one waited for */
};


/* a fetch in flight, in the pool of the request that carries it */

typedef struct {
    ngx_queue_t                     queue;      /* this worker's fetches */
    ngx_http_govern_keys_source_t  *source;
    ngx_http_request_t             *sr;
    uint64_t                        fetch;
    ngx_uint_t                      status;
    int64_t                         max_age;    /* ms, -1: none */
    off_t                           length;     /* Content-Length, -1 */
    u_char                         *body;
    size_t                          len;
    size_t                          size;
    unsigned                        header:1;
    unsigned                        too_large:1;
    unsigned                        done:1;
} ngx_http_govern_keys_fetch_t;


static ngx_int_t ngx_http_govern_keys_act(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_keys_source_t *src,
    govern_keys_need_e need);
static govern_keys_action_e ngx_http_govern_keys_decide(
    ngx_http_govern_keys_source_t *src, govern_keys_need_e need,
    uint64_t *fetch, ngx_log_t *log);
static void ngx_http_govern_keys_sync(ngx_http_govern_keys_source_t *src,
    ngx_log_t *log);
static ngx_int_t ngx_http_govern_keys_start(ngx_http_request_t *r,
    ngx_http_govern_keys_source_t *src, uint64_t fetch);
static ngx_int_t ngx_http_govern_keys_wait(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_keys_source_t *src,
    uint64_t fetch);
static void ngx_http_govern_keys_wake(ngx_http_govern_keys_source_t *src);
static void ngx_http_govern_keys_poll(ngx_event_t *ev);
static ngx_int_t ngx_http_govern_keys_fetched(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static void ngx_http_govern_keys_finish(ngx_http_govern_keys_fetch_t *f,
    ngx_int_t rc, ngx_log_t *log);
static void ngx_http_govern_keys_end(ngx_http_govern_keys_source_t *src,
    uint64_t fetch, ngx_uint_t result, govern_jwt_keys_t *keys,
    u_char *body, size_t len, int64_t max_age, ngx_log_t *log);
static void ngx_http_govern_keys_cancel(void *data);
static void ngx_http_govern_keys_abort(void *data);
static void ngx_http_govern_keys_log(ngx_http_govern_keys_source_t *src,
    govern_keys_log_e what, ngx_log_t *log);
static ngx_int_t ngx_http_govern_keys_refuse(ngx_http_request_t *r,
    ngx_http_govern_keys_source_t *src);


/* this worker's fetches in flight, for the filters to know them */
static ngx_queue_t  ngx_http_govern_keys_fetches = {
    &ngx_http_govern_keys_fetches, &ngx_http_govern_keys_fetches
};


static ngx_int_t
ngx_http_govern_keys_access(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    ngx_http_govern_loc_conf_t     *glcf;
    ngx_http_govern_keys_source_t  *src;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);
    src = glcf->keys_source;

    if (src == NULL) {
        return NGX_OK;
    }

    if (ngx_http_govern_keys_pending(ctx)) {
        return NGX_AGAIN;
    }

    ngx_http_govern_keys_sync(src, r->connection->log);

    return ngx_http_govern_keys_act(r, ctx, src,
                                    (glcf->keys && glcf->keys->nkeys)
                                    ? GOVERN_KEYS_NEED_ANY
                                    : GOVERN_KEYS_NEED_SET);
}


/* the request waits for a fetch (a write event may run it meanwhile) */

ngx_uint_t
ngx_http_govern_keys_pending(ngx_http_govern_ctx_t *ctx)
{
    return ctx->keys_wait && ctx->keys_wait->wait.pending;
}


/*
 * The token stage met a kid that no key has.  NGX_AGAIN: the request
 * waits for a fetch and the stage runs again; NGX_DECLINED: no fetch may
 * start (token_signature); NGX_DONE: refused, keys_unavailable.
 */

ngx_int_t
ngx_http_govern_keys_unknown_kid(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    ngx_http_govern_loc_conf_t     *glcf;
    ngx_http_govern_keys_source_t  *src;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);
    src = glcf->keys_source;

    if (src == NULL) {
        return NGX_DECLINED;
    }

    if (ctx->keys_refetched) {
        /* waited once already: the set in force decides */

        if (ngx_http_govern_keys_current(r, glcf) == NULL) {
            return ngx_http_govern_keys_refuse(r, src);
        }

        return NGX_DECLINED;
    }

    ctx->keys_refetched = 1;

    return ngx_http_govern_keys_act(r, ctx, src, GOVERN_KEYS_NEED_KID);
}


static ngx_int_t
ngx_http_govern_keys_act(ngx_http_request_t *r, ngx_http_govern_ctx_t *ctx,
    ngx_http_govern_keys_source_t *src, govern_keys_need_e need)
{
    uint64_t              fetch;
    ngx_int_t             rc;
    govern_keys_action_e  action;

    action = ngx_http_govern_keys_decide(src, need, &fetch,
                                         r->connection->log);

    switch (action) {

    case GOVERN_KEYS_USE:
        return (need == GOVERN_KEYS_NEED_KID) ? NGX_DECLINED : NGX_OK;

    case GOVERN_KEYS_FETCH:
        if (ngx_http_govern_keys_start(r, src, fetch) != NGX_OK) {
            return ngx_http_govern_refuse_internal(r, "the key set's fetch");
        }

        /* nginx keeps the connection until the fetch ends: the partner
         * makes its next request on another one */
        r->keepalive = 0;

        return NGX_OK;

    case GOVERN_KEYS_FETCH_WAIT:
        if (ngx_http_govern_keys_start(r, src, fetch) != NGX_OK) {
            return ngx_http_govern_refuse_internal(r, "the key set's fetch");
        }

        rc = ngx_http_govern_keys_wait(r, ctx, src, fetch);

        /* the fetch is this request's: a client that goes away must not
         * end it */
        r->read_event_handler = ngx_http_block_reading;

        return rc;

    case GOVERN_KEYS_WAIT:
        return ngx_http_govern_keys_wait(r, ctx, src, fetch);

    case GOVERN_KEYS_REFUSE:
        return NGX_DECLINED;

    default: /* GOVERN_KEYS_UNAVAILABLE */
        return ngx_http_govern_keys_refuse(r, src);
    }
}


static ngx_int_t
ngx_http_govern_keys_refuse(ngx_http_request_t *r,
    ngx_http_govern_keys_source_t *src)
{
    ngx_str_t  detail;

    ngx_str_set(&detail, "the keys that verify tokens could not be "
                "fetched from the identity provider");

    return ngx_http_govern_refuse(r, GOVERN_REASON_KEYS_UNAVAILABLE, &detail);
}


/*
 * The decision, taken under the zone's lock; a request while the set is
 * fresh and already parsed here only reads two numbers.
 */

static govern_keys_action_e
ngx_http_govern_keys_decide(ngx_http_govern_keys_source_t *src,
    govern_keys_need_e need, uint64_t *fetch, ngx_log_t *log)
{
    int64_t                       now;
    govern_keys_log_e             what;
    govern_keys_action_e          action;
    ngx_http_govern_keys_sh_t    *sh;
    ngx_http_govern_keys_zone_t  *zone;

    sh = src->sh;
    now = (int64_t) ngx_current_msec;
    *fetch = 0;

    if (need != GOVERN_KEYS_NEED_KID
        && src->generation == *(volatile uint64_t *) &sh->state.generation
        && now < *(volatile int64_t *) &sh->state.expires)
    {
        return GOVERN_KEYS_USE;
    }

    zone = src->zone->data;

    ngx_shmtx_lock(&zone->shpool->mutex);

    action = govern_keys_decide(&src->policy, &sh->state, now, need, fetch,
                                &what);

    if (what == GOVERN_KEYS_LOG_LOST) {
        (void) ngx_atomic_fetch_add(
                   &sh->fetches[NGX_HTTP_GOVERN_KEYS_ABORTED], 1);
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    ngx_http_govern_keys_log(src, what, log);

    return action;
}


/*
 * The set this worker verifies with: a new generation in the zone is
 * parsed here first; NULL when there is none, or it is past stale.
 */

govern_jwt_keys_t *
ngx_http_govern_keys_current(ngx_http_request_t *r,
    ngx_http_govern_loc_conf_t *glcf)
{
    int64_t                         now;
    ngx_http_govern_keys_sh_t      *sh;
    ngx_http_govern_keys_source_t  *src;

    src = glcf->keys_source;

    if (src == NULL) {
        return NULL;
    }

    sh = src->sh;

    if (src->generation != *(volatile uint64_t *) &sh->state.generation) {
        ngx_http_govern_keys_sync(src, r->connection->log);
    }

    now = (int64_t) ngx_current_msec;

    if (src->keys == NULL
        || now >= *(volatile int64_t *) &sh->state.expires
                  + src->policy.stale)
    {
        return NULL;
    }

    return src->keys;
}


static void
ngx_http_govern_keys_sync(ngx_http_govern_keys_source_t *src, ngx_log_t *log)
{
    char                          err[256];
    u_char                       *copy;
    size_t                        len;
    uint64_t                      generation;
    govern_jwt_keys_t            *keys;
    ngx_http_govern_keys_sh_t    *sh;
    ngx_http_govern_keys_zone_t  *zone;

    sh = src->sh;

    if (src->generation == *(volatile uint64_t *) &sh->state.generation) {
        return;
    }

    zone = src->zone->data;
    copy = NULL;
    len = 0;

    ngx_shmtx_lock(&zone->shpool->mutex);

    generation = sh->state.generation;

    if (sh->body) {
        len = sh->body_len;
        copy = ngx_alloc(len, log);

        if (copy) {
            ngx_memcpy(copy, sh->body, len);
        }
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (copy == NULL) {
        return;                         /* no memory: the next request */
    }

    keys = ngx_calloc(sizeof(govern_jwt_keys_t), log);

    if (keys == NULL
        || govern_jwt_keys_from_jwks(keys, copy, len, src->alg,
                                     (const char *) src->name.data, 0, NULL,
                                     NULL, err, sizeof(err))
           != 0
        || keys->nkeys == 0)
    {
        /* checked by the worker that fetched it: only memory fails */
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "govern: the key set of \"%V\" could not be parsed "
                      "again", &src->uri);

        if (keys) {
            govern_jwt_keys_free(keys);
            ngx_free(keys);
        }

        ngx_free(copy);
        return;
    }

    ngx_free(copy);

    if (src->keys) {
        govern_jwt_keys_free(src->keys);
        ngx_free(src->keys);
    }

    src->keys = keys;
    src->generation = generation;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                   "govern: key set of \"%V\", generation %uL, parsed",
                   &src->uri, generation);
}


static ngx_int_t
ngx_http_govern_keys_start(ngx_http_request_t *r,
    ngx_http_govern_keys_source_t *src, uint64_t fetch)
{
    ngx_list_t                     headers;
    ngx_http_request_t            *sr;
    ngx_pool_cleanup_t            *cln;
    ngx_http_post_subrequest_t    *ps;
    ngx_http_govern_keys_fetch_t  *f;

    f = ngx_pcalloc(r->pool, sizeof(ngx_http_govern_keys_fetch_t));
    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (f == NULL || ps == NULL || cln == NULL
        || ngx_list_init(&headers, r->pool, 1, sizeof(ngx_table_elt_t))
           != NGX_OK)
    {
        goto failed;
    }

    f->source = src;
    f->fetch = fetch;
    f->max_age = -1;
    f->length = -1;

    ps->handler = ngx_http_govern_keys_fetched;
    ps->data = f;

    if (ngx_http_subrequest(r, &src->uri, src->args.len ? &src->args : NULL,
                            &sr, ps, NGX_HTTP_SUBREQUEST_BACKGROUND)
        != NGX_OK)
    {
        goto failed;
    }

    /* the provider gets none of the partner's headers, nor a body */

    ngx_memzero(&sr->headers_in, sizeof(ngx_http_headers_in_t));

    sr->headers_in.headers = headers;
    sr->headers_in.headers.last = &sr->headers_in.headers.part;
    sr->headers_in.content_length_n = -1;
    sr->headers_in.keep_alive_n = -1;
    sr->headers_in.server = r->headers_in.server;
    sr->request_body = NULL;

    f->sr = sr;
    ngx_queue_insert_tail(&ngx_http_govern_keys_fetches, &f->queue);

    cln->handler = ngx_http_govern_keys_abort;
    cln->data = f;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "govern: fetch %uL of the key set of \"%V\"",
                   fetch, &src->uri);

    return NGX_OK;

failed:

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "govern: the fetch of the key set of \"%V\" could not "
                  "start", &src->uri);

    /* nothing in flight: the fetch ends at once */

    ngx_http_govern_keys_end(src, fetch, NGX_HTTP_GOVERN_KEYS_ABORTED, NULL,
                             NULL, 0, -1, r->connection->log);

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_govern_keys_wait(ngx_http_request_t *r, ngx_http_govern_ctx_t *ctx,
    ngx_http_govern_keys_source_t *src, uint64_t fetch)
{
    ngx_int_t                     rc;
    ngx_http_govern_keys_wait_t  *kw;
    ngx_http_govern_keys_zone_t  *zone;

    kw = ctx->keys_wait;

    if (kw == NULL) {
        kw = ngx_pcalloc(r->pool, sizeof(ngx_http_govern_keys_wait_t));
        if (kw == NULL) {
            return ngx_http_govern_refuse_internal(r, "the key set's wait");
        }

        kw->wait.stage = "keys";
        kw->wait.cancel = ngx_http_govern_keys_cancel;
        kw->wait.data = kw;
        ctx->keys_wait = kw;
    }

    if (fetch == 0) {
        /* the one in flight */
        zone = src->zone->data;

        ngx_shmtx_lock(&zone->shpool->mutex);
        fetch = src->sh->state.fetch;
        ngx_shmtx_unlock(&zone->shpool->mutex);
    }

    kw->source = src;
    kw->fetch = fetch;

    rc = ngx_http_govern_wait(r, &kw->wait, 0);

    if (rc != NGX_AGAIN) {
        return ngx_http_govern_refuse_internal(r, "the key set's wait");
    }

    ngx_queue_insert_tail(&src->waiters, &kw->queue);

    if (!src->poll.timer_set) {
        src->poll.log = ngx_cycle->log;
        ngx_add_timer(&src->poll, NGX_HTTP_GOVERN_KEYS_POLL);
    }

    return NGX_AGAIN;
}


static void
ngx_http_govern_keys_cancel(void *data)
{
    ngx_http_govern_keys_wait_t  *kw = data;

    ngx_queue_remove(&kw->queue);
}


/* every request of this worker waiting on the source goes on */

static void
ngx_http_govern_keys_wake(ngx_http_govern_keys_source_t *src)
{
    ngx_queue_t                  *q;
    ngx_http_govern_keys_wait_t  *kw;

    while (!ngx_queue_empty(&src->waiters)) {
        q = ngx_queue_head(&src->waiters);
        ngx_queue_remove(q);

        kw = ngx_queue_data(q, ngx_http_govern_keys_wait_t, queue);
        ngx_http_govern_wake(&kw->wait);
    }

    if (src->poll.timer_set) {
        ngx_del_timer(&src->poll);
    }
}


/* waiters of a fetch in another worker: has it ended, or been lost? */

static void
ngx_http_govern_keys_poll(ngx_event_t *ev)
{
    ngx_http_govern_keys_source_t  *src = ev->data;

    int64_t                       now;
    ngx_queue_t                  *q, *next;
    govern_keys_state_t           state;
    ngx_http_govern_keys_wait_t  *kw;
    ngx_http_govern_keys_zone_t  *zone;

    zone = src->zone->data;
    now = (int64_t) ngx_current_msec;

    ngx_shmtx_lock(&zone->shpool->mutex);
    state = src->sh->state;
    ngx_shmtx_unlock(&zone->shpool->mutex);

    for (q = ngx_queue_head(&src->waiters);
         q != ngx_queue_sentinel(&src->waiters);
         q = next)
    {
        next = ngx_queue_next(q);
        kw = ngx_queue_data(q, ngx_http_govern_keys_wait_t, queue);

        if (!state.fetching || state.fetch != kw->fetch
            || now - state.started >= src->policy.lease)
        {
            ngx_queue_remove(q);
            ngx_http_govern_wake(&kw->wait);
        }
    }

    if (!ngx_queue_empty(&src->waiters)) {
        ngx_add_timer(&src->poll, NGX_HTTP_GOVERN_KEYS_POLL);
    }
}


static ngx_http_govern_keys_fetch_t *
ngx_http_govern_keys_find(ngx_http_request_t *sr)
{
    ngx_queue_t                   *q;
    ngx_http_govern_keys_fetch_t  *f;

    for (q = ngx_queue_head(&ngx_http_govern_keys_fetches);
         q != ngx_queue_sentinel(&ngx_http_govern_keys_fetches);
         q = ngx_queue_next(q))
    {
        f = ngx_queue_data(q, ngx_http_govern_keys_fetch_t, queue);

        if (f->sr == sr && !f->done) {
            return f;
        }
    }

    return NULL;
}


/*
 * The header filter, for subrequests: a fetch's status and freshness.
 * Its body must reach the filters in memory, also from proxy_cache.
 */

void
ngx_http_govern_keys_header_filter(ngx_http_request_t *sr)
{
    int64_t                        age, max_age;
    ngx_table_elt_t               *h;
    ngx_http_govern_keys_fetch_t  *f;
#if (nginx_version < 1023000)
    ngx_uint_t                     i;
    ngx_table_elt_t              **cc;
#endif

    f = ngx_http_govern_keys_find(sr);

    if (f == NULL) {
        return;
    }

    f->header = 1;
    f->status = sr->headers_out.status;
    f->length = sr->headers_out.content_length_n;
    sr->filter_need_in_memory = 1;

    if (f->length > NGX_HTTP_GOVERN_KEYS_MAX_BODY) {
        f->too_large = 1;
    }

    max_age = -1;

#if (nginx_version < 1023000)
    cc = sr->headers_out.cache_control.elts;

    for (i = 0; i < sr->headers_out.cache_control.nelts; i++) {
        h = cc[i];
#else
    for (h = sr->headers_out.cache_control; h; h = h->next) {
#endif
        age = govern_http_max_age((const char *) h->value.data, h->value.len);

        /* several: the shortest */
        if (age >= 0 && (max_age < 0 || age < max_age)) {
            max_age = age;
        }
    }

    f->max_age = (max_age >= 0) ? max_age * 1000 : -1;
}


/*
 * The body filter, for subrequests: a fetch's body is kept (up to
 * 512 KB) and goes no further.  NGX_DECLINED: not a fetch.
 */

ngx_int_t
ngx_http_govern_keys_body_filter(ngx_http_request_t *sr, ngx_chain_t *in)
{
    u_char                        *p;
    size_t                         n, size;
    ngx_buf_t                     *b;
    ngx_http_govern_keys_fetch_t  *f;

    f = ngx_http_govern_keys_find(sr);

    if (f == NULL) {
        return NGX_DECLINED;
    }

    for ( /* void */ ; in; in = in->next) {
        b = in->buf;

        if (!ngx_buf_in_memory(b)) {
            if (b->in_file) {
                /* need_in_memory was not honoured */
                f->too_large = 1;
                b->file_pos = b->file_last;
            }

            continue;
        }

        n = b->last - b->pos;

        if (n == 0 || f->too_large) {
            b->pos = b->last;
            continue;
        }

        if (f->len + n > NGX_HTTP_GOVERN_KEYS_MAX_BODY) {
            f->too_large = 1;
            b->pos = b->last;
            continue;
        }

        if (f->len + n > f->size) {
            size = ngx_max(f->size * 2, f->len + n);
            size = ngx_max(size, (size_t) ngx_max(f->length, 4096));
            size = ngx_min(size, NGX_HTTP_GOVERN_KEYS_MAX_BODY);

            p = ngx_pnalloc(sr->pool, size);
            if (p == NULL) {
                return NGX_ERROR;
            }

            if (f->len) {
                ngx_memcpy(p, f->body, f->len);
            }

            f->body = p;
            f->size = size;
        }

        ngx_memcpy(f->body + f->len, b->pos, n);
        f->len += n;
        b->pos = b->last;
    }

    return NGX_OK;
}


/*
 * nginx ended the subrequest (it may call again: only the first call
 * counts).  Its result must not end the partner's request: an error of
 * the fetch is the fetch's.
 */

static ngx_int_t
ngx_http_govern_keys_fetched(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_http_govern_keys_fetch_t  *f = data;

    if (rc == NGX_AGAIN) {
        return rc;
    }

    if (!f->done) {
        ngx_http_govern_keys_finish(f, rc, sr->connection->log);
    }

    if (rc == NGX_HTTP_CLIENT_CLOSED_REQUEST
        || rc == NGX_HTTP_REQUEST_TIME_OUT)
    {
        return rc;                      /* the partner's client is gone */
    }

    return NGX_OK;
}


/* the request that carried the fetch ended first */

static void
ngx_http_govern_keys_abort(void *data)
{
    ngx_http_govern_keys_fetch_t  *f = data;

    if (!f->done) {
        ngx_http_govern_keys_finish(f, NGX_DECLINED, ngx_cycle->log);
    }
}


typedef struct {
    ngx_http_govern_keys_source_t  *source;
    ngx_log_t                      *log;
} ngx_http_govern_keys_skip_t;


static void
ngx_http_govern_keys_skipped(void *data, const char *why)
{
    ngx_http_govern_keys_skip_t  *skip = data;

    ngx_log_error(NGX_LOG_WARN, skip->log, 0,
                  "govern: the key set of \"%V\": %s, skipped",
                  &skip->source->uri, why);
}


/*
 * The fetch's outcome: rc NGX_DECLINED when the request that carried it
 * ended first.  A set is checked here, once: another worker only parses
 * what was published.
 */

static void
ngx_http_govern_keys_finish(ngx_http_govern_keys_fetch_t *f, ngx_int_t rc,
    ngx_log_t *log)
{
    char                            err[256];
    ngx_uint_t                      result;
    govern_jwt_keys_t              *keys;
    ngx_http_govern_keys_sh_t      *sh;
    ngx_http_govern_keys_zone_t    *zone;
    ngx_http_govern_keys_skip_t     skip;
    ngx_http_govern_keys_source_t  *src;

    f->done = 1;
    ngx_queue_remove(&f->queue);

    src = f->source;
    keys = NULL;

    if (rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "govern: the fetch of the key set of \"%V\" ended "
                      "with the request that carried it", &src->uri);
        result = NGX_HTTP_GOVERN_KEYS_ABORTED;
        goto end;
    }

    result = NGX_HTTP_GOVERN_KEYS_ERROR;

    if (!f->header || (rc >= NGX_HTTP_SPECIAL_RESPONSE && f->len == 0)) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "govern: the key set of \"%V\" could not be fetched "
                      "(%i)", &src->uri,
                      rc >= NGX_HTTP_SPECIAL_RESPONSE ? rc
                      : (ngx_int_t) f->status);
        goto end;
    }

    if (f->status != NGX_HTTP_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "govern: the identity provider answered the key set "
                      "of \"%V\" with HTTP %ui", &src->uri, f->status);
        goto end;
    }

    if (rc == NGX_ERROR
        || (!f->too_large && f->length >= 0 && (off_t) f->len != f->length))
    {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "govern: the key set of \"%V\" arrived truncated",
                      &src->uri);
        goto end;
    }

    result = NGX_HTTP_GOVERN_KEYS_INVALID;

    if (f->too_large) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "govern: the key set of \"%V\" is larger than 512 KB",
                      &src->uri);
        goto end;
    }

    /* the same bytes as the set in force: nothing to parse */

    sh = src->sh;
    zone = src->zone->data;

    ngx_shmtx_lock(&zone->shpool->mutex);

    if (sh->body && sh->body_len == f->len
        && ngx_memcmp(sh->body, f->body, f->len) == 0)
    {
        result = NGX_HTTP_GOVERN_KEYS_OK;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (result == NGX_HTTP_GOVERN_KEYS_OK) {
        goto end;
    }

    keys = ngx_calloc(sizeof(govern_jwt_keys_t), log);
    if (keys == NULL) {
        goto end;
    }

    skip.source = src;
    skip.log = log;

    if (govern_jwt_keys_from_jwks(keys, f->body, f->len, src->alg,
                                  (const char *) src->name.data, 0,
                                  ngx_http_govern_keys_skipped, &skip,
                                  err, sizeof(err))
        != 0)
    {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "govern: the key set of \"%V\" is invalid: %s",
                      &src->uri, err);
        goto end;
    }

    if (keys->nkeys == 0) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "govern: the key set of \"%V\" has no usable key",
                      &src->uri);
        goto end;
    }

    result = NGX_HTTP_GOVERN_KEYS_OK;

end:

    if (result != NGX_HTTP_GOVERN_KEYS_OK && keys) {
        govern_jwt_keys_free(keys);
        ngx_free(keys);
        keys = NULL;
    }

    ngx_http_govern_keys_end(src, f->fetch, result, keys, f->body, f->len,
                             f->max_age, log);
}


/*
 * Records the end of fetch number "fetch" in the zone; a new set (keys
 * parsed from body) is published and becomes this worker's.  The
 * waiters of this worker go on.
 */

static void
ngx_http_govern_keys_end(ngx_http_govern_keys_source_t *src, uint64_t fetch,
    ngx_uint_t result, govern_jwt_keys_t *keys, u_char *body, size_t len,
    int64_t max_age, ngx_log_t *log)
{
    u_char                       *copy;
    ngx_int_t                     rc;
    uint64_t                      generation;
    govern_keys_log_e             what;
    govern_keys_result_e          outcome;
    ngx_http_govern_keys_sh_t    *sh;
    ngx_http_govern_keys_zone_t  *zone;

    sh = src->sh;
    zone = src->zone->data;
    copy = NULL;

    ngx_shmtx_lock(&zone->shpool->mutex);

    if (keys) {
        copy = ngx_slab_alloc_locked(zone->shpool, len);

        if (copy == NULL) {
            ngx_shmtx_unlock(&zone->shpool->mutex);

            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "govern: no room for the key set of \"%V\" in "
                          "its shared zone", &src->uri);

            govern_jwt_keys_free(keys);
            ngx_free(keys);
            keys = NULL;
            result = NGX_HTTP_GOVERN_KEYS_INVALID;

            ngx_shmtx_lock(&zone->shpool->mutex);

        } else {
            ngx_memcpy(copy, body, len);
        }
    }

    outcome = (result == NGX_HTTP_GOVERN_KEYS_OK) ? GOVERN_KEYS_OK
              : (result == NGX_HTTP_GOVERN_KEYS_ABORTED)
                ? GOVERN_KEYS_ABORTED : GOVERN_KEYS_FAILED;

    rc = govern_keys_done(&src->policy, &sh->state, (int64_t) ngx_current_msec,
                          fetch, outcome, keys != NULL, max_age, &what);

    if (rc == 0 && keys) {
        if (sh->body) {
            ngx_slab_free_locked(zone->shpool, sh->body);
        }

        sh->body = copy;
        sh->body_len = len;
        sh->nkeys = keys->nkeys;
        copy = NULL;
    }

    if (copy) {
        ngx_slab_free_locked(zone->shpool, copy);
    }

    generation = sh->state.generation;

    (void) ngx_atomic_fetch_add(&sh->fetches[result], 1);

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (rc == 0 && keys) {
        if (src->keys) {
            govern_jwt_keys_free(src->keys);
            ngx_free(src->keys);
        }

        src->keys = keys;
        src->generation = generation;

        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "govern: a new key set of \"%V\" (%uz keys) is in "
                      "force", &src->uri, keys->nkeys);

    } else if (keys) {
        /* a lost fetch that ended after all */
        govern_jwt_keys_free(keys);
        ngx_free(keys);
    }

    ngx_http_govern_keys_log(src, what, log);

    ngx_http_govern_keys_wake(src);
}


static void
ngx_http_govern_keys_log(ngx_http_govern_keys_source_t *src,
    govern_keys_log_e what, ngx_log_t *log)
{
    switch (what) {

    case GOVERN_KEYS_LOG_FAILING:
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "govern: the key set of \"%V\" cannot be refreshed: "
                      "the set in force, if any, is kept for up to %L ms "
                      "past its freshness", &src->uri, src->policy.stale);
        break;

    case GOVERN_KEYS_LOG_RECOVERED:
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "govern: the key set of \"%V\" is refreshed again",
                      &src->uri);
        break;

    case GOVERN_KEYS_LOG_EXPIRED:
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "govern: the key set of \"%V\" is past stale: tokens "
                      "it verified are refused with keys_unavailable until "
                      "a fetch succeeds", &src->uri);
        break;

    case GOVERN_KEYS_LOG_LOST:
        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "govern: a fetch of the key set of \"%V\" did not end "
                      "within %L ms and is taken as lost", &src->uri,
                      src->policy.lease);
        break;

    default:
        break;
    }
}


/* metrics: one source's counters, age (-1: no set) and keys */

ngx_http_govern_keys_source_t *
ngx_http_govern_keys_stats(ngx_http_govern_main_conf_t *gmcf, ngx_uint_t i,
    ngx_atomic_uint_t *fetches, int64_t *age, size_t *nkeys)
{
    ngx_uint_t                      k;
    ngx_http_govern_keys_sh_t      *sh;
    ngx_http_govern_keys_zone_t    *zone;
    ngx_http_govern_keys_source_t  *src, **sources;

    if (gmcf->key_sources == NULL || i >= gmcf->key_sources->nelts) {
        return NULL;
    }

    sources = gmcf->key_sources->elts;
    src = sources[i];
    sh = src->sh;
    zone = src->zone->data;

    ngx_shmtx_lock(&zone->shpool->mutex);

    for (k = 0; k < NGX_HTTP_GOVERN_KEYS_RESULTS; k++) {
        fetches[k] = sh->fetches[k];
    }

    /* another worker's clock may be a few ms ahead of this one's */
    *age = sh->state.generation
           ? ngx_max((int64_t) ngx_current_msec - sh->state.fetched, 0) : -1;
    *nkeys = sh->state.generation ? sh->nkeys : 0;

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return src;
}


ngx_str_t *
ngx_http_govern_keys_source_uri(ngx_http_govern_keys_source_t *src)
{
    return &src->uri;
}


/* configuration */


static ngx_int_t
ngx_http_govern_keys_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_govern_keys_zone_t  *ozone = data;

    size_t                          len;
    ngx_uint_t                      i;
    ngx_queue_t                    *q;
    ngx_http_govern_keys_sh_t      *sh;
    ngx_http_govern_keys_zone_t    *zone;
    ngx_http_govern_keys_source_t  *src, **sources;

    zone = shm_zone->data;

    if (ozone) {
        /* a reload keeps the sets: new workers parse them, none waits */
        zone->sh = ozone->sh;
        zone->shpool = ozone->shpool;

    } else {
        zone->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

        if (shm_zone->shm.exists) {
            zone->sh = zone->shpool->data;

        } else {
            zone->sh = ngx_slab_alloc(zone->shpool,
                                      sizeof(ngx_http_govern_keys_shctx_t));
            if (zone->sh == NULL) {
                return NGX_ERROR;
            }

            zone->shpool->data = zone->sh;
            ngx_queue_init(&zone->sh->sources);

            len = sizeof(" in govern_jwt_keys_request zone") ;

            zone->shpool->log_ctx = ngx_slab_alloc(zone->shpool, len);
            if (zone->shpool->log_ctx == NULL) {
                return NGX_ERROR;
            }

            ngx_sprintf(zone->shpool->log_ctx,
                        " in govern_jwt_keys_request zone%Z");
        }
    }

    /* each source finds its state by URI; old workers may be using the
     * zone meanwhile */

    sources = zone->sources->elts;

    ngx_shmtx_lock(&zone->shpool->mutex);

    for (i = 0; i < zone->sources->nelts; i++) {
        src = sources[i];
        src->sh = NULL;

        for (q = ngx_queue_head(&zone->sh->sources);
             q != ngx_queue_sentinel(&zone->sh->sources);
             q = ngx_queue_next(q))
        {
            sh = ngx_queue_data(q, ngx_http_govern_keys_sh_t, queue);

            if (sh->name_len == src->uri.len
                && ngx_memcmp(sh->name, src->uri.data, src->uri.len) == 0)
            {
                src->sh = sh;
                break;
            }
        }

        if (src->sh) {
            continue;
        }

        sh = ngx_slab_calloc_locked(zone->shpool,
                                    offsetof(ngx_http_govern_keys_sh_t, name)
                                    + src->uri.len);
        if (sh == NULL) {
            ngx_shmtx_unlock(&zone->shpool->mutex);
            return NGX_ERROR;
        }

        sh->name_len = src->uri.len;
        ngx_memcpy(sh->name, src->uri.data, src->uri.len);
        ngx_queue_insert_tail(&zone->sh->sources, &sh->queue);

        src->sh = sh;
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    return NGX_OK;
}


static void
ngx_http_govern_keys_source_cleanup(void *data)
{
    ngx_http_govern_keys_source_t  *src = data;

    if (src->keys) {
        govern_jwt_keys_free(src->keys);
        ngx_free(src->keys);
        src->keys = NULL;
    }
}


/*
 * govern_jwt_keys_request URI [alg=ALG] [refresh=TIME] [min_refresh=TIME]
 *     [stale=TIME]
 */

char *
ngx_http_govern_keys_request_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_loc_conf_t *glcf = conf;

    u_char                          *q;
    ngx_str_t                       *value, v, name;
    ngx_int_t                        ms;
    ngx_uint_t                       i;
    ngx_pool_cleanup_t              *cln;
    govern_keys_policy_t             policy;
    ngx_http_govern_keys_zone_t     *zone;
    ngx_http_govern_main_conf_t     *gmcf;
    ngx_http_govern_keys_source_t   *src, **sources, **sp;
    char                            *alg;

    if (glcf->keys_source != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].data[0] != '/') {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "govern_jwt_keys_request \"%V\": the URI of an "
                           "internal location is expected", &value[1]);
        return NGX_CONF_ERROR;
    }

    alg = NULL;
    policy.refresh = 600 * 1000;
    policy.min_refresh = 30 * 1000;
    policy.stale = 86400 * 1000;
    policy.lease = NGX_HTTP_GOVERN_KEYS_LEASE;

    for (i = 2; i < cf->args->nelts; i++) {
        v = value[i];

        if (v.len > 4 && ngx_strncmp(v.data, "alg=", 4) == 0 && alg == NULL) {
            alg = (char *) v.data + 4;

            if (govern_jwt_alg(alg, v.len - 4) == GOVERN_JWT_ALG_UNKNOWN) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "govern_jwt_keys_request: unknown "
                                   "algorithm \"%s\"", alg);
                return NGX_CONF_ERROR;
            }

            continue;
        }

#define govern_time_param(param, field)                                      \
        if (v.len > sizeof(param) - 1                                        \
            && ngx_strncmp(v.data, param, sizeof(param) - 1) == 0)           \
        {                                                                    \
            v.data += sizeof(param) - 1;                                     \
            v.len -= sizeof(param) - 1;                                      \
            ms = ngx_parse_time(&v, 0);                                      \
                                                                             \
            if (ms == NGX_ERROR || ms <= 0) {                                \
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,                     \
                                   "govern_jwt_keys_request: invalid "       \
                                   "\"%V\"", &value[i]);                     \
                return NGX_CONF_ERROR;                                       \
            }                                                                \
                                                                             \
            policy.field = ms;                                               \
            continue;                                                        \
        }

        govern_time_param("refresh=", refresh)
        govern_time_param("min_refresh=", min_refresh)
        govern_time_param("stale=", stale)

#undef govern_time_param

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (policy.min_refresh < 1000 || policy.min_refresh > policy.refresh) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "govern_jwt_keys_request: min_refresh must be "
                           "at least 1s and at most refresh");
        return NGX_CONF_ERROR;
    }

    gmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_govern_module);

    if (gmcf->key_sources == NULL) {
        gmcf->key_sources = ngx_array_create(cf->pool, 2, sizeof(void *));
        if (gmcf->key_sources == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_str_set(&name, "govern_jwt_keys_request");

        gmcf->keys_zone = ngx_shared_memory_add(cf, &name,
                                                NGX_HTTP_GOVERN_KEYS_ZONE,
                                                &ngx_http_govern_module);
        if (gmcf->keys_zone == NULL) {
            return NGX_CONF_ERROR;
        }

        zone = ngx_pcalloc(cf->pool, sizeof(ngx_http_govern_keys_zone_t));
        if (zone == NULL) {
            return NGX_CONF_ERROR;
        }

        zone->sources = gmcf->key_sources;
        gmcf->keys_zone->init = ngx_http_govern_keys_init_zone;
        gmcf->keys_zone->data = zone;
    }

    /* one source per URI: every location that names it shares its set */

    sources = gmcf->key_sources->elts;

    for (i = 0; i < gmcf->key_sources->nelts; i++) {
        src = sources[i];

        if (src->uri.len != value[1].len
            || ngx_strncmp(src->uri.data, value[1].data, value[1].len) != 0)
        {
            continue;
        }

        if (src->policy.refresh != policy.refresh
            || src->policy.min_refresh != policy.min_refresh
            || src->policy.stale != policy.stale
            || (src->alg == NULL) != (alg == NULL)
            || (alg && ngx_strcmp(src->alg, alg) != 0))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "govern_jwt_keys_request \"%V\" is declared "
                               "with other parameters in %s:%ui", &value[1],
                               src->file, src->line);
            return NGX_CONF_ERROR;
        }

        glcf->keys_source = src;
        return NGX_CONF_OK;
    }

    src = ngx_pcalloc(cf->pool, sizeof(ngx_http_govern_keys_source_t));
    if (src == NULL) {
        return NGX_CONF_ERROR;
    }

    src->uri = value[1];
    q = ngx_strlchr(src->uri.data, src->uri.data + src->uri.len, '?');

    if (q) {
        src->args.data = q + 1;
        src->args.len = src->uri.data + src->uri.len - q - 1;
        src->uri.len = q - src->uri.data;
    }

    /* the audit's key_source, NUL-terminated for the library */

    src->name.len = sizeof("request:") - 1 + value[1].len;
    src->name.data = ngx_pnalloc(cf->pool, src->name.len + 1);
    if (src->name.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(src->name.data, "request:%V%Z", &value[1]);

    src->alg = alg;
    src->policy = policy;
    src->file = cf->conf_file->file.name.data;
    src->line = cf->conf_file->line;
    src->zone = gmcf->keys_zone;

    ngx_queue_init(&src->waiters);
    src->poll.handler = ngx_http_govern_keys_poll;
    src->poll.data = src;
    src->poll.log = cf->cycle->log;

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_govern_keys_source_cleanup;
    cln->data = src;

    sp = ngx_array_push(gmcf->key_sources);
    if (sp == NULL) {
        return NGX_CONF_ERROR;
    }

    *sp = src;
    glcf->keys_source = src;

    return NGX_CONF_OK;
}


static void
ngx_http_govern_keys_create(ngx_http_govern_loc_conf_t *conf)
{
    conf->keys_source = NGX_CONF_UNSET_PTR;
}


static char *
ngx_http_govern_keys_merge(ngx_conf_t *cf, ngx_http_govern_loc_conf_t *prev,
    ngx_http_govern_loc_conf_t *conf)
{
    ngx_conf_merge_ptr_value(conf->keys_source, prev->keys_source, NULL);

    return NGX_CONF_OK;
}


const ngx_http_govern_stage_t  ngx_http_govern_keys_stage = {
    "keys",
    ngx_http_govern_keys_create,
    ngx_http_govern_keys_merge,
    NULL,                                   /* init */
    ngx_http_govern_keys_access,
    NULL,                                   /* headers */
    NULL,                                   /* body */
    NULL                                    /* log */
};
