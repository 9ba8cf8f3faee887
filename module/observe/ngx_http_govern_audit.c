
/*
 * govern: the audit trail.  One canonical JSON object per line for every
 * governed request, allowed or refused, written at the log phase.
 *
 * Records are buffered per worker (like access_log's buffer=) and the
 * buffer is handed to nginx as the open file's flush hook, so nginx itself
 * flushes it before "nginx -s reopen" reopens the file and when a worker
 * exits on reload or quit.  How a batch reaches the file (whole or not at
 * all, chained and sealed with govern_audit_key, lost records declared)
 * is ngx_http_govern_audit_file.c's.
 */


#include "ngx_http_govern_audit.h"
#include "govern_json.h"


static size_t ngx_http_govern_audit_len(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx);
static u_char *ngx_http_govern_audit_record(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, u_char *p, ngx_uint_t chained);
static u_char *ngx_http_govern_audit_str(u_char *p, ngx_str_t *s);
static u_char *ngx_http_govern_audit_list(u_char *p, ngx_str_t *s);
static void ngx_http_govern_audit_syslog(ngx_http_request_t *r,
    ngx_syslog_peer_t *peer, u_char *rec, size_t len);
static void ngx_http_govern_audit_flush(ngx_open_file_t *file,
    ngx_log_t *log);
static void ngx_http_govern_audit_flush_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_govern_audit_init_zone(ngx_shm_zone_t *zone,
    void *data);


/* every string of the record, escaped, is at most this long */
#define ngx_http_govern_audit_str_len(s)                                     \
    (sizeof("\"\"") - 1 + GOVERN_JSON_ESCAPE_MAX((s)->len))

/* keys, punctuation, numbers, literals and the timestamp */
#define NGX_HTTP_GOVERN_AUDIT_FIXED_LEN  1024


