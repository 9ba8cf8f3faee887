/*
 * libFuzzer target: a schema and an instance, separated by a NUL byte,
 * through govern's compiler and validator.  Any crash, leak or hang is a
 * bug; invalid schemas and instances are expected and ignored.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <jansson.h>

#include "govern_schema.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                             err[256];
    json_t                          *schema_json;
    govern_jv_t                     *instance;
    govern_jv_arena_t                arena;
    const uint8_t                   *sep;
    govern_schema_t                 *schema;
    govern_schema_result_t           result;

    sep = memchr(data, 0, size);
    if (sep == NULL) {
        return 0;
    }

    schema_json = json_loadb((const char *) data, sep - data,
                             JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    if (schema_json == NULL) {
        return 0;
    }

    arena.blocks = NULL;
    instance = govern_jv_parse((const char *) sep + 1,
                               size - (sep - data) - 1, 0,
                               govern_jv_arena_alloc,
                               &arena, NULL);

    schema = govern_schema_compile(schema_json, "urn:fuzz", 0, NULL,
                                   NULL, err, sizeof(err));

    if (schema && instance) {
        govern_schema_validate(schema, instance, &result);
        govern_schema_result_free(&result);
        govern_schema_validate(schema, instance, NULL);
    }

    govern_schema_free(schema);
    json_decref(schema_json);
    govern_jv_arena_free(&arena);

    return 0;
}
