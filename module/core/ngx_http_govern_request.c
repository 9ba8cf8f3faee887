
/*
 * govern: the request context, and the one way a stage suspends the
 * request and has it resumed.
 */


#include "ngx_http_govern_core.h"

#include <openssl/rand.h>


static void ngx_http_govern_ctx_cleanup(void *data);
static void ngx_http_govern_wait_cleanup(void *data);
static void ngx_http_govern_wait_reply(void *data, redisReply *reply);
static void ngx_http_govern_wait_timeout(ngx_event_t *ev);


/*
 * ngx_http_internal_redirect() clears r->ctx; like the realip module we
 * find the context again through the pool cleanup that carries it, so
 * the decision, ids and audit data survive error_page and X-Accel-Redirect.
 */

ngx_http_govern_ctx_t *
ngx_http_govern_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t     *cln;
    ngx_http_govern_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_govern_module);

    if (ctx || !(r->internal || r->filter_finalize)) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_govern_ctx_cleanup) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_http_govern_module);
            return ctx;
        }
    }

    return NULL;
}


ngx_http_govern_ctx_t *
ngx_http_govern_create_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t          *cln;
    ngx_http_govern_ctx_t       *ctx;
    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_govern_loc_conf_t  *glcf;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_govern_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = ngx_http_govern_ctx_cleanup;
    cln->data = ctx;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);
    ctx->lcf = glcf;

    if (glcf->route.len) {
        ctx->route = glcf->route;

    } else {
        clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);
        ctx->route = clcf->name;
    }

    ngx_http_set_ctx(r, ctx, ngx_http_govern_module);

    return ctx;
}


static void
ngx_http_govern_ctx_cleanup(void *data)
{
    /* marks the pool cleanup that carries the context (see
     * ngx_http_govern_get_ctx()) */
}


/*
 * The request is done with, whatever ended it: a command still in
 * flight is cancelled (its reply will be dropped), the timer removed.
 */

static void
ngx_http_govern_wait_cleanup(void *data)
{
    ngx_http_govern_wait_t  *wait = data;

    if (wait->pending && wait->cancel) {
        wait->cancel(wait->data);
    }

    if (wait->op) {
        ngx_http_govern_redis_cancel(wait->op);
        wait->op = NULL;
    }

    if (wait->timer.timer_set) {
        ngx_del_timer(&wait->timer);
    }

    wait->pending = 0;
}


/*
 * A Redis command on the request's behalf, the request suspended until
 * its reply or the Redis timeout; wait->done() is called either way.
 * NGX_AGAIN: suspended; NGX_DECLINED: Redis cannot be used now (the
 * breaker is open, or the command could not be queued).
 */

static ngx_int_t
ngx_http_govern_wait_register(ngx_http_request_t *r,
    ngx_http_govern_wait_t *wait)
{
    ngx_pool_cleanup_t  *cln;

    if (wait->registered) {
        return NGX_OK;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_govern_wait_cleanup;
    cln->data = wait;

    wait->request = r;
    wait->timer.handler = ngx_http_govern_wait_timeout;
    wait->timer.data = wait;
    wait->timer.log = r->connection->log;
    wait->registered = 1;

    return NGX_OK;
}


ngx_int_t
ngx_http_govern_redis_call(ngx_http_request_t *r,
    ngx_http_govern_wait_t *wait, int argc, const char **argv,
    const size_t *argvlen)
{
    ngx_http_govern_main_conf_t  *gmcf;

    gmcf = ngx_http_get_module_main_conf(r, ngx_http_govern_module);

    if (gmcf->redis == NULL) {
        return NGX_DECLINED;
    }

    if (ngx_http_govern_wait_register(r, wait) != NGX_OK) {
        return NGX_ERROR;
    }

    wait->op = ngx_http_govern_redis_send(gmcf->redis, argc, argv, argvlen,
                                          ngx_http_govern_wait_reply, wait);
    if (wait->op == NULL) {
        return NGX_DECLINED;
    }

    ngx_add_timer(&wait->timer, gmcf->redis->timeout);
    wait->pending = 1;

    /* a client that goes away finalizes the request (499) */
    r->read_event_handler = ngx_http_test_reading;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "govern: %s suspended on redis", wait->stage);

    return NGX_AGAIN;
}


