
/*
 * govern: webhooks, shared by their three files: the verification stage
 * (ngx_http_govern_webhook.c), the dedupe stage
 * (ngx_http_govern_webhook_dedupe.c) and outbound signing
 * (ngx_http_govern_webhook_sign.c).
 */


#ifndef _NGX_HTTP_GOVERN_WEBHOOK_H_INCLUDED_
#define _NGX_HTTP_GOVERN_WEBHOOK_H_INCLUDED_


#include "ngx_http_govern_stages.h"
#include "govern_json.h"
#include "govern_webhook.h"


#define NGX_HTTP_GOVERN_WEBHOOK_READING    1
#define NGX_HTTP_GOVERN_WEBHOOK_VERIFIED   2
#define NGX_HTTP_GOVERN_WEBHOOK_REFUSED    3

#define NGX_HTTP_GOVERN_DEDUPE_NONE        0
#define NGX_HTTP_GOVERN_DEDUPE_PENDING     1
#define NGX_HTTP_GOVERN_DEDUPE_DONE        2

/* what Redis says of an event: first delivery, delivered, in flight */
#define NGX_HTTP_GOVERN_DEDUPE_FIRST       0
#define NGX_HTTP_GOVERN_DEDUPE_DELIVERED   1
#define NGX_HTTP_GOVERN_DEDUPE_IN_FLIGHT   2

/* an in-flight marker outlives any upstream timeout, then lets go */
#define NGX_HTTP_GOVERN_DEDUPE_INFLIGHT    300000      /* ms */

#define NGX_HTTP_GOVERN_WEBHOOK_ID_LEN     (sizeof("msg_") - 1 + 32)


struct ngx_http_govern_webhook_conf_s {
    govern_webhook_scheme_e         scheme;
    govern_webhook_secrets_t        secrets;
    ngx_http_complex_value_t       *partner;        /* NULL: any of the file */
    time_t                          tolerance;
    ngx_msec_t                      dedupe;         /* 0: off */
    u_char                         *conf_file;      /* for nginx -t */
    ngx_uint_t                      conf_line;
};


struct ngx_http_govern_webhook_sign_s {
    govern_webhook_secrets_t        secrets;
    ngx_http_complex_value_t        partner;
};


/* one delivery */
struct ngx_http_govern_webhook_s {
    ngx_http_govern_webhook_conf_t *conf;       /* the route's, verifying */
    ngx_uint_t                      state;
    govern_webhook_verify_t        *verify;     /* while the body is read */
    size_t                          first;      /* the secrets tried */
    EVP_MD_CTX                     *sha;        /* body_sha256, audited */
    govern_webhook_result_t         result;
    ngx_str_t                       event_id;

    ngx_uint_t                      dedupe;     /* NONE, PENDING, DONE */
    ngx_int_t                       verdict;    /* -1: Redis failed */
    ngx_str_t                       key;
    ngx_str_t                       marker;     /* "P", random, request id */
    ngx_http_govern_wait_t          wait;
    unsigned                        looked:1;   /* GET after SET NX */
    unsigned                        retried:1;  /* SET NX again */
    unsigned                        proceeded:1;
    unsigned                        unseen:1;   /* a body buffer not fed */
};


ngx_int_t ngx_http_govern_webhook_secrets(ngx_conf_t *cf, ngx_str_t *name,
    govern_webhook_scheme_e scheme, govern_webhook_secrets_t *set);
ngx_int_t ngx_http_govern_webhook_partner(ngx_conf_t *cf, ngx_str_t *value,
    ngx_str_t *file, govern_webhook_secrets_t *set,
    ngx_http_complex_value_t *cv);
ngx_int_t ngx_http_govern_webhook_sign_init(ngx_conf_t *cf);
void ngx_http_govern_webhook_sign_body(ngx_http_request_t *r,
    ngx_chain_t *in);


#endif /* _NGX_HTTP_GOVERN_WEBHOOK_H_INCLUDED_ */
