/*
 * libFuzzer target: a partner's XML-RPC methodCall through govern's
 * reader.  The first byte picks the path and how the body is cut into
 * chunks; the rest is the body.  Never a crash or a leak (expat freed on
 * every path), and:
 *
 * - the body read whole, in the chunks the byte picks, and (when short)
 *   byte by byte, gives the same tree, spans included, or the same
 *   refusal at the same byte.  But for expat's own errors ("XML: ..."):
 *   where expat finds one depends on where its buffer ended, and so does
 *   whether a fault of ours just before it is seen first; a body refused
 *   by expat read one way is refused read any other way (here: "XML");
 * - every span lies in the body and starts a <value> or a <param>;
 * - a call the policy clamps, with the clamp's edit spliced in, reads
 *   again as the same call with the limit the clamp set;
 * - the credentials spliced over the first three parameters read back
 *   as written, the other parameters unchanged;
 * - what the writers produce from the body's bytes reads back.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "govern_xmlrpc.h"
#include "govern_test_text.h"


/* the reading of data, fed in the pieces cut lists (ends, ascending) */

static govern_jv_t *
read_in(govern_jv_arena_t *a, const char *path, const char *data, size_t len,
    const size_t *cut, size_t ncut, buf_t *out)
{
    size_t                       i, from;
    govern_jv_t                 *v;
    govern_xmlrpc_t             *x;
    govern_jv_error_t            err;

    out->len = 0;
    buf_add(out, "", 0);

    x = govern_xmlrpc_create(path, strlen(path), 1 << 20,
                             govern_jv_arena_alloc, a, &err);
    if (x == NULL) {
        buf_add(out, err.text, strlen(err.text));
        return NULL;
    }

    from = 0;

    for (i = 0; i <= ncut; i++) {
        size_t  to = (i < ncut) ? cut[i] : len;

        if (!govern_xmlrpc_feed(x, data + from, to - from)) {
            break;
        }

        from = to;
    }

    v = govern_xmlrpc_finish(x);
    govern_xmlrpc_destroy(x);

    if (v) {
        jv_dump(out, v);

    } else if (strncmp(err.text, "XML: ", 5) == 0) {
        buf_add(out, "XML", 3);
        return NULL;

    } else {
        buf_printf(out, "refused at %zu: ", err.position);
        buf_add(out, err.text, strlen(err.text));
    }

    return v;
}


static int
refused(const buf_t *b)
{
    return strcmp(b->p, "XML") == 0 || strncmp(b->p, "refused", 7) == 0;
}


/* two readings agree: the same tree, or the same refusal (see above) */

static int
same_outcome(const buf_t *a, const buf_t *b)
{
    if (strcmp(a->p, b->p) == 0) {
        return 1;
    }

    return (strcmp(a->p, "XML") == 0 || strcmp(b->p, "XML") == 0)
           && refused(a) && refused(b);
}


/* every span in the text; the call's values' on a <value> or <param> */

static void
check_spans(const char *text, size_t len, const govern_jv_t *v,
    int value)
{
    size_t  i;

    if (v->start > v->end || v->end > len) {
        abort();
    }

    if (value && (v->end - v->start < 8 || text[v->start] != '<'
                  || (text[v->start + 1] != 'v' && text[v->start + 1] != 'p')))
    {
        abort();
    }

    if (v->type == GOVERN_JV_ARRAY) {
        for (i = 0; i < v->len; i++) {
            check_spans(text, len, &v->u.items[i], value);
        }

    } else if (v->type == GOVERN_JV_OBJECT) {
        for (i = 0; i < v->len; i++) {
            check_spans(text, len, &v->u.members[i].value, value);
        }
    }
}


static const char  *paths[] = {
    "/xmlrpc/2/object", "/xmlrpc/2/common", "/xmlrpc/object",
    "/xmlrpc/common", "/xmlrpc/2/object", "/xmlrpc/2/object",
    "/xmlrpc/object", "/xmlrpc/2/db"
};

static const char  *context_allow[] = { "lang", "tz", NULL };


static govern_odoo_policy_t *
policy(int clamp)
{
    size_t                                 bad;
    const char                            *why, *method;
    static govern_jv_arena_t               arena;
    static govern_odoo_policy_t            p[2];
    static int                             built;

    if (!built) {
        for (int i = 0; i < 2; i++) {
            p[i].context_allow = context_allow;
            p[i].max_records = 100;
            p[i].clamp = i;

            if (govern_odoo_policy_build(&p[i], NULL, 0, NULL, 0,
                                         govern_jv_arena_alloc, &arena, &why,
                                         &bad, &method) != 0)
            {
                abort();
            }
        }

        built = 1;
    }

    return &p[clamp];
}


