
/*
 * govern: XML-RPC.
 *
 * Odoo reads a methodCall with Python's xmlrpc.client.loads(data,
 * use_datetime=True) (odoo/addons/base/controllers/rpc.py in 17.0 and
 * 18.0, addons/rpc/controllers/xmlrpc.py in 19.0), whose Unmarshaller is
 * lenient: it ignores unknown elements, <param>, <member> and <data>
 * tags, pairs struct names and values by position, and keeps the last of
 * duplicate member names.  A gateway reading the same bytes differently
 * would check one call and forward another, so this reader accepts only
 * the bodies that Unmarshaller reads as the gateway does, in the shape
 * conforming clients write, and refuses the rest (odoo_malformed):
 *
 * - the methodCall grammar exactly: <methodName>, then at most one
 *   <params> of <param>s of one <value> each; <array> holds one <data>,
 *   <struct> <member>s of one <name> then one <value>; a <value> holds
 *   one typed element or text (an untyped string).  No other element, no
 *   namespace prefix, no attribute, no text beside elements (whitespace
 *   aside).
 * - <int>, <i4> and <i8>: optional whitespace and sign, ASCII digits,
 *   within 64 bits.  Python reads them with int() and no range check (its
 *   Marshaller refuses to write an int beyond 32 bits, but JavaScript
 *   clients such as npm xmlrpc write any integral number as <int>); beyond
 *   64 bits the gateway cannot hold the value Odoo would read.  int()'s
 *   underscores, Unicode digits and Unicode spaces are refused.
 * - <boolean>: "0" or "1" exactly, as end_boolean() requires.
 * - <double>: a finite decimal number (float() also reads "inf", "nan"
 *   and underscores: refused).
 * - <dateTime.iso8601>: YYYYMMDDTHH:MM:SS, a real date and time: Odoo
 *   parses it with datetime.strptime(data, "%Y%m%dT%H:%M:%S"), which
 *   refuses every other form; kept as the string sent.
 * - <base64>: the base64 alphabet, padded, whitespace anywhere (as
 *   base64.decodebytes() reads it); kept as the string sent.
 * - <nil/>: accepted (end_nil() needs no allow_none; Odoo only refuses to
 *   write None), read as null.
 * - <struct>: duplicate member names refused; Python's dict would keep the
 *   last while the policy reads the first (a second "context" would slip
 *   an unchecked one past it).
 * - <string>, untyped <value> and <name> text is taken as expat delivers
 *   it (entities and CDATA decoded), as in Python.
 *
 * And what expat, as Python sets it up, would accept but a gateway must
 * not: a DOCTYPE (entity expansion, billion laughs, external entities),
 * comments and processing instructions, an encoding other than UTF-8
 * (forced here, so a declaration of another could be read differently),
 * containers nested deeper than the JSON parser allows.
 */


#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/types.h>

#include <expat.h>

#include "govern_xmlrpc.h"


/* elements, in the order of the grammar; typed values last */
#define GOVERN_XR_DOCUMENT      0
#define GOVERN_XR_METHOD_CALL   1
#define GOVERN_XR_METHOD_NAME   2
#define GOVERN_XR_PARAMS        3
#define GOVERN_XR_PARAM         4
#define GOVERN_XR_VALUE         5
#define GOVERN_XR_DATA          6
#define GOVERN_XR_MEMBER        7
#define GOVERN_XR_NAME          8
#define GOVERN_XR_ARRAY         9       /* what a <value> may hold: */
#define GOVERN_XR_STRUCT        10
#define GOVERN_XR_INT           11
#define GOVERN_XR_BOOLEAN       12
#define GOVERN_XR_STRING        13
#define GOVERN_XR_DOUBLE        14
#define GOVERN_XR_DATETIME      15
#define GOVERN_XR_BASE64        16
#define GOVERN_XR_NIL           17

#define govern_xr_typed(kind)  ((kind) >= GOVERN_XR_ARRAY)

/* elements whose text is their value */
#define govern_xr_leaf(kind)                                                  \
    ((kind) == GOVERN_XR_METHOD_NAME || (kind) == GOVERN_XR_NAME              \
     || ((kind) >= GOVERN_XR_INT && (kind) != GOVERN_XR_NIL))

/* what an element has seen of its children */
#define GOVERN_XR_SEEN_NAME     0x01    /* <methodName>, a member's <name> */
#define GOVERN_XR_SEEN_PARAMS   0x02
#define GOVERN_XR_SEEN_VALUE    0x04    /* a param's or member's <value> */
#define GOVERN_XR_SEEN_CHILD    0x08    /* a value's typed element */
#define GOVERN_XR_SEEN_DATA     0x10

/* the root object, params object and args array hold a param's value */
#define GOVERN_XR_ARGS_DEPTH    3

#define GOVERN_XR_SMALL_STRUCT  16      /* duplicates checked by pairs */
#define GOVERN_XR_CHUNK         (1 << 30)   /* what XML_Parse() takes */


typedef struct {
    const char                   *name;
    unsigned                      kind;
} govern_xr_element_t;


static const govern_xr_element_t  govern_xr_elements[] = {
    { "", GOVERN_XR_DOCUMENT },
    { "methodCall", GOVERN_XR_METHOD_CALL },
    { "methodName", GOVERN_XR_METHOD_NAME },
    { "params", GOVERN_XR_PARAMS },
    { "param", GOVERN_XR_PARAM },
    { "value", GOVERN_XR_VALUE },
    { "data", GOVERN_XR_DATA },
    { "member", GOVERN_XR_MEMBER },
    { "name", GOVERN_XR_NAME },
    { "array", GOVERN_XR_ARRAY },
    { "struct", GOVERN_XR_STRUCT },
    { "int", GOVERN_XR_INT },
    { "i4", GOVERN_XR_INT },
    { "i8", GOVERN_XR_INT },
    { "boolean", GOVERN_XR_BOOLEAN },
    { "string", GOVERN_XR_STRING },
    { "double", GOVERN_XR_DOUBLE },
    { "dateTime.iso8601", GOVERN_XR_DATETIME },
    { "base64", GOVERN_XR_BASE64 },
    { "nil", GOVERN_XR_NIL },
};

#define GOVERN_XR_NELEMENTS                                                   \
    (sizeof(govern_xr_elements) / sizeof(govern_xr_elements[0]))


/*
 * Keys and the service name of the tree, each in GOVERN_JV_READABLE
 * bytes (and more: a string's bytes, its NUL and the padding after it).
 */
static const char  govern_xr_words[][2 * GOVERN_JV_READABLE] = {
    "params", "service", "method", "args", "common", "object"
};

#define GOVERN_XR_PARAMS_KEY   govern_xr_words[0]
#define GOVERN_XR_SERVICE_KEY  govern_xr_words[1]
#define GOVERN_XR_METHOD_KEY   govern_xr_words[2]
#define GOVERN_XR_ARGS_KEY     govern_xr_words[3]
#define GOVERN_XR_COMMON       govern_xr_words[4]
#define GOVERN_XR_OBJECT       govern_xr_words[5]


/* an open element */
typedef struct {
    uint8_t                       kind;
    uint8_t                       element;  /* in govern_xr_elements */
    uint8_t                       seen;     /* GOVERN_XR_SEEN_* */
    uint32_t                      start;    /* its start tag's offset */
    uint32_t                      start_len;    /* and length */
    size_t                        base;     /* the scratch top it found */
    const char                   *key;      /* a member's name */
    size_t                        key_len;
    govern_jv_t                   v;        /* a value's, param's, member's */
} govern_xr_frame_t;


struct govern_xmlrpc_s {
    XML_Parser                    parser;   /* NULL: the fast reader */
    size_t                        at;       /* its event's offset */
    size_t                        count;    /* and length */
    const char                   *service;
    size_t                        fed;
    size_t                        max_size;
    int                           failed;
    unsigned                      containers;   /* arrays, structs open */

    govern_jv_alloc_pt            alloc;
    void                         *alloc_ctx;
    govern_jv_error_t            *err;

    govern_xr_frame_t            *frames;   /* frames[0]: the document */
    size_t                        nframes;
    size_t                        frames_cap;

    govern_jmember_t             *scratch;  /* children of open containers */
    size_t                        top;
    size_t                        scratch_cap;

    char                         *text;     /* the open leaf's text */
    size_t                        text_len;
    size_t                        text_cap;

