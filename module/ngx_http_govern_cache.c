
/*
 * govern: the verified-token cache, in shared memory for all workers.
 *
 * Keyed by the SHA-256 of the whole token, it holds the claims the
 * pipeline needs and the fingerprint of the key that verified them, so a
 * hit skips signature verification and JSON parsing but never the claim
 * rules (exp, nbf, iss, aud, partner), which are checked on every request.
 * Only verified tokens enter it.  The tree and LRU queue follow
 * ngx_http_limit_req_module: least recently used entries are evicted when
 * memory runs out, expired ones as they are met.
 */


#include "ngx_http_govern_module.h"
#include "govern_jwt.h"


#define NGX_HTTP_GOVERN_CACHE_STRINGS  8

/* entries outlive exp by this much, for the largest sensible leeway */
#define NGX_HTTP_GOVERN_CACHE_GRACE    600


typedef struct {
    u_char                      color;
    u_char                      pad[3];
    ngx_queue_t                 queue;
    u_char                      digest[32];
    u_char                      fingerprint[32];
    int64_t                     exp;
    int64_t                     nbf;
    int64_t                     iat;
    unsigned                    has_nbf:1;
    unsigned                    has_iat:1;
    uint16_t                    len[NGX_HTTP_GOVERN_CACHE_STRINGS];
    u_char                      data[1];
} ngx_http_govern_cache_node_t;


typedef struct {
    ngx_rbtree_t                rbtree;
    ngx_rbtree_node_t           sentinel;
    ngx_queue_t                 queue;
} ngx_http_govern_cache_sh_t;


typedef struct {
    ngx_http_govern_cache_sh_t *sh;
    ngx_slab_pool_t            *shpool;
} ngx_http_govern_cache_t;


static ngx_int_t ngx_http_govern_cache_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void ngx_http_govern_cache_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static ngx_http_govern_cache_node_t *ngx_http_govern_cache_find(
    ngx_http_govern_cache_t *cache, const u_char *digest);
static void ngx_http_govern_cache_expire(ngx_http_govern_cache_t *cache,
    time_t now, ngx_uint_t force);
static govern_jwt_str_t *ngx_http_govern_cache_field(
    govern_jwt_claims_t *claims, ngx_uint_t i);


#define ngx_http_govern_cache_lcn(node)                                      \
    ((ngx_http_govern_cache_node_t *) &(node)->color)


ngx_shm_zone_t *
ngx_http_govern_cache_zone(ngx_conf_t *cf, size_t size)
{
    ngx_str_t                 name = ngx_string("govern_jwt_cache");
    ngx_shm_zone_t           *zone;
    ngx_http_govern_cache_t  *cache;

    cache = ngx_pcalloc(cf->pool, sizeof(ngx_http_govern_cache_t));
    if (cache == NULL) {
        return NULL;
    }

    zone = ngx_shared_memory_add(cf, &name, size, &ngx_http_govern_module);
    if (zone == NULL) {
        return NULL;
    }

    zone->init = ngx_http_govern_cache_init_zone;
    zone->data = cache;

    return zone;
}


static ngx_int_t
ngx_http_govern_cache_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_govern_cache_t  *ocache = data;

    size_t                    len;
    ngx_http_govern_cache_t  *cache;

    cache = shm_zone->data;

    if (ocache) {
        /*
         * a reload keeps the entries: each names the key that verified
         * it, and a key the new configuration lacks makes it a miss
         */
        cache->sh = ocache->sh;
        cache->shpool = ocache->shpool;
        return NGX_OK;
    }

    cache->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        cache->sh = cache->shpool->data;
        return NGX_OK;
    }

    cache->sh = ngx_slab_alloc(cache->shpool,
                               sizeof(ngx_http_govern_cache_sh_t));
    if (cache->sh == NULL) {
        return NGX_ERROR;
    }

    cache->shpool->data = cache->sh;

    ngx_rbtree_init(&cache->sh->rbtree, &cache->sh->sentinel,
                    ngx_http_govern_cache_insert);
    ngx_queue_init(&cache->sh->queue);

    len = sizeof(" in govern_jwt_cache \"\"") + shm_zone->shm.name.len;

    cache->shpool->log_ctx = ngx_slab_alloc(cache->shpool, len);
    if (cache->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(cache->shpool->log_ctx, " in govern_jwt_cache \"%V\"%Z",
                &shm_zone->shm.name);

    cache->shpool->log_nomem = 0;

    return NGX_OK;
}


