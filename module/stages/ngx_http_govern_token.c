
/*
 * govern: partner identity and scopes at request time.
 *
 * The token stage takes the bearer token, verifies it (or finds it in the
 * verified-token cache), applies the location's claim rules and records
 * the verified identity; the scopes stage checks the location's required
 * scopes.  The partner's Authorization header is then removed from the
 * request the upstream receives, unless govern_jwt_forward is on.
 */


#include "ngx_http_govern_stages.h"


#define NGX_HTTP_GOVERN_REALM  "govern"


static ngx_int_t ngx_http_govern_token_get(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_http_govern_loc_conf_t *glcf,
    ngx_str_t *token);
static ngx_int_t ngx_http_govern_token_basic(ngx_http_request_t *r,
    ngx_table_elt_t *h, ngx_str_t *token);
static ngx_int_t ngx_http_govern_token_password(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_str_t *token);
static ngx_int_t ngx_http_govern_token_refuse(ngx_http_request_t *r,
    govern_reason_e reason, const char *detail);
static ngx_int_t ngx_http_govern_remove_header_in(ngx_http_request_t *r,
    ngx_table_elt_t *h, ngx_str_t *name);
static ngx_uint_t ngx_http_govern_header_is_variable(ngx_table_elt_t *h,
    ngx_str_t *name);
static void *ngx_http_govern_token_alloc(void *pool, size_t size);
static const govern_jwt_key_t *ngx_http_govern_token_key(
    const govern_jwt_keys_t *const *sets, const unsigned char *fp);


static ngx_int_t
ngx_http_govern_token_access(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx)
{
    u_char                        digest[32], signed_sha256[32];
    ngx_str_t                     token;
    ngx_int_t                     rc;
    const char                   *detail;
    govern_reason_e               reason;
    govern_jwt_rules_t            rules;
    govern_jwt_result_t           result;
    const govern_jwt_key_t       *key;
    const govern_jwt_keys_t      *sets[2];
    ngx_http_govern_loc_conf_t   *glcf;
    ngx_http_govern_main_conf_t  *gmcf;

    glcf = ngx_http_get_module_loc_conf(r, ngx_http_govern_module);
    gmcf = ngx_http_get_module_main_conf(r, ngx_http_govern_module);

    if (glcf->webhook) {
        return NGX_OK;                  /* verified by its signature */
    }

    if (ngx_http_govern_keys_pending(ctx)) {
        return NGX_AGAIN;               /* for a refetch of the key set */
    }

    key = NULL;

    /* the configured files, then the identity provider's set */

    sets[0] = glcf->keys;
    sets[1] = ngx_http_govern_keys_current(r, glcf);

    if (ctx->token_verified) {
        /* an internal redirect: the token was verified, maybe by a key
         * this location does not trust */

        key = ngx_http_govern_token_key(sets, ctx->claims.key_fingerprint);

        if (key == NULL) {
            return ngx_http_govern_token_refuse(r,
                       GOVERN_REASON_TOKEN_SIGNATURE,
                       "the token's key is not trusted here");
        }

        goto validate;
    }

    rc = ngx_http_govern_token_get(r, ctx, glcf, &token);

    if (rc != NGX_OK) {
        return rc;
    }

    rc = NGX_DECLINED;

    if (gmcf->jwt_cache) {
        /* the key, and the signing input's hash a miss verifies with */

        if (govern_jwt_digests(token.data, token.len, digest, signed_sha256)
            != 0)
        {
            return ngx_http_govern_token_refuse(r,
                       GOVERN_REASON_INTERNAL_ERROR,
                       "cannot hash the token");
        }

        rc = ngx_http_govern_cache_get(gmcf->jwt_cache, digest, r->pool,
                                       &ctx->claims);

        /* a hit counts only for a key this location trusts (a key the
         * provider removed is no longer one), read with this location's
         * partner claim */

        key = NULL;

        if (rc == NGX_OK) {
            key = ngx_http_govern_token_key(sets,
                                            ctx->claims.key_fingerprint);

            if (key == NULL
                || ctx->claims.partner_claim.len != glcf->partner_claim.len
                || ngx_memcmp(ctx->claims.partner_claim.data,
                              glcf->partner_claim.data,
                              glcf->partner_claim.len) != 0)
            {
                rc = NGX_DECLINED;
            }
        }

        ctx->token_cache = (rc == NGX_OK) ? 1 : 2;
    }

    if (rc != NGX_OK) {
        reason = govern_jwt_decode_sets(token.data, token.len, sets, 2,
                                        (const char *)
                                            glcf->partner_claim.data,
                                        gmcf->jwt_cache ? signed_sha256
                                                        : NULL,
                                        ngx_http_govern_token_alloc,
                                        r->pool, &ctx->claims, &result);

        if (reason != GOVERN_REASON_NONE) {

            /* a kid the provider may have published since the last fetch */

            if (result.unknown_kid) {
                rc = ngx_http_govern_keys_unknown_kid(r, ctx);

                if (rc != NGX_DECLINED) {
                    return rc;          /* waits, or refused */
                }
            }

            return ngx_http_govern_token_refuse(r, reason, result.detail);
        }

        key = result.key;

        if (gmcf->jwt_cache) {
            ngx_http_govern_cache_put(gmcf->jwt_cache, digest, &ctx->claims,
                                      r->connection->log);
        }
    }

    ctx->token_verified = 1;

validate:

    if (key && key->source) {
        ctx->key_source.data = (u_char *) key->source;
        ctx->key_source.len = ngx_strlen(key->source);
    }

    rules.now = ngx_time();
    rules.leeway = glcf->leeway;
    rules.issuers = glcf->issuers;
    rules.audiences = glcf->audiences;

    reason = govern_jwt_validate(&ctx->claims, &rules, &detail);

    if (reason != GOVERN_REASON_NONE) {
        return ngx_http_govern_token_refuse(r, reason, detail);
    }

    ctx->identified = 1;

#define govern_set(field, claim)                                             \
    ctx->field.data = (u_char *) ctx->claims.claim.data;                     \
    ctx->field.len = ctx->claims.claim.len

    govern_set(partner, partner);
    govern_set(subject, sub);
    govern_set(issuer, iss);
    govern_set(scopes, scopes);
    govern_set(jwt_kid, kid);
    govern_set(jwt_jti, jti);

#undef govern_set

    if (glcf->forward
        || (r->headers_in.authorization == NULL
            && glcf->token_header.len == 0))
    {
        return NGX_OK;
    }

    /* Authorization, and a token read from another header, stay here:
     * one rebuild of the header list removes both */

    if (ngx_http_govern_remove_header_in(r, r->headers_in.authorization,
                                         glcf->token_header.len
                                         ? &glcf->token_header : NULL)
        != NGX_OK)
    {
        return ngx_http_govern_refuse_internal(r, "the token");
    }

    r->headers_in.authorization = NULL;

    return NGX_OK;
}


