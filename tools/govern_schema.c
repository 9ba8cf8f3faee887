
/*
 * govern-schema SCHEMA [INSTANCE...]: checks a schema and validates JSON
 * files with the code the gateway runs, for security teams' own CI.
 * Exit status: 0 all valid, 1 an instance is invalid, 2 a schema or file
 * problem.
 */


#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "govern_schema.h"


/* the whole file, as the gateway holds a body; NULL if it cannot be read */

static char *
govern_schema_read(const char *name, size_t *len)
{
    FILE    *f;
    char    *text, *grown;
    size_t   size, n;

    f = fopen(name, "rb");
    if (f == NULL) {
        return NULL;
    }

    size = 65536;
    *len = 0;
    text = malloc(size);

    while (text) {
        n = fread(text + *len, 1, size - *len, f);
        *len += n;

        if (*len < size) {
            break;
        }

        size *= 2;
        grown = realloc(text, size);
        if (grown == NULL) {
            free(text);
        }

        text = grown;
    }

    if (text && ferror(f)) {
        free(text);
        text = NULL;
    }

    fclose(f);

    return text;
}


int
main(int argc, char **argv)
{
    int                               i, status;
    char                              path[PATH_MAX], err[1024], *text;
    size_t                            j, len;
    govern_jv_t                      *inst;
    govern_jv_error_t                 jerr;
    govern_jv_arena_t                 arena;
    govern_schema_t                  *schema;
    govern_schema_result_t            result;

    if (argc < 2) {
        fprintf(stderr, "usage: govern-schema SCHEMA [INSTANCE...]\n");
        return 2;
    }

    if (realpath(argv[1], path) == NULL) {
        fprintf(stderr, "%s: cannot open\n", argv[1]);
        return 2;
    }

    schema = govern_schema_compile_file(path, err, sizeof(err));

    if (schema == NULL) {
        fprintf(stderr, "%s: invalid schema %s\n", argv[1], err);
        return 2;
    }

    status = 0;

    for (i = 2; i < argc; i++) {
        text = govern_schema_read(argv[i], &len);

        if (text == NULL) {
            printf("%s: cannot read\n", argv[i]);
            status = 2;
            continue;
        }

        arena.blocks = NULL;
        inst = govern_jv_parse(text, len, 0,
                               govern_jv_arena_alloc,
                               &arena, &jerr);
        free(text);

        if (inst == NULL) {
            printf("%s: not JSON: %s at byte %zu\n", argv[i], jerr.text,
                   jerr.position);
            govern_jv_arena_free(&arena);
            status = 2;
            continue;
        }

        if (govern_schema_validate(schema, inst, &result)) {
            printf("%s: valid\n", argv[i]);

        } else {
            printf("%s: invalid (%zu errors)\n", argv[i], result.total);

            for (j = 0; j < result.nerrors; j++) {
                printf("  %s: %s: %s\n",
                       result.errors[j].pointer[0]
                       ? result.errors[j].pointer : "(root)",
                       result.errors[j].keyword, result.errors[j].message);
            }

            if (status == 0) {
                status = 1;
            }
        }

        govern_schema_result_free(&result);
        govern_jv_arena_free(&arena);
    }

    if (argc == 2) {
        printf("%s: schema compiles\n", argv[1]);
    }

    govern_schema_free(schema);

    return status;
}
