
/*
 * govern: a Redis client on nginx's event loop.
 *
 * nginx owns the socket (ngx_event_connect_peer, its timers and events);
 * hiredis is only the protocol codec (redisFormatCommandArgv, redisReader).
 * Each worker keeps one connection, opened in init_process to an address
 * resolved at config time, and pipelines every request's command on it:
 * Redis answers in order, so replies are matched to a FIFO of operations.
 *
 * An operation is malloc'ed, never in a request pool: a request that goes
 * away while its reply is pending only marks it cancelled, and the reply
 * is consumed and dropped when it comes.  On connect the client sends
 * AUTH, SELECT and PING; the connection serves once PING answers.  Any
 * failure closes the connection (pending operations get a NULL reply),
 * marks Redis down for every worker, and reconnects with backoff; the
 * first worker to see Redis answer again marks it up.
 */


#include "ngx_http_govern_redis.h"


#define NGX_HTTP_GOVERN_REDIS_BACKOFF_MIN  100
#define NGX_HTTP_GOVERN_REDIS_BACKOFF_MAX  5000
#define NGX_HTTP_GOVERN_REDIS_IOV          64


struct ngx_http_govern_redis_op_s {
    ngx_queue_t                        queue;
    char                              *cmd;
    size_t                             len;
    ngx_http_govern_redis_handler_pt   handler;
    void                              *data;
    unsigned                           cancelled:1;
};


struct ngx_http_govern_redis_s {
    ngx_http_govern_redis_conf_t      *conf;
    ngx_peer_connection_t              pc;
    ngx_connection_t                  *c;
    redisReader                       *reader;
    ngx_queue_t                        send;     /* not written yet */
    ngx_queue_t                        wait;     /* awaiting replies */
    size_t                             sent;     /* of the send head */
    ngx_event_t                        reconnect;
    ngx_msec_t                         backoff;
    ngx_log_t                         *log;
    unsigned                           connected:1;
    unsigned                           ready:1;
    unsigned                           exiting:1;
};


static void ngx_http_govern_redis_connect(ngx_http_govern_redis_t *rc);
static void ngx_http_govern_redis_reconnect_handler(ngx_event_t *ev);
static void ngx_http_govern_redis_write_handler(ngx_event_t *wev);
static void ngx_http_govern_redis_read_handler(ngx_event_t *rev);
static void ngx_http_govern_redis_close(ngx_http_govern_redis_t *rc,
    const char *why);
static ngx_int_t ngx_http_govern_redis_queue(ngx_http_govern_redis_t *rc,
    int argc, const char **argv, const size_t *argvlen,
    ngx_http_govern_redis_handler_pt handler, void *data,
    ngx_http_govern_redis_op_t **out);
static void ngx_http_govern_redis_handshake(void *data, redisReply *reply);
static void ngx_http_govern_redis_free_op(ngx_http_govern_redis_op_t *op);


/* govern_redis ADDR [password=P] [db=N] [timeout=T] [connect_timeout=T] */

char *
ngx_http_govern_redis_parse(ngx_conf_t *cf, ngx_http_govern_redis_conf_t *conf)
{
    ngx_str_t   *value, s;
    ngx_url_t    u;
    ngx_uint_t   i;

    value = cf->args->elts;

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url = value[1];
    u.default_port = 6379;
    u.no_resolve = 0;

    /* resolved here, once: a worker never calls getaddrinfo() */

    if (ngx_parse_url(cf->pool, &u) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "govern_redis \"%V\": %s",
                           &value[1], u.err ? u.err : "invalid address");
        return NGX_CONF_ERROR;
    }

    if (u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "govern_redis \"%V\": host not found", &value[1]);
        return NGX_CONF_ERROR;
    }

    conf->addr = u.addrs[0];
    conf->db = 0;
    conf->timeout = 50;
    conf->connect_timeout = 200;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "password=", 9) == 0) {
            conf->password.data = value[i].data + 9;
            conf->password.len = value[i].len - 9;
            continue;
        }

        if (ngx_strncmp(value[i].data, "db=", 3) == 0) {
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

        goto invalid;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "invalid parameter \"%V\"",
                       &value[i]);

    return NGX_CONF_ERROR;
}


