
/*
 * govern: a JSON Schema validator compiled once.
 *
 * Compilation indexes the document's resources ("$id", "$anchor"),
 * compiles every subschema into a node (memoised per JSON object, so
 * cyclic "$ref"s become cycles of nodes), resolves each "$ref" to its
 * node (loading other documents through the caller's loader), and
 * compiles "pattern"s with PCRE2.  Validation walks nodes only; it
 * collects the annotations "unevaluatedProperties"/"unevaluatedItems"
 * need only when the schema uses them, and bounds recursion so a cyclic
 * "$ref" that never advances in the instance terminates.
 */


#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH  8
#include <pcre2.h>

#include "govern_schema.h"


#define GOVERN_SCHEMA_MAX_DEPTH   512

/*
 * Subschema evaluations one validation may take: applicators over a
 * recursive schema can grow exponentially with the depth of an instance,
 * and the instance is the caller's.
 */
#define GOVERN_SCHEMA_MAX_STEPS   200000

/*
 * Value comparisons one validation may make: uniqueItems and annotation
 * bookkeeping compare pairs, quadratic in the size of an instance.
 */
#define GOVERN_SCHEMA_MAX_COMPARES  10000000

#define T_NULL      0x01
#define T_BOOLEAN   0x02
#define T_OBJECT    0x04
#define T_ARRAY     0x08
#define T_NUMBER    0x10
#define T_STRING    0x20
#define T_INTEGER   0x40

/* keyword groups a node has, so validation skips the others at once */
#define KW_NUMBER   0x01
#define KW_STRING   0x02
#define KW_OBJECT   0x04
#define KW_ARRAY    0x08
#define KW_APPLY    0x10        /* allOf anyOf oneOf not if */
#define KW_UNEVAL   0x20
#define KW_VALUE    0x40        /* type enum const */


typedef struct govern_snode_s  snode_t;


typedef struct {
    char               *name;
    size_t              len;
    snode_t            *node;
    int                 index;          /* required: its "properties" entry */
    uint64_t            word[2];        /* properties: the name's first 16 */
    uint64_t            mask[2];        /* bytes, and which of them count */
} sprop_t;


typedef struct {
    pcre2_code         *re;
    int                 jit;
    snode_t            *node;
} spattern_t;


typedef struct {
    char               *name;
    char              **list;
    size_t              n;
} sdepreq_t;


typedef struct {
    snode_t           **v;
    size_t              n;
} slist_t;


struct govern_snode_s {
    int                 boolean;        /* -1 object, 0 false, 1 true */
    unsigned            kw;             /* KW_* */
    unsigned            pure_ref:1;     /* nothing but "$ref": its target */
    unsigned            types;
    unsigned            draft7:1;
    unsigned            has_const:1;
    unsigned            has_multiple:1;
    unsigned            has_max:1;
    unsigned            has_min:1;
    unsigned            has_exmax:1;
    unsigned            has_exmin:1;
    unsigned            unique:1;

    govern_jv_t           *enumv;       /* an array */
    govern_jv_t           *constv;
    double              multiple, max, min, exmax, exmin;
    long long           max_len, min_len, max_items, min_items;
    long long           max_props, min_props, max_contains, min_contains;

    pcre2_code         *pattern;
    int                 pattern_jit;
    const char         *format;
    govern_format_pt            format_check;   /* NULL: unknown, passes */

    sprop_t            *required;       /* names only */
    size_t              nrequired;
    sdepreq_t          *depreq;
    size_t              ndepreq;
    sprop_t            *depschemas;
    size_t              ndepschemas;
    sprop_t            *props;
    size_t              nprops;
    spattern_t         *pprops;
    size_t              npprops;
    snode_t            *addprops;
    snode_t            *propnames;
    slist_t             prefix;
    snode_t            *items;          /* for indexes >= prefix.n */
    snode_t            *contains;
    slist_t             all, any, one;
    snode_t            *not;
    snode_t            *if_, *then_, *else_;
    snode_t            *uneval_props;
    snode_t            *uneval_items;

    snode_t            *ref;
    char               *ref_uri;
    json_t             *json;           /* the schema object compiled */
    snode_t            *next;           /* all nodes, for freeing */
};


typedef struct {
    char               *uri;            /* absolute, with a fragment */
    json_t             *json;
    char               *base;
    int                 draft7;
} sres_t;


struct govern_schema_s {
    snode_t            *root;
    snode_t            *nodes;
    json_t            **docs;
    size_t              ndocs;
    int                 annotations;
    govern_jv_arena_t           values;     /* enum and const */
};


typedef struct {
    json_t             *json;
    char               *base;           /* before its own "$id" */
    int                 draft7;
} sbase_t;


typedef struct {
    govern_schema_t                   *schema;
    sbase_t                           *bases;
    size_t                             nbases, cbases;
    govern_schema_loader_pt            loader;
    void                              *loader_ctx;
    sres_t                            *res;         /* ids and anchors */
    size_t                             nres, cres;
    snode_t                          **pending;
    size_t                             npending, cpending;
    char                              *err;
    size_t                             errlen;
    int                                failed;
} scompiler_t;


typedef struct {
    const char        **props;
    size_t              nprops, cprops;
    size_t              items;          /* indexes below are evaluated */
    unsigned char      *hits;           /* contains matches, per index */
    size_t              nhits;
} sann_t;


typedef struct {
    govern_schema_result_t            *result;
    int                                quiet;
    int                                depth;
    long                               steps;
    long                               compares;
    const char                        *exhausted;  /* the bound's keyword */
    int                                annotations;
    char                              *path;
    size_t                             plen, pcap;
} svalidator_t;


static snode_t *govern_schema_node(scompiler_t *c, json_t *s,
    const char *base, int draft7, const char *where);
static int govern_schema_check(svalidator_t *v, snode_t *n,
    govern_jv_t *inst, sann_t *ann);


/* compilation */


static void
govern_schema_fail(scompiler_t *c, const char *where,
    const char *fmt, ...)
{
    va_list  args;
    int      n;

    if (c->failed) {
        return;
    }

    c->failed = 1;

    n = snprintf(c->err, c->errlen, "at \"%s\": ", *where ? where : "#");

    if (n < 0 || (size_t) n >= c->errlen) {
        return;
    }

    va_start(args, fmt);
    vsnprintf(c->err + n, c->errlen - n, fmt, args);
    va_end(args);
}


static char *
govern_schema_path(const char *where, const char *key)
{
    char    *p;
    size_t   len;

    len = strlen(where) + strlen(key) + 2;

    p = malloc(len);
    if (p) {
        snprintf(p, len, "%s/%s", where, key);
    }

    return p;
}


/* where/keyword/member, the member escaped as a JSON pointer token */

static char *
govern_schema_path2(const char *where, const char *keyword,
    const char *member)
{
    char        *p, *out;
    size_t       len;
    const char  *m;

    len = strlen(where) + strlen(keyword) + 2 * strlen(member) + 3;

    out = malloc(len);
    if (out == NULL) {
        return NULL;
    }

    p = out + snprintf(out, len, "%s/%s/", where, keyword);

    for (m = member; *m; m++) {
        if (*m == '~' || *m == '/') {
            *p++ = '~';
            *p++ = (*m == '~') ? '0' : '1';

        } else {
            *p++ = *m;
        }
    }

    *p = '\0';

    return out;
}


static int
govern_schema_is_draft7(json_t *s, int inherited)
{
    const char  *id;

    id = json_string_value(json_object_get(s, "$schema"));

    if (id == NULL) {
        return inherited;
    }

    return strstr(id, "draft-07") != NULL || strstr(id, "draft-06") != NULL
           || strstr(id, "draft-04") != NULL;
}


static int
govern_schema_register(scompiler_t *c, char *uri, json_t *json,
    const char *base, int draft7)
{
    size_t   i;
    sres_t  *grown;

    for (i = 0; i < c->nres; i++) {
        if (strcmp(c->res[i].uri, uri) == 0) {
            free(uri);
            return c->res[i].json == json ? 0 : -1;
        }
    }

    if (c->nres == c->cres) {
        c->cres = c->cres ? 2 * c->cres : 16;
        grown = realloc(c->res, c->cres * sizeof(sres_t));
        if (grown == NULL) {
            free(uri);
            return -1;
        }

        c->res = grown;
    }

    c->res[c->nres].uri = uri;
    c->res[c->nres].json = json;
    c->res[c->nres].base = strdup(base);
    c->res[c->nres].draft7 = draft7;
    c->nres++;

    return 0;
}


static const char  *govern_schema_children[] = {
    "additionalProperties", "additionalItems", "items", "contains", "not",
    "if", "then", "else", "propertyNames", "unevaluatedItems",
    "unevaluatedProperties", NULL
};