static ngx_int_t
ngx_http_govern_token_get(ngx_http_request_t *r, ngx_http_govern_ctx_t *ctx,
    ngx_http_govern_loc_conf_t *glcf, ngx_str_t *token)
{
    u_char           *p, *end;
    ngx_int_t         rc;
    ngx_uint_t        i;
    ngx_table_elt_t  *h;

    if (glcf->token) {
        if (ngx_http_complex_value(r, glcf->token, token) != NGX_OK) {
            return ngx_http_govern_refuse_internal(r, "the token");
        }

        if (token->len == 0) {
            return ngx_http_govern_token_refuse(r,
                       GOVERN_REASON_TOKEN_MISSING,
                       "no bearer token");
        }

        goto check;
    }

    h = r->headers_in.authorization;

    /*
     * Clients that cannot set a header (Odoo's XML-RPC libraries, n8n's
     * node) put the token where Odoo takes its key: HTTP Basic's
     * password, or the password argument of the call itself
     */

    if (glcf->odoo && glcf->odoo_token != NGX_HTTP_GOVERN_TOKEN_HEADER
        && (h == NULL
            || glcf->odoo_token == NGX_HTTP_GOVERN_TOKEN_PASSWORD
            || ngx_strncasecmp(h->value.data, (u_char *) "Bearer ",
                               sizeof("Bearer ") - 1) != 0))
    {
        if (h && h->value.len > sizeof("Basic ") - 1
            && ngx_strncasecmp(h->value.data, (u_char *) "Basic ",
                               sizeof("Basic ") - 1) == 0)
        {
            rc = ngx_http_govern_token_basic(r, h, token);

        } else {
            rc = ngx_http_govern_token_password(r, ctx, token);
        }

        if (rc == NGX_OK) {
            goto check;
        }

        if (rc != NGX_DECLINED) {
            return rc;              /* reading the body, or refused */
        }

        return ngx_http_govern_token_refuse(r, GOVERN_REASON_TOKEN_MISSING,
                   "no token: not as a bearer, nor as the password");
    }

    if (h == NULL) {
        return ngx_http_govern_token_refuse(r,
                   GOVERN_REASON_TOKEN_MISSING, "no bearer token");
    }

    p = h->value.data;
    end = p + h->value.len;

    if (h->value.len < sizeof("Bearer") - 1
        || ngx_strncasecmp(p, (u_char *) "Bearer", sizeof("Bearer") - 1)
           != 0
        || (h->value.len > sizeof("Bearer") - 1
            && p[sizeof("Bearer") - 1] != ' '))
    {
        return ngx_http_govern_token_refuse(r,
                   GOVERN_REASON_TOKEN_MISSING,
                   "the Authorization scheme is not Bearer");
    }

    p += sizeof("Bearer") - 1;

    while (p < end && *p == ' ') {
        p++;
    }

    while (end > p && end[-1] == ' ') {
        end--;
    }

    token->data = p;
    token->len = end - p;

    if (token->len == 0) {
        return ngx_http_govern_token_refuse(r,
                   GOVERN_REASON_TOKEN_MALFORMED,
                   "the Bearer scheme carries no token");
    }

check:

    if (token->len > GOVERN_JWT_MAX_LEN) {
        return ngx_http_govern_token_refuse(r,
                   GOVERN_REASON_TOKEN_MALFORMED,
                   "the token is longer than 8 KB");
    }

    /* an Odoo API key (40 hex digits) where the partner token goes */

    if (token->len == 40) {
        for (i = 0; i < 40; i++) {
            if (!((token->data[i] >= '0' && token->data[i] <= '9')
                  || (token->data[i] >= 'a' && token->data[i] <= 'f')))
            {
                break;
            }
        }

        if (i == 40) {
            return ngx_http_govern_token_refuse(r,
                       GOVERN_REASON_TOKEN_MALFORMED,
                       "this gateway takes partner tokens, not Odoo keys");
        }
    }

    return NGX_OK;
}


