/*
 * make conformance: the official JSON Schema Test Suite against govern's
 * validator.  Remote references http://localhost:1234/... are served
 * from the suite's remotes/ directory.  Prints pass/fail per file; files
 * and cases excluded on purpose are listed with their reason.
 */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "govern_schema.h"


static const char  *suite;
static int          draft7;

/* what the validator does not implement, with the reason */
static const struct {
    const char  *file;
    const char  *reason;
} excluded[] = {
    { "dynamicRef.json", "$dynamicRef/$dynamicAnchor are not implemented" },
    { "vocabulary.json", "custom $vocabulary metaschemas are not supported" },
    { "refOfUnknownKeyword.json", "refs into unknown keywords" },
    { NULL, NULL }
};


/* test groups left out on purpose, by a words of their description */
static const struct {
    const char  *group;
    const char  *reason;
} excluded_groups[] = {
    { "is only an annotation by default",
      "govern asserts formats, as its issue requires" },
    { "against metaschema", "the metaschemas cannot be fetched here" },
    { "remote ref, containing refs itself",
      "the metaschemas cannot be fetched here" },
    { "$dynamicRef", "$dynamicRef is not implemented" },
    { NULL, NULL }
};


static const char *
group_exclusion(const char *group)
{
    int  i;

    for (i = 0; excluded_groups[i].group; i++) {
        if (group && strstr(group, excluded_groups[i].group)) {
            return excluded_groups[i].reason;
        }
    }

    return NULL;
}


static json_t *
load(void *ctx, const char *uri)
{
    char        path[8192];
    const char  *prefix = "http://localhost:1234/";

    (void) ctx;

    if (strncmp(uri, prefix, strlen(prefix)) != 0) {
        return NULL;            /* e.g. the metaschemas: not available */
    }

    if (snprintf(path, sizeof(path), "%s/remotes/%s", suite,
                 uri + strlen(prefix)) >= (int) sizeof(path))
    {
        return NULL;
    }

    return json_load_file(path, JSON_DECODE_ANY, NULL);
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
exclusion(const char *file)
{
    int  i;

    for (i = 0; excluded[i].file; i++) {
        if (strcmp(excluded[i].file, file) == 0) {
            return excluded[i].reason;
        }
    }

    return NULL;
}


static void
run_file(const char *dir, const char *name, int *pass, int *fail, int verbose,
    int *skipped)
{
    char                       path[8192], err[512];
    size_t                     i, j;
    json_t                    *groups, *g, *t;
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
        return;
    }

    p = 0;
    f = 0;

    json_array_foreach(groups, i, g) {
        if (group_exclusion(json_string_value(json_object_get(g,
                                                              "description"))))
        {
            (*skipped) += json_array_size(json_object_get(g, "tests"));
            continue;
        }

        schema = govern_schema_compile(json_object_get(g, "schema"),
                                       "http://localhost:1234/root",
                                       draft7, load, NULL, err,
                                       sizeof(err));

        json_array_foreach(json_object_get(g, "tests"), j, t) {
            if (group_exclusion(json_string_value(json_object_get(t,
                                                      "description"))))
            {
                (*skipped)++;
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

            } else {
                f++;

                if (verbose) {
                    printf("    FAIL %s / %s: %s%s\n",
                           json_string_value(json_object_get(g,
                                                             "description")),
                           json_string_value(json_object_get(t,
                                                             "description")),
                           schema ? "" : "schema not compiled: ",
                           schema ? "" : err);
                }
            }
        }

        govern_schema_free(schema);
    }

    json_decref(groups);

    printf("  %-40s %3d passed %3d failed\n", name, p, f);

    *pass += p;
    *fail += f;
}


static int
cmp(const void *a, const void *b)
{
    return strcmp(*(char **) a, *(char **) b);
}


static void
run_dir(const char *draft, int verbose, int *tp, int *tf)
{
    DIR            *d;
    char            dir[4096], *names[256];
    int             pass, fail, n, i, skipped;
    const char     *why;
    struct dirent  *de;

    snprintf(dir, sizeof(dir), "%s/tests/%s", suite, draft);
    d = opendir(dir);

    if (d == NULL) {
        printf("%s: not found\n", dir);
        return;
    }

    n = 0;

    while ((de = readdir(d)) && n < 256) {
        if (strstr(de->d_name, ".json")) {
            names[n++] = strdup(de->d_name);
        }
    }

    closedir(d);
    qsort(names, n, sizeof(char *), cmp);

    printf("%s\n", draft);
    pass = 0;
    fail = 0;
    skipped = 0;

    for (i = 0; i < n; i++) {
        why = exclusion(names[i]);

        if (why) {
            printf("  %-40s excluded: %s\n", names[i], why);

        } else {
            run_file(dir, names[i], &pass, &fail, verbose, &skipped);
        }

        free(names[i]);
    }

    printf("%s: %d passed, %d failed, %d in excluded groups\n", draft, pass,
           fail, skipped);
    for (i = 0; excluded_groups[i].group; i++) {
        printf("  excluded groups \"...%s...\": %s\n",
               excluded_groups[i].group, excluded_groups[i].reason);
    }
    printf("\n");

    *tp += pass;
    *tf += fail;
}


int
main(int argc, char **argv)
{
    int  verbose, pass, fail;

    if (argc < 2) {
        fprintf(stderr, "usage: %s SUITE_DIR [-v]\n", argv[0]);
        return 2;
    }

    suite = argv[1];
    verbose = argc > 2 && strcmp(argv[2], "-v") == 0;
    pass = 0;
    fail = 0;

    run_dir("draft2020-12", verbose, &pass, &fail);
    draft7 = 1;
    run_dir("draft7", verbose, &pass, &fail);

    printf("total: %d passed, %d failed\n", pass, fail);

    return fail ? 1 : 0;
}
