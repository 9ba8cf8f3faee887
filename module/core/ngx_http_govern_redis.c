
/*
 * govern: a Redis client on nginx's event loop.
 *
 * nginx owns the sockets (ngx_event_connect_peer, its timers, events and
 * resolver); hiredis is only the reply parser.  Each worker keeps one
 * connection per node and pipelines every request's command on it: Redis
 * answers in order, so replies are matched to a FIFO of operations.
 * Commands queued during one event-loop iteration leave in one writev()
 * (the write event is posted, not run), those queued while the replies to
 * a write are awaited when the last of them is in; each read parses every
 * reply it brought.
 *
 * A node is what serves commands: the one Redis of "govern_redis ADDR",
 * the master the sentinels name, or each master of a Redis Cluster.
 * Requests are routed by the slot of their key (the partner's hash tag);
 * every node has a breaker shared by the workers, so a node that fails
 * sends its own requests to the fallback and nobody else's.  Host names
 * are resolved with nginx's resolver before every connect.
 *
 * An operation is malloc'ed, never in a request pool: a request that goes
 * away while its reply is pending only marks it cancelled, and the reply
 * is consumed and dropped when it comes.  Internal operations (the
 * handshake, CLUSTER SLOTS, the sentinel's answer) are timed by the
 * node's read timer; a request's command by the request's own timer.
 *
 * Cluster: MOVED updates the slot, asks for one map refresh and retries
 * once on the new owner; ASK retries once on the target behind ASKING;
 * TRYAGAIN parks the command for a few milliseconds, a few times;
 * CLUSTERDOWN and NOSCRIPT go back to the caller (NOSCRIPT never
 * refreshes the map: the caller loads the script on that node).
 * Sentinel: the master is asked of a sentinel, checked with ROLE and
 * followed through a +switch-master subscription; it is asked again when
 * its connection fails or it answers READONLY.
 */


#include "ngx_http_govern_core.h"


#define NGX_HTTP_GOVERN_REDIS_BACKOFF_MIN  100
#define NGX_HTTP_GOVERN_REDIS_BACKOFF_MAX  5000
#define NGX_HTTP_GOVERN_REDIS_IOV          64
#define NGX_HTTP_GOVERN_REDIS_TRYAGAIN_MS  10
#define NGX_HTTP_GOVERN_REDIS_TRYAGAIN_MAX 5
#define NGX_HTTP_GOVERN_REDIS_REFRESH_MS   100      /* between two maps */
#define NGX_HTTP_GOVERN_REDIS_MAX_ADDRS    32
#define NGX_HTTP_GOVERN_REDIS_LABEL        (2 * NGX_SOCKADDR_STRLEN + 16)

/* what a connection is for */
#define NGX_HTTP_GOVERN_REDIS_DATA         0        /* serves commands */
#define NGX_HTTP_GOVERN_REDIS_SEED         1        /* a configured node */
#define NGX_HTTP_GOVERN_REDIS_ASKER        2        /* asks a sentinel */
#define NGX_HTTP_GOVERN_REDIS_WATCH        3        /* +switch-master */

/* shared breaker slots */
#define NGX_HTTP_GOVERN_REDIS_FREE         0
#define NGX_HTTP_GOVERN_REDIS_WRITING      1
#define NGX_HTTP_GOVERN_REDIS_NAMED        2


typedef struct ngx_http_govern_redis_node_s  ngx_http_govern_redis_node_t;


struct ngx_http_govern_redis_op_s {
    ngx_queue_t                        queue;
    ngx_http_govern_redis_node_t      *node;    /* NULL: parked */
    ngx_http_govern_redis_node_t      *target;  /* parked for it */
    ngx_http_govern_redis_handler_pt   handler;
    void                              *data;
    ngx_msec_t                         queued;  /* on node, at */
    size_t                             len;
    ngx_int_t                          slot;    /* -1: not by slot */
    unsigned                           internal:1;
    unsigned                           cancelled:1;
    unsigned                           asking:1;        /* ASKING first */
    unsigned                           asking_reply:1;  /* its reply next */
    unsigned                           moved:1;
    unsigned                           asked:1;
    unsigned                           tries:4;         /* TRYAGAIN */
    u_char                             cmd[1];
};


struct ngx_http_govern_redis_node_s {
    ngx_http_govern_redis_t           *client;
    ngx_uint_t                         kind;
    ngx_uint_t                         index;   /* in the slot map */
    ngx_str_t                          name;    /* logs, the breaker */
    ngx_str_t                          endpoint;    /* as named */
    u_char                             endpoint_data[NGX_SOCKADDR_STRLEN
                                                     + 8];
    ngx_str_t                          host;    /* resolved per connect */
    in_port_t                          port;
    ngx_sockaddr_t                     sockaddr;
    socklen_t                          socklen;
    ngx_str_t                          addr_text;
    u_char                             addr_data[NGX_SOCKADDR_STRLEN];
    ngx_uint_t                         next_addr;   /* of a name's */
    ngx_resolver_ctx_t                *resolving;
    ngx_peer_connection_t              pc;
    ngx_connection_t                  *c;
    redisReader                       *reader;
    ngx_queue_t                        send;    /* not written yet */
    ngx_queue_t                        wait;    /* awaiting replies */
    size_t                             sent;    /* of the send head */
    ngx_uint_t                         internal;    /* awaiting replies */
    ngx_event_t                        reconnect;
    ngx_msec_t                         backoff;
    ngx_http_govern_redis_breaker_t   *breaker;
    ngx_http_govern_redis_breaker_t    own;     /* the table was full */
    unsigned                           has_addr:1;
    unsigned                           connected:1;
    unsigned                           ready:1;
    unsigned                           in_map:1;
    unsigned                           subscribed:1;
    unsigned                           failing:1;   /* said already */
};


struct ngx_http_govern_redis_s {
    ngx_http_govern_redis_conf_t      *conf;
    ngx_http_govern_redis_shared_t    *shared;
    ngx_log_t                         *log;
    ngx_http_govern_redis_node_t      *master;  /* single, sentinel */
    ngx_http_govern_redis_node_t      *nodes[NGX_HTTP_GOVERN_REDIS_NODES];
    ngx_uint_t                         nnodes;  /* cluster masters seen */
    uint16_t                          *slots;   /* node index + 1 */
    ngx_http_govern_redis_node_t      *seed;    /* asked for the map */
    ngx_http_govern_redis_node_t      *refresher;   /* asked now */
    ngx_http_govern_redis_node_t      *asker;   /* asks the sentinels */
    ngx_http_govern_redis_node_t      *watch;   /* +switch-master */
    ngx_uint_t                         next_seed;
    ngx_uint_t                         next_sentinel;
    ngx_uint_t                         next_watch;
    ngx_uint_t                         next_asked;  /* data node, map */
    ngx_queue_t                        parked;      /* TRYAGAIN */
    ngx_queue_t                        unmapped;    /* before a map */
    ngx_event_t                        retry;
    ngx_event_t                        refresh;
    ngx_msec_t                         refreshed;
    ngx_msec_t                         backoff;     /* of refresh, ask */
    ngx_msec_t                         clusterdown;     /* logged at */
    unsigned                           refreshing:1;
    unsigned                           asking:1;
    unsigned                           again:1;
    unsigned                           mapped:1;
    unsigned                           exiting:1;
};


static const u_char  ngx_http_govern_redis_asking[] =
    "*1\r\n$6\r\nASKING\r\n";

#define NGX_HTTP_GOVERN_REDIS_ASKING_LEN                                     \
    (sizeof(ngx_http_govern_redis_asking) - 1)


static ngx_int_t ngx_http_govern_redis_parse_addr(ngx_conf_t *cf,
    ngx_str_t *value, in_port_t default_port, ngx_uint_t unix_ok,
    ngx_http_govern_redis_addr_t *addr);
static ngx_int_t ngx_http_govern_redis_init_zone(ngx_shm_zone_t *zone,
    void *data);

static ngx_http_govern_redis_node_t *ngx_http_govern_redis_node(
    ngx_http_govern_redis_t *client, ngx_uint_t kind, ngx_str_t *name);
static ngx_int_t ngx_http_govern_redis_endpoint(
    ngx_http_govern_redis_node_t *node, u_char *host, size_t len,
    in_port_t port);
static void ngx_http_govern_redis_configured(
    ngx_http_govern_redis_node_t *node, ngx_http_govern_redis_addr_t *addr);
static void ngx_http_govern_redis_connect(ngx_http_govern_redis_node_t *node);
static void ngx_http_govern_redis_resolved(ngx_resolver_ctx_t *ctx);
static void ngx_http_govern_redis_open(ngx_http_govern_redis_node_t *node);
static void ngx_http_govern_redis_reconnect_handler(ngx_event_t *ev);
static void ngx_http_govern_redis_write_handler(ngx_event_t *wev);
static void ngx_http_govern_redis_read_handler(ngx_event_t *rev);
static void ngx_http_govern_redis_dispatch(ngx_http_govern_redis_node_t *node,
    redisReply *reply);
static void ngx_http_govern_redis_close(ngx_http_govern_redis_node_t *node);
static void ngx_http_govern_redis_failed(ngx_http_govern_redis_node_t *node,
    const char *why);
static void ngx_http_govern_redis_up(ngx_http_govern_redis_node_t *node);
static void ngx_http_govern_redis_free_node(
    ngx_http_govern_redis_node_t *node);
static char *ngx_http_govern_redis_label(ngx_http_govern_redis_node_t *node,
    u_char *buf);

static ngx_http_govern_redis_op_t *ngx_http_govern_redis_op(
    ngx_http_govern_redis_t *client, int argc, const char **argv,
    const size_t *argvlen, ngx_http_govern_redis_handler_pt handler,
    void *data);
static ngx_int_t ngx_http_govern_redis_internal(
    ngx_http_govern_redis_node_t *node, int argc, const char **argv,
    const size_t *argvlen, ngx_http_govern_redis_handler_pt handler);
static void ngx_http_govern_redis_queue(ngx_http_govern_redis_node_t *node,
    ngx_http_govern_redis_op_t *op);
static void ngx_http_govern_redis_deliver(ngx_http_govern_redis_op_t *op,
    redisReply *reply);
static ngx_uint_t ngx_http_govern_redis_usable(
    ngx_http_govern_redis_node_t *node);

static void ngx_http_govern_redis_setup_reply(void *data, redisReply *reply);
static void ngx_http_govern_redis_ping_reply(void *data, redisReply *reply);
static void ngx_http_govern_redis_role_reply(void *data, redisReply *reply);

