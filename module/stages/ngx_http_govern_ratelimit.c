
/*
 * govern: per-partner rate limits shared through Redis.
 *
 * All limits of a request are decided by one EVALSHA of the token-bucket
 * script (govern_rate.c) on this worker's pipelined connection, and the
 * requests of one event-loop turn with the same keys and token share that
 * call: the script decides them one after another, as calls in a row
 * would.  While such a call is in flight, the next requests with the
 * same arguments gather for the call that follows its reply, so a busy
 * partner costs Redis one call per round trip, not one per request.
 * They are suspended meanwhile, the call with a timer of its own.  When
 * Redis is unavailable, slow or answers an error, the location's fallback
 * decides: this instance's shared-memory buckets (local), allow (open) or
 * refuse with 503 (closed).  Only the verified partner (or by=) keys a
 * bucket: the limiter runs after the token stage.  Where every limit keys
 * on the partner, the same call checks the token's revocation (its keys
 * share the partner's hash tag): a revoked token takes nothing, and the
 * revocation stage makes no call of its own.
 */


#include "ngx_http_govern_stages.h"


#define NGX_HTTP_GOVERN_RL_NONE      0
#define NGX_HTTP_GOVERN_RL_PENDING   1
#define NGX_HTTP_GOVERN_RL_DONE      2

/* EVALSHA, the SHA, the key count, 2 revocation keys and 8 buckets, the
 * revocation key count, iat, the request count, 4 numbers per bucket */
#define NGX_HTTP_GOVERN_RL_ARGS      (9 + 5 * NGX_HTTP_GOVERN_MAX_LIMITS)


typedef struct ngx_http_govern_rl_call_s  ngx_http_govern_rl_call_t;


typedef struct {
    ngx_str_t                        name;
    govern_rate_t                    rate;       /* static rate */
    ngx_http_complex_value_t        *rate_cv;    /* or a variable one */
    uint64_t                         burst;      /* 0: the rate's count */
    ngx_http_complex_value_t        *by;         /* NULL: the partner */
} ngx_http_govern_rl_conf_t;


struct ngx_http_govern_rl_s {
    ngx_uint_t                       state;
    ngx_uint_t                       n;
    ngx_str_t                        keys[NGX_HTTP_GOVERN_MAX_LIMITS];
    govern_limit_t                   limits[NGX_HTTP_GOVERN_MAX_LIMITS];
    govern_limit_state_t             states[NGX_HTTP_GOVERN_MAX_LIMITS];
    ngx_http_govern_rl_conf_t       *confs;
    ngx_uint_t                       allowed;
    ngx_uint_t                       known;      /* states are valid */
    uint64_t                         retry_ms;
    ngx_uint_t                       source;
    ngx_uint_t                       tightest;
    ngx_http_govern_wait_t           wait;
    ngx_http_govern_revocation_args_t  revocation;
    govern_revoke_e                  revoked;    /* its verdict */
    ngx_str_t                        args;       /* of its call, below */
    ngx_uint_t                       head;       /* args before the count */
    ngx_http_govern_rl_call_t       *call;
    ngx_queue_t                      queue;      /* in the call */
    uint64_t                         turn;       /* from 0, in the call */
    unsigned                         carries:1;  /* the revocation check */
    unsigned                         revocation_failed:1;
};


/*
 * One script call for the requests whose arguments are the same but for
 * their number: open (joinable) until it is sent, then in flight until
 * its reply or its timeout.  The latest call of the same arguments is in
 * a per-worker tree, an open one behind one in flight its "next".  It
 * copies the arguments, so it never reads a request's memory after the
 * request has gone.
 */

struct ngx_http_govern_rl_call_s {
    ngx_rbtree_node_t                node;       /* key: the args' hash */
    ngx_queue_t                      members;
    ngx_http_govern_redis_conf_t    *redis;
    ngx_http_govern_redis_op_t      *op;
    ngx_event_t                      send;
    ngx_event_t                      timer;
    ngx_str_t                        args;       /* 4-byte length, bytes */
    ngx_uint_t                       head;
    ngx_uint_t                       n;          /* buckets */
    ngx_uint_t                       carries;
    ngx_http_govern_rl_call_t       *prev;       /* in flight before it */
    ngx_http_govern_rl_call_t       *next;       /* waiting behind it */
    unsigned                         listed:1;   /* in the tree */
    unsigned                         sent:1;
    unsigned                         eval:1;
};


static ngx_int_t ngx_http_govern_rl_prepare(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_loc_conf_t *glcf);
static ngx_int_t ngx_http_govern_rl_args(ngx_http_request_t *r,
    ngx_http_govern_rl_t *rl);
static ngx_int_t ngx_http_govern_rl_join(ngx_http_request_t *r,
    ngx_http_govern_rl_t *rl);
static void ngx_http_govern_rl_leave(void *data);
static ngx_int_t ngx_http_govern_rl_call_cmp(ngx_http_govern_rl_call_t *a,
    ngx_str_t *args, ngx_http_govern_redis_conf_t *redis);
static void ngx_http_govern_rl_call_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static void ngx_http_govern_rl_call_post(ngx_event_t *ev);
static void ngx_http_govern_rl_call_go(ngx_http_govern_rl_call_t *call);
static ngx_int_t ngx_http_govern_rl_call_send(ngx_http_govern_rl_call_t *call);
static void ngx_http_govern_rl_call_reply(void *data, redisReply *reply);
static void ngx_http_govern_rl_call_timedout(ngx_event_t *ev);
static void ngx_http_govern_rl_call_end(ngx_http_govern_rl_call_t *call,
    redisReply *reply);
