
/*
 * govern: an arena for parses outside nginx (tests, fuzzers, CLIs): blocks
 * of malloc()ed memory freed at once; nginx parses into the request pool.
 */


#include <stdlib.h>

#include "govern_jv_int.h"


#define GOVERN_JV_BLOCK    16384
#define GOVERN_JV_HEADER                                                     \
    ((sizeof(govern_jv_block_t) + 15) & ~(size_t) 15)


void *
govern_jv_arena_alloc(void *data, size_t size)
{
    size_t                       want;
    govern_jv_arena_t           *arena;
    govern_jv_block_t           *b;

    arena = data;
    size = (size + 15) & ~(size_t) 15;
    b = arena->blocks;

    if (b == NULL || b->size - b->used < size) {
        want = size > GOVERN_JV_BLOCK ? size : GOVERN_JV_BLOCK;

        b = malloc(GOVERN_JV_HEADER + want);
        if (b == NULL) {
            return NULL;
        }

        b->used = 0;
        b->size = want;
        b->next = arena->blocks;
        arena->blocks = b;
    }

    b->used += size;

    return (char *) b + GOVERN_JV_HEADER + b->used - size;
}


void
govern_jv_arena_free(govern_jv_arena_t *arena)
{
    govern_jv_block_t           *b, *next;

    for (b = arena->blocks; b; b = next) {
        next = b->next;
        free(b);
    }

    arena->blocks = NULL;
}