ngx_int_t
ngx_http_govern_redis_init_process(ngx_cycle_t *cycle,
    ngx_http_govern_redis_conf_t *conf)
{
    ngx_http_govern_redis_t  *rc;

    rc = ngx_calloc(sizeof(ngx_http_govern_redis_t), cycle->log);
    if (rc == NULL) {
        return NGX_ERROR;
    }

    rc->conf = conf;
    rc->log = cycle->log;
    rc->backoff = NGX_HTTP_GOVERN_REDIS_BACKOFF_MIN;

    ngx_queue_init(&rc->send);
    ngx_queue_init(&rc->wait);

    rc->reconnect.handler = ngx_http_govern_redis_reconnect_handler;
    rc->reconnect.data = rc;
    rc->reconnect.log = cycle->log;
    rc->reconnect.cancelable = 1;       /* never holds up a graceful exit */

    conf->client = rc;

    ngx_http_govern_redis_connect(rc);

    return NGX_OK;
}


void
ngx_http_govern_redis_exit_process(ngx_http_govern_redis_conf_t *conf)
{
    ngx_http_govern_redis_t  *rc;

    rc = conf->client;

    if (rc == NULL) {
        return;
    }

    rc->exiting = 1;

    if (rc->reconnect.timer_set) {
        ngx_del_timer(&rc->reconnect);
    }

    if (rc->c) {
        ngx_http_govern_redis_close(rc, NULL);
    }

    ngx_free(rc);
    conf->client = NULL;
}


/* Redis may be asked: it is up for the workers and this one is connected */

ngx_int_t
ngx_http_govern_redis_usable(ngx_http_govern_redis_conf_t *conf)
{
    return conf->client && conf->client->c && !conf->breaker->down;
}


ngx_http_govern_redis_op_t *
ngx_http_govern_redis_send(ngx_http_govern_redis_conf_t *conf, int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_govern_redis_handler_pt handler, void *data)
{
    ngx_http_govern_redis_t     *rc;
    ngx_http_govern_redis_op_t  *op;

    rc = conf->client;

    if (rc == NULL || rc->c == NULL) {
        return NULL;
    }

    if (ngx_http_govern_redis_queue(rc, argc, argv, argvlen, handler, data,
                                    &op)
        != NGX_OK)
    {
        return NULL;
    }

    /* written once this event loop iteration ends: commands of requests
     * handled in the same iteration leave in one write */

    if (rc->connected && !rc->c->write->posted) {
        ngx_post_event(rc->c->write, &ngx_posted_events);
    }

    return op;
}


void
ngx_http_govern_redis_cancel(ngx_http_govern_redis_op_t *op)
{
    op->cancelled = 1;
    op->handler = NULL;
    op->data = NULL;
}


/* a request gave up waiting: Redis is too slow to be used */

void
ngx_http_govern_redis_failed(ngx_http_govern_redis_conf_t *conf,
    const char *why)
{
    if (conf->client && conf->client->c) {
        ngx_http_govern_redis_close(conf->client, why);
    }
}


static ngx_int_t
ngx_http_govern_redis_queue(ngx_http_govern_redis_t *rc, int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_govern_redis_handler_pt handler, void *data,
    ngx_http_govern_redis_op_t **out)
{
    int                          len;
    char                        *cmd;
    ngx_http_govern_redis_op_t  *op;

    len = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
    if (len < 0) {
        return NGX_ERROR;
    }

    op = ngx_alloc(sizeof(ngx_http_govern_redis_op_t), rc->log);
    if (op == NULL) {
        free(cmd);
        return NGX_ERROR;
    }

    op->cmd = cmd;
    op->len = len;
    op->handler = handler;
    op->data = data;
    op->cancelled = 0;

    ngx_queue_insert_tail(&rc->send, &op->queue);

    if (out) {
        *out = op;
    }

    return NGX_OK;
}


