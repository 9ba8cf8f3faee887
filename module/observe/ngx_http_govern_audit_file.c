
/*
 * govern: batches of audit records to their file (DESIGN section 6.1).
 *
 * A batch is written in one write() under an fcntl() lock every writer
 * takes (the workers, and both masters of a binary upgrade): on the file
 * itself for plain records, on the chain's head file with
 * govern_audit_key.  A write that fails halfway is undone (ftruncate to
 * the size before it), so a record is on disk whole or not at all; what
 * was lost is counted, and declared by a gap record with the next batch
 * that is written.
 *
 * Chained records take their sequence number and chain value under the
 * lock, from the head in FILE.<key id>.head, a small file every writer
 * maps: so
 * the chain is one per file path, in file order, across workers, reloads,
 * binary upgrades and restarts.  The first writer to meet a new file (a
 * rotation, or logrotate's copytruncate) starts it with a checkpoint that
 * follows the last record of the old one; a worker that still has the
 * rotated file open keeps its records until it reopens.
 */


#include <openssl/err.h>
#include <openssl/pem.h>

#include "ngx_http_govern_audit.h"


/* the end of the file read at start when no head can be trusted */
#define NGX_HTTP_GOVERN_AUDIT_TAIL  262144

/* the shortest record: an upper bound on how many a buffer holds */
#define NGX_HTTP_GOVERN_AUDIT_MIN_RECORD  256


static ngx_int_t ngx_http_govern_audit_chained(
    ngx_http_govern_audit_file_t *af, ngx_log_t *log, u_char *data,
    size_t len, ngx_uint_t records, ngx_uint_t final);
static ngx_int_t ngx_http_govern_audit_plain(ngx_http_govern_audit_file_t *af,
    ngx_log_t *log, u_char *data, size_t len, ngx_uint_t records);
static ngx_int_t ngx_http_govern_audit_failed(
    ngx_http_govern_audit_file_t *af, ngx_log_t *log, ngx_err_t err,
    ngx_uint_t records, ssize_t n, size_t len);
static void ngx_http_govern_audit_written(ngx_http_govern_audit_file_t *af,
    ngx_log_t *log, ngx_uint_t records, ngx_uint_t lost);
static ngx_uint_t ngx_http_govern_audit_ends_line(ngx_fd_t fd, off_t size);
static ngx_int_t ngx_http_govern_audit_lock(ngx_fd_t fd, short type);
static void ngx_http_govern_audit_seal_later(ngx_http_govern_audit_file_t *af,
    govern_audit_head_t *head, int64_t now);
static void ngx_http_govern_audit_seal_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_govern_audit_recover(ngx_conf_t *cf,
    ngx_http_govern_audit_file_t *af, govern_audit_head_t *head);
static int64_t ngx_http_govern_audit_now(void);
static void ngx_http_govern_audit_head_cleanup(void *data);
static void ngx_http_govern_audit_key_cleanup(void *data);
static int ngx_http_govern_audit_no_password(char *buf, int size,
    int rwflag, void *data);


/*
 * [data, data + len) holds records, each ending with a line feed.
 * NGX_OK: written (or nothing to write); NGX_AGAIN: nothing written, this
 * worker's file was rotated away; NGX_ERROR: not written, counted lost.
 * final: a worker's last write, which seals what it left unsealed.
 */

ngx_int_t
ngx_http_govern_audit_write(ngx_http_govern_audit_file_t *af, ngx_log_t *log,
    u_char *data, size_t len, ngx_uint_t records, ngx_uint_t final)
{
    ngx_fd_t   fd;
    ngx_int_t  rc;

    if (af->key && af->heads == NULL) {
        /* nginx -t maps no head */
        return NGX_OK;
    }

    fd = af->key ? af->head_fd : af->file->fd;

    if (ngx_http_govern_audit_lock(fd, F_WRLCK) != NGX_OK) {
        return ngx_http_govern_audit_failed(af, log, ngx_errno, records, -1,
                                            len);
    }

    if (af->key) {
        rc = ngx_http_govern_audit_chained(af, log, data, len, records, final);

    } else {
        rc = ngx_http_govern_audit_plain(af, log, data, len, records);
    }

    (void) ngx_http_govern_audit_lock(fd, F_UNLCK);

    return rc;
}