ngx_int_t
ngx_http_govern_audit(ngx_http_request_t *r, ngx_http_govern_ctx_t *ctx)
{
    u_char                        *rec, *last;
    size_t                         len;
    ngx_int_t                      rc;
    ngx_uint_t                     chained;
    ngx_http_govern_audit_t       *audit;
    ngx_http_govern_audit_file_t  *af;

    audit = ctx->lcf->audit;

    if (audit == NULL) {
        return NGX_OK;
    }

    if (ngx_http_govern_body_sha256(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    len = ngx_http_govern_audit_len(r, ctx);

    if (audit->syslog) {
        rec = ngx_pnalloc(r->pool, len);
        if (rec == NULL) {
            return NGX_ERROR;
        }

        last = ngx_http_govern_audit_record(r, ctx, rec, 0);
        ngx_http_govern_audit_syslog(r, audit->syslog, rec, last - rec);

        return NGX_OK;
    }

    af = audit->file;
    chained = (af->key != NULL);

    if (af->start) {
        if (len > (size_t) (af->last - af->pos)) {
            ngx_http_govern_audit_flush(af->file, r->connection->log);
        }

        if (len <= (size_t) (af->last - af->pos)) {
            /* the common case: formatted straight into the buffer */

            af->pos = ngx_http_govern_audit_record(r, ctx, af->pos, chained);
            af->records++;

            if (af->flush == 0) {
                ngx_http_govern_audit_flush(af->file, r->connection->log);

            } else if (!af->event.timer_set) {
                ngx_add_timer(&af->event, af->flush);
            }

            return NGX_OK;
        }
    }

    /* unbuffered, or larger than the buffer, or the buffer is held */

    rec = ngx_pnalloc(r->pool, len);
    if (rec == NULL) {
        ngx_http_govern_audit_lose(af, r->connection->log, 1);
        return NGX_ERROR;
    }

    last = ngx_http_govern_audit_record(r, ctx, rec, chained);

    rc = ngx_http_govern_audit_write(af, r->connection->log, rec, last - rec,
                                     1, 0);

    if (rc == NGX_AGAIN) {
        /* the file was rotated and this worker has not reopened it yet */
        ngx_http_govern_audit_lose(af, r->connection->log, 1);
    }

    if (rc != NGX_OK && !af->event.timer_set) {
        ngx_add_timer(&af->event, NGX_HTTP_GOVERN_AUDIT_RETRY);
    }

    return NGX_OK;
}


/*
 * on_error=refuse: while the audit file cannot be written, governed
 * requests are refused before any other stage.
 */

static ngx_int_t
ngx_http_govern_audit_access(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    ngx_str_t                        detail;
    ngx_http_govern_audit_t         *audit;
    ngx_http_govern_loc_conf_t      *glcf;
    ngx_http_govern_audit_shared_t  *shared;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);
    audit = glcf->audit;

    if (audit == NULL || !audit->refuse) {
        return NGX_OK;
    }

    shared = audit->file->zone->data;

    if (!shared->failing) {
        return NGX_OK;
    }

    ngx_str_set(&detail, "the audit trail cannot be written");

    if (ngx_http_govern_add_header(r, "Retry-After", (u_char *) "1", 1)
        != NGX_OK)
    {
        return ngx_http_govern_refuse_internal(r, "the audit's refusal");
    }

    return ngx_http_govern_refuse(r, GOVERN_REASON_AUDIT_UNAVAILABLE,
                                  &detail);
}


const ngx_http_govern_stage_t  ngx_http_govern_audit_stage = {
    "audit",
    NULL,                                   /* create conf */
    NULL,                                   /* merge conf */
    NULL,                                   /* init */
    ngx_http_govern_audit_access,
    NULL,                                   /* headers */
    NULL,                                   /* body */
    NULL                                    /* log */
};


static size_t
ngx_http_govern_audit_len(ngx_http_request_t *r, ngx_http_govern_ctx_t *ctx)
{
    ngx_str_t  node;

    node = ngx_cycle->hostname;

    return NGX_HTTP_GOVERN_AUDIT_FIXED_LEN
           + ngx_http_govern_audit_str_len(&ctx->request_id)
           + ngx_http_govern_audit_str_len(&ctx->trace_id)
           + ngx_http_govern_audit_str_len(&node)
           + ngx_http_govern_audit_str_len(&ctx->route)
           + ngx_http_govern_audit_str_len(&r->method_name)
           + ngx_http_govern_audit_str_len(&r->unparsed_uri)
           + ngx_http_govern_audit_str_len(&r->uri)
           + ngx_http_govern_audit_str_len(&ctx->partner)
           + ngx_http_govern_audit_str_len(&ctx->subject)
           + ngx_http_govern_audit_str_len(&ctx->scopes) * 3
           + ngx_http_govern_audit_str_len(&ctx->issuer)
           + ngx_http_govern_audit_str_len(&ctx->body_sha256)
           + ngx_http_govern_audit_str_len(&ctx->idempotency_key)
           + ctx->lcf->scopes_required.len
           + ngx_http_govern_ratelimit_audit_len(ctx->rl)
           + ngx_http_govern_odoo_audit_len(ctx)
           + ngx_http_govern_webhook_audit_len(ctx)
           + ngx_http_govern_audit_str_len(&ctx->jwt_kid)
           + ngx_http_govern_audit_str_len(&ctx->key_source)
           + ngx_http_govern_audit_str_len(&ctx->jwt_jti)
           + ngx_http_govern_audit_str_len(&ctx->api_version)
           + ngx_http_govern_audit_str_len(&r->connection->addr_text);
}


/*
 * A chained record ends with the ',' its sequence number and chain value
 * follow when it is written; either way a line feed ends it here.
 */

static u_char *
ngx_http_govern_audit_record(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, u_char *p, ngx_uint_t chained)
{
    u_char                          *q;
    time_t                           now_sec;
    ngx_tm_t                         tm;
    ngx_str_t                        path, node;
    ngx_int_t                        total;
    ngx_msec_t                       upstream_ms;
    ngx_uint_t                       i, status, upstream_status, upstreams;
    ngx_time_t                      *tp;
    ngx_http_upstream_state_t       *state;
    const govern_reason_t           *info;

    ngx_gmtime(r->start_sec, &tm);

    p = ngx_sprintf(p, "{\"ts\":\"%4d-%02d-%02dT%02d:%02d:%02d.%03MZ\","
                    "\"v\":1,\"request_id\":",
                    tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                    tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec,
                    r->start_msec);
    p = ngx_http_govern_audit_str(p, &ctx->request_id);

    p = ngx_cpymem(p, ",\"trace_id\":", sizeof(",\"trace_id\":") - 1);
    p = ngx_http_govern_audit_str(p, &ctx->trace_id);

    node = ngx_cycle->hostname;

    p = ngx_cpymem(p, ",\"node\":", sizeof(",\"node\":") - 1);
    p = ngx_http_govern_audit_str(p, &node);

    p = ngx_cpymem(p, ",\"route\":", sizeof(",\"route\":") - 1);
    p = ngx_http_govern_audit_str(p, &ctx->route);

    p = ngx_cpymem(p, ",\"method\":", sizeof(",\"method\":") - 1);
    p = ngx_http_govern_audit_str(p, &r->method_name);

    /* the path as the client sent it, without the query string */

    path = r->unparsed_uri.len ? r->unparsed_uri : r->uri;

    q = ngx_strlchr(path.data, path.data + path.len, '?');
    if (q) {
        path.len = q - path.data;
    }

    p = ngx_cpymem(p, ",\"path\":", sizeof(",\"path\":") - 1);
    p = ngx_http_govern_audit_str(p, &path);

    status = r->err_status ? r->err_status : r->headers_out.status;

    p = ngx_sprintf(p, ",\"status\":%ui,\"decision\":\"%s\",\"reason\":",
                    status, ctx->allowed ? "allow" : "deny");

    if (ctx->reason == GOVERN_REASON_NONE) {
        p = ngx_cpymem(p, "null", 4);

    } else {
        info = govern_reason(ctx->reason);
        p = ngx_sprintf(p, "\"%s\"", info->code);
    }

    p = ngx_cpymem(p, ",\"partner\":", sizeof(",\"partner\":") - 1);
    p = ngx_http_govern_audit_str(p, &ctx->partner);

    p = ngx_cpymem(p, ",\"sub\":", sizeof(",\"sub\":") - 1);
    p = ngx_http_govern_audit_str(p, &ctx->subject);

    p = ngx_cpymem(p, ",\"iss\":", sizeof(",\"iss\":") - 1);
    p = ngx_http_govern_audit_str(p, &ctx->issuer);

    p = ngx_cpymem(p, ",\"kid\":", sizeof(",\"kid\":") - 1);
    p = ngx_http_govern_audit_str(p, &ctx->jwt_kid);

    p = ngx_cpymem(p, ",\"key_source\":", sizeof(",\"key_source\":") - 1);
    p = ngx_http_govern_audit_str(p, &ctx->key_source);

    p = ngx_cpymem(p, ",\"jti\":", sizeof(",\"jti\":") - 1);
    p = ngx_http_govern_audit_str(p, &ctx->jwt_jti);

    p = ngx_cpymem(p, ",\"scopes_required\":",
                   sizeof(",\"scopes_required\":") - 1);

    if (ctx->lcf->scopes_required.len) {
        p = ngx_cpymem(p, ctx->lcf->scopes_required.data,
                       ctx->lcf->scopes_required.len);

    } else {
        p = ngx_cpymem(p, "null", 4);
    }

    p = ngx_cpymem(p, ",\"scopes_granted\":",
                   sizeof(",\"scopes_granted\":") - 1);

    if (ctx->identified) {
        p = ngx_http_govern_audit_list(p, &ctx->scopes);

    } else {
        p = ngx_cpymem(p, "null", 4);
    }

    p = ngx_cpymem(p, ",\"api_version\":", sizeof(",\"api_version\":") - 1);
    p = ngx_http_govern_audit_str(p, &ctx->api_version);

    p = ngx_sprintf(p, ",\"deprecated\":%s,\"odoo\":",
                    ctx->api_version.len == 0 ? "null"
                    : ctx->deprecated ? "true" : "false");
    p = ngx_http_govern_odoo_audit(p, ctx);
    p = ngx_cpymem(p, ",\"ratelimit\":", sizeof(",\"ratelimit\":") - 1);
    p = ngx_http_govern_ratelimit_audit(p, ctx->rl);
    p = ngx_cpymem(p, ",\"revocation\":", sizeof(",\"revocation\":") - 1);

    if (govern_revoke_name(ctx->revocation)) {
        p = ngx_sprintf(p, "\"%s\"", govern_revoke_name(ctx->revocation));

    } else {
        p = ngx_cpymem(p, "null", 4);
    }

    p = ngx_cpymem(p, ",\"idempotency_key\":",
                   sizeof(",\"idempotency_key\":") - 1);
    p = ngx_http_govern_audit_str(p, &ctx->idempotency_key);
    p = ngx_cpymem(p, ",\"webhook\":", sizeof(",\"webhook\":") - 1);
    p = ngx_http_govern_webhook_audit(p, ctx);
    p = ngx_cpymem(p, ",\"body_sha256\":", sizeof(",\"body_sha256\":") - 1);
    p = ngx_http_govern_audit_str(p, &ctx->body_sha256);

    p = ngx_sprintf(p, ",\"bytes_in\":%O,\"bytes_out\":%O",
                    r->request_length, r->connection->sent);

    /* the last upstream tried answered; the time is that of all tries */

    upstream_status = 0;
    upstream_ms = 0;
    upstreams = 0;

    if (r->upstream_states) {
        state = r->upstream_states->elts;

        for (i = 0; i < r->upstream_states->nelts; i++) {
            if (state[i].peer == NULL) {
                continue;
            }

            upstreams++;
            upstream_status = state[i].status;

            if (state[i].response_time != (ngx_msec_t) -1) {
                upstream_ms += state[i].response_time;
            }
        }
    }

    if (upstreams == 0) {
        p = ngx_cpymem(p, ",\"upstream_status\":null,\"upstream_ms\":null",
                       sizeof(",\"upstream_status\":null,\"upstream_ms\":null")
                       - 1);

    } else if (upstream_status == 0) {
        p = ngx_sprintf(p, ",\"upstream_status\":null,\"upstream_ms\":%M",
                        upstream_ms);

    } else {
        p = ngx_sprintf(p, ",\"upstream_status\":%ui,\"upstream_ms\":%M",
                        upstream_status, upstream_ms);
    }

    tp = ngx_timeofday();
    now_sec = tp->sec;

    total = (ngx_int_t) ((now_sec - r->start_sec) * 1000
                         + (tp->msec - r->start_msec));

    p = ngx_sprintf(p, ",\"total_ms\":%i,\"client_ip\":",
                    ngx_max(total, 0));
    p = ngx_http_govern_audit_str(p, &r->connection->addr_text);

    *p++ = chained ? ',' : '}';
    *p++ = '\n';

    return p;
}


static u_char *
ngx_http_govern_audit_str(u_char *p, ngx_str_t *s)
{
    if (s->len == 0) {
        return ngx_cpymem(p, "null", 4);
    }

    *p++ = '"';
    p = govern_json_escape(p, s->data, s->len);
    *p++ = '"';

    return p;
}


/* a space-separated list as a JSON array of strings */

static u_char *
ngx_http_govern_audit_list(u_char *p, ngx_str_t *s)
{
    u_char  *item, *end, *sp;

    *p++ = '[';

    for (item = s->data, end = s->data + s->len; item < end; item = sp + 1) {
        sp = ngx_strlchr(item, end, ' ');

        if (sp == NULL) {
            sp = end;
        }

        if (item != s->data) {
            *p++ = ',';
        }

        *p++ = '"';
        p = govern_json_escape(p, item, sp - item);
        *p++ = '"';
    }

    *p++ = ']';

    return p;
}


static void
ngx_http_govern_audit_syslog(ngx_http_request_t *r, ngx_syslog_peer_t *peer,
    u_char *rec, size_t len)
{
    u_char  *msg, *p;
    size_t   header;

    if (peer->busy) {
        ngx_http_govern_metrics_audit(0, 1, 0);
        return;
    }

    header = sizeof("<255>Jan 01 00:00:00 ") - 1 + ngx_cycle->hostname.len
             + 1 + peer->tag.len + 2;

    msg = ngx_pnalloc(r->pool, header + len);
    if (msg == NULL) {
        ngx_http_govern_metrics_audit(0, 1, 0);
        return;
    }

    p = ngx_syslog_add_header(peer, msg);

    /* syslog messages carry no trailing newline */
    p = ngx_cpymem(p, rec, len - 1);

    peer->busy = 1;

    if (ngx_syslog_send(peer, msg, p - msg) == p - msg) {
        ngx_http_govern_metrics_audit(1, 0, 0);

    } else {
        ngx_http_govern_metrics_audit(0, 1, 1);
    }

    peer->busy = 0;
}


/*
 * The file's flush hook, also run by the flush timer: the buffer goes to
 * the file, with a gap record for what could not be written before.
 */

static void
ngx_http_govern_audit_flush(ngx_open_file_t *file, ngx_log_t *log)
{
    ngx_int_t                        rc;
    ngx_http_govern_audit_file_t    *af;
    ngx_http_govern_audit_shared_t  *shared;

    if (ngx_process == NGX_PROCESS_MASTER) {
        /* it reopens files too, but writes no record */
        return;
    }

    af = file->data;
    shared = af->zone->data;

    rc = ngx_http_govern_audit_write(af, log, af->start, af->pos - af->start,
                                     af->records, 0);

    if (rc == NGX_AGAIN) {
        /*
         * The chain went on in the file now at the path, and this worker
         * still has the one rotated away: it reopens soon, and the
         * records wait for it, unless it is exiting.
         */

        if (!(ngx_exiting || ngx_quit || ngx_terminate)) {
            ngx_add_timer(&af->event, 100);
            return;
        }

        ngx_http_govern_audit_lose(af, log, af->records);
    }

    af->pos = af->start;
    af->records = 0;

    if (rc == NGX_ERROR || shared->lost) {
        ngx_add_timer(&af->event, NGX_HTTP_GOVERN_AUDIT_RETRY);

    } else if (af->event.timer_set) {
        ngx_del_timer(&af->event);
    }
}


static void
ngx_http_govern_audit_flush_handler(ngx_event_t *ev)
{
    ngx_open_file_t  *file = ev->data;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ev->log, 0, "govern audit flush");

    ngx_http_govern_audit_flush(file, ev->log);
}


