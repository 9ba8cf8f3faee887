
/*
 * govern: JSON Schema (2020-12, and draft-07 by "$schema"), compiled once
 * into a tree that validation only walks.  Schemas are read with jansson
 * at config time, instances are govern_jv_t values parsed from
 * request bodies.  Pure logic over jansson and PCRE2: no nginx types, so
 * the CLI, unit tests and fuzzers use it as is.
 */


#ifndef _GOVERN_SCHEMA_H_INCLUDED_
#define _GOVERN_SCHEMA_H_INCLUDED_


#include <stddef.h>
#include <jansson.h>

#include "govern_jv.h"


#define GOVERN_SCHEMA_MAX_ERRORS           20


typedef struct govern_schema_s  govern_schema_t;


/*
 * Returns the schema document at an absolute URI (without fragment), a
 * new reference the compiler releases, or NULL when there is none.
 */
typedef json_t *(*govern_schema_loader_pt)(void *ctx,
    const char *uri);


typedef struct {
    char                       *pointer;    /* JSON pointer in the instance */
    const char                 *keyword;
    char                       *message;
} govern_schema_error_t;


typedef struct {
    govern_schema_error_t           errors[GOVERN_SCHEMA_MAX_ERRORS];
    size_t                          nerrors;
    size_t                          total;      /* also those not kept */
} govern_schema_result_t;


/*
 * Compiles the schema document found at base_uri; its dialect is the one
 * its "$schema" names, else draft-07 if draft7, else 2020-12.  On failure
 * returns NULL and a message naming the JSON pointer of the problem in err.
 */
govern_schema_t *govern_schema_compile(json_t *document,
    const char *base_uri, int draft7, govern_schema_loader_pt loader,
    void *loader_ctx, char *err, size_t errlen);
void govern_schema_free(govern_schema_t *schema);
json_t *govern_schema_load_file(void *ctx, const char *uri);
govern_schema_t *govern_schema_compile_file(
    const char *path, char *err, size_t errlen);

/* 1 valid, 0 invalid; result may be NULL when the errors are not needed */
int govern_schema_validate(govern_schema_t *schema,
    govern_jv_t *instance, govern_schema_result_t *result);
void govern_schema_result_free(
    govern_schema_result_t *result);

/* helpers shared with the loader of schema files */
char *govern_uri_resolve(const char *base, const char *ref);
typedef int (*govern_format_pt)(const char *s, size_t len);

govern_format_pt govern_format_lookup(const char *format);


#endif /* _GOVERN_SCHEMA_H_INCLUDED_ */