static void
ngx_http_govern_redis_connect(ngx_http_govern_redis_t *rc)
{
    ngx_int_t          rv;
    ngx_connection_t  *c;
    const char        *argv[2];
    size_t             argvlen[2];
    char               db[NGX_INT_T_LEN];

    ngx_memzero(&rc->pc, sizeof(ngx_peer_connection_t));

    rc->pc.sockaddr = rc->conf->addr.sockaddr;
    rc->pc.socklen = rc->conf->addr.socklen;
    rc->pc.name = &rc->conf->addr.name;
    rc->pc.get = ngx_event_get_peer;
    rc->pc.log = rc->log;
    rc->pc.log_error = NGX_ERROR_ERR;

    rc->connected = 0;
    rc->ready = 0;
    rc->sent = 0;

    rv = ngx_event_connect_peer(&rc->pc);

    if (rv == NGX_ERROR || rv == NGX_BUSY || rv == NGX_DECLINED) {
        if (rc->pc.connection) {
            ngx_close_connection(rc->pc.connection);
        }

        rc->c = NULL;
        ngx_http_govern_redis_close(rc, "cannot connect");
        return;
    }

    c = rc->pc.connection;
    rc->c = c;

    c->data = rc;
    c->log = rc->log;
    c->read->log = rc->log;
    c->write->log = rc->log;
    c->read->handler = ngx_http_govern_redis_read_handler;
    c->write->handler = ngx_http_govern_redis_write_handler;

    rc->reader = redisReaderCreate();
    if (rc->reader == NULL) {
        ngx_http_govern_redis_close(rc, "out of memory");
        return;
    }

    /* the handshake goes first, ahead of anything queued meanwhile */

    if (rc->conf->password.len) {
        argv[0] = "AUTH";
        argvlen[0] = 4;
        argv[1] = (const char *) rc->conf->password.data;
        argvlen[1] = rc->conf->password.len;

        if (ngx_http_govern_redis_queue(rc, 2, argv, argvlen,
                                        ngx_http_govern_redis_handshake, rc,
                                        NULL)
            != NGX_OK)
        {
            ngx_http_govern_redis_close(rc, "out of memory");
            return;
        }
    }

    if (rc->conf->db) {
        argv[0] = "SELECT";
        argvlen[0] = 6;
        argv[1] = db;
        argvlen[1] = ngx_sprintf((u_char *) db, "%i", rc->conf->db)
                     - (u_char *) db;

        if (ngx_http_govern_redis_queue(rc, 2, argv, argvlen,
                                        ngx_http_govern_redis_handshake, rc,
                                        NULL)
            != NGX_OK)
        {
            ngx_http_govern_redis_close(rc, "out of memory");
            return;
        }
    }

    argv[0] = "PING";
    argvlen[0] = 4;

    if (ngx_http_govern_redis_queue(rc, 1, argv, argvlen,
                                    ngx_http_govern_redis_handshake, rc, NULL)
        != NGX_OK)
    {
        ngx_http_govern_redis_close(rc, "out of memory");
        return;
    }

    /* the connect and the handshake together get connect_timeout */

    ngx_add_timer(c->read, rc->conf->connect_timeout);

    if (rv == NGX_OK) {
        rc->connected = 1;
        ngx_http_govern_redis_write_handler(c->write);
        return;
    }

    /* NGX_AGAIN: the write event says when the connect is done */

    ngx_add_timer(c->write, rc->conf->connect_timeout);
}


static void
ngx_http_govern_redis_reconnect_handler(ngx_event_t *ev)
{
    ngx_http_govern_redis_t  *rc = ev->data;

    if (rc->c == NULL && !rc->exiting && !ngx_exiting) {
        ngx_http_govern_redis_connect(rc);
    }
}


