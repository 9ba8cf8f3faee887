
/*
 * govern: scope matching: exact, case-sensitive tokens of the granted
 * space-separated list, never prefixes or patterns.
 */


#include <string.h>

#include "govern_scopes.h"


int
govern_scope_granted(const char *granted, size_t len,
    const char *scope)
{
    size_t       n;
    const char  *p, *end, *sp;

    n = strlen(scope);

    for (p = granted, end = granted + len; p < end; p = sp + 1) {
        sp = memchr(p, ' ', end - p);

        if (sp == NULL) {
            sp = end;
        }

        if ((size_t) (sp - p) == n && memcmp(p, scope, n) == 0) {
            return 1;
        }
    }

    return 0;
}


size_t
govern_scopes_missing(const char *granted, size_t len,
    const govern_scope_set_t *set)
{
    size_t  i, missing;

    missing = 0;

    for (i = 0; i < set->n; i++) {
        if (!govern_scope_granted(granted, len, set->scopes[i])) {
            missing++;
        }
    }

    return missing;
}


/*
 * Returns the index of the first alternative the granted scopes satisfy,
 * or -1; then *closest is the alternative missing the fewest scopes, the
 * one a client is told would have sufficed.
 */

long
govern_scopes_match(const char *granted, size_t len,
    const govern_scope_set_t *alternatives, size_t n,
    size_t *closest)
{
    size_t  i, missing, fewest;

    fewest = (size_t) -1;
    *closest = 0;

    for (i = 0; i < n; i++) {
        missing = govern_scopes_missing(granted, len,
                                        &alternatives[i]);
        if (missing == 0) {
            return (long) i;
        }

        if (missing < fewest) {
            fewest = missing;
            *closest = i;
        }
    }

    return -1;
}