static void ngx_http_govern_rl_call_free(ngx_http_govern_rl_call_t *call);
static void ngx_http_govern_rl_fallback(ngx_http_request_t *r,
    ngx_http_govern_rl_t *rl);
static void ngx_http_govern_rl_tightest(ngx_http_govern_rl_t *rl);
static uint64_t ngx_http_govern_rl_fill_ms(govern_limit_t *limit);


static u_char  ngx_http_govern_rl_sha[41];      /* of the script */

/* per set of arguments, this worker's latest call (open or in flight) */
static ngx_rbtree_t       ngx_http_govern_rl_calls;
static ngx_rbtree_node_t  ngx_http_govern_rl_calls_sentinel;


static ngx_int_t
ngx_http_govern_ratelimit_access(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    ngx_int_t                     rc;
    ngx_str_t                     detail;
    ngx_http_govern_rl_t         *rl;
    ngx_http_govern_loc_conf_t   *glcf;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);

    if (glcf->limits == NULL) {
        return NGX_OK;
    }

    rl = ctx->rl;

    if (rl == NULL || rl->confs != glcf->limits->elts) {
        if (ngx_http_govern_rl_prepare(r, ctx, glcf) != NGX_OK) {
            ngx_str_set(&detail, "the rate limit could not be evaluated");
            return ngx_http_govern_refuse(r,
                       GOVERN_REASON_INTERNAL_ERROR, &detail);
        }

        rl = ctx->rl;
        rc = ngx_http_govern_rl_join(r, rl);

        if (rc == NGX_AGAIN) {
            rl->state = NGX_HTTP_GOVERN_RL_PENDING;
            return NGX_AGAIN;
        }

        if (rc == NGX_ERROR) {
            return ngx_http_govern_refuse_internal(r, "the rate limit");
        }

        ngx_http_govern_rl_fallback(r, rl);
    }

    if (rl->state == NGX_HTTP_GOVERN_RL_PENDING) {
        return NGX_AGAIN;
    }

    r->read_event_handler = ngx_http_block_reading;

    if (rl->carries) {
        rc = rl->revocation_failed
             ? ngx_http_govern_revocation_unavailable(r, ctx)
             : ngx_http_govern_revocation_verdict(r, ctx,
                                                  rl->revoked
                                                  ? rl->revoked
                                                  : GOVERN_REVOKE_PASSED);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    ngx_http_govern_rl_tightest(rl);

    if (rl->allowed) {
        return NGX_OK;
    }

    if (rl->source == NGX_HTTP_GOVERN_RL_SOURCE_NONE) {
        ngx_str_set(&detail, "the rate limiter is unavailable");

        if (ngx_http_govern_add_header(r, "Retry-After", (u_char *) "1", 1)
            != NGX_OK)
        {
            return ngx_http_govern_refuse_internal(r, "the rate limit");
        }

        return ngx_http_govern_refuse(r,
                   GOVERN_REASON_RATELIMIT_UNAVAILABLE, &detail);
    }

    detail.len = sizeof("limit \"\" exhausted") - 1
                 + rl->confs[rl->tightest].name.len;
    detail.data = ngx_pnalloc(r->pool, detail.len);
    if (detail.data == NULL) {
        return ngx_http_govern_refuse_internal(r, "the rate limit");
    }

    ngx_sprintf(detail.data, "limit \"%V\" exhausted",
                &rl->confs[rl->tightest].name);

    return ngx_http_govern_refuse(r, GOVERN_REASON_RATE_LIMITED,
                                  &detail);
}


