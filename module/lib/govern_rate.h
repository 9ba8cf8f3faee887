
/*
 * govern: rate limits as token buckets: rate parsing, the bucket
 * arithmetic of the local fallback, and the Redis script that decides
 * every limit of a request at once.  Pure logic: no nginx types.
 */


#ifndef _GOVERN_RATE_H_INCLUDED_
#define _GOVERN_RATE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


typedef struct {
    uint64_t     count;         /* tokens per period */
    uint64_t     period_ms;
} govern_rate_t;


/* a bucket of "capacity" tokens, refilled at count per period */

typedef struct {
    uint64_t     capacity;
    uint64_t     count;
    uint64_t     period_ms;
} govern_limit_t;


typedef struct {
    double       tokens;
    int64_t      ts_ms;
} govern_bucket_t;


typedef struct {
    uint64_t     remaining;     /* whole tokens left */
    uint64_t     reset_ms;      /* until the bucket is full again */
} govern_limit_state_t;


extern const char  govern_rate_script[];


int govern_rate_parse(const char *s, size_t len,
    govern_rate_t *rate);
int govern_buckets_take(govern_bucket_t **buckets,
    const govern_limit_t *limits, size_t n, int64_t now_ms,
    govern_limit_state_t *states, uint64_t *retry_ms);
int govern_buckets_decide(const govern_limit_t *limits,
    const double *tokens, size_t n, uint64_t taken, uint64_t j,
    govern_limit_state_t *states, uint64_t *retry_ms);
double govern_rate_unpack(const unsigned char *p);


#endif /* _GOVERN_RATE_H_INCLUDED_ */