/*
 * A wait on something the stage itself follows (a subrequest, another
 * worker's work): it calls ngx_http_govern_wake() when that is done; the
 * timer (none when 0) calls wait->done() with a NULL reply.
 */

ngx_int_t
ngx_http_govern_wait(ngx_http_request_t *r, ngx_http_govern_wait_t *wait,
    ngx_msec_t timeout)
{
    if (ngx_http_govern_wait_register(r, wait) != NGX_OK) {
        return NGX_ERROR;
    }

    if (timeout) {
        ngx_add_timer(&wait->timer, timeout);
    }

    wait->pending = 1;

    r->read_event_handler = ngx_http_test_reading;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "govern: %s suspended", wait->stage);

    return NGX_AGAIN;
}


/* the request runs its phases again, from the event loop: not here */

void
ngx_http_govern_wake(ngx_http_govern_wait_t *wait)
{
    ngx_http_request_t  *r;

    if (!wait->pending) {
        return;
    }

    r = wait->request;
    wait->pending = 0;

    if (wait->timer.timer_set) {
        ngx_del_timer(&wait->timer);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "govern: %s woken", wait->stage);

    r->write_event_handler = ngx_http_core_run_phases;
    ngx_post_event(r->connection->write, &ngx_posted_events);
}


/*
 * A command the request does not wait for (the log phase stores what the
 * response was): sent if Redis can be used, else dropped.
 */

void
ngx_http_govern_redis_post(ngx_http_request_t *r, int argc,
    const char **argv, const size_t *argvlen)
{
    ngx_http_govern_main_conf_t  *gmcf;

    gmcf = ngx_http_get_module_main_conf(r, ngx_http_govern_module);

    if (gmcf->redis) {
        (void) ngx_http_govern_redis_send(gmcf->redis, argc, argv, argvlen,
                                          NULL, NULL);
    }
}


/*
 * Called from the Redis client's event handler: the request is posted,
 * not run here, so the client's loop never runs into request code.
 */

static void
ngx_http_govern_wait_reply(void *data, redisReply *reply)
{
    ngx_http_govern_wait_t  *wait = data;

    ngx_http_request_t  *r;

    r = wait->request;
    wait->op = NULL;
    wait->pending = 0;

    if (wait->timer.timer_set) {
        ngx_del_timer(&wait->timer);
    }

    wait->done(r, wait->data, reply);

    if (wait->pending) {
        return;                         /* the stage sent again */
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "govern: %s resumed by redis", wait->stage);

    r->write_event_handler = ngx_http_core_run_phases;
    ngx_post_event(r->connection->write, &ngx_posted_events);
}


/*
 * Redis did not answer in time: it is too slow to be used for now; or
 * the time a stage gave its own wait is up.
 */

static void
ngx_http_govern_wait_timeout(ngx_event_t *ev)
{
    ngx_http_govern_wait_t  *wait = ev->data;

    ngx_http_request_t           *r;
    ngx_http_govern_main_conf_t  *gmcf;

    r = wait->request;
    gmcf = ngx_http_get_module_main_conf(r, ngx_http_govern_module);

    if (wait->op) {
        ngx_http_govern_redis_timedout(gmcf->redis, wait->op);
        wait->op = NULL;
    }

    wait->pending = 0;

    wait->done(r, wait->data, NULL);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "govern: %s resumed by its timeout", wait->stage);

    ngx_http_govern_resume(r);
}


/*
 * Runs the phases again now (from an event the stage itself handled,
 * such as the end of the body): the access handler continues at the
 * stage that suspended.
 */

void
ngx_http_govern_resume(ngx_http_request_t *r)
{
    ngx_connection_t  *c;

    c = r->connection;

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);
    ngx_http_run_posted_requests(c);
}


/*
 * Random hex for ids (request, trace, span, markers): a per-process
 * stream seeded from OpenSSL's CSPRNG, since RAND_bytes() per request
 * costs a getpid() system call and a lock (OpenSSL's fork check).
 */

static govern_rng_t  ngx_http_govern_rng;
static ngx_pid_t     ngx_http_govern_rng_pid = -1;


ngx_int_t
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