static ngx_int_t
ngx_http_govern_audit_chained(ngx_http_govern_audit_file_t *af,
    ngx_log_t *log, u_char *data, size_t len, ngx_uint_t records,
    ngx_uint_t final)
{
    u_char                          *buf, *p, *q, *rec, *end, *start;
    char                             ts[GOVERN_AUDIT_TS_LEN];
    char                             since[GOVERN_AUDIT_TS_LEN];
    size_t                           need, special;
    ssize_t                          n;
    int64_t                          now;
    ngx_err_t                        err;
    ngx_uint_t                       lost, newline;
    const char                      *lead;
    struct stat                      st, at_path;
    govern_audit_head_t              head;
    ngx_http_govern_audit_key_t     *key;
    ngx_http_govern_audit_shared_t  *shared;

    key = af->key;
    shared = af->zone->data;

    if (govern_audit_head_get(af->heads, af->head_key, &head) != 0) {
        if (ngx_time() - af->error_time >= 60) {
            af->error_time = ngx_time();
            ngx_log_error(NGX_LOG_ALERT, log, 0,
                          "govern audit \"%V\": its head was not written by "
                          "govern with this key: no record is chained to it",
                          &af->file->name);
        }

        return ngx_http_govern_audit_failed(af, log, 0, records, -1, len);
    }

    if (ngx_fd_info(af->file->fd, &st) == NGX_FILE_ERROR) {
        return ngx_http_govern_audit_failed(af, log, ngx_errno, records, -1,
                                            len);
    }

    lead = NULL;
    newline = 0;

    if ((uint64_t) st.st_dev != head.dev || (uint64_t) st.st_ino != head.ino) {

        /* the chain is in another file: this one is newer, or rotated */

        if (head.ino
            && (stat((char *) af->file->name.data, &at_path) == -1
                || at_path.st_dev != st.st_dev
                || at_path.st_ino != st.st_ino))
        {
            return NGX_AGAIN;
        }

        lead = "file";
        newline = (st.st_size > 0);

    } else if ((uint64_t) st.st_size != head.end) {

        if ((uint64_t) st.st_size < head.end) {
            /* shortened: logrotate's copytruncate, or a cut */
            lead = "file";

        } else if (ngx_time() - af->error_time >= 60) {
            af->error_time = ngx_time();
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "govern audit \"%V\": %O bytes that govern did not "
                          "write follow its last record",
                          &af->file->name,
                          (off_t) (st.st_size - (off_t) head.end));
        }

        newline = (st.st_size > 0);
    }

    if (newline) {
        newline = !ngx_http_govern_audit_ends_line(af->file->fd, st.st_size);
    }

    if (!shared->started) {
        lead = "start";
    }

    lost = shared->lost;
    now = ngx_http_govern_audit_now();

    if (len == 0 && lead == NULL && lost == 0
        && !(head.unsealed
             && (final
                 || (key->every_ms
                     && now - (int64_t) head.checkpoint_ms
                        >= (int64_t) key->every_ms))))
    {
        ngx_http_govern_audit_seal_later(af, &head, now);
        return NGX_OK;
    }

    /* a bound for the records, and for the checkpoints among them */

    special = GOVERN_AUDIT_SPECIAL_MAX(af->node.len);
    need = 1 + len + records * GOVERN_AUDIT_SEAL_MAX
           + (4 + (key->every ? (head.unsealed + records) / key->every : 0))
             * special;

    if (need <= af->out_size) {
        buf = af->out;

    } else {
        buf = ngx_alloc(need, log);
        if (buf == NULL) {
            return ngx_http_govern_audit_failed(af, log, 0, records, -1, len);
        }
    }

    govern_audit_ts(ts, now);

    p = buf;

    if (newline) {
        *p++ = '\n';
    }

    if (lead) {
        p = govern_audit_checkpoint(&key->hash, key->key, p, ts, lead,
                                    af->node.data, af->node.len, ++head.seq,
                                    head.chain);
        if (p == NULL) {
            goto crypto;
        }

        head.unsealed = 0;
        head.checkpoint_ms = now;
    }

    if (lost) {
        govern_audit_ts(since, shared->lost_since);

        p = govern_audit_gap(&key->hash, p, ts, af->node.data, af->node.len,
                             lost, since, ++head.seq, head.chain);
        if (p == NULL) {
            goto crypto;
        }

        head.unsealed++;
    }

    for (rec = data, end = data + len; rec < end; rec = q + 1) {
        q = ngx_strlchr(rec, end, '\n');
        if (q == NULL) {
            q = end;
        }

        start = p;
        p = ngx_cpymem(p, rec, q - rec);

        p = govern_audit_seal(&key->hash, start, p, ++head.seq, head.chain);
        if (p == NULL) {
            goto crypto;
        }

        head.unsealed++;

        if (key->every && head.unsealed >= key->every) {
            p = govern_audit_checkpoint(&key->hash, key->key, p, ts, "every",
                                        af->node.data, af->node.len,
                                        ++head.seq, head.chain);
            if (p == NULL) {
                goto crypto;
            }

            head.unsealed = 0;
            head.checkpoint_ms = now;
        }
    }

    if (head.unsealed
        && (final
            || (key->every_ms
                && now - (int64_t) head.checkpoint_ms
                   >= (int64_t) key->every_ms)))
    {
        p = govern_audit_checkpoint(&key->hash, key->key, p, ts,
                                    final ? "exit" : "every",
                                    af->node.data, af->node.len, ++head.seq,
                                    head.chain);
        if (p == NULL) {
            goto crypto;
        }

        head.unsealed = 0;
        head.checkpoint_ms = now;
    }

    n = ngx_write_fd(af->file->fd, buf, p - buf);
    err = ngx_errno;

    if (n == p - buf) {
        head.dev = (uint64_t) st.st_dev;
        head.ino = (uint64_t) st.st_ino;
        head.end = (uint64_t) st.st_size + n;

        if (govern_audit_head_put(af->heads, af->head_key, &head) != 0) {
            ngx_log_error(NGX_LOG_ALERT, log, 0,
                          "govern audit \"%V\": its head cannot be sealed",
                          &af->file->name);
        }

        if (lead && !shared->started) {
            shared->started = 1;
        }

        if (buf != af->out) {
            ngx_free(buf);
        }

        ngx_http_govern_audit_written(af, log, records, lost);
        ngx_http_govern_audit_seal_later(af, &head, now);

        return NGX_OK;
    }

    /* undone: never a torn line, and the head stays where it was */

    if (n > 0 && ftruncate(af->file->fd, st.st_size) == -1) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      "ftruncate() of govern audit \"%V\" failed: the "
                      "incomplete write stays, and the next one starts on "
                      "a line of its own", &af->file->name);
    }

    if (buf != af->out) {
        ngx_free(buf);
    }

    return ngx_http_govern_audit_failed(af, log, n == -1 ? err : 0, records,
                                        n, p - buf);

