
/*
 * govern: a Redis client on nginx's event loop.
 */


#ifndef _NGX_HTTP_GOVERN_REDIS_H_INCLUDED_
#define _NGX_HTTP_GOVERN_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_event_connect.h>
#include <hiredis/hiredis.h>


typedef struct ngx_http_govern_redis_s     ngx_http_govern_redis_t;
typedef struct ngx_http_govern_redis_op_s  ngx_http_govern_redis_op_t;

/* reply is NULL when the connection failed or was closed */
typedef void (*ngx_http_govern_redis_handler_pt)(void *data,
    redisReply *reply);


/* shared by the workers: one log line per change, requests fail fast */

typedef struct {
    ngx_atomic_t                      down;
} ngx_http_govern_breaker_t;


typedef struct {
    ngx_addr_t                        addr;
    ngx_str_t                         password;
    ngx_int_t                         db;
    ngx_msec_t                        timeout;
    ngx_msec_t                        connect_timeout;
    ngx_http_govern_breaker_t        *breaker;
    ngx_http_govern_redis_t          *client;       /* this worker's */
} ngx_http_govern_redis_conf_t;


char *ngx_http_govern_redis_parse(ngx_conf_t *cf,
    ngx_http_govern_redis_conf_t *conf);
ngx_int_t ngx_http_govern_redis_init_process(ngx_cycle_t *cycle,
    ngx_http_govern_redis_conf_t *conf);
void ngx_http_govern_redis_exit_process(ngx_http_govern_redis_conf_t *conf);

ngx_int_t ngx_http_govern_redis_usable(ngx_http_govern_redis_conf_t *conf);
ngx_http_govern_redis_op_t *ngx_http_govern_redis_send(
    ngx_http_govern_redis_conf_t *conf, int argc, const char **argv,
    const size_t *argvlen, ngx_http_govern_redis_handler_pt handler,
    void *data);
void ngx_http_govern_redis_cancel(ngx_http_govern_redis_op_t *op);
void ngx_http_govern_redis_failed(ngx_http_govern_redis_conf_t *conf,
    const char *why);


#endif /* _NGX_HTTP_GOVERN_REDIS_H_INCLUDED_ */
