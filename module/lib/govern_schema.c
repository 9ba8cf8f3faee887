
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

/*
 * A schema checked against its metaschema at config time is the security
 * team's, not a partner's: a large one may take many more steps.
 */
#define GOVERN_SCHEMA_META_STEPS  50000000

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

/* the 2020-12 vocabularies a metaschema's "$vocabulary" may leave out */
#define VOCAB_APPLICATOR    0x01
#define VOCAB_VALIDATION    0x02
#define VOCAB_UNEVALUATED   0x04
#define VOCAB_FORMAT        0x08
#define VOCAB_OTHER         0x10    /* core, meta-data, content */

/* the dialects a keyword belongs to */
#define DIALECT_2020_12     0x01
#define DIALECT_DRAFT_07    0x02
#define DIALECT_BOTH        0x03


typedef struct {
    const char         *name;
    unsigned            vocab;
    unsigned            dialects;
} skeyword_t;


static const skeyword_t  govern_schema_keywords_known[] = {
    { "$schema", VOCAB_OTHER, DIALECT_BOTH },
    { "$id", VOCAB_OTHER, DIALECT_BOTH },
    { "$ref", VOCAB_OTHER, DIALECT_BOTH },
    { "$comment", VOCAB_OTHER, DIALECT_BOTH },
    { "$anchor", VOCAB_OTHER, DIALECT_2020_12 },
    { "$dynamicRef", VOCAB_OTHER, DIALECT_2020_12 },
    { "$dynamicAnchor", VOCAB_OTHER, DIALECT_2020_12 },
    { "$vocabulary", VOCAB_OTHER, DIALECT_2020_12 },
    { "$defs", VOCAB_OTHER, DIALECT_2020_12 },
    { "definitions", VOCAB_OTHER, DIALECT_BOTH },
    { "title", VOCAB_OTHER, DIALECT_BOTH },
    { "description", VOCAB_OTHER, DIALECT_BOTH },
    { "default", VOCAB_OTHER, DIALECT_BOTH },
    { "deprecated", VOCAB_OTHER, DIALECT_2020_12 },
    { "readOnly", VOCAB_OTHER, DIALECT_BOTH },
    { "writeOnly", VOCAB_OTHER, DIALECT_BOTH },
    { "examples", VOCAB_OTHER, DIALECT_BOTH },
    { "contentEncoding", VOCAB_OTHER, DIALECT_BOTH },
    { "contentMediaType", VOCAB_OTHER, DIALECT_BOTH },
    { "contentSchema", VOCAB_OTHER, DIALECT_2020_12 },
    { "format", VOCAB_FORMAT, DIALECT_BOTH },
    { "prefixItems", VOCAB_APPLICATOR, DIALECT_2020_12 },
    { "items", VOCAB_APPLICATOR, DIALECT_BOTH },
    { "additionalItems", VOCAB_APPLICATOR, DIALECT_DRAFT_07 },
    { "contains", VOCAB_APPLICATOR, DIALECT_BOTH },
    { "additionalProperties", VOCAB_APPLICATOR, DIALECT_BOTH },
    { "properties", VOCAB_APPLICATOR, DIALECT_BOTH },
    { "patternProperties", VOCAB_APPLICATOR, DIALECT_BOTH },
    { "dependentSchemas", VOCAB_APPLICATOR, DIALECT_2020_12 },
    { "dependencies", VOCAB_APPLICATOR, DIALECT_DRAFT_07 },
    { "propertyNames", VOCAB_APPLICATOR, DIALECT_BOTH },
    { "if", VOCAB_APPLICATOR, DIALECT_BOTH },
    { "then", VOCAB_APPLICATOR, DIALECT_BOTH },
    { "else", VOCAB_APPLICATOR, DIALECT_BOTH },
    { "allOf", VOCAB_APPLICATOR, DIALECT_BOTH },
    { "anyOf", VOCAB_APPLICATOR, DIALECT_BOTH },
    { "oneOf", VOCAB_APPLICATOR, DIALECT_BOTH },
    { "not", VOCAB_APPLICATOR, DIALECT_BOTH },
    { "unevaluatedItems", VOCAB_UNEVALUATED, DIALECT_2020_12 },
    { "unevaluatedProperties", VOCAB_UNEVALUATED, DIALECT_2020_12 },
    { "type", VOCAB_VALIDATION, DIALECT_BOTH },
    { "const", VOCAB_VALIDATION, DIALECT_BOTH },
    { "enum", VOCAB_VALIDATION, DIALECT_BOTH },
    { "multipleOf", VOCAB_VALIDATION, DIALECT_BOTH },
    { "maximum", VOCAB_VALIDATION, DIALECT_BOTH },
    { "exclusiveMaximum", VOCAB_VALIDATION, DIALECT_BOTH },
    { "minimum", VOCAB_VALIDATION, DIALECT_BOTH },
    { "exclusiveMinimum", VOCAB_VALIDATION, DIALECT_BOTH },
    { "maxLength", VOCAB_VALIDATION, DIALECT_BOTH },
    { "minLength", VOCAB_VALIDATION, DIALECT_BOTH },
    { "pattern", VOCAB_VALIDATION, DIALECT_BOTH },
    { "maxItems", VOCAB_VALIDATION, DIALECT_BOTH },
    { "minItems", VOCAB_VALIDATION, DIALECT_BOTH },
    { "uniqueItems", VOCAB_VALIDATION, DIALECT_BOTH },
    { "maxContains", VOCAB_VALIDATION, DIALECT_2020_12 },
    { "minContains", VOCAB_VALIDATION, DIALECT_2020_12 },
    { "maxProperties", VOCAB_VALIDATION, DIALECT_BOTH },
    { "minProperties", VOCAB_VALIDATION, DIALECT_BOTH },
    { "required", VOCAB_VALIDATION, DIALECT_BOTH },
    { "dependentRequired", VOCAB_VALIDATION, DIALECT_2020_12 },
    { NULL, 0, 0 }
};