crypto:

    ngx_log_error(NGX_LOG_ALERT, log, 0,
                  "govern audit \"%V\": a record cannot be chained or "
                  "signed (OpenSSL)", &af->file->name);

    if (buf != af->out) {
        ngx_free(buf);
    }

    return ngx_http_govern_audit_failed(af, log, 0, records, -1, len);
}


static ngx_int_t
ngx_http_govern_audit_plain(ngx_http_govern_audit_file_t *af, ngx_log_t *log,
    u_char *data, size_t len, ngx_uint_t records)
{
    u_char                          *p;
    char                             ts[GOVERN_AUDIT_TS_LEN];
    char                             since[GOVERN_AUDIT_TS_LEN];
    ssize_t                          n;
    ngx_err_t                        err;
    ngx_uint_t                       lost, iovcnt;
    struct stat                      st;
    struct iovec                     iov[2];
    ngx_http_govern_audit_shared_t  *shared;
    u_char                           prefix[1 + GOVERN_AUDIT_SPECIAL_MAX(
                                                  6 * NGX_MAXHOSTNAMELEN)];

    shared = af->zone->data;
    lost = shared->lost;

    if (len == 0 && lost == 0) {
        return NGX_OK;
    }

    if (ngx_fd_info(af->file->fd, &st) == NGX_FILE_ERROR) {
        return ngx_http_govern_audit_failed(af, log, ngx_errno, records, -1,
                                            len);
    }

    p = prefix;

    /* a write this master did not make ended the file: on a line? */

    if (st.st_size > 0
        && (shared->dev != (ngx_atomic_uint_t) st.st_dev
            || shared->ino != (ngx_atomic_uint_t) st.st_ino
            || shared->end != (ngx_atomic_uint_t) st.st_size)
        && !ngx_http_govern_audit_ends_line(af->file->fd, st.st_size))
    {
        *p++ = '\n';
    }

    if (lost) {
        govern_audit_ts(ts, ngx_http_govern_audit_now());
        govern_audit_ts(since, shared->lost_since);

        p = govern_audit_gap(NULL, p, ts, af->node.data, af->node.len, lost,
                             since, 0, NULL);
    }

    iovcnt = 0;

    if (p > prefix) {
        iov[iovcnt].iov_base = prefix;
        iov[iovcnt++].iov_len = p - prefix;
    }

    if (len) {
        iov[iovcnt].iov_base = data;
        iov[iovcnt++].iov_len = len;
    }

    n = writev(af->file->fd, iov, iovcnt);
    err = ngx_errno;

    if (n == (ssize_t) ((p - prefix) + len)) {
        shared->dev = (ngx_atomic_uint_t) st.st_dev;
        shared->ino = (ngx_atomic_uint_t) st.st_ino;
        shared->end = (ngx_atomic_uint_t) (st.st_size + n);

        ngx_http_govern_audit_written(af, log, records, lost);

        return NGX_OK;
    }

    if (n > 0 && ftruncate(af->file->fd, st.st_size) == -1) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      "ftruncate() of govern audit \"%V\" failed: the "
                      "incomplete write stays, and the next one starts on "
                      "a line of its own", &af->file->name);
    }

    return ngx_http_govern_audit_failed(af, log, n == -1 ? err : 0, records,
                                        n, (p - prefix) + len);
}