static void
ngx_http_govern_cache_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t            **p;
    ngx_http_govern_cache_node_t  *n, *t;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else {
            n = ngx_http_govern_cache_lcn(node);
            t = ngx_http_govern_cache_lcn(temp);

            p = (ngx_memcmp(n->digest, t->digest, 32) < 0)
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


static ngx_http_govern_cache_node_t *
ngx_http_govern_cache_find(ngx_http_govern_cache_t *cache,
    const u_char *digest)
{
    ngx_int_t                      rc;
    ngx_rbtree_key_t               key;
    ngx_rbtree_node_t             *node, *sentinel;
    ngx_http_govern_cache_node_t  *cn;

    ngx_memcpy(&key, digest, sizeof(key));

    node = cache->sh->rbtree.root;
    sentinel = cache->sh->rbtree.sentinel;

    while (node != sentinel) {

        if (key < node->key) {
            node = node->left;
            continue;
        }

        if (key > node->key) {
            node = node->right;
            continue;
        }

        cn = ngx_http_govern_cache_lcn(node);
        rc = ngx_memcmp(digest, cn->digest, 32);

        if (rc == 0) {
            return cn;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


static govern_jwt_str_t *
ngx_http_govern_cache_field(govern_jwt_claims_t *claims,
    ngx_uint_t i)
{
    govern_jwt_str_t           *fields[NGX_HTTP_GOVERN_CACHE_STRINGS];

    fields[0] = &claims->iss;
    fields[1] = &claims->sub;
    fields[2] = &claims->jti;
    fields[3] = &claims->kid;
    fields[4] = &claims->aud;
    fields[5] = &claims->scopes;
    fields[6] = &claims->partner;
    fields[7] = &claims->partner_claim;

    return fields[i];
}


/*
 * NGX_OK: a hit, the claims (strings copied to the pool) are filled in;
 * NGX_DECLINED: a miss.
 */

ngx_int_t
ngx_http_govern_cache_get(ngx_shm_zone_t *zone, const u_char *digest,
    ngx_pool_t *pool, govern_jwt_claims_t *claims)
{
    u_char                        *p, *s;
    size_t                         size;
    time_t                         now;
    ngx_uint_t                     i;
    ngx_http_govern_cache_t       *cache;
    govern_jwt_str_t              *f;
    ngx_http_govern_cache_node_t  *cn;

    cache = zone->data;
    now = ngx_time();

    ngx_shmtx_lock(&cache->shpool->mutex);

    cn = ngx_http_govern_cache_find(cache, digest);

    if (cn == NULL || cn->exp + NGX_HTTP_GOVERN_CACHE_GRACE < now) {
        ngx_shmtx_unlock(&cache->shpool->mutex);
        return NGX_DECLINED;
    }

    ngx_queue_remove(&cn->queue);
    ngx_queue_insert_head(&cache->sh->queue, &cn->queue);

    size = 0;

    for (i = 0; i < NGX_HTTP_GOVERN_CACHE_STRINGS; i++) {
        size += cn->len[i] + 1;
    }

    p = ngx_pnalloc(pool, size);
    if (p == NULL) {
        ngx_shmtx_unlock(&cache->shpool->mutex);
        return NGX_ERROR;
    }

    ngx_memzero(claims, sizeof(govern_jwt_claims_t));

    claims->exp = cn->exp;
    claims->nbf = cn->nbf;
    claims->iat = cn->iat;
    claims->has_nbf = cn->has_nbf;
    claims->has_iat = cn->has_iat;
    ngx_memcpy(claims->key_fingerprint, cn->fingerprint, 32);

    s = cn->data;

    for (i = 0; i < NGX_HTTP_GOVERN_CACHE_STRINGS; i++) {
        f = ngx_http_govern_cache_field(claims, i);

        if (cn->len[i] == (uint16_t) -1) {
            s++;
            continue;                   /* absent: data stays NULL */
        }

        ngx_memcpy(p, s, cn->len[i] + 1);
        f->data = (const char *) p;
        f->len = cn->len[i];
        p += cn->len[i] + 1;
        s += cn->len[i] + 1;
    }

    ngx_shmtx_unlock(&cache->shpool->mutex);

    return NGX_OK;
}


void
ngx_http_govern_cache_put(ngx_shm_zone_t *zone, const u_char *digest,
    govern_jwt_claims_t *claims, ngx_log_t *log)
{
    u_char                        *s;
    size_t                         size;
    ngx_uint_t                     i;
    ngx_rbtree_node_t             *node;
    ngx_http_govern_cache_t       *cache;
    govern_jwt_str_t              *f;
    ngx_http_govern_cache_node_t  *cn;

    cache = zone->data;

    size = offsetof(ngx_rbtree_node_t, color)
           + offsetof(ngx_http_govern_cache_node_t, data);

    for (i = 0; i < NGX_HTTP_GOVERN_CACHE_STRINGS; i++) {
        f = ngx_http_govern_cache_field(claims, i);

        if (f->len >= 0xffff) {
            return;                     /* cannot be one of 8 KB tokens */
        }

        size += f->len + 1;
    }

    ngx_shmtx_lock(&cache->shpool->mutex);

    if (ngx_http_govern_cache_find(cache, digest)) {
        ngx_shmtx_unlock(&cache->shpool->mutex);
        return;                         /* another worker was first */
    }

    ngx_http_govern_cache_expire(cache, ngx_time(), 0);

    node = ngx_slab_alloc_locked(cache->shpool, size);

    if (node == NULL) {
        ngx_http_govern_cache_expire(cache, ngx_time(), 1);

        node = ngx_slab_alloc_locked(cache->shpool, size);

        if (node == NULL) {
            ngx_shmtx_unlock(&cache->shpool->mutex);
            ngx_log_error(NGX_LOG_WARN, log, 0,
                          "govern_jwt_cache is full, token not cached");
            return;
        }
    }

    cn = ngx_http_govern_cache_lcn(node);

    ngx_memcpy(&node->key, digest, sizeof(ngx_rbtree_key_t));
    ngx_memcpy(cn->digest, digest, 32);
    ngx_memcpy(cn->fingerprint, claims->key_fingerprint, 32);

    cn->exp = claims->exp;
    cn->nbf = claims->nbf;
    cn->iat = claims->iat;
    cn->has_nbf = claims->has_nbf;
    cn->has_iat = claims->has_iat;

    s = cn->data;

    for (i = 0; i < NGX_HTTP_GOVERN_CACHE_STRINGS; i++) {
        f = ngx_http_govern_cache_field(claims, i);

        if (f->data == NULL) {
            cn->len[i] = (uint16_t) -1;
            *s++ = '\0';
            continue;
        }

        cn->len[i] = (uint16_t) f->len;
        s = ngx_cpymem(s, f->data, f->len);
        *s++ = '\0';
    }

    ngx_rbtree_insert(&cache->sh->rbtree, node);
    ngx_queue_insert_head(&cache->sh->queue, &cn->queue);

    ngx_shmtx_unlock(&cache->shpool->mutex);
}


/*
 * Removes from the least recently used end: expired entries, and with
 * "force" up to 16 entries whatever their age, to make room.
 */

static void
ngx_http_govern_cache_expire(ngx_http_govern_cache_t *cache, time_t now,
    ngx_uint_t force)
{
    ngx_uint_t                     n;
    ngx_queue_t                   *q;
    ngx_rbtree_node_t             *node;
    ngx_http_govern_cache_node_t  *cn;

    for (n = 0; n < 16; n++) {

        if (ngx_queue_empty(&cache->sh->queue)) {
            return;
        }

        q = ngx_queue_last(&cache->sh->queue);
        cn = ngx_queue_data(q, ngx_http_govern_cache_node_t, queue);

        if (!force && cn->exp + NGX_HTTP_GOVERN_CACHE_GRACE >= now) {
            return;
        }

        ngx_queue_remove(q);

        node = (ngx_rbtree_node_t *)
                   ((u_char *) cn - offsetof(ngx_rbtree_node_t, color));

        ngx_rbtree_delete(&cache->sh->rbtree, node);
        ngx_slab_free_locked(cache->shpool, node);
    }
}
