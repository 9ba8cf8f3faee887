
/*
 * govern: JSON values parsed from a request body into the caller's memory
 * (the request pool in nginx).  One pass, strict RFC 8259: UTF-8 checked,
 * duplicate keys and nesting beyond a limit refused, every value keeping
 * its byte span in the text so a call can be rewritten by splicing.
 * Pure logic: no nginx types.
 */


#ifndef _GOVERN_JV_H_INCLUDED_
#define _GOVERN_JV_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <string.h>


#define GOVERN_JV_NULL              0
#define GOVERN_JV_FALSE             1
#define GOVERN_JV_TRUE              2
#define GOVERN_JV_INTEGER           3
#define GOVERN_JV_REAL              4
#define GOVERN_JV_STRING            5
#define GOVERN_JV_ARRAY             6
#define GOVERN_JV_OBJECT            7

/* parse flags */
#define GOVERN_JV_ALLOW_NUL           0x01  /* "\u0000" inside strings */
#define GOVERN_JV_BYTEWISE            0x02  /* no wide scans (tests) */
#define GOVERN_JV_NO_AVX512           0x04  /* AVX2 scans at most (tests) */

/*
 * Containers nested this deep (the root is depth 0) are checked as
 * strictly as the rest but not built: they keep their type, span and
 * number of children, with u.items NULL, until govern_jv_expand()
 * builds one.  A reader that needs a subtree the policy rarely reads (a
 * search's domain) pays for validating it only.
 */
#define GOVERN_JV_LAZY(depth)      ((unsigned) (depth) << 8)
#define GOVERN_JV_LAZY_DEPTH(flags)  (((flags) >> 8) & 0xff)

#define GOVERN_JV_MAX_DEPTH           64

/*
 * From the start of any parsed string or key at least this many bytes
 * are readable (its bytes, its NUL, and whatever follows in the block):
 * callers may load it a word at a time and mask what is not theirs.
 */
#define GOVERN_JV_READABLE            16


typedef struct govern_jv_s      govern_jv_t;
typedef struct govern_jmember_s govern_jmember_t;


struct govern_jv_s {
    unsigned                     type;
    uint32_t                     start;     /* its bytes in the text */
    uint32_t                     end;
    size_t                       len;       /* bytes, items or members */
    union {
        long long                    integer;
        double                       real;
        const char                  *string;    /* NUL-terminated copy */
        govern_jv_t                 *items;
        govern_jmember_t            *members;
    } u;
};


struct govern_jmember_s {
    const char                  *key;       /* NUL-terminated copy */
    size_t                       key_len;
    govern_jv_t                  value;
};


typedef void *(*govern_jv_alloc_pt)(void *ctx, size_t size);


typedef struct {
    size_t                       position;  /* byte offset of the error */
    char                         text[96];
} govern_jv_error_t;


/* a malloc-backed arena for callers outside nginx (CLI, tests, schemas) */
typedef struct govern_jv_block_s  govern_jv_block_t;

typedef struct {
    govern_jv_block_t           *blocks;
} govern_jv_arena_t;


/* the parse a lazy tree came from, for govern_jv_expand() */
typedef struct {
    const char                   *text;
    unsigned                      flags;
    govern_jv_alloc_pt            alloc;
    void                         *alloc_ctx;
} govern_jv_source_t;


/* the whole text must be one value, surrounded by whitespace only */
govern_jv_t *govern_jv_parse(const char *text, size_t len,
    unsigned flags, govern_jv_alloc_pt alloc, void *alloc_ctx,
    govern_jv_error_t *err);

/* builds a lazy container whole, in place; 0: out of memory */
int govern_jv_expand(govern_jv_t *v,
    const govern_jv_source_t *src);

govern_jv_t *govern_jv_get(const govern_jv_t *v,
    const char *key, size_t key_len);
govern_jv_t *govern_jv_item(const govern_jv_t *v,
    size_t i);
int govern_jv_equal(const govern_jv_t *a,
    const govern_jv_t *b);
int govern_jv_sort(const void **v, size_t n,
    int (*cmp)(const void *a, const void *b));
int govern_jv_unique(const govern_jv_t *array,
    long *budget, size_t *first, size_t *second);

void *govern_jv_arena_alloc(void *arena, size_t size);
void govern_jv_arena_free(govern_jv_arena_t *arena);


#define govern_jv_is(v, t)  ((v) != NULL && (v)->type == (t))
#define govern_jv_is_object(v)                                       \
    govern_jv_is(v, GOVERN_JV_OBJECT)
#define govern_jv_is_array(v)                                        \
    govern_jv_is(v, GOVERN_JV_ARRAY)
#define govern_jv_is_string(v)                                       \
    govern_jv_is(v, GOVERN_JV_STRING)
#define govern_jv_is_integer(v)                                      \
    govern_jv_is(v, GOVERN_JV_INTEGER)
#define govern_jv_is_null(v)                                         \
    govern_jv_is(v, GOVERN_JV_NULL)

/* a member by a NUL-terminated key (a literal's length is folded) */
#define govern_jv_getz(v, key)                                       \
    govern_jv_get(v, key, strlen(key))

/* a container left unbuilt by GOVERN_JV_LAZY() */
#define govern_jv_is_lazy(v)                                         \
    ((v) != NULL && ((v)->type == GOVERN_JV_ARRAY                             \
                     || (v)->type == GOVERN_JV_OBJECT)               \
     && (v)->len && (v)->u.items == NULL)

/* a string's text, or NULL for any other value (or none) */
#define govern_jv_string(v)                                          \
    (govern_jv_is_string(v) ? (v)->u.string : NULL)

/* items of an array, members of an object, else 0 */
#define govern_jv_size(v)                                            \
    ((v) != NULL && ((v)->type == GOVERN_JV_ARRAY                             \
                     || (v)->type == GOVERN_JV_OBJECT)               \
     ? (v)->len : 0)


#endif /* _GOVERN_JV_H_INCLUDED_ */
