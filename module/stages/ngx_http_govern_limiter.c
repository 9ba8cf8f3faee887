
/*
 * govern: this instance's shared-memory rate limiter, the fallback while
 * Redis is unavailable.  Buckets live in a tree with an LRU queue, as in
 * ngx_http_limit_req_module; all buckets of a request are decided under
 * one lock, all or nothing.
 */


#include "ngx_http_govern_stages.h"


typedef struct {
    u_char                      color;
    u_char                      pad;
    u_short                     len;
    ngx_queue_t                 queue;
    govern_bucket_t             bucket;
    u_char                      data[1];
} ngx_http_govern_limiter_node_t;


typedef struct {
    ngx_rbtree_t                rbtree;
    ngx_rbtree_node_t           sentinel;
    ngx_queue_t                 queue;
} ngx_http_govern_limiter_sh_t;


typedef struct {
    ngx_http_govern_limiter_sh_t  *sh;
    ngx_slab_pool_t               *shpool;
    ngx_http_govern_main_conf_t   *gmcf;
} ngx_http_govern_limiter_t;


static ngx_int_t ngx_http_govern_limiter_init_zone(ngx_shm_zone_t *zone,
    void *data);
static void ngx_http_govern_limiter_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static govern_bucket_t *ngx_http_govern_limiter_bucket(
    ngx_http_govern_limiter_t *lim, ngx_str_t *key);


#define ngx_http_govern_limiter_lcn(node)                                    \
    ((ngx_http_govern_limiter_node_t *) &(node)->color)


ngx_shm_zone_t *
ngx_http_govern_limiter_zone(ngx_conf_t *cf, ngx_http_govern_main_conf_t *gmcf)
{
    ngx_str_t                   name = ngx_string("govern_ratelimit");
    ngx_shm_zone_t             *zone;
    ngx_http_govern_limiter_t  *lim;

    lim = ngx_pcalloc(cf->pool, sizeof(ngx_http_govern_limiter_t));
    if (lim == NULL) {
        return NULL;
    }

    lim->gmcf = gmcf;

    zone = ngx_shared_memory_add(cf, &name, 10 * 1024 * 1024,
                                 &ngx_http_govern_module);
    if (zone == NULL) {
        return NULL;
    }

    zone->init = ngx_http_govern_limiter_init_zone;
    zone->data = lim;

    return zone;
}


static ngx_int_t
ngx_http_govern_limiter_init_zone(ngx_shm_zone_t *zone, void *data)
{
    ngx_http_govern_limiter_t  *olim = data;

    ngx_http_govern_limiter_t  *lim;

    lim = zone->data;

    if (olim) {
        lim->sh = olim->sh;
        lim->shpool = olim->shpool;

    } else {
        lim->shpool = (ngx_slab_pool_t *) zone->shm.addr;

        if (zone->shm.exists) {
            lim->sh = lim->shpool->data;

        } else {
            lim->sh = ngx_slab_calloc(lim->shpool,
                                      sizeof(ngx_http_govern_limiter_sh_t));
            if (lim->sh == NULL) {
                return NGX_ERROR;
            }

            lim->shpool->data = lim->sh;

            ngx_rbtree_init(&lim->sh->rbtree, &lim->sh->sentinel,
                            ngx_http_govern_limiter_insert);
            ngx_queue_init(&lim->sh->queue);

            lim->shpool->log_ctx = (u_char *) " in govern_ratelimit zone";
        }
    }

    return NGX_OK;
}


static void
ngx_http_govern_limiter_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t               **p;
    ngx_http_govern_limiter_node_t   *n, *t;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else {
            n = ngx_http_govern_limiter_lcn(node);
            t = ngx_http_govern_limiter_lcn(temp);

            p = (ngx_memn2cmp(n->data, t->data, n->len, t->len) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


/* the bucket of a key, created full; the least recently used ones make
 * room when memory runs out */

static govern_bucket_t *
ngx_http_govern_limiter_bucket(ngx_http_govern_limiter_t *lim, ngx_str_t *key)
{
    size_t                           size;
    uint32_t                         hash;
    ngx_int_t                        rc;
    ngx_uint_t                       i;
    ngx_queue_t                     *q;
    ngx_rbtree_node_t               *node, *sentinel;
    ngx_http_govern_limiter_node_t  *ln;

    hash = ngx_crc32_short(key->data, key->len);

    node = lim->sh->rbtree.root;
    sentinel = lim->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        ln = ngx_http_govern_limiter_lcn(node);
        rc = ngx_memn2cmp(key->data, ln->data, key->len, (size_t) ln->len);

        if (rc == 0) {
            ngx_queue_remove(&ln->queue);
            ngx_queue_insert_head(&lim->sh->queue, &ln->queue);
            return &ln->bucket;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    size = offsetof(ngx_rbtree_node_t, color)
           + offsetof(ngx_http_govern_limiter_node_t, data) + key->len;

    node = ngx_slab_alloc_locked(lim->shpool, size);

    for (i = 0; node == NULL && i < 16; i++) {
        if (ngx_queue_empty(&lim->sh->queue)) {
            break;
        }

        q = ngx_queue_last(&lim->sh->queue);
        ln = ngx_queue_data(q, ngx_http_govern_limiter_node_t, queue);
        ngx_queue_remove(q);

        node = (ngx_rbtree_node_t *)
                   ((u_char *) ln - offsetof(ngx_rbtree_node_t, color));
        ngx_rbtree_delete(&lim->sh->rbtree, node);
        ngx_slab_free_locked(lim->shpool, node);

        node = ngx_slab_alloc_locked(lim->shpool, size);
    }

    if (node == NULL) {
        return NULL;
    }

    node->key = hash;
    ln = ngx_http_govern_limiter_lcn(node);
    ln->len = (u_short) key->len;
    ln->bucket.tokens = 0;
    ln->bucket.ts_ms = 0;               /* full on first use */
    ngx_memcpy(ln->data, key->data, key->len);

    ngx_rbtree_insert(&lim->sh->rbtree, node);
    ngx_queue_insert_head(&lim->sh->queue, &ln->queue);

    return &ln->bucket;
}


/* NGX_OK allowed, NGX_DECLINED refused, NGX_ERROR out of memory */

ngx_int_t
ngx_http_govern_limiter_take(ngx_shm_zone_t *zone, ngx_str_t *keys,
    govern_limit_t *limits, ngx_uint_t n,
    govern_limit_state_t *states, uint64_t *retry_ms)
{
    int                          allowed;
    int64_t                      now;
    ngx_uint_t                   i;
    ngx_time_t                  *tp;
    govern_bucket_t             *buckets[NGX_HTTP_GOVERN_MAX_LIMITS];
    ngx_http_govern_limiter_t   *lim;

    lim = zone->data;
    tp = ngx_timeofday();
    now = (int64_t) tp->sec * 1000 + tp->msec;

    ngx_shmtx_lock(&lim->shpool->mutex);

    for (i = 0; i < n; i++) {
        buckets[i] = ngx_http_govern_limiter_bucket(lim, &keys[i]);

        if (buckets[i] == NULL) {
            ngx_shmtx_unlock(&lim->shpool->mutex);
            return NGX_ERROR;
        }
    }

    allowed = govern_buckets_take(buckets, limits, n, now, states,
                                  retry_ms);

    ngx_shmtx_unlock(&lim->shpool->mutex);

    return allowed ? NGX_OK : NGX_DECLINED;
}