static ngx_int_t
ngx_http_govern_audit_failed(ngx_http_govern_audit_file_t *af,
    ngx_log_t *log, ngx_err_t err, ngx_uint_t records, ssize_t n, size_t len)
{
    ngx_http_govern_audit_shared_t  *shared;

    shared = af->zone->data;

    if (!shared->failing) {
        shared->failing = 1;
    }

    if (records && ngx_atomic_fetch_add(&shared->lost, records) == 0) {
        shared->lost_since = (ngx_atomic_uint_t) ngx_http_govern_audit_now();
    }

    ngx_http_govern_metrics_audit(0, records, 1);

    /* a full disk must not flood the error log: once a minute */

    if (ngx_time() - af->error_time < 60) {
        return NGX_ERROR;
    }

    af->error_time = ngx_time();

    if (n > 0) {
        ngx_log_error(NGX_LOG_ERR, log, err,
                      ngx_write_fd_n " to govern audit \"%V\" was incomplete "
                      "(%z of %uz) and was undone: %ui records lost so far",
                      &af->file->name, n, len, (ngx_uint_t) shared->lost);

    } else {
        ngx_log_error(NGX_LOG_ERR, log, err,
                      "writing to govern audit \"%V\" failed: %ui records "
                      "lost so far", &af->file->name,
                      (ngx_uint_t) shared->lost);
    }

    return NGX_ERROR;
}


/* records that never reached the write: lost all the same */

void
ngx_http_govern_audit_lose(ngx_http_govern_audit_file_t *af, ngx_log_t *log,
    ngx_uint_t records)
{
    ngx_http_govern_audit_shared_t  *shared;

    if (records == 0) {
        return;
    }

    shared = af->zone->data;

    if (ngx_atomic_fetch_add(&shared->lost, records) == 0) {
        shared->lost_since = (ngx_atomic_uint_t) ngx_http_govern_audit_now();
    }

    ngx_http_govern_metrics_audit(0, records, 0);

    ngx_log_error(NGX_LOG_ERR, log, 0,
                  "govern audit \"%V\": %ui records lost", &af->file->name,
                  records);
}


static void
ngx_http_govern_audit_written(ngx_http_govern_audit_file_t *af,
    ngx_log_t *log, ngx_uint_t records, ngx_uint_t lost)
{
    ngx_http_govern_audit_shared_t  *shared;

    shared = af->zone->data;

    if (lost
        && ngx_atomic_fetch_add(&shared->lost, -(ngx_atomic_int_t) lost)
           == (ngx_atomic_uint_t) lost)
    {
        shared->lost_since = 0;
    }

    if (shared->failing) {
        shared->failing = 0;

        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "govern audit \"%V\" is written again", &af->file->name);
    }

    ngx_http_govern_metrics_audit(records, 0, 0);
}


/* whether the file's last byte is a line feed (its fd is write-only) */

