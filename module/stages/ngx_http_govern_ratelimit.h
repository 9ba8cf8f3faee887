
/*
 * govern: rate limits, shared by their two files: the stage, its
 * arguments, fallback, headers and configuration
 * (ngx_http_govern_ratelimit.c), and the script calls a worker's requests
 * share (ngx_http_govern_ratelimit_call.c), which the revocation stage's
 * own check uses too.
 */


#ifndef _NGX_HTTP_GOVERN_RATELIMIT_H_INCLUDED_
#define _NGX_HTTP_GOVERN_RATELIMIT_H_INCLUDED_


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


extern u_char  ngx_http_govern_rl_sha[41];


ngx_int_t ngx_http_govern_rl_join(ngx_http_request_t *r,
    ngx_http_govern_rl_t *rl);
void ngx_http_govern_rl_leave(void *data);
void ngx_http_govern_rl_fallback(ngx_http_request_t *r,
    ngx_http_govern_rl_t *rl);


#endif /* _NGX_HTTP_GOVERN_RATELIMIT_H_INCLUDED_ */
