
/*
 * govern: reading parsed JSON values: members and items, and the equality
 * and uniqueness JSON Schema's const, enum and uniqueItems need.
 */


#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "govern_jv_int.h"


govern_jv_t *
govern_jv_get(const govern_jv_t *v, const char *key,
    size_t key_len)
{
    size_t                      i;
    govern_jmember_t           *m;

    if (v == NULL || v->type != GOVERN_JV_OBJECT
        || v->u.members == NULL)    /* empty, or lazy: not yet expanded */
    {
        return NULL;
    }

    m = v->u.members;

    for (i = 0; i < v->len; i++) {
        if (govern_jv_key_is(&m[i], key, key_len)) {
            return &m[i].value;
        }
    }

    return NULL;
}


govern_jv_t *
govern_jv_item(const govern_jv_t *v, size_t i)
{
    if (v == NULL || v->type != GOVERN_JV_ARRAY || i >= v->len
        || v->u.items == NULL)      /* lazy: not yet expanded */
    {
        return NULL;
    }

    return &v->u.items[i];
}


static int
govern_jv_number_value(const govern_jv_t *v, double *d)
{
    if (v->type == GOVERN_JV_INTEGER) {
        *d = (double) v->u.integer;
        return 1;
    }

    if (v->type == GOVERN_JV_REAL) {
        *d = v->u.real;
        return 1;
    }

    return 0;
}


/*
 * Big objects of the same size are compared member by member in key
 * order (keys are unique in a parsed object): O(n log n), where a lookup
 * per member would be quadratic in a partner's object.  -1: no memory.
 */

static int
govern_jv_equal_objects(const govern_jv_t *a,
    const govern_jv_t *b)
{
    int                               eq;
    size_t                            i;
    const void                      **x, **y;
    const govern_jmember_t           *mx, *my;

    x = govern_jv_sorted(a->u.members, a->len);
    y = govern_jv_sorted(b->u.members, b->len);

    if (x == NULL || y == NULL) {
        free(x);
        free(y);
        return -1;
    }

    eq = 1;

    for (i = 0; eq && i < a->len; i++) {
        mx = x[i];
        my = y[i];

        eq = govern_jv_key_cmp(mx, my) == 0
             && govern_jv_equal(&mx->value, &my->value);
    }

    free(x);
    free(y);

    return eq;
}


/* JSON Schema equality: 1 and 1.0 are equal, key order does not matter */

int
govern_jv_equal(const govern_jv_t *a,
    const govern_jv_t *b)
{
    int                         eq;
    size_t                      i;
    double                      x, y;
    govern_jv_t                *e;
    govern_jmember_t           *m;

    if (govern_jv_number_value(a, &x)
        && govern_jv_number_value(b, &y))
    {
        if (a->type == GOVERN_JV_INTEGER
            && b->type == GOVERN_JV_INTEGER)
        {
            return a->u.integer == b->u.integer;
        }

        return x == y;
    }

    if (a->type != b->type) {
        return 0;
    }

    switch (a->type) {

    case GOVERN_JV_OBJECT:
        if (a->len != b->len) {
            return 0;
        }

        if (a->len > GOVERN_JV_SMALL_OBJECT) {
            eq = govern_jv_equal_objects(a, b);

            if (eq >= 0) {
                return eq;
            }
        }

        m = a->u.members;

        for (i = 0; i < a->len; i++) {
            e = govern_jv_get(b, m[i].key, m[i].key_len);

            if (e == NULL || !govern_jv_equal(&m[i].value, e)) {
                return 0;
            }
        }

        return 1;

    case GOVERN_JV_ARRAY:
        if (a->len != b->len) {
            return 0;
        }

        for (i = 0; i < a->len; i++) {
            if (!govern_jv_equal(&a->u.items[i], &b->u.items[i])) {
                return 0;
            }
        }

        return 1;

    case GOVERN_JV_STRING:
        return a->len == b->len && memcmp(a->u.string, b->u.string, a->len)
                                   == 0;

    default:
        return 1;                       /* true, false, null */
    }
}


