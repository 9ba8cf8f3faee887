
/*
 * govern: counters shared by the workers, exposed in Prometheus's text
 * format by "govern_metrics".
 *
 * Governed requests are counted at the log phase by route, decision and
 * reason; routes take a slot of a shared table on first use, so the table
 * needs nothing from the configuration and survives reloads (counters
 * restart only with the master).  Slots are never freed and their names
 * are written before they are published, so readers see a whole name or
 * none.  A worker that meets a slot another one is still writing probes
 * on: the same route may then own two slots, which the exposition sums.
 * Partners are not a label: their number is not bounded.
 */


#include "ngx_http_govern_observe.h"


#define GOVERN_METRICS_ROUTES      256
#define GOVERN_METRICS_NAME        128      /* longer names: route="" */

/* the fixed text, counted once for the buffer and written once */

#define GOVERN_METRICS_REQUESTS_HEAD                                          \
    "# HELP govern_requests_total Governed requests by route, decision "      \
    "and reason.\n# TYPE govern_requests_total counter\n"
#define GOVERN_METRICS_CACHE_HEAD                                             \
    "# HELP govern_token_cache_total Verified-token cache lookups.\n"         \
    "# TYPE govern_token_cache_total counter\n"
#define GOVERN_METRICS_RATELIMIT_HEAD                                         \
    "# HELP govern_ratelimit_total Rate-limit decisions by where they were "  \
    "taken.\n# TYPE govern_ratelimit_total counter\n"
#define GOVERN_METRICS_AUDIT_HEAD                                             \
    "# HELP govern_audit_records_total Audit records of requests, written "   \
    "or lost.\n# TYPE govern_audit_records_total counter\n"
#define GOVERN_METRICS_AUDIT_FAILURES_HEAD                                    \
    "# HELP govern_audit_write_failures_total Writes of audit records that "  \
    "failed.\n# TYPE govern_audit_write_failures_total counter\n"
#define GOVERN_METRICS_REDIS_HEAD                                             \
    "# HELP govern_redis_up Whether Redis is in use (no node's breaker is "   \
    "open).\n# TYPE govern_redis_up gauge\n"
#define GOVERN_METRICS_NODE_HEAD                                              \
    "# HELP govern_redis_node_up Whether a Redis node is in use (its "        \
    "breaker is closed).\n# TYPE govern_redis_node_up gauge\n"
#define GOVERN_METRICS_REDIRECT_HEAD                                          \
    "# HELP govern_redis_redirections_total Redis Cluster redirections "      \
    "followed, by kind.\n# TYPE govern_redis_redirections_total counter\n"

#define GOVERN_METRICS_JWKS_HEAD                                              \
    "# HELP govern_jwks_fetches_total Fetches of the identity provider's "    \
    "key set by source and result.\n"                                         \
    "# TYPE govern_jwks_fetches_total counter\n"
#define GOVERN_METRICS_JWKS_AGE_HEAD                                          \
    "# HELP govern_jwks_age_seconds Time since the key set in force "         \
    "arrived.\n# TYPE govern_jwks_age_seconds gauge\n"
#define GOVERN_METRICS_JWKS_KEYS_HEAD                                         \
    "# HELP govern_jwks_keys Usable keys in the key set in force.\n"          \
    "# TYPE govern_jwks_keys gauge\n"

#define GOVERN_METRICS_REVOCATION_HEAD                                        \
    "# HELP govern_revocation_total Revocation checks by result (partner, "  \
    "iat, jti: refusals; unchecked: let through, Redis unavailable).\n"       \
    "# TYPE govern_revocation_total counter\n"

#define govern_metrics_head(p, head)  ngx_cpymem(p, head, sizeof(head) - 1)

/* a route's count of one reason and decision in the handler's snapshot */
#define govern_metrics_count(counts, route, reason, allowed)                  \
    (counts)[((route) * GOVERN_REASON_LAST + (reason)) * 2           \
             + (allowed)]

#define GOVERN_SLOT_FREE           0
#define GOVERN_SLOT_WRITING        1
#define GOVERN_SLOT_PUBLISHED      2


