
/*
 * govern: what the JSON parser, values and arena files share and nobody
 * else needs.
 */


#ifndef _GOVERN_JV_INT_H_INCLUDED_
#define _GOVERN_JV_INT_H_INCLUDED_


#include "govern_jv.h"


#define GOVERN_JV_SMALL_OBJECT  16      /* duplicate check by pairs */


struct govern_jv_block_s {
    govern_jv_block_t            *next;
    size_t                        used;
    size_t                        size;
    /* the memory follows, 16-aligned */
};


static inline int
govern_jv_key_cmp(const govern_jmember_t *a,
    const govern_jmember_t *b)
{
    if (a->key_len != b->key_len) {
        return a->key_len < b->key_len ? -1 : 1;
    }

    return memcmp(a->key, b->key, a->key_len);
}


/* keys are short and differ early: a loop, where memcmp() is a call */

static inline int
govern_jv_key_is(const govern_jmember_t *m,
    const char *key, size_t key_len)
{
    size_t  i;

    if (m->key_len != key_len) {
        return 0;
    }

    for (i = 0; i < key_len; i++) {
        if (m->key[i] != key[i]) {
            return 0;
        }
    }

    return 1;
}


/* the members' addresses sorted by key (malloc()ed), or NULL */
const void **govern_jv_sorted(const govern_jmember_t *m, size_t n);


#endif /* _GOVERN_JV_INT_H_INCLUDED_ */
