/*
 * libFuzzer target: a bearer token, the first thing a partner controls,
 * through govern's JWS decoder (header parse, key choice, signature,
 * payload claims) with an HS256 key, kid "k".  Refusals are expected;
 * a crash, leak or hang is a bug.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "govern_jwt.h"
#include "govern_jv.h"


static govern_jwt_keys_t  keys;


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                           err[256];
    const char                    *detail;
    govern_jv_arena_t              arena;
    govern_jwt_claims_t            claims;

    if (keys.nkeys == 0
        && govern_jwt_keys_load_buf(&keys,
               (const unsigned char *) "fuzz-secret-of-32-bytes-or-more!",
               32, "HS256", "k", err, sizeof(err))
           != 0)
    {
        abort();
    }

    arena.blocks = NULL;

    (void) govern_jwt_decode(data, size, &keys, "sub",
                             govern_jv_arena_alloc, &arena,
                             &claims, &detail);

    govern_jv_arena_free(&arena);

    return 0;
}