    govern_jv_t                   method;
    govern_jv_t                  *root;
};


static void govern_xr_fail(govern_xmlrpc_t *x, const char *fmt,
    ...);
static void govern_xr_fail_at(govern_xmlrpc_t *x, size_t position,
    const char *fmt, ...);


/* paths */


int
govern_xmlrpc_style(const char *path, size_t len)
{
    if (len < sizeof("/xmlrpc/") - 1
        || memcmp(path, "/xmlrpc/", sizeof("/xmlrpc/") - 1) != 0)
    {
        return 0;
    }

    if (len >= sizeof("/xmlrpc/2/") - 1
        && memcmp(path, "/xmlrpc/2/", sizeof("/xmlrpc/2/") - 1) == 0)
    {
        return GOVERN_XMLRPC_INT_FAULTS;
    }

    return GOVERN_XMLRPC_STRING_FAULTS;
}


const char *
govern_xmlrpc_service(const char *path, size_t len,
    const char **why)
{
    size_t       skip;
    const char  *name;

    switch (govern_xmlrpc_style(path, len)) {

    case GOVERN_XMLRPC_INT_FAULTS:
        skip = sizeof("/xmlrpc/2/") - 1;
        break;

    case GOVERN_XMLRPC_STRING_FAULTS:
        skip = sizeof("/xmlrpc/") - 1;
        break;

    default:
        *why = "not an XML-RPC path";
        return NULL;
    }

    name = path + skip;
    len -= skip;

    if (len == 6 && memcmp(name, "common", 6) == 0) {
        return GOVERN_XR_COMMON;
    }

    if (len == 6 && memcmp(name, "object", 6) == 0) {
        return GOVERN_XR_OBJECT;
    }

    if (len == 2 && memcmp(name, "db", 2) == 0) {
        *why = "the db service is not exposed";
        return NULL;
    }

    *why = "not an Odoo XML-RPC endpoint (/xmlrpc/2/common, "
           "/xmlrpc/2/object, /xmlrpc/common, /xmlrpc/object)";
    return NULL;
}


/* where the event being reported lies: expat's word, or the fast reader's */

static long
govern_xr_index(govern_xmlrpc_t *x)
{
    return x->parser ? XML_GetCurrentByteIndex(x->parser) : (long) x->at;
}


static long
govern_xr_count(govern_xmlrpc_t *x)
{
    return x->parser ? XML_GetCurrentByteCount(x->parser) : (long) x->count;
}


/* errors */


static void
govern_xr_vfail(govern_xmlrpc_t *x, size_t position,
    const char *fmt, va_list args)
{
    if (x->failed) {
        return;
    }

    x->failed = 1;

    if (x->err) {
        x->err->position = position;
        vsnprintf(x->err->text, sizeof(x->err->text), fmt, args);
    }

    /* handlers may still be called for what expat holds: they see failed */
    if (x->parser) {
        XML_StopParser(x->parser, XML_FALSE);
    }
}


/* refused at the event expat is reporting */

static void
govern_xr_fail(govern_xmlrpc_t *x, const char *fmt, ...)
{
    long     at;
    va_list  args;

    at = govern_xr_index(x);

    va_start(args, fmt);
    govern_xr_vfail(x, at < 0 ? 0 : (size_t) at, fmt, args);
    va_end(args);
}


static void
govern_xr_fail_at(govern_xmlrpc_t *x, size_t position,
    const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    govern_xr_vfail(x, position, fmt, args);
    va_end(args);
}


/* expat's own refusal: malformed XML, invalid UTF-8, an unclosed element */

static void
govern_xr_expat_error(govern_xmlrpc_t *x)
{
    enum XML_Error  code;

    if (x->failed) {
        return;             /* ours, stopped from a handler */
    }

    code = XML_GetErrorCode(x->parser);

    govern_xr_fail(x, "XML: %s", code == XML_ERROR_INVALID_TOKEN
                   ? "not well-formed or not UTF-8"
                   : XML_ErrorString(code));
}


/* memory */


static int
govern_xr_grow(govern_xmlrpc_t *x, void **array, size_t *cap,
    size_t need, size_t size)
{
    size_t   n;
    void    *grown;

    if (need <= *cap) {
        return 1;
    }

    for (n = *cap ? *cap : 16; n < need; n *= 2) { /* void */ }

    grown = realloc(*array, n * size);
    if (grown == NULL) {
        govern_xr_fail(x, "out of memory");
        return 0;
    }

    *array = grown;
    *cap = n;

    return 1;
}


/* a copy in the caller's memory, NUL and readable padding after it */

static const char *
govern_xr_copy(govern_xmlrpc_t *x, const char *s, size_t len)
{
    char  *p;

    p = x->alloc(x->alloc_ctx, len + 1 + GOVERN_JV_READABLE);
    if (p == NULL) {
        govern_xr_fail(x, "out of memory");
        return NULL;
    }

    if (len) {
        memcpy(p, s, len);
    }

    memset(p + len, 0, 1 + GOVERN_JV_READABLE);

    return p;
}


static int
govern_xr_push(govern_xmlrpc_t *x, const char *key, size_t key_len,
    const govern_jv_t *v)
{
    govern_jmember_t           *m;

    if (!govern_xr_grow(x, (void **) &x->scratch, &x->scratch_cap,
                        x->top + 1, sizeof(govern_jmember_t)))
    {
        return 0;
    }

    m = &x->scratch[x->top++];
    m->key = key;
    m->key_len = key_len;
    m->value = *v;

    return 1;
}


/* the children pushed since base, moved into an array in the tree */

static int
govern_xr_array(govern_xmlrpc_t *x, size_t base,
    govern_jv_t *v)
{
    size_t                 i, n;
    govern_jv_t           *items;

    n = x->top - base;
    v->type = GOVERN_JV_ARRAY;
    v->len = n;
    v->u.items = NULL;

    if (n) {
        items = x->alloc(x->alloc_ctx, n * sizeof(govern_jv_t));
        if (items == NULL) {
            govern_xr_fail(x, "out of memory");
            return 0;
        }

        for (i = 0; i < n; i++) {
            items[i] = x->scratch[base + i].value;
        }

        v->u.items = items;
    }

    x->top = base;

    return 1;
}


static int
govern_xr_key_order(const void *a, const void *b)
{
    const govern_jmember_t           *x = a, *y = b;

    if (x->key_len != y->key_len) {
        return x->key_len < y->key_len ? -1 : 1;
    }

    return memcmp(x->key, y->key, x->key_len);
}


/*
 * The later of two members sharing a name, or NULL: by pairs when few,
 * else sorted (O(n log n) whatever the names, where a hash could be
 * driven into collisions).  Sets *nomem when it cannot sort.
 */

static const govern_jmember_t *
govern_xr_duplicate(const govern_jmember_t *m, size_t n, int *nomem)
{
    size_t                             i, j;
    const void                       **sorted;
    const govern_jmember_t            *a, *b, *dup;

    if (n <= GOVERN_XR_SMALL_STRUCT) {
        for (i = 1; i < n; i++) {
            for (j = 0; j < i; j++) {
                if (govern_xr_key_order(&m[i], &m[j]) == 0) {
                    return &m[i];
                }
            }
        }

        return NULL;
    }

    sorted = malloc(n * sizeof(void *));
    if (sorted == NULL) {
        *nomem = 1;
        return NULL;
    }

    for (i = 0; i < n; i++) {
        sorted[i] = &m[i];
    }

    if (govern_jv_sort(sorted, n, govern_xr_key_order) != 0) {
        free(sorted);
        *nomem = 1;
        return NULL;
    }

    dup = NULL;

    for (i = 1; i < n && dup == NULL; i++) {
        if (govern_xr_key_order(sorted[i - 1], sorted[i]) == 0) {
            a = sorted[i - 1];
            b = sorted[i];
            dup = a->value.start > b->value.start ? a : b;
        }
    }

    free(sorted);

    return dup;
}