static const char  *govern_schema_arrays[] = {
    "allOf", "anyOf", "oneOf", "prefixItems", "items", NULL
};

static const char  *govern_schema_maps[] = {
    "properties", "patternProperties", "$defs", "definitions",
    "dependentSchemas", "dependencies", NULL
};


/* records "$id"s and anchors with their base URIs, before compiling */

static void
govern_schema_index(scompiler_t *c, json_t *s, const char *base,
    int draft7)
{
    char         *uri, *here, *a;
    size_t        i, len;
    json_t       *v, *e;
    const char   *id, *anchor, *key, **k;

    if (!json_is_object(s)) {
        return;
    }

    draft7 = govern_schema_is_draft7(s, draft7);

    if (c->nbases == c->cbases) {
        sbase_t  *grown;

        c->cbases = c->cbases ? 2 * c->cbases : 64;
        grown = realloc(c->bases, c->cbases * sizeof(sbase_t));
        if (grown == NULL) {
            return;
        }

        c->bases = grown;
    }

    c->bases[c->nbases].json = s;
    c->bases[c->nbases].base = strdup(base);
    c->bases[c->nbases].draft7 = draft7;
    c->nbases++;

    here = strdup(base);
    if (here == NULL) {
        return;
    }

    id = json_string_value(json_object_get(s, "$id"));

    /* draft-07: "$ref" hides its siblings, "$id" among them */
    if (draft7 && json_object_get(s, "$ref")) {
        id = NULL;
    }

    if (id) {
        if (draft7 && id[0] == '#') {
            /* a plain-name fragment is draft-07's anchor */
            uri = govern_uri_resolve(here, id);
            if (uri) {
                govern_schema_register(c, uri, s, base, draft7);
            }

        } else {
            uri = govern_uri_resolve(here, id);

            if (uri) {
                a = strchr(uri, '#');
                if (a) {
                    *a = '\0';
                }

                free(here);
                here = uri;
                uri = strdup(here);

                if (uri) {
                    govern_schema_register(c, uri, s, base, draft7);
                }
            }
        }
    }

    anchor = json_string_value(json_object_get(s, "$anchor"));

    if (anchor && !draft7) {
        len = strlen(here) + strlen(anchor) + 2;
        uri = malloc(len);

        if (uri) {
            snprintf(uri, len, "%s#%s", here, anchor);
            govern_schema_register(c, uri, s, base, draft7);
        }
    }

    for (k = govern_schema_children; *k; k++) {
        govern_schema_index(c, json_object_get(s, *k), here, draft7);
    }

    for (k = govern_schema_arrays; *k; k++) {
        v = json_object_get(s, *k);

        if (json_is_array(v)) {
            json_array_foreach(v, i, e) {
                govern_schema_index(c, e, here, draft7);
            }
        }
    }

    for (k = govern_schema_maps; *k; k++) {
        v = json_object_get(s, *k);

        if (json_is_object(v)) {
            json_object_foreach(v, key, e) {
                govern_schema_index(c, e, here, draft7);
            }
        }
    }

    free(here);
}


static int
govern_schema_number(json_t *v, double *d)
{
    if (json_is_integer(v)) {
        *d = (double) json_integer_value(v);
        return 1;
    }

    if (json_is_real(v)) {
        *d = json_real_value(v);
        return 1;
    }

    return 0;
}


static int
govern_schema_count(scompiler_t *c, json_t *s, const char *key,
    long long *out, const char *where)
{
    json_t  *v;
    double   d;

    v = json_object_get(s, key);

    if (v == NULL) {
        return 1;
    }

    if (!govern_schema_number(v, &d) || d < 0 || d != floor(d)) {
        govern_schema_fail(c, where, "\"%s\" must be a "
                           "non-negative integer", key);
        return 0;
    }

    /* past 2^63 a count bounds nothing a document can hold, and the
     * conversion would be undefined */

    *out = d < 9.2e18 ? (long long) d : LLONG_MAX;

    return 1;
}


/*
 * A property name of up to 16 bytes as two words and their masks: an
 * instance key (GOVERN_JV_READABLE bytes readable) is then
 * matched with two loads instead of a call to memcmp().
 */

static void
govern_schema_words(sprop_t *prop)
{
    size_t  n;

    if (prop->len > 16) {
        return;
    }

    n = prop->len < 8 ? prop->len : 8;

    memcpy(&prop->word[0], prop->name, n);
    memset(&prop->mask[0], 0xff, n);

    if (prop->len > 8) {
        memcpy(&prop->word[1], prop->name + 8, prop->len - 8);
        memset(&prop->mask[1], 0xff, prop->len - 8);
    }
}


/* "enum" and "const" compare with instances: held in the instances' form */

static govern_jv_t *
govern_schema_value(scompiler_t *c, json_t *v, const char *where)
{
    char                        *text;
    govern_jv_t                 *jv;
    govern_jv_error_t            err;

    text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (text == NULL) {
        govern_schema_fail(c, where, "out of memory");
        return NULL;
    }

    jv = govern_jv_parse(text, strlen(text),
                         GOVERN_JV_ALLOW_NUL,
                         govern_jv_arena_alloc,
                         &c->schema->values, &err);
    free(text);

    if (jv == NULL) {
        govern_schema_fail(c, where, "%s", err.text);
    }

    return jv;
}


static snode_t *
govern_schema_child(scompiler_t *c, json_t *s, const char *key,
    const char *base, int draft7, const char *where)
{
    char     *path;
    json_t   *v;
    snode_t  *n;

    v = json_object_get(s, key);

    if (v == NULL) {
        return NULL;
    }

    path = govern_schema_path(where, key);
    n = govern_schema_node(c, v, base, draft7, path ? path : where);
    free(path);

    return n;
}


/* a named member of an object keyword: "properties", "dependentSchemas" */

static snode_t *
govern_schema_member(scompiler_t *c, const char *keyword,
    const char *name, json_t *v, const char *base, int draft7,
    const char *where)
{
    char     *path;
    snode_t  *n;

    path = govern_schema_path2(where, keyword, name);
    n = govern_schema_node(c, v, base, draft7, path ? path : where);
    free(path);

    return n;
}


static int
govern_schema_list(scompiler_t *c, json_t *s, const char *key,
    slist_t *list, const char *base, int draft7, const char *where)
{
    char     *path, idx[32];
    size_t    i;
    json_t   *v, *e;

    v = json_object_get(s, key);

    if (v == NULL) {
        return 1;
    }

    if (!json_is_array(v) || (json_array_size(v) == 0
                              && strcmp(key, "prefixItems") != 0
                              && strcmp(key, "items") != 0))
    {
        govern_schema_fail(c, where, "\"%s\" must be a non-empty "
                           "array of schemas", key);
        return 0;
    }

    list->n = json_array_size(v);
    list->v = calloc(list->n ? list->n : 1, sizeof(snode_t *));
    if (list->v == NULL) {
        return 0;
    }

    json_array_foreach(v, i, e) {
        snprintf(idx, sizeof(idx), "%s/%zu", key, i);
        path = govern_schema_path(where, idx);
        list->v[i] = govern_schema_node(c, e, base, draft7,
                                        path ? path : where);
        free(path);

        if (list->v[i] == NULL) {
            return 0;
        }
    }

    return 1;
}


/*
 * ECMA-262 knows Unicode property long names (\p{Letter}) that PCRE2
 * spells short (\p{L}): rewrite those before compiling.
 */

static char *
govern_schema_ecma(const char *src)
{
    char        *out, *p;
    size_t       i, n;
    const char  *s;

    static const char  *names[][2] = {
        { "Letter", "L" }, { "Lowercase_Letter", "Ll" },
        { "Uppercase_Letter", "Lu" }, { "Titlecase_Letter", "Lt" },
        { "Modifier_Letter", "Lm" }, { "Other_Letter", "Lo" },
        { "Mark", "M" }, { "Number", "N" }, { "Decimal_Number", "Nd" },
        { "digit", "Nd" }, { "Letter_Number", "Nl" },
        { "Other_Number", "No" }, { "Punctuation", "P" },
        { "punct", "P" }, { "Symbol", "S" }, { "Separator", "Z" },
        { "Space_Separator", "Zs" }, { "Other", "C" }, { "Control", "Cc" },
        { NULL, NULL }
    };

    out = malloc(strlen(src) + 1);
    if (out == NULL) {
        return NULL;
    }

    p = out;
    s = src;

    while (*s) {
        if (s[0] == '\\' && (s[1] == 'p' || s[1] == 'P') && s[2] == '{') {
            for (i = 0; names[i][0]; i++) {
                n = strlen(names[i][0]);

                if (strncmp(s + 3, names[i][0], n) == 0 && s[3 + n] == '}') {
                    p += sprintf(p, "\\%c{%s}", s[1], names[i][1]);
                    s += 4 + n;
                    break;
                }
            }

            if (names[i][0]) {
                continue;
            }
        }

        if (s[0] == '\\' && s[1]) {
            *p++ = *s++;
        }

        *p++ = *s++;
    }

    *p = '\0';

    return out;
}


