/*
 * make conformance: the official JSON Schema Test Suite against govern's
 * validator, for 2020-12 and draft-07: every required test, and the
 * optional/format tests of the formats govern asserts.  Remote references
 * http://localhost:1234/... are served from the suite's remotes/
 * directory.  Each group's schema is also checked against its metaschema,
 * as nginx -t does.  The only groups left out are those that take
 * "format" as an annotation: govern asserts formats by design.  Prints
 * pass/fail per file, then a table; exits 1 on any failure.
 */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "govern_schema.h"


/* what a format-asserting validator is told to ignore, by the words of
 * the description of a group or of a test */
#define ANNOTATION_GROUP  "is only an annotation by default"


/* the optional/format files of the formats govern asserts */
static const char  *asserted_formats[] = {
    "date-time.json", "date.json", "time.json", "email.json", "uuid.json",
    "uri.json", "ipv4.json", "ipv6.json", NULL
};


typedef struct {
    int         pass;
    int         fail;
    int         annotation;     /* tests in format-as-annotation groups */
    int         groups;         /* schemas checked against the metaschema */
    int         meta_fail;
} stats_t;


static const char  *suite;
static int          draft7;
static int          verbose;


static json_t *
load(void *ctx, const char *uri)
{
    char        path[8192];
    const char  *prefix = "http://localhost:1234/";

    (void) ctx;

    if (strncmp(uri, prefix, strlen(prefix)) != 0) {
        return NULL;
    }

    if (snprintf(path, sizeof(path), "%s/remotes/%s", suite,
                 uri + strlen(prefix)) >= (int) sizeof(path))
    {
        return NULL;
    }

    return json_load_file(path, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
}


/* the suite's instance, in the form the gateway parses request bodies */

static govern_jv_t *
instance(json_t *data, govern_jv_arena_t *arena)
{
    char                  *text;
    govern_jv_t           *v;

    text = json_dumps(data, JSON_ENCODE_ANY | JSON_COMPACT);
    if (text == NULL) {
        return NULL;
    }

    v = govern_jv_parse(text, strlen(text),
                        GOVERN_JV_ALLOW_NUL,
                        govern_jv_arena_alloc, arena, NULL);
    free(text);

    return v;
}


static const char *
describe(json_t *v)
{
    return json_string_value(json_object_get(v, "description"));
}


static void
run_file(const char *dir, const char *name, stats_t *st)
{
    char                        path[8192], err[512];
    size_t                      i, j;
    json_t                     *groups, *g, *t;
    int                         p, f, ok, valid;
    govern_jv_t                *inst;
    govern_schema_t            *schema;
    govern_jv_arena_t           arena;

    if (snprintf(path, sizeof(path), "%s/%s", dir, name)
        >= (int) sizeof(path))
    {
        return;
    }

    groups = json_load_file(path, JSON_ALLOW_NUL, NULL);

    if (groups == NULL) {
        printf("  %-40s unreadable\n", name);
        st->fail++;
        return;
    }

    p = 0;
    f = 0;

    json_array_foreach(groups, i, g) {
        if (strstr(describe(g), ANNOTATION_GROUP)) {
            st->annotation += json_array_size(json_object_get(g, "tests"));
            continue;
        }

        /* every schema of the suite is valid against its metaschema:
         * nginx -t must take it */

        st->groups++;

        if (!govern_schema_check_meta(json_object_get(g, "schema"),
                                      draft7, load, NULL, err,
                                      sizeof(err)))
        {
            st->meta_fail++;
            printf("    METASCHEMA REFUSES %s: %s\n", describe(g), err);
        }

        schema = govern_schema_compile(json_object_get(g, "schema"),
                                       "http://localhost:1234/root",
                                       draft7, load, NULL, err,
                                       sizeof(err));

        json_array_foreach(json_object_get(g, "tests"), j, t) {
            if (strstr(describe(t), ANNOTATION_GROUP)) {
                st->annotation++;
                continue;
            }

            valid = json_is_true(json_object_get(t, "valid"));
            arena.blocks = NULL;
            inst = instance(json_object_get(t, "data"), &arena);
            ok = (schema && inst)
                 ? govern_schema_validate(schema, inst, NULL) : -1;
            govern_jv_arena_free(&arena);

            if (ok == valid) {
                p++;
                continue;
            }

            f++;

            if (verbose) {
                printf("    FAIL %s / %s: %s%s\n", describe(g), describe(t),
                       schema ? "" : "schema not compiled: ",
                       schema ? "" : err);
            }
        }

        govern_schema_free(schema);
    }

    json_decref(groups);

    printf("  %-40s %3d passed %3d failed\n", name, p, f);

    st->pass += p;
    st->fail += f;
}


static int
cmp(const void *a, const void *b)
{
    return strcmp(*(char **) a, *(char **) b);
}


static int
asserted(const char *name)
{
    int  i;

    for (i = 0; asserted_formats[i]; i++) {
        if (strcmp(asserted_formats[i], name) == 0) {
            return 1;
        }
    }

    return 0;
}


/* the .json files of tests/DRAFT/SUB, all or only asserted formats */

static void
run_dir(const char *draft, const char *sub, int formats, stats_t *st)
{
    DIR            *d;
    char            dir[4096], *names[256];
    int             n, i;
    struct dirent  *de;

    snprintf(dir, sizeof(dir), "%s/tests/%s%s", suite, draft, sub);
    d = opendir(dir);

    if (d == NULL) {
        printf("%s: not found\n", dir);
        st->fail++;
        return;
    }

    n = 0;

    while ((de = readdir(d)) && n < 256) {
        if (strstr(de->d_name, ".json")
            && (!formats || asserted(de->d_name)))
        {
            names[n++] = strdup(de->d_name);
        }
    }

    closedir(d);
    qsort(names, n, sizeof(char *), cmp);

    printf("%s%s\n", draft, sub);

    for (i = 0; i < n; i++) {
        run_file(dir, names[i], st);
        free(names[i]);
    }
}


int
main(int argc, char **argv)
{
    int          i, failed;
    stats_t      req[2], fmt[2];
    const char  *drafts[] = { "draft2020-12", "draft7" };

    if (argc < 2) {
        fprintf(stderr, "usage: %s SUITE_DIR [-v]\n", argv[0]);
        return 2;
    }

    suite = argv[1];
    verbose = argc > 2 && strcmp(argv[2], "-v") == 0;
    memset(req, 0, sizeof(req));
    memset(fmt, 0, sizeof(fmt));

    for (i = 0; i < 2; i++) {
        draft7 = i;
        run_dir(drafts[i], "", 0, &req[i]);
        run_dir(drafts[i], "/optional/format", 1, &fmt[i]);
        printf("\n");
    }

    printf("| draft | required passed | failed | optional/format "
           "(asserted) passed | failed | schemas refused by their "
           "metaschema |\n|---|---:|---:|---:|---:|---:|\n");

    failed = 0;

    for (i = 0; i < 2; i++) {
        printf("| %s | %d | %d | %d | %d | %d of %d |\n", drafts[i],
               req[i].pass, req[i].fail, fmt[i].pass, fmt[i].fail,
               req[i].meta_fail + fmt[i].meta_fail,
               req[i].groups + fmt[i].groups);

        failed += req[i].fail + fmt[i].fail + req[i].meta_fail
                  + fmt[i].meta_fail;
    }

    printf("\nexcluded: only the groups and tests \"..." ANNOTATION_GROUP "\" "
           "(%d tests in 2020-12, %d in draft-07): govern asserts formats "
           "by design\noptional/format: %s", req[0].annotation,
           req[1].annotation, asserted_formats[0]);

    for (i = 1; asserted_formats[i]; i++) {
        printf(", %s", asserted_formats[i]);
    }

    printf(" (the formats govern asserts)\n\n");

    printf("conformance: %d passed, %d failed\n",
           req[0].pass + req[1].pass + fmt[0].pass + fmt[1].pass, failed);

    return failed ? 1 : 0;
}