static int
govern_xr_struct(govern_xmlrpc_t *x, size_t base,
    govern_jv_t *v)
{
    int                               nomem;
    size_t                            n;
    govern_jmember_t                 *members;
    const govern_jmember_t           *dup;

    n = x->top - base;
    v->type = GOVERN_JV_OBJECT;
    v->len = n;
    v->u.members = NULL;

    if (n == 0) {
        return 1;
    }

    nomem = 0;
    dup = govern_xr_duplicate(&x->scratch[base], n, &nomem);

    if (nomem) {
        govern_xr_fail(x, "out of memory");
        return 0;
    }

    if (dup) {
        govern_xr_fail_at(x, dup->value.start, "duplicate struct member "
                          "\"%.40s\" (Odoo would keep the last)", dup->key);
        return 0;
    }

    members = x->alloc(x->alloc_ctx, n * sizeof(govern_jmember_t));
    if (members == NULL) {
        govern_xr_fail(x, "out of memory");
        return 0;
    }

    memcpy(members, &x->scratch[base], n * sizeof(govern_jmember_t));
    v->u.members = members;
    x->top = base;

    return 1;
}


/* scalars, read as Odoo reads them (see the top of the file) */


#define govern_xr_space(c)                                                    \
    ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')

#define govern_xr_digit(c)  ((c) >= '0' && (c) <= '9')


static int
govern_xr_blank(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!govern_xr_space(s[i])) {
            return 0;
        }
    }

    return 1;
}


static void
govern_xr_trim(const char **s, size_t *len)
{
    while (*len && govern_xr_space(**s)) {
        (*s)++;
        (*len)--;
    }

    while (*len && govern_xr_space((*s)[*len - 1])) {
        (*len)--;
    }
}


/* 1, 0 when not an integer, -1 beyond 64 bits */

static int
govern_xr_integer(const char *s, size_t len, long long *v)
{
    int                 negative;
    size_t              i;
    unsigned long long  n, limit;

    govern_xr_trim(&s, &len);

    negative = 0;
    i = 0;

    if (len && (s[0] == '-' || s[0] == '+')) {
        negative = (s[0] == '-');
        i = 1;
    }

    if (i == len) {
        return 0;
    }

    limit = negative ? (unsigned long long) LLONG_MAX + 1 : LLONG_MAX;
    n = 0;

    for ( /* void */ ; i < len; i++) {
        if (!govern_xr_digit(s[i])) {
            return 0;
        }

        if (n > (limit - (unsigned) (s[i] - '0')) / 10) {
            /* the rest must still be digits for "out of range" */
            for (i++; i < len; i++) {
                if (!govern_xr_digit(s[i])) {
                    return 0;
                }
            }

            return -1;
        }

        n = n * 10 + (unsigned) (s[i] - '0');
    }

    *v = negative ? (long long) (0 - n) : (long long) n;

    return 1;
}


/* a finite decimal: [+-] digits [. digits] [e [+-] digits], or .digits */

static int
govern_xr_double(char *s, size_t len, double *v)
{
    size_t       i, digits;
    const char  *p;

    p = s;
    govern_xr_trim(&p, &len);

    i = 0;
    digits = 0;

    if (i < len && (p[i] == '-' || p[i] == '+')) {
        i++;
    }

    while (i < len && govern_xr_digit(p[i])) {
        i++;
        digits++;
    }

    if (i < len && p[i] == '.') {
        i++;

        while (i < len && govern_xr_digit(p[i])) {
            i++;
            digits++;
        }
    }

    if (digits == 0) {
        return 0;
    }

    if (i < len && (p[i] == 'e' || p[i] == 'E')) {
        i++;

        if (i < len && (p[i] == '-' || p[i] == '+')) {
            i++;
        }

        if (i == len || !govern_xr_digit(p[i])) {
            return 0;
        }

        while (i < len && govern_xr_digit(p[i])) {
            i++;
        }
    }

    if (i != len) {
        return 0;
    }

    /* the text buffer has room for a NUL after its bytes */
    ((char *) p)[len] = '\0';

    *v = strtod(p, NULL);

    /* an underflow reads 0 as Python's float() does; overflow is inf */
    return isfinite(*v);
}


static unsigned
govern_xr_number(const char *s, size_t len)
{
    unsigned  n;

    n = 0;

    while (len--) {
        n = n * 10 + (unsigned) (*s++ - '0');
    }

    return n;
}


/* YYYYMMDDTHH:MM:SS, a date datetime() accepts */

static int
govern_xr_datetime(const char *s, size_t len)
{
    size_t    i;
    unsigned  year, month, day, days;

    static const char  form[] = "dddddddd" "Tdd:dd:dd";
    static const unsigned char  mdays[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (len != sizeof(form) - 1) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (form[i] == 'd' ? !govern_xr_digit(s[i]) : s[i] != form[i]) {
            return 0;
        }
    }

    year = govern_xr_number(s, 4);
    month = govern_xr_number(s + 4, 2);
    day = govern_xr_number(s + 6, 2);

    if (year == 0 || month == 0 || month > 12 || day == 0) {
        return 0;
    }

    days = mdays[month - 1];

    if (month == 2
        && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
    {
        days = 29;
    }

    return day <= days
           && govern_xr_number(s + 9, 2) < 24
           && govern_xr_number(s + 12, 2) < 60
           && govern_xr_number(s + 15, 2) < 60;
}


/* base64 with its padding, whitespace anywhere */

static int
govern_xr_base64(const char *s, size_t len)
{
    size_t         i, n, pad;
    unsigned char  c;

    n = 0;
    pad = 0;

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (govern_xr_space(c)) {
            continue;
        }

        if (c == '=') {
            pad++;

        } else if (pad
                   || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                        || govern_xr_digit(c) || c == '+' || c == '/'))
        {
            return 0;
        }

        n++;
    }

    return n % 4 == 0 && pad <= 2;
}


/* the XML-RPC specification's method names: A-Z a-z 0-9 _ . : / */

static int
govern_xr_method_name(const char *s, size_t len)
{
    size_t  i;
    char    c;

    if (len == 0) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = s[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || govern_xr_digit(c) || c == '_' || c == '.' || c == ':'
              || c == '/'))
        {
            return 0;
        }
    }

    return 1;
}


/* the typed value a leaf's text is, into its <value>'s v */

static void
govern_xr_scalar(govern_xmlrpc_t *x, govern_xr_frame_t *f,
    govern_jv_t *v)
{
    int          rc;
    const char  *name;

    name = govern_xr_elements[f->element].name;

    switch (f->kind) {

    case GOVERN_XR_INT:
        rc = govern_xr_integer(x->text, x->text_len, &v->u.integer);

        if (rc <= 0) {
            govern_xr_fail_at(x, f->start, rc ? "<%s> is out of the 64-bit "
                              "range" : "<%s> is not a decimal integer",
                              name);
            return;
        }

        v->type = GOVERN_JV_INTEGER;
        return;

    case GOVERN_XR_BOOLEAN:
        if (x->text_len != 1 || (x->text[0] != '0' && x->text[0] != '1')) {
            govern_xr_fail_at(x, f->start, "<boolean> must be 0 or 1");
            return;
        }

        v->type = x->text[0] == '1' ? GOVERN_JV_TRUE
                                    : GOVERN_JV_FALSE;
        return;

    case GOVERN_XR_DOUBLE:
        if (!govern_xr_double(x->text, x->text_len, &v->u.real)) {
            govern_xr_fail_at(x, f->start,
                              "<double> is not a finite decimal number");
            return;
        }

        v->type = GOVERN_JV_REAL;
        return;

    case GOVERN_XR_DATETIME:
        if (!govern_xr_datetime(x->text, x->text_len)) {
            govern_xr_fail_at(x, f->start, "<dateTime.iso8601> must be a "
                              "date and time as YYYYMMDDTHH:MM:SS");
            return;
        }

        break;

    case GOVERN_XR_BASE64:
        if (!govern_xr_base64(x->text, x->text_len)) {
            govern_xr_fail_at(x, f->start, "<base64> is not padded base64");
            return;
        }

        break;

    default: /* GOVERN_XR_STRING */
        break;
    }

    v->type = GOVERN_JV_STRING;
    v->len = x->text_len;
    v->u.string = govern_xr_copy(x, x->text, x->text_len);
}


/* expat's handlers */


static unsigned
govern_xr_element(const XML_Char *name)
{
    unsigned  i;

    /* the first byte tells all but two or three apart */

    for (i = 1; i < GOVERN_XR_NELEMENTS; i++) {
        if (name[0] == govern_xr_elements[i].name[0]
            && strcmp(name, govern_xr_elements[i].name) == 0)
        {
            return i;
        }
    }

    return 0;
}


/* whether parent may hold kind next; the refusal's text when not */

