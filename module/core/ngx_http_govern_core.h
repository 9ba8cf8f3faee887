
/*
 * govern: the core of the glue, which every stage builds on: the request
 * context, the one way to suspend and resume a request, the one way to
 * refuse one, header and configuration helpers, and the Redis client.
 */


#ifndef _NGX_HTTP_GOVERN_CORE_H_INCLUDED_
#define _NGX_HTTP_GOVERN_CORE_H_INCLUDED_


#include "ngx_http_govern_module.h"
#include "ngx_http_govern_redis.h"


/*
 * A stage that waits (for Redis, a subrequest, a body) suspends the
 * request on a wait: the access handler returns NGX_AGAIN and is run
 * again, at the same stage, once the Redis reply arrives
 * (ngx_http_govern_redis_call), the stage calls ngx_http_govern_wake()
 * (ngx_http_govern_wait), or the timer fires.  A request that ends
 * first (the client went away, a timeout elsewhere) cancels the pending
 * work: no reply reaches a freed request.
 */

typedef struct ngx_http_govern_wait_s  ngx_http_govern_wait_t;

/* the stage's part once the work is done: reply NULL on a timeout or a
 * failed connection; it may send again (the request stays suspended) */
typedef void (*ngx_http_govern_reply_pt)(ngx_http_request_t *r,
    void *data, redisReply *reply);

/* the request ends while it waits: the stage forgets it */
typedef void (*ngx_http_govern_cancel_pt)(void *data);

struct ngx_http_govern_wait_s {
    ngx_http_request_t         *request;
    const char                 *stage;          /* for the debug log */
    ngx_event_t                 timer;
    ngx_http_govern_redis_op_t *op;             /* a command in flight */
    ngx_http_govern_reply_pt    done;
    ngx_http_govern_cancel_pt   cancel;         /* may be NULL */
    void                       *data;
    unsigned                    pending:1;
    unsigned                    registered:1;   /* its pool cleanup */
};


ngx_http_govern_ctx_t *ngx_http_govern_get_ctx(ngx_http_request_t *r);
ngx_http_govern_ctx_t *ngx_http_govern_create_ctx(ngx_http_request_t *r);

ngx_int_t ngx_http_govern_redis_call(ngx_http_request_t *r,
    ngx_http_govern_wait_t *wait, int argc, const char **argv,
    const size_t *argvlen);
ngx_int_t ngx_http_govern_wait(ngx_http_request_t *r,
    ngx_http_govern_wait_t *wait, ngx_msec_t timeout);
void ngx_http_govern_wake(ngx_http_govern_wait_t *wait);

/* bytes random bytes as 2 * bytes lower-case hex digits */
ngx_int_t ngx_http_govern_random_hex(u_char *dst, size_t bytes);
void ngx_http_govern_redis_post(ngx_http_request_t *r, int argc,
    const char **argv, const size_t *argvlen);
void ngx_http_govern_resume(ngx_http_request_t *r);

ngx_int_t ngx_http_govern_refuse(ngx_http_request_t *r,
    govern_reason_e reason, ngx_str_t *detail);
ngx_int_t ngx_http_govern_refuse_with(ngx_http_request_t *r,
    govern_reason_e reason, ngx_str_t *detail, ngx_str_t *extra);
ngx_int_t ngx_http_govern_refuse_internal(ngx_http_request_t *r,
    const char *what);
ngx_int_t ngx_http_govern_answer(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *type, ngx_buf_t *b);
ngx_buf_t *ngx_http_govern_problem(ngx_http_request_t *r,
    govern_reason_e reason, ngx_str_t *detail, ngx_str_t *extra);

ngx_int_t ngx_http_govern_add_header(ngx_http_request_t *r, const char *name,
    u_char *value, size_t len);
ngx_uint_t ngx_http_govern_header_is(ngx_table_elt_t *h, ngx_str_t *lowcase);
ngx_int_t ngx_http_govern_add_header_in(ngx_http_request_t *r,
    ngx_str_t *key, ngx_str_t *lowcase, ngx_str_t *value);
ngx_int_t ngx_http_govern_set_header_in(ngx_http_request_t *r,
    ngx_str_t *key, ngx_str_t *lowcase, ngx_str_t *value);
ngx_table_elt_t *ngx_http_govern_find_header_in(ngx_http_request_t *r,
    ngx_str_t *lowcase);

char *ngx_http_govern_strings_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
const char **ngx_http_govern_conf_strings(ngx_conf_t *cf);
ngx_int_t ngx_http_govern_conf_secret_file(ngx_conf_t *cf, ngx_str_t *file,
    const char *holds);
ngx_int_t ngx_http_govern_conf_secret_path(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *file, const char *holds);
void ngx_http_govern_conf_mark(ngx_conf_t *cf,
    ngx_http_govern_loc_conf_t *glcf, ngx_command_t *cmd);
ngx_int_t ngx_http_govern_digest(const u_char *data, size_t len,
    u_char *digest);
ngx_int_t ngx_http_govern_digest_init(ngx_conf_t *cf);

char *ngx_http_govern_redis_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


#endif /* _NGX_HTTP_GOVERN_CORE_H_INCLUDED_ */