/*
 * The order uniqueness sorts scalars in: by kind, then numbers by value
 * (exact: used only when every integer fits a double), strings by length
 * and bytes.  Equal in this order is equal for JSON Schema.
 */

static int
govern_jv_scalar_order(const void *pa, const void *pb)
{
    int                          ka, kb;
    double                       x, y;
    const govern_jv_t           *a = pa, *b = pb;

    static const int  kind[] = {
        0, 1, 1, 2, 2, 3                /* null, false, true, numbers, string */
    };

    ka = kind[a->type];
    kb = kind[b->type];

    if (ka != kb) {
        return ka < kb ? -1 : 1;
    }

    switch (ka) {

    case 1:
        return (int) a->type - (int) b->type;

    case 2:
        x = a->type == GOVERN_JV_INTEGER ? (double) a->u.integer
                                                   : a->u.real;
        y = b->type == GOVERN_JV_INTEGER ? (double) b->u.integer
                                                   : b->u.real;
        return x < y ? -1 : x > y ? 1 : 0;

    case 3:
        if (a->len != b->len) {
            return a->len < b->len ? -1 : 1;
        }

        return memcmp(a->u.string, b->u.string, a->len);

    default:
        return 0;
    }
}


/* 1 unique, 0 not (*first < *second), -1 not only scalars, or no memory */

static int
govern_jv_unique_scalars(const govern_jv_t *array,
    size_t *first, size_t *second)
{
    size_t                       i, a, b;
    const void                 **sorted;
    const govern_jv_t           *items;

    items = array->u.items;

    for (i = 0; i < array->len; i++) {
        switch (items[i].type) {
        case GOVERN_JV_ARRAY:
        case GOVERN_JV_OBJECT:
            return -1;
        case GOVERN_JV_INTEGER:
            if (items[i].u.integer > (1LL << 53)
                || items[i].u.integer < -(1LL << 53))
            {
                return -1;
            }
        }
    }

    sorted = malloc(array->len * sizeof(void *));
    if (sorted == NULL) {
        return -1;
    }

    for (i = 0; i < array->len; i++) {
        sorted[i] = &items[i];
    }

    if (govern_jv_sort(sorted, array->len,
                       govern_jv_scalar_order)
        != 0)
    {
        free(sorted);
        return -1;
    }

    for (i = 1; i < array->len; i++) {
        if (govern_jv_scalar_order(sorted[i - 1], sorted[i]) == 0) {
            a = (const govern_jv_t *) sorted[i - 1] - items;
            b = (const govern_jv_t *) sorted[i] - items;

            *first = a < b ? a : b;
            *second = a < b ? b : a;

            free(sorted);
            return 0;
        }
    }

    free(sorted);

    return 1;
}


/*
 * Whether an array's items are unique (JSON Schema equality): 1 yes, 0 no
 * (*first and *second the equal pair), -1 when *budget ran out.  Scalars
 * are sorted: O(n log n).  Anything else is compared by pairs, each
 * charged 1 + its size / 16 against *budget, as it is quadratic in what
 * a client sends.
 */

int
govern_jv_unique(const govern_jv_t *array, long *budget,
    size_t *first, size_t *second)
{
    int                          rc;
    long                         cost;
    size_t                       i, j, n;
    const govern_jv_t           *items;

    n = govern_jv_size(array);
    items = array->u.items;

    if (n > 16) {
        rc = govern_jv_unique_scalars(array, first, second);

        if (rc != -1) {
            return rc;
        }
    }

    for (i = 0; i < n; i++) {
        cost = (long) (n - i - 1) * (1 + (items[i].end - items[i].start) / 16);

        if (cost > *budget) {
            *budget = 0;
            return -1;
        }

        *budget -= cost;

        for (j = i + 1; j < n; j++) {
            if (govern_jv_equal(&items[i], &items[j])) {
                *first = i;
                *second = j;
                return 0;
            }
        }
    }

    return 1;
}