typedef struct {
    ngx_atomic_t                 state;
    ngx_uint_t                   hash;
    size_t                       len;
    u_char                       name[GOVERN_METRICS_NAME];
    /* [reason][allowed] */
    ngx_atomic_t                 requests[GOVERN_REASON_LAST][2];
} ngx_http_govern_metrics_route_t;


typedef struct {
    ngx_atomic_t                 token_cache[2];    /* miss, hit */
    ngx_atomic_t                 ratelimit[3];      /* by source */
    ngx_atomic_t                 revocation[GOVERN_REVOKE_JTI + 1];
    ngx_http_govern_metrics_route_t  other;         /* table full, or long */
    ngx_http_govern_metrics_route_t  routes[GOVERN_METRICS_ROUTES];
    ngx_atomic_t                 audit[3];          /* written, lost,
                                                       write failures */
} ngx_http_govern_metrics_t;


static ngx_int_t ngx_http_govern_metrics_init_zone(ngx_shm_zone_t *zone,
    void *data);
static ngx_http_govern_metrics_route_t *ngx_http_govern_metrics_route(
    ngx_http_govern_metrics_t *m, ngx_str_t *name);
static ngx_int_t ngx_http_govern_metrics_handler(ngx_http_request_t *r);
static u_char *ngx_http_govern_metrics_label(u_char *p, u_char *s,
    size_t len);
static u_char *ngx_http_govern_metrics_jwks(u_char *p,
    ngx_http_govern_main_conf_t *gmcf);


static const char  *ngx_http_govern_metrics_sources[] = {
    "none", "redis", "local"
};


static const char  *ngx_http_govern_metrics_fetches[] = {
    "ok", "error", "invalid", "aborted"
};


static const char  *ngx_http_govern_metrics_redirects[] = {
    "moved", "ask", "tryagain"
};


/* govern_metrics: this location answers with the counters */

