
/*
 * Shared by the unit tests and the fuzzers: a growing string, and a
 * parsed tree written out whole, spans included, so that two readings of
 * one body compare as strings.  Out of memory aborts: a test has no
 * better answer.
 */


#ifndef _GOVERN_TEST_TEXT_H_INCLUDED_
#define _GOVERN_TEST_TEXT_H_INCLUDED_


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "govern_jv.h"


typedef struct {
    char    *p;          /* NUL-terminated once anything was added */
    size_t   len;
    size_t   cap;
} buf_t;


static void
buf_reserve(buf_t *b, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = 2 * (b->len + n + 1);
        b->p = realloc(b->p, b->cap);
        if (b->p == NULL) {
            abort();
        }
    }
}


static void
buf_add(buf_t *b, const void *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}


static void
buf_printf(buf_t *b, const char *fmt, ...)
{
    int      n;
    va_list  args;

    va_start(args, fmt);
    n = vsnprintf(NULL, 0, fmt, args);
    va_end(args);

    if (n < 0) {
        abort();
    }

    buf_reserve(b, n);

    va_start(args, fmt);
    (void) vsnprintf(b->p + b->len, n + 1, fmt, args);
    va_end(args);

    b->len += n;
}


/* type, span, then the value: strings and keys with their length first,
 * so no two trees write the same text */

static void
jv_dump(buf_t *b, const govern_jv_t *v)
{
    size_t  i;

    buf_printf(b, "%u[%u,%u)", v->type, v->start, v->end);

    switch (v->type) {

    case GOVERN_JV_INTEGER:
        buf_printf(b, "%lld", v->u.integer);
        break;

    case GOVERN_JV_REAL:
        buf_printf(b, "%.17g", v->u.real);
        break;

    case GOVERN_JV_STRING:
        buf_printf(b, "%zu:", v->len);
        buf_add(b, v->u.string, v->len);
        break;

    case GOVERN_JV_ARRAY:
        buf_add(b, "[", 1);

        for (i = 0; i < v->len; i++) {
            jv_dump(b, &v->u.items[i]);
            buf_add(b, ",", 1);
        }

        buf_add(b, "]", 1);
        break;

    case GOVERN_JV_OBJECT:
        buf_add(b, "{", 1);

        for (i = 0; i < v->len; i++) {
            buf_printf(b, "%zu:", v->u.members[i].key_len);
            buf_add(b, v->u.members[i].key, v->u.members[i].key_len);
            buf_add(b, "=", 1);
            jv_dump(b, &v->u.members[i].value);
            buf_add(b, ",", 1);
        }

        buf_add(b, "}", 1);
        break;
    }
}


#endif /* _GOVERN_TEST_TEXT_H_INCLUDED_ */
