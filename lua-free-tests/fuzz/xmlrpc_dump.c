/*
 * For xmlrpc_oracle.py: each file given (a fuzz_xmlrpc input: a selector
 * byte, then the body) read by the XML-RPC reader as /xmlrpc/2/object,
 * one JSON line each: null when refused, else the method name and the
 * parameters, integers as {"i": n}, doubles as {"r": x} and structs as
 * {"o": {...}} so Python can tell them from its own types.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "govern_xmlrpc.h"


static void
put_string(const char *s, size_t len)
{
    size_t         i;
    unsigned char  c;

    putchar('"');

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c == '"' || c == '\\') {
            printf("\\%c", c);

        } else if (c < 0x20) {
            printf("\\u%04x", c);

        } else {
            putchar(c);
        }
    }

    putchar('"');
}


static void
put_value(const govern_jv_t *v)
{
    size_t  i;

    switch (v->type) {

    case GOVERN_JV_NULL:
        printf("null");
        break;

    case GOVERN_JV_FALSE:
        printf("false");
        break;

    case GOVERN_JV_TRUE:
        printf("true");
        break;

    case GOVERN_JV_INTEGER:
        printf("{\"i\":%lld}", v->u.integer);
        break;

    case GOVERN_JV_REAL:
        printf("{\"r\":%.17g}", v->u.real);
        break;

    case GOVERN_JV_STRING:
        put_string(v->u.string, v->len);
        break;

    case GOVERN_JV_ARRAY:
        putchar('[');

        for (i = 0; i < v->len; i++) {
            printf(i ? "," : "");
            put_value(&v->u.items[i]);
        }

        putchar(']');
        break;

    case GOVERN_JV_OBJECT:
        printf("{\"o\":{");

        for (i = 0; i < v->len; i++) {
            printf(i ? "," : "");
            put_string(v->u.members[i].key, v->u.members[i].key_len);
            putchar(':');
            put_value(&v->u.members[i].value);
        }

        printf("}}");
        break;
    }
}


int
main(int argc, char **argv)
{
    int                          i;
    char                        *data;
    long                         size;
    FILE                        *f;
    govern_jv_arena_t            a;
    govern_jv_t                 *v, *params;
    govern_jv_error_t            err;

    for (i = 1; i < argc; i++) {
        f = fopen(argv[i], "rb");
        if (f == NULL || fseek(f, 0, SEEK_END) != 0
            || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        {
            perror(argv[i]);
            return 1;
        }

        data = malloc(size + 1);
        if (data == NULL || fread(data, 1, size, f) != (size_t) size) {
            perror(argv[i]);
            return 1;
        }

        fclose(f);
        memset(&a, 0, sizeof(a));

        v = size ? govern_xmlrpc_parse("/xmlrpc/2/object", 16,
                                       data + 1, size - 1, 1 << 24,
                                       govern_jv_arena_alloc, &a, &err)
                 : NULL;

        if (v == NULL) {
            printf("null\n");

        } else {
            params = govern_jv_getz(v, "params");
            printf("{\"method\":");
            put_value(govern_jv_getz(params, "method"));
            printf(",\"params\":");
            put_value(govern_jv_getz(params, "args"));
            printf("}\n");
        }

        govern_jv_arena_free(&a);
        free(data);
    }

    return 0;
}
