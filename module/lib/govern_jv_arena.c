
/*
 * govern: an arena for parses outside nginx (tests, fuzzers, CLIs): blocks
 * of malloc()ed memory freed at once; nginx parses into the request pool.
 * Built with AddressSanitizer (the unit tests, the fuzzers), every
 * allocation is a block of its own and exactly its size, so reading or
 * writing one byte past it is reported, as it would not be inside a
 * shared block; like the request pool, the memory is never zeroed.
 */


#include <stdlib.h>

#include "govern_jv_int.h"


#if defined(__SANITIZE_ADDRESS__)
#define GOVERN_JV_PRECISE  1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GOVERN_JV_PRECISE  1
#endif
#endif

#ifndef GOVERN_JV_PRECISE
#define GOVERN_JV_PRECISE  0
#endif

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
    b = arena->blocks;

    if (GOVERN_JV_PRECISE) {
        b = NULL;

    } else {
        size = (size + 15) & ~(size_t) 15;
    }

    if (b == NULL || b->size - b->used < size) {
        want = (size > GOVERN_JV_BLOCK || GOVERN_JV_PRECISE)
               ? size : GOVERN_JV_BLOCK;

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