/*
 * Matches only need to succeed or fail: one match data of one pair per
 * process serves every pattern, so validation writes nothing into the
 * compiled schema.
 */

static pcre2_match_data     *govern_schema_md;

/*
 * A pattern is the security team's, the string the partner's: a pattern
 * that backtracks badly must not let a body hold the worker, so each
 * match is bounded (PCRE2's default is 10 million steps).
 */
#define GOVERN_SCHEMA_MATCH_LIMIT  100000

static pcre2_match_context  *govern_schema_mctx;


static int
govern_schema_regex(scompiler_t *c, const char *src,
    pcre2_code **re, int *jit, const char *where)
{
    int           rc;
    char         *ecma;
    PCRE2_SIZE    off;
    PCRE2_UCHAR   msg[128];

    ecma = govern_schema_ecma(src);
    if (ecma == NULL) {
        return 0;
    }

    *re = pcre2_compile((PCRE2_SPTR) ecma, PCRE2_ZERO_TERMINATED,
                        PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &rc, &off, NULL);
    free(ecma);

    if (*re == NULL) {
        pcre2_get_error_message(rc, msg, sizeof(msg));
        govern_schema_fail(c, where, "invalid pattern \"%s\": %s",
                           src, (char *) msg);
        return 0;
    }

    /* JIT when the library has it; the fast entry is used then, as
     * subjects are already checked UTF-8 */
    *jit = (pcre2_jit_compile(*re, PCRE2_JIT_COMPLETE) == 0);

    if (govern_schema_md == NULL) {
        govern_schema_md = pcre2_match_data_create(1, NULL);
        govern_schema_mctx = pcre2_match_context_create(NULL);

        if (govern_schema_md == NULL
            || govern_schema_mctx == NULL)
        {
            pcre2_match_data_free(govern_schema_md);
            pcre2_match_context_free(govern_schema_mctx);
            govern_schema_md = NULL;
            govern_schema_mctx = NULL;

            govern_schema_fail(c, where, "out of memory");
            return 0;
        }

        pcre2_set_match_limit(govern_schema_mctx,
                              GOVERN_SCHEMA_MATCH_LIMIT);
        pcre2_set_depth_limit(govern_schema_mctx,
                              GOVERN_SCHEMA_MATCH_LIMIT);
    }

    return 1;
}


static unsigned
govern_schema_type(const char *t)
{
    static const struct {
        const char  *name;
        unsigned     bit;
    } types[] = {
        { "null", T_NULL }, { "boolean", T_BOOLEAN }, { "object", T_OBJECT },
        { "array", T_ARRAY }, { "number", T_NUMBER }, { "string", T_STRING },
        { "integer", T_INTEGER }, { NULL, 0 }
    };

    size_t  i;

    for (i = 0; types[i].name; i++) {
        if (strcmp(types[i].name, t) == 0) {
            return types[i].bit;
        }
    }

    return 0;
}