static const char *
govern_xr_allowed(govern_xr_frame_t *parent, unsigned kind)
{
    switch (parent->kind) {

    case GOVERN_XR_DOCUMENT:
        return NULL;            /* <methodCall>, checked first */

    case GOVERN_XR_METHOD_CALL:
        if (kind == GOVERN_XR_METHOD_NAME
            && !(parent->seen & (GOVERN_XR_SEEN_NAME | GOVERN_XR_SEEN_PARAMS)))
        {
            parent->seen |= GOVERN_XR_SEEN_NAME;
            return NULL;
        }

        if (kind == GOVERN_XR_PARAMS && (parent->seen & GOVERN_XR_SEEN_NAME)
            && !(parent->seen & GOVERN_XR_SEEN_PARAMS))
        {
            parent->seen |= GOVERN_XR_SEEN_PARAMS;
            return NULL;
        }

        return "a <methodCall> holds one <methodName>, then one <params>";

    case GOVERN_XR_PARAMS:
        return kind == GOVERN_XR_PARAM
               ? NULL : "<params> holds <param> elements";

    case GOVERN_XR_PARAM:
        if (kind == GOVERN_XR_VALUE && !(parent->seen & GOVERN_XR_SEEN_VALUE)) {
            parent->seen |= GOVERN_XR_SEEN_VALUE;
            return NULL;
        }

        return "a <param> holds one <value>";

    case GOVERN_XR_VALUE:
        if (govern_xr_typed(kind) && !(parent->seen & GOVERN_XR_SEEN_CHILD)) {
            parent->seen |= GOVERN_XR_SEEN_CHILD;
            return NULL;
        }

        return "a <value> holds one typed value";

    case GOVERN_XR_ARRAY:
        if (kind == GOVERN_XR_DATA && !(parent->seen & GOVERN_XR_SEEN_DATA)) {
            parent->seen |= GOVERN_XR_SEEN_DATA;
            return NULL;
        }

        return "an <array> holds one <data>";

    case GOVERN_XR_DATA:
        return kind == GOVERN_XR_VALUE
               ? NULL : "<data> holds <value> elements";

    case GOVERN_XR_STRUCT:
        return kind == GOVERN_XR_MEMBER
               ? NULL : "<struct> holds <member> elements";

    case GOVERN_XR_MEMBER:
        if (kind == GOVERN_XR_NAME && !(parent->seen & GOVERN_XR_SEEN_NAME)) {
            parent->seen |= GOVERN_XR_SEEN_NAME;
            return NULL;
        }

        if (kind == GOVERN_XR_VALUE && (parent->seen & GOVERN_XR_SEEN_NAME)
            && !(parent->seen & GOVERN_XR_SEEN_VALUE))
        {
            parent->seen |= GOVERN_XR_SEEN_VALUE;
            return NULL;
        }

        return "a <member> holds one <name>, then one <value>";

    case GOVERN_XR_NIL:
        return "<nil/> is empty";

    default:
        return "holds text only";
    }
}


static void XMLCALL
govern_xr_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
    long                       at;
    unsigned                   e, kind;
    const char                *why;
    govern_xr_frame_t         *parent, *f;
    govern_xmlrpc_t           *x = data;

    if (x->failed) {
        return;
    }

    parent = &x->frames[x->nframes - 1];

    if (parent->kind == GOVERN_XR_DOCUMENT
        && strcmp(name, "methodCall") != 0)
    {
        govern_xr_fail(x, "the body must be a <methodCall> (<%.40s> here)",
                       name);
        return;
    }

    e = govern_xr_element(name);

    if (e == 0) {
        govern_xr_fail(x, "unknown element <%.40s>", name);
        return;
    }

    if (attrs[0] != NULL) {
        govern_xr_fail(x, "<%s> takes no attributes", name);
        return;
    }

    kind = govern_xr_elements[e].kind;

    why = govern_xr_allowed(parent, kind);

    if (why) {
        if (govern_xr_leaf(parent->kind)) {
            govern_xr_fail(x, "<%s> %s",
                           govern_xr_elements[parent->element].name, why);

        } else {
            govern_xr_fail(x, "%s (<%s> here)", why, name);
        }

        return;
    }

    /* a typed value: the text before it in its <value> was layout */

    if (parent->kind == GOVERN_XR_VALUE && !govern_xr_blank(x->text,
                                                            x->text_len))
    {
        govern_xr_fail(x, "text beside a typed value in a <value>");
        return;
    }

    if (kind == GOVERN_XR_ARRAY || kind == GOVERN_XR_STRUCT) {

        /* counted as the equivalent JSON-RPC body would be */

        if (GOVERN_XR_ARGS_DEPTH + x->containers + 1
            > GOVERN_JV_MAX_DEPTH)
        {
            govern_xr_fail(x, "containers nested deeper than %d",
                           GOVERN_JV_MAX_DEPTH);
            return;
        }

        x->containers++;
    }

    if (!govern_xr_grow(x, (void **) &x->frames, &x->frames_cap,
                        x->nframes + 1, sizeof(govern_xr_frame_t)))
    {
        return;
    }

    at = govern_xr_index(x);

    f = &x->frames[x->nframes++];
    memset(f, 0, sizeof(govern_xr_frame_t));
    f->kind = (uint8_t) kind;
    f->element = (uint8_t) e;
    f->start = (uint32_t) at;
    f->start_len = (uint32_t) govern_xr_count(x);
    f->base = x->top;

    x->text_len = 0;
}


static void XMLCALL
govern_xr_text(void *data, const XML_Char *s, int len)
{
    long                       at;
    size_t                     i, need;
    govern_xr_frame_t         *f;
    govern_xmlrpc_t           *x = data;

    if (x->failed) {
        return;
    }

    f = &x->frames[x->nframes - 1];

    if (!govern_xr_leaf(f->kind)
        && !(f->kind == GOVERN_XR_VALUE
             && !(f->seen & GOVERN_XR_SEEN_CHILD)))
    {
        for (i = 0; i < (size_t) len && govern_xr_space(s[i]); i++) {
            /* void */
        }

        if (i == (size_t) len) {
            return;
        }

        /*
         * At the first byte that is not whitespace, wherever expat's
         * buffers ended: a run of characters is delivered as it is in
         * the body, a reference (&#65;) whole, from its '&'.
         */

        at = govern_xr_index(x);

        if (govern_xr_count(x) == len) {
            at += i;
        }

        govern_xr_fail_at(x, (size_t) at, f->kind == GOVERN_XR_VALUE
                          ? "text beside a typed value in a <value>"
                          : "text is not accepted in <%s>",
                          govern_xr_elements[f->element].name);
        return;
    }

    /* one more byte for the NUL a number is read with */
    need = x->text_len + (size_t) len + 1;

    if (!govern_xr_grow(x, (void **) &x->text, &x->text_cap, need, 1)) {
        return;
    }

    memcpy(x->text + x->text_len, s, len);
    x->text_len += len;
}


/* the root: {"params": {"service": S, "method": M, "args": args}} */

static void
govern_xr_root(govern_xmlrpc_t *x, govern_xr_frame_t *f,
    size_t end)
{
    govern_jv_t                *root, *params;
    govern_jmember_t           *top, *m;

    root = x->alloc(x->alloc_ctx, sizeof(govern_jv_t));
    top = x->alloc(x->alloc_ctx, sizeof(govern_jmember_t));
    m = x->alloc(x->alloc_ctx, 3 * sizeof(govern_jmember_t));

    if (root == NULL || top == NULL || m == NULL) {
        govern_xr_fail(x, "out of memory");
        return;
    }

    memset(m, 0, 3 * sizeof(govern_jmember_t));

    m[0].key = GOVERN_XR_SERVICE_KEY;
    m[0].key_len = sizeof("service") - 1;
    m[0].value.type = GOVERN_JV_STRING;
    m[0].value.len = strlen(x->service);
    m[0].value.u.string = x->service;

    m[1].key = GOVERN_XR_METHOD_KEY;
    m[1].key_len = sizeof("method") - 1;
    m[1].value = x->method;

    m[2].key = GOVERN_XR_ARGS_KEY;
    m[2].key_len = sizeof("args") - 1;
    m[2].value = f->v;

    top->key = GOVERN_XR_PARAMS_KEY;
    top->key_len = sizeof("params") - 1;

    params = &top->value;
    params->type = GOVERN_JV_OBJECT;
    params->start = f->start;
    params->end = (uint32_t) end;
    params->len = 3;
    params->u.members = m;

    root->type = GOVERN_JV_OBJECT;
    root->start = f->start;
    root->end = (uint32_t) end;
    root->len = 1;
    root->u.members = top;

    x->root = root;
}