static void
ngx_http_govern_redis_handshake(void *data, redisReply *reply)
{
    ngx_http_govern_redis_t  *rc = data;

    if (reply == NULL) {
        return;                         /* closing already */
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, rc->log, 0,
                      "govern: redis %V refused the handshake: %s",
                      &rc->conf->addr.name, reply->str);
        ngx_http_govern_redis_close(rc, "handshake refused");
        return;
    }

    if (reply->type != REDIS_REPLY_STATUS || reply->len != 4
        || ngx_strncmp(reply->str, "PONG", 4) != 0)
    {
        return;                         /* AUTH or SELECT: OK */
    }

    rc->ready = 1;
    rc->backoff = NGX_HTTP_GOVERN_REDIS_BACKOFF_MIN;

    if (rc->c->read->timer_set) {
        ngx_del_timer(rc->c->read);
    }

    if (ngx_atomic_cmp_set(&rc->conf->breaker->down, 1, 0)) {
        ngx_log_error(NGX_LOG_NOTICE, rc->log, 0,
                      "govern: redis %V is available again, rate limits "
                      "are shared again", &rc->conf->addr.name);
    }
}


static void
ngx_http_govern_redis_write_handler(ngx_event_t *wev)
{
    int                          err;
    size_t                       n, left;
    ssize_t                      sent;
    socklen_t                    len;
    ngx_uint_t                   i;
    ngx_queue_t                 *q;
    struct iovec                 iov[NGX_HTTP_GOVERN_REDIS_IOV];
    ngx_connection_t            *c;
    ngx_http_govern_redis_t     *rc;
    ngx_http_govern_redis_op_t  *op;

    c = wev->data;
    rc = c->data;

    if (!rc->connected) {
        if (wev->timedout) {
            ngx_http_govern_redis_close(rc, "connect timed out");
            return;
        }

        err = 0;
        len = sizeof(int);

        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len) == -1)
        {
            err = ngx_socket_errno;
        }

        if (err) {
            ngx_log_error(NGX_LOG_ERR, rc->log, err,
                          "govern: connect() to redis %V failed",
                          &rc->conf->addr.name);
            ngx_http_govern_redis_close(rc, "cannot connect");
            return;
        }

        if (wev->timer_set) {
            ngx_del_timer(wev);
        }

        rc->connected = 1;
    }

    while (!ngx_queue_empty(&rc->send)) {

        i = 0;
        q = ngx_queue_head(&rc->send);

        while (q != ngx_queue_sentinel(&rc->send)
               && i < NGX_HTTP_GOVERN_REDIS_IOV)
        {
            op = ngx_queue_data(q, ngx_http_govern_redis_op_t, queue);
            iov[i].iov_base = op->cmd + (i == 0 ? rc->sent : 0);
            iov[i].iov_len = op->len - (i == 0 ? rc->sent : 0);
            i++;
            q = ngx_queue_next(q);
        }

        sent = writev(c->fd, iov, i);

        if (sent == -1) {
            err = ngx_socket_errno;

            if (err == NGX_EAGAIN || err == NGX_EINTR) {
                if (ngx_handle_write_event(wev, 0) != NGX_OK) {
                    ngx_http_govern_redis_close(rc, "event error");
                }

                return;
            }

            ngx_log_error(NGX_LOG_ERR, rc->log, err,
                          "govern: writev() to redis %V failed",
                          &rc->conf->addr.name);
            ngx_http_govern_redis_close(rc, "write failed");
            return;
        }

        /* whole commands move to the reply queue */

        n = (size_t) sent;

        while (n) {
            q = ngx_queue_head(&rc->send);
            op = ngx_queue_data(q, ngx_http_govern_redis_op_t, queue);
            left = op->len - rc->sent;

            if (n < left) {
                rc->sent += n;
                break;
            }

            n -= left;
            rc->sent = 0;
            ngx_queue_remove(q);
            ngx_queue_insert_tail(&rc->wait, q);
        }
    }
}