char *
ngx_http_govern_metrics_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_str_t                     name;
    ngx_shm_zone_t               *zone;
    ngx_http_core_loc_conf_t     *clcf;
    ngx_http_govern_main_conf_t  *gmcf;

    gmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_govern_module);

    if (gmcf->metrics == NULL) {
        ngx_str_set(&name, "govern_metrics");

        zone = ngx_shared_memory_add(cf, &name,
                                     ngx_align(sizeof(ngx_http_govern_metrics_t)
                                               + 8 * ngx_pagesize,
                                               ngx_pagesize),
                                     &ngx_http_govern_module);
        if (zone == NULL) {
            return NGX_CONF_ERROR;
        }

        zone->init = ngx_http_govern_metrics_init_zone;
        gmcf->metrics = zone;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_govern_metrics_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_govern_metrics_init_zone(ngx_shm_zone_t *zone, void *data)
{
    ngx_slab_pool_t  *shpool;

    if (data) {
        zone->data = data;              /* a reload keeps the counters */
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    zone->data = ngx_slab_calloc(shpool, sizeof(ngx_http_govern_metrics_t));
    if (zone->data == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the log phase: one governed request, as its audit record decided it */

void
ngx_http_govern_metrics_count(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    ngx_uint_t                        reason;
    ngx_http_govern_metrics_t        *m;
    ngx_http_govern_main_conf_t      *gmcf;
    ngx_http_govern_metrics_route_t  *route;

    gmcf = ngx_http_get_module_main_conf(r, ngx_http_govern_module);

    if (gmcf->metrics == NULL) {
        return;
    }

    m = gmcf->metrics->data;
    route = ngx_http_govern_metrics_route(m, &ctx->route);

    reason = ctx->reason < GOVERN_REASON_LAST ? ctx->reason : 0;

    (void) ngx_atomic_fetch_add(&route->requests[reason][ctx->allowed ? 1 : 0],
                                1);

    if (ctx->rl) {
        (void) ngx_atomic_fetch_add(
                   &m->ratelimit[ngx_http_govern_ratelimit_source(ctx->rl)],
                   1);
    }

    if (ctx->token_cache) {
        (void) ngx_atomic_fetch_add(
                   &m->token_cache[ctx->token_cache == 1 ? 1 : 0], 1);
    }

    if (ctx->revocation && ctx->revocation <= GOVERN_REVOKE_JTI) {
        (void) ngx_atomic_fetch_add(&m->revocation[ctx->revocation], 1);
    }
}


/* audit records written and lost, and failed writes (no request here:
 * a flush runs on a timer too) */

void
ngx_http_govern_metrics_audit(ngx_uint_t written, ngx_uint_t lost,
    ngx_uint_t failures)
{
    ngx_http_govern_metrics_t    *m;
    ngx_http_govern_main_conf_t  *gmcf;

    gmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_http_govern_module);

    if (gmcf == NULL || gmcf->metrics == NULL
        || gmcf->metrics->data == NULL)
    {
        return;
    }

    m = gmcf->metrics->data;

    if (written) {
        (void) ngx_atomic_fetch_add(&m->audit[0], written);
    }

    if (lost) {
        (void) ngx_atomic_fetch_add(&m->audit[1], lost);
    }

    if (failures) {
        (void) ngx_atomic_fetch_add(&m->audit[2], failures);
    }
}


static ngx_http_govern_metrics_route_t *
ngx_http_govern_metrics_route(ngx_http_govern_metrics_t *m, ngx_str_t *name)
{
    ngx_uint_t                        i, n, hash;
    ngx_http_govern_metrics_route_t  *slot;

    if (name->len == 0 || name->len > GOVERN_METRICS_NAME) {
        return &m->other;
    }

    hash = ngx_hash_key(name->data, name->len);

    for (n = 0; n < GOVERN_METRICS_ROUTES; n++) {
        i = (hash + n) % GOVERN_METRICS_ROUTES;
        slot = &m->routes[i];

        if (slot->state == GOVERN_SLOT_PUBLISHED) {
            ngx_memory_barrier();       /* then its name */

            if (slot->hash == hash && slot->len == name->len
                && ngx_memcmp(slot->name, name->data, name->len) == 0)
            {
                return slot;
            }

            continue;
        }

        if (slot->state == GOVERN_SLOT_FREE
            && ngx_atomic_cmp_set(&slot->state, GOVERN_SLOT_FREE,
                                  GOVERN_SLOT_WRITING))
        {
            slot->hash = hash;
            slot->len = name->len;
            ngx_memcpy(slot->name, name->data, name->len);

            ngx_memory_barrier();
            slot->state = GOVERN_SLOT_PUBLISHED;

            return slot;
        }
    }

    return &m->other;
}


/*
 * GET /metrics: a snapshot of the counters in Prometheus's text format,
 * one series per route, decision and reason seen (zeros are left out).
 */

static ngx_int_t
ngx_http_govern_metrics_handler(ngx_http_request_t *r)
{
    u_char                           *p;
    size_t                            len, nlen;
    ngx_int_t                         rc;
    ngx_buf_t                        *b;
    ngx_uint_t                        i, j, k, a, nroutes;
    ngx_chain_t                       out;
    ngx_uint_t                        nnodes, up;
    ngx_atomic_uint_t                *counts, v, cache[2], rl[3], audit[3];
    ngx_atomic_uint_t                 revocation[GOVERN_REVOKE_JTI + 1];
    ngx_atomic_uint_t  redirects[NGX_HTTP_GOVERN_REDIS_REDIRECTS];
    ngx_http_govern_redis_shared_t   *shared;
    ngx_http_govern_redis_node_state_t  nodes[NGX_HTTP_GOVERN_REDIS_NODES];
    ngx_http_govern_metrics_t        *m;
    ngx_http_govern_main_conf_t      *gmcf;
    ngx_http_govern_metrics_route_t  *slot, **routes;
    const govern_reason_t            *info;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    gmcf = ngx_http_get_module_main_conf(r, ngx_http_govern_module);
    m = gmcf->metrics->data;

    /* a snapshot first: counters move while the text is written */

    routes = ngx_palloc(r->pool, (GOVERN_METRICS_ROUTES + 1)
                                 * sizeof(ngx_http_govern_metrics_route_t *));
    counts = ngx_pcalloc(r->pool, (GOVERN_METRICS_ROUTES + 1)
                                  * GOVERN_REASON_LAST * 2
                                  * sizeof(ngx_atomic_uint_t));
    if (routes == NULL || counts == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    nroutes = 0;

    for (i = 0; i <= GOVERN_METRICS_ROUTES; i++) {
        slot = i < GOVERN_METRICS_ROUTES ? &m->routes[i] : &m->other;

        if (i < GOVERN_METRICS_ROUTES
            && slot->state != GOVERN_SLOT_PUBLISHED)
        {
            continue;
        }

        ngx_memory_barrier();

        /* a route that owns two slots is one series: the first slot's */

        for (j = 0; j < nroutes; j++) {
            if (i < GOVERN_METRICS_ROUTES && routes[j] != &m->other
                && routes[j]->len == slot->len
                && ngx_memcmp(routes[j]->name, slot->name, slot->len) == 0)
            {
                break;
            }
        }

        if (j == nroutes) {
            routes[nroutes++] = slot;
        }

        for (k = 0; k < GOVERN_REASON_LAST; k++) {
            for (a = 0; a < 2; a++) {
                govern_metrics_count(counts, j, k, a) += slot->requests[k][a];
            }
        }
    }

    cache[0] = m->token_cache[0];
    cache[1] = m->token_cache[1];

    for (i = 0; i < 3; i++) {
        rl[i] = m->ratelimit[i];
        audit[i] = m->audit[i];
    }

    for (i = 0; i <= GOVERN_REVOKE_JTI; i++) {
        revocation[i] = m->revocation[i];
    }

    /* the nodes this worker routes to, as their shared breakers say */

    nnodes = 0;
    up = 1;

    if (gmcf->redis) {
        nnodes = ngx_http_govern_redis_nodes(gmcf->redis, nodes,
                                             NGX_HTTP_GOVERN_REDIS_NODES);
        shared = ngx_http_govern_redis_shared(gmcf->redis);

        for (i = 0; i < NGX_HTTP_GOVERN_REDIS_REDIRECTS; i++) {
            redirects[i] = shared->redirects[i];
        }

        for (i = 0; i < nnodes; i++) {
            up &= nodes[i].up;
        }

        if (nnodes == 0) {
            up = 0;                     /* no slot map yet */
        }
    }

    /* the length, from the snapshot */

    len = sizeof(GOVERN_METRICS_REQUESTS_HEAD) - 1
          + sizeof(GOVERN_METRICS_CACHE_HEAD) - 1
          + 2 * (sizeof("govern_token_cache_total{result=\"miss\"} \n") - 1
                 + NGX_ATOMIC_T_LEN)
          + sizeof(GOVERN_METRICS_RATELIMIT_HEAD) - 1
          + 3 * (sizeof("govern_ratelimit_total{source=\"redis\"} \n") - 1
                 + NGX_ATOMIC_T_LEN)
          + sizeof(GOVERN_METRICS_AUDIT_HEAD) - 1
          + 2 * (sizeof("govern_audit_records_total{result=\"written\"} \n")
                 - 1 + NGX_ATOMIC_T_LEN)
          + sizeof(GOVERN_METRICS_AUDIT_FAILURES_HEAD) - 1
          + sizeof("govern_audit_write_failures_total \n") - 1
          + NGX_ATOMIC_T_LEN
          + sizeof(GOVERN_METRICS_REDIS_HEAD "govern_redis_up 0\n") - 1
          + sizeof(GOVERN_METRICS_REVOCATION_HEAD) - 1
          + GOVERN_REVOKE_JTI
            * (sizeof("govern_revocation_total{result=\"unchecked\"} \n")
               - 1 + NGX_ATOMIC_T_LEN)
          + sizeof(GOVERN_METRICS_NODE_HEAD) - 1
          + sizeof(GOVERN_METRICS_REDIRECT_HEAD) - 1
          + NGX_HTTP_GOVERN_REDIS_REDIRECTS
            * (sizeof("govern_redis_redirections_total{kind=\"tryagain\"} "
                      "\n") - 1 + NGX_ATOMIC_T_LEN);

    for (i = 0; i < nnodes; i++) {
        len += sizeof("govern_redis_node_up{node=\"\"} 0\n") - 1
               + 2 * nodes[i].name.len;
    }

    for (j = 0; j < nroutes; j++) {
        nlen = routes[j] == &m->other ? 0 : 2 * routes[j]->len;

        for (k = 0; k < GOVERN_REASON_LAST; k++) {
            for (a = 0; a < 2; a++) {
                if (govern_metrics_count(counts, j, k, a)) {
                    len += sizeof("govern_requests_total{route=\"\","
                                  "decision=\"allow\",reason=\"\"} \n") - 1
                           + nlen + govern_reason(k)->code_len
                           + NGX_ATOMIC_T_LEN;
                }
            }
        }
    }

    for (i = 0; gmcf->key_sources && i < gmcf->key_sources->nelts; i++) {
        nlen = 2 * ngx_http_govern_keys_source_uri(
                       ((ngx_http_govern_keys_source_t **)
                        gmcf->key_sources->elts)[i])->len;

        len += NGX_HTTP_GOVERN_KEYS_RESULTS
               * (sizeof("govern_jwks_fetches_total{source=\"\","
                         "result=\"aborted\"} \n") - 1
                  + nlen + NGX_ATOMIC_T_LEN)
               + sizeof("govern_jwks_age_seconds{source=\"\"} .000\n") - 1
               + nlen + NGX_INT64_LEN
               + sizeof("govern_jwks_keys{source=\"\"} \n") - 1
               + nlen + NGX_SIZE_T_LEN;
    }

    if (gmcf->key_sources) {
        len += sizeof(GOVERN_METRICS_JWKS_HEAD) - 1
               + sizeof(GOVERN_METRICS_JWKS_AGE_HEAD) - 1
               + sizeof(GOVERN_METRICS_JWKS_KEYS_HEAD) - 1;
    }

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = govern_metrics_head(b->last, GOVERN_METRICS_REQUESTS_HEAD);

    for (j = 0; j < nroutes; j++) {
        for (k = 0; k < GOVERN_REASON_LAST; k++) {
            for (a = 0; a < 2; a++) {
                v = govern_metrics_count(counts, j, k, a);

                if (v == 0) {
                    continue;
                }

                p = ngx_cpymem(p, "govern_requests_total{route=\"",
                               sizeof("govern_requests_total{route=\"") - 1);

                if (routes[j] != &m->other) {
                    p = ngx_http_govern_metrics_label(p, routes[j]->name,
                                                      routes[j]->len);
                }

                info = govern_reason(k);

                p = ngx_sprintf(p, "\",decision=\"%s\",reason=\"%s\"} %uA\n",
                                a ? "allow" : "deny",
                                k ? info->code : "", v);
            }
        }
    }

    p = govern_metrics_head(p, GOVERN_METRICS_CACHE_HEAD);
    p = ngx_sprintf(p, "govern_token_cache_total{result=\"hit\"} %uA\n"
                    "govern_token_cache_total{result=\"miss\"} %uA\n",
                    cache[1], cache[0]);

    p = govern_metrics_head(p, GOVERN_METRICS_RATELIMIT_HEAD);

    for (i = 0; i < 3; i++) {
        p = ngx_sprintf(p, "govern_ratelimit_total{source=\"%s\"} %uA\n",
                        ngx_http_govern_metrics_sources[i], rl[i]);
    }

    p = govern_metrics_head(p, GOVERN_METRICS_AUDIT_HEAD);
    p = ngx_sprintf(p, "govern_audit_records_total{result=\"written\"} %uA\n"
                    "govern_audit_records_total{result=\"lost\"} %uA\n",
                    audit[0], audit[1]);
    p = govern_metrics_head(p, GOVERN_METRICS_AUDIT_FAILURES_HEAD);
    p = ngx_sprintf(p, "govern_audit_write_failures_total %uA\n", audit[2]);

    if (gmcf->redis) {
        p = govern_metrics_head(p, GOVERN_METRICS_REDIS_HEAD);
        p = ngx_sprintf(p, "govern_redis_up %ui\n", up);

        p = govern_metrics_head(p, GOVERN_METRICS_NODE_HEAD);

        for (i = 0; i < nnodes; i++) {
            p = ngx_cpymem(p, "govern_redis_node_up{node=\"",
                           sizeof("govern_redis_node_up{node=\"") - 1);
            p = ngx_http_govern_metrics_label(p, nodes[i].name.data,
                                              nodes[i].name.len);
            p = ngx_sprintf(p, "\"} %ui\n", nodes[i].up);
        }

        if (gmcf->redis->mode == NGX_HTTP_GOVERN_REDIS_CLUSTER) {
            p = govern_metrics_head(p, GOVERN_METRICS_REDIRECT_HEAD);

            for (i = 0; i < NGX_HTTP_GOVERN_REDIS_REDIRECTS; i++) {
                p = ngx_sprintf(p,
                                "govern_redis_redirections_total{kind=\"%s\"}"
                                " %uA\n", ngx_http_govern_metrics_redirects[i],
                                redirects[i]);
            }
        }

        p = govern_metrics_head(p, GOVERN_METRICS_REVOCATION_HEAD);

        for (i = GOVERN_REVOKE_PASSED; i <= GOVERN_REVOKE_JTI; i++) {
            p = ngx_sprintf(p, "govern_revocation_total{result=\"%s\"} %uA\n",
                            govern_revoke_name(i), revocation[i]);
        }
    }

    if (gmcf->key_sources) {
        p = ngx_http_govern_metrics_jwks(p, gmcf);
    }

    b->last = p;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = sizeof("text/plain") - 1;

    if (r->method == NGX_HTTP_HEAD || b->last == b->pos) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/*
 * The key sets of govern_jwt_keys_request: fetches by result, the age of
 * the set in force and its keys (the last two only once a set arrived).
 */

static u_char *
ngx_http_govern_metrics_jwks(u_char *p, ngx_http_govern_main_conf_t *gmcf)
{
    size_t                          nkeys;
    int64_t                         age;
    ngx_str_t                      *uri;
    ngx_uint_t                      i, k, pass;
    ngx_atomic_uint_t               fetches[NGX_HTTP_GOVERN_KEYS_RESULTS];
    ngx_http_govern_keys_source_t  *src;

    for (pass = 0; pass < 3; pass++) {

        p = (pass == 0) ? govern_metrics_head(p, GOVERN_METRICS_JWKS_HEAD)
            : (pass == 1) ? govern_metrics_head(p,
                                                GOVERN_METRICS_JWKS_AGE_HEAD)
            : govern_metrics_head(p, GOVERN_METRICS_JWKS_KEYS_HEAD);

        for (i = 0; /* void */ ; i++) {
            src = ngx_http_govern_keys_stats(gmcf, i, fetches, &age,
                                             &nkeys);
            if (src == NULL) {
                break;
            }

            uri = ngx_http_govern_keys_source_uri(src);

            if (pass == 0) {
                for (k = 0; k < NGX_HTTP_GOVERN_KEYS_RESULTS; k++) {
                    p = ngx_cpymem(p, "govern_jwks_fetches_total{source=\"",
                                   sizeof("govern_jwks_fetches_total"
                                          "{source=\"") - 1);
                    p = ngx_http_govern_metrics_label(p, uri->data,
                                                      uri->len);
                    p = ngx_sprintf(p, "\",result=\"%s\"} %uA\n",
                                    ngx_http_govern_metrics_fetches[k],
                                    fetches[k]);
                }

                continue;
            }

            if (age < 0) {
                continue;
            }

            if (pass == 1) {
                p = ngx_cpymem(p, "govern_jwks_age_seconds{source=\"",
                               sizeof("govern_jwks_age_seconds{source=\"")
                               - 1);
                p = ngx_http_govern_metrics_label(p, uri->data, uri->len);
                p = ngx_sprintf(p, "\"} %L.%03L\n", age / 1000, age % 1000);

            } else {
                p = ngx_cpymem(p, "govern_jwks_keys{source=\"",
                               sizeof("govern_jwks_keys{source=\"") - 1);
                p = ngx_http_govern_metrics_label(p, uri->data, uri->len);
                p = ngx_sprintf(p, "\"} %uz\n", nkeys);
            }
        }
    }

    return p;
}


/* a label value: backslash, double quote and line feed escaped */

static u_char *
ngx_http_govern_metrics_label(u_char *p, u_char *s, size_t len)
{
    while (len--) {
        switch (*s) {
        case '\\':
        case '"':
            *p++ = '\\';
            *p++ = *s;
            break;
        case '\n':
            *p++ = '\\';
            *p++ = 'n';
            break;
        default:
            *p++ = *s;
        }

        s++;
    }

    return p;
}