static void XMLCALL
govern_xr_end(void *data, const XML_Char *name)
{
    long                       at, count;
    size_t                     end;
    govern_xr_frame_t         *f, *parent;
    govern_jv_t                v;
    govern_xmlrpc_t           *x = data;

    if (x->failed) {
        return;
    }

    f = &x->frames[x->nframes - 1];
    parent = f - 1;

    /* an empty-element tag's end is reported with no bytes of its own */

    at = govern_xr_index(x);
    count = govern_xr_count(x);
    end = count ? (size_t) (at + count) : f->start + f->start_len;

    switch (f->kind) {

    case GOVERN_XR_METHOD_NAME:
        if (!govern_xr_method_name(x->text, x->text_len)) {
            govern_xr_fail_at(x, f->start, "<methodName> is not a method "
                              "name (A-Z, a-z, 0-9, _ . : /)");
            return;
        }

        x->method.type = GOVERN_JV_STRING;
        x->method.start = f->start;
        x->method.end = (uint32_t) end;
        x->method.len = x->text_len;
        x->method.u.string = govern_xr_copy(x, x->text, x->text_len);
        break;

    case GOVERN_XR_NAME:
        parent->key = govern_xr_copy(x, x->text, x->text_len);
        parent->key_len = x->text_len;
        break;

    case GOVERN_XR_NIL:
        parent->v.type = GOVERN_JV_NULL;
        break;

    case GOVERN_XR_INT:
    case GOVERN_XR_BOOLEAN:
    case GOVERN_XR_STRING:
    case GOVERN_XR_DOUBLE:
    case GOVERN_XR_DATETIME:
    case GOVERN_XR_BASE64:
        govern_xr_scalar(x, f, &parent->v);
        break;

    case GOVERN_XR_DATA:
        /* the <value> holding the <array> holding this */
        (void) govern_xr_array(x, f->base, &(parent - 1)->v);
        break;

    case GOVERN_XR_ARRAY:
        if (!(f->seen & GOVERN_XR_SEEN_DATA)) {
            govern_xr_fail_at(x, f->start, "an <array> holds one <data>");
            return;
        }

        x->containers--;
        break;

    case GOVERN_XR_STRUCT:
        (void) govern_xr_struct(x, f->base, &parent->v);
        x->containers--;
        break;

    case GOVERN_XR_MEMBER:
        if (!(f->seen & GOVERN_XR_SEEN_VALUE)) {
            govern_xr_fail_at(x, f->start,
                              "a <member> holds one <name>, then one <value>");
            return;
        }

        (void) govern_xr_push(x, f->key, f->key_len, &f->v);
        break;

    case GOVERN_XR_VALUE:
        v = f->v;

        if (!(f->seen & GOVERN_XR_SEEN_CHILD)) {
            /* no type: a string (end_value() in Python) */
            v.type = GOVERN_JV_STRING;
            v.len = x->text_len;
            v.u.string = govern_xr_copy(x, x->text, x->text_len);
        }

        v.start = f->start;
        v.end = (uint32_t) end;

        if (parent->kind == GOVERN_XR_DATA) {
            (void) govern_xr_push(x, NULL, 0, &v);

        } else {
            parent->v = v;      /* a param's or a member's */
        }

        break;

    case GOVERN_XR_PARAM:
        if (!(f->seen & GOVERN_XR_SEEN_VALUE)) {
            govern_xr_fail_at(x, f->start, "a <param> holds one <value>");
            return;
        }

        /* a parameter spans its <param>: replaced or followed whole */
        v = f->v;
        v.start = f->start;
        v.end = (uint32_t) end;
        (void) govern_xr_push(x, NULL, 0, &v);
        break;

    case GOVERN_XR_PARAMS:
        if (govern_xr_array(x, f->base, &parent->v)) {
            parent->v.start = f->start;
            parent->v.end = (uint32_t) end;
        }

        break;

    case GOVERN_XR_METHOD_CALL:
        if (!(f->seen & GOVERN_XR_SEEN_NAME)) {
            govern_xr_fail_at(x, f->start, "a <methodCall> holds one "
                              "<methodName>, then one <params>");
            return;
        }

        if (!(f->seen & GOVERN_XR_SEEN_PARAMS)) {
            /* no parameters: where <params> would be */
            f->v.type = GOVERN_JV_ARRAY;
            f->v.start = (uint32_t) at;
            f->v.end = (uint32_t) at;
        }

        govern_xr_root(x, f, end);
        break;
    }

    x->nframes--;
    x->text_len = 0;
}


static void XMLCALL
govern_xr_declaration(void *data, const XML_Char *version,
    const XML_Char *encoding, int standalone)
{
    govern_xmlrpc_t           *x = data;

    if (x->failed || encoding == NULL) {
        return;
    }

    if (strcasecmp(encoding, "UTF-8") != 0) {
        govern_xr_fail(x, "the body must be UTF-8 (it declares %.40s)",
                       encoding);
    }
}


static void XMLCALL
govern_xr_doctype(void *data, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
    govern_xr_fail(data, "a DOCTYPE is not accepted");
}


static void XMLCALL
govern_xr_entity_declaration(void *data, const XML_Char *name,
    int parameter, const XML_Char *value, int value_length,
    const XML_Char *base, const XML_Char *sysid, const XML_Char *pubid,
    const XML_Char *notation)
{
    govern_xr_fail(data, "entity declarations are not accepted");
}


static int XMLCALL
govern_xr_external_entity(XML_Parser parser, const XML_Char *context,
    const XML_Char *base, const XML_Char *sysid, const XML_Char *pubid)
{
    govern_xr_fail(XML_GetUserData(parser),
                   "external entities are not accepted");
    return XML_STATUS_ERROR;
}


static void XMLCALL
govern_xr_skipped_entity(void *data, const XML_Char *name, int parameter)
{
    govern_xr_fail(data, "entities are not accepted");
}


static void XMLCALL
govern_xr_comment(void *data, const XML_Char *text)
{
    govern_xr_fail(data, "comments are not accepted");
}


static void XMLCALL
govern_xr_instruction(void *data, const XML_Char *target,
    const XML_Char *text)
{
    govern_xr_fail(data, "processing instructions are not accepted");
}


/* the reader */


/*
 * The salt of expat's hash tables (attribute names are hashed before a
 * handler can refuse them: a known salt would let a start tag of colliding
 * names cost quadratic time).  expat draws one per parser with getrandom()
 * when none is given, a system call a request here need not make: one
 * secret per process, drawn once, and a counter, mixed (splitmix64).
 */

static unsigned long
govern_xr_salt(void)
{
    uint64_t         z;
    static uint64_t  secret, counter;
    static int       drawn;

    if (!drawn) {
        if (getrandom(&secret, sizeof(secret), GRND_NONBLOCK)
            != (ssize_t) sizeof(secret))
        {
            return 0;           /* expat then draws its own */
        }

        drawn = 1;
    }

    z = secret + ++counter * 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;

    return z ? (unsigned long) z : 1;
}


/* the reader's state, without a parser yet */

static govern_xmlrpc_t *
govern_xr_init(const char *path, size_t path_len, size_t max_size,
    govern_jv_alloc_pt alloc, void *alloc_ctx, govern_jv_error_t *err)
{
    const char                *service, *why;
    govern_xmlrpc_t           *x;

    service = govern_xmlrpc_service(path, path_len, &why);

    if (service == NULL) {
        if (err) {
            err->position = 0;
            snprintf(err->text, sizeof(err->text), "%s", why);
        }

        return NULL;
    }

    x = alloc(alloc_ctx, sizeof(govern_xmlrpc_t));
    if (x == NULL) {
        goto nomem;
    }

    memset(x, 0, sizeof(govern_xmlrpc_t));
    x->service = service;
    x->alloc = alloc;
    x->alloc_ctx = alloc_ctx;
    x->err = err;

    /* spans are 32-bit */
    x->max_size = max_size < UINT32_MAX ? max_size : UINT32_MAX;

    if (!govern_xr_grow(x, (void **) &x->frames, &x->frames_cap, 16,
                        sizeof(govern_xr_frame_t)))
    {
        goto nomem;
    }

    memset(&x->frames[0], 0, sizeof(govern_xr_frame_t));
    x->nframes = 1;

    if (!govern_xr_grow(x, (void **) &x->text, &x->text_cap, 256, 1)) {
        govern_xmlrpc_destroy(x);
        goto nomem;
    }

    return x;

nomem:

    if (err) {
        err->position = 0;
        snprintf(err->text, sizeof(err->text), "out of memory");
    }

    return NULL;
}