static ngx_int_t ngx_http_govern_redis_error_reply(
    ngx_http_govern_redis_node_t *node, ngx_http_govern_redis_op_t *op,
    redisReply *reply);
static ngx_http_govern_redis_node_t *ngx_http_govern_redis_cluster_node(
    ngx_http_govern_redis_node_t *from, govern_redis_endpoint_t *ep);
static void ngx_http_govern_redis_refresh(ngx_http_govern_redis_t *client);
static void ngx_http_govern_redis_refresh_handler(ngx_event_t *ev);
static void ngx_http_govern_redis_slots_reply(void *data, redisReply *reply);
static void ngx_http_govern_redis_refresh_failed(
    ngx_http_govern_redis_t *client);
static void ngx_http_govern_redis_route_unmapped(
    ngx_http_govern_redis_t *client);
static void ngx_http_govern_redis_retry_handler(ngx_event_t *ev);

static void ngx_http_govern_redis_ask(ngx_http_govern_redis_t *client);
static void ngx_http_govern_redis_master_reply(void *data,
    redisReply *reply);
static void ngx_http_govern_redis_ask_failed(ngx_http_govern_redis_t *client);
static void ngx_http_govern_redis_switch(ngx_http_govern_redis_t *client,
    govern_redis_endpoint_t *ep);
static void ngx_http_govern_redis_watch(ngx_http_govern_redis_t *client);
static void ngx_http_govern_redis_sentinel_role_reply(void *data,
    redisReply *reply);
static void ngx_http_govern_redis_subscribed(void *data, redisReply *reply);
static void ngx_http_govern_redis_message(ngx_http_govern_redis_node_t *node,
    redisReply *reply);


/* configuration */


/*
 * govern_redis ADDR [password=] [db=] [timeout=] [connect_timeout=]
 * govern_redis sentinel=MASTER ADDR [ADDR ...] [password=]
 *     [sentinel_password=] [db=] [timeout=] [connect_timeout=]
 * govern_redis cluster ADDR [ADDR ...] [password=] [timeout=]
 *     [connect_timeout=]
 */

char *
ngx_http_govern_redis_parse(ngx_conf_t *cf, ngx_http_govern_redis_conf_t *conf)
{
    ngx_str_t                     *value, s, name;
    ngx_uint_t                     i, first;
    in_port_t                      port;
    ngx_http_govern_redis_addr_t  *addr;

    value = cf->args->elts;

    conf->db = 0;
    conf->timeout = 50;
    conf->connect_timeout = 200;
    conf->file = cf->conf_file->file.name.data;
    conf->line = cf->conf_file->line;

    conf->addrs = ngx_array_create(cf->pool, 1,
                                   sizeof(ngx_http_govern_redis_addr_t));
    if (conf->addrs == NULL) {
        return NGX_CONF_ERROR;
    }

    first = 1;
    port = 6379;

    if (value[1].len == 7 && ngx_strncmp(value[1].data, "cluster", 7) == 0) {
        conf->mode = NGX_HTTP_GOVERN_REDIS_CLUSTER;
        first = 2;

    } else if (ngx_strncmp(value[1].data, "sentinel=", 9) == 0) {
        conf->mode = NGX_HTTP_GOVERN_REDIS_SENTINEL;
        conf->master.data = value[1].data + 9;
        conf->master.len = value[1].len - 9;
        first = 2;
        port = 26379;

        if (conf->master.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "govern_redis \"%V\": the master's name is "
                               "missing", &value[1]);
            return NGX_CONF_ERROR;
        }

    } else {
        conf->mode = NGX_HTTP_GOVERN_REDIS_SINGLE;
    }

    for (i = first; i < cf->args->nelts; i++) {

        if (ngx_strlchr(value[i].data, value[i].data + value[i].len, '=')) {
            break;
        }

        if (conf->addrs->nelts
            == (conf->mode == NGX_HTTP_GOVERN_REDIS_SINGLE
                ? 1 : NGX_HTTP_GOVERN_REDIS_MAX_ADDRS))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               conf->mode == NGX_HTTP_GOVERN_REDIS_SINGLE
                               ? "govern_redis takes one address, "
                                 "\"sentinel=MASTER\" or \"cluster\" "
                                 "take several: \"%V\""
                               : "govern_redis takes at most 32 "
                                 "addresses: \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        addr = ngx_array_push(conf->addrs);
        if (addr == NULL) {
            return NGX_CONF_ERROR;
        }

        if (ngx_http_govern_redis_parse_addr(cf, &value[i], port,
                                             conf->mode
                                             == NGX_HTTP_GOVERN_REDIS_SINGLE,
                                             addr)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    if (conf->addrs->nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "govern_redis needs an address");
        return NGX_CONF_ERROR;
    }

    for ( /* void */ ; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "password=", 9) == 0) {
            conf->password.data = value[i].data + 9;
            conf->password.len = value[i].len - 9;
            continue;
        }

        if (ngx_strncmp(value[i].data, "sentinel_password=", 18) == 0
            && conf->mode == NGX_HTTP_GOVERN_REDIS_SENTINEL)
        {
            conf->sentinel_password.data = value[i].data + 18;
            conf->sentinel_password.len = value[i].len - 18;
            continue;
        }

        if (ngx_strncmp(value[i].data, "db=", 3) == 0) {
            if (conf->mode == NGX_HTTP_GOVERN_REDIS_CLUSTER) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\": a Redis Cluster has only "
                                   "database 0", &value[i]);
                return NGX_CONF_ERROR;
            }

            conf->db = ngx_atoi(value[i].data + 3, value[i].len - 3);

            if (conf->db == NGX_ERROR) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "timeout=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;
            conf->timeout = ngx_parse_time(&s, 0);

            if (conf->timeout == (ngx_msec_t) NGX_ERROR || conf->timeout == 0)
            {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "connect_timeout=", 16) == 0) {
            s.data = value[i].data + 16;
            s.len = value[i].len - 16;
            conf->connect_timeout = ngx_parse_time(&s, 0);

            if (conf->connect_timeout == (ngx_msec_t) NGX_ERROR
                || conf->connect_timeout == 0)
            {
                goto invalid;
            }

            continue;
        }

        if (!ngx_strlchr(value[i].data, value[i].data + value[i].len, '=')) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "govern_redis: the address \"%V\" comes "
                               "after the parameters", &value[i]);
            return NGX_CONF_ERROR;
        }

        goto invalid;
    }

    ngx_str_set(&name, "govern_redis");

    conf->zone = ngx_shared_memory_add(cf, &name,
                                       ngx_align(sizeof(
                                           ngx_http_govern_redis_shared_t)
                                           + 8 * ngx_pagesize,
                                           ngx_pagesize),
                                       &ngx_http_govern_module);
    if (conf->zone == NULL) {
        return NGX_CONF_ERROR;
    }

    conf->zone->init = ngx_http_govern_redis_init_zone;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\"",
                       &value[i]);

    return NGX_CONF_ERROR;
}


/* host:port (the host an IP address or a name), or unix:/path */

static ngx_int_t
ngx_http_govern_redis_parse_addr(ngx_conf_t *cf, ngx_str_t *value,
    in_port_t default_port, ngx_uint_t unix_ok,
    ngx_http_govern_redis_addr_t *addr)
{
    ngx_url_t  u;

    ngx_memzero(addr, sizeof(ngx_http_govern_redis_addr_t));
    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url = *value;
    u.default_port = default_port;
    u.no_resolve = 1;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "govern_redis \"%V\": %s",
                           value, u.err ? u.err : "invalid address");
        return NGX_ERROR;
    }

    if (u.uri.len) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "govern_redis \"%V\": an "
                           "address is host:port", value);
        return NGX_ERROR;
    }

    addr->name = *value;
    addr->port = u.port ? u.port : default_port;

    if (u.family == AF_UNIX) {
        if (!unix_ok) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "govern_redis \"%V\": "
                               "sentinels and cluster nodes are reached "
                               "over TCP", value);
            return NGX_ERROR;
        }

        addr->addr = u.addrs[0];
        return NGX_OK;
    }

    if (ngx_parse_addr(cf->pool, &addr->addr, u.host.data, u.host.len)
        == NGX_OK)
    {
        ngx_inet_set_port(addr->addr.sockaddr, addr->port);
        addr->addr.name = *value;
        return NGX_OK;
    }

    /* a name: resolved by nginx's resolver before each connect */

    addr->host = u.host;
    addr->addr.sockaddr = NULL;

    return NGX_OK;
}


/* after the http block: a name needs a resolver */