static ngx_int_t
ngx_http_govern_rl_prepare(ngx_http_request_t *r, ngx_http_govern_ctx_t *ctx,
    ngx_http_govern_loc_conf_t *glcf)
{
    u_char                     *p;
    ngx_str_t                   by, rate_str;
    ngx_uint_t                  i;
    ngx_http_govern_rl_t       *rl;
    govern_rate_t               rate;
    ngx_http_govern_rl_conf_t  *confs;

    rl = ngx_pcalloc(r->pool, sizeof(ngx_http_govern_rl_t));
    if (rl == NULL) {
        return NGX_ERROR;
    }

    confs = glcf->limits->elts;

    rl->confs = confs;
    rl->n = glcf->limits->nelts;
    rl->wait.stage = "rate limit";
    rl->wait.cancel = ngx_http_govern_rl_leave;
    rl->wait.data = rl;

    for (i = 0; i < rl->n; i++) {

        if (confs[i].rate_cv) {
            if (ngx_http_complex_value(r, confs[i].rate_cv, &rate_str)
                != NGX_OK)
            {
                return NGX_ERROR;
            }

            if (!govern_rate_parse((char *) rate_str.data,
                                   rate_str.len, &rate))
            {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                              "govern: rate limit \"%V\": invalid rate "
                              "\"%V\" from its variable", &confs[i].name,
                              &rate_str);
                return NGX_ERROR;
            }

        } else {
            rate = confs[i].rate;
        }

        rl->limits[i].count = rate.count;
        rl->limits[i].period_ms = rate.period_ms;
        rl->limits[i].capacity = confs[i].burst ? confs[i].burst
                                                : rate.count;

        if (confs[i].by) {
            if (ngx_http_complex_value(r, confs[i].by, &by) != NGX_OK) {
                return NGX_ERROR;
            }

        } else {
            by = ctx->partner;
        }

        if (by.len == 0) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "govern: rate limit \"%V\" has an empty key",
                          &confs[i].name);
            return NGX_ERROR;
        }

        /* govern:{PARTNER}:rl:NAME, the partner as the cluster hash tag */

        rl->keys[i].len = sizeof("govern:{}:rl:") - 1 + by.len
                          + confs[i].name.len;
        p = ngx_pnalloc(r->pool, rl->keys[i].len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        rl->keys[i].data = p;
        ngx_sprintf(p, "govern:{%V}:rl:%V", &by, &confs[i].name);
    }

    if (ngx_http_govern_ratelimit_carries_revocation(glcf)) {
        if (ngx_http_govern_revocation_args(r, ctx, &rl->revocation)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        rl->carries = 1;
    }

    if (ngx_http_govern_rl_args(r, rl) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->rl = rl;

    return NGX_OK;
}


/*
 * The revocation check alone, for a route whose rate limits do not carry
 * it (the revocation stage's): the same script without buckets, its calls
 * shared by the requests of one token as the limits' are.  NGX_AGAIN:
 * the request waits; NGX_DECLINED: no Redis.
 */

ngx_int_t
ngx_http_govern_ratelimit_revocation(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_rl_t **check)
{
    ngx_int_t              rc;
    ngx_http_govern_rl_t  *rl;

    rl = ngx_pcalloc(r->pool, sizeof(ngx_http_govern_rl_t));
    if (rl == NULL) {
        return NGX_ERROR;
    }

    rl->wait.stage = "revocation";
    rl->wait.cancel = ngx_http_govern_rl_leave;
    rl->wait.data = rl;
    rl->carries = 1;

    if (ngx_http_govern_revocation_args(r, ctx, &rl->revocation) != NGX_OK
        || ngx_http_govern_rl_args(r, rl) != NGX_OK)
    {
        return NGX_ERROR;
    }

    *check = rl;

    rc = ngx_http_govern_rl_join(r, rl);

    if (rc == NGX_AGAIN) {
        rl->state = NGX_HTTP_GOVERN_RL_PENDING;
    }

    return rc;
}


/* NGX_AGAIN: still waiting; NGX_DECLINED: Redis did not answer; NGX_OK */

ngx_int_t
ngx_http_govern_ratelimit_revocation_verdict(ngx_http_govern_rl_t *check,
    govern_revoke_e *verdict)
{
    if (check->state == NGX_HTTP_GOVERN_RL_PENDING) {
        return NGX_AGAIN;
    }

    if (check->revocation_failed) {
        return NGX_DECLINED;
    }

    *verdict = check->revoked ? check->revoked : GOVERN_REVOKE_PASSED;

    return NGX_OK;
}


/* every limit keys on the partner: the revocation keys share their hash
 * tag, so one script on one Cluster node can read both */

ngx_uint_t
ngx_http_govern_ratelimit_carries_revocation(ngx_http_govern_loc_conf_t *glcf)
{
    ngx_uint_t                  i;
    ngx_http_govern_rl_conf_t  *confs;

    if (glcf->limits == NULL || !glcf->revocation) {
        return 0;
    }

    confs = glcf->limits->elts;

    for (i = 0; i < glcf->limits->nelts; i++) {
        if (confs[i].by) {
            return 0;
        }
    }

    return 1;
}


/*
 * The script's arguments after its SHA, the request count left out: the
 * key count, the revocation keys, the buckets' keys, the revocation key
 * count, the iat, then four numbers per bucket; each as a 4-byte length
 * and its bytes, so that equal arguments are equal strings.
 */

static ngx_int_t
ngx_http_govern_rl_args(ngx_http_request_t *r, ngx_http_govern_rl_t *rl)
{
    u_char      *p;
    size_t       len;
    uint32_t     n32;
    ngx_str_t    args[NGX_HTTP_GOVERN_RL_ARGS];
    ngx_uint_t   i, argc, nrev;
    u_char       nums[NGX_INT_T_LEN * (2 + 4 * NGX_HTTP_GOVERN_MAX_LIMITS)];

    nrev = rl->carries ? rl->revocation.nkeys : 0;

    p = nums;
    argc = 0;

    args[argc].data = p;
    p = ngx_sprintf(p, "%ui", nrev + rl->n);
    args[argc].len = p - args[argc].data;
    argc++;

    for (i = 0; i < nrev; i++) {
        args[argc++] = rl->revocation.keys[i];
    }

    for (i = 0; i < rl->n; i++) {
        args[argc++] = rl->keys[i];
    }

    args[argc].data = p;
    p = ngx_sprintf(p, "%ui", nrev);
    args[argc].len = p - args[argc].data;
    argc++;

    if (nrev) {
        args[argc++] = rl->revocation.iat;

    } else {
        ngx_str_null(&args[argc]);
        argc++;
    }

    rl->head = argc;

    for (i = 0; i < rl->n; i++) {
        args[argc].data = p;
        p = ngx_sprintf(p, "%uL", rl->limits[i].capacity);
        args[argc].len = p - args[argc].data;
        argc++;

        args[argc].data = p;
        p = ngx_sprintf(p, "%uL", rl->limits[i].count);
        args[argc].len = p - args[argc].data;
        argc++;

        args[argc].data = p;
        p = ngx_sprintf(p, "%uL", rl->limits[i].period_ms);
        args[argc].len = p - args[argc].data;
        argc++;

        /* an idle bucket is kept until it would be full again */
        args[argc].data = p;
        p = ngx_sprintf(p, "%uL", ngx_http_govern_rl_fill_ms(&rl->limits[i])
                                  + 1000);
        args[argc].len = p - args[argc].data;
        argc++;
    }

    len = 0;

    for (i = 0; i < argc; i++) {
        len += sizeof(uint32_t) + args[i].len;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    rl->args.data = p;
    rl->args.len = len;

    for (i = 0; i < argc; i++) {
        n32 = (uint32_t) args[i].len;
        p = ngx_cpymem(p, &n32, sizeof(uint32_t));
        p = ngx_cpymem(p, args[i].data, args[i].len);
    }

    return NGX_OK;
}


/*
 * The request joins the open call with its arguments, or opens one: sent
 * at the end of this loop turn, or, while a call with the same arguments
 * is in flight, when that one's reply is in (so a busy partner has one
 * call in flight at a time, and each carries what arrived meanwhile).
 * The request waits without a timer of its own: the call has one, from
 * its opening, so nobody waits longer than the Redis timeout.
 * NGX_DECLINED: no Redis.
 */

static ngx_int_t
ngx_http_govern_rl_join(ngx_http_request_t *r, ngx_http_govern_rl_t *rl)
{
    uint32_t                       hash;
    ngx_int_t                      rc;
    ngx_rbtree_node_t             *node, *sentinel;
    ngx_http_govern_rl_call_t     *call, *prev;
    ngx_http_govern_main_conf_t   *gmcf;

    gmcf = ngx_http_get_module_main_conf(r, ngx_http_govern_module);

    if (gmcf->redis == NULL) {
        return NGX_DECLINED;
    }

    if (ngx_http_govern_rl_calls.root == NULL) {
        ngx_rbtree_init(&ngx_http_govern_rl_calls,
                        &ngx_http_govern_rl_calls_sentinel,
                        ngx_http_govern_rl_call_insert);
    }

    hash = ngx_murmur_hash2(rl->args.data, rl->args.len);

    node = ngx_http_govern_rl_calls.root;
    sentinel = ngx_http_govern_rl_calls.sentinel;
    call = NULL;

    while (node != sentinel) {

        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        rc = ngx_http_govern_rl_call_cmp((ngx_http_govern_rl_call_t *) node,
                                         &rl->args, gmcf->redis);

        if (rc == 0) {
            call = (ngx_http_govern_rl_call_t *) node;
            break;
        }

        node = (rc > 0) ? node->left : node->right;
    }

    if (call == NULL || call->sent) {
        prev = call;

        call = ngx_calloc(sizeof(ngx_http_govern_rl_call_t) + rl->args.len,
                          r->connection->log);
        if (call == NULL) {
            return NGX_ERROR;
        }

        call->node.key = hash;
        call->redis = gmcf->redis;
        call->args.data = (u_char *) (call + 1);
        call->args.len = rl->args.len;
        ngx_memcpy(call->args.data, rl->args.data, rl->args.len);
        call->head = rl->head;
        call->n = rl->n;
        call->carries = rl->carries;
        ngx_queue_init(&call->members);

        call->send.handler = ngx_http_govern_rl_call_post;
        call->send.data = call;
        call->send.log = ngx_cycle->log;
        call->timer.handler = ngx_http_govern_rl_call_timedout;
        call->timer.data = call;
        call->timer.log = ngx_cycle->log;

        if (prev) {
            /* the one in flight leaves the tree to this one, its next */
            ngx_rbtree_delete(&ngx_http_govern_rl_calls, &prev->node);
            prev->listed = 0;
            prev->next = call;
            call->prev = prev;

        } else {
            ngx_post_event(&call->send, &ngx_posted_events);
        }

        ngx_rbtree_insert(&ngx_http_govern_rl_calls, &call->node);
        call->listed = 1;
        ngx_add_timer(&call->timer, gmcf->redis->timeout);
    }

    rc = ngx_http_govern_wait(r, &rl->wait, 0);

    if (rc != NGX_AGAIN) {
        return NGX_ERROR;
    }

    ngx_queue_insert_tail(&call->members, &rl->queue);
    rl->call = call;

    return NGX_AGAIN;
}


/* the request ended while it waited (the call goes on without it) */

static void
ngx_http_govern_rl_leave(void *data)
{
    ngx_http_govern_rl_t  *rl = data;

    if (rl->call) {
        ngx_queue_remove(&rl->queue);
        rl->call = NULL;
    }
}


/* the calls' order: Redis, then the arguments, by length and bytes */

static ngx_int_t
ngx_http_govern_rl_call_cmp(ngx_http_govern_rl_call_t *a, ngx_str_t *args,
    ngx_http_govern_redis_conf_t *redis)
{
    if (a->redis != redis) {
        return (uintptr_t) a->redis < (uintptr_t) redis ? -1 : 1;
    }

    if (a->args.len != args->len) {
        return a->args.len < args->len ? -1 : 1;
    }

    return ngx_memcmp(a->args.data, args->data, args->len);
}


static void
ngx_http_govern_rl_call_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t          **p;
    ngx_http_govern_rl_call_t   *call;

    call = (ngx_http_govern_rl_call_t *) node;

    for ( ;; ) {

        if (node->key != temp->key) {
            p = (node->key < temp->key) ? &temp->left : &temp->right;

        } else {
            p = (ngx_http_govern_rl_call_cmp(
                     (ngx_http_govern_rl_call_t *) temp, &call->args,
                     call->redis) > 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/* the loop turn that opened the call is over */

static void
ngx_http_govern_rl_call_post(ngx_event_t *ev)
{
    ngx_http_govern_rl_call_go(ev->data);
}


/* sent now, or ended now if it has nobody left or Redis cannot be used */

static void
ngx_http_govern_rl_call_go(ngx_http_govern_rl_call_t *call)
{
    if (ngx_queue_empty(&call->members)) {
        ngx_http_govern_rl_call_free(call);
        return;
    }

    if (ngx_http_govern_rl_call_send(call) != NGX_OK) {
        ngx_http_govern_rl_call_end(call, NULL);
    }
}


/*
 * EVALSHA (EVAL once Redis said NOSCRIPT) for the requests waiting now,
 * each told its turn; NGX_DECLINED: Redis cannot be used now.
 */

static ngx_int_t
ngx_http_govern_rl_call_send(ngx_http_govern_rl_call_t *call)
{
    u_char                *p, *last, count[NGX_INT_T_LEN];
    uint32_t               n32;
    uint64_t               turn;
    ngx_uint_t             argc;
    ngx_queue_t           *q;
    ngx_http_govern_rl_t  *rl;
    size_t                 argvlen[NGX_HTTP_GOVERN_RL_ARGS];
    const char            *argv[NGX_HTTP_GOVERN_RL_ARGS];

    turn = 0;

    for (q = ngx_queue_head(&call->members);
         q != ngx_queue_sentinel(&call->members);
         q = ngx_queue_next(q))
    {
        rl = ngx_queue_data(q, ngx_http_govern_rl_t, queue);
        rl->turn = turn++;
    }

    argc = 0;

    if (call->eval) {
        argv[argc] = "EVAL";
        argvlen[argc++] = 4;
        argv[argc] = govern_rate_script;
        argvlen[argc++] = ngx_strlen(govern_rate_script);

    } else {
        argv[argc] = "EVALSHA";
        argvlen[argc++] = 7;
        argv[argc] = (const char *) ngx_http_govern_rl_sha;
        argvlen[argc++] = 40;
    }

    p = call->args.data;
    last = p + call->args.len;

    while (p < last) {
        if (argc == 2 + call->head) {
            argv[argc] = (const char *) count;
            argvlen[argc++] = ngx_sprintf(count, "%uL", turn) - count;
        }

        ngx_memcpy(&n32, p, sizeof(uint32_t));
        p += sizeof(uint32_t);

        argv[argc] = (const char *) p;
        argvlen[argc++] = n32;
        p += n32;
    }

    call->sent = 1;
    call->op = ngx_http_govern_redis_send(call->redis, (int) argc, argv,
                                          argvlen,
                                          ngx_http_govern_rl_call_reply,
                                          call);

    return call->op ? NGX_OK : NGX_DECLINED;
}


static void
ngx_http_govern_rl_call_reply(void *data, redisReply *reply)
{
    ngx_http_govern_rl_call_t  *call = data;

    ngx_http_govern_rl_t  *rl;

    call->op = NULL;

    /* the script cache was flushed: EVAL loads it again */

    if (reply && reply->type == REDIS_REPLY_ERROR && !call->eval
        && ngx_strncmp(reply->str, "NOSCRIPT", 8) == 0
        && !ngx_queue_empty(&call->members))
    {
        call->eval = 1;

        if (ngx_http_govern_rl_call_send(call) == NGX_OK) {
            return;
        }

        reply = NULL;
    }

    if (reply && reply->type == REDIS_REPLY_ERROR
        && !ngx_queue_empty(&call->members))
    {
        rl = ngx_queue_data(ngx_queue_head(&call->members),
                            ngx_http_govern_rl_t, queue);
        ngx_log_error(NGX_LOG_ERR, rl->wait.request->connection->log, 0,
                      "govern: redis answered the %s with an error: %s",
                      call->n ? "rate limit script" : "revocation check",
                      reply->str);
        reply = NULL;
    }

    ngx_http_govern_rl_call_end(call, reply);
}


/*
 * The call's time is up: Redis is too slow to be used for now (if the
 * call was sent), or the one it waited behind still has no reply.
 */

static void
ngx_http_govern_rl_call_timedout(ngx_event_t *ev)
{
    ngx_http_govern_rl_call_t  *call = ev->data;

    if (call->op) {
        ngx_http_govern_redis_timedout(call->redis, call->op);
        call->op = NULL;
    }

    if (call->prev) {
        call->prev->next = NULL;
        call->prev = NULL;
    }

    ngx_http_govern_rl_call_end(call, NULL);
}


/*
 * The call's answer, read once: each request then takes its own part of
 * it, or the fallback's when Redis failed, was too slow or answered
 * something else (the error is logged once, for the call).  Then the
 * call that waited behind this one goes.
 */

static void
ngx_http_govern_rl_call_end(ngx_http_govern_rl_call_t *call,
    redisReply *reply)
{
    double                      tokens[NGX_HTTP_GOVERN_MAX_LIMITS];
    uint64_t                    taken;
    ngx_uint_t                  i, ok;
    redisReply                **e;
    ngx_queue_t                *q;
    govern_revoke_e             revoked;
    ngx_http_govern_rl_t       *rl;
    ngx_http_govern_rl_call_t  *next;

    taken = 0;
    revoked = GOVERN_REVOKE_PASSED;

    if (reply && !ngx_queue_empty(&call->members)) {
        e = reply->element;

        if (call->carries
            && (call->n == 0
                || (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
                    && e[0]->type == REDIS_REPLY_INTEGER
                    && e[0]->integer == -1)))
        {
            /* a revoked token (no bucket was touched), or the check
             * alone: {1, 0} */
            revoked = ngx_http_govern_revocation_parse(reply);
            ok = revoked != GOVERN_REVOKE_UNKNOWN;

        } else {
            /* {taken, tokens_1, ...}: the tokens packed as doubles */

            ok = reply->type == REDIS_REPLY_ARRAY
                 && reply->elements == 1 + call->n
                 && e[0]->type == REDIS_REPLY_INTEGER
                 && e[0]->integer >= 0;

            for (i = 0; ok && i < call->n; i++) {
                ok = e[1 + i]->type == REDIS_REPLY_STRING
                     && e[1 + i]->len == 8;

                if (ok) {
                    tokens[i] = govern_rate_unpack((u_char *) e[1 + i]->str);
                    ok = tokens[i] >= 0 && tokens[i] <= 1e15;
                }
            }

            if (ok) {
                taken = (uint64_t) e[0]->integer;
            }
        }

        if (!ok) {
            rl = ngx_queue_data(ngx_queue_head(&call->members),
                                ngx_http_govern_rl_t, queue);
            ngx_log_error(NGX_LOG_ERR, rl->wait.request->connection->log, 0,
                          "govern: unexpected reply to the %s",
                          call->n ? "rate limit script"
                                  : "revocation check");
            reply = NULL;
        }
    }

    while (!ngx_queue_empty(&call->members)) {
        q = ngx_queue_head(&call->members);
        ngx_queue_remove(q);

        rl = ngx_queue_data(q, ngx_http_govern_rl_t, queue);
        rl->call = NULL;

        if (reply == NULL) {
            ngx_http_govern_rl_fallback(rl->wait.request, rl);

        } else if (revoked != GOVERN_REVOKE_PASSED || rl->n == 0) {
            rl->revoked = revoked;
            rl->allowed = 1;
            rl->known = 0;
            rl->source = NGX_HTTP_GOVERN_RL_SOURCE_REDIS;
            rl->state = NGX_HTTP_GOVERN_RL_DONE;

        } else {
            rl->allowed = govern_buckets_decide(rl->limits, tokens, rl->n,
                                                taken, rl->turn, rl->states,
                                                &rl->retry_ms);
            rl->known = 1;
            rl->source = NGX_HTTP_GOVERN_RL_SOURCE_REDIS;
            rl->state = NGX_HTTP_GOVERN_RL_DONE;
        }

        ngx_http_govern_wake(&rl->wait);
    }

    next = call->next;

    ngx_http_govern_rl_call_free(call);

    if (next) {
        next->prev = NULL;
        ngx_http_govern_rl_call_go(next);
    }
}


static void
ngx_http_govern_rl_call_free(ngx_http_govern_rl_call_t *call)
{
    if (call->listed) {
        ngx_rbtree_delete(&ngx_http_govern_rl_calls, &call->node);
    }

    if (call->timer.timer_set) {
        ngx_del_timer(&call->timer);
    }

    if (call->send.posted) {
        ngx_delete_posted_event(&call->send);
    }

    ngx_free(call);
}


static void
ngx_http_govern_rl_fallback(ngx_http_request_t *r, ngx_http_govern_rl_t *rl)
{
    ngx_int_t                     rc;
    ngx_http_govern_loc_conf_t   *glcf;
    ngx_http_govern_main_conf_t  *gmcf;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);
    gmcf = ngx_http_get_module_main_conf(r, ngx_http_govern_module);

    rl->state = NGX_HTTP_GOVERN_RL_DONE;
    rl->known = 0;

    if (rl->carries) {
        rl->revocation_failed = 1;

        if (glcf->revocation_fallback == NGX_HTTP_GOVERN_REVOCATION_CLOSED) {
            /* refused for the revocation: no local token is taken */
            rl->allowed = 0;
            rl->source = NGX_HTTP_GOVERN_RL_SOURCE_NONE;
            return;
        }
    }

    if (rl->n == 0) {
        /* the revocation check alone: its stage's fallback decides */
        rl->allowed = 1;
        rl->source = NGX_HTTP_GOVERN_RL_SOURCE_NONE;
        return;
    }

    switch (glcf->fallback) {

    case NGX_HTTP_GOVERN_RL_FALLBACK_OPEN:
        rl->allowed = 1;
        rl->source = NGX_HTTP_GOVERN_RL_SOURCE_NONE;
        return;

    case NGX_HTTP_GOVERN_RL_FALLBACK_CLOSED:
        rl->allowed = 0;
        rl->source = NGX_HTTP_GOVERN_RL_SOURCE_NONE;
        return;

    default:
        rc = ngx_http_govern_limiter_take(gmcf->limiter, rl->keys, rl->limits,
                                          rl->n, rl->states, &rl->retry_ms);

        if (rc == NGX_ERROR) {
            /* no memory for a bucket: fail closed, not open */
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "govern: the local rate limiter is out of memory");
            rl->allowed = 0;
            rl->source = NGX_HTTP_GOVERN_RL_SOURCE_NONE;
            return;
        }

        rl->allowed = (rc == NGX_OK);
        rl->known = 1;
        rl->source = NGX_HTTP_GOVERN_RL_SOURCE_LOCAL;
    }
}


/*
 * RateLimit-Policy and RateLimit (draft-ietf-httpapi-ratelimit-headers):
 * one list item per limit, e.g. "orders";q=600;w=60 and "orders";r=42;t=6;
 * on 429, Retry-After in whole seconds, rounded up.
 */

ngx_int_t
ngx_http_govern_ratelimit_headers(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    u_char                *policy, *state, *p, *q, retry[NGX_INT_T_LEN];
    size_t                 len;
    ngx_uint_t             i;
    ngx_http_govern_rl_t  *rl;

    rl = ctx->rl;

    if (rl == NULL || rl->state != NGX_HTTP_GOVERN_RL_DONE) {
        return NGX_OK;
    }

    len = 0;

    for (i = 0; i < rl->n; i++) {
        len += rl->confs[i].name.len + sizeof("\"\";q=;w=, ") - 1
               + 2 * NGX_INT_T_LEN;
    }

    policy = ngx_pnalloc(r->pool, 2 * len);
    if (policy == NULL) {
        return NGX_ERROR;
    }

    state = policy + len;
    p = policy;
    q = state;

    for (i = 0; i < rl->n; i++) {
        if (i) {
            p = ngx_cpymem(p, ", ", 2);
            q = ngx_cpymem(q, ", ", 2);
        }

        p = ngx_sprintf(p, "\"%V\";q=%uL;w=%uL", &rl->confs[i].name,
                        rl->limits[i].capacity,
                        (ngx_http_govern_rl_fill_ms(&rl->limits[i]) + 999)
                        / 1000);
        q = ngx_sprintf(q, "\"%V\";r=%uL;t=%uL", &rl->confs[i].name,
                        rl->states[i].remaining,
                        (rl->states[i].reset_ms + 999) / 1000);
    }

    if (ngx_http_govern_add_header(r, "RateLimit-Policy", policy, p - policy)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (rl->known) {
        if (ngx_http_govern_add_header(r, "RateLimit", state, q - state)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (!rl->allowed && rl->known) {
        p = ngx_sprintf(retry, "%uL", ngx_max((rl->retry_ms + 999) / 1000, 1));

        if (ngx_http_govern_add_header(r, "Retry-After", retry, p - retry)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* the tightest limit: the fewest tokens left, for audit and variable */

static void
ngx_http_govern_rl_tightest(ngx_http_govern_rl_t *rl)
{
    ngx_uint_t  i, min;

    min = 0;

    for (i = 1; i < rl->n; i++) {
        if (rl->states[i].remaining < rl->states[min].remaining) {
            min = i;
        }
    }

    rl->tightest = min;
}


/* ms for an empty bucket to fill; whole ms, rounded up */

static uint64_t
ngx_http_govern_rl_fill_ms(govern_limit_t *limit)
{
    /* capacity < 10^11 (rates, burst=) and period <= 86,400,000 */
    return (limit->period_ms * limit->capacity + limit->count - 1)
           / limit->count;
}


/* where the decision was taken: NGX_HTTP_GOVERN_RL_SOURCE_* */

ngx_uint_t
ngx_http_govern_ratelimit_source(ngx_http_govern_rl_t *rl)
{
    return rl->source;
}


/* the audit record's "ratelimit": the tightest limit */

u_char *
ngx_http_govern_ratelimit_audit(u_char *p, ngx_http_govern_rl_t *rl)
{
    static const char  *sources[] = { "none", "redis", "local" };

    ngx_uint_t  t;

    if (rl == NULL || rl->state != NGX_HTTP_GOVERN_RL_DONE) {
        return ngx_cpymem(p, "null", 4);
    }

    t = rl->tightest;

    p = ngx_sprintf(p, "{\"name\":\"%V\",\"limit\":%uL,", &rl->confs[t].name,
                    rl->limits[t].capacity);

    if (rl->known) {
        p = ngx_sprintf(p, "\"remaining\":%uL,", rl->states[t].remaining);

    } else {
        p = ngx_cpymem(p, "\"remaining\":null,", 17);
    }

    return ngx_sprintf(p, "\"source\":\"%s\"}", sources[rl->source]);
}


size_t
ngx_http_govern_ratelimit_audit_len(ngx_http_govern_rl_t *rl)
{
    if (rl == NULL) {
        return 4;
    }

    return sizeof("{\"name\":\"\",\"limit\":,\"remaining\":,"
                  "\"source\":\"redis\"}") + 2 * NGX_INT_T_LEN
           + rl->confs[rl->tightest].name.len;
}


ngx_int_t
ngx_http_govern_ratelimit_remaining(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_str_t *value)
{
    ngx_http_govern_rl_t  *rl;

    rl = ctx->rl;

    if (rl == NULL || !rl->known) {
        return NGX_DECLINED;
    }

    value->data = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
    if (value->data == NULL) {
        return NGX_ERROR;
    }

    value->len = ngx_sprintf(value->data, "%uL",
                             rl->states[rl->tightest].remaining)
                 - value->data;

    return NGX_OK;
}


/* configuration */


/* govern_rate_limit NAME RATE [burst=N] [by=$var] */

char *
ngx_http_govern_rate_limit_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_loc_conf_t *glcf = conf;

    u_char                              c;
    ngx_int_t                           n;
    ngx_str_t                          *value;
    ngx_uint_t                          i;
    ngx_http_govern_rl_conf_t          *rc, *other;
    ngx_http_govern_main_conf_t        *gmcf;
    ngx_http_compile_complex_value_t    ccv;

    ngx_http_govern_conf_mark(cf, glcf, cmd);

    value = cf->args->elts;

    if (glcf->limits == NGX_CONF_UNSET_PTR) {
        glcf->limits_file = cf->conf_file->file.name.data;
        glcf->limits_line = cf->conf_file->line;

        glcf->limits = ngx_array_create(cf->pool, 2,
                                        sizeof(ngx_http_govern_rl_conf_t));
        if (glcf->limits == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    if (glcf->limits->nelts == NGX_HTTP_GOVERN_MAX_LIMITS) {
        return "is given more than 8 times here";
    }

    for (i = 0; i < value[1].len; i++) {
        c = value[1].data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid rate limit name \"%V\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    other = glcf->limits->elts;

    for (i = 0; i < glcf->limits->nelts; i++) {
        if (other[i].name.len == value[1].len
            && ngx_strncmp(other[i].name.data, value[1].data, value[1].len)
               == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate rate limit \"%V\"", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    rc = ngx_array_push(glcf->limits);
    if (rc == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(rc, sizeof(ngx_http_govern_rl_conf_t));
    rc->name = value[1];

    if (value[2].len && value[2].data[0] == '$') {
        rc->rate_cv = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
        if (rc->rate_cv == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &value[2];
        ccv.complex_value = rc->rate_cv;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

    } else if (!govern_rate_parse((char *) value[2].data,
                                  value[2].len, &rc->rate))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid rate \"%V\", it must be like 20r/s, "
                           "600r/m, 1000r/h or 50000r/d", &value[2]);
        return NGX_CONF_ERROR;
    }

    for (i = 3; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "burst=", 6) == 0) {
            n = ngx_atoi(value[i].data + 6, value[i].len - 6);

            if (n <= 0 || n > 1000000000) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid burst \"%V\", it must be a "
                                   "number from 1 to 1000000000", &value[i]);
                return NGX_CONF_ERROR;
            }

            rc->burst = n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "by=", 3) == 0 && value[i].len > 3) {
            rc->by = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
            if (rc->by == NULL) {
                return NGX_CONF_ERROR;
            }

            value[i].data += 3;
            value[i].len -= 3;

            ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
            ccv.cf = cf;
            ccv.value = &value[i];
            ccv.complex_value = rc->by;

            if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\"",
                           &value[i]);
        return NGX_CONF_ERROR;
    }

    gmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_govern_module);
    gmcf->need_limiter = 1;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_govern_ratelimit_init(ngx_conf_t *cf)
{
    u_char      digest[20];
    EVP_MD_CTX  *md;

    if (ngx_http_govern_rl_sha[0]) {
        return NGX_OK;
    }

    md = EVP_MD_CTX_new();

    if (md == NULL
        || !EVP_DigestInit_ex(md, EVP_sha1(), NULL)
        || !EVP_DigestUpdate(md, govern_rate_script,
                             ngx_strlen(govern_rate_script))
        || !EVP_DigestFinal_ex(md, digest, NULL))
    {
        EVP_MD_CTX_free(md);
        return NGX_ERROR;
    }

    EVP_MD_CTX_free(md);

    govern_hex(ngx_http_govern_rl_sha, digest, 20);
    ngx_http_govern_rl_sha[40] = '\0';

    return NGX_OK;
}


static void
ngx_http_govern_ratelimit_create(ngx_http_govern_loc_conf_t *conf)
{
    conf->limits = NGX_CONF_UNSET_PTR;
    conf->fallback = NGX_CONF_UNSET_UINT;
}


static char *
ngx_http_govern_ratelimit_merge(ngx_conf_t *cf,
    ngx_http_govern_loc_conf_t *prev, ngx_http_govern_loc_conf_t *conf)
{
    ngx_uint_t                    i;
    ngx_http_govern_rl_conf_t    *rc;
    ngx_http_govern_main_conf_t  *gmcf;

    /* a limit without Redis would only ever count this instance's calls */

    if (conf->limits != NGX_CONF_UNSET_PTR) {
        gmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_govern_module);

        if (gmcf->redis == NULL) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "\"govern_rate_limit\" needs \"govern_redis\" "
                          "(limits are shared by the gateways through Redis)"
                          " in %s:%ui", conf->limits_file, conf->limits_line);
            return NGX_CONF_ERROR;
        }

        /* a cluster runs a script on the node of its keys' one slot */

        if (gmcf->redis->mode == NGX_HTTP_GOVERN_REDIS_CLUSTER) {
            rc = conf->limits->elts;

            for (i = 1; i < conf->limits->nelts; i++) {
                if ((rc[i].by == NULL) != (rc[0].by == NULL)
                    || (rc[i].by
                        && (rc[i].by->value.len != rc[0].by->value.len
                            || ngx_strncmp(rc[i].by->value.data,
                                           rc[0].by->value.data,
                                           rc[0].by->value.len) != 0)))
                {
                    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                                  "\"govern_rate_limit\" in cluster mode: "
                                  "the limits of a location are decided by "
                                  "one script on one node, so they need the "
                                  "same by= (or none) in %s:%ui",
                                  conf->limits_file, conf->limits_line);
                    return NGX_CONF_ERROR;
                }
            }
        }
    }

    ngx_conf_merge_ptr_value(conf->limits, prev->limits, NULL);
    ngx_conf_merge_uint_value(conf->fallback, prev->fallback,
                              NGX_HTTP_GOVERN_RL_FALLBACK_LOCAL);

    return NGX_CONF_OK;
}


const ngx_http_govern_stage_t  ngx_http_govern_ratelimit_stage = {
    "rate limit",
    ngx_http_govern_ratelimit_create,
    ngx_http_govern_ratelimit_merge,
    ngx_http_govern_ratelimit_init,
    ngx_http_govern_ratelimit_access,
    ngx_http_govern_ratelimit_headers,
    NULL,                                   /* body */
    NULL                                    /* log */
};
