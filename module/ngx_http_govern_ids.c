
/*
 * govern: X-Request-Id validation and W3C traceparent
 * (https://www.w3.org/TR/trace-context/) parsing and formatting.
 */


#include <string.h>

#include "ngx_http_govern_ids.h"


static uint64_t ngx_http_govern_rng_next(ngx_http_govern_rng_t *rng);
static int ngx_http_govern_lower_hex(const unsigned char *s, size_t len,
    int reject_zero);


/*
 * An inbound id is kept only when it cannot inject anything into logs,
 * headers or JSON: 1 to 64 characters of [A-Za-z0-9._-].
 */

int
ngx_http_govern_request_id_valid(const unsigned char *s, size_t len)
{
    size_t         i;
    unsigned char  c;

    if (len == 0 || len > NGX_HTTP_GOVERN_REQUEST_ID_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = s[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
        {
            continue;
        }

        return 0;
    }

    return 1;
}


/*
 * version "-" trace-id "-" parent-id "-" trace-flags, all lower-case hex;
 * version ff and all-zero ids are invalid; a future version may append
 * fields after a further "-", version 00 may not.
 */

int
ngx_http_govern_traceparent_parse(const unsigned char *s, size_t len,
    ngx_http_govern_traceparent_t *tp)
{
    if (len < NGX_HTTP_GOVERN_TRACEPARENT_LEN) {
        return 0;
    }

    if (!ngx_http_govern_lower_hex(s, 2, 0)
        || (s[0] == 'f' && s[1] == 'f'))
    {
        return 0;
    }

    if (s[0] == '0' && s[1] == '0') {
        if (len != NGX_HTTP_GOVERN_TRACEPARENT_LEN) {
            return 0;
        }

    } else if (len > NGX_HTTP_GOVERN_TRACEPARENT_LEN
               && s[NGX_HTTP_GOVERN_TRACEPARENT_LEN] != '-')
    {
        return 0;
    }

    if (s[2] != '-' || s[35] != '-' || s[52] != '-') {
        return 0;
    }

    if (!ngx_http_govern_lower_hex(&s[3], NGX_HTTP_GOVERN_TRACE_ID_LEN, 1)
        || !ngx_http_govern_lower_hex(&s[36], NGX_HTTP_GOVERN_SPAN_ID_LEN, 1)
        || !ngx_http_govern_lower_hex(&s[53], 2, 0))
    {
        return 0;
    }

    memcpy(tp->trace_id, &s[3], NGX_HTTP_GOVERN_TRACE_ID_LEN);
    memcpy(tp->parent_id, &s[36], NGX_HTTP_GOVERN_SPAN_ID_LEN);
    memcpy(tp->flags, &s[53], 2);

    return 1;
}


/* writes exactly NGX_HTTP_GOVERN_TRACEPARENT_LEN bytes, version 00 */

void
ngx_http_govern_traceparent_format(unsigned char *dst,
    const ngx_http_govern_traceparent_t *tp)
{
    dst[0] = '0';
    dst[1] = '0';
    dst[2] = '-';
    memcpy(&dst[3], tp->trace_id, NGX_HTTP_GOVERN_TRACE_ID_LEN);
    dst[35] = '-';
    memcpy(&dst[36], tp->parent_id, NGX_HTTP_GOVERN_SPAN_ID_LEN);
    dst[52] = '-';
    memcpy(&dst[53], tp->flags, 2);
}


void
ngx_http_govern_hex(unsigned char *dst, const unsigned char *src, size_t len)
{
    static const char  hex[] = "0123456789abcdef";

    while (len--) {
        *dst++ = hex[*src >> 4];
        *dst++ = hex[*src++ & 0xf];
    }
}


static int
ngx_http_govern_lower_hex(const unsigned char *s, size_t len,
    int reject_zero)
{
    size_t  i;
    int     nonzero;

    nonzero = 0;

    for (i = 0; i < len; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            nonzero |= (s[i] != '0');
            continue;
        }

        if (s[i] >= 'a' && s[i] <= 'f') {
            nonzero = 1;
            continue;
        }

        return 0;
    }

    return reject_zero ? nonzero : 1;
}


void
ngx_http_govern_rng_seed(ngx_http_govern_rng_t *rng,
    const unsigned char seed[32])
{
    memcpy(rng->s, seed, sizeof(rng->s));

    /* the all-zero state is the one xoshiro cannot leave */
    if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0) {
        rng->s[0] = 0x9e3779b97f4a7c15ULL;
    }
}


void
ngx_http_govern_rng_bytes(ngx_http_govern_rng_t *rng, unsigned char *dst,
    size_t len)
{
    size_t    n;
    uint64_t  v;

    while (len) {
        v = ngx_http_govern_rng_next(rng);
        n = len < sizeof(v) ? len : sizeof(v);
        memcpy(dst, &v, n);
        dst += n;
        len -= n;
    }
}


#define ngx_http_govern_rotl(x, k)  (((x) << (k)) | ((x) >> (64 - (k))))


/* xoshiro256** by Blackman and Vigna */

static uint64_t
ngx_http_govern_rng_next(ngx_http_govern_rng_t *rng)
{
    uint64_t  result, t;

    result = ngx_http_govern_rotl(rng->s[1] * 5, 7) * 9;
    t = rng->s[1] << 17;

    rng->s[2] ^= rng->s[0];
    rng->s[3] ^= rng->s[1];
    rng->s[1] ^= rng->s[2];
    rng->s[0] ^= rng->s[3];

    rng->s[2] ^= t;
    rng->s[3] = ngx_http_govern_rotl(rng->s[3], 45);

    return result;
}