static void
splice(buf_t *out, const char *text, size_t len, size_t start, size_t end,
    const char *edit, size_t edit_len)
{
    if (start > end || end > len) {
        abort();
    }

    out->len = 0;
    buf_add(out, text, start);
    buf_add(out, edit, edit_len);
    buf_add(out, text + end, len - end);
}


/* a clamped call, clamped in its XML, reads as allowed at the cap */

static void
check_clamp(govern_jv_arena_t *a, const char *path, const char *text,
    size_t len, govern_jv_t *tree)
{
    buf_t                          edited;
    const char                    *why, *key;
    govern_jv_t                   *again;
    govern_jv_error_t              err;
    govern_odoo_call_t             call, call2;
    govern_xmlrpc_edit_t           e;

    if (govern_odoo_parse(GOVERN_ODOO_JSONRPC, tree, NULL,
                          "/jsonrpc", 8, policy(1), &call, &why)
        != GOVERN_REASON_NONE
        || govern_odoo_check(&call, policy(1), "", 0, &why, &key)
           != GOVERN_REASON_NONE
        || !call.clamped)
    {
        return;
    }

    /* where JSON-RPC has a place for the limit, XML-RPC has one */
    if (!govern_xmlrpc_clamp(text, &call, 100, &e)
        || e.len != strlen(e.text))
    {
        abort();
    }

    memset(&edited, 0, sizeof(edited));
    splice(&edited, text, len, e.start, e.end, e.text, e.len);

    again = govern_xmlrpc_parse(path, strlen(path), edited.p,
                                edited.len, 1 << 21, govern_jv_arena_alloc, a,
                                &err);
    if (again == NULL) {
        abort();
    }

    if (govern_odoo_parse(GOVERN_ODOO_JSONRPC, again, NULL,
                          "/jsonrpc", 8, policy(0), &call2, &why)
        != GOVERN_REASON_NONE
        || govern_odoo_check(&call2, policy(0), "", 0, &why, &key)
           != GOVERN_REASON_NONE
        || call2.limit != 100 || strcmp(call2.model, call.model) != 0
        || strcmp(call2.method, call.method) != 0)
    {
        abort();
    }

    free(edited.p);
}


/* credentials over params 0-2 read back; the rest is unchanged */

