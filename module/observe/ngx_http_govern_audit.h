
/*
 * govern: the audit trail's types, shared by the record writer
 * (ngx_http_govern_audit.c) and the file writer with its hash chain
 * (ngx_http_govern_audit_file.c).
 */


#ifndef _NGX_HTTP_GOVERN_AUDIT_H_INCLUDED_
#define _NGX_HTTP_GOVERN_AUDIT_H_INCLUDED_


#include "ngx_http_govern_observe.h"
#include "govern_audit_chain.h"


#define NGX_HTTP_GOVERN_AUDIT_BUFFER  65536
#define NGX_HTTP_GOVERN_AUDIT_FLUSH   1000
#define NGX_HTTP_GOVERN_AUDIT_RETRY   1000


/* per audit file, shared by the workers of one master across reloads */
typedef struct {
    ngx_atomic_t                    failing;    /* the last write failed */
    ngx_atomic_t                    lost;       /* not written since the
                                                   last gap record */
    ngx_atomic_t                    lost_since; /* ms of the first of them */
    ngx_atomic_t                    started;    /* chained: this master's
                                                   start checkpoint is in */
    ngx_atomic_t                    dev;        /* plain: where this */
    ngx_atomic_t                    ino;        /* master's last write */
    ngx_atomic_t                    end;        /* ended */
} ngx_http_govern_audit_shared_t;


/* govern_audit_key: the checkpoints' signing key and interval */
struct ngx_http_govern_audit_key_s {
    EVP_PKEY                       *key;
    ngx_uint_t                      every;      /* records; 0: by time */
    ngx_msec_t                      every_ms;
    govern_audit_hash_t             hash;
};


/* an audit file (its ngx_open_file_t's data) */
typedef struct {
    ngx_open_file_t                *file;

    /* the records not written yet, each ending with a line feed */
    u_char                         *start;
    u_char                         *pos;
    u_char                         *last;
    ngx_uint_t                      records;
    ngx_msec_t                      flush;      /* 0: after each record */
    ngx_event_t                     event;      /* flush, or retry */

    ngx_shm_zone_t                 *zone;
    ngx_str_t                       node;       /* the host, escaped */
    time_t                          error_time;

    /* chained records: NULL when govern_audit_key is not set */
    ngx_http_govern_audit_key_t    *key;
    ngx_fd_t                        head_fd;
    govern_audit_heads_t           *heads;      /* FILE.head, mapped */
    u_char                          head_key[GOVERN_AUDIT_HASH_LEN];
    ngx_event_t                     seal;       /* the next checkpoint by
                                                   time */
    u_char                         *out;        /* a batch is made here */
    size_t                          out_size;
} ngx_http_govern_audit_file_t;


struct ngx_http_govern_audit_s {
    ngx_http_govern_audit_file_t   *file;
    ngx_syslog_peer_t              *syslog;
    ngx_flag_t                      refuse;     /* on_error=refuse */
};


ngx_int_t ngx_http_govern_audit_write(ngx_http_govern_audit_file_t *af,
    ngx_log_t *log, u_char *data, size_t len, ngx_uint_t records,
    ngx_uint_t final);
void ngx_http_govern_audit_lose(ngx_http_govern_audit_file_t *af,
    ngx_log_t *log, ngx_uint_t records);
ngx_int_t ngx_http_govern_audit_file_init(ngx_conf_t *cf,
    ngx_http_govern_audit_file_t *af, ngx_http_govern_audit_key_t *key);


#endif /* _NGX_HTTP_GOVERN_AUDIT_H_INCLUDED_ */
