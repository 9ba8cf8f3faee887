
/*
 * govern: what is observed of every governed request once it is decided:
 * the audit record, the metrics, the variables.
 */


#ifndef _NGX_HTTP_GOVERN_OBSERVE_H_INCLUDED_
#define _NGX_HTTP_GOVERN_OBSERVE_H_INCLUDED_


#include "ngx_http_govern_stages.h"


char *ngx_http_govern_audit_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_govern_audit_key_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_govern_audit(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx);
char *ngx_http_govern_audit_init(ngx_conf_t *cf,
    ngx_http_govern_main_conf_t *gmcf);
void ngx_http_govern_audit_exit(ngx_cycle_t *cycle,
    ngx_http_govern_main_conf_t *gmcf);
void ngx_http_govern_metrics_audit(ngx_uint_t written, ngx_uint_t lost,
    ngx_uint_t failures);

/* refuses governed requests while the audit cannot be written (refuse) */
extern const ngx_http_govern_stage_t  ngx_http_govern_audit_stage;

char *ngx_http_govern_metrics_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_http_govern_metrics_count(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx);

ngx_int_t ngx_http_govern_add_variables(ngx_conf_t *cf);


#endif /* _NGX_HTTP_GOVERN_OBSERVE_H_INCLUDED_ */