static void
check_credentials(govern_jv_arena_t *a, const char *path, const char *text,
    size_t len, govern_jv_t *tree, const uint8_t *junk,
    size_t junk_len)
{
    size_t                       i, pos, n;
    char                         cred[3][256];
    size_t                       clen[3];
    buf_t                        out;
    govern_jv_t                 *args, *again, *args2;
    govern_jv_error_t            err;

    args = govern_jv_getz(govern_jv_getz(tree, "params"),
                          "args");

    if (govern_jv_size(args) < 3) {
        return;
    }

    /* the db is made of the body's own bytes: any of them is written */
    n = junk_len < 40 ? junk_len : 40;
    clen[0] = govern_xmlrpc_param_string(cred[0], sizeof(cred[0]),
                                         (const char *) junk, n);
    clen[1] = govern_xmlrpc_param_int(cred[1], sizeof(cred[1]), 7);
    clen[2] = govern_xmlrpc_param_string(cred[2], sizeof(cred[2]),
                                         "0123456789abcdef", 16);

    if (clen[0] >= sizeof(cred[0])) {
        abort();
    }

    memset(&out, 0, sizeof(out));
    pos = 0;

    for (i = 0; i < 3; i++) {
        buf_add(&out, text + pos, args->u.items[i].start - pos);
        buf_add(&out, cred[i], clen[i]);
        pos = args->u.items[i].end;
    }

    buf_add(&out, text + pos, len - pos);

    again = govern_xmlrpc_parse(path, strlen(path), out.p, out.len,
                                1 << 21, govern_jv_arena_alloc, a, &err);
    if (again == NULL) {
        abort();
    }

    args2 = govern_jv_getz(govern_jv_getz(again, "params"),
                           "args");

    if (args2->len != args->len
        || args2->u.items[1].u.integer != 7
        || strcmp(args2->u.items[2].u.string, "0123456789abcdef") != 0)
    {
        abort();
    }

    for (i = 3; i < args->len; i++) {
        if (!govern_jv_equal(&args->u.items[i], &args2->u.items[i])) {
            abort();
        }
    }

    free(out.p);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                         fault[4096];
    size_t                       i, ncut, cut[8], len, n;
    buf_t                        whole, pieces;
    govern_jv_arena_t            a;
    uint32_t                     seed;
    const char                  *path, *text;
    govern_jv_t                 *tree;

    if (size < 1) {
        return 0;
    }

    path = paths[data[0] & 7];
    text = (const char *) data + 1;
    len = size - 1;

    memset(&a, 0, sizeof(a));
    memset(&whole, 0, sizeof(whole));
    memset(&pieces, 0, sizeof(pieces));

    tree = read_in(&a, path, text, len, NULL, 0, &whole);

    /* the fast reader says yes with expat's very tree, spans included */
    {
        govern_jv_t  *fast;

        fast = govern_xmlrpc_parse_fast(path, strlen(path), text, len,
                                        1 << 20, govern_jv_arena_alloc, &a);
        if (fast) {
            pieces.len = 0;
            buf_add(&pieces, "", 0);
            jv_dump(&pieces, fast);

            if (strcmp(whole.p, pieces.p) != 0) {
                fprintf(stderr, "expat: %s\nfast:  %s\n", whole.p,
                        pieces.p);
                abort();
            }
        }
    }

    /* chunks where the selector's other bits and the length say */
    seed = (uint32_t) data[0] * 2654435761u ^ (uint32_t) len;
    ncut = 1 + (data[0] >> 5);

    for (i = 0; i < ncut; i++) {
        seed = seed * 1103515245u + 12345u;
        cut[i] = len ? (seed >> 8) % (len + 1) : 0;
    }

    /* ascending */
    for (i = 1; i < ncut; i++) {
        for (n = i; n > 0 && cut[n - 1] > cut[n]; n--) {
            size_t  t = cut[n];
            cut[n] = cut[n - 1];
            cut[n - 1] = t;
        }
    }

    (void) read_in(&a, path, text, len, cut, ncut, &pieces);

    if (!same_outcome(&whole, &pieces)) {
        fprintf(stderr, "whole:  %s\npieces: %s\n", whole.p, pieces.p);
        abort();
    }

    if (len <= 512) {
        size_t  bytes[512];

        for (i = 0; i + 1 < len; i++) {
            bytes[i] = i + 1;
        }

        (void) read_in(&a, path, text, len, bytes, len ? len - 1 : 0,
                       &pieces);

        if (!same_outcome(&whole, &pieces)) {
            fprintf(stderr, "whole:  %s\nbytes:  %s\n", whole.p, pieces.p);
            abort();
        }
    }

    if (tree) {
        govern_jv_t           *args;

        check_spans(text, len, tree, 0);

        args = govern_jv_getz(govern_jv_getz(tree,
                                             "params"),
                              "args");

        for (i = 0; i < args->len; i++) {
            check_spans(text, len, &args->u.items[i], 1);
        }

        check_clamp(&a, path, text, len, tree);
        check_credentials(&a, path, text, len, tree, data, size);
    }

    /* any message is written as a fault that fits what it said, and any
     * string as a parameter that reads back */
    n = govern_xmlrpc_fault(fault, sizeof(fault), 1 + (data[0] & 1),
                            1 + (data[0] >> 1) % 5, text,
                            len < 512 ? len : 512);
    if (n >= sizeof(fault)) {
        abort();
    }

    pieces.len = 0;
    buf_add(&pieces, "<methodCall><methodName>x</methodName><params>", 46);
    n = govern_xmlrpc_param_string(NULL, 0, text, len);
    {
        char  *param = malloc(n + 1);

        if (param == NULL
            || govern_xmlrpc_param_string(param, n, text, len) != n)
        {
            abort();
        }

        buf_add(&pieces, param, n);
        free(param);
    }
    buf_add(&pieces, "</params></methodCall>", 22);

    if (govern_xmlrpc_parse("/xmlrpc/2/object", 16, pieces.p,
                            pieces.len, 1 << 23, govern_jv_arena_alloc, &a,
                            NULL) == NULL)
    {
        fprintf(stderr, "written, not read: %s\n", pieces.p);
        abort();
    }

    free(whole.p);
    free(pieces.p);
    govern_jv_arena_free(&a);

    return 0;
}
