
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
 * The Redis side of the same arithmetic, and the revocation check of the
 * request's token in the same call (DESIGN section 7).  One EVALSHA
 * decides the requests of one loop turn that share their keys and token:
 * one after another, at one instant of Redis's clock, as as many calls
 * in a row would.  KEYS are the revocation keys (ARGV[1] of them: none,
 * the partner's hash, and the token's jti key), then the buckets; ARGV[2]
 * is the token's iat ('' without one), ARGV[3] how many requests are
 * decided, then four numbers per bucket (capacity, count, period in ms,
 * and how long an idle bucket is kept: until it would be full again from
 * empty, plus a second).  Redis's own clock is used, so gateways with
 * skewed clocks still share one exact bucket.
 *
 * Returns {taken, tokens_1, ...}: how many of the requests passed (the
 * first ones: each passes while every bucket still holds a whole token),
 * and each bucket's tokens before any was taken, a little-endian double
 * (govern_buckets_decide() gives each request its answer from them); or
 * {-1, kind} for a revoked token (1 the partner is blocked, 2 issued
 * before the partner's cut-off, 3 its jti): then no bucket is touched.
 * Without buckets it is the revocation check alone: {1, 0}.
 *
 * The script runs in Redis for every governed request, so it is written
 * for Redis's CPU.  A bucket is stored as two little-endian doubles,
 * tokens then ms timestamp (struct.pack "<dd"): turning numbers into text
 * and back (printf and strtod in Redis) was a fifth of each call.  Any
 * other value, like one a broken writer left, counts as a full bucket;
 * a NaN fails both tests and does too.  A cut-off that is not a number is
 * ignored.
 */

const char  govern_rate_script[] =
    "local r = tonumber(ARGV[1])\n"
    "if r > 0 then\n"
    "  local v = redis.call('HMGET', KEYS[1], 'partner', 'iat')\n"
    "  if v[1] then return {-1, 1} end\n"
    "  local cut = tonumber(v[2])\n"
    "  if cut and (ARGV[2] == '' or tonumber(ARGV[2]) < cut) then\n"
    "    return {-1, 2}\n"
    "  end\n"
    "  if r > 1 and redis.call('EXISTS', KEYS[2]) == 1 then\n"
    "    return {-1, 3}\n"
    "  end\n"
    "end\n"
    "local n = #KEYS - r\n"
    "if n == 0 then return {1, 0} end\n"
    "local floor, min, pack = math.floor, math.min, struct.pack\n"
    "local t = redis.call('TIME')\n"
    "local now = t[1] * 1000 + floor(t[2] / 1000)\n"
    "local take = tonumber(ARGV[3])\n"
    "local out, tks = {0}, {}\n"
    "local tk, ts, cap, v\n"
    "for i = 1, n do\n"
    "  cap = tonumber(ARGV[4 * i])\n"
    "  tk = cap\n"
    "  v = redis.call('GET', KEYS[r + i])\n"
    "  if v and #v == 16 then\n"
    "    tk, ts = struct.unpack('<dd', v)\n"
    "    if not (tk >= 0 and ts >= 0) then tk = cap end\n"
    "    if tk > cap then tk = cap end\n"
    "    if now > ts then\n"
    "      local per = ARGV[4 * i + 2] / ARGV[4 * i + 1]\n"
    "      tk = min(cap, tk + (now - ts) / per)\n"
    "    end\n"
    "  end\n"
    "  if tk < take then take = floor(tk) end\n"
    "  tks[i] = tk\n"
    "  out[i + 1] = pack('<d', tk)\n"
    "end\n"
    "if take > 0 then\n"
    "  for i = 1, n do\n"
    "    redis.call('SET', KEYS[r + i], pack('<dd', tks[i] - take, now),\n"
    "               'PX', ARGV[4 * i + 3])\n"
    "  end\n"
    "end\n"
    "out[1] = take\n"
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


/*
 * The answer to the j-th (from 0) of the requests one script call
 * decided, from each bucket's tokens before the call took "taken" of
 * them: the first "taken" passed, one token each, and the others were
 * refused with what the passing ones left.  The same arithmetic as
 * govern_buckets_take(), as if each request had been a call of its own.
 */

int
govern_buckets_decide(const govern_limit_t *limits, const double *tokens,
    size_t n, uint64_t taken, uint64_t j, govern_limit_state_t *states,
    uint64_t *retry_ms)
{
    int     allowed;
    size_t  i;
    double  per, left, wait;

    allowed = j < taken;
    *retry_ms = 0;

    for (i = 0; i < n; i++) {
        per = (double) limits[i].period_ms / (double) limits[i].count;

        /* what this request saw, less its own token if it passed */
        left = tokens[i] - (double) (allowed ? j + 1 : taken);

        if (!allowed && left < 1) {
            wait = ceil((1 - left) * per);

            if (wait > (double) *retry_ms) {
                *retry_ms = (uint64_t) wait;
            }
        }

        states[i].remaining = left > 0 ? (uint64_t) floor(left) : 0;
        states[i].reset_ms = (uint64_t)
                             ceil(((double) limits[i].capacity - left) * per);
    }

    return allowed;
}


/* a double as the script packs it, little-endian, on any host */

double
govern_rate_unpack(const unsigned char *p)
{
    int       i;
    double    d;
    uint64_t  u;

    u = 0;

    for (i = 7; i >= 0; i--) {
        u = (u << 8) | p[i];
    }

    memcpy(&d, &u, sizeof(double));

    return d;
}