static ngx_uint_t
ngx_http_govern_audit_ends_line(ngx_fd_t fd, off_t size)
{
    u_char    c, name[sizeof("/proc/self/fd/") + NGX_INT_T_LEN];
    ssize_t   n;
    ngx_fd_t  rfd;

    ngx_sprintf(name, "/proc/self/fd/%d%Z", fd);

    rfd = open((char *) name, O_RDONLY);
    if (rfd == -1) {
        return 0;
    }

    n = pread(rfd, &c, 1, size - 1);
    close(rfd);

    return n == 1 && c == '\n';
}


static ngx_int_t
ngx_http_govern_audit_lock(ngx_fd_t fd, short type)
{
    struct flock  fl;

    ngx_memzero(&fl, sizeof(struct flock));
    fl.l_type = type;
    fl.l_whence = SEEK_SET;

    while (fcntl(fd, F_SETLKW, &fl) == -1) {
        if (ngx_errno != NGX_EINTR) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* every=TIME: a checkpoint once that time has passed since the last */

static void
ngx_http_govern_audit_seal_later(ngx_http_govern_audit_file_t *af,
    govern_audit_head_t *head, int64_t now)
{
    int64_t  due;

    if (af->key->every_ms == 0 || head->unsealed == 0 || af->seal.timer_set
        || ngx_exiting || ngx_quit || ngx_terminate)
    {
        return;
    }

    due = (int64_t) head->checkpoint_ms + (int64_t) af->key->every_ms - now;

    ngx_add_timer(&af->seal, (ngx_msec_t) ngx_max(due, 1));
}


static void
ngx_http_govern_audit_seal_handler(ngx_event_t *ev)
{
    ngx_http_govern_audit_file_t  *af = ev->data;

    if (ngx_http_govern_audit_write(af, ev->log, NULL, 0, 0, 0) != NGX_OK
        && !af->seal.timer_set)
    {
        ngx_add_timer(&af->seal, NGX_HTTP_GOVERN_AUDIT_RETRY);
    }
}


/*
 * At configuration (not for nginx -t): the head opened and mapped by the
 * master, so every worker writes through the same one.  Without a head
 * this key made, the chain goes on from the file's last record.
 */

ngx_int_t
ngx_http_govern_audit_file_init(ngx_conf_t *cf,
    ngx_http_govern_audit_file_t *af, ngx_http_govern_audit_key_t *key)
{
    size_t                 size, special;
    u_char                *name;
    char                   id[GOVERN_AUDIT_KEY_ID_LEN];
    ngx_fd_t               fd;
    struct stat            st;
    ngx_pool_cleanup_t    *cln;
    govern_audit_head_t    head;
    govern_audit_heads_t   init;

    if (af->file->name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "govern_audit_key chains audit files, not "
                           "\"stderr\"");
        return NGX_ERROR;
    }

    af->key = key;

    /* with buffer=0 too: records wait there while a file is rotated */

    if (af->start == NULL) {
        af->start = ngx_pnalloc(cf->pool, NGX_HTTP_GOVERN_AUDIT_BUFFER);
        if (af->start == NULL) {
            return NGX_ERROR;
        }

        af->pos = af->start;
        af->last = af->start + NGX_HTTP_GOVERN_AUDIT_BUFFER;
        af->flush = 0;
    }

    size = af->last - af->start;
    special = GOVERN_AUDIT_SPECIAL_MAX(af->node.len);

    af->out_size = 1 + size
                   + (size / NGX_HTTP_GOVERN_AUDIT_MIN_RECORD + 1)
                     * GOVERN_AUDIT_SEAL_MAX
                   + (4 + (key->every ? size / NGX_HTTP_GOVERN_AUDIT_MIN_RECORD
                                        / key->every + 1
                                      : 0))
                     * special;

    af->out = ngx_pnalloc(cf->pool, af->out_size);
    if (af->out == NULL) {
        return NGX_ERROR;
    }

    af->seal.data = af;
    af->seal.handler = ngx_http_govern_audit_seal_handler;
    af->seal.log = &cf->cycle->new_log;
    af->seal.cancelable = 1;

    if (ngx_test_config) {
        return NGX_OK;
    }

    /* one head per key: workers of a reload that changed the key do not
     * write the old workers' head */

    if (govern_audit_key_id(key->key, id) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "govern audit \"%V\": no id for the key",
                           &af->file->name);
        return NGX_ERROR;
    }

    name = ngx_pnalloc(cf->pool, af->file->name.len
                                 + sizeof(".12345678.head"));
    if (name == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(name, "%V.%*s.head%Z", &af->file->name,
                (size_t) GOVERN_AUDIT_KEY_ID_LEN, (u_char *) id);

    fd = ngx_open_file(name, NGX_FILE_RDWR, NGX_FILE_CREATE_OR_OPEN, 0600);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%s\" failed", name);
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        ngx_close_file(fd);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_govern_audit_head_cleanup;
    cln->data = af;
    af->head_fd = fd;

    if (ngx_fd_info(fd, &st) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%s\" failed", name);
        return NGX_ERROR;
    }

    /* written, not just sized: a full disk must not fault the mapping */

    if ((size_t) st.st_size < sizeof(govern_audit_heads_t)) {
        govern_audit_heads_init(&init);

        if (pwrite(fd, &init, sizeof(govern_audit_heads_t), 0)
            != (ssize_t) sizeof(govern_audit_heads_t))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                               "pwrite() \"%s\" failed", name);
            return NGX_ERROR;
        }
    }

    af->heads = mmap(NULL, sizeof(govern_audit_heads_t),
                     PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0);

    if (af->heads == MAP_FAILED) {
        af->heads = NULL;
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "mmap() \"%s\" failed", name);
        return NGX_ERROR;
    }

    if (govern_audit_head_key(af->head_key, key->key,
                              (char *) af->file->name.data,
                              af->file->name.len)
        != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "govern audit \"%V\": no key for its head",
                           &af->file->name);
        return NGX_ERROR;
    }

    if (ngx_http_govern_audit_lock(fd, F_WRLCK) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "fcntl(F_SETLKW) \"%s\" failed", name);
        return NGX_ERROR;
    }

    if (govern_audit_head_get(af->heads, af->head_key, &head) != 0) {

        if (ngx_http_govern_audit_recover(cf, af, &head) != NGX_OK) {
            (void) ngx_http_govern_audit_lock(fd, F_UNLCK);
            return NGX_ERROR;
        }

        govern_audit_heads_init(af->heads);

        if (govern_audit_head_put(af->heads, af->head_key, &head) != 0) {
            (void) ngx_http_govern_audit_lock(fd, F_UNLCK);
            return NGX_ERROR;
        }
    }

    (void) ngx_http_govern_audit_lock(fd, F_UNLCK);

    return NGX_OK;
}