ngx_int_t
ngx_http_govern_redis_postconfiguration(ngx_conf_t *cf,
    ngx_http_govern_redis_conf_t *conf)
{
    ngx_uint_t                     i;
    ngx_http_core_loc_conf_t      *clcf;
    ngx_http_govern_redis_addr_t  *addr;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    conf->resolver = clcf->resolver;
    conf->resolver_timeout = clcf->resolver_timeout;

    addr = conf->addrs->elts;

    for (i = 0; i < conf->addrs->nelts; i++) {
        if (addr[i].host.len
            && (conf->resolver == NULL
                || conf->resolver->connections.nelts == 0))
        {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "govern_redis \"%V\": a host name is resolved "
                          "again before every connect and needs a "
                          "\"resolver\" in the http block in %s:%ui",
                          &addr[i].name, conf->file, conf->line);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_govern_redis_init_zone(ngx_shm_zone_t *zone, void *data)
{
    ngx_slab_pool_t  *shpool;

    if (data) {
        zone->data = data;          /* a reload keeps breakers and counts */
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (zone->shm.exists) {
        zone->data = shpool->data;
        return NGX_OK;
    }

    zone->data = ngx_slab_calloc(shpool,
                                 sizeof(ngx_http_govern_redis_shared_t));
    if (zone->data == NULL) {
        return NGX_ERROR;
    }

    shpool->data = zone->data;

    return NGX_OK;
}


ngx_http_govern_redis_shared_t *
ngx_http_govern_redis_shared(ngx_http_govern_redis_conf_t *conf)
{
    return conf->zone->data;
}


/* the data nodes this worker routes to: the master, or the cluster's
 * masters in its slot map; each up unless its shared breaker is open */

ngx_uint_t
ngx_http_govern_redis_nodes(ngx_http_govern_redis_conf_t *conf,
    ngx_http_govern_redis_node_state_t *nodes, ngx_uint_t max)
{
    ngx_uint_t                     i, n;
    ngx_http_govern_redis_t       *client;
    ngx_http_govern_redis_node_t  *node;

    client = conf->client;
    n = 0;

    if (client == NULL) {
        return 0;
    }

    if (client->master) {
        nodes[n].name = client->master->name;
        nodes[n++].up = client->master->has_addr
                        && !client->master->breaker->down;
        return n;
    }

    for (i = 0; i < client->nnodes && n < max; i++) {
        node = client->nodes[i];

        if (node->in_map) {
            nodes[n].name = node->name;
            nodes[n++].up = !node->breaker->down;
        }
    }

    return n;
}


/* govern_redis: see ngx_http_govern_redis_parse() */

char *
ngx_http_govern_redis_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_main_conf_t *gmcf = conf;

    if (gmcf->redis) {
        return "is duplicate";
    }

    gmcf->redis = ngx_pcalloc(cf->pool,
                              sizeof(ngx_http_govern_redis_conf_t));
    if (gmcf->redis == NULL) {
        return NGX_CONF_ERROR;
    }

    gmcf->need_limiter = 1;

    return ngx_http_govern_redis_parse(cf, gmcf->redis);
}


/* the worker's client */


ngx_int_t
ngx_http_govern_redis_init_process(ngx_cycle_t *cycle,
    ngx_http_govern_redis_conf_t *conf)
{
    ngx_http_govern_redis_t       *client;
    ngx_http_govern_redis_addr_t  *addr;

    client = ngx_calloc(sizeof(ngx_http_govern_redis_t), cycle->log);
    if (client == NULL) {
        return NGX_ERROR;
    }

    client->conf = conf;
    client->shared = conf->zone->data;
    client->log = cycle->log;
    client->backoff = NGX_HTTP_GOVERN_REDIS_BACKOFF_MIN;

    ngx_queue_init(&client->parked);
    ngx_queue_init(&client->unmapped);

    client->retry.handler = ngx_http_govern_redis_retry_handler;
    client->retry.data = client;
    client->retry.log = cycle->log;
    client->retry.cancelable = 1;

    client->refresh.handler = ngx_http_govern_redis_refresh_handler;
    client->refresh.data = client;
    client->refresh.log = cycle->log;
    client->refresh.cancelable = 1;

    conf->client = client;

    addr = conf->addrs->elts;

    switch (conf->mode) {

    case NGX_HTTP_GOVERN_REDIS_SINGLE:
        client->master = ngx_http_govern_redis_node(client,
                             NGX_HTTP_GOVERN_REDIS_DATA, &addr[0].name);
        if (client->master == NULL) {
            return NGX_ERROR;
        }

        ngx_http_govern_redis_configured(client->master, &addr[0]);
        ngx_http_govern_redis_connect(client->master);
        break;

    case NGX_HTTP_GOVERN_REDIS_SENTINEL:
        client->master = ngx_http_govern_redis_node(client,
                             NGX_HTTP_GOVERN_REDIS_DATA, &conf->master);
        client->asker = ngx_http_govern_redis_node(client,
                            NGX_HTTP_GOVERN_REDIS_ASKER, &conf->master);
        client->watch = ngx_http_govern_redis_node(client,
                            NGX_HTTP_GOVERN_REDIS_WATCH, &conf->master);

        if (client->master == NULL || client->asker == NULL
            || client->watch == NULL)
        {
            return NGX_ERROR;
        }

        ngx_http_govern_redis_watch(client);
        ngx_http_govern_redis_ask(client);
        break;

    default: /* NGX_HTTP_GOVERN_REDIS_CLUSTER */
        client->slots = ngx_calloc(GOVERN_REDIS_SLOTS * sizeof(uint16_t),
                                   cycle->log);
        client->seed = ngx_http_govern_redis_node(client,
                           NGX_HTTP_GOVERN_REDIS_SEED, &addr[0].name);

        if (client->slots == NULL || client->seed == NULL) {
            return NGX_ERROR;
        }

        ngx_http_govern_redis_refresh(client);
    }

    return NGX_OK;
}


void
ngx_http_govern_redis_exit_process(ngx_http_govern_redis_conf_t *conf)
{
    ngx_uint_t                   i;
    ngx_queue_t                 *q;
    ngx_http_govern_redis_t     *client;
    ngx_http_govern_redis_op_t  *op;

    client = conf->client;

    if (client == NULL) {
        return;
    }

    client->exiting = 1;

    if (client->retry.timer_set) {
        ngx_del_timer(&client->retry);
    }

    if (client->refresh.timer_set) {
        ngx_del_timer(&client->refresh);
    }

    while (!ngx_queue_empty(&client->parked)
           || !ngx_queue_empty(&client->unmapped))
    {
        q = ngx_queue_empty(&client->parked)
            ? ngx_queue_head(&client->unmapped)
            : ngx_queue_head(&client->parked);
        ngx_queue_remove(q);
        op = ngx_queue_data(q, ngx_http_govern_redis_op_t, queue);
        ngx_free(op);
    }

    for (i = 0; i < client->nnodes; i++) {
        ngx_http_govern_redis_free_node(client->nodes[i]);
    }

    if (client->master) {
        ngx_http_govern_redis_free_node(client->master);
    }

    if (client->seed) {
        ngx_http_govern_redis_free_node(client->seed);
    }

    if (client->asker) {
        ngx_http_govern_redis_free_node(client->asker);
    }

    if (client->watch) {
        ngx_http_govern_redis_free_node(client->watch);
    }

    if (client->slots) {
        ngx_free(client->slots);
    }

    ngx_free(client);
    conf->client = NULL;
}


/* the API */


/*
 * Queues a command for the node its key routes to.  NULL: Redis cannot
 * be used for it now (no node, the node's breaker is open, no memory);
 * otherwise the handler is called later, from an event, never from here.
 */

ngx_http_govern_redis_op_t *
ngx_http_govern_redis_send(ngx_http_govern_redis_conf_t *conf, int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_govern_redis_handler_pt handler, void *data)
{
    ngx_int_t                      slot;
    ngx_http_govern_redis_t       *client;
    ngx_http_govern_redis_op_t    *op;
    ngx_http_govern_redis_node_t  *node;

    client = conf->client;

    if (client == NULL) {
        return NULL;
    }

    slot = -1;

    if (conf->mode == NGX_HTTP_GOVERN_REDIS_CLUSTER) {
        slot = govern_redis_command_slot(argc, argv, argvlen);

        if (slot < 0) {
            ngx_log_error(NGX_LOG_ERR, client->log, 0,
                          "govern: redis cluster: a command %s",
                          slot == GOVERN_REDIS_CROSS_SLOT
                          ? "with keys in several slots"
                          : "without a key");
            return NULL;
        }

        if (!client->mapped) {
            if (!client->refreshing) {
                return NULL;
            }

            /* the first map is on its way: the request waits for it */

            op = ngx_http_govern_redis_op(client, argc, argv, argvlen,
                                          handler, data);
            if (op == NULL) {
                return NULL;
            }

            op->slot = slot;
            ngx_queue_insert_tail(&client->unmapped, &op->queue);

            return op;
        }

        node = client->slots[slot]
               ? client->nodes[client->slots[slot] - 1] : NULL;

        if (node == NULL) {
            ngx_http_govern_redis_refresh(client);
            return NULL;
        }

    } else {
        node = client->master;
    }

    if (!ngx_http_govern_redis_usable(node)) {
        return NULL;
    }

    op = ngx_http_govern_redis_op(client, argc, argv, argvlen, handler,
                                  data);
    if (op == NULL) {
        return NULL;
    }

    op->slot = slot;
    ngx_http_govern_redis_queue(node, op);

    return op;
}


void
ngx_http_govern_redis_cancel(ngx_http_govern_redis_op_t *op)
{
    op->cancelled = 1;
    op->handler = NULL;
    op->data = NULL;
}


/*
 * A request stopped waiting: its command is cancelled, and the node it
 * waited on a whole timeout for is too slow to be used for now.
 */

void
ngx_http_govern_redis_timedout(ngx_http_govern_redis_conf_t *conf,
    ngx_http_govern_redis_op_t *op)
{
    ngx_http_govern_redis_node_t  *node;

    ngx_http_govern_redis_cancel(op);

    node = op->node;

    if (node && node->c && ngx_current_msec - op->queued >= conf->timeout) {
        ngx_http_govern_redis_failed(node, "no reply within timeout");
    }
}


/* nodes */


static ngx_http_govern_redis_node_t *
ngx_http_govern_redis_node(ngx_http_govern_redis_t *client, ngx_uint_t kind,
    ngx_str_t *name)
{
    size_t                            len;
    ngx_uint_t                        i, hash;
    ngx_http_govern_redis_node_t     *node;
    ngx_http_govern_redis_breaker_t  *b;

    node = ngx_calloc(sizeof(ngx_http_govern_redis_node_t) + name->len,
                      client->log);
    if (node == NULL) {
        return NULL;
    }

    node->client = client;
    node->kind = kind;
    node->name.data = (u_char *) (node + 1);
    node->name.len = name->len;
    ngx_memcpy(node->name.data, name->data, name->len);
    node->backoff = NGX_HTTP_GOVERN_REDIS_BACKOFF_MIN;

    ngx_queue_init(&node->send);
    ngx_queue_init(&node->wait);

    node->reconnect.handler = ngx_http_govern_redis_reconnect_handler;
    node->reconnect.data = node;
    node->reconnect.log = client->log;
    node->reconnect.cancelable = 1;     /* never holds up a graceful exit */

    node->breaker = &node->own;

    if (kind != NGX_HTTP_GOVERN_REDIS_DATA) {
        return node;
    }

    /* the breaker the workers share for this name; a full table leaves
     * the node one of its own */

    len = ngx_min(name->len, NGX_HTTP_GOVERN_REDIS_NODE_NAME);
    hash = ngx_hash_key(name->data, len);

    for (i = 0; i < NGX_HTTP_GOVERN_REDIS_NODES; i++) {
        b = &client->shared->nodes[(hash + i) % NGX_HTTP_GOVERN_REDIS_NODES];

        if (b->state == NGX_HTTP_GOVERN_REDIS_FREE
            && ngx_atomic_cmp_set(&b->state, NGX_HTTP_GOVERN_REDIS_FREE,
                                  NGX_HTTP_GOVERN_REDIS_WRITING))
        {
            b->len = len;
            ngx_memcpy(b->name, name->data, len);
            ngx_memory_barrier();
            b->state = NGX_HTTP_GOVERN_REDIS_NAMED;
            node->breaker = b;
            break;
        }

        if (b->state == NGX_HTTP_GOVERN_REDIS_NAMED) {
            ngx_memory_barrier();

            if (b->len == len && ngx_memcmp(b->name, name->data, len) == 0) {
                node->breaker = b;
                break;
            }
        }
    }

    return node;
}


/* where the node is: an address, or a name to resolve before connecting */

static ngx_int_t
ngx_http_govern_redis_endpoint(ngx_http_govern_redis_node_t *node,
    u_char *host, size_t len, in_port_t port)
{
    in_addr_t             in;
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    u_char                in6[16];
    struct sockaddr_in6  *sin6;
#endif

    if (node->host.data) {
        ngx_free(node->host.data);
        ngx_str_null(&node->host);
    }

    node->port = port;
    node->has_addr = 1;

    in = ngx_inet_addr(host, len);

    if (in != INADDR_NONE) {
        sin = &node->sockaddr.sockaddr_in;
        ngx_memzero(sin, sizeof(struct sockaddr_in));
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = in;
        sin->sin_port = htons(port);
        node->socklen = sizeof(struct sockaddr_in);
        goto fixed;
    }

#if (NGX_HAVE_INET6)
    if (ngx_inet6_addr(host, len, in6) == NGX_OK) {
        sin6 = &node->sockaddr.sockaddr_in6;
        ngx_memzero(sin6, sizeof(struct sockaddr_in6));
        sin6->sin6_family = AF_INET6;
        ngx_memcpy(sin6->sin6_addr.s6_addr, in6, 16);
        sin6->sin6_port = htons(port);
        node->socklen = sizeof(struct sockaddr_in6);
        goto fixed;
    }
#endif

    node->host.data = ngx_alloc(len, node->client->log);
    if (node->host.data == NULL) {
        node->has_addr = 0;
        return NGX_ERROR;
    }

    ngx_memcpy(node->host.data, host, len);
    node->host.len = len;
    node->addr_text.data = node->addr_data;
    node->addr_text.len = ngx_snprintf(node->addr_data, NGX_SOCKADDR_STRLEN,
                                       "%V:%d", &node->host, (int) port)
                          - node->addr_data;
    return NGX_OK;

fixed:

    node->addr_text.data = node->addr_data;
    node->addr_text.len = ngx_sock_ntop(&node->sockaddr.sockaddr,
                                        node->socklen, node->addr_data,
                                        NGX_SOCKADDR_STRLEN, 1);
    return NGX_OK;
}


static void
ngx_http_govern_redis_configured(ngx_http_govern_redis_node_t *node,
    ngx_http_govern_redis_addr_t *addr)
{
    if (addr->host.len) {
        /* without memory for the name, has_addr stays 0: not connected */
        (void) ngx_http_govern_redis_endpoint(node, addr->host.data,
                                              addr->host.len, addr->port);
        return;
    }

    if (node->host.data) {
        ngx_free(node->host.data);
        ngx_str_null(&node->host);
    }

    ngx_memcpy(&node->sockaddr, addr->addr.sockaddr, addr->addr.socklen);
    node->socklen = addr->addr.socklen;
    node->port = addr->port;
    node->has_addr = 1;
    node->addr_text.data = node->addr_data;
    node->addr_text.len = ngx_min(addr->name.len, NGX_SOCKADDR_STRLEN);
    ngx_memcpy(node->addr_data, addr->name.data, node->addr_text.len);
}


/* a name is resolved again before every connect: it may have moved */

static void
ngx_http_govern_redis_connect(ngx_http_govern_redis_node_t *node)
{
    ngx_resolver_ctx_t            *ctx;
    ngx_http_govern_redis_conf_t  *conf;

    if (node->c || node->resolving || !node->has_addr
        || node->client->exiting || ngx_exiting)
    {
        return;
    }

    if (node->reconnect.timer_set) {
        ngx_del_timer(&node->reconnect);
    }

    if (node->host.len == 0) {
        ngx_http_govern_redis_open(node);
        return;
    }

    conf = node->client->conf;

    ctx = ngx_resolve_start(conf->resolver, NULL);

    if (ctx == NULL || ctx == NGX_NO_RESOLVER) {
        ngx_log_error(NGX_LOG_ERR, node->client->log, 0,
                      "govern: redis %V: %s", &node->addr_text,
                      ctx ? "no resolver defined" : "resolver failed");
        ngx_http_govern_redis_failed(node, "cannot resolve");
        return;
    }

    ctx->name = node->host;
    ctx->handler = ngx_http_govern_redis_resolved;
    ctx->data = node;
    ctx->timeout = conf->resolver_timeout;

    node->resolving = ctx;

    if (ngx_resolve_name(ctx) != NGX_OK) {
        node->resolving = NULL;
        ngx_http_govern_redis_failed(node, "cannot resolve");
    }
}


static void
ngx_http_govern_redis_resolved(ngx_resolver_ctx_t *ctx)
{
    ngx_http_govern_redis_node_t *node = ctx->data;

    ngx_resolver_addr_t  *a;

    node->resolving = NULL;

    if (ctx->state || ctx->naddrs == 0) {
        ngx_log_error(NGX_LOG_ERR, node->client->log, 0,
                      "govern: redis %V could not be resolved (%i: %s)",
                      &node->host, ctx->state,
                      ngx_resolver_strerror(ctx->state));
        ngx_resolve_name_done(ctx);
        ngx_http_govern_redis_failed(node, "host not found");
        return;
    }

    /* another of the name's addresses after each failure */

    a = &ctx->addrs[node->next_addr % ctx->naddrs];

    ngx_memcpy(&node->sockaddr, a->sockaddr, a->socklen);
    node->socklen = a->socklen;
    ngx_inet_set_port(&node->sockaddr.sockaddr, node->port);

    ngx_resolve_name_done(ctx);

    ngx_http_govern_redis_open(node);
}


static void
ngx_http_govern_redis_open(ngx_http_govern_redis_node_t *node)
{
    ngx_int_t                      rv;
    ngx_queue_t                    queued;
    ngx_connection_t              *c;
    const char                    *argv[2];
    size_t                         argvlen[2];
    char                           db[NGX_INT_T_LEN];
    ngx_str_t                     *password;
    ngx_http_govern_redis_t       *client;
    ngx_http_govern_redis_conf_t  *conf;

    client = node->client;
    conf = client->conf;

    if (node->host.len) {
        /* the address the name resolved to, for the logs */
        node->addr_text.len = ngx_sock_ntop(&node->sockaddr.sockaddr,
                                            node->socklen, node->addr_data,
                                            NGX_SOCKADDR_STRLEN, 1);
    }

    ngx_memzero(&node->pc, sizeof(ngx_peer_connection_t));

    node->pc.sockaddr = &node->sockaddr.sockaddr;
    node->pc.socklen = node->socklen;
    node->pc.name = &node->addr_text;
    node->pc.get = ngx_event_get_peer;
    node->pc.log = client->log;
    node->pc.log_error = NGX_ERROR_ERR;

    node->connected = 0;
    node->ready = 0;
    node->subscribed = 0;
    node->sent = 0;

    rv = ngx_event_connect_peer(&node->pc);

    if (rv == NGX_ERROR || rv == NGX_BUSY || rv == NGX_DECLINED) {
        if (node->pc.connection) {
            ngx_close_connection(node->pc.connection);
        }

        ngx_http_govern_redis_failed(node, "cannot connect");
        return;
    }

    c = node->pc.connection;
    node->c = c;

    /*
     * a batch of commands leaves when written, never held back by Nagle
     * behind a write Redis has not acknowledged (as hiredis does; nginx
     * leaves a unix socket alone)
     */

    (void) ngx_tcp_nodelay(c);

    c->data = node;
    c->log = client->log;
    c->read->log = client->log;
    c->write->log = client->log;
    c->read->handler = ngx_http_govern_redis_read_handler;
    c->write->handler = ngx_http_govern_redis_write_handler;

    node->reader = redisReaderCreate();
    if (node->reader == NULL) {
        ngx_http_govern_redis_failed(node, "out of memory");
        return;
    }

    /* the handshake goes first, ahead of what was queued meanwhile */

    ngx_queue_init(&queued);

    if (!ngx_queue_empty(&node->send)) {
        ngx_queue_add(&queued, &node->send);
        ngx_queue_init(&node->send);
    }

    password = (node->kind == NGX_HTTP_GOVERN_REDIS_ASKER
                || node->kind == NGX_HTTP_GOVERN_REDIS_WATCH)
               ? &conf->sentinel_password : &conf->password;

    if (password->len) {
        argv[0] = "AUTH";
        argvlen[0] = 4;
        argv[1] = (const char *) password->data;
        argvlen[1] = password->len;

        if (ngx_http_govern_redis_internal(node, 2, argv, argvlen,
                                           ngx_http_govern_redis_setup_reply)
            != NGX_OK)
        {
            goto nomem;
        }
    }

    if (node->kind == NGX_HTTP_GOVERN_REDIS_DATA) {

        if (conf->db) {
            argv[0] = "SELECT";
            argvlen[0] = 6;
            argv[1] = db;
            argvlen[1] = ngx_sprintf((u_char *) db, "%i", conf->db)
                         - (u_char *) db;

            if (ngx_http_govern_redis_internal(node, 2, argv, argvlen,
                                            ngx_http_govern_redis_setup_reply)
                != NGX_OK)
            {
                goto nomem;
            }
        }

        /* the master is checked to be one: a name or a sentinel may
         * still point at a node that became a replica */

        if (conf->mode != NGX_HTTP_GOVERN_REDIS_CLUSTER) {
            argv[0] = "ROLE";
            argvlen[0] = 4;

            if (ngx_http_govern_redis_internal(node, 1, argv, argvlen,
                                            ngx_http_govern_redis_role_reply)
                != NGX_OK)
            {
                goto nomem;
            }

        } else {
            argv[0] = "PING";
            argvlen[0] = 4;

            if (ngx_http_govern_redis_internal(node, 1, argv, argvlen,
                                            ngx_http_govern_redis_ping_reply)
                != NGX_OK)
            {
                goto nomem;
            }
        }

    } else {
        node->ready = 1;
    }

    if (node->kind == NGX_HTTP_GOVERN_REDIS_WATCH) {

        /* a Redis that is not a sentinel would take the subscription
         * and never say a word */

        argv[0] = "ROLE";
        argvlen[0] = 4;

        if (ngx_http_govern_redis_internal(node, 1, argv, argvlen,
                                     ngx_http_govern_redis_sentinel_role_reply)
            != NGX_OK)
        {
            goto nomem;
        }

        argv[0] = "SUBSCRIBE";
        argvlen[0] = 9;
        argv[1] = "+switch-master";
        argvlen[1] = 14;

        if (ngx_http_govern_redis_internal(node, 2, argv, argvlen,
                                           ngx_http_govern_redis_subscribed)
            != NGX_OK)
        {
            goto nomem;
        }
    }

    ngx_queue_add(&node->send, &queued);

    /* the connect and the handshake together get connect_timeout */

    if (node->internal) {
        ngx_add_timer(c->read, conf->connect_timeout);
    }

    if (rv == NGX_OK) {
        node->connected = 1;
        ngx_http_govern_redis_write_handler(c->write);
        return;
    }

    /* NGX_AGAIN: the write event says when the connect is done */

    ngx_add_timer(c->write, conf->connect_timeout);

    return;

nomem:

    ngx_queue_add(&node->send, &queued);
    ngx_http_govern_redis_failed(node, "out of memory");
}


static void
ngx_http_govern_redis_reconnect_handler(ngx_event_t *ev)
{
    ngx_http_govern_redis_node_t *node = ev->data;

    ngx_http_govern_redis_t  *client;

    client = node->client;

    if (client->exiting || ngx_exiting) {
        return;
    }

    switch (node->kind) {

    case NGX_HTTP_GOVERN_REDIS_DATA:

        /* a sentinel says where the master is now */

        if (client->conf->mode == NGX_HTTP_GOVERN_REDIS_SENTINEL) {
            ngx_http_govern_redis_ask(client);
            return;
        }

        if (client->conf->mode == NGX_HTTP_GOVERN_REDIS_CLUSTER
            && !node->in_map)
        {
            return;                     /* no longer serves a slot */
        }

        ngx_http_govern_redis_connect(node);
        return;

    case NGX_HTTP_GOVERN_REDIS_WATCH:
        ngx_http_govern_redis_watch(client);
        return;

    default:
        return;                         /* connected when needed */
    }
}


static void
ngx_http_govern_redis_setup_reply(void *data, redisReply *reply)
{
    ngx_http_govern_redis_node_t *node = data;

    if (reply == NULL || reply->type != REDIS_REPLY_ERROR) {
        return;                         /* closing, or OK */
    }

    ngx_log_error(NGX_LOG_ERR, node->client->log, 0,
                  "govern: redis %V refused the handshake: %s",
                  &node->addr_text, reply->str);

    ngx_http_govern_redis_failed(node, "handshake refused");
}


static void
ngx_http_govern_redis_ping_reply(void *data, redisReply *reply)
{
    ngx_http_govern_redis_node_t *node = data;

    if (reply == NULL) {
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_http_govern_redis_setup_reply(data, reply);
        return;
    }

    ngx_http_govern_redis_up(node);
}


static void
ngx_http_govern_redis_role_reply(void *data, redisReply *reply)
{
    ngx_http_govern_redis_node_t *node = data;

    if (reply == NULL) {
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {

        /* a user without ROLE: a sentinel's master must be checked; one
         * Redis is taken as it is, READONLY would tell */

        if (node->client->conf->mode == NGX_HTTP_GOVERN_REDIS_SENTINEL) {
            ngx_http_govern_redis_setup_reply(data, reply);
            return;
        }

        ngx_http_govern_redis_up(node);
        return;
    }

    if (govern_redis_role(reply) != GOVERN_REDIS_ROLE_MASTER) {
        ngx_http_govern_redis_failed(node, "a replica, not the master");
        return;
    }

    ngx_http_govern_redis_up(node);
}


/* the node answered its handshake: it serves, and its breaker closes */

static void
ngx_http_govern_redis_up(ngx_http_govern_redis_node_t *node)
{
    u_char  label[NGX_HTTP_GOVERN_REDIS_LABEL];

    node->ready = 1;
    node->failing = 0;
    node->backoff = NGX_HTTP_GOVERN_REDIS_BACKOFF_MIN;

    if (node->client->conf->mode == NGX_HTTP_GOVERN_REDIS_SENTINEL) {
        node->client->backoff = NGX_HTTP_GOVERN_REDIS_BACKOFF_MIN;
    }

    if (ngx_atomic_cmp_set(&node->breaker->down, 1, 0)) {
        ngx_log_error(NGX_LOG_NOTICE, node->client->log, 0,
                      "govern: redis %s is available again, rate limits "
                      "are shared again",
                      ngx_http_govern_redis_label(node, label));
    }
}


static void
ngx_http_govern_redis_write_handler(ngx_event_t *wev)
{
    int                            err;
    size_t                         n, left, off, size;
    ssize_t                        sent;
    socklen_t                      len;
    ngx_uint_t                     i;
    ngx_queue_t                   *q;
    ngx_uint_t                     level;
    struct iovec                   iov[NGX_HTTP_GOVERN_REDIS_IOV];
    ngx_connection_t              *c;
    ngx_http_govern_redis_op_t    *op;
    ngx_http_govern_redis_node_t  *node;

    c = wev->data;
    node = c->data;

    if (!node->connected) {
        if (wev->timedout) {
            ngx_http_govern_redis_failed(node, "connect timed out");
            return;
        }

        err = 0;
        len = sizeof(int);

        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len) == -1)
        {
            err = ngx_socket_errno;
        }

        if (err) {
            level = (node->failing || node->breaker->down) ? NGX_LOG_INFO
                                                           : NGX_LOG_ERR;

            ngx_log_error(level, node->client->log, err,
                          "govern: connect() to redis %V failed",
                          &node->addr_text);
            ngx_http_govern_redis_failed(node, "cannot connect");
            return;
        }

        if (wev->timer_set) {
            ngx_del_timer(wev);
        }

        node->connected = 1;
    }

    while (!ngx_queue_empty(&node->send)) {

        i = 0;
        off = node->sent;
        q = ngx_queue_head(&node->send);

        /* an op is its ASKING, if any, then its command */

        while (q != ngx_queue_sentinel(&node->send)
               && i < NGX_HTTP_GOVERN_REDIS_IOV - 1)
        {
            op = ngx_queue_data(q, ngx_http_govern_redis_op_t, queue);

            if (op->asking) {
                if (off < NGX_HTTP_GOVERN_REDIS_ASKING_LEN) {
                    iov[i].iov_base = (u_char *) ngx_http_govern_redis_asking
                                      + off;
                    iov[i].iov_len = NGX_HTTP_GOVERN_REDIS_ASKING_LEN - off;
                    i++;
                    off = 0;

                } else {
                    off -= NGX_HTTP_GOVERN_REDIS_ASKING_LEN;
                }
            }

            iov[i].iov_base = op->cmd + off;
            iov[i].iov_len = op->len - off;
            i++;
            off = 0;
            q = ngx_queue_next(q);
        }

        sent = writev(c->fd, iov, i);

        if (sent == -1) {
            err = ngx_socket_errno;

            if (err == NGX_EAGAIN || err == NGX_EINTR) {
                if (ngx_handle_write_event(wev, 0) != NGX_OK) {
                    ngx_http_govern_redis_failed(node, "event error");
                }

                return;
            }

            ngx_log_error(NGX_LOG_ERR, node->client->log, err,
                          "govern: writev() to redis %V failed",
                          &node->addr_text);
            ngx_http_govern_redis_failed(node, "write failed");
            return;
        }

        /* whole commands move to the reply queue */

        n = (size_t) sent;

        while (n) {
            q = ngx_queue_head(&node->send);
            op = ngx_queue_data(q, ngx_http_govern_redis_op_t, queue);
            size = op->len
                   + (op->asking ? NGX_HTTP_GOVERN_REDIS_ASKING_LEN : 0);
            left = size - node->sent;

            if (n < left) {
                node->sent += n;
                break;
            }

            n -= left;
            node->sent = 0;
            op->asking_reply = op->asking;
            op->asking = 0;
            ngx_queue_remove(q);
            ngx_queue_insert_tail(&node->wait, q);
        }
    }
}


static void
ngx_http_govern_redis_read_handler(ngx_event_t *rev)
{
    void                          *reply;
    ssize_t                        n;
    ngx_err_t                      err;
    ngx_connection_t              *c;
    ngx_http_govern_redis_node_t  *node;
    u_char                         buf[16384];

    c = rev->data;
    node = c->data;

    if (rev->timedout) {
        ngx_http_govern_redis_failed(node, node->ready
                                           ? "no answer from redis"
                                           : "no answer to the handshake");
        return;
    }

    if (!node->connected) {

        /* the connect failed (or is done): the write handler tells */

        ngx_http_govern_redis_write_handler(c->write);

        if (node->c != c || !node->connected) {
            return;
        }
    }

    for ( ;; ) {
        n = recv(c->fd, buf, sizeof(buf), 0);

        if (n == -1) {
            err = ngx_socket_errno;

            if (err == NGX_EAGAIN || err == NGX_EINTR) {
                break;
            }

            ngx_log_error(NGX_LOG_ERR, node->client->log, err,
                          "govern: recv() from redis %V failed",
                          &node->addr_text);
            ngx_http_govern_redis_failed(node, "read failed");
            return;
        }

        if (n == 0) {
            ngx_http_govern_redis_failed(node, "connection closed by redis");
            return;
        }

        if (redisReaderFeed(node->reader, (const char *) buf, n) != REDIS_OK)
        {
            ngx_http_govern_redis_failed(node, "out of memory");
            return;
        }

        /* every reply this read brought */

        for ( ;; ) {
            reply = NULL;

            if (redisReaderGetReply(node->reader, &reply) != REDIS_OK) {
                ngx_http_govern_redis_failed(node, "protocol error");
                return;
            }

            if (reply == NULL) {
                break;
            }

            ngx_http_govern_redis_dispatch(node, reply);

            freeReplyObject(reply);

            if (node->c != c) {
                return;                 /* the connection was closed */
            }
        }

        if ((size_t) n < sizeof(buf)) {
            break;
        }
    }

    /* every reply is in: what was queued meanwhile leaves */

    if (ngx_queue_empty(&node->wait) && !ngx_queue_empty(&node->send)
        && !c->write->posted)
    {
        ngx_post_event(c->write, &ngx_posted_events);
    }

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_http_govern_redis_failed(node, "event error");
    }
}


