
/*
 * govern: the fetch rules of an identity provider's key set
 * (govern_keys.h), and the freshness Cache-Control gives it.
 */


#include <string.h>

#include "govern_keys.h"


static void
govern_keys_start(govern_keys_state_t *state, int64_t now, uint64_t *fetch)
{
    state->fetching = 1;
    state->started = now;
    state->fetch++;
    *fetch = state->fetch;
}


govern_keys_action_e
govern_keys_decide(const govern_keys_policy_t *policy,
    govern_keys_state_t *state, int64_t now, govern_keys_need_e need,
    uint64_t *fetch, govern_keys_log_e *log)
{
    int  usable, may_start;

    *fetch = 0;
    *log = GOVERN_KEYS_LOG_NONE;

    /* a fetch whose worker died, or that nginx never ended */

    if (state->fetching && now - state->started >= policy->lease) {
        state->fetching = 0;
        *log = GOVERN_KEYS_LOG_LOST;
    }

    usable = govern_keys_usable(policy, state, now);

    if (!usable && state->generation && !state->expired) {
        state->expired = 1;
        *log = GOVERN_KEYS_LOG_EXPIRED;
    }

    may_start = !state->fetching
                && (state->fetch == 0
                    || now - state->started >= policy->min_refresh);

    if (need == GOVERN_KEYS_NEED_KID) {
        if (state->fetching) {
            return GOVERN_KEYS_WAIT;
        }

        if (may_start) {
            govern_keys_start(state, now, fetch);
            return GOVERN_KEYS_FETCH_WAIT;
        }

        return usable ? GOVERN_KEYS_REFUSE : GOVERN_KEYS_UNAVAILABLE;
    }

    if (usable) {
        if (now >= state->expires && may_start) {
            govern_keys_start(state, now, fetch);
            return GOVERN_KEYS_FETCH;
        }

        return GOVERN_KEYS_USE;
    }

    if (need == GOVERN_KEYS_NEED_ANY) {
        /* the other keys serve meanwhile */

        if (may_start) {
            govern_keys_start(state, now, fetch);
            return GOVERN_KEYS_FETCH;
        }

        return GOVERN_KEYS_USE;
    }

    if (state->fetching) {
        return GOVERN_KEYS_WAIT;
    }

    if (may_start) {
        govern_keys_start(state, now, fetch);
        return GOVERN_KEYS_FETCH_WAIT;
    }

    return GOVERN_KEYS_UNAVAILABLE;
}


int
govern_keys_done(const govern_keys_policy_t *policy,
    govern_keys_state_t *state, int64_t now, uint64_t fetch,
    govern_keys_result_e result, int changed, int64_t max_age,
    govern_keys_log_e *log)
{
    *log = GOVERN_KEYS_LOG_NONE;

    if (!state->fetching || fetch != state->fetch) {
        return -1;
    }

    state->fetching = 0;

    switch (result) {

    case GOVERN_KEYS_OK:
        if (changed || state->generation == 0) {
            state->generation++;
        }

        state->fetched = now;
        state->expires = now + govern_keys_ttl(policy, max_age);
        state->expired = 0;

        if (state->failing) {
            state->failing = 0;
            *log = GOVERN_KEYS_LOG_RECOVERED;
        }

        return 0;

    case GOVERN_KEYS_FAILED:
        if (!state->failing) {
            state->failing = 1;
            *log = GOVERN_KEYS_LOG_FAILING;
        }

        return 0;

    default:
        /* not the provider's doing: the next request may try again once
         * min_refresh has passed */
        return 0;
    }
}


int
govern_keys_usable(const govern_keys_policy_t *policy,
    const govern_keys_state_t *state, int64_t now)
{
    return state->generation != 0
           && now < state->expires + policy->stale;
}


int64_t
govern_keys_ttl(const govern_keys_policy_t *policy, int64_t max_age)
{
    if (max_age < 0 || max_age > policy->refresh) {
        return policy->refresh;
    }

    if (max_age < policy->min_refresh) {
        return policy->min_refresh;
    }

    return max_age;
}


static int
govern_http_token_is(const char *p, size_t len, const char *name)
{
    size_t  i, n;

    n = strlen(name);

    if (len != n) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if ((p[i] | 0x20) != name[i]) {
            return 0;
        }
    }

    return 1;
}


/* RFC 9111 5.2: a shared cache (the gateway serves every partner with
 * one set) takes s-maxage over max-age; no-cache and no-store mean now */

int64_t
govern_http_max_age(const char *value, size_t len)
{
    int64_t      n, max_age, s_maxage;
    const char  *p, *end, *name, *name_end, *v, *v_end;

    max_age = -1;
    s_maxage = -1;

    p = value;
    end = value + len;

    while (p < end) {

        while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) {
            p++;
        }

        name = p;

        while (p < end && *p != '=' && *p != ',' && *p != ' '
               && *p != '\t')
        {
            p++;
        }

        name_end = p;

        while (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        }

        v = NULL;
        v_end = NULL;

        if (p < end && *p == '=') {
            p++;

            while (p < end && (*p == ' ' || *p == '\t')) {
                p++;
            }

            if (p < end && *p == '"') {
                v = ++p;

                while (p < end && *p != '"') {
                    p++;
                }

                v_end = p;

                if (p < end) {
                    p++;
                }

            } else {
                v = p;

                while (p < end && *p != ',' && *p != ' ' && *p != '\t') {
                    p++;
                }

                v_end = p;
            }
        }

        while (p < end && *p != ',') {
            p++;
        }

        if (govern_http_token_is(name, name_end - name, "no-cache")
            || govern_http_token_is(name, name_end - name, "no-store"))
        {
            return 0;
        }

        if (v == NULL || v == v_end) {
            continue;
        }

        n = 0;

        for ( /* void */ ; v < v_end; v++) {
            if (*v < '0' || *v > '9') {
                n = -1;
                break;
            }

            if (n < 1000000000000LL) {
                n = n * 10 + (*v - '0');
            }
        }

        if (n < 0) {
            continue;
        }

        if (govern_http_token_is(name, name_end - name, "max-age")) {
            max_age = n;

        } else if (govern_http_token_is(name, name_end - name, "s-maxage")) {
            s_maxage = n;
        }
    }

    return s_maxage >= 0 ? s_maxage : max_age;
}
