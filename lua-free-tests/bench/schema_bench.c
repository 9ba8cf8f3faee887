/*
 * make bench-schema, govern's side: the order schema and payloads through
 * the validator, reporting validations per second for validate-only and
 * for parse + validate (the parse into an arena freed after each round,
 * as the request pool is in the gateway).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "govern_schema.h"


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


int
main(int argc, char **argv)
{
    int                        i, n, rounds;
    char                       err[512], *buf;
    long                       len;
    FILE                      *f;
    double                     t;
    govern_jv_t                 *doc;
    govern_schema_t             *schema;
    govern_jv_arena_t            arena;

    if (argc != 4) {
        fprintf(stderr, "usage: schema_bench SCHEMA PAYLOAD ROUNDS\n");
        return 2;
    }

    schema = govern_schema_compile_file(argv[1], err, sizeof(err));
    if (schema == NULL) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }

    f = fopen(argv[2], "rb");
    if (f == NULL) {
        return 2;
    }

    fseek(f, 0, SEEK_END);
    len = ftell(f);
    rewind(f);
    buf = malloc(len);
    if (buf == NULL || fread(buf, 1, len, f) != (size_t) len) {
        return 2;
    }

    fclose(f);
    rounds = atoi(argv[3]);

    arena.blocks = NULL;
    doc = govern_jv_parse(buf, len, 0,
                          govern_jv_arena_alloc, &arena,
                          NULL);
    if (doc == NULL || !govern_schema_validate(schema, doc, NULL)) {
        fprintf(stderr, "the payload must be valid\n");
        return 2;
    }

    t = now();
    for (i = 0, n = 0; i < rounds; i++) {
        n += govern_schema_validate(schema, doc, NULL);
    }
    printf("govern validate-only: %.0f/s\n", n / (now() - t));

    govern_jv_arena_free(&arena);

    t = now();
    for (i = 0, n = 0; i < rounds; i++) {
        doc = govern_jv_parse(buf, len, 0,
                              govern_jv_arena_alloc,
                              &arena, NULL);
        n += govern_schema_validate(schema, doc, NULL);
        govern_jv_arena_free(&arena);
    }
    printf("govern parse+validate: %.0f/s\n", n / (now() - t));

    govern_schema_free(schema);
    free(buf);

    return 0;
}