govern_xmlrpc_t *
govern_xmlrpc_create(const char *path, size_t path_len,
    size_t max_size, govern_jv_alloc_pt alloc, void *alloc_ctx,
    govern_jv_error_t *err)
{
    XML_Parser                 p;
    unsigned long              salt;
    govern_xmlrpc_t           *x;

    x = govern_xr_init(path, path_len, max_size, alloc, alloc_ctx, err);
    if (x == NULL) {
        return NULL;
    }

    /* UTF-8 whatever the document declares: others are refused */
    p = XML_ParserCreate("UTF-8");
    if (p == NULL) {
        govern_xmlrpc_destroy(x);

        if (err) {
            err->position = 0;
            snprintf(err->text, sizeof(err->text), "out of memory");
        }

        return NULL;
    }

    x->parser = p;

    salt = govern_xr_salt();

    if (salt) {
        XML_SetHashSalt(p, salt);
    }

    XML_SetUserData(p, x);
    XML_SetElementHandler(p, govern_xr_start, govern_xr_end);
    XML_SetCharacterDataHandler(p, govern_xr_text);
    XML_SetXmlDeclHandler(p, govern_xr_declaration);
    XML_SetStartDoctypeDeclHandler(p, govern_xr_doctype);
    XML_SetEntityDeclHandler(p, govern_xr_entity_declaration);
    XML_SetExternalEntityRefHandler(p, govern_xr_external_entity);
    XML_SetSkippedEntityHandler(p, govern_xr_skipped_entity);
    XML_SetCommentHandler(p, govern_xr_comment);
    XML_SetProcessingInstructionHandler(p, govern_xr_instruction);
    XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);

    return x;
}


int
govern_xmlrpc_feed(govern_xmlrpc_t *x, const char *data,
    size_t len)
{
    size_t  n;

    if (x->failed || x->parser == NULL) {
        return 0;
    }

    if (len > x->max_size - x->fed) {
        govern_xr_fail_at(x, x->max_size, "the body is longer than %zu "
                          "bytes", x->max_size);
        return 0;
    }

    while (len) {
        n = len < GOVERN_XR_CHUNK ? len : GOVERN_XR_CHUNK;

        if (XML_Parse(x->parser, data, (int) n, 0) != XML_STATUS_OK) {
            govern_xr_expat_error(x);
            return 0;
        }

        data += n;
        len -= n;
        x->fed += n;
    }

    return 1;
}


govern_jv_t *
govern_xmlrpc_finish(govern_xmlrpc_t *x)
{
    govern_jv_t           *root;

    if (x->parser == NULL) {
        if (!x->failed) {
            govern_xr_fail_at(x, 0, "the reader is finished");
        }

        return NULL;
    }

    if (!x->failed
        && XML_Parse(x->parser, NULL, 0, 1) != XML_STATUS_OK)
    {
        govern_xr_expat_error(x);
    }

    root = x->failed ? NULL : x->root;

    if (root == NULL && !x->failed) {
        govern_xr_fail_at(x, x->fed, "not a whole <methodCall>");
    }

    govern_xmlrpc_destroy(x);

    return root;
}


void
govern_xmlrpc_destroy(govern_xmlrpc_t *x)
{
    if (x->parser) {
        XML_ParserFree(x->parser);
        x->parser = NULL;
    }

    free(x->frames);
    free(x->scratch);
    free(x->text);

    x->frames = NULL;
    x->scratch = NULL;
    x->text = NULL;
    x->frames_cap = 0;
    x->scratch_cap = 0;
    x->text_cap = 0;
}


/*
 * The fast reader.  expat reads about 100 MB/s here, 15 us for the 1.8 KB
 * methodCall a partner's search_read is, most of what governing it costs.
 * The clients partners use write a small part of XML: the declaration,
 * elements without attributes, ASCII text with the five predefined
 * entities.  That part is read here, reporting to the same handlers at the
 * same offsets as expat would; at anything else (a byte over 0x7e or
 * under 0x20 but tab and newline, a CR expat would fold, any other
 * reference, a comment, CDATA, DOCTYPE, attributes, a space in a tag, a
 * mismatched end tag) or any refusal it gives up, and expat reads the body
 * from its start: the fast reader only ever says yes, with expat's tree,
 * or "ask expat" (fuzz_xmlrpc holds it to that).
 */

#define GOVERN_XR_FAST_NAME     32      /* dateTime.iso8601 is 16 */
#define GOVERN_XR_FAST_DEPTH    128


static const char *const  govern_xr_no_attributes[] = { NULL };


/* a character of text the fast reader takes as it is */