/* a reply, to the operation at the head of the queue */

static void
ngx_http_govern_redis_dispatch(ngx_http_govern_redis_node_t *node,
    redisReply *reply)
{
    ngx_queue_t                 *q;
    ngx_http_govern_redis_op_t  *op;

    if (ngx_queue_empty(&node->wait)) {
        if (node->subscribed) {
            ngx_http_govern_redis_message(node, reply);
            return;
        }

        ngx_http_govern_redis_failed(node, "unexpected reply");
        return;
    }

    q = ngx_queue_head(&node->wait);
    op = ngx_queue_data(q, ngx_http_govern_redis_op_t, queue);

    if (op->asking_reply) {
        op->asking_reply = 0;           /* ASKING's +OK */
        return;
    }

    ngx_queue_remove(q);
    op->node = NULL;

    if (op->internal) {
        if (--node->internal == 0 && node->c->read->timer_set) {
            ngx_del_timer(node->c->read);
        }

        op->handler(op->data, reply);
        ngx_free(op);
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR
        && ngx_http_govern_redis_error_reply(node, op, reply) == NGX_OK)
    {
        return;                         /* sent again, or parked */
    }

    ngx_http_govern_redis_deliver(op, reply);
}


/*
 * Closes the node's connection and fails every operation queued on it:
 * commands get a NULL reply, internal ones are dropped (their purpose
 * goes with the connection).
 */

