
/*
 * govern: JSON string output for audit records and problem bodies.
 * Pure logic: no nginx types.
 */


#ifndef _GOVERN_JSON_H_INCLUDED_
#define _GOVERN_JSON_H_INCLUDED_


#include <stddef.h>


/*
 * The escaped form of s is at most this many bytes: every input byte
 * becomes at most six ("\u00XX"; an invalid byte becomes "\ufffd").
 */
#define GOVERN_JSON_ESCAPE_MAX(len)  ((len) * 6)


size_t govern_json_escape_len(const unsigned char *s, size_t len);
unsigned char *govern_json_escape(unsigned char *dst,
    const unsigned char *s, size_t len);
size_t govern_utf8_seq_len(const unsigned char *s, size_t len);


#endif /* _GOVERN_JSON_H_INCLUDED_ */