static const uint8_t  govern_xr_plain[256] = {
    ['\t'] = 1, ['\n'] = 1,
    [' '] = 1, ['!'] = 1, ['"'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1,
    ['\''] = 1, ['('] = 1, [')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1,
    ['-'] = 1, ['.'] = 1, ['/'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1,
    ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1,
    ['9'] = 1, [':'] = 1, [';'] = 1, ['='] = 1, ['>'] = 1, ['?'] = 1,
    ['@'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1,
    ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1,
    ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1,
    ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1,
    ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['['] = 1, ['\\'] = 1, [']'] = 1,
    ['^'] = 1, ['_'] = 1, ['`'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1,
    ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
    ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1,
    ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['{'] = 1,
    ['|'] = 1, ['}'] = 1, ['~'] = 1
};


/* the declarations clients write; 0 for any other */

static size_t
govern_xr_fast_declaration(const char *p, size_t len)
{
    size_t             i, n;
    static const char *const  forms[] = {
        "<?xml version='1.0'?>",
        "<?xml version=\"1.0\"?>",
        "<?xml version='1.0' encoding='UTF-8'?>",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
        "<?xml version='1.0' encoding='utf-8'?>",
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
    };

    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        n = strlen(forms[i]);

        if (len >= n && memcmp(p, forms[i], n) == 0) {
            return n;
        }
    }

    return 0;
}


/* a name of [A-Za-z][A-Za-z0-9.]*, copied NUL-terminated; its length */

static size_t
govern_xr_fast_name(const char *p, const char *end, char *name)
{
    size_t  n;

    for (n = 0; p + n < end && n < GOVERN_XR_FAST_NAME - 1; n++) {
        unsigned char  c = (unsigned char) p[n];

        if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
            && !(n > 0 && ((c >= '0' && c <= '9') || c == '.')))
        {
            break;
        }

        name[n] = (char) c;
    }

    name[n] = '\0';

    return n;
}


govern_jv_t *
govern_xmlrpc_parse_fast(const char *path, size_t path_len,
    const char *text, size_t len, size_t max_size,
    govern_jv_alloc_pt alloc, void *alloc_ctx)
{
    char                       name[GOVERN_XR_FAST_NAME];
    size_t                     n, depth;
    const char                *p, *end, *run;
    govern_jv_t               *root;
    govern_xmlrpc_t           *x;
    struct {
        const char            *name;
        size_t                 len;
    }                          open[GOVERN_XR_FAST_DEPTH];

    if (len > max_size || len > UINT32_MAX) {
        return NULL;
    }

    x = govern_xr_init(path, path_len, max_size, alloc, alloc_ctx, NULL);
    if (x == NULL) {
        return NULL;
    }

    p = text;
    end = text + len;
    depth = 0;

    p += govern_xr_fast_declaration(p, len);

    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n')) {
        p++;
    }

    do {
        if (p == end || x->failed) {
            goto expat;
        }

        x->at = (size_t) (p - text);

        if (*p == '<') {

            if (p + 1 < end && p[1] == '/') {

                /* an end tag: </name> closing the open element */

                if (depth == 0) {
                    goto expat;
                }

                depth--;
                n = open[depth].len;

                if ((size_t) (end - p) < n + 3
                    || memcmp(p + 2, open[depth].name, n) != 0
                    || p[2 + n] != '>')
                {
                    goto expat;
                }

                x->count = n + 3;
                memcpy(name, open[depth].name, n);
                name[n] = '\0';

                govern_xr_end(x, name);

                p += n + 3;
                continue;
            }

            /* a start tag, <name> or <name/> */

            n = govern_xr_fast_name(p + 1, end, name);

            if (n == 0 || p + 1 + n == end || depth == GOVERN_XR_FAST_DEPTH) {
                goto expat;
            }

            if (p[1 + n] == '>') {
                x->count = n + 2;
                govern_xr_start(x, name, (const char **)
                                         govern_xr_no_attributes);

                open[depth].name = p + 1;
                open[depth].len = n;
                depth++;

                p += n + 2;
                continue;
            }

            if (p[1 + n] != '/' || p + 2 + n == end || p[2 + n] != '>') {
                goto expat;
            }

            x->count = n + 3;
            govern_xr_start(x, name, (const char **) govern_xr_no_attributes);

            if (x->failed) {
                goto expat;
            }

            /* expat reports an empty element's end with no bytes */
            x->count = 0;
            govern_xr_end(x, name);

            p += n + 3;
            continue;
        }

        if (depth == 0) {
            goto expat;
        }

        if (*p == '&') {
            static const struct {
                const char  *ref;
                size_t       len;
                char         c;
            } refs[] = {
                { "&lt;", 4, '<' }, { "&gt;", 4, '>' }, { "&amp;", 5, '&' },
                { "&quot;", 6, '"' }, { "&apos;", 6, '\'' }
            };

            for (n = 0; n < sizeof(refs) / sizeof(refs[0]); n++) {
                if ((size_t) (end - p) >= refs[n].len
                    && memcmp(p, refs[n].ref, refs[n].len) == 0)
                {
                    break;
                }
            }

            if (n == sizeof(refs) / sizeof(refs[0])) {
                goto expat;
            }

            x->count = refs[n].len;
            govern_xr_text(x, &refs[n].c, 1);

            p += refs[n].len;
            continue;
        }

        /* a run of text; "]]>" is not XML */

        run = p;

        while (p < end && govern_xr_plain[(unsigned char) *p]) {
            if (*p == '>' && p - run >= 2 && p[-1] == ']' && p[-2] == ']') {
                goto expat;
            }

            p++;
        }

        if (p == run || (p < end && *p != '<' && *p != '&')) {
            goto expat;
        }

        x->count = (size_t) (p - run);
        govern_xr_text(x, run, (int) (p - run));

    } while (depth);

    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n')) {
        p++;
    }

    if (p != end || x->failed || x->root == NULL) {
        goto expat;
    }

    x->fed = len;
    root = x->root;
    govern_xmlrpc_destroy(x);

    return root;

expat:

    govern_xmlrpc_destroy(x);

    return NULL;
}


govern_jv_t *
govern_xmlrpc_parse(const char *path, size_t path_len,
    const char *text, size_t len, size_t max_size,
    govern_jv_alloc_pt alloc, void *alloc_ctx,
    govern_jv_error_t *err)
{
    govern_jv_t               *root;
    govern_xmlrpc_t           *x;

    root = govern_xmlrpc_parse_fast(path, path_len, text, len, max_size,
                                     alloc, alloc_ctx);
    if (root) {
        return root;
    }

    x = govern_xmlrpc_create(path, path_len, max_size, alloc,
                             alloc_ctx, err);
    if (x == NULL) {
        return NULL;
    }

    (void) govern_xmlrpc_feed(x, text, len);

    return govern_xmlrpc_finish(x);
}


/* the clamp */


/*
 * The <struct> start tag a value's span holds (after its <param> and
 * <value> start tags): the offsets of its '<' and of the byte after it,
 * and whether it is <struct/>.  The reader accepted no attribute,
 * comment or processing instruction, so tags are "<name S? >" or
 * "<name S? />" and only whitespace lies between them.
 */

static int
govern_xr_struct_tag(const char *text, const govern_jv_t *v,
    size_t *tag, size_t *after, int *empty)
{
    size_t  p, name, name_len;

    p = v->start;

    while (p < v->end) {
        while (p < v->end && govern_xr_space(text[p])) {
            p++;
        }

        if (p == v->end || text[p] != '<') {
            return 0;
        }

        *tag = p;
        name = ++p;

        while (p < v->end && text[p] != '>' && text[p] != '/'
               && !govern_xr_space(text[p]))
        {
            p++;
        }

        name_len = p - name;

        while (p < v->end && govern_xr_space(text[p])) {
            p++;
        }

        if (p == v->end) {
            return 0;
        }

        if (name_len == 6 && memcmp(text + name, "struct", 6) == 0) {
            *empty = (text[p] == '/');
            *after = p + (*empty ? 2 : 1);
            return *after <= v->end;
        }

        if (text[p] != '>') {
            return 0;
        }

        p++;
    }

    return 0;
}


#define GOVERN_XR_LIMIT_MEMBER                                                \
    "<member><name>limit</name><value><int>%lld</int></value></member>"


int
govern_xmlrpc_clamp(const char *text,
    const govern_odoo_call_t *call, long long n,
    govern_xmlrpc_edit_t *e)
{
    int                          empty;
    size_t                       tag, after;
    const govern_jv_t           *v, *kwargs;

    v = call->limit_value;

    if (v) {
        e->start = v->start;
        e->end = v->end;

        /* execute's positional limit is a parameter: its <param> */
        e->len = snprintf(e->text, sizeof(e->text),
                          text[v->start + 1] == 'p'
                          ? "<param><value><int>%lld</int></value></param>"
                          : "<value><int>%lld</int></value>", n);
        return 1;
    }

    if (govern_jv_is_object(call->kwargs)) {
        if (!govern_xr_struct_tag(text, call->kwargs, &tag, &after, &empty)) {
            return 0;
        }

        if (empty) {
            e->start = tag;
            e->end = after;
            e->len = snprintf(e->text, sizeof(e->text),
                              "<struct>" GOVERN_XR_LIMIT_MEMBER "</struct>",
                              n);

        } else {
            e->start = after;
            e->end = after;
            e->len = snprintf(e->text, sizeof(e->text),
                              GOVERN_XR_LIMIT_MEMBER, n);
        }

        return 1;
    }

    if (call->rpc_args) {
        /* execute_kw(db, uid, key, model, method, args[, kwargs]) */

        kwargs = govern_jv_item(call->rpc_args, 6);

        if (kwargs) {                   /* nil */
            e->start = kwargs->start;
            e->end = kwargs->end;

        } else if (call->args && call->rpc_args->len == 6) {
            e->start = call->rpc_args->u.items[5].end;
            e->end = e->start;

        } else {
            return 0;
        }

        e->len = snprintf(e->text, sizeof(e->text),
                          "<param><value><struct>" GOVERN_XR_LIMIT_MEMBER
                          "</struct></value></param>", n);
        return 1;
    }

    /* execute(db, uid, key, model, method, *args): the next parameter */

    if (call->args && call->args->len
        && call->shape.limit_position >= 0
        && call->args->len == call->skip + (size_t) call->shape.limit_position)
    {
        e->start = call->args->u.items[call->args->len - 1].end;
        e->end = e->start;
        e->len = snprintf(e->text, sizeof(e->text),
                          "<param><value><int>%lld</int></value></param>", n);
        return 1;
    }

    return 0;
}


/* writers */


typedef struct {
    char                         *buf;
    size_t                        size;
    size_t                        len;
} govern_xr_out_t;


static void
govern_xr_put(govern_xr_out_t *o, const char *s, size_t n)
{
    size_t  room;

    if (o->len < o->size) {
        room = o->size - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }

    o->len += n;
}


#define govern_xr_puts(o, lit)  govern_xr_put(o, lit, sizeof(lit) - 1)


static void
govern_xr_number_out(govern_xr_out_t *o, long long v)
{
    char  number[24];

    govern_xr_put(o, number, snprintf(number, sizeof(number), "%lld", v));
}



/*
 * The length of the UTF-8 character at s (at most len bytes), negative
 * when it is one XML cannot carry (U+FFFE, U+FFFF), 0 when it is not
 * UTF-8: malformed, overlong, a surrogate, beyond U+10FFFF.
 */

static ssize_t
govern_xr_utf8(const unsigned char *s, size_t len)
{
    size_t    n, i;
    uint32_t  cp, min;

    if (s[0] < 0x80) {
        return 1;
    }

    if ((s[0] & 0xe0) == 0xc0) {
        n = 2;
        cp = s[0] & 0x1f;
        min = 0x80;

    } else if ((s[0] & 0xf0) == 0xe0) {
        n = 3;
        cp = s[0] & 0x0f;
        min = 0x800;

    } else if ((s[0] & 0xf8) == 0xf0) {
        n = 4;
        cp = s[0] & 0x07;
        min = 0x10000;

    } else {
        return 0;
    }

    if (n > len) {
        return 0;
    }

    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }

        cp = (cp << 6) | (s[i] & 0x3f);
    }

    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }

    return (cp == 0xfffe || cp == 0xffff) ? -(ssize_t) n : (ssize_t) n;
}