static snode_t *
govern_schema_node(scompiler_t *c, json_t *s, const char *base,
    int draft7, const char *where)
{
    char         *uri, *here, *a, *path;
    size_t        i, j;
    json_t       *v, *e, *d;
    snode_t      *n, *it;
    sprop_t      *prop;
    unsigned      bit;
    const char   *key, *id;

    if (c->failed) {
        return NULL;
    }

    /* memoised: the same JSON object is the same node (cycles) */

    for (it = c->schema->nodes; it; it = it->next) {
        if (it->json == s) {
            return it;
        }
    }

    n = calloc(1, sizeof(snode_t));
    if (n == NULL) {
        govern_schema_fail(c, where, "out of memory");
        return NULL;
    }

    n->json = s;
    n->next = c->schema->nodes;
    c->schema->nodes = n;

    n->max_len = n->min_len = n->max_items = n->min_items = -1;
    n->max_props = n->min_props = n->max_contains = n->min_contains = -1;

    if (json_is_boolean(s)) {
        n->boolean = json_is_true(s);
        return n;
    }

    if (!json_is_object(s)) {
        govern_schema_fail(c, where, "a schema must be an object "
                           "or a boolean");
        return NULL;
    }

    n->boolean = -1;
    draft7 = govern_schema_is_draft7(s, draft7);
    n->draft7 = draft7;

    here = strdup(base);
    if (here == NULL) {
        return NULL;
    }

    id = json_string_value(json_object_get(s, "$id"));

    if (id && !(draft7 && (id[0] == '#' || json_object_get(s, "$ref")))) {
        uri = govern_uri_resolve(here, id);

        if (uri) {
            a = strchr(uri, '#');
            if (a) {
                *a = '\0';
            }

            free(here);
            here = uri;
        }
    }

    v = json_object_get(s, "$ref");

    if (v) {
        if (!json_is_string(v)) {
            govern_schema_fail(c, where, "\"$ref\" must be a string");
            goto failed;
        }

        n->ref_uri = govern_uri_resolve(here, json_string_value(v));

        if (n->ref_uri == NULL) {
            goto failed;
        }

        if (c->npending == c->cpending) {
            c->cpending = c->cpending ? 2 * c->cpending : 16;
            c->pending = realloc(c->pending, c->cpending * sizeof(snode_t *));
            if (c->pending == NULL) {
                goto failed;
            }
        }

        c->pending[c->npending++] = n;

        if (draft7) {
            /* draft-07: the siblings of "$ref" are ignored */
            free(here);
            return n;
        }
    }

    v = json_object_get(s, "type");

    if (json_is_string(v)) {
        n->types = govern_schema_type(json_string_value(v));

        if (n->types == 0) {
            govern_schema_fail(c, where, "unknown type \"%s\"",
                               json_string_value(v));
            goto failed;
        }

    } else if (json_is_array(v)) {
        json_array_foreach(v, i, e) {
            bit = json_is_string(e)
                  ? govern_schema_type(json_string_value(e)) : 0;

            if (bit == 0) {
                govern_schema_fail(c, where, "invalid \"type\"");
                goto failed;
            }

            n->types |= bit;
        }

    } else if (v) {
        govern_schema_fail(c, where, "invalid \"type\"");
        goto failed;
    }

    v = json_object_get(s, "enum");

    if (v) {
        if (!json_is_array(v)) {
            govern_schema_fail(c, where, "\"enum\" must be an array");
            goto failed;
        }

        n->enumv = govern_schema_value(c, v, where);
        if (n->enumv == NULL) {
            goto failed;
        }
    }

    v = json_object_get(s, "const");

    if (v) {
        n->has_const = 1;
        n->constv = govern_schema_value(c, v, where);
        if (n->constv == NULL) {
            goto failed;
        }
    }

#define govern_number(key, field, flag)                                      \
    v = json_object_get(s, key);                                             \
    if (v) {                                                                 \
        if (!govern_schema_number(v, &n->field)) {                  \
            govern_schema_fail(c, where, "\"" key "\" must be a "    \
                               "number");                           \
            goto failed;                                                     \
        }                                                                    \
        n->flag = 1;                                                         \
    }

    govern_number("multipleOf", multiple, has_multiple);
    govern_number("maximum", max, has_max);
    govern_number("minimum", min, has_min);
    govern_number("exclusiveMaximum", exmax, has_exmax);
    govern_number("exclusiveMinimum", exmin, has_exmin);

#undef govern_number

    if (n->has_multiple && n->multiple <= 0) {
        govern_schema_fail(c, where, "\"multipleOf\" must be "
                           "greater than 0");
        goto failed;
    }

    if (!govern_schema_count(c, s, "maxLength", &n->max_len, where)
        || !govern_schema_count(c, s, "minLength", &n->min_len,
                                where)
        || !govern_schema_count(c, s, "maxItems", &n->max_items,
                                where)
        || !govern_schema_count(c, s, "minItems", &n->min_items,
                                where)
        || !govern_schema_count(c, s, "maxProperties",
                                &n->max_props, where)
        || !govern_schema_count(c, s, "minProperties",
                                &n->min_props, where))
    {
        goto failed;
    }

    if (!draft7
        && (!govern_schema_count(c, s, "maxContains",
                                 &n->max_contains, where)
            || !govern_schema_count(c, s, "minContains",
                                    &n->min_contains, where)))
    {
        goto failed;
    }

    v = json_object_get(s, "pattern");

    if (v) {
        path = govern_schema_path(where, "pattern");

        if (!json_is_string(v)
            || !govern_schema_regex(c, json_string_value(v),
                                    &n->pattern, &n->pattern_jit,
                                    path ? path : where))
        {
            free(path);
            govern_schema_fail(c, where, "invalid \"pattern\"");
            goto failed;
        }

        free(path);
    }

    n->format = json_string_value(json_object_get(s, "format"));
    n->format_check = n->format ? govern_format_lookup(n->format)
                                : NULL;
    n->unique = json_is_true(json_object_get(s, "uniqueItems"));

    v = json_object_get(s, "required");

    if (v) {
        if (!json_is_array(v)) {
            govern_schema_fail(c, where, "\"required\" must be an "
                               "array of strings");
            goto failed;
        }

        n->nrequired = json_array_size(v);
        n->required = calloc(n->nrequired + 1, sizeof(sprop_t));

        json_array_foreach(v, i, e) {
            if (!json_is_string(e)) {
                govern_schema_fail(c, where, "\"required\" must be "
                                   "an array of strings");
                goto failed;
            }

            n->required[i].name = (char *) json_string_value(e);
            n->required[i].len = json_string_length(e);
        }
    }

    /* dependentRequired; draft-07 "dependencies" holds both forms */

    v = json_object_get(s, draft7 ? "dependencies" : "dependentRequired");

    if (json_is_object(v)) {
        n->depreq = calloc(json_object_size(v) + 1, sizeof(sdepreq_t));

        if (draft7) {
            n->depschemas = calloc(json_object_size(v) + 1, sizeof(sprop_t));
        }

        json_object_foreach(v, key, e) {
            if (json_is_array(e)) {
                sdepreq_t  *dr = &n->depreq[n->ndepreq++];

                dr->name = (char *) key;
                dr->n = json_array_size(e);
                dr->list = calloc(dr->n + 1, sizeof(char *));

                json_array_foreach(e, j, d) {
                    if (!json_is_string(d)) {
                        govern_schema_fail(c, where, "dependencies "
                                           "must list strings");
                        goto failed;
                    }

                    dr->list[j] = (char *) json_string_value(d);
                }

            } else if (draft7) {
                prop = &n->depschemas[n->ndepschemas++];
                prop->name = (char *) key;
                prop->node = govern_schema_member(c, "dependencies",
                                                  key, e, here,
                                                  draft7, where);
                if (prop->node == NULL) {
                    goto failed;
                }
            }
        }
    }

    v = draft7 ? NULL : json_object_get(s, "dependentSchemas");

    if (json_is_object(v)) {
        n->depschemas = calloc(json_object_size(v) + 1, sizeof(sprop_t));

        json_object_foreach(v, key, e) {
            prop = &n->depschemas[n->ndepschemas++];
            prop->name = (char *) key;
            prop->node = govern_schema_member(c, "dependentSchemas",
                                              key, e, here, draft7,
                                              where);
            if (prop->node == NULL) {
                goto failed;
            }
        }
    }

    v = json_object_get(s, "properties");

    if (json_is_object(v)) {
        n->props = calloc(json_object_size(v) + 1, sizeof(sprop_t));

        json_object_foreach(v, key, e) {
            prop = &n->props[n->nprops++];
            prop->name = (char *) key;
            prop->len = strlen(key);
            govern_schema_words(prop);
            prop->node = govern_schema_member(c, "properties", key, e,
                                              here, draft7, where);
            if (prop->node == NULL) {
                goto failed;
            }
        }
    }

    v = json_object_get(s, "patternProperties");

    if (json_is_object(v)) {
        n->pprops = calloc(json_object_size(v) + 1, sizeof(spattern_t));

        json_object_foreach(v, key, e) {
            spattern_t  *pp = &n->pprops[n->npprops++];

            path = govern_schema_path2(where, "patternProperties",
                                       key);

            if (!govern_schema_regex(c, key, &pp->re, &pp->jit,
                                     path ? path : where))
            {
                free(path);
                goto failed;
            }

            pp->node = govern_schema_node(c, e, here, draft7,
                                          path ? path : where);
            free(path);

            if (pp->node == NULL) {
                goto failed;
            }
        }
    }

    n->addprops = govern_schema_child(c, s, "additionalProperties",
                                      here, draft7, where);
    n->propnames = govern_schema_child(c, s, "propertyNames", here,
                                       draft7, where);
    n->contains = govern_schema_child(c, s, "contains", here, draft7,
                                      where);
    n->not = govern_schema_child(c, s, "not", here, draft7, where);
    n->if_ = govern_schema_child(c, s, "if", here, draft7, where);
    n->then_ = govern_schema_child(c, s, "then", here, draft7,
                                   where);
    n->else_ = govern_schema_child(c, s, "else", here, draft7,
                                   where);

    if (!draft7) {
        n->uneval_props = govern_schema_child(c, s,
                              "unevaluatedProperties", here, draft7, where);
        n->uneval_items = govern_schema_child(c, s,
                              "unevaluatedItems", here, draft7, where);

        if (n->uneval_props || n->uneval_items) {
            c->schema->annotations = 1;
        }
    }

    /* items: 2020-12 "prefixItems" + "items"; draft-07 array "items" +
     * "additionalItems" */

    v = json_object_get(s, "items");

    if (draft7 && json_is_array(v)) {
        if (!govern_schema_list(c, s, "items", &n->prefix, here,
                                draft7, where))
        {
            goto failed;
        }

        n->items = govern_schema_child(c, s, "additionalItems", here,
                                       draft7, where);

    } else {
        if (!draft7
            && !govern_schema_list(c, s, "prefixItems", &n->prefix,
                                   here, draft7, where))
        {
            goto failed;
        }

        n->items = govern_schema_child(c, s, "items", here, draft7,
                                       where);
    }

    if (!govern_schema_list(c, s, "allOf", &n->all, here, draft7,
                            where)
        || !govern_schema_list(c, s, "anyOf", &n->any, here, draft7,
                               where)
        || !govern_schema_list(c, s, "oneOf", &n->one, here, draft7,
                               where))
    {
        goto failed;
    }

    free(here);

    return c->failed ? NULL : n;

failed:

    free(here);

    return NULL;
}


/* RFC 6901 JSON pointer, with the URI fragment's percent-encoding */

static json_t *
govern_schema_pointer(json_t *doc, const char *ptr)
{
    char    *tok, *out;
    size_t   i, len;
    json_t  *cur;

    cur = doc;

    while (*ptr == '/' && cur) {
        ptr++;
        len = strcspn(ptr, "/");

        tok = malloc(len + 1);
        if (tok == NULL) {
            return NULL;
        }

        out = tok;

        for (i = 0; i < len; i++) {
            if (ptr[i] == '%' && i + 2 < len + 1 && ptr[i + 1] && ptr[i + 2])
            {
                char  hex[3] = { ptr[i + 1], ptr[i + 2], 0 };

                *out++ = (char) strtol(hex, NULL, 16);
                i += 2;

            } else if (ptr[i] == '~' && i + 1 < len && ptr[i + 1] == '1') {
                *out++ = '/';
                i++;

            } else if (ptr[i] == '~' && i + 1 < len && ptr[i + 1] == '0') {
                *out++ = '~';
                i++;

            } else {
                *out++ = ptr[i];
            }
        }

        *out = '\0';

        if (json_is_object(cur)) {
            cur = json_object_get(cur, tok);

        } else if (json_is_array(cur)) {
            cur = json_array_get(cur, strtoul(tok, NULL, 10));

        } else {
            cur = NULL;
        }

        free(tok);
        ptr += len;
    }

    return *ptr ? NULL : cur;
}


static sres_t *
govern_schema_lookup(scompiler_t *c, const char *uri)
{
    size_t  i;

    for (i = 0; i < c->nres; i++) {
        if (strcmp(c->res[i].uri, uri) == 0) {
            return &c->res[i];
        }
    }

    return NULL;
}


