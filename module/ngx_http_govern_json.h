
/*
 * govern: JSON string output for audit records and problem bodies.
 * Pure logic: no nginx types.
 */


#ifndef _NGX_HTTP_GOVERN_JSON_H_INCLUDED_
#define _NGX_HTTP_GOVERN_JSON_H_INCLUDED_


#include <stddef.h>


/*
 * The escaped form of s is at most this many bytes: every input byte
 * becomes at most six ("\u00XX"; an invalid byte becomes "\ufffd").
 */
#define NGX_HTTP_GOVERN_JSON_ESCAPE_MAX(len)  ((len) * 6)


size_t ngx_http_govern_json_escape_len(const unsigned char *s, size_t len);
unsigned char *ngx_http_govern_json_escape(unsigned char *dst,
    const unsigned char *s, size_t len);
size_t ngx_http_govern_utf8_seq_len(const unsigned char *s, size_t len);


#endif /* _NGX_HTTP_GOVERN_JSON_H_INCLUDED_ */