/*
 * The chain's last record, read from the end of the file: a first start
 * with govern_audit_key, a lost head, or a new key.
 */

static ngx_int_t
ngx_http_govern_audit_recover(ngx_conf_t *cf,
    ngx_http_govern_audit_file_t *af, govern_audit_head_t *head)
{
    u_char               *tail, *nl;
    off_t                 from;
    ssize_t               n;
    ngx_fd_t              fd;
    struct stat           st;
    govern_audit_line_t   l;

    ngx_memzero(head, sizeof(govern_audit_head_t));

    fd = ngx_open_file(af->file->name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN,
                       0);

    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_NOTICE, cf->log, 0,
                      "govern audit \"%V\": a new chain starts",
                      &af->file->name);
        return NGX_OK;
    }

    if (ngx_fd_info(fd, &st) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", &af->file->name);
        ngx_close_file(fd);
        return NGX_ERROR;
    }

    if (st.st_size == 0) {
        ngx_close_file(fd);
        ngx_log_error(NGX_LOG_NOTICE, cf->log, 0,
                      "govern audit \"%V\": a new chain starts",
                      &af->file->name);
        return NGX_OK;
    }

    from = ngx_max(st.st_size - NGX_HTTP_GOVERN_AUDIT_TAIL, 0);

    tail = ngx_pnalloc(cf->temp_pool, st.st_size - from);
    if (tail == NULL) {
        ngx_close_file(fd);
        return NGX_ERROR;
    }

    n = pread(fd, tail, st.st_size - from, from);
    ngx_close_file(fd);

    if (n != st.st_size - from) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "pread() \"%V\" failed", &af->file->name);
        return NGX_ERROR;
    }

    if (govern_audit_last(tail, n, &l) != 0) {
        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "govern audit \"%V\" holds no chained record: a new "
                      "chain starts after what it holds (rotate it first, "
                      "for the verifier to read one chain from its start)",
                      &af->file->name);
        return NGX_OK;
    }

    /* a torn last line is not the end the chain knows: see "newline" */

    nl = tail + n;

    while (nl > tail && nl[-1] != '\n') {
        nl--;
    }

    head->seq = l.seq;
    ngx_memcpy(head->chain, l.chain, GOVERN_AUDIT_HASH_LEN);
    head->dev = (uint64_t) st.st_dev;
    head->ino = (uint64_t) st.st_ino;
    head->end = (uint64_t) (from + (nl - tail));
    head->unsealed = (l.kind == GOVERN_AUDIT_CHECKPOINT) ? 0 : 1;
    head->checkpoint_ms = (uint64_t) ngx_http_govern_audit_now();

    ngx_log_error(NGX_LOG_NOTICE, cf->log, 0,
                  "govern audit \"%V\": no head for this key, the chain "
                  "goes on from the file's last record (seq %uL)",
                  &af->file->name, l.seq);

    return NGX_OK;
}