/* Authorization: Basic base64(login:TOKEN): the password is the token */

static ngx_int_t
ngx_http_govern_token_basic(ngx_http_request_t *r, ngx_table_elt_t *h,
    ngx_str_t *token)
{
    u_char     *colon;
    ngx_str_t   src, plain;

    src.data = h->value.data + sizeof("Basic ") - 1;
    src.len = h->value.len - (sizeof("Basic ") - 1);

    while (src.len && src.data[0] == ' ') {
        src.data++;
        src.len--;
    }

    plain.data = ngx_pnalloc(r->pool, ngx_base64_decoded_length(src.len));
    if (plain.data == NULL) {
        return ngx_http_govern_refuse_internal(r, "the Basic credentials");
    }

    if (ngx_decode_base64(&plain, &src) != NGX_OK) {
        return ngx_http_govern_token_refuse(r, GOVERN_REASON_TOKEN_MALFORMED,
                   "the Basic credentials are not base64");
    }

    colon = ngx_strlchr(plain.data, plain.data + plain.len, ':');

    if (colon == NULL || colon + 1 == plain.data + plain.len) {
        return NGX_DECLINED;
    }

    token->data = colon + 1;
    token->len = plain.data + plain.len - token->data;

    return NGX_OK;
}


/*
 * The password argument of login, authenticate, execute_kw and execute
 * (params.args[2] on /jsonrpc and XML-RPC): the body is read and parsed
 * first, by the stages that do so, on these routes only.  NGX_AGAIN while
 * it is read; NGX_DECLINED when the call carries no password.
 */

