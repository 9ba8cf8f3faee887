
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

#include "ngx_http_govern_schema.h"


int
main(int argc, char **argv)
{
    int                               i, status;
    char                              path[PATH_MAX], err[1024];
    size_t                            j;
    json_t                           *inst;
    json_error_t                      jerr;
    ngx_http_govern_schema_t         *schema;
    ngx_http_govern_schema_result_t   result;

    if (argc < 2) {
        fprintf(stderr, "usage: govern-schema SCHEMA [INSTANCE...]\n");
        return 2;
    }

    if (realpath(argv[1], path) == NULL) {
        fprintf(stderr, "%s: cannot open\n", argv[1]);
        return 2;
    }

    schema = ngx_http_govern_schema_compile_file(path, err, sizeof(err));

    if (schema == NULL) {
        fprintf(stderr, "%s: invalid schema %s\n", argv[1], err);
        return 2;
    }

    status = 0;

    for (i = 2; i < argc; i++) {
        inst = json_load_file(argv[i], JSON_REJECT_DUPLICATES
                                       | JSON_DECODE_ANY, &jerr);

        if (inst == NULL) {
            printf("%s: not JSON: %s at line %d\n", argv[i], jerr.text,
                   jerr.line);
            status = 2;
            continue;
        }

        if (ngx_http_govern_schema_validate(schema, inst, &result)) {
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

        ngx_http_govern_schema_result_free(&result);
        json_decref(inst);
    }

    if (argc == 2) {
        printf("%s: schema compiles\n", argv[1]);
    }

    ngx_http_govern_schema_free(schema);

    return status;
}