static int64_t
ngx_http_govern_audit_now(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (int64_t) tp->sec * 1000 + tp->msec;
}


static void
ngx_http_govern_audit_head_cleanup(void *data)
{
    ngx_http_govern_audit_file_t  *af = data;

    if (af->heads) {
        munmap(af->heads, sizeof(govern_audit_heads_t));
        af->heads = NULL;
    }

    if (af->head_fd != NGX_INVALID_FILE) {
        (void) ngx_close_file(af->head_fd);
        af->head_fd = NGX_INVALID_FILE;
    }
}


/*
 * govern_audit_key FILE [every=N|TIME]: the Ed25519 private key (PEM)
 * that signs the checkpoints, and how often (default every=1000 records)
 */

char *
ngx_http_govern_audit_key_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_main_conf_t *gmcf = conf;

    BIO                          *bio;
    ngx_int_t                     n;
    ngx_str_t                    *value, file, s;
    ngx_pool_cleanup_t           *cln;
    ngx_http_govern_audit_key_t  *key;

    if (gmcf->audit_key) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_http_govern_conf_secret_file(cf, &file, "signs the audit trail")
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    key = ngx_pcalloc(cf->pool, sizeof(ngx_http_govern_audit_key_t));
    cln = ngx_pool_cleanup_add(cf->pool, 0);

    if (key == NULL || cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_govern_audit_key_cleanup;
    cln->data = key;

    bio = BIO_new_file((char *) file.data, "r");

    if (bio) {
        key->key = PEM_read_bio_PrivateKey(bio, NULL,
                                           ngx_http_govern_audit_no_password,
                                           NULL);
        BIO_free(bio);
    }

    if (key->key == NULL || EVP_PKEY_get_id(key->key) != EVP_PKEY_ED25519) {
        ERR_clear_error();
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "govern_audit_key \"%V\" is not an Ed25519 "
                           "private key in PEM without a passphrase "
                           "(openssl genpkey -algorithm ed25519)", &file);
        return NGX_CONF_ERROR;
    }

    if (govern_audit_hash_init(&key->hash) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "no SHA-256 in OpenSSL");
        return NGX_CONF_ERROR;
    }

    key->every = 1000;

    if (cf->args->nelts == 3) {

        if (ngx_strncmp(value[2].data, "every=", 6) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[2]);
            return NGX_CONF_ERROR;
        }

        s.len = value[2].len - 6;
        s.data = value[2].data + 6;

        n = ngx_atoi(s.data, s.len);

        if (n == NGX_ERROR) {
            key->every = 0;
            n = ngx_parse_time(&s, 0);
            key->every_ms = (ngx_msec_t) n;

        } else {
            key->every = n;
        }

        if (n == NGX_ERROR || n == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid checkpoint interval \"%V\": a number "
                               "of records, or a time", &s);
            return NGX_CONF_ERROR;
        }
    }

    gmcf->audit_key = key;

    return NGX_CONF_OK;
}


static void
ngx_http_govern_audit_key_cleanup(void *data)
{
    ngx_http_govern_audit_key_t  *key = data;

    EVP_PKEY_free(key->key);
    govern_audit_hash_free(&key->hash);
}


/* a key that needs a passphrase is refused, never prompted for */

static int
ngx_http_govern_audit_no_password(char *buf, int size, int rwflag,
    void *data)
{
    return -1;
}
