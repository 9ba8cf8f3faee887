
/*
 * govern: request ids and W3C trace context.
 * Pure logic: no nginx types.
 */


#ifndef _NGX_HTTP_GOVERN_IDS_H_INCLUDED_
#define _NGX_HTTP_GOVERN_IDS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define NGX_HTTP_GOVERN_REQUEST_ID_MAX   64
#define NGX_HTTP_GOVERN_TRACE_ID_LEN     32
#define NGX_HTTP_GOVERN_SPAN_ID_LEN      16
#define NGX_HTTP_GOVERN_TRACEPARENT_LEN  55


typedef struct {
    unsigned char  trace_id[NGX_HTTP_GOVERN_TRACE_ID_LEN];   /* lower hex */
    unsigned char  parent_id[NGX_HTTP_GOVERN_SPAN_ID_LEN];   /* lower hex */
    unsigned char  flags[2];                                 /* lower hex */
} ngx_http_govern_traceparent_t;


/*
 * Ids need to be unique and unguessable enough to not collide across
 * gateways, not secret: a per-process xoshiro256** stream seeded from the
 * OpenSSL CSPRNG costs nanoseconds, where RAND_bytes() per request costs
 * a getpid() and several locks.
 */

typedef struct {
    uint64_t       s[4];
} ngx_http_govern_rng_t;


void ngx_http_govern_rng_seed(ngx_http_govern_rng_t *rng,
    const unsigned char seed[32]);
void ngx_http_govern_rng_bytes(ngx_http_govern_rng_t *rng, unsigned char *dst,
    size_t len);
int ngx_http_govern_request_id_valid(const unsigned char *s, size_t len);
int ngx_http_govern_traceparent_parse(const unsigned char *s, size_t len,
    ngx_http_govern_traceparent_t *tp);
void ngx_http_govern_traceparent_format(unsigned char *dst,
    const ngx_http_govern_traceparent_t *tp);
void ngx_http_govern_hex(unsigned char *dst, const unsigned char *src,
    size_t len);


#endif /* _NGX_HTTP_GOVERN_IDS_H_INCLUDED_ */