/* the vocabularies of 2020-12 by URI; the others govern cannot apply */
static const struct {
    const char         *uri;
    unsigned            vocab;
} govern_schema_vocabularies[] = {
    { "https://json-schema.org/draft/2020-12/vocab/core", VOCAB_OTHER },
    { "https://json-schema.org/draft/2020-12/vocab/applicator",
      VOCAB_APPLICATOR },
    { "https://json-schema.org/draft/2020-12/vocab/unevaluated",
      VOCAB_UNEVALUATED },
    { "https://json-schema.org/draft/2020-12/vocab/validation",
      VOCAB_VALIDATION },
    { "https://json-schema.org/draft/2020-12/vocab/meta-data", VOCAB_OTHER },
    { "https://json-schema.org/draft/2020-12/vocab/format-annotation",
      VOCAB_FORMAT },
    { "https://json-schema.org/draft/2020-12/vocab/format-assertion",
      VOCAB_FORMAT },
    { "https://json-schema.org/draft/2020-12/vocab/content", VOCAB_OTHER },
    { NULL, 0 }
};


typedef struct govern_snode_s  snode_t;
typedef struct govern_sresource_s  sresource_t;


/* a "$dynamicAnchor" of a schema resource, compiled */
typedef struct {
    char               *name;
    snode_t            *node;
} sdanchor_t;


/*
 * A schema resource (a document, or a subschema with its own "$id"): the
 * dynamic scope of 2020-12 is the stack of resources validation entered,
 * and a "$dynamicRef" looks there for the outermost "$dynamicAnchor" of
 * its name.
 */
struct govern_sresource_s {
    char               *uri;
    sdanchor_t         *anchors;
    size_t              nanchors;
    sresource_t        *next;
};


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
    size_t              len;
    sprop_t            *list;           /* names only */
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
    snode_t            *dynref;         /* "$dynamicRef", as first resolved */
    char               *dynref_uri;
    char               *dynamic;        /* the anchor's name, if dynamic */
    sresource_t        *resource;
    json_t             *json;           /* the schema object compiled */
    snode_t            *next;           /* all nodes, for freeing */
};


typedef struct {
    char               *uri;            /* absolute, with a fragment */
    json_t             *json;
    char               *base;
    int                 draft7;
    unsigned            dynamic:1;      /* a "$dynamicAnchor" */
    unsigned            compiled:1;
} sres_t;


struct govern_schema_s {
    snode_t            *root;
    snode_t            *nodes;
    sresource_t        *resources;
    int                 dynamic;        /* a "$dynamicRef" is dynamic */
    json_t            **docs;
    size_t              ndocs;
    int                 annotations;
    govern_jv_arena_t           values;     /* enum and const */
};


typedef struct {
    json_t             *json;
    char               *base;           /* before its own "$id" */
    int                 draft7;
    unsigned            vocab;          /* VOCAB_* left out by "$schema" */
} sbase_t;


/* what a "$schema" URI means: its draft, the vocabularies it leaves out */
typedef struct {
    char               *uri;
    int                 draft7;
    unsigned            vocab;
} sdialect_t;