static int
govern_schema_resolve(scompiler_t *c, snode_t *n)
{
    char         *doc_uri, *frag, *full;
    json_t       *doc, *target, **grown;
    sres_t       *res;
    size_t        len, i;
    int           draft7;
    const char   *base;

    doc_uri = strdup(n->ref_uri);
    if (doc_uri == NULL) {
        return 0;
    }

    frag = strchr(doc_uri, '#');

    if (frag) {
        *frag++ = '\0';
    }

    res = govern_schema_lookup(c, doc_uri);

    if (res == NULL && c->loader) {
        doc = c->loader(c->loader_ctx, doc_uri);

        if (doc) {
            grown = realloc(c->schema->docs,
                            (c->schema->ndocs + 1) * sizeof(json_t *));
            if (grown == NULL) {
                json_decref(doc);
                free(doc_uri);
                return 0;
            }

            c->schema->docs = grown;
            c->schema->docs[c->schema->ndocs++] = doc;

            draft7 = govern_schema_is_draft7(doc, n->draft7);
            govern_schema_register(c, strdup(doc_uri), doc, doc_uri,
                                   draft7);
            govern_schema_index(c, doc, doc_uri, draft7);
            res = govern_schema_lookup(c, doc_uri);
        }
    }

    if (res == NULL) {
        govern_schema_fail(c, "", "unresolvable \"$ref\" \"%s\"",
                           n->ref_uri);
        free(doc_uri);
        return 0;
    }

    target = NULL;

    if (frag == NULL || *frag == '\0') {
        target = res->json;

    } else if (*frag == '/') {
        target = govern_schema_pointer(res->json, frag);

    } else {
        len = strlen(doc_uri) + strlen(frag) + 2;
        full = malloc(len);

        if (full) {
            snprintf(full, len, "%s#%s", doc_uri, frag);
            res = govern_schema_lookup(c, full);
            target = res ? res->json : NULL;
            free(full);
        }
    }

    if (target == NULL) {
        govern_schema_fail(c, "", "unresolvable \"$ref\" \"%s\"",
                           n->ref_uri);
        free(doc_uri);
        return 0;
    }

    base = res->base;
    draft7 = res->draft7;

    for (i = 0; i < c->nbases; i++) {
        if (c->bases[i].json == target) {
            base = c->bases[i].base;
            draft7 = c->bases[i].draft7;
            break;
        }
    }

    n->ref = govern_schema_node(c, target, base, draft7,
                                n->ref_uri);
    free(doc_uri);

    return n->ref != NULL;
}


/*
 * Which keyword groups each node has; a node with nothing but a "$ref"
 * (draft-07: with a "$ref", whatever else) is validated as its target.
 */

static void
govern_schema_keywords(govern_schema_t *schema)
{
    size_t    i, j;
    snode_t  *n;

    for (n = schema->nodes; n; n = n->next) {
        n->kw = 0;

        /* a required name that is also a property is seen by the pass
         * over the members: no lookup */

        for (i = 0; i < n->nrequired; i++) {
            n->required[i].index = -1;

            for (j = 0; j < n->nprops && j < 64; j++) {
                if (strcmp(n->required[i].name, n->props[j].name) == 0) {
                    n->required[i].index = (int) j;
                    break;
                }
            }
        }

        if (n->has_max || n->has_min || n->has_exmax || n->has_exmin
            || n->has_multiple)
        {
            n->kw |= KW_NUMBER;
        }

        if (n->max_len >= 0 || n->min_len >= 0 || n->pattern
            || n->format_check)
        {
            n->kw |= KW_STRING;
        }

        if (n->max_props >= 0 || n->min_props >= 0 || n->nrequired
            || n->ndepreq || n->ndepschemas || n->nprops || n->npprops
            || n->addprops || n->propnames)
        {
            n->kw |= KW_OBJECT;
        }

        if (n->max_items >= 0 || n->min_items >= 0 || n->unique
            || n->prefix.n || n->items || n->contains)
        {
            n->kw |= KW_ARRAY;
        }

        if (n->all.n || n->any.n || n->one.n || n->not || n->if_) {
            n->kw |= KW_APPLY;
        }

        if (n->uneval_props || n->uneval_items) {
            n->kw |= KW_UNEVAL;
        }

        if (n->types || n->enumv || n->has_const) {
            n->kw |= KW_VALUE;
        }

        n->pure_ref = n->boolean == -1 && n->ref != NULL
                      && (n->draft7 || n->kw == 0);
    }
}


