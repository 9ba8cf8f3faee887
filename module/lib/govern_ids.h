
/*
 * govern: request ids and W3C trace context.
 * Pure logic: no nginx types.
 */


#ifndef _GOVERN_IDS_H_INCLUDED_
#define _GOVERN_IDS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define GOVERN_REQUEST_ID_MAX            64
#define GOVERN_TRACE_ID_LEN              32
#define GOVERN_SPAN_ID_LEN               16
#define GOVERN_TRACEPARENT_LEN           55


typedef struct {
    unsigned char  trace_id[GOVERN_TRACE_ID_LEN];   /* lower hex */
    unsigned char  parent_id[GOVERN_SPAN_ID_LEN];   /* lower hex */
    unsigned char  flags[2];                                 /* lower hex */
} govern_traceparent_t;


/*
 * Ids need to be unique and unguessable enough to not collide across
 * gateways, not secret: a per-process xoshiro256** stream seeded from the
 * OpenSSL CSPRNG costs nanoseconds, where RAND_bytes() per request costs
 * a getpid() and several locks.
 */

typedef struct {
    uint64_t       s[4];
} govern_rng_t;


void govern_rng_seed(govern_rng_t *rng,
    const unsigned char seed[32]);
void govern_rng_bytes(govern_rng_t *rng, unsigned char *dst,
    size_t len);
int govern_request_id_valid(const unsigned char *s, size_t len);
int govern_traceparent_parse(const unsigned char *s, size_t len,
    govern_traceparent_t *tp);
void govern_traceparent_format(unsigned char *dst,
    const govern_traceparent_t *tp);
void govern_hex(unsigned char *dst, const unsigned char *src,
    size_t len);


#endif /* _GOVERN_IDS_H_INCLUDED_ */