static void
ngx_http_govern_redis_read_handler(ngx_event_t *rev)
{
    void                        *reply;
    ssize_t                      n;
    ngx_err_t                    err;
    ngx_queue_t                 *q;
    ngx_connection_t            *c;
    ngx_http_govern_redis_t     *rc;
    ngx_http_govern_redis_op_t  *op;
    u_char                       buf[16384];

    c = rev->data;
    rc = c->data;

    if (rev->timedout) {
        ngx_http_govern_redis_close(rc, "no answer to the handshake");
        return;
    }

    for ( ;; ) {
        n = recv(c->fd, buf, sizeof(buf), 0);

        if (n == -1) {
            err = ngx_socket_errno;

            if (err == NGX_EAGAIN || err == NGX_EINTR) {
                break;
            }

            ngx_log_error(NGX_LOG_ERR, rc->log, err,
                          "govern: recv() from redis %V failed",
                          &rc->conf->addr.name);
            ngx_http_govern_redis_close(rc, "read failed");
            return;
        }

        if (n == 0) {
            ngx_http_govern_redis_close(rc, "connection closed by redis");
            return;
        }

        if (redisReaderFeed(rc->reader, (const char *) buf, n) != REDIS_OK) {
            ngx_http_govern_redis_close(rc, "out of memory");
            return;
        }

        for ( ;; ) {
            reply = NULL;

            if (redisReaderGetReply(rc->reader, &reply) != REDIS_OK) {
                ngx_http_govern_redis_close(rc, "protocol error");
                return;
            }

            if (reply == NULL) {
                break;
            }

            if (ngx_queue_empty(&rc->wait)) {
                freeReplyObject(reply);
                ngx_http_govern_redis_close(rc, "unexpected reply");
                return;
            }

            q = ngx_queue_head(&rc->wait);
            ngx_queue_remove(q);
            op = ngx_queue_data(q, ngx_http_govern_redis_op_t, queue);

            if (!op->cancelled && op->handler) {
                op->handler(op->data, reply);
            }

            freeReplyObject(reply);
            ngx_http_govern_redis_free_op(op);

            if (rc->c != c) {
                return;                 /* a handler closed the connection */
            }
        }

        if ((size_t) n < sizeof(buf)) {
            break;
        }
    }

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_http_govern_redis_close(rc, "event error");
    }
}


/*
 * Closes the connection (why == NULL: the worker exits), fails every
 * pending operation, marks Redis down and schedules the reconnect.
 */

static void
ngx_http_govern_redis_close(ngx_http_govern_redis_t *rc, const char *why)
{
    ngx_queue_t                 *q;
    ngx_http_govern_redis_op_t  *op;

    if (rc->c) {
        ngx_close_connection(rc->c);
        rc->c = NULL;
    }

    if (rc->reader) {
        redisReaderFree(rc->reader);
        rc->reader = NULL;
    }

    rc->connected = 0;
    rc->ready = 0;
    rc->sent = 0;

    while (!ngx_queue_empty(&rc->wait) || !ngx_queue_empty(&rc->send)) {
        q = ngx_queue_empty(&rc->wait) ? ngx_queue_head(&rc->send)
                                       : ngx_queue_head(&rc->wait);
        ngx_queue_remove(q);
        op = ngx_queue_data(q, ngx_http_govern_redis_op_t, queue);

        if (!op->cancelled && op->handler && op->data != rc) {
            op->handler(op->data, NULL);
        }

        ngx_http_govern_redis_free_op(op);
    }

    if (why == NULL || rc->exiting || ngx_exiting) {
        return;
    }

    if (ngx_atomic_cmp_set(&rc->conf->breaker->down, 0, 1)) {
        ngx_log_error(NGX_LOG_ERR, rc->log, 0,
                      "govern: redis %V is unavailable (%s), rate limits "
                      "use their fallback", &rc->conf->addr.name, why);
    }

    if (!rc->reconnect.timer_set) {
        ngx_add_timer(&rc->reconnect, rc->backoff);
        rc->backoff = ngx_min(rc->backoff * 2,
                              NGX_HTTP_GOVERN_REDIS_BACKOFF_MAX);
    }
}


static void
ngx_http_govern_redis_free_op(ngx_http_govern_redis_op_t *op)
{
    free(op->cmd);
    ngx_free(op);
}
