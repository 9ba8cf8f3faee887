
/*
 * govern: a Redis client on nginx's event loop, for one Redis, a
 * Sentinel-watched master or a Redis Cluster.
 */


#ifndef _NGX_HTTP_GOVERN_REDIS_H_INCLUDED_
#define _NGX_HTTP_GOVERN_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>
#include <hiredis/hiredis.h>

#include "govern_redis.h"


#define NGX_HTTP_GOVERN_REDIS_SINGLE      0
#define NGX_HTTP_GOVERN_REDIS_SENTINEL    1
#define NGX_HTTP_GOVERN_REDIS_CLUSTER     2

/* nodes with a breaker and a line in the metrics */
#define NGX_HTTP_GOVERN_REDIS_NODES       128
#define NGX_HTTP_GOVERN_REDIS_NODE_NAME   64

/* redirections counted, by kind */
#define NGX_HTTP_GOVERN_REDIS_MOVED       0
#define NGX_HTTP_GOVERN_REDIS_ASK         1
#define NGX_HTTP_GOVERN_REDIS_TRYAGAIN    2
#define NGX_HTTP_GOVERN_REDIS_REDIRECTS   3


typedef struct ngx_http_govern_redis_s     ngx_http_govern_redis_t;
typedef struct ngx_http_govern_redis_op_s  ngx_http_govern_redis_op_t;
typedef struct ngx_http_govern_redis_conf_s  ngx_http_govern_redis_conf_t;

/* reply is NULL when the connection failed or was closed */
typedef void (*ngx_http_govern_redis_handler_pt)(void *data,
    redisReply *reply);


/* an address of govern_redis: a fixed one, or a name resolved anew on
 * every connect */

typedef struct {
    ngx_str_t                         name;     /* as configured */
    ngx_str_t                         host;     /* empty: addr is fixed */
    in_port_t                         port;
    ngx_addr_t                        addr;
} ngx_http_govern_redis_addr_t;


/* a node's breaker, shared by the workers: requests for the node go to
 * the fallback while it is down; one log line per change */

typedef struct {
    ngx_atomic_t                      state;    /* free, writing, named */
    ngx_atomic_t                      down;
    ngx_atomic_t                      addr;     /* sentinel: said where */
    size_t                            len;
    u_char                            name[NGX_HTTP_GOVERN_REDIS_NODE_NAME];
} ngx_http_govern_redis_breaker_t;


typedef struct {
    ngx_atomic_t  redirects[NGX_HTTP_GOVERN_REDIS_REDIRECTS];
    ngx_http_govern_redis_breaker_t   nodes[NGX_HTTP_GOVERN_REDIS_NODES];
} ngx_http_govern_redis_shared_t;


struct ngx_http_govern_redis_conf_s {
    ngx_uint_t                        mode;
    ngx_array_t                      *addrs;    /* of ..._redis_addr_t */
    ngx_str_t                         master;   /* sentinel=MASTER */
    ngx_str_t                         password;
    ngx_str_t                         sentinel_password;
    ngx_int_t                         db;
    ngx_msec_t                        timeout;
    ngx_msec_t                        connect_timeout;
    ngx_resolver_t                   *resolver;
    ngx_msec_t                        resolver_timeout;
    ngx_shm_zone_t                   *zone;     /* breakers, counters */
    u_char                           *file;     /* of the directive */
    ngx_uint_t                        line;
    ngx_http_govern_redis_t          *client;   /* this worker's */
};


/* a node as the metrics show it */

typedef struct {
    ngx_str_t                         name;
    ngx_uint_t                        up;
} ngx_http_govern_redis_node_state_t;


char *ngx_http_govern_redis_parse(ngx_conf_t *cf,
    ngx_http_govern_redis_conf_t *conf);
ngx_int_t ngx_http_govern_redis_postconfiguration(ngx_conf_t *cf,
    ngx_http_govern_redis_conf_t *conf);
ngx_int_t ngx_http_govern_redis_init_process(ngx_cycle_t *cycle,
    ngx_http_govern_redis_conf_t *conf);
void ngx_http_govern_redis_exit_process(ngx_http_govern_redis_conf_t *conf);

ngx_http_govern_redis_op_t *ngx_http_govern_redis_send(
    ngx_http_govern_redis_conf_t *conf, int argc, const char **argv,
    const size_t *argvlen, ngx_http_govern_redis_handler_pt handler,
    void *data);
void ngx_http_govern_redis_cancel(ngx_http_govern_redis_op_t *op);
void ngx_http_govern_redis_timedout(ngx_http_govern_redis_conf_t *conf,
    ngx_http_govern_redis_op_t *op);

ngx_http_govern_redis_shared_t *ngx_http_govern_redis_shared(
    ngx_http_govern_redis_conf_t *conf);
ngx_uint_t ngx_http_govern_redis_nodes(ngx_http_govern_redis_conf_t *conf,
    ngx_http_govern_redis_node_state_t *nodes, ngx_uint_t max);


#endif /* _NGX_HTTP_GOVERN_REDIS_H_INCLUDED_ */