govern_schema_t *
govern_schema_compile(json_t *document, const char *base_uri,
    int draft7, govern_schema_loader_pt loader, void *loader_ctx,
    char *err, size_t errlen)
{
    size_t                     i;
    scompiler_t                c;
    govern_schema_t           *schema;

    schema = calloc(1, sizeof(govern_schema_t));
    if (schema == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    memset(&c, 0, sizeof(c));
    c.schema = schema;
    c.loader = loader;
    c.loader_ctx = loader_ctx;
    c.err = err;
    c.errlen = errlen;

    /* the compiled tree borrows strings from the document */
    schema->docs = malloc(sizeof(json_t *));
    if (schema->docs == NULL) {
        free(schema);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    schema->docs[0] = json_incref(document);
    schema->ndocs = 1;

    draft7 = govern_schema_is_draft7(document, draft7);

    govern_schema_register(&c, strdup(base_uri), document, base_uri,
                           draft7);
    govern_schema_index(&c, document, base_uri, draft7);

    schema->root = govern_schema_node(&c, document, base_uri, draft7,
                                      "");

    for (i = 0; !c.failed && i < c.npending; i++) {
        govern_schema_resolve(&c, c.pending[i]);
    }

    if (!c.failed) {
        govern_schema_keywords(schema);
    }

    for (i = 0; i < c.nres; i++) {
        free(c.res[i].uri);
        free(c.res[i].base);
    }

    for (i = 0; i < c.nbases; i++) {
        free(c.bases[i].base);
    }

    free(c.res);
    free(c.bases);
    free(c.pending);

    if (c.failed || schema->root == NULL) {
        if (!c.failed) {
            snprintf(err, errlen, "invalid schema");
        }

        govern_schema_free(schema);
        return NULL;
    }

    return schema;
}


void
govern_schema_free(govern_schema_t *schema)
{
    size_t    i;
    snode_t  *n, *next;

    if (schema == NULL) {
        return;
    }

    for (n = schema->nodes; n; n = next) {
        next = n->next;

        pcre2_code_free(n->pattern);

        for (i = 0; i < n->npprops; i++) {
            pcre2_code_free(n->pprops[i].re);
        }

        for (i = 0; i < n->ndepreq; i++) {
            free(n->depreq[i].list);
        }

        free(n->required);
        free(n->depreq);
        free(n->depschemas);
        free(n->props);
        free(n->pprops);
        free(n->prefix.v);
        free(n->all.v);
        free(n->any.v);
        free(n->one.v);
        free(n->ref_uri);
        free(n);
    }

    for (i = 0; i < schema->ndocs; i++) {
        json_decref(schema->docs[i]);
    }

    govern_jv_arena_free(&schema->values);
    free(schema->docs);
    free(schema);
}


/* validation */


static void
govern_schema_error(svalidator_t *v, const char *keyword,
    const char *fmt, ...)
{
    va_list                          args;
    char                             msg[256];
    govern_schema_error_t           *e;

    if (v->quiet || v->result == NULL) {
        return;
    }

    v->result->total++;

    if (v->result->nerrors == GOVERN_SCHEMA_MAX_ERRORS) {
        return;
    }

    va_start(args, fmt);
    vsnprintf(msg, sizeof(msg), fmt, args);
    va_end(args);

    e = &v->result->errors[v->result->nerrors];
    e->pointer = strndup(v->path ? v->path : "", v->plen);
    e->keyword = keyword;
    e->message = strdup(msg);

    if (e->pointer && e->message) {
        v->result->nerrors++;

    } else {
        free(e->pointer);
        free(e->message);
    }
}


/* appends "/token" (RFC 6901 escaped) to the instance path */

static size_t
govern_schema_push(svalidator_t *v, const char *tok, size_t len)
{
    char    *grown;
    size_t   i, old, need;

    old = v->plen;

    if (v->result == NULL || v->quiet) {
        return old;
    }

    need = v->plen + 2 * len + 2;

    if (need > v->pcap) {
        v->pcap = need * 2;
        grown = realloc(v->path, v->pcap);
        if (grown == NULL) {
            return old;
        }

        v->path = grown;
    }

    v->path[v->plen++] = '/';

    for (i = 0; i < len; i++) {
        if (tok[i] == '~') {
            v->path[v->plen++] = '~';
            v->path[v->plen++] = '0';

        } else if (tok[i] == '/') {
            v->path[v->plen++] = '~';
            v->path[v->plen++] = '1';

        } else {
            v->path[v->plen++] = tok[i];
        }
    }

    return old;
}


static size_t
govern_schema_codepoints(const char *s, size_t len)
{
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        if (((unsigned char) s[i] & 0xc0) != 0x80) {
            n++;
        }
    }

    return n;
}


static int
govern_schema_match(svalidator_t *v, pcre2_code *re, int jit,
    const char *s, size_t len, const char *keyword)
{
    int  rc;

    if (jit) {
        rc = pcre2_jit_match(re, (PCRE2_SPTR) s, len, 0, 0,
                             govern_schema_md,
                             govern_schema_mctx);

    } else {
        rc = pcre2_match(re, (PCRE2_SPTR) s, len, 0, 0,
                         govern_schema_md,
                         govern_schema_mctx);
    }

    /* >= 0: matched (0: more captures than the one pair kept) */

    if (rc >= 0) {
        return 1;
    }

    if (rc != PCRE2_ERROR_NOMATCH) {
        v->exhausted = keyword;         /* the match limit, most likely */
    }

    return 0;
}


/* counts n comparisons against the budget; 0 once it is spent */

static int
govern_schema_compares(svalidator_t *v, size_t n,
    const char *keyword)
{
    v->compares += n;

    if (v->compares > GOVERN_SCHEMA_MAX_COMPARES) {
        v->exhausted = keyword;
        return 0;
    }

    return 1;
}


static void
govern_ann_prop(svalidator_t *v, sann_t *ann, const char *key)
{
    size_t        i;
    const char  **grown;

    if (ann == NULL
        || !govern_schema_compares(v, ann->nprops,
                                   "unevaluatedProperties"))
    {
        return;
    }

    for (i = 0; i < ann->nprops; i++) {
        if (ann->props[i] == key) {
            return;
        }
    }

    if (ann->nprops == ann->cprops) {
        ann->cprops = ann->cprops ? 2 * ann->cprops : 8;
        grown = realloc(ann->props, ann->cprops * sizeof(char *));
        if (grown == NULL) {
            return;
        }

        ann->props = grown;
    }

    ann->props[ann->nprops++] = key;
}


static void
govern_ann_merge(svalidator_t *v, sann_t *to, sann_t *from)
{
    size_t  i;

    if (to == NULL) {
        return;
    }

    for (i = 0; i < from->nprops; i++) {
        govern_ann_prop(v, to, from->props[i]);
    }

    if (from->items > to->items) {
        to->items = from->items;
    }

    if (from->hits) {
        if (to->hits == NULL) {
            to->hits = calloc(from->nhits, 1);
            to->nhits = to->hits ? from->nhits : 0;
        }

        for (i = 0; i < from->nhits && i < to->nhits; i++) {
            to->hits[i] |= from->hits[i];
        }
    }
}


static void
govern_ann_free(sann_t *ann)
{
    free(ann->props);
    free(ann->hits);
}


/* validates a subschema; its annotations join ann only if it is valid */

static int
govern_schema_sub(svalidator_t *v, snode_t *n,
    govern_jv_t *inst, sann_t *ann)
{
    int     ok;
    sann_t  sub;

    if (ann == NULL) {
        return govern_schema_check(v, n, inst, NULL);
    }

    memset(&sub, 0, sizeof(sub));

    ok = govern_schema_check(v, n, inst, &sub);

    if (ok) {
        govern_ann_merge(v, ann, &sub);
    }

    govern_ann_free(&sub);

    return ok;
}


static int
govern_schema_quiet(svalidator_t *v, snode_t *n,
    govern_jv_t *inst, sann_t *ann)
{
    int  ok;

    v->quiet++;
    ok = govern_schema_sub(v, n, inst, ann);
    v->quiet--;

    return ok;
}


static sprop_t *
govern_schema_prop(snode_t *n, const char *key, size_t len)
{
    size_t     i;
    sprop_t   *prop;
    uint64_t   w[2];

    /* keys are parsed ones: 16 bytes are readable from their start */
    memcpy(w, key, sizeof(w));

    for (i = 0; i < n->nprops; i++) {
        prop = &n->props[i];

        if (prop->len != len) {
            continue;
        }

        if (len <= 16) {
            if ((w[0] & prop->mask[0]) == prop->word[0]
                && (w[1] & prop->mask[1]) == prop->word[1])
            {
                return prop;
            }

            continue;
        }

        if (memcmp(prop->name, key, len) == 0) {
            return prop;
        }
    }

    return NULL;
}


static int
govern_schema_object(svalidator_t *v, snode_t *n,
    govern_jv_t *inst, sann_t *ann)
{
    int                         ok, matched, single, present;
    size_t                      i, j, k, old;
    sprop_t                    *prop;
    uint64_t                    seen;
    const char                 *key;
    govern_jv_t                *e, name;
    govern_jmember_t           *m;

    ok = 1;

    if (n->max_props >= 0 && (long long) inst->len > n->max_props)
    {
        govern_schema_error(v, "maxProperties", "more than %lld "
                            "properties", n->max_props);
        ok = 0;
    }

    if (n->min_props >= 0 && (long long) inst->len < n->min_props)
    {
        govern_schema_error(v, "minProperties", "fewer than %lld "
                            "properties", n->min_props);
        ok = 0;
    }

    /* the common shape: properties and additionalProperties, no
     * annotations wanted: one pass over the members */

    single = (ann == NULL && n->npprops == 0 && n->propnames == NULL);
    seen = 0;

    if (single) {
        for (k = 0; k < inst->len; k++) {
            m = &inst->u.members[k];
            prop = govern_schema_prop(n, m->key, m->key_len);

            if (prop && prop - n->props < 64) {
                seen |= (uint64_t) 1 << (prop - n->props);
            }

            if (prop == NULL && n->addprops == NULL) {
                continue;
            }

            old = govern_schema_push(v, m->key, m->key_len);

            if (prop) {
                if (!govern_schema_check(v, prop->node, &m->value,
                                         NULL))
                {
                    ok = 0;
                }

            } else if (n->addprops->boolean == 0) {
                govern_schema_error(v, "additionalProperties",
                                    "the property is not allowed");
                ok = 0;

            } else if (!govern_schema_check(v, n->addprops,
                                            &m->value, NULL))
            {
                ok = 0;
            }

            v->plen = old;
        }
    }

    for (i = 0; i < n->nrequired; i++) {
        if (single && n->required[i].index >= 0) {
            present = (seen >> n->required[i].index) & 1;

        } else {
            present = govern_jv_get(inst, n->required[i].name,
                                    n->required[i].len)
                      != NULL;
        }

        if (!present) {
            govern_schema_error(v, "required", "\"%s\" is required",
                                n->required[i].name);
            ok = 0;
        }
    }

    for (i = 0; i < n->ndepreq; i++) {
        if (govern_jv_getz(inst, n->depreq[i].name) == NULL) {
            continue;
        }

        for (j = 0; j < n->depreq[i].n; j++) {
            if (govern_jv_getz(inst, n->depreq[i].list[j]) == NULL) {
                govern_schema_error(v, "dependentRequired",
                                    "\"%s\" requires \"%s\"",
                                    n->depreq[i].name,
                                    n->depreq[i].list[j]);
                ok = 0;
            }
        }
    }

    for (i = 0; i < n->ndepschemas; i++) {
        if (govern_jv_getz(inst, n->depschemas[i].name)
            && !govern_schema_sub(v, n->depschemas[i].node, inst,
                                  ann))
        {
            ok = 0;
        }
    }

    if (single) {
        return ok;
    }

    for (i = 0; i < n->nprops; i++) {
        e = govern_jv_get(inst, n->props[i].name, n->props[i].len);

        if (e == NULL) {
            continue;
        }

        old = govern_schema_push(v, n->props[i].name,
                                 n->props[i].len);

        if (!govern_schema_check(v, n->props[i].node, e, NULL)) {
            ok = 0;
        }

        v->plen = old;
    }

    /* the rest looks at every member, when anything needs to */

    if (n->npprops == 0 && n->addprops == NULL && n->propnames == NULL
        && ann == NULL)
    {
        return ok;
    }

    for (k = 0; k < inst->len; k++) {
        m = &inst->u.members[k];
        key = m->key;
        e = &m->value;
        old = govern_schema_push(v, key, m->key_len);
        matched = 0;

        if (n->propnames) {
            memset(&name, 0, sizeof(name));
            name.type = GOVERN_JV_STRING;
            name.u.string = key;
            name.len = m->key_len;

            if (!govern_schema_quiet(v, n->propnames, &name, NULL)) {
                govern_schema_error(v, "propertyNames",
                                    "the property name is not "
                                    "allowed");
                ok = 0;
            }
        }

        if (govern_schema_prop(n, key, m->key_len)) {
            matched = 1;
            govern_ann_prop(v, ann, key);
        }

        for (i = 0; i < n->npprops; i++) {
            if (govern_schema_match(v, n->pprops[i].re,
                                    n->pprops[i].jit,
                                    key, m->key_len,
                                    "patternProperties"))
            {
                matched = 1;
                govern_ann_prop(v, ann, key);

                if (!govern_schema_check(v, n->pprops[i].node, e,
                                         NULL))
                {
                    ok = 0;
                }
            }
        }

        if (!matched && n->addprops) {
            govern_ann_prop(v, ann, key);

            if (n->addprops->boolean == 0) {
                govern_schema_error(v, "additionalProperties",
                                    "the property is not allowed");
                ok = 0;

            } else if (!govern_schema_check(v, n->addprops, e, NULL))
            {
                ok = 0;
            }
        }

        v->plen = old;
    }

    return ok;
}


/* uniqueItems, decided by the JSON values code within the budget */

static int
govern_schema_unique(svalidator_t *v, govern_jv_t *inst)
{
    int     rc;
    long    budget;
    size_t  a, b;

    budget = GOVERN_SCHEMA_MAX_COMPARES - v->compares;

    rc = govern_jv_unique(inst, &budget, &a, &b);

    v->compares = GOVERN_SCHEMA_MAX_COMPARES - budget;

    if (rc == 0) {
        govern_schema_error(v, "uniqueItems", "items %zu and %zu "
                            "are equal", a, b);

    } else if (rc == -1) {
        v->exhausted = "uniqueItems";
    }

    return rc == 1;
}


static int
govern_schema_array(svalidator_t *v, snode_t *n,
    govern_jv_t *inst, sann_t *ann)
{
    int                    ok;
    char                   idx[32];
    size_t                 i, size, old, hits;
    govern_jv_t           *e;

    ok = 1;
    size = inst->len;

    if (n->max_items >= 0 && (long long) size > n->max_items) {
        govern_schema_error(v, "maxItems", "more than %lld items",
                            n->max_items);
        ok = 0;
    }

    if (n->min_items >= 0 && (long long) size < n->min_items) {
        govern_schema_error(v, "minItems", "fewer than %lld items",
                            n->min_items);
        ok = 0;
    }

    if (n->unique && !govern_schema_unique(v, inst)) {
        ok = 0;
    }

    for (i = 0; i < size; i++) {
        if (i >= n->prefix.n && n->items == NULL) {
            break;
        }

        e = &inst->u.items[i];

        old = v->plen;

        /* paths are only built when errors are reported */
        if (v->result && !v->quiet) {
            snprintf(idx, sizeof(idx), "%zu", i);
            old = govern_schema_push(v, idx, strlen(idx));
        }

        if (!govern_schema_check(v, i < n->prefix.n ? n->prefix.v[i]
                                                              : n->items,
                                 e, NULL))
        {
            ok = 0;
        }

        v->plen = old;
    }

    if (ann) {
        if (n->items) {
            ann->items = size;

        } else if (n->prefix.n > ann->items) {
            ann->items = n->prefix.n < size ? n->prefix.n : size;
        }
    }

    if (n->contains) {
        hits = 0;

        if (ann && size && ann->hits == NULL) {
            ann->hits = calloc(size, 1);
            ann->nhits = ann->hits ? size : 0;
        }

        for (i = 0; i < size; i++) {
            e = &inst->u.items[i];

            if (govern_schema_quiet(v, n->contains, e, NULL)) {
                hits++;

                if (ann && i < ann->nhits) {
                    ann->hits[i] = 1;
                }
            }
        }

        if (n->min_contains >= 0 ? (long long) hits < n->min_contains
                                 : hits == 0)
        {
            govern_schema_error(v, n->min_contains >= 0
                                            ? "minContains" : "contains",
                                "too few items match \"contains\"");
            ok = 0;
        }

        if (n->max_contains >= 0 && (long long) hits > n->max_contains) {
            govern_schema_error(v, "maxContains", "too many items "
                                "match \"contains\"");
            ok = 0;
        }
    }

    return ok;
}


static int
govern_schema_scalar(svalidator_t *v, snode_t *n,
    govern_jv_t *inst)
{
    int          ok, number, multiple;
    double       d, q;
    size_t       len;
    const char  *s;

    ok = 1;
    number = 1;

    switch (inst->type) {
    case GOVERN_JV_INTEGER:
        d = (double) inst->u.integer;
        break;
    case GOVERN_JV_REAL:
        d = inst->u.real;
        break;
    default:
        number = 0;
        d = 0;
    }

    if (number) {
        if (n->has_max && d > n->max) {
            govern_schema_error(v, "maximum", "greater than %g",
                                n->max);
            ok = 0;
        }

        if (n->has_min && d < n->min) {
            govern_schema_error(v, "minimum", "less than %g",
                                n->min);
            ok = 0;
        }

        if (n->has_exmax && d >= n->exmax) {
            govern_schema_error(v, "exclusiveMaximum",
                                "not less than %g", n->exmax);
            ok = 0;
        }

        if (n->has_exmin && d <= n->exmin) {
            govern_schema_error(v, "exclusiveMinimum",
                                "not greater than %g", n->exmin);
            ok = 0;
        }

        if (n->has_multiple) {
            if (inst->type == GOVERN_JV_INTEGER
                && n->multiple == floor(n->multiple) && n->multiple < 9e15)
            {
                multiple = (inst->u.integer % (long long) n->multiple == 0);

            } else {
                q = d / n->multiple;
                multiple = isfinite(q)
                           && fabs(q - nearbyint(q))
                              < 1e-9 * (fabs(q) > 1 ? fabs(q) : 1);
            }

            if (!multiple) {
                ok = 0;
                govern_schema_error(v, "multipleOf",
                                    "not a multiple of %g",
                                    n->multiple);
            }
        }
    }

    if (inst->type == GOVERN_JV_STRING) {
        s = inst->u.string;
        len = inst->len;

        if (n->max_len >= 0 || n->min_len >= 0) {
            q = (double) govern_schema_codepoints(s, len);

            if (n->max_len >= 0 && q > n->max_len) {
                govern_schema_error(v, "maxLength", "longer than "
                                    "%lld characters", n->max_len);
                ok = 0;
            }

            if (n->min_len >= 0 && q < n->min_len) {
                govern_schema_error(v, "minLength", "shorter than "
                                    "%lld characters", n->min_len);
                ok = 0;
            }
        }

        if (n->pattern
            && !govern_schema_match(v, n->pattern, n->pattern_jit,
                                    s, len, "pattern"))
        {
            govern_schema_error(v, "pattern", "does not match the "
                                "pattern");
            ok = 0;
        }

        if (n->format_check && !n->format_check(s, len)) {
            govern_schema_error(v, "format", "not a valid %s",
                                n->format);
            ok = 0;
        }
    }

    return ok;
}


static unsigned
govern_schema_typeof(govern_jv_t *inst)
{
    double  d;

    switch (inst->type) {
    case GOVERN_JV_NULL:
        return T_NULL;
    case GOVERN_JV_TRUE:
    case GOVERN_JV_FALSE:
        return T_BOOLEAN;
    case GOVERN_JV_OBJECT:
        return T_OBJECT;
    case GOVERN_JV_ARRAY:
        return T_ARRAY;
    case GOVERN_JV_STRING:
        return T_STRING;
    case GOVERN_JV_INTEGER:
        return T_NUMBER | T_INTEGER;
    default:
        d = inst->u.real;
        return T_NUMBER | (d == floor(d) && isfinite(d) ? T_INTEGER : 0);
    }
}


static int
govern_schema_check(svalidator_t *v, snode_t *n,
    govern_jv_t *inst, sann_t *ann)
{
    int                         ok, valid, hops;
    size_t                      i, k, passed, size;
    sann_t                     *track, own;
    govern_jmember_t           *m;

    /* a schema that is only a "$ref" is its target (a cycle of them ends
     * in the depth bound below) */

    for (hops = 0; n->pure_ref && hops < 8; hops++) {
        n = n->ref;
    }

    if (n->boolean == 1) {
        return 1;
    }

    if (n->boolean == 0) {
        govern_schema_error(v, "false", "no value is allowed here");
        return 0;
    }

    if (v->exhausted) {
        return 0;
    }

    if (++v->steps > GOVERN_SCHEMA_MAX_STEPS) {
        v->exhausted = "$ref";
        return 0;
    }

    if (++v->depth > GOVERN_SCHEMA_MAX_DEPTH) {
        v->depth--;
        govern_schema_error(v, "$ref", "the schema recurses "
                            "without end");
        return 0;
    }

    ok = 1;

    /* a node with unevaluated* keeps its own annotations to decide them */

    track = ann;

    if (n->kw & KW_UNEVAL) {
        memset(&own, 0, sizeof(own));
        track = &own;
    }

    if (!v->annotations) {
        track = NULL;
    }

    if (n->ref && !govern_schema_sub(v, n->ref, inst, track)) {
        ok = 0;
    }

    if (n->draft7 && n->ref) {
        goto done;
    }

    if (!(n->kw & KW_VALUE)) {
        goto value_done;
    }

    if (n->types && !(n->types & govern_schema_typeof(inst))) {
        govern_schema_error(v, "type", "the value has the wrong "
                            "type");
        ok = 0;
    }

    if (n->enumv) {
        valid = 0;

        for (i = 0; i < n->enumv->len; i++) {
            if (govern_jv_equal(inst, &n->enumv->u.items[i])) {
                valid = 1;
                break;
            }
        }

        if (!valid) {
            govern_schema_error(v, "enum", "not one of the allowed "
                                "values");
            ok = 0;
        }
    }

    if (n->has_const && !govern_jv_equal(inst, n->constv)) {
        govern_schema_error(v, "const", "not the allowed value");
        ok = 0;
    }

value_done:

    switch (inst->type) {

    case GOVERN_JV_INTEGER:
    case GOVERN_JV_REAL:
        if ((n->kw & KW_NUMBER) && !govern_schema_scalar(v, n, inst))
        {
            ok = 0;
        }
        break;

    case GOVERN_JV_STRING:
        if ((n->kw & KW_STRING) && !govern_schema_scalar(v, n, inst))
        {
            ok = 0;
        }
        break;

    case GOVERN_JV_OBJECT:
        if ((n->kw & KW_OBJECT)
            && !govern_schema_object(v, n, inst, track))
        {
            ok = 0;
        }
        break;

    case GOVERN_JV_ARRAY:
        if ((n->kw & KW_ARRAY)
            && !govern_schema_array(v, n, inst, track))
        {
            ok = 0;
        }
        break;
    }

    if (!(n->kw & (KW_APPLY | KW_UNEVAL))) {
        goto done;
    }

    for (i = 0; i < n->all.n; i++) {
        if (!govern_schema_sub(v, n->all.v[i], inst, track)) {
            ok = 0;
        }
    }

    if (n->any.n) {
        valid = 0;

        /* every branch runs: each valid one adds annotations */
        for (i = 0; i < n->any.n; i++) {
            if (govern_schema_quiet(v, n->any.v[i], inst, track)) {
                valid = 1;

                if (track == NULL) {
                    break;
                }
            }
        }

        if (!valid) {
            govern_schema_error(v, "anyOf", "matches none of the "
                                "alternatives");
            ok = 0;
        }
    }

    if (n->one.n) {
        passed = 0;

        for (i = 0; i < n->one.n; i++) {
            if (govern_schema_quiet(v, n->one.v[i], inst, track)) {
                passed++;
            }
        }

        if (passed != 1) {
            govern_schema_error(v, "oneOf", passed ? "matches more "
                                "than one alternative" : "matches "
                                "none of the alternatives");
            ok = 0;
        }
    }

    if (n->not && govern_schema_quiet(v, n->not, inst, NULL)) {
        govern_schema_error(v, "not", "matches a schema it must "
                            "not");
        ok = 0;
    }

    if (n->if_) {
        if (govern_schema_quiet(v, n->if_, inst, track)) {
            if (n->then_ && !govern_schema_sub(v, n->then_, inst,
                                               track))
            {
                ok = 0;
            }

        } else if (n->else_
                   && !govern_schema_sub(v, n->else_, inst, track))
        {
            ok = 0;
        }
    }

    /* last: everything else of this schema has annotated by now */

    if (n->uneval_props && inst->type == GOVERN_JV_OBJECT && track)
    {
        for (k = 0; k < inst->len; k++) {
            m = &inst->u.members[k];

            if (!govern_schema_compares(v, own.nprops,
                                        "unevaluatedProperties"))
            {
                ok = 0;
                break;
            }

            for (i = 0; i < own.nprops; i++) {
                if (own.props[i] == m->key) {
                    break;
                }
            }

            if (i < own.nprops) {
                continue;
            }

            size = govern_schema_push(v, m->key, m->key_len);

            if (!govern_schema_check(v, n->uneval_props, &m->value,
                                     NULL))
            {
                ok = 0;
            }

            v->plen = size;
            govern_ann_prop(v, &own, m->key);
        }
    }

    if (n->uneval_items && inst->type == GOVERN_JV_ARRAY && track) {
        for (i = 0; i < inst->len; i++) {
            char    idx[32];
            size_t  old;

            if (i < own.items || (i < own.nhits && own.hits[i])) {
                continue;
            }

            old = v->plen;

            if (v->result && !v->quiet) {
                snprintf(idx, sizeof(idx), "%zu", i);
                old = govern_schema_push(v, idx, strlen(idx));
            }

            if (!govern_schema_check(v, n->uneval_items,
                                     &inst->u.items[i], NULL))
            {
                ok = 0;
            }

            v->plen = old;
        }

        own.items = inst->len;
    }

done:

    if (track == &own) {
        if (ok && ann) {
            govern_ann_merge(v, ann, &own);
        }

        govern_ann_free(&own);
    }

    v->depth--;

    return ok;
}


int
govern_schema_validate(govern_schema_t *schema,
    govern_jv_t *instance, govern_schema_result_t *result)
{
    int           ok;
    svalidator_t  v;

    if (result) {
        memset(result, 0, sizeof(*result));

        /* valid documents are the common case: find out without paths
         * and messages first */

        if (govern_schema_validate(schema, instance, NULL)) {
            return 1;
        }
    }

    memset(&v, 0, sizeof(v));
    v.result = result;
    v.annotations = schema->annotations;

    ok = govern_schema_check(&v, schema->root, instance, NULL);

    if (v.exhausted) {
        ok = 0;
        v.quiet = 0;
        v.plen = 0;
        govern_schema_error(&v, v.exhausted, "validating this value "
                            "takes too many steps");
    }

    free(v.path);

    return ok;
}


void
govern_schema_result_free(govern_schema_result_t *result)
{
    size_t  i;

    for (i = 0; i < result->nerrors; i++) {
        free(result->errors[i].pointer);
        free(result->errors[i].message);
    }

    result->nerrors = 0;
}


/*
 * The loader for schema files: "file://" URIs, and URIs under the
 * directory of the root schema's own absolute "$id", which name the files
 * beside it; nothing on the network.  Config time only.
 */

typedef struct {
    char        *id_dir;        /* "https://schemas.example/" */
    char        *file_dir;      /* "/etc/govern/schemas/" */
} sfiles_t;


json_t *
govern_schema_load_file(void *ctx, const char *uri)
{
    char      *path;
    size_t     len;
    json_t    *doc;
    sfiles_t  *files = ctx;

    if (strncmp(uri, "file://", 7) == 0) {
        return json_load_file(uri + 7, JSON_REJECT_DUPLICATES, NULL);
    }

    if (files == NULL || files->id_dir == NULL
        || strncmp(uri, files->id_dir, strlen(files->id_dir)) != 0
        || strstr(uri, "/../") || strstr(uri, "?"))
    {
        return NULL;
    }

    len = strlen(files->file_dir) + strlen(uri) + 1;
    path = malloc(len);
    if (path == NULL) {
        return NULL;
    }

    snprintf(path, len, "%s%s", files->file_dir, uri + strlen(files->id_dir));
    doc = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
    free(path);

    return doc;
}


/* compiles the schema file at path (absolute) */

govern_schema_t *
govern_schema_compile_file(const char *path, char *err,
    size_t errlen)
{
    char                      *uri, *slash;
    size_t                     len;
    json_t                    *doc;
    sfiles_t                   files;
    const char                *id;
    json_error_t               jerr;
    govern_schema_t           *schema;

    doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

    if (doc == NULL) {
        snprintf(err, errlen, "not JSON: %s at line %d, column %d",
                 jerr.text, jerr.line, jerr.column);
        return NULL;
    }

    len = strlen(path) + sizeof("file://");
    uri = malloc(len);

    if (uri == NULL) {
        json_decref(doc);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    snprintf(uri, len, "file://%s", path);

    memset(&files, 0, sizeof(files));
    id = json_string_value(json_object_get(doc, "$id"));

    if (id && strstr(id, "://") && strncmp(id, "file:", 5) != 0) {
        files.id_dir = strdup(id);
        files.file_dir = strdup(path);

        if (files.id_dir && files.file_dir) {
            slash = strrchr(files.id_dir, '/');
            if (slash) {
                slash[1] = '\0';
            }

            slash = strrchr(files.file_dir, '/');
            if (slash) {
                slash[1] = '\0';
            }
        }
    }

    schema = govern_schema_compile(doc, uri, 0,
                                   govern_schema_load_file,
                                   &files, err, errlen);
    free(files.id_dir);
    free(files.file_dir);
    free(uri);
    json_decref(doc);

    return schema;
}