static void
ngx_http_govern_redis_close(ngx_http_govern_redis_node_t *node)
{
    ngx_queue_t                 *q;
    ngx_http_govern_redis_op_t  *op;

    if (node->resolving) {
        ngx_resolve_name_done(node->resolving);
        node->resolving = NULL;
    }

    if (node->c) {
        ngx_close_connection(node->c);
        node->c = NULL;
    }

    if (node->reader) {
        redisReaderFree(node->reader);
        node->reader = NULL;
    }

    node->connected = 0;
    node->ready = 0;
    node->subscribed = 0;
    node->sent = 0;
    node->internal = 0;

    while (!ngx_queue_empty(&node->wait) || !ngx_queue_empty(&node->send)) {
        q = ngx_queue_empty(&node->wait) ? ngx_queue_head(&node->send)
                                         : ngx_queue_head(&node->wait);
        ngx_queue_remove(q);
        op = ngx_queue_data(q, ngx_http_govern_redis_op_t, queue);
        op->node = NULL;

        if (op->internal) {
            ngx_free(op);
            continue;
        }

        ngx_http_govern_redis_deliver(op, NULL);
    }
}


/*
 * The node failed: closed, its breaker opened (data nodes: their requests
 * go to the fallback), and what it was for is retried after a backoff.
 */

