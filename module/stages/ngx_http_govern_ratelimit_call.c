
/*
 * govern: the rate limit script's calls, shared.  The requests of a
 * worker whose arguments are the same but for their number (one
 * partner's, one token's) join one EVALSHA: those of one event-loop
 * turn, and those that arrive while such a call is in flight, which go
 * in the next call once its reply is in.  The script decides them one
 * after another, as calls in a row would (govern_rate.c), so a busy
 * partner costs Redis one call per round trip, not one per request.  A
 * call has one timer, from its opening: nobody waits longer than the
 * Redis timeout.  The rate limit stage and the revocation stage's own
 * check (the script without buckets) both call here.
 */


#include "ngx_http_govern_ratelimit.h"


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


/* per set of arguments, this worker's latest call (open or in flight) */
static ngx_rbtree_t       ngx_http_govern_rl_calls;
static ngx_rbtree_node_t  ngx_http_govern_rl_calls_sentinel;


/*
 * The request joins the open call with its arguments, or opens one: sent
 * at the end of this loop turn, or, while a call with the same arguments
 * is in flight, when that one's reply is in (so a busy partner has one
 * call in flight at a time, and each carries what arrived meanwhile).
 * The request waits without a timer of its own: the call has one, from
 * its opening, so nobody waits longer than the Redis timeout.
 * NGX_AGAIN: the request waits, its state pending; NGX_DECLINED: no Redis.
 */

ngx_int_t
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
    rl->state = NGX_HTTP_GOVERN_RL_PENDING;

    return NGX_AGAIN;
}


/* the request ended while it waited (the call goes on without it) */

void
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