/*
 * s as Odoo's marshaller writes a string: control characters other than
 * tab, newline and carriage return removed (OdooMarshaller.dump_unicode),
 * then &, <, > escaped (xmlrpc.client.escape).  What Python's str could
 * not hold, or XML could not carry, is written as U+FFFD.
 */

static void
govern_xr_escape(govern_xr_out_t *o, const char *s, size_t len)
{
    size_t                i, n;
    ssize_t               c;
    const unsigned char  *p;

    p = (const unsigned char *) s;

    for (i = 0; i < len; i += n) {
        c = govern_xr_utf8(p + i, len - i);

        if (c <= 0) {
            /* not UTF-8: a byte at a time; not XML: the character */
            govern_xr_puts(o, "\xef\xbf\xbd");
            n = c ? (size_t) -c : 1;
            continue;
        }

        n = (size_t) c;

        switch (p[i]) {

        case '&':
            govern_xr_puts(o, "&amp;");
            break;

        case '<':
            govern_xr_puts(o, "&lt;");
            break;

        case '>':
            govern_xr_puts(o, "&gt;");
            break;

        case '\t':
        case '\n':
        case '\r':
            govern_xr_put(o, s + i, 1);
            break;

        default:
            if (p[i] >= 0x20) {
                govern_xr_put(o, s + i, n);
            }
        }
    }
}


/*
 * Odoo's dumps(): Marshaller(allow_none=False).dumps() of a Fault or of a
 * one-value tuple, wrapped in <methodResponse> by an f-string with a line
 * of its own (hence the blank line before </methodResponse>).
 */

#define GOVERN_XR_HEAD  "<?xml version=\"1.0\"?>\n<methodResponse>\n"
#define GOVERN_XR_TAIL  "\n</methodResponse>\n"

#define GOVERN_XR_FAULT_HEAD                                                  \
    GOVERN_XR_HEAD "<fault>\n<value><struct>\n<member>\n"                     \
    "<name>faultCode</name>\n"
#define GOVERN_XR_FAULT_MIDDLE                                                \
    "</member>\n<member>\n<name>faultString</name>\n<value><string>"
#define GOVERN_XR_FAULT_TAIL                                                  \
    "</string></value>\n</member>\n</struct></value>\n</fault>\n"             \
    GOVERN_XR_TAIL


static size_t
govern_xr_fault(char *buf, size_t size, int code, const char *prefix,
    const char *code_text, size_t code_len, const char *string, size_t len)
{
    govern_xr_out_t  o;

    o.buf = buf;
    o.size = size;
    o.len = 0;

    govern_xr_puts(&o, GOVERN_XR_FAULT_HEAD);

    if (code_text == NULL) {
        govern_xr_puts(&o, "<value><int>");
        govern_xr_number_out(&o, code);
        govern_xr_puts(&o, "</int></value>\n");

    } else {
        govern_xr_puts(&o, "<value><string>");
        govern_xr_escape(&o, prefix, strlen(prefix));
        govern_xr_escape(&o, code_text, code_len);
        govern_xr_puts(&o, "</string></value>\n");
    }

    govern_xr_puts(&o, GOVERN_XR_FAULT_MIDDLE);
    govern_xr_escape(&o, string, len);
    govern_xr_puts(&o, GOVERN_XR_FAULT_TAIL);

    return o.len;
}


size_t
govern_xmlrpc_fault_int(char *buf, size_t size, int code,
    const char *string, size_t len)
{
    return govern_xr_fault(buf, size, code, NULL, NULL, 0, string, len);
}


size_t
govern_xmlrpc_fault_string(char *buf, size_t size,
    const char *code, size_t code_len, const char *string, size_t len)
{
    return govern_xr_fault(buf, size, 0, "", code, code_len, string, len);
}


/*
 * xmlrpc_handle_exception_int(): 4 AccessError, 3 AccessDenied, 2
 * UserError (MissingError is one), 1 anything else, faultString str(e).
 * xmlrpc_handle_exception_string(): ("warning -- <Class>\n\n" + str(e),
 * "") for UserError, MissingError, AccessError; ("AccessDenied", str(e));
 * anything else (str(e), its traceback), the message standing in for the
 * traceback the gateway does not have.
 */

size_t
govern_xmlrpc_fault(char *buf, size_t size, int style,
    int exception, const char *message, size_t len)
{
    const char  *prefix;

    if (style == GOVERN_XMLRPC_INT_FAULTS) {
        switch (exception) {

        case GOVERN_XMLRPC_ACCESS_ERROR:
            return govern_xmlrpc_fault_int(buf, size, 4, message,
                                           len);

        case GOVERN_XMLRPC_ACCESS_DENIED:
            return govern_xmlrpc_fault_int(buf, size, 3, message,
                                           len);

        case GOVERN_XMLRPC_USER_ERROR:
        case GOVERN_XMLRPC_MISSING_ERROR:
            return govern_xmlrpc_fault_int(buf, size, 2, message,
                                           len);

        default:
            return govern_xmlrpc_fault_int(buf, size, 1, message,
                                           len);
        }
    }

    switch (exception) {

    case GOVERN_XMLRPC_ACCESS_DENIED:
        return govern_xmlrpc_fault_string(buf, size, "AccessDenied",
                                          sizeof("AccessDenied") - 1,
                                          message, len);

    case GOVERN_XMLRPC_ACCESS_ERROR:
        prefix = "warning -- AccessError\n\n";
        break;

    case GOVERN_XMLRPC_MISSING_ERROR:
        prefix = "warning -- MissingError\n\n";
        break;

    case GOVERN_XMLRPC_USER_ERROR:
        prefix = "warning -- UserError\n\n";
        break;

    default:
        return govern_xmlrpc_fault_string(buf, size, message, len,
                                          message, len);
    }

    return govern_xr_fault(buf, size, 0, prefix, message, len, "", 0);
}


static size_t
govern_xr_response(char *buf, size_t size, const char *type, long long v)
{
    govern_xr_out_t  o;

    o.buf = buf;
    o.size = size;
    o.len = 0;

    govern_xr_puts(&o, GOVERN_XR_HEAD "<params>\n<param>\n<value><");
    govern_xr_put(&o, type, strlen(type));
    govern_xr_puts(&o, ">");
    govern_xr_number_out(&o, v);
    govern_xr_puts(&o, "</");
    govern_xr_put(&o, type, strlen(type));
    govern_xr_puts(&o, "></value>\n</param>\n</params>\n" GOVERN_XR_TAIL);

    return o.len;
}


size_t
govern_xmlrpc_response_int(char *buf, size_t size, int v)
{
    return govern_xr_response(buf, size, "int", v);
}


size_t
govern_xmlrpc_response_boolean(char *buf, size_t size, int v)
{
    return govern_xr_response(buf, size, "boolean", v ? 1 : 0);
}


size_t
govern_xmlrpc_param_string(char *buf, size_t size, const char *s,
    size_t len)
{
    govern_xr_out_t  o;

    o.buf = buf;
    o.size = size;
    o.len = 0;

    govern_xr_puts(&o, "<param><value><string>");
    govern_xr_escape(&o, s, len);
    govern_xr_puts(&o, "</string></value></param>");

    return o.len;
}


size_t
govern_xmlrpc_param_int(char *buf, size_t size, long long v)
{
    govern_xr_out_t  o;

    o.buf = buf;
    o.size = size;
    o.len = 0;

    govern_xr_puts(&o, "<param><value><int>");
    govern_xr_number_out(&o, v);
    govern_xr_puts(&o, "</int></value></param>");

    return o.len;
}
