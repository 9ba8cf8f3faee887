
/*
 * govern: when to fetch an identity provider's key set (JWKS), as a state
 * machine over plain numbers, so that the rules are unit-tested apart
 * from nginx: the glue keeps the state in shared memory, under a lock,
 * and calls these functions with the time in milliseconds.
 *
 * The rules (DESIGN section 3, govern_jwt_keys_request):
 *   - one fetch at a time, and no fetch starts less than min_refresh
 *     after the previous one started (the very first excepted): a flood
 *     of tokens with unknown kids costs the provider one fetch per
 *     min_refresh at most;
 *   - a set is fresh for its max-age bounded to [min_refresh, refresh];
 *     after that the next request starts a fetch in the background and is
 *     served with the set in force;
 *   - a set outlives failed refreshes by "stale" past its freshness, then
 *     it is unusable (503 keys_unavailable);
 *   - only the first load (no usable set) and an unknown kid wait.
 */


#ifndef _GOVERN_KEYS_H_INCLUDED_
#define _GOVERN_KEYS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


typedef struct {
    int64_t                     refresh;        /* ms */
    int64_t                     min_refresh;    /* ms */
    int64_t                     stale;          /* ms */
    int64_t                     lease;          /* ms: a fetch not ended by
                                                   then is taken as lost */
} govern_keys_policy_t;


typedef struct {
    uint64_t                    generation;     /* of the set; 0: none */
    uint64_t                    fetch;          /* the last fetch started */
    int64_t                     fetched;        /* the set last arrived */
    int64_t                     expires;        /* it is due for refresh */
    int64_t                     started;        /* the last fetch started */
    unsigned                    fetching:1;
    unsigned                    failing:1;      /* the last fetch failed */
    unsigned                    expired:1;      /* past stale, logged */
} govern_keys_state_t;


/* what a request needs of the set */
typedef enum {
    GOVERN_KEYS_NEED_SET = 0,       /* no other key: a usable set */
    GOVERN_KEYS_NEED_ANY,           /* file keys too: the set if usable */
    GOVERN_KEYS_NEED_KID            /* a kid the set in force lacks */
} govern_keys_need_e;


typedef enum {
    GOVERN_KEYS_USE = 0,            /* go on with the set in force */
    GOVERN_KEYS_FETCH,              /* go on; a fetch starts, in the
                                       background */
    GOVERN_KEYS_WAIT,               /* wait for the fetch in flight */
    GOVERN_KEYS_FETCH_WAIT,         /* a fetch starts: wait for it */
    GOVERN_KEYS_REFUSE,             /* the kid is unknown, and no fetch may
                                       start now: token_signature */
    GOVERN_KEYS_UNAVAILABLE         /* no usable set, none coming:
                                       keys_unavailable */
} govern_keys_action_e;


/* what the error log should say, once per change of state */
typedef enum {
    GOVERN_KEYS_LOG_NONE = 0,
    GOVERN_KEYS_LOG_FAILING,        /* a fetch failed after a good one */
    GOVERN_KEYS_LOG_RECOVERED,      /* a fetch succeeded after failures */
    GOVERN_KEYS_LOG_EXPIRED,        /* the set went past stale */
    GOVERN_KEYS_LOG_LOST            /* a fetch never ended (lease) */
} govern_keys_log_e;


typedef enum {
    GOVERN_KEYS_OK = 0,
    GOVERN_KEYS_FAILED,             /* the provider's fault */
    GOVERN_KEYS_ABORTED             /* the request carrying it ended */
} govern_keys_result_e;


/*
 * The decision for one request at "now".  A fetch it starts is numbered
 * in *fetch (and recorded in the state); *log says what to log.
 */
govern_keys_action_e govern_keys_decide(const govern_keys_policy_t *policy,
    govern_keys_state_t *state, int64_t now, govern_keys_need_e need,
    uint64_t *fetch, govern_keys_log_e *log);

/*
 * Fetch number "fetch" ended.  With GOVERN_KEYS_OK, "changed" says the
 * set differs from the one in force (a new generation) and "max_age" is
 * the response's (-1: none).  A fetch that is no longer the one in
 * flight (its lease expired) changes nothing: returns -1.  Else 0, and
 * *log says what to log.
 */
int govern_keys_done(const govern_keys_policy_t *policy,
    govern_keys_state_t *state, int64_t now, uint64_t fetch,
    govern_keys_result_e result, int changed, int64_t max_age,
    govern_keys_log_e *log);

/* whether the set in force may verify tokens at "now" */
int govern_keys_usable(const govern_keys_policy_t *policy,
    const govern_keys_state_t *state, int64_t now);

/* how long a set is fresh: max_age (ms, -1: none) within the bounds */
int64_t govern_keys_ttl(const govern_keys_policy_t *policy,
    int64_t max_age);

/*
 * The freshness a Cache-Control value gives, in seconds: max-age=N; 0
 * for no-cache or no-store; -1 when it says nothing of it (or N is not a
 * number).  Directives are case-insensitive, separated by commas.
 */
int64_t govern_http_max_age(const char *value, size_t len);


#endif /* _GOVERN_KEYS_H_INCLUDED_ */