static void
ngx_http_govern_redis_failed(ngx_http_govern_redis_node_t *node,
    const char *why)
{
    u_char                         label[NGX_HTTP_GOVERN_REDIS_LABEL];
    ngx_uint_t                     refreshing, level;
    ngx_http_govern_redis_t       *client;

    client = node->client;

    /* what the node was asked goes with it */

    refreshing = client->refreshing && client->refresher == node;

    ngx_http_govern_redis_close(node);

    node->next_addr++;              /* a name's next address, if several */

    if (client->exiting || ngx_exiting) {
        return;
    }

    /* said once when a sentinel or a configured node starts failing,
     * then at info level until it works again */

    level = node->failing ? NGX_LOG_INFO : NGX_LOG_ERR;
    node->failing = 1;

    if (node->kind == NGX_HTTP_GOVERN_REDIS_DATA
        && ngx_atomic_cmp_set(&node->breaker->down, 0, 1))
    {
        ngx_log_error(NGX_LOG_ERR, client->log, 0,
                      "govern: redis %s is unavailable (%s), rate limits "
                      "use their fallback",
                      ngx_http_govern_redis_label(node, label), why);
    }

    switch (node->kind) {

    case NGX_HTTP_GOVERN_REDIS_DATA:
        if (!node->reconnect.timer_set) {
            ngx_add_timer(&node->reconnect, node->backoff);
            node->backoff = ngx_min(node->backoff * 2,
                                    NGX_HTTP_GOVERN_REDIS_BACKOFF_MAX);
        }

        if (client->conf->mode == NGX_HTTP_GOVERN_REDIS_CLUSTER) {
            if (refreshing) {
                ngx_http_govern_redis_refresh_failed(client);
            }

            /* a replica may have taken the node's slots over */
            ngx_http_govern_redis_refresh(client);
        }

        return;

    case NGX_HTTP_GOVERN_REDIS_SEED:
        if (refreshing) {
            ngx_log_error(level, client->log, 0,
                          "govern: redis cluster node %V cannot tell the "
                          "slot map (%s)", &node->addr_text, why);
            ngx_http_govern_redis_refresh_failed(client);
        }

        return;

    case NGX_HTTP_GOVERN_REDIS_ASKER:
        if (client->asking) {
            ngx_log_error(level, client->log, 0,
                          "govern: redis sentinel %V cannot tell the master "
                          "(%s)", &node->addr_text, why);
            ngx_http_govern_redis_ask_failed(client);
        }

        return;

    default: /* NGX_HTTP_GOVERN_REDIS_WATCH */
        ngx_log_error(level, client->log, 0,
                      "govern: redis sentinel %V cannot be watched (%s)",
                      &node->addr_text, why);

        client->next_watch++;

        if (!node->reconnect.timer_set) {
            ngx_add_timer(&node->reconnect, node->backoff);
            node->backoff = ngx_min(node->backoff * 2,
                                    NGX_HTTP_GOVERN_REDIS_BACKOFF_MAX);
        }

        return;
    }
}


static void
ngx_http_govern_redis_free_node(ngx_http_govern_redis_node_t *node)
{
    if (node->reconnect.timer_set) {
        ngx_del_timer(&node->reconnect);
    }

    ngx_http_govern_redis_close(node);

    if (node->host.data) {
        ngx_free(node->host.data);
    }

    ngx_free(node);
}


/* "NAME", or "NAME at ADDRESS" when they differ, for the log */

static char *
ngx_http_govern_redis_label(ngx_http_govern_redis_node_t *node, u_char *buf)
{
    u_char  *p, *last;

    last = buf + NGX_HTTP_GOVERN_REDIS_LABEL - 1;

    p = ngx_slprintf(buf, last, "%V", &node->name);

    if (node->addr_text.len
        && (node->addr_text.len != node->name.len
            || ngx_memcmp(node->addr_text.data, node->name.data,
                          node->name.len) != 0))
    {
        p = ngx_slprintf(p, last, " at %V", &node->addr_text);
    }

    *p = '\0';

    return (char *) buf;
}


/* operations */


static ngx_http_govern_redis_op_t *
ngx_http_govern_redis_op(ngx_http_govern_redis_t *client, int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_govern_redis_handler_pt handler, void *data)
{
    size_t                       len;
    ngx_http_govern_redis_op_t  *op;

    len = govern_redis_format_len(argc, argvlen);

    op = ngx_alloc(offsetof(ngx_http_govern_redis_op_t, cmd) + len,
                   client->log);
    if (op == NULL) {
        return NULL;
    }

    ngx_memzero(op, offsetof(ngx_http_govern_redis_op_t, cmd));

    op->len = (u_char *) govern_redis_format((char *) op->cmd, argc, argv,
                                             argvlen)
              - op->cmd;
    op->handler = handler;
    op->data = data;
    op->slot = -1;

    return op;
}


/* a command of the client's own, timed by the node's read timer */

static ngx_int_t
ngx_http_govern_redis_internal(ngx_http_govern_redis_node_t *node, int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_govern_redis_handler_pt handler)
{
    ngx_http_govern_redis_op_t  *op;

    op = ngx_http_govern_redis_op(node->client, argc, argv, argvlen,
                                  handler, node);
    if (op == NULL) {
        return NGX_ERROR;
    }

    op->internal = 1;
    node->internal++;

    if (node->c && !node->c->read->timer_set) {
        ngx_add_timer(node->c->read, node->client->conf->connect_timeout);
    }

    ngx_http_govern_redis_queue(node, op);

    return NGX_OK;
}


static void
ngx_http_govern_redis_queue(ngx_http_govern_redis_node_t *node,
    ngx_http_govern_redis_op_t *op)
{
    op->node = node;
    op->queued = ngx_current_msec;

    ngx_queue_insert_tail(&node->send, &op->queue);

    /*
     * Written once this event loop iteration ends, and while the replies
     * to an earlier write are awaited, once they are in: the commands of
     * all requests handled meanwhile leave in one write.  Under load that
     * is one write (and one wake-up of Redis) per round trip, not one per
     * loop turn; an idle connection writes at once.
     */

    if (node->connected && !node->c->write->posted
        && ngx_queue_empty(&node->wait))
    {
        ngx_post_event(node->c->write, &ngx_posted_events);
    }
}


static void
ngx_http_govern_redis_deliver(ngx_http_govern_redis_op_t *op,
    redisReply *reply)
{
    if (!op->cancelled && op->handler) {
        op->handler(op->data, reply);
    }

    ngx_free(op);
}


/* a data node may be sent requests: connected (or connecting) and its
 * breaker closed */

static ngx_uint_t
ngx_http_govern_redis_usable(ngx_http_govern_redis_node_t *node)
{
    return node && node->c && !node->breaker->down;
}


/*
 * An error reply to a command, which the client may act on: NGX_OK when
 * the command was sent again or parked (the reply is not delivered),
 * NGX_DECLINED when the caller gets the error.
 */