static ngx_int_t
ngx_http_govern_token_password(ngx_http_request_t *r,
    ngx_http_govern_ctx_t *ctx, ngx_str_t *token)
{
    ngx_int_t     rc;
    govern_jv_t  *args, *v;

    rc = ngx_http_govern_body_stage.access(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_govern_xmlrpc_stage.access(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    args = govern_jv_getz(govern_jv_getz(ctx->json, "params"), "args");
    v = govern_jv_item(args, 2);

    if (!govern_jv_is_string(v) || v->len == 0) {
        return NGX_DECLINED;
    }

    token->data = (u_char *) v->u.string;
    token->len = v->len;

    return NGX_OK;
}


/* 401 with the RFC 6750 challenge: no error code when nothing was sent */

static ngx_int_t
ngx_http_govern_token_refuse(ngx_http_request_t *r,
    govern_reason_e reason, const char *detail)
{
    ngx_str_t  d;

    d.data = (u_char *) detail;
    d.len = ngx_strlen(detail);

    if (reason == GOVERN_REASON_INTERNAL_ERROR) {
        return ngx_http_govern_refuse(r, reason, &d);
    }

    if (ngx_http_govern_www_authenticate(r,
            reason == GOVERN_REASON_TOKEN_MISSING
            ? NULL : "invalid_token", "error_description", &d)
        != NGX_OK)
    {
        return ngx_http_govern_refuse_internal(r, "the token");
    }

    return ngx_http_govern_refuse(r, reason, &d);
}


/*
 * WWW-Authenticate: Bearer realm="govern"[, error="E", NAME="VALUE"];
 * the value is made safe for a quoted-string.
 */

ngx_int_t
ngx_http_govern_www_authenticate(ngx_http_request_t *r, const char *error,
    const char *name, ngx_str_t *value)
{
    u_char           *p;
    size_t            len, i;
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    len = sizeof("Bearer realm=\"" NGX_HTTP_GOVERN_REALM "\"") - 1;

    if (error) {
        len += sizeof(", error=\"\", =\"\"") - 1 + ngx_strlen(error)
               + ngx_strlen(name) + value->len;
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "WWW-Authenticate");
    h->value.data = p;

    p = ngx_cpymem(p, "Bearer realm=\"" NGX_HTTP_GOVERN_REALM "\"",
                   sizeof("Bearer realm=\"" NGX_HTTP_GOVERN_REALM "\"") - 1);

    if (error) {
        p = ngx_sprintf(p, ", error=\"%s\", %s=\"", error, name);

        for (i = 0; i < value->len; i++) {
            *p++ = (value->data[i] == '"' || value->data[i] == '\\'
                    || value->data[i] < 0x20 || value->data[i] >= 0x7f)
                   ? '\'' : value->data[i];
        }

        *p++ = '"';
    }

    h->value.len = p - h->value.data;

    r->headers_out.www_authenticate = h;

    return NGX_OK;
}


/*
 * ngx_list_t has no removal, and r->headers_in keeps pointers to its
 * elements: the request gets a new list without the header h, or without
 * every header called name, while those pointers keep pointing at the old
 * elements, which stay as they were.
 */

static ngx_int_t
ngx_http_govern_remove_header_in(ngx_http_request_t *r, ngx_table_elt_t *h,
    ngx_str_t *name)
{
    ngx_uint_t        i, n;
    ngx_list_t        old;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *elts, *e;

    /* the copy's parts are walked from old.part: its "last" is not used */

    old = r->headers_in.headers;
    n = 0;

    for (part = &old.part; part; part = part->next) {
        n += part->nelts;
    }

    /* in place: the list's "last" points into the list itself */

    if (ngx_list_init(&r->headers_in.headers, r->pool, ngx_max(n, 1),
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    for (part = &old.part; part; part = part->next) {
        elts = part->elts;

        for (i = 0; i < part->nelts; i++) {
            if (&elts[i] == h
                || (name
                    && ngx_http_govern_header_is_variable(&elts[i], name)))
            {
                continue;
            }

            e = ngx_list_push(&r->headers_in.headers);
            if (e == NULL) {
                return NGX_ERROR;
            }

            *e = elts[i];
        }
    }

    return NGX_OK;
}


/*
 * As $http_NAME finds its header: case-insensitive, '-' read as '_'
 * (trace.c's ngx_http_govern_header_is() compares lowcase keys exactly).
 */

static ngx_uint_t
ngx_http_govern_header_is_variable(ngx_table_elt_t *h, ngx_str_t *name)
{
    u_char      c;
    ngx_uint_t  i;

    if (h->key.len != name->len) {
        return 0;
    }

    for (i = 0; i < name->len; i++) {
        c = ngx_tolower(h->key.data[i]);

        if (c == '-') {
            c = '_';
        }

        if (c != name->data[i]) {
            return 0;
        }
    }

    return 1;
}


/* the key of this fingerprint among the location's sets, or NULL */

static const govern_jwt_key_t *
ngx_http_govern_token_key(const govern_jwt_keys_t *const *sets,
    const unsigned char *fp)
{
    ngx_uint_t               i;
    const govern_jwt_key_t  *key;

    for (i = 0; i < 2; i++) {
        if (sets[i]) {
            key = govern_jwt_key_by_fingerprint(sets[i], fp);

            if (key) {
                return key;
            }
        }
    }

    return NULL;
}


/* claims, and the parsed header and payload: aligned for the latter */

static void *
ngx_http_govern_token_alloc(void *pool, size_t size)
{
    return ngx_palloc(pool, size);
}


/* configuration */


static void
ngx_http_govern_keys_cleanup(void *data)
{
    govern_jwt_keys_free(data);
}


/* govern_jwt_keys FILE [alg=ALG] [kid=KID] */

char *
ngx_http_govern_jwt_keys_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_loc_conf_t *glcf = conf;

    char                *alg, *kid;
    u_char               err[512], *source;
    size_t               n;
    ngx_str_t           *value, file;
    ngx_uint_t           i;
    ngx_pool_cleanup_t  *cln;

    value = cf->args->elts;
    alg = NULL;
    kid = NULL;

    for (i = 2; i < cf->args->nelts; i++) {
        if (ngx_strncmp(value[i].data, "alg=", 4) == 0 && alg == NULL) {
            alg = (char *) value[i].data + 4;
            continue;
        }

        if (ngx_strncmp(value[i].data, "kid=", 4) == 0 && kid == NULL
            && value[i].len > 4)
        {
            kid = (char *) value[i].data + 4;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (glcf->keys == NGX_CONF_UNSET_PTR) {
        glcf->keys = ngx_pcalloc(cf->pool,
                                 sizeof(govern_jwt_keys_t));
        if (glcf->keys == NULL) {
            return NGX_CONF_ERROR;
        }

        cln = ngx_pool_cleanup_add(cf->pool, 0);
        if (cln == NULL) {
            return NGX_CONF_ERROR;
        }

        cln->handler = ngx_http_govern_keys_cleanup;
        cln->data = glcf->keys;
    }

    file = value[1];

    if (ngx_conf_full_name(cf->cycle, &file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    n = glcf->keys->nkeys;

    if (govern_jwt_keys_load(glcf->keys, (char *) file.data, alg,
                             kid, (char *) err, sizeof(err))
        != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "govern_jwt_keys \"%V\": %s",
                           &file, err);
        return NGX_CONF_ERROR;
    }

    /* the audit's key_source */

    source = ngx_pnalloc(cf->pool, sizeof("file:") + file.len);
    if (source == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(source, "file:%V%Z", &file);

    for ( /* void */ ; n < glcf->keys->nkeys; n++) {
        glcf->keys->keys[n].source = (const char *) source;
    }

    return NGX_CONF_OK;
}


/* govern_jwt_cache SIZE | off */

char *
ngx_http_govern_jwt_cache_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_main_conf_t *gmcf = conf;

    ssize_t     size;
    ngx_str_t  *value;

    if (gmcf->jwt_cache_size != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        gmcf->jwt_cache_size = 0;
        return NGX_CONF_OK;
    }

    size = ngx_parse_size(&value[1]);

    if (size == NGX_ERROR || size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid govern_jwt_cache size \"%V\", it must "
                           "be \"off\" or at least %uz", &value[1],
                           8 * ngx_pagesize);
        return NGX_CONF_ERROR;
    }

    gmcf->jwt_cache_size = size;

    return NGX_CONF_OK;
}


/*
 * govern_jwt_token $var: a complex value; when it is exactly "$http_NAME",
 * the header is remembered so that, like Authorization, it is not
 * forwarded unless govern_jwt_forward is on.
 */

char *
ngx_http_govern_jwt_token_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_govern_loc_conf_t *glcf = conf;

    char        *rv;
    u_char       c;
    ngx_str_t   *value;
    ngx_uint_t   i;

    rv = ngx_http_set_complex_value_slot(cf, cmd, conf);

    if (rv != NGX_CONF_OK) {
        return rv;
    }

    value = cf->args->elts;

    if (value[1].len <= sizeof("$http_") - 1
        || ngx_strncmp(value[1].data, "$http_", sizeof("$http_") - 1) != 0)
    {
        return NGX_CONF_OK;
    }

    for (i = sizeof("$http_") - 1; i < value[1].len; i++) {
        c = value[1].data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_'))
        {
            return NGX_CONF_OK;         /* not a lone variable */
        }
    }

    glcf->token_header.len = value[1].len - (sizeof("$http_") - 1);
    glcf->token_header.data = ngx_pnalloc(cf->pool, glcf->token_header.len);
    if (glcf->token_header.data == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < glcf->token_header.len; i++) {
        glcf->token_header.data[i] =
            ngx_tolower(value[1].data[sizeof("$http_") - 1 + i]);
    }

    return NGX_CONF_OK;
}


static char *
ngx_http_govern_token_merge(ngx_conf_t *cf, ngx_http_govern_loc_conf_t *prev,
    ngx_http_govern_loc_conf_t *conf)
{
    u_char                       *p;
    size_t                        len, i, j;
    const char                   *missing;
    govern_scope_set_t           *sets;

    ngx_conf_merge_ptr_value(conf->keys, prev->keys, NULL);
    ngx_conf_merge_ptr_value(conf->issuers, prev->issuers, NULL);
    ngx_conf_merge_ptr_value(conf->audiences, prev->audiences, NULL);
    ngx_conf_merge_sec_value(conf->leeway, prev->leeway, 30);
    ngx_conf_merge_str_value(conf->partner_claim, prev->partner_claim, "sub");
    if (conf->token == NGX_CONF_UNSET_PTR) {
        conf->token_header = prev->token_header;
    }

    ngx_conf_merge_ptr_value(conf->token, prev->token, NULL);
    ngx_conf_merge_value(conf->forward, prev->forward, 0);
    ngx_conf_merge_uint_value(conf->odoo_token, prev->odoo_token,
                              NGX_HTTP_GOVERN_TOKEN_ANY);

    if (conf->enable_file == NULL) {
        conf->enable_file = prev->enable_file;
        conf->enable_line = prev->enable_line;
    }

    if (conf->scopes == NULL) {
        conf->scopes = prev->scopes;
    }

    if (conf->scopes) {
        /* the audit's scopes_required: ["a b","c"], one per alternative */

        sets = conf->scopes->elts;
        len = sizeof("[]") - 1;

        for (i = 0; i < conf->scopes->nelts; i++) {
            len += sizeof("\"\",") - 1;

            for (j = 0; j < sets[i].n; j++) {
                len += ngx_strlen(sets[i].scopes[j]) + 1;
            }
        }

        p = ngx_pnalloc(cf->pool, len);
        if (p == NULL) {
            return NGX_CONF_ERROR;
        }

        conf->scopes_required.data = p;
        *p++ = '[';

        for (i = 0; i < conf->scopes->nelts; i++) {
            if (i) {
                *p++ = ',';
            }

            *p++ = '"';

            for (j = 0; j < sets[i].n; j++) {
                if (j) {
                    *p++ = ' ';
                }

                p = ngx_cpymem(p, sets[i].scopes[j],
                               ngx_strlen(sets[i].scopes[j]));
            }

            *p++ = '"';
        }

        *p++ = ']';
        conf->scopes_required.len = p - conf->scopes_required.data;
    }

    if (!conf->enable || conf->webhook) {
        return NGX_CONF_OK;
    }

    /* deny by default: a governed location must be able to verify */

    if ((conf->keys == NULL || conf->keys->nkeys == 0)
        && conf->keys_source == NULL)
    {
        missing = "govern_jwt_keys";

    } else if (conf->issuers == NULL) {
        missing = "govern_jwt_issuer";

    } else if (conf->audiences == NULL) {
        missing = "govern_jwt_audience";

    } else {
        return NGX_CONF_OK;
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "\"%s\" is required where \"govern\" is on in %s:%ui",
                  missing, conf->enable_file, conf->enable_line);

    return NGX_CONF_ERROR;
}


static void
ngx_http_govern_token_create(ngx_http_govern_loc_conf_t *conf)
{
    /*
     * set by ngx_pcalloc():
     *
     *     conf->partner_claim = { 0, NULL };
     *     conf->scopes = NULL;
     *     conf->scopes_required = { 0, NULL };
     */

    conf->keys = NGX_CONF_UNSET_PTR;
    conf->issuers = NGX_CONF_UNSET_PTR;
    conf->audiences = NGX_CONF_UNSET_PTR;
    conf->leeway = NGX_CONF_UNSET;
    conf->token = NGX_CONF_UNSET_PTR;
    conf->forward = NGX_CONF_UNSET;
    conf->odoo_token = NGX_CONF_UNSET_UINT;
}


const ngx_http_govern_stage_t  ngx_http_govern_token_stage = {
    "token",
    ngx_http_govern_token_create,
    ngx_http_govern_token_merge,
    NULL,                                   /* init */
    ngx_http_govern_token_access,
    NULL,                                   /* headers */
    NULL,                                   /* body */
    NULL                                    /* log */
};
