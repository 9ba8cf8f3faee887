
/*
 * govern: X-Request-Id validation and W3C traceparent
 * (https://www.w3.org/TR/trace-context/) parsing and formatting.
 */


#include <string.h>

#include "govern_ids.h"


static uint64_t govern_rng_next(govern_rng_t *rng);
static int govern_lower_hex(const unsigned char *s, size_t len,
    int reject_zero);


/*
 * An inbound id is kept only when it cannot inject anything into logs,
 * headers or JSON: 1 to 64 characters of [A-Za-z0-9._-].
 */

int
govern_request_id_valid(const unsigned char *s, size_t len)
{
    size_t         i;
    unsigned char  c;

    if (len == 0 || len > GOVERN_REQUEST_ID_MAX) {
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
govern_traceparent_parse(const unsigned char *s, size_t len,
    govern_traceparent_t *tp)
{
    if (len < GOVERN_TRACEPARENT_LEN) {
        return 0;
    }

    if (!govern_lower_hex(s, 2, 0)
        || (s[0] == 'f' && s[1] == 'f'))
    {
        return 0;
    }

    if (s[0] == '0' && s[1] == '0') {
        if (len != GOVERN_TRACEPARENT_LEN) {
            return 0;
        }

    } else if (len > GOVERN_TRACEPARENT_LEN
               && s[GOVERN_TRACEPARENT_LEN] != '-')
    {
        return 0;
    }

    if (s[2] != '-' || s[35] != '-' || s[52] != '-') {
        return 0;
    }

    if (!govern_lower_hex(&s[3], GOVERN_TRACE_ID_LEN, 1)
        || !govern_lower_hex(&s[36], GOVERN_SPAN_ID_LEN, 1)
        || !govern_lower_hex(&s[53], 2, 0))
    {
        return 0;
    }

    memcpy(tp->trace_id, &s[3], GOVERN_TRACE_ID_LEN);
    memcpy(tp->parent_id, &s[36], GOVERN_SPAN_ID_LEN);
    memcpy(tp->flags, &s[53], 2);

    return 1;
}


/* writes exactly GOVERN_TRACEPARENT_LEN bytes, version 00 */

void
govern_traceparent_format(unsigned char *dst,
    const govern_traceparent_t *tp)
{
    dst[0] = '0';
    dst[1] = '0';
    dst[2] = '-';
    memcpy(&dst[3], tp->trace_id, GOVERN_TRACE_ID_LEN);
    dst[35] = '-';
    memcpy(&dst[36], tp->parent_id, GOVERN_SPAN_ID_LEN);
    dst[52] = '-';
    memcpy(&dst[53], tp->flags, 2);
}


void
govern_hex(unsigned char *dst, const unsigned char *src, size_t len)
{
    static const char  hex[] = "0123456789abcdef";

    while (len--) {
        *dst++ = hex[*src >> 4];
        *dst++ = hex[*src++ & 0xf];
    }
}


static int
govern_lower_hex(const unsigned char *s, size_t len,
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
govern_rng_seed(govern_rng_t *rng,
    const unsigned char seed[32])
{
    memcpy(rng->s, seed, sizeof(rng->s));

    /* the all-zero state is the one xoshiro cannot leave */
    if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0) {
        rng->s[0] = 0x9e3779b97f4a7c15ULL;
    }
}


void
govern_rng_bytes(govern_rng_t *rng, unsigned char *dst,
    size_t len)
{
    size_t    n;
    uint64_t  v;

    while (len) {
        v = govern_rng_next(rng);
        n = len < sizeof(v) ? len : sizeof(v);
        memcpy(dst, &v, n);
        dst += n;
        len -= n;
    }
}


#define govern_rotl(x, k)  (((x) << (k)) | ((x) >> (64 - (k))))


/* xoshiro256** by Blackman and Vigna */

static uint64_t
govern_rng_next(govern_rng_t *rng)
{
    uint64_t  result, t;

    result = govern_rotl(rng->s[1] * 5, 7) * 9;
    t = rng->s[1] << 17;

    rng->s[2] ^= rng->s[0];
    rng->s[3] ^= rng->s[1];
    rng->s[1] ^= rng->s[2];
    rng->s[0] ^= rng->s[3];

    rng->s[2] ^= t;
    rng->s[3] = govern_rotl(rng->s[3], 45);

    return result;
}