static ngx_int_t
ngx_http_govern_redis_error_reply(ngx_http_govern_redis_node_t *node,
    ngx_http_govern_redis_op_t *op, redisReply *reply)
{
    govern_redis_error_e            kind;
    ngx_http_govern_redis_t        *client;
    govern_redis_redirect_t         to;
    ngx_http_govern_redis_node_t   *target;

    client = node->client;

    kind = govern_redis_error(reply->str, reply->len, &to);

    if (kind == GOVERN_REDIS_ERR_READONLY) {

        /* a replica now: whatever the name, the sentinels or the map say
         * is the master gets the next commands */

        ngx_http_govern_redis_deliver(op, NULL);
        ngx_http_govern_redis_failed(node, "a replica now, READONLY");
        return NGX_OK;
    }

    if (client->conf->mode != NGX_HTTP_GOVERN_REDIS_CLUSTER) {
        return NGX_DECLINED;
    }

    switch (kind) {

    case GOVERN_REDIS_ERR_MOVED:
        (void) ngx_atomic_fetch_add(
                   &client->shared->redirects[NGX_HTTP_GOVERN_REDIS_MOVED], 1);

        target = ngx_http_govern_redis_cluster_node(node, &to.to);

        if (target) {
            client->slots[to.slot] = (uint16_t) target->index;
            target->in_map = 1;
        }

        /* one refresh for the whole map, not one per request */
        ngx_http_govern_redis_refresh(client);

        if (op->moved || op->cancelled || target == NULL
            || !ngx_http_govern_redis_usable(target))
        {
            goto fallback;
        }

        op->moved = 1;
        ngx_http_govern_redis_queue(target, op);
        return NGX_OK;

    case GOVERN_REDIS_ERR_ASK:
        (void) ngx_atomic_fetch_add(
                   &client->shared->redirects[NGX_HTTP_GOVERN_REDIS_ASK], 1);

        target = ngx_http_govern_redis_cluster_node(node, &to.to);

        if (op->asked || op->cancelled || target == NULL
            || !ngx_http_govern_redis_usable(target))
        {
            goto fallback;
        }

        op->asked = 1;
        op->asking = 1;
        ngx_http_govern_redis_queue(target, op);
        return NGX_OK;

    case GOVERN_REDIS_ERR_TRYAGAIN:
        (void) ngx_atomic_fetch_add(
                &client->shared->redirects[NGX_HTTP_GOVERN_REDIS_TRYAGAIN], 1);

        if (op->tries == NGX_HTTP_GOVERN_REDIS_TRYAGAIN_MAX || op->cancelled)
        {
            goto fallback;
        }

        /* the same node again shortly, after ASKING if it was asked */

        op->tries++;
        op->target = node;
        ngx_queue_insert_tail(&client->parked, &op->queue);

        if (!client->retry.timer_set) {
            ngx_add_timer(&client->retry, NGX_HTTP_GOVERN_REDIS_TRYAGAIN_MS);
        }

        return NGX_OK;

    case GOVERN_REDIS_ERR_CLUSTERDOWN:

        /* said at most once a second by each worker, not per request */

        if (ngx_current_msec - client->clusterdown >= 1000
            || client->clusterdown == 0)
        {
            client->clusterdown = ngx_current_msec ? ngx_current_msec : 1;
            ngx_log_error(NGX_LOG_ERR, client->log, 0,
                          "govern: redis cluster node %V: %s, rate limits "
                          "of its slot use their fallback", &node->name,
                          reply->str);
        }

        ngx_http_govern_redis_refresh(client);
        goto fallback;

    default:
        return NGX_DECLINED;
    }

fallback:

    /* the cluster could not place the command: the caller's fallback, as
     * for a node that does not answer */

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, client->log, 0,
                   "govern: redis %V: %s, the fallback decides",
                   &node->name, reply->str);

    ngx_http_govern_redis_deliver(op, NULL);

    return NGX_OK;
}


/*
 * The data node at an endpoint a reply named (an empty host: the node
 * that answered), created and connected when first named.
 */

static ngx_http_govern_redis_node_t *
ngx_http_govern_redis_cluster_node(ngx_http_govern_redis_node_t *from,
    govern_redis_endpoint_t *ep)
{
    u_char                        *host, text[NGX_SOCKADDR_STRLEN];
    u_char                         name[NGX_SOCKADDR_STRLEN + 8];
    size_t                         len;
    ngx_str_t                      s;
    ngx_uint_t                     i;
    ngx_http_govern_redis_t       *client;
    ngx_http_govern_redis_node_t  *node;

    client = from->client;

    if (ep->host_len) {
        host = (u_char *) ep->host;
        len = ep->host_len;

    } else {
        host = text;
        len = ngx_sock_ntop(&from->sockaddr.sockaddr, from->socklen, text,
                            NGX_SOCKADDR_STRLEN, 0);
    }

    if (len > NGX_SOCKADDR_STRLEN) {
        return NULL;
    }

    s.data = name;
    s.len = ngx_snprintf(name, sizeof(name), "%*s:%ui", len, host,
                         (ngx_uint_t) ep->port)
            - name;

    for (i = 0; i < client->nnodes; i++) {
        node = client->nodes[i];

        if (node->name.len == s.len
            && ngx_memcmp(node->name.data, s.data, s.len) == 0)
        {
            return node;
        }
    }

    if (client->nnodes == NGX_HTTP_GOVERN_REDIS_NODES) {
        ngx_log_error(NGX_LOG_ERR, client->log, 0,
                      "govern: redis cluster: more than %d masters, %V is "
                      "not used", NGX_HTTP_GOVERN_REDIS_NODES, &s);
        return NULL;
    }

    node = ngx_http_govern_redis_node(client, NGX_HTTP_GOVERN_REDIS_DATA, &s);
    if (node == NULL) {
        return NULL;
    }

    if (ngx_http_govern_redis_endpoint(node, host, len, (in_port_t) ep->port)
        != NGX_OK)
    {
        ngx_http_govern_redis_free_node(node);
        return NULL;
    }

    client->nodes[client->nnodes++] = node;
    node->index = client->nnodes;

    ngx_http_govern_redis_connect(node);

    return node;
}


/*
 * Asks for the slot map: a node that serves, or else a configured
 * address.  One refresh at a time, at most one per 100 ms; asked for
 * meanwhile, it follows the one in flight.
 */

static void
ngx_http_govern_redis_refresh(ngx_http_govern_redis_t *client)
{
    ngx_uint_t                     i, naddrs;
    ngx_msec_t                     elapsed;
    const char                    *argv[2];
    size_t                         argvlen[2];
    ngx_http_govern_redis_node_t  *node;
    ngx_http_govern_redis_addr_t  *addr;

    if (client->exiting || ngx_exiting) {
        return;
    }

    if (client->refreshing) {
        client->again = 1;
        return;
    }

    if (client->refresh.timer_set) {
        return;                         /* one is due */
    }

    elapsed = ngx_current_msec - client->refreshed;

    if (client->mapped && elapsed < NGX_HTTP_GOVERN_REDIS_REFRESH_MS) {
        ngx_add_timer(&client->refresh,
                      NGX_HTTP_GOVERN_REDIS_REFRESH_MS - elapsed);
        return;
    }

    node = NULL;

    for (i = 0; i < client->nnodes; i++) {
        node = client->nodes[(client->next_asked + i) % client->nnodes];

        if (node->ready && node->in_map && !node->breaker->down) {
            client->next_asked += i + 1;
            break;
        }

        node = NULL;
    }

    if (node == NULL) {
        node = client->seed;

        if (node->c == NULL && node->resolving == NULL) {
            addr = client->conf->addrs->elts;
            naddrs = client->conf->addrs->nelts;
            ngx_http_govern_redis_configured(node,
                                          &addr[client->next_seed % naddrs]);
        }
    }

    argv[0] = "CLUSTER";
    argvlen[0] = 7;
    argv[1] = "SLOTS";
    argvlen[1] = 5;

    client->refreshed = ngx_current_msec;
    client->refreshing = 1;
    client->refresher = node;
    client->again = 0;

    if (ngx_http_govern_redis_internal(node, 2, argv, argvlen,
                                       ngx_http_govern_redis_slots_reply)
        != NGX_OK)
    {
        ngx_http_govern_redis_refresh_failed(client);
        return;
    }

    ngx_http_govern_redis_connect(node);
}


static void
ngx_http_govern_redis_refresh_handler(ngx_event_t *ev)
{
    ngx_http_govern_redis_t *client = ev->data;

    if (client->conf->mode == NGX_HTTP_GOVERN_REDIS_SENTINEL) {
        ngx_http_govern_redis_ask(client);
        return;
    }

    ngx_http_govern_redis_refresh(client);
}


static void
ngx_http_govern_redis_slots_reply(void *data, redisReply *reply)
{
    ngx_http_govern_redis_node_t *from = data;

    int                            n;
    uint16_t                      *slots;
    ngx_uint_t                     i, j, masters, served;
    govern_redis_range_t          *ranges;
    ngx_http_govern_redis_t       *client;
    ngx_http_govern_redis_node_t  *node;

    client = from->client;
    client->refreshing = 0;
    client->refresher = NULL;

    ranges = NULL;
    n = -1;

    if (reply->type == REDIS_REPLY_ARRAY) {
        ranges = ngx_alloc((reply->elements + 1)
                           * sizeof(govern_redis_range_t), client->log);
        if (ranges == NULL) {
            ngx_http_govern_redis_refresh_failed(client);
            return;
        }

        n = govern_redis_cluster_slots(reply, ranges, reply->elements);
    }

    if (n < 0) {
        ngx_log_error(NGX_LOG_ERR, client->log, 0,
                      "govern: redis %V answered CLUSTER SLOTS with %s%s",
                      &from->addr_text,
                      reply->type == REDIS_REPLY_ERROR
                      ? "an error: " : "something else than a slot map",
                      reply->type == REDIS_REPLY_ERROR ? reply->str : "");

        if (ranges) {
            ngx_free(ranges);
        }

        ngx_http_govern_redis_refresh_failed(client);
        return;
    }

    slots = ngx_calloc(GOVERN_REDIS_SLOTS * sizeof(uint16_t), client->log);
    if (slots == NULL) {
        ngx_free(ranges);
        ngx_http_govern_redis_refresh_failed(client);
        return;
    }

    for (i = 0; i < (ngx_uint_t) n; i++) {
        node = ngx_http_govern_redis_cluster_node(from, &ranges[i].master);

        if (node == NULL) {
            continue;
        }

        for (j = ranges[i].start; j <= ranges[i].end; j++) {
            slots[j] = (uint16_t) node->index;
        }
    }

    ngx_free(ranges);

    masters = 0;

    for (i = 0; i < client->nnodes; i++) {
        client->nodes[i]->in_map = 0;
    }

    served = 0;

    for (j = 0; j < GOVERN_REDIS_SLOTS; j++) {
        if (slots[j]) {
            served++;
            node = client->nodes[slots[j] - 1];

            if (!node->in_map) {
                node->in_map = 1;
                masters++;
            }
        }
    }

    if (!client->mapped
        || ngx_memcmp(slots, client->slots,
                      GOVERN_REDIS_SLOTS * sizeof(uint16_t)) != 0)
    {
        ngx_log_error(NGX_LOG_NOTICE, client->log, 0,
                      "govern: redis cluster: %ui masters serve %ui of "
                      "16384 slots (map from %V)", masters, served,
                      &from->addr_text);

        ngx_memcpy(client->slots, slots,
                   GOVERN_REDIS_SLOTS * sizeof(uint16_t));
    }

    ngx_free(slots);

    client->mapped = 1;
    client->backoff = NGX_HTTP_GOVERN_REDIS_BACKOFF_MIN;
    from->failing = 0;

    /* the nodes of the map are connected; a configured address is not
     * needed until the next time no node serves */

    for (i = 0; i < client->nnodes; i++) {
        node = client->nodes[i];

        if (node->in_map && node->c == NULL && node->resolving == NULL
            && !node->reconnect.timer_set)
        {
            ngx_http_govern_redis_connect(node);
        }
    }

    if (from == client->seed) {
        ngx_http_govern_redis_close(from);
    }

    ngx_http_govern_redis_route_unmapped(client);

    if (client->again) {
        client->again = 0;
        ngx_http_govern_redis_refresh(client);
    }
}