/*
 * govern_audit FILE [buffer=SIZE] [flush=TIME] [on_error=serve|refuse]
 *     | syslog:... | off
 */

char *
ngx_http_govern_audit_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_loc_conf_t *glcf = conf;

    ssize_t                        size;
    ngx_int_t                      flush;
    ngx_str_t                     *value, s, name;
    ngx_uint_t                     i;
    ngx_flag_t                     refuse;
    ngx_open_file_t               *file;
    ngx_syslog_peer_t             *peer;
    ngx_http_govern_audit_t       *audit;
    ngx_http_govern_audit_file_t  *af, **afp;
    ngx_http_govern_main_conf_t   *gmcf;

    if (glcf->audit != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        if (cf->args->nelts != 2) {
            return "takes no parameters after \"off\"";
        }

        glcf->audit = NULL;
        return NGX_CONF_OK;
    }

    audit = ngx_pcalloc(cf->pool, sizeof(ngx_http_govern_audit_t));
    if (audit == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_strncmp(value[1].data, "syslog:", 7) == 0) {
        if (cf->args->nelts != 2) {
            return "takes no buffer=, flush= or on_error= with syslog";
        }

        peer = ngx_pcalloc(cf->pool, sizeof(ngx_syslog_peer_t));
        if (peer == NULL) {
            return NGX_CONF_ERROR;
        }

        if (ngx_syslog_process_conf(cf, peer) != NGX_CONF_OK) {
            return NGX_CONF_ERROR;
        }

        audit->syslog = peer;
        glcf->audit = audit;

        return NGX_CONF_OK;
    }

    size = NGX_HTTP_GOVERN_AUDIT_BUFFER;
    flush = NGX_HTTP_GOVERN_AUDIT_FLUSH;
    refuse = 0;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "buffer=", 7) == 0) {
            s.len = value[i].len - 7;
            s.data = value[i].data + 7;

            size = ngx_parse_size(&s);

            if (size == NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid audit buffer size \"%V\"", &s);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "flush=", 6) == 0) {
            s.len = value[i].len - 6;
            s.data = value[i].data + 6;

            flush = ngx_parse_time(&s, 0);

            if (flush == NGX_ERROR || flush == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid audit flush time \"%V\"", &s);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strcmp(value[i].data, "on_error=serve") == 0) {
            refuse = 0;
            continue;
        }

        if (ngx_strcmp(value[i].data, "on_error=refuse") == 0) {
            refuse = 1;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    file = ngx_conf_open_file(cf->cycle, &value[1]);
    if (file == NULL) {
        return NGX_CONF_ERROR;
    }

    audit->refuse = refuse;
    glcf->audit = audit;

    if (file->data) {
        if (file->flush != ngx_http_govern_audit_flush) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" is already a buffered access_log",
                               &value[1]);
            return NGX_CONF_ERROR;
        }

        af = file->data;

        if ((size_t) size != (size_t) (af->last - af->start)
            || (size && af->flush != (ngx_msec_t) flush))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "audit \"%V\" already has other buffer= or "
                               "flush= parameters", &value[1]);
            return NGX_CONF_ERROR;
        }

        audit->file = af;

        return NGX_CONF_OK;
    }

    af = ngx_pcalloc(cf->pool, sizeof(ngx_http_govern_audit_file_t));
    if (af == NULL) {
        return NGX_CONF_ERROR;
    }

    af->file = file;
    af->head_fd = NGX_INVALID_FILE;

    if (size) {
        af->start = ngx_pnalloc(cf->pool, size);
        if (af->start == NULL) {
            return NGX_CONF_ERROR;
        }

        af->pos = af->start;
        af->last = af->start + size;
        af->flush = flush;
    }

    af->event.data = file;
    af->event.handler = ngx_http_govern_audit_flush_handler;
    af->event.log = &cf->cycle->new_log;
    af->event.cancelable = 1;

    /* what the workers share about the file: one zone each */

    name.len = sizeof("govern_audit ") - 1 + file->name.len;
    name.data = ngx_pnalloc(cf->pool, name.len);
    if (name.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(name.data, "govern_audit %V", &file->name);

    af->zone = ngx_shared_memory_add(cf, &name, 8 * ngx_pagesize,
                                     &ngx_http_govern_module);
    if (af->zone == NULL) {
        return NGX_CONF_ERROR;
    }

    af->zone->init = ngx_http_govern_audit_init_zone;

    gmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_govern_module);

    if (gmcf->audit_files == NULL) {
        gmcf->audit_files = ngx_array_create(cf->pool, 2,
                                   sizeof(ngx_http_govern_audit_file_t *));
        if (gmcf->audit_files == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    afp = ngx_array_push(gmcf->audit_files);
    if (afp == NULL) {
        return NGX_CONF_ERROR;
    }

    *afp = af;

    file->flush = ngx_http_govern_audit_flush;
    file->data = af;
    audit->file = af;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_govern_audit_init_zone(ngx_shm_zone_t *zone, void *data)
{
    ngx_slab_pool_t  *shpool;

    if (data) {
        zone->data = data;          /* a reload keeps what it knows */
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    zone->data = ngx_slab_calloc(shpool,
                                 sizeof(ngx_http_govern_audit_shared_t));
    if (zone->data == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * After the http block: the node name every checkpoint and gap record
 * carries, and with govern_audit_key, each file's chain.
 */

char *
ngx_http_govern_audit_init(ngx_conf_t *cf,
    ngx_http_govern_main_conf_t *gmcf)
{
    size_t                          len;
    ngx_uint_t                      i;
    ngx_http_govern_audit_file_t  **afp, *af;

    if (gmcf->audit_files == NULL) {
        return NGX_CONF_OK;
    }

    len = govern_json_escape_len(cf->cycle->hostname.data,
                                 cf->cycle->hostname.len);

    afp = gmcf->audit_files->elts;

    for (i = 0; i < gmcf->audit_files->nelts; i++) {
        af = afp[i];

        af->node.data = ngx_pnalloc(cf->pool, len);
        if (af->node.data == NULL) {
            return NGX_CONF_ERROR;
        }

        af->node.len = govern_json_escape(af->node.data,
                                          cf->cycle->hostname.data,
                                          cf->cycle->hostname.len)
                       - af->node.data;

        if (gmcf->audit_key
            && ngx_http_govern_audit_file_init(cf, af, gmcf->audit_key)
               != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* a worker that exits seals what it wrote since the last checkpoint */

void
ngx_http_govern_audit_exit(ngx_cycle_t *cycle,
    ngx_http_govern_main_conf_t *gmcf)
{
    ngx_uint_t                      i;
    ngx_http_govern_audit_file_t  **afp;

    if (gmcf->audit_files == NULL || gmcf->audit_key == NULL) {
        return;
    }

    afp = gmcf->audit_files->elts;

    for (i = 0; i < gmcf->audit_files->nelts; i++) {
        (void) ngx_http_govern_audit_write(afp[i], cycle->log, NULL, 0, 0, 1);
    }
}
