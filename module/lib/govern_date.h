
/*
 * govern: dates of the API lifecycle, "YYYY-MM-DD" (midnight UTC) or an
 * RFC 3339 timestamp.  Pure logic: no nginx types.
 */


#ifndef _GOVERN_DATE_H_INCLUDED_
#define _GOVERN_DATE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/* 1 and the epoch seconds in *t, or 0 for anything else */
int govern_date_parse(const char *s, size_t len, int64_t *t);


#endif /* _GOVERN_DATE_H_INCLUDED_ */