/* the map could not be had: the next address, later */

static void
ngx_http_govern_redis_refresh_failed(ngx_http_govern_redis_t *client)
{
    client->refreshing = 0;
    client->refresher = NULL;
    client->next_seed++;

    if (client->seed->c || client->seed->resolving) {
        ngx_http_govern_redis_close(client->seed);
    }

    ngx_http_govern_redis_route_unmapped(client);

    if (client->exiting || ngx_exiting || client->refresh.timer_set) {
        return;
    }

    ngx_add_timer(&client->refresh, client->backoff);
    client->backoff = ngx_min(client->backoff * 2,
                              NGX_HTTP_GOVERN_REDIS_BACKOFF_MAX);
}


/* the commands that waited for a map go where it says, or fail */

static void
ngx_http_govern_redis_route_unmapped(ngx_http_govern_redis_t *client)
{
    ngx_queue_t                   *q;
    ngx_http_govern_redis_op_t    *op;
    ngx_http_govern_redis_node_t  *node;

    while (!ngx_queue_empty(&client->unmapped)) {
        q = ngx_queue_head(&client->unmapped);
        ngx_queue_remove(q);
        op = ngx_queue_data(q, ngx_http_govern_redis_op_t, queue);

        if (op->cancelled) {
            ngx_free(op);
            continue;
        }

        node = (client->mapped && client->slots[op->slot])
               ? client->nodes[client->slots[op->slot] - 1] : NULL;

        if (!ngx_http_govern_redis_usable(node)) {
            ngx_http_govern_redis_deliver(op, NULL);
            continue;
        }

        ngx_http_govern_redis_queue(node, op);
    }
}


/* TRYAGAIN: the parked commands go again to the node that said it */

static void
ngx_http_govern_redis_retry_handler(ngx_event_t *ev)
{
    ngx_http_govern_redis_t *client = ev->data;

    ngx_queue_t                   *q;
    ngx_queue_t                    parked;
    ngx_http_govern_redis_op_t    *op;
    ngx_http_govern_redis_node_t  *node;

    ngx_queue_init(&parked);

    if (!ngx_queue_empty(&client->parked)) {
        ngx_queue_add(&parked, &client->parked);
        ngx_queue_init(&client->parked);
    }

    while (!ngx_queue_empty(&parked)) {
        q = ngx_queue_head(&parked);
        ngx_queue_remove(q);
        op = ngx_queue_data(q, ngx_http_govern_redis_op_t, queue);
        node = op->target;
        op->target = NULL;

        if (op->cancelled) {
            ngx_free(op);
            continue;
        }

        if (!ngx_http_govern_redis_usable(node)) {
            ngx_http_govern_redis_deliver(op, NULL);
            continue;
        }

        op->asking = op->asked;
        ngx_http_govern_redis_queue(node, op);
    }
}


/* Sentinel */


/* asks a sentinel where the master is (one question at a time) */

static void
ngx_http_govern_redis_ask(ngx_http_govern_redis_t *client)
{
    ngx_uint_t                     naddrs;
    const char                    *argv[3];
    size_t                         argvlen[3];
    ngx_http_govern_redis_node_t  *node;
    ngx_http_govern_redis_addr_t  *addr;

    if (client->asking || client->exiting || ngx_exiting) {
        return;
    }

    if (client->refresh.timer_set) {
        ngx_del_timer(&client->refresh);
    }

    node = client->asker;

    if (node->c == NULL && node->resolving == NULL) {
        addr = client->conf->addrs->elts;
        naddrs = client->conf->addrs->nelts;
        ngx_http_govern_redis_configured(node,
                                      &addr[client->next_sentinel % naddrs]);
    }

    argv[0] = "SENTINEL";
    argvlen[0] = 8;
    argv[1] = "get-master-addr-by-name";
    argvlen[1] = 23;
    argv[2] = (const char *) client->conf->master.data;
    argvlen[2] = client->conf->master.len;

    if (ngx_http_govern_redis_internal(node, 3, argv, argvlen,
                                       ngx_http_govern_redis_master_reply)
        != NGX_OK)
    {
        ngx_http_govern_redis_ask_failed(client);
        return;
    }

    client->asking = 1;

    ngx_http_govern_redis_connect(node);
}


static void
ngx_http_govern_redis_master_reply(void *data, redisReply *reply)
{
    ngx_http_govern_redis_node_t *node = data;

    ngx_int_t                 rc;
    ngx_http_govern_redis_t  *client;
    govern_redis_endpoint_t   ep;

    client = node->client;
    client->asking = 0;

    rc = govern_redis_sentinel_master(reply, &ep);

    if (rc != 1) {
        ngx_log_error(NGX_LOG_ERR, client->log, 0,
                      "govern: redis sentinel %V %s \"%V\"%s%s",
                      &node->addr_text,
                      rc == 0 ? "does not know the master"
                              : "gave no address for the master",
                      &client->conf->master,
                      reply->type == REDIS_REPLY_ERROR ? ": " : "",
                      reply->type == REDIS_REPLY_ERROR ? reply->str : "");

        /* the next sentinel may know */
        ngx_http_govern_redis_close(node);
        ngx_http_govern_redis_ask_failed(client);
        return;
    }

    node->failing = 0;

    ngx_http_govern_redis_switch(client, &ep);
}


static void
ngx_http_govern_redis_ask_failed(ngx_http_govern_redis_t *client)
{
    client->asking = 0;
    client->next_sentinel++;

    if (client->exiting || ngx_exiting || client->refresh.timer_set) {
        return;
    }

    ngx_add_timer(&client->refresh, client->backoff);
    client->backoff = ngx_min(client->backoff * 2,
                              NGX_HTTP_GOVERN_REDIS_BACKOFF_MAX);
}


/*
 * The sentinels name the master: a new address closes the connection to
 * the old one (its commands take the fallback) and connects to the new.
 */

static void
ngx_http_govern_redis_switch(ngx_http_govern_redis_t *client,
    govern_redis_endpoint_t *ep)
{
    u_char                        text[NGX_SOCKADDR_STRLEN + 8];
    uint32_t                      crc;
    ngx_str_t                     s;
    ngx_atomic_uint_t             old;
    ngx_http_govern_redis_node_t  *master;

    master = client->master;

    if (ep->host_len > NGX_SOCKADDR_STRLEN) {
        return;
    }

    s.data = text;
    s.len = ngx_snprintf(text, sizeof(text), "%*s:%ui", ep->host_len,
                         ep->host, (ngx_uint_t) ep->port)
            - text;

    if (master->has_addr && master->endpoint.len == s.len
        && ngx_memcmp(master->endpoint.data, s.data, s.len) == 0)
    {
        if (master->c == NULL && master->resolving == NULL) {
            ngx_http_govern_redis_connect(master);
        }

        return;
    }

    /* said once for all the workers */

    crc = ngx_crc32_short(s.data, s.len);
    old = master->breaker->addr;

    if (old != crc && ngx_atomic_cmp_set(&master->breaker->addr, old, crc)) {
        ngx_log_error(NGX_LOG_NOTICE, client->log, 0,
                      "govern: redis sentinel: master \"%V\" is %V",
                      &master->name, &s);
    }

    ngx_http_govern_redis_close(master);

    if (ngx_http_govern_redis_endpoint(master, (u_char *) ep->host,
                                       ep->host_len, (in_port_t) ep->port)
        != NGX_OK)
    {
        ngx_http_govern_redis_failed(master, "out of memory");
        return;
    }

    ngx_memcpy(master->endpoint_data, s.data, s.len);
    master->endpoint.data = master->endpoint_data;
    master->endpoint.len = s.len;
    master->backoff = NGX_HTTP_GOVERN_REDIS_BACKOFF_MIN;

    ngx_http_govern_redis_connect(master);
}


/* a subscription to +switch-master on a sentinel, the next one on error */

static void
ngx_http_govern_redis_watch(ngx_http_govern_redis_t *client)
{
    ngx_uint_t                     naddrs;
    ngx_http_govern_redis_node_t  *node;
    ngx_http_govern_redis_addr_t  *addr;

    node = client->watch;

    if (node->c || node->resolving || client->exiting || ngx_exiting) {
        return;
    }

    addr = client->conf->addrs->elts;
    naddrs = client->conf->addrs->nelts;

    ngx_http_govern_redis_configured(node, &addr[client->next_watch % naddrs]);
    ngx_http_govern_redis_connect(node);
}


static void
ngx_http_govern_redis_sentinel_role_reply(void *data, redisReply *reply)
{
    ngx_http_govern_redis_node_t *node = data;

    if (govern_redis_role(reply) != GOVERN_REDIS_ROLE_SENTINEL) {
        ngx_http_govern_redis_failed(node, "not a sentinel");
    }
}


static void
ngx_http_govern_redis_subscribed(void *data, redisReply *reply)
{
    ngx_http_govern_redis_node_t *node = data;

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_http_govern_redis_setup_reply(data, reply);
        return;
    }

    node->subscribed = 1;
    node->failing = 0;
    node->backoff = NGX_HTTP_GOVERN_REDIS_BACKOFF_MIN;

    /* a failover may have happened while nobody listened */
    ngx_http_govern_redis_ask(node->client);
}


static void
ngx_http_govern_redis_message(ngx_http_govern_redis_node_t *node,
    redisReply *reply)
{
    ngx_int_t                 rc;
    ngx_http_govern_redis_t  *client;
    govern_redis_endpoint_t   ep;

    client = node->client;

    rc = govern_redis_switch_master(reply, (char *) client->conf->master.data,
                                    client->conf->master.len, &ep);

    if (rc == 1) {
        ngx_http_govern_redis_switch(client, &ep);
        return;
    }

    if (rc == -1) {
        ngx_log_error(NGX_LOG_ERR, client->log, 0,
                      "govern: redis sentinel %V sent an unexpected message",
                      &node->addr_text);
    }
}
