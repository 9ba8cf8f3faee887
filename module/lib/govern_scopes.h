
/*
 * govern: required scopes.  A location's "govern_scopes" lines are
 * alternatives; every scope of one line must be granted.
 * Pure logic: no nginx types.
 */


#ifndef _GOVERN_SCOPES_H_INCLUDED_
#define _GOVERN_SCOPES_H_INCLUDED_


#include <stddef.h>


typedef struct {
    const char  **scopes;       /* NUL-terminated strings */
    size_t        n;
} govern_scope_set_t;


int govern_scope_granted(const char *granted, size_t len,
    const char *scope);
size_t govern_scopes_missing(const char *granted, size_t len,
    const govern_scope_set_t *set);
long govern_scopes_match(const char *granted, size_t len,
    const govern_scope_set_t *alternatives, size_t n,
    size_t *closest);


#endif /* _GOVERN_SCOPES_H_INCLUDED_ */
