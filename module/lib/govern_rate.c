
/*
 * govern: token buckets.
 *
 * A request passes only if every bucket of its limits holds a whole
 * token; then each loses one.  A refused request takes nothing, so a
 * partner hammering a limit does not starve itself further, and the
 * tightest limit decides Retry-After.
 */


#include <math.h>
#include <string.h>

#include "govern_rate.h"


/*
 * The Redis side of the same arithmetic, one EVALSHA per request:
 * KEYS are the buckets, ARGV four numbers per bucket (capacity, count,
 * period in ms, and how long an idle bucket is kept: until it would be
 * full again from empty, plus a second).  Redis's own clock is used, so
 * gateways with skewed clocks still share one exact bucket.  Returns
 * {allowed, retry_ms, remaining_1, reset_ms_1, ...}.
 *
 * The script runs in Redis for every governed request, so it is written
 * for Redis's CPU.  A bucket is stored as two little-endian doubles,
 * tokens then ms timestamp (struct.pack "<dd"): turning numbers into text
 * and back (printf and strtod in Redis) was a fifth of each call.  Any
 * other value, like one a broken writer left, counts as a full bucket;
 * a NaN fails both tests and does too.  One bucket (the common route)
 * needs no tables.
 */

const char  govern_rate_script[] =
    "local ceil, floor, min = math.ceil, math.floor, math.min\n"
    "local t = redis.call('TIME')\n"
    "local now = t[1] * 1000 + floor(t[2] / 1000)\n"
    "local n = #KEYS\n"
    "local tokens, pers, caps\n"
    "if n > 1 then tokens, pers, caps = {}, {}, {} end\n"
    "local allowed, retry, tk, ts, per, cap, v = 1, 0\n"
    "for i = 1, n do\n"
    "  cap = tonumber(ARGV[4 * i - 3])\n"
    "  per = ARGV[4 * i - 1] / ARGV[4 * i - 2]\n"
    "  tk = cap\n"
    "  v = redis.call('GET', KEYS[i])\n"
    "  if v and #v == 16 then\n"
    "    tk, ts = struct.unpack('<dd', v)\n"
    "    if not (tk >= 0 and ts >= 0) then tk = cap end\n"
    "    if tk > cap then tk = cap end\n"
    "    if now > ts then tk = min(cap, tk + (now - ts) / per) end\n"
    "  end\n"
    "  if n > 1 then tokens[i], pers[i], caps[i] = tk, per, cap end\n"
    "  if tk < 1 then\n"
    "    allowed = 0\n"
    "    local wait = ceil((1 - tk) * per)\n"
    "    if wait > retry then retry = wait end\n"
    "  end\n"
    "end\n"
    "local out = {allowed, retry}\n"
    "for i = 1, n do\n"
    "  if n > 1 then tk, per, cap = tokens[i], pers[i], caps[i] end\n"
    "  if allowed == 1 then\n"
    "    tk = tk - 1\n"
    "    redis.call('SET', KEYS[i], struct.pack('<dd', tk, now), 'PX',\n"
    "               ARGV[4 * i])\n"
    "  end\n"
    "  out[2 * i + 1] = floor(tk)\n"
    "  out[2 * i + 2] = ceil((cap - tk) * per)\n"
    "end\n"
    "return out\n";


/* "20r/s", "600r/m", "1000r/h", "50000r/d" */

int
govern_rate_parse(const char *s, size_t len,
    govern_rate_t *rate)
{
    size_t    i;
    uint64_t  n;

    n = 0;

    for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (n > 1000000000ULL) {
            return 0;
        }

        n = n * 10 + (s[i] - '0');
    }

    if (i == 0 || n == 0 || len - i != 3 || s[i] != 'r' || s[i + 1] != '/')
    {
        return 0;
    }

    switch (s[i + 2]) {
    case 's':
        rate->period_ms = 1000;
        break;
    case 'm':
        rate->period_ms = 60 * 1000;
        break;
    case 'h':
        rate->period_ms = 3600 * 1000;
        break;
    case 'd':
        rate->period_ms = 86400 * 1000;
        break;
    default:
        return 0;
    }

    rate->count = n;

    return 1;
}


int
govern_buckets_take(govern_bucket_t **buckets,
    const govern_limit_t *limits, size_t n, int64_t now_ms,
    govern_limit_state_t *states, uint64_t *retry_ms)
{
    int                        allowed;
    size_t                     i;
    double                     rate, per, tokens, wait;
    govern_bucket_t           *b;

    allowed = 1;
    *retry_ms = 0;

    for (i = 0; i < n; i++) {
        b = buckets[i];
        rate = (double) limits[i].count / (double) limits[i].period_ms;

        if (b->ts_ms == 0) {
            b->tokens = (double) limits[i].capacity;
            b->ts_ms = now_ms;
        }

        if (b->tokens > (double) limits[i].capacity) {
            b->tokens = (double) limits[i].capacity;
        }

        if (now_ms > b->ts_ms) {
            b->tokens = fmin((double) limits[i].capacity,
                             b->tokens + (double) (now_ms - b->ts_ms) * rate);
            b->ts_ms = now_ms;
        }

        if (b->tokens < 1) {
            allowed = 0;

            /* ms per token, not 1 / rate: exact for whole periods */
            per = (double) limits[i].period_ms / (double) limits[i].count;
            wait = ceil((1 - b->tokens) * per);

            if (wait > (double) *retry_ms) {
                *retry_ms = (uint64_t) wait;
            }
        }
    }

    for (i = 0; i < n; i++) {
        b = buckets[i];
        per = (double) limits[i].period_ms / (double) limits[i].count;

        if (allowed) {
            b->tokens -= 1;
        }

        tokens = b->tokens;
        states[i].remaining = tokens > 0 ? (uint64_t) floor(tokens) : 0;
        states[i].reset_ms = (uint64_t)
                             ceil(((double) limits[i].capacity - tokens) * per);
    }

    return allowed;
}