typedef struct {
    govern_schema_t                   *schema;
    sbase_t                           *bases;
    size_t                             nbases, cbases;
    govern_schema_loader_pt            loader;
    void                              *loader_ctx;
    sres_t                            *res;         /* ids and anchors */
    size_t                             nres, cres;
    sdialect_t                        *dialects;
    size_t                             ndialects;
    int                                vocab;       /* one leaves some out */
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
    sresource_t                      **scope;      /* dynamic: resources */
    size_t                             nscope;
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


static char *govern_schema_path2(const char *where,
    const char *keyword, const char *member);


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


/* where/token, the token escaped for a JSON pointer */

static char *
govern_schema_token(const char *where, const char *token)
{
    return govern_schema_path2(where, NULL, token);
}


/* where/keyword/member, the member escaped as a JSON pointer token */

static char *
govern_schema_path2(const char *where, const char *keyword,
    const char *member)
{
    char        *p, *out;
    size_t       len;
    const char  *m;

    len = strlen(where) + (keyword ? strlen(keyword) : 0)
          + 2 * strlen(member) + 3;

    out = malloc(len);
    if (out == NULL) {
        return NULL;
    }

    if (keyword) {
        p = out + snprintf(out, len, "%s/%s/", where, keyword);

    } else {
        p = out + snprintf(out, len, "%s/", where);
    }

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
govern_schema_draft7_uri(const char *uri)
{
    return strstr(uri, "draft-07") != NULL || strstr(uri, "draft-06") != NULL
           || strstr(uri, "draft-04") != NULL;
}


/*
 * The dialect a "$schema" URI names: the drafts by their URIs, else the
 * metaschema there (built in, or the loader's): its own "$schema" tells
 * the draft, its "$vocabulary" what is left out.  A vocabulary it
 * requires that govern does not know fails the compilation.
 */

static sdialect_t *
govern_schema_dialect(scompiler_t *c, const char *uri)
{
    int          required;
    char        *doc_uri, *hash;
    size_t       i;
    json_t      *doc, *vocabulary, *v;
    unsigned     vocab;
    sdialect_t  *d, *grown;
    const char  *key, *meta;

    for (i = 0; i < c->ndialects; i++) {
        if (strcmp(c->dialects[i].uri, uri) == 0) {
            return &c->dialects[i];
        }
    }

    grown = realloc(c->dialects, (c->ndialects + 1) * sizeof(sdialect_t));
    if (grown == NULL) {
        return NULL;
    }

    c->dialects = grown;
    d = &c->dialects[c->ndialects];

    d->uri = strdup(uri);
    doc_uri = strdup(uri);

    if (d->uri == NULL || doc_uri == NULL) {
        free(d->uri);
        free(doc_uri);
        return NULL;
    }

    c->ndialects++;

    d->draft7 = govern_schema_draft7_uri(uri);
    d->vocab = 0;

    if (d->draft7
        || strcmp(uri, "https://json-schema.org/draft/2020-12/schema") == 0)
    {
        free(doc_uri);
        return d;
    }

    hash = strchr(doc_uri, '#');
    if (hash) {
        *hash = '\0';
    }

    doc = govern_metaschema_load(doc_uri);

    if (doc == NULL && c->loader) {
        doc = c->loader(c->loader_ctx, doc_uri);
    }

    free(doc_uri);

    if (doc == NULL) {
        return d;               /* unknown: 2020-12, all of it */
    }

    meta = json_string_value(json_object_get(doc, "$schema"));
    d->draft7 = meta && govern_schema_draft7_uri(meta);

    vocabulary = json_object_get(doc, "$vocabulary");

    if (json_is_object(vocabulary) && !d->draft7) {
        vocab = 0;

        json_object_foreach(vocabulary, key, v) {
            required = json_is_true(v);

            for (i = 0; govern_schema_vocabularies[i].uri; i++) {
                if (strcmp(govern_schema_vocabularies[i].uri, key)
                    == 0)
                {
                    vocab |= govern_schema_vocabularies[i].vocab;
                    break;
                }
            }

            if (govern_schema_vocabularies[i].uri == NULL
                && required)
            {
                govern_schema_fail(c, "", "\"$schema\" \"%s\" "
                                   "requires the vocabulary \"%s\", "
                                   "which govern does not know",
                                   uri, key);
            }
        }

        /* what the metaschema does not list is left out */
        d->vocab = ~vocab & (VOCAB_APPLICATOR | VOCAB_VALIDATION
                             | VOCAB_UNEVALUATED | VOCAB_FORMAT);
    }

    json_decref(doc);

    return d;
}


static int
govern_schema_is_draft7(scompiler_t *c, json_t *s, int inherited)
{
    const char  *uri;
    sdialect_t  *d;

    uri = json_string_value(json_object_get(s, "$schema"));

    if (uri == NULL) {
        return inherited;
    }

    d = govern_schema_dialect(c, uri);

    return d ? d->draft7 : govern_schema_draft7_uri(uri);
}


/* the vocabularies a schema's "$schema" leaves out, else its parent's */

static unsigned
govern_schema_vocab(scompiler_t *c, json_t *s, unsigned inherited)
{
    const char  *uri;
    sdialect_t  *d;

    uri = json_string_value(json_object_get(s, "$schema"));

    if (uri == NULL) {
        return inherited;
    }

    d = govern_schema_dialect(c, uri);

    if (d && d->vocab) {
        c->vocab = 1;
    }

    return d ? d->vocab : 0;
}


static int
govern_schema_register(scompiler_t *c, char *uri, json_t *json,
    const char *base, int draft7, int dynamic)
{
    size_t   i;
    sres_t  *grown;

    if (uri == NULL) {
        return -1;
    }

    for (i = 0; i < c->nres; i++) {
        if (strcmp(c->res[i].uri, uri) == 0) {
            free(uri);

            if (c->res[i].json != json) {
                return -1;
            }

            c->res[i].dynamic |= dynamic;
            return 0;
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
    c->res[c->nres].dynamic = dynamic;
    c->res[c->nres].compiled = 0;
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
    int draft7, unsigned vocab)
{
    int           dynamic;
    char         *uri, *here, *a;
    size_t        i, len;
    json_t       *v, *e;
    const char   *id, *anchor, *key, **k;

    if (!json_is_object(s)) {
        return;
    }

    draft7 = govern_schema_is_draft7(c, s, draft7);
    vocab = govern_schema_vocab(c, s, vocab);

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
    c->bases[c->nbases].vocab = vocab;
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
                govern_schema_register(c, uri, s, base, draft7, 0);
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

                govern_schema_register(c, uri, s, base, draft7, 0);
            }
        }
    }

    for (dynamic = 0; !draft7 && dynamic < 2; dynamic++) {
        anchor = json_string_value(json_object_get(s, dynamic
                                                      ? "$dynamicAnchor"
                                                      : "$anchor"));
        if (anchor == NULL) {
            continue;
        }

        len = strlen(here) + strlen(anchor) + 2;
        uri = malloc(len);

        if (uri) {
            snprintf(uri, len, "%s#%s", here, anchor);
            govern_schema_register(c, uri, s, base, draft7, dynamic);
        }
    }

    for (k = govern_schema_children; *k; k++) {
        govern_schema_index(c, json_object_get(s, *k), here, draft7,
                            vocab);
    }

    for (k = govern_schema_arrays; *k; k++) {
        v = json_object_get(s, *k);

        if (json_is_array(v)) {
            json_array_foreach(v, i, e) {
                govern_schema_index(c, e, here, draft7, vocab);
            }
        }
    }

    for (k = govern_schema_maps; *k; k++) {
        v = json_object_get(s, *k);

        if (json_is_object(v)) {
            json_object_foreach(v, key, e) {
                govern_schema_index(c, e, here, draft7, vocab);
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
govern_schema_ecma(const char *src, size_t len, size_t *out_len)
{
    char        *out, *p;
    size_t       i, n;
    const char  *s, *end;

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

    /* src is NUL-terminated past len: looking ahead stops at that NUL */

    out = malloc(len + 1);
    if (out == NULL) {
        return NULL;
    }

    p = out;
    s = src;
    end = src + len;

    while (s < end) {
        if (s[0] == '\\' && (s[1] == 'p' || s[1] == 'P') && s[2] == '{') {
            for (i = 0; names[i][0]; i++) {
                n = strlen(names[i][0]);

                if ((size_t) (end - s) > 3 + n
                    && strncmp(s + 3, names[i][0], n) == 0 && s[3 + n] == '}')
                {
                    p += sprintf(p, "\\%c{%s}", s[1], names[i][1]);
                    s += 4 + n;
                    break;
                }
            }

            if (names[i][0]) {
                continue;
            }
        }

        if (s[0] == '\\' && s + 1 < end) {
            *p++ = *s++;
        }

        *p++ = *s++;
    }

    *p = '\0';
    *out_len = p - out;

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
govern_schema_regex(scompiler_t *c, const char *src, size_t len,
    pcre2_code **re, int *jit, const char *where)
{
    int           rc;
    char         *ecma;
    size_t        ecma_len;
    PCRE2_SIZE    off;
    PCRE2_UCHAR   msg[128];

    ecma = govern_schema_ecma(src, len, &ecma_len);
    if (ecma == NULL) {
        govern_schema_fail(c, where, "out of memory");
        return 0;
    }

    *re = pcre2_compile((PCRE2_SPTR) ecma, ecma_len,
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


/* a string of the schema as a C string, NULL if it holds U+0000 */

static const char *
govern_schema_cstring(json_t *v)
{
    const char  *s;

    s = json_string_value(v);

    return (s && strlen(s) == json_string_length(v)) ? s : NULL;
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

    for (i = 0; t && types[i].name; i++) {
        if (strcmp(types[i].name, t) == 0) {
            return types[i].bit;
        }
    }

    return 0;
}


/* a document the compiled tree borrows from, released with it */

static int
govern_schema_keep(scompiler_t *c, json_t *doc)
{
    json_t  **grown;

    grown = realloc(c->schema->docs,
                    (c->schema->ndocs + 1) * sizeof(json_t *));
    if (grown == NULL) {
        json_decref(doc);
        govern_schema_fail(c, "", "out of memory");
        return 0;
    }

    c->schema->docs = grown;
    c->schema->docs[c->schema->ndocs++] = doc;

    return 1;
}


/*
 * A schema under a metaschema whose "$vocabulary" leaves some out is
 * compiled from a copy without their keywords.
 */

static json_t *
govern_schema_filter(scompiler_t *c, json_t *s)
{
    size_t             i, len;
    json_t            *copy, *v;
    unsigned           vocab;
    const char        *key;
    const skeyword_t  *k;

    vocab = 0;

    for (i = 0; i < c->nbases; i++) {
        if (c->bases[i].json == s) {
            vocab = c->bases[i].vocab;
            break;
        }
    }

    if (vocab == 0) {
        return s;
    }

    copy = json_object();
    if (copy == NULL || !govern_schema_keep(c, copy)) {
        return NULL;
    }

    json_object_keylen_foreach(s, key, len, v) {
        for (k = govern_schema_keywords_known; k->name; k++) {
            if (strcmp(k->name, key) == 0) {
                break;
            }
        }

        if (k->name && (k->vocab & vocab)
            && (k->dialects & DIALECT_2020_12))
        {
            continue;
        }

        if (json_object_setn(copy, key, len, v) != 0) {
            govern_schema_fail(c, "", "out of memory");
            return NULL;
        }
    }

    return copy;
}


/* the resource of the URI (without fragment), made on first use */

static sresource_t *
govern_schema_resource(scompiler_t *c, const char *uri)
{
    sresource_t  *r;

    for (r = c->schema->resources; r; r = r->next) {
        if (strcmp(r->uri, uri) == 0) {
            return r;
        }
    }

    r = calloc(1, sizeof(sresource_t));
    if (r == NULL) {
        return NULL;
    }

    r->uri = strdup(uri);
    if (r->uri == NULL) {
        free(r);
        return NULL;
    }

    r->next = c->schema->resources;
    c->schema->resources = r;

    return r;
}


/* "$ref" or "$dynamicRef": its absolute URI, resolved after compiling */

static int
govern_schema_reference(scompiler_t *c, json_t *s, const char *key,
    const char *base, char **uri, const char *where)
{
    json_t  *v;

    v = json_object_get(s, key);

    if (v == NULL) {
        return 1;
    }

    if (!json_is_string(v) || strlen(json_string_value(v))
                              != json_string_length(v))
    {
        govern_schema_fail(c, where, "\"%s\" must be a string "
                           "without U+0000", key);
        return 0;
    }

    *uri = govern_uri_resolve(base, json_string_value(v));

    if (*uri == NULL) {
        govern_schema_fail(c, where, "out of memory");
        return 0;
    }

    return 1;
}


static snode_t *
govern_schema_node(scompiler_t *c, json_t *s, const char *base,
    int draft7, const char *where)
{
    char         *uri, *here, *a, *path;
    size_t        i, j;
    size_t        klen;
    json_t       *v, *e, *d;
    snode_t      *n, *it;
    sprop_t      *prop;
    unsigned      bit;
    const char   *key, *id, **k;

    static const char  *govern_schema_identifiers[] = {
        "$id", "$schema", "$anchor", "$dynamicAnchor", NULL
    };

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
    draft7 = govern_schema_is_draft7(c, s, draft7);
    n->draft7 = draft7;

    if (c->vocab) {
        s = govern_schema_filter(c, s);
        if (s == NULL) {
            return NULL;
        }
    }

    for (k = govern_schema_identifiers; *k; k++) {
        v = json_object_get(s, *k);

        if (json_is_string(v) && govern_schema_cstring(v) == NULL) {
            govern_schema_fail(c, where, "\"%s\" must not hold "
                               "U+0000", *k);
            return NULL;
        }
    }

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

    if (!draft7) {
        n->resource = govern_schema_resource(c, here);
        if (n->resource == NULL) {
            goto failed;
        }
    }

    if (!govern_schema_reference(c, s, "$ref", here, &n->ref_uri,
                                 where)
        || (!draft7
            && !govern_schema_reference(c, s, "$dynamicRef", here,
                                        &n->dynref_uri, where)))
    {
        goto failed;
    }

    if (n->ref_uri || n->dynref_uri) {
        if (c->npending == c->cpending) {
            c->cpending = c->cpending ? 2 * c->cpending : 16;
            c->pending = realloc(c->pending, c->cpending * sizeof(snode_t *));
            if (c->pending == NULL) {
                goto failed;
            }
        }

        c->pending[c->npending++] = n;
    }

    if (draft7 && n->ref_uri) {
        /* draft-07: the siblings of "$ref" are ignored */
        free(here);
        return n;
    }

    v = json_object_get(s, "type");

    if (json_is_string(v)) {
        n->types = govern_schema_type(
                       govern_schema_cstring(v));

        if (n->types == 0) {
            govern_schema_fail(c, where, "unknown type \"%s\"",
                               json_string_value(v));
            goto failed;
        }

    } else if (json_is_array(v)) {
        json_array_foreach(v, i, e) {
            bit = json_is_string(e)
                  ? govern_schema_type(
                        govern_schema_cstring(e))
                  : 0;

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
                                    json_string_length(v),
                                    &n->pattern, &n->pattern_jit,
                                    path ? path : where))
        {
            free(path);
            govern_schema_fail(c, where, "invalid \"pattern\"");
            goto failed;
        }

        free(path);
    }

    /* with U+0000 it names no format govern knows: unknown, it passes */
    n->format = govern_schema_cstring(json_object_get(s, "format"));
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
        n->depschemas = calloc(json_object_size(v) + 1, sizeof(sprop_t));

        if (n->depreq == NULL || n->depschemas == NULL) {
            govern_schema_fail(c, where, "out of memory");
            goto failed;
        }

        json_object_keylen_foreach(v, key, klen, e) {
            if (json_is_array(e)) {
                sdepreq_t  *dr = &n->depreq[n->ndepreq++];

                dr->name = (char *) key;
                dr->len = klen;
                dr->n = json_array_size(e);
                dr->list = calloc(dr->n + 1, sizeof(sprop_t));
                if (dr->list == NULL) {
                    govern_schema_fail(c, where, "out of memory");
                    goto failed;
                }

                json_array_foreach(e, j, d) {
                    if (!json_is_string(d)) {
                        govern_schema_fail(c, where, "dependencies "
                                           "must list strings");
                        goto failed;
                    }

                    dr->list[j].name = (char *) json_string_value(d);
                    dr->list[j].len = json_string_length(d);
                }

            } else if (draft7) {
                prop = &n->depschemas[n->ndepschemas++];
                prop->name = (char *) key;
                prop->len = klen;
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
        if (n->depschemas == NULL) {
            govern_schema_fail(c, where, "out of memory");
            goto failed;
        }

        json_object_keylen_foreach(v, key, klen, e) {
            prop = &n->depschemas[n->ndepschemas++];
            prop->name = (char *) key;
            prop->len = klen;
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
        if (n->props == NULL) {
            govern_schema_fail(c, where, "out of memory");
            goto failed;
        }

        json_object_keylen_foreach(v, key, klen, e) {
            prop = &n->props[n->nprops++];
            prop->name = (char *) key;
            prop->len = klen;
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
        if (n->pprops == NULL) {
            govern_schema_fail(c, where, "out of memory");
            goto failed;
        }

        json_object_keylen_foreach(v, key, klen, e) {
            spattern_t  *pp = &n->pprops[n->npprops++];

            path = govern_schema_path2(where, "patternProperties",
                                       key);

            if (!govern_schema_regex(c, key, klen, &pp->re,
                                     &pp->jit,
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
            cur = json_object_getn(cur, tok, out - tok);

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


/* where a schema is in its document: the base URI it was found with */

static void
govern_schema_base(scompiler_t *c, json_t *target,
    const char **base, int *draft7)
{
    size_t  i;

    for (i = 0; i < c->nbases; i++) {
        if (c->bases[i].json == target) {
            *base = c->bases[i].base;
            *draft7 = c->bases[i].draft7;
            return;
        }
    }
}


/*
 * The node an absolute URI with a fragment names, loading its document
 * through the loader if need be.  *dynamic tells whether the fragment is
 * a "$dynamicAnchor" (as "$dynamicRef" asks).
 */

static snode_t *
govern_schema_target(scompiler_t *c, const char *keyword,
    const char *ref_uri, int inherited, int *dynamic)
{
    int           draft7;
    char         *doc_uri, *frag, *full;
    json_t       *doc, *target;
    sres_t       *res;
    size_t        len;
    snode_t      *node;
    const char   *base;

    *dynamic = 0;

    doc_uri = strdup(ref_uri);
    if (doc_uri == NULL) {
        govern_schema_fail(c, "", "out of memory");
        return NULL;
    }

    frag = strchr(doc_uri, '#');

    if (frag) {
        *frag++ = '\0';
    }

    res = govern_schema_lookup(c, doc_uri);

    if (res == NULL) {
        /* the metaschemas are built in, never looked for elsewhere */
        doc = govern_metaschema_load(doc_uri);

        if (doc == NULL && c->loader) {
            doc = c->loader(c->loader_ctx, doc_uri);
        }

        if (doc) {
            if (!govern_schema_keep(c, doc)) {
                free(doc_uri);
                return NULL;
            }

            draft7 = govern_schema_is_draft7(c, doc, inherited);
            govern_schema_register(c, strdup(doc_uri), doc, doc_uri,
                                   draft7, 0);
            govern_schema_index(c, doc, doc_uri, draft7, 0);
            res = govern_schema_lookup(c, doc_uri);
        }
    }

    target = NULL;

    if (res == NULL) {
        /* nothing */

    } else if (frag == NULL || *frag == '\0') {
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
            *dynamic = res ? res->dynamic : 0;
            free(full);
        }
    }

    free(doc_uri);

    if (target == NULL) {
        govern_schema_fail(c, "", "unresolvable \"%s\" \"%s\"",
                           keyword, ref_uri);
        return NULL;
    }

    base = res->base;
    draft7 = res->draft7;
    govern_schema_base(c, target, &base, &draft7);

    node = govern_schema_node(c, target, base, draft7, ref_uri);

    return node;
}


static int
govern_schema_resolve(scompiler_t *c, snode_t *n)
{
    int     dynamic;
    char   *name;

    if (n->ref_uri) {
        n->ref = govern_schema_target(c, "$ref", n->ref_uri,
                                      n->draft7, &dynamic);
        if (n->ref == NULL) {
            return 0;
        }
    }

    if (n->dynref_uri) {
        n->dynref = govern_schema_target(c, "$dynamicRef",
                                         n->dynref_uri, n->draft7,
                                         &dynamic);
        if (n->dynref == NULL) {
            return 0;
        }

        /* dynamic only if it first lands on a "$dynamicAnchor" of the
         * name; else it is a "$ref" */

        if (dynamic) {
            name = strchr(n->dynref_uri, '#');

            n->dynamic = strdup(name + 1);
            if (n->dynamic == NULL) {
                govern_schema_fail(c, "", "out of memory");
                return 0;
            }

            c->schema->dynamic = 1;
        }
    }

    return 1;
}


/*
 * With a dynamic "$dynamicRef", every "$dynamicAnchor" may be its target:
 * compiled, and listed by its resource for validation to search.
 */

static int
govern_schema_anchors(scompiler_t *c)
{
    int           draft7;
    char         *hash;
    size_t        i;
    sres_t       *res;
    snode_t      *node;
    sdanchor_t   *grown;
    sresource_t  *r;
    const char   *base;

    for (i = 0; i < c->nres; i++) {
        res = &c->res[i];

        if (!res->dynamic || res->compiled) {
            continue;
        }

        res->compiled = 1;

        base = res->base;
        draft7 = res->draft7;
        govern_schema_base(c, res->json, &base, &draft7);

        node = govern_schema_node(c, res->json, base, draft7,
                                  res->uri);
        if (node == NULL) {
            return 0;
        }

        /* the table may have grown: res is looked at no more */

        hash = strchr(c->res[i].uri, '#');
        *hash = '\0';
        r = govern_schema_resource(c, c->res[i].uri);
        *hash = '#';

        if (r == NULL) {
            govern_schema_fail(c, "", "out of memory");
            return 0;
        }

        grown = realloc(r->anchors, (r->nanchors + 1) * sizeof(sdanchor_t));
        if (grown == NULL) {
            govern_schema_fail(c, "", "out of memory");
            return 0;
        }

        r->anchors = grown;
        r->anchors[r->nanchors].name = strdup(hash + 1);
        r->anchors[r->nanchors].node = node;

        if (r->anchors[r->nanchors].name == NULL) {
            govern_schema_fail(c, "", "out of memory");
            return 0;
        }

        r->nanchors++;
    }

    return 1;
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
                if (n->required[i].len == n->props[j].len
                    && memcmp(n->required[i].name, n->props[j].name,
                              n->props[j].len) == 0)
                {
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

        /* in a dynamic schema the resource a "$ref" leaves stays in the
         * dynamic scope: the node is not skipped then */

        n->pure_ref = n->boolean == -1 && n->ref != NULL
                      && n->dynref_uri == NULL
                      && (n->draft7 || n->kw == 0)
                      && (!schema->dynamic
                          || n->ref->resource == n->resource);
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

    draft7 = govern_schema_is_draft7(&c, document, draft7);

    govern_schema_register(&c, strdup(base_uri), document, base_uri,
                           draft7, 0);
    govern_schema_index(&c, document, base_uri, draft7, 0);

    schema->root = govern_schema_node(&c, document, base_uri, draft7,
                                      "");

    /* resolving compiles the targets, which may hold references, and
     * dynamic ones bring in every "$dynamicAnchor" */

    i = 0;

    do {
        for ( /* void */ ; !c.failed && i < c.npending; i++) {
            govern_schema_resolve(&c, c.pending[i]);
        }

        if (!c.failed && schema->dynamic) {
            govern_schema_anchors(&c);
        }

    } while (!c.failed && i < c.npending);

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

    for (i = 0; i < c.ndialects; i++) {
        free(c.dialects[i].uri);
    }

    free(c.dialects);
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
    size_t        i;
    snode_t      *n, *next;
    sresource_t  *r, *rnext;

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
        free(n->dynref_uri);
        free(n->dynamic);
        free(n);
    }

    for (r = schema->resources; r; r = rnext) {
        rnext = r->next;

        for (i = 0; i < r->nanchors; i++) {
            free(r->anchors[i].name);
        }

        free(r->anchors);
        free(r->uri);
        free(r);
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
        if (govern_jv_get(inst, n->depreq[i].name,
                          n->depreq[i].len)
            == NULL)
        {
            continue;
        }

        for (j = 0; j < n->depreq[i].n; j++) {
            if (govern_jv_get(inst, n->depreq[i].list[j].name,
                              n->depreq[i].list[j].len)
                == NULL)
            {
                govern_schema_error(v, "dependentRequired",
                                    "\"%s\" requires \"%s\"",
                                    n->depreq[i].name,
                                    n->depreq[i].list[j].name);
                ok = 0;
            }
        }
    }

    for (i = 0; i < n->ndepschemas; i++) {
        if (govern_jv_get(inst, n->depschemas[i].name,
                          n->depschemas[i].len)
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


/* the target of a dynamic "$dynamicRef": the outermost resource in the
 * dynamic scope with a "$dynamicAnchor" of its name */

static snode_t *
govern_schema_dynamic(svalidator_t *v, snode_t *n)
{
    size_t        i, j;
    sresource_t  *r;

    for (i = 0; i < v->nscope; i++) {
        r = v->scope[i];

        for (j = 0; j < r->nanchors; j++) {
            if (strcmp(r->anchors[j].name, n->dynamic) == 0) {
                return r->anchors[j].node;
            }
        }
    }

    return n->dynref;
}


static int
govern_schema_check(svalidator_t *v, snode_t *n,
    govern_jv_t *inst, sann_t *ann)
{
    int                         ok, valid, hops, entered;
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

    /* entering another resource (a dynamic schema only): one scope more,
     * at most one per level of depth */

    entered = v->scope && n->resource
              && (v->nscope == 0 || v->scope[v->nscope - 1] != n->resource);

    if (entered) {
        v->scope[v->nscope++] = n->resource;
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

    if (n->dynref
        && !govern_schema_sub(v, n->dynamic && v->scope
                                          ? govern_schema_dynamic(v,
                                                                  n)
                                          : n->dynref,
                              inst, track))
    {
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

    v->nscope -= entered;
    v->depth--;

    return ok;
}


/* one validation, with steps subschema evaluations at most */

static int
govern_schema_run(govern_schema_t *schema,
    govern_jv_t *instance, govern_schema_result_t *result,
    long steps)
{
    int           ok;
    sresource_t  *scope[GOVERN_SCHEMA_MAX_DEPTH + 1];
    svalidator_t  v;

    memset(&v, 0, sizeof(v));
    v.result = result;
    v.steps = GOVERN_SCHEMA_MAX_STEPS - steps;
    v.annotations = schema->annotations;
    v.scope = schema->dynamic ? scope : NULL;

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


int
govern_schema_validate(govern_schema_t *schema,
    govern_jv_t *instance, govern_schema_result_t *result)
{
    if (result) {
        memset(result, 0, sizeof(*result));

        /* valid documents are the common case: find out without paths
         * and messages first */

        if (govern_schema_run(schema, instance, NULL,
                              GOVERN_SCHEMA_MAX_STEPS))
        {
            return 1;
        }
    }

    return govern_schema_run(schema, instance, result,
                             GOVERN_SCHEMA_MAX_STEPS);
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


/* a value of govern's parser as a jansson one (keys may hold U+0000) */

static json_t *
govern_schema_json(govern_jv_t *v)
{
    size_t                      i;
    json_t                     *j, *e;
    govern_jmember_t           *m;

    switch (v->type) {

    case GOVERN_JV_NULL:
        return json_null();

    case GOVERN_JV_TRUE:
        return json_true();

    case GOVERN_JV_FALSE:
        return json_false();

    case GOVERN_JV_INTEGER:
        return json_integer(v->u.integer);

    case GOVERN_JV_REAL:
        return json_real(v->u.real);

    case GOVERN_JV_STRING:
        return json_stringn(v->u.string, v->len);

    case GOVERN_JV_ARRAY:
        j = json_array();

        for (i = 0; j && i < v->len; i++) {
            e = govern_schema_json(&v->u.items[i]);

            if (e == NULL || json_array_append_new(j, e) != 0) {
                json_decref(j);
                j = NULL;
            }
        }

        return j;

    default:
        j = json_object();

        for (i = 0; j && i < v->len; i++) {
            m = &v->u.members[i];
            e = govern_schema_json(&m->value);

            if (e == NULL
                || json_object_setn_new(j, m->key, m->key_len, e) != 0)
            {
                json_decref(j);
                j = NULL;
            }
        }

        return j;
    }
}


/*
 * A schema file: any JSON value (a boolean schema too), U+0000 allowed in
 * strings, duplicate keys refused.  jansson refuses U+0000 in keys: such a
 * file is read by govern's own parser (nesting up to 64 levels) instead.
 */

static json_t *
govern_schema_read(const char *path, char *err, size_t errlen)
{
    int                          line, column;
    char                        *text, *grown, none[1];
    FILE                        *f;
    size_t                       len, size, n, i;
    json_t                      *doc;
    json_error_t                 jerr;
    govern_jv_t                 *v;
    govern_jv_error_t            verr;
    govern_jv_arena_t            arena;

    if (err == NULL) {
        err = none;
        errlen = sizeof(none);
    }

    doc = json_load_file(path, JSON_DECODE_ANY | JSON_ALLOW_NUL
                               | JSON_REJECT_DUPLICATES, &jerr);

    if (doc || json_error_code(&jerr) != json_error_null_byte_in_key) {
        if (doc == NULL) {
            snprintf(err, errlen, "not JSON: %s at line %d, column %d",
                     jerr.text, jerr.line, jerr.column);
        }

        return doc;
    }

    f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "cannot be read");
        return NULL;
    }

    size = 65536;
    len = 0;
    text = malloc(size);

    while (text) {
        n = fread(text + len, 1, size - len, f);
        len += n;

        if (len < size) {
            break;
        }

        size *= 2;
        grown = realloc(text, size);
        if (grown == NULL) {
            free(text);
        }

        text = grown;
    }

    fclose(f);

    if (text == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    arena.blocks = NULL;
    v = govern_jv_parse(text, len, GOVERN_JV_ALLOW_NUL,
                        govern_jv_arena_alloc, &arena,
                        &verr);
    doc = v ? govern_schema_json(v) : NULL;

    if (v == NULL) {
        line = 1;
        column = 1;

        for (i = 0; i < verr.position && i < len; i++) {
            if (text[i] == '\n') {
                line++;
                column = 1;

            } else {
                column++;
            }
        }

        snprintf(err, errlen, "not JSON: %s at line %d, column %d",
                 verr.text, line, column);

    } else if (doc == NULL) {
        snprintf(err, errlen, "out of memory");
    }

    govern_jv_arena_free(&arena);
    free(text);

    return doc;
}


json_t *
govern_schema_load_file(void *ctx, const char *uri)
{
    char      *path;
    size_t     len;
    json_t    *doc;
    sfiles_t  *files = ctx;

    if (strncmp(uri, "file://", 7) == 0) {
        return govern_schema_read(uri + 7, NULL, 0);
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
    doc = govern_schema_read(path, NULL, 0);
    free(path);

    return doc;
}


/* a jansson value in the form validation reads instances */

static int
govern_schema_instance(json_t *j, govern_jv_t *v,
    govern_jv_arena_t *arena)
{
    char                       *copy;
    size_t                      i, len;
    json_t                     *e;
    const char                 *key;
    govern_jmember_t           *m;

    memset(v, 0, sizeof(govern_jv_t));

    switch (json_typeof(j)) {

    case JSON_NULL:
        v->type = GOVERN_JV_NULL;
        return 1;

    case JSON_TRUE:
        v->type = GOVERN_JV_TRUE;
        return 1;

    case JSON_FALSE:
        v->type = GOVERN_JV_FALSE;
        return 1;

    case JSON_INTEGER:
        v->type = GOVERN_JV_INTEGER;
        v->u.integer = json_integer_value(j);
        return 1;

    case JSON_REAL:
        v->type = GOVERN_JV_REAL;
        v->u.real = json_real_value(j);
        return 1;

    case JSON_STRING:
        /* strings are read a word at a time: readable past their end */
        len = json_string_length(j);
        copy = govern_jv_arena_alloc(arena,
                   len + GOVERN_JV_READABLE);
        if (copy == NULL) {
            return 0;
        }

        memcpy(copy, json_string_value(j), len);
        memset(copy + len, 0, GOVERN_JV_READABLE);

        v->type = GOVERN_JV_STRING;
        v->u.string = copy;
        v->len = len;
        return 1;

    case JSON_ARRAY:
        v->type = GOVERN_JV_ARRAY;
        v->len = json_array_size(j);

        if (v->len == 0) {
            return 1;
        }

        v->u.items = govern_jv_arena_alloc(arena,
                         v->len * sizeof(govern_jv_t));
        if (v->u.items == NULL) {
            return 0;
        }

        json_array_foreach(j, i, e) {
            if (!govern_schema_instance(e, &v->u.items[i], arena)) {
                return 0;
            }
        }

        return 1;

    default:
        v->type = GOVERN_JV_OBJECT;
        v->len = json_object_size(j);

        if (v->len == 0) {
            return 1;
        }

        v->u.members = govern_jv_arena_alloc(arena,
                           v->len * sizeof(govern_jmember_t));
        if (v->u.members == NULL) {
            return 0;
        }

        m = v->u.members;

        json_object_keylen_foreach(j, key, len, e) {
            copy = govern_jv_arena_alloc(arena,
                       len + GOVERN_JV_READABLE);
            if (copy == NULL) {
                return 0;
            }

            memcpy(copy, key, len);
            memset(copy + len, 0, GOVERN_JV_READABLE);

            m->key = copy;
            m->key_len = len;

            if (!govern_schema_instance(e, &m->value, arena)) {
                return 0;
            }

            m++;
        }

        return 1;
    }
}


int
govern_schema_check_meta(json_t *document, int draft7,
    govern_schema_loader_pt loader, void *loader_ctx, char *err,
    size_t errlen)
{
    int                               ok;
    char                              cerr[512];
    json_t                           *wrapper;
    const char                       *uri;
    govern_jv_t                       inst;
    govern_schema_t                  *meta;
    govern_jv_arena_t                 arena;
    govern_schema_result_t            result;
    govern_schema_error_t            *e;

    uri = json_string_value(json_object_get(document, "$schema"));

    if (uri == NULL) {
        uri = draft7 ? "http://json-schema.org/draft-07/schema#"
                     : "https://json-schema.org/draft/2020-12/schema";
    }

    /* the metaschema by a "$ref" to it: built in, or the loader's */

    wrapper = json_pack("{ss}", "$ref", uri);
    if (wrapper == NULL) {
        snprintf(err, errlen, "out of memory");
        return 0;
    }

    meta = govern_schema_compile(wrapper, "urn:govern:metaschema",
                                 0, loader, loader_ctx, cerr,
                                 sizeof(cerr));
    json_decref(wrapper);

    if (meta == NULL) {
        snprintf(err, errlen, "at \"/$schema\": \"%s\" is not a metaschema "
                 "govern has (2020-12 and draft-07 are built in, another "
                 "must be a file beside the schema)%s%s", uri,
                 strstr(cerr, "unresolvable") ? "" : ": ",
                 strstr(cerr, "unresolvable") ? "" : cerr);
        return 0;
    }

    arena.blocks = NULL;

    if (!govern_schema_instance(document, &inst, &arena)) {
        govern_jv_arena_free(&arena);
        govern_schema_free(meta);
        snprintf(err, errlen, "out of memory");
        return 0;
    }

    ok = govern_schema_run(meta, &inst, NULL,
                           GOVERN_SCHEMA_META_STEPS);

    if (!ok) {
        memset(&result, 0, sizeof(result));
        govern_schema_run(meta, &inst, &result,
                          GOVERN_SCHEMA_META_STEPS);

        if (result.nerrors) {
            e = &result.errors[0];
            snprintf(err, errlen, "at \"%s\": %s (keyword \"%s\" of the "
                     "metaschema %s)", e->pointer[0] ? e->pointer : "#",
                     e->message, e->keyword, uri);

        } else {
            snprintf(err, errlen, "invalid against the metaschema %s", uri);
        }

        govern_schema_result_free(&result);
    }

    govern_jv_arena_free(&arena);
    govern_schema_free(meta);

    return ok;
}


/*
 * Unknown keywords are ignored, as the specification asks, but a typo
 * ("minimun") then checks nothing: each is warned about.  Only schema
 * positions are looked at, the dialect's own.
 */

static void
govern_schema_lint(json_t *s, int draft7, const char *where,
    govern_schema_warn_pt warn, void *ctx)
{
    char               msg[512], *path;
    size_t             i;
    json_t            *v, *e;
    unsigned           dialect;
    const char        *key, *uri, **kw;
    const skeyword_t  *k;

    static const char  *single[] = {
        "additionalProperties", "additionalItems", "items", "contains",
        "not", "if", "then", "else", "propertyNames", "unevaluatedItems",
        "unevaluatedProperties", "contentSchema", NULL
    };

    static const char  *arrays[] = {
        "allOf", "anyOf", "oneOf", "prefixItems", "items", NULL
    };

    static const char  *maps[] = {
        "properties", "patternProperties", "$defs", "definitions",
        "dependentSchemas", "dependencies", NULL
    };

    if (!json_is_object(s)) {
        return;
    }

    uri = json_string_value(json_object_get(s, "$schema"));

    if (uri) {
        draft7 = govern_schema_draft7_uri(uri);
    }

    dialect = draft7 ? DIALECT_DRAFT_07 : DIALECT_2020_12;

    json_object_foreach(s, key, v) {
        for (k = govern_schema_keywords_known; k->name; k++) {
            if (strcmp(k->name, key) == 0 && (k->dialects & dialect)) {
                break;
            }
        }

        if (k->name == NULL) {
            path = govern_schema_token(where, key);
            snprintf(msg, sizeof(msg), "unknown keyword \"%s\" at \"%s\" "
                     "is ignored (not a %s keyword)", key, path ? path : "",
                     draft7 ? "draft-07" : "2020-12");
            free(path);
            warn(ctx, msg);
        }
    }

    /* draft-07 "$ref" hides its siblings: they are not looked into */

    if (draft7 && json_object_get(s, "$ref")) {
        return;
    }

    for (kw = single; *kw; kw++) {
        v = json_object_get(s, *kw);

        if (v && !json_is_array(v)) {
            path = govern_schema_token(where, *kw);
            if (path) {
                govern_schema_lint(v, draft7, path, warn, ctx);
                free(path);
            }
        }
    }

    for (kw = arrays; *kw; kw++) {
        v = json_object_get(s, *kw);

        if (json_is_array(v)) {
            json_array_foreach(v, i, e) {
                char  idx[32];

                snprintf(idx, sizeof(idx), "%zu", i);
                path = govern_schema_path2(where, *kw, idx);
                if (path) {
                    govern_schema_lint(e, draft7, path, warn, ctx);
                    free(path);
                }
            }
        }
    }

    for (kw = maps; *kw; kw++) {
        v = json_object_get(s, *kw);

        if (json_is_object(v)) {
            json_object_foreach(v, key, e) {
                path = govern_schema_path2(where, *kw, key);
                if (path) {
                    govern_schema_lint(e, draft7, path, warn, ctx);
                    free(path);
                }
            }
        }
    }
}


/*
 * Compiles the schema file at path (absolute), once it is valid against
 * its metaschema; unknown keywords are told to warn.
 */

govern_schema_t *
govern_schema_compile_file(const char *path,
    govern_schema_warn_pt warn, void *warn_ctx, char *err,
    size_t errlen)
{
    char                      *uri, *slash;
    size_t                     len;
    json_t                    *doc;
    sfiles_t                   files;
    const char                *id;
    govern_schema_t           *schema;

    doc = govern_schema_read(path, err, errlen);

    if (doc == NULL) {
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

    schema = NULL;

    if (govern_schema_check_meta(doc, 0,
                                 govern_schema_load_file,
                                 &files, err, errlen))
    {
        if (warn) {
            govern_schema_lint(doc, 0, "", warn, warn_ctx);
        }

        schema = govern_schema_compile(doc, uri, 0,
                                              govern_schema_load_file,
                                              &files, err, errlen);
    }

    free(files.id_dir);
    free(files.file_dir);
    free(uri);
    json_decref(doc);

    return schema;
}
