
/*
 * govern: URI reference resolution (RFC 3986 section 5.2) for "$id" and
 * "$ref": merging paths and removing dot segments.  Pure logic.
 */


#include <stdlib.h>
#include <string.h>

#include "govern_schema.h"


typedef struct {
    const char  *scheme;
    size_t       scheme_len;
    const char  *authority;     /* NULL: none */
    size_t       authority_len;
    const char  *path;
    size_t       path_len;
    const char  *query;         /* NULL: none */
    size_t       query_len;
    const char  *fragment;      /* NULL: none */
    size_t       fragment_len;
} govern_uri_t;


static void govern_uri_split(const char *s, govern_uri_t *u);
static size_t govern_uri_dots(char *path, size_t len);


static void
govern_uri_split(const char *s, govern_uri_t *u)
{
    const char  *p, *end;

    memset(u, 0, sizeof(*u));
    end = s + strlen(s);

    /* scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */

    for (p = s; p < end; p++) {
        if (*p == ':') {
            if (p > s) {
                u->scheme = s;
                u->scheme_len = p - s;
                s = p + 1;
            }

            break;
        }

        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (p > s && ((*p >= '0' && *p <= '9') || *p == '+'
                            || *p == '-' || *p == '.'))))
        {
            break;
        }
    }

    p = strchr(s, '#');
    if (p) {
        u->fragment = p + 1;
        u->fragment_len = end - p - 1;
        end = p;
    }

    p = memchr(s, '?', end - s);
    if (p) {
        u->query = p + 1;
        u->query_len = end - p - 1;
        end = p;
    }

    if (end - s >= 2 && s[0] == '/' && s[1] == '/') {
        s += 2;
        p = memchr(s, '/', end - s);
        p = p ? p : end;
        u->authority = s;
        u->authority_len = p - s;
        s = p;
    }

    u->path = s;
    u->path_len = end - s;
}


/* RFC 3986 5.2.4, in place; returns the new length */

static size_t
govern_uri_dots(char *path, size_t len)
{
    char    *out;
    size_t   i, o;

    out = path;
    o = 0;
    i = 0;

    while (i < len) {
        if (len - i >= 3 && memcmp(path + i, "../", 3) == 0) {
            i += 3;

        } else if (len - i >= 2 && memcmp(path + i, "./", 2) == 0) {
            i += 2;

        } else if (len - i >= 3 && memcmp(path + i, "/./", 3) == 0) {
            i += 2;

        } else if (len - i == 2 && memcmp(path + i, "/.", 2) == 0) {
            path[i + 1] = '/';
            i += 1;

        } else if ((len - i >= 4 && memcmp(path + i, "/../", 4) == 0)
                   || (len - i == 3 && memcmp(path + i, "/..", 3) == 0))
        {
            if (len - i == 3) {
                path[i + 2] = '/';
                i += 2;

            } else {
                i += 3;
            }

            while (o > 0 && out[o - 1] != '/') {
                o--;
            }

            if (o > 0) {
                o--;
            }

        } else if ((len - i == 1 && path[i] == '.')
                   || (len - i == 2 && memcmp(path + i, "..", 2) == 0))
        {
            i = len;

        } else {
            do {
                out[o++] = path[i++];
            } while (i < len && path[i] != '/');
        }
    }

    return o;
}


/* a malloc'ed absolute URI, or NULL */

char *
govern_uri_resolve(const char *base, const char *ref)
{
    char                   *out, *p, *path;
    size_t                  size, plen;
    const char             *slash;
    govern_uri_t            b, r, t;

    govern_uri_split(ref, &r);
    govern_uri_split(base ? base : "", &b);

    memset(&t, 0, sizeof(t));

    path = malloc(strlen(base ? base : "") + strlen(ref) + 4);
    if (path == NULL) {
        return NULL;
    }

    if (r.scheme) {
        t = r;
        memcpy(path, r.path, r.path_len);
        plen = govern_uri_dots(path, r.path_len);

    } else {
        t.scheme = b.scheme;
        t.scheme_len = b.scheme_len;

        if (r.authority) {
            t.authority = r.authority;
            t.authority_len = r.authority_len;
            memcpy(path, r.path, r.path_len);
            plen = govern_uri_dots(path, r.path_len);
            t.query = r.query;
            t.query_len = r.query_len;

        } else {
            t.authority = b.authority;
            t.authority_len = b.authority_len;

            if (r.path_len == 0) {
                memcpy(path, b.path, b.path_len);
                plen = b.path_len;
                t.query = r.query ? r.query : b.query;
                t.query_len = r.query ? r.query_len : b.query_len;

            } else {
                if (r.path[0] == '/') {
                    memcpy(path, r.path, r.path_len);
                    plen = r.path_len;

                } else if (b.authority && b.path_len == 0) {
                    path[0] = '/';
                    memcpy(path + 1, r.path, r.path_len);
                    plen = r.path_len + 1;

                } else {
                    slash = NULL;

                    for (p = (char *) b.path; p < b.path + b.path_len; p++) {
                        if (*p == '/') {
                            slash = p;
                        }
                    }

                    plen = slash ? (size_t) (slash - b.path + 1) : 0;
                    memcpy(path, b.path, plen);
                    memcpy(path + plen, r.path, r.path_len);
                    plen += r.path_len;
                }

                plen = govern_uri_dots(path, plen);
                t.query = r.query;
                t.query_len = r.query_len;
            }
        }
    }

    t.fragment = r.fragment;
    t.fragment_len = r.fragment_len;

    size = t.scheme_len + t.authority_len + plen + t.query_len
           + t.fragment_len + 8;

    out = malloc(size);
    if (out == NULL) {
        free(path);
        return NULL;
    }

    p = out;

    if (t.scheme) {
        memcpy(p, t.scheme, t.scheme_len);
        p += t.scheme_len;
        *p++ = ':';
    }

    if (t.authority) {
        *p++ = '/';
        *p++ = '/';
        memcpy(p, t.authority, t.authority_len);
        p += t.authority_len;
    }

    memcpy(p, path, plen);
    p += plen;

    if (t.query) {
        *p++ = '?';
        memcpy(p, t.query, t.query_len);
        p += t.query_len;
    }

    if (t.fragment && t.fragment_len) {
        *p++ = '#';
        memcpy(p, t.fragment, t.fragment_len);
        p += t.fragment_len;
    }

    *p = '\0';
    free(path);

    return out;
}
