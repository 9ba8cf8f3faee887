
/*
 * govern: the audit trail's hash chain and signed checkpoints.
 *
 * A chained record ends with "seq":N,"chain":"<hex>"}, and its chain
 * value is SHA-256(the previous record's chain value, its own bytes
 * before "chain":"); the first record of a chain follows 32 zero bytes.
 * A checkpoint is a record too: its "prev" repeats the chain value it
 * follows and its Ed25519 signature covers GOVERN_AUDIT_SIGNED_CONTEXT
 * and its bytes before "sig":" (time, reason, node, seq, prev), so a
 * chain recomputed after an edit no longer matches what was signed.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include "govern_audit_chain.h"


#define GOVERN_AUDIT_TAIL        (sizeof("\"chain\":\"\"}") - 1 + 64)
#define GOVERN_AUDIT_HEAD_CONTEXT  "govern-audit-head/1\n"

/* the lines the verifier reads ahead for a record out of place */
#define GOVERN_AUDIT_LOOKAHEAD   1000000

#define govern_audit_cpy(p, s)   (memcpy(p, s, sizeof(s) - 1),               \
                                  (p) + sizeof(s) - 1)
#define govern_audit_is(p, s)    (memcmp(p, s, sizeof(s) - 1) == 0)


typedef struct {
    size_t                      file;
    size_t                      off;
    uint64_t                    line;
} govern_audit_cursor_t;


/* one line of the files given, and where it is */
typedef struct {
    const unsigned char        *data;
    size_t                      len;
    int                         complete;   /* ends with a line feed */
    const char                 *name;
    uint64_t                    line;
} govern_audit_text_t;


typedef struct {
    govern_audit_verify_t      *v;
    const govern_audit_input_t *in;
    size_t                      n;
    govern_audit_hash_t         hash;

    int                         have;       /* a record was taken */
    int                         blind;      /* the line before was not */
    uint64_t                    seq;
    unsigned char               chain[GOVERN_AUDIT_HASH_LEN];
    const char                 *name;
    uint64_t                    line;

    /* after an edited record, the value computed for it: the edit may
     * have been to its chain value */
    int                         have_alt;
    unsigned char               alt[GOVERN_AUDIT_HASH_LEN];

    /* the record taken before that one: an inserted record is told by
     * the next one continuing from it */
    int                         have_before;
    uint64_t                    before_seq;
    unsigned char               before[GOVERN_AUDIT_HASH_LEN];

    const char                 *unsealed_name;
    uint64_t                    unsealed_line;
} govern_audit_verifier_t;


static unsigned char *govern_audit_hex(unsigned char *p,
    const unsigned char *s, size_t n);
static int govern_audit_unhex(unsigned char *dst, const unsigned char *s,
    size_t n);
static unsigned char *govern_audit_u64(unsigned char *p, uint64_t v);
static int govern_audit_u64_before(const unsigned char *start,
    const unsigned char *end, const char *key, size_t key_len,
    uint64_t *v, const unsigned char **at);
static unsigned char *govern_audit_close(govern_audit_hash_t *h,
    unsigned char *start, unsigned char *p, unsigned char *chain);
static unsigned char *govern_audit_signed(const unsigned char *data,
    size_t len, size_t *msg_len);
static int govern_audit_next(const govern_audit_input_t *in, size_t n,
    govern_audit_cursor_t *c, govern_audit_text_t *t);
static void govern_audit_take(govern_audit_verifier_t *vs,
    govern_audit_text_t *t, govern_audit_line_t *l,
    govern_audit_cursor_t *c);
static void govern_audit_check(govern_audit_verifier_t *vs,
    govern_audit_text_t *t, govern_audit_line_t *l,
    const unsigned char *prev, int computed);
static void govern_audit_adopt(govern_audit_verifier_t *vs,
    govern_audit_text_t *t, govern_audit_line_t *l, int sealed);
static int govern_audit_swapped(govern_audit_verifier_t *vs,
    govern_audit_text_t *t, govern_audit_line_t *l,
    govern_audit_cursor_t *c);
static int govern_audit_find(govern_audit_verifier_t *vs,
    govern_audit_cursor_t c, uint64_t seq, govern_audit_text_t *where);
static void govern_audit_report(govern_audit_verifier_t *vs, int problem,
    const char *name, uint64_t line, const char *kind, const char *fmt, ...);


static const char  govern_audit_digits[] = "0123456789abcdef";


int
govern_audit_hash_init(govern_audit_hash_t *h)
{
    h->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    h->ctx = EVP_MD_CTX_new();

    if (h->sha256 == NULL || h->ctx == NULL) {
        govern_audit_hash_free(h);
        return -1;
    }

    return 0;
}


void
govern_audit_hash_free(govern_audit_hash_t *h)
{
    EVP_MD_CTX_free(h->ctx);
    EVP_MD_free(h->sha256);

    h->ctx = NULL;
    h->sha256 = NULL;
}


/* chain = SHA-256(chain, data) */

int
govern_audit_chain_step(govern_audit_hash_t *h, unsigned char *chain,
    const unsigned char *data, size_t len)
{
    if (EVP_DigestInit_ex(h->ctx, h->sha256, NULL) != 1
        || EVP_DigestUpdate(h->ctx, chain, GOVERN_AUDIT_HASH_LEN) != 1
        || EVP_DigestUpdate(h->ctx, data, len) != 1
        || EVP_DigestFinal_ex(h->ctx, chain, NULL) != 1)
    {
        return -1;
    }

    return 0;
}


/* RFC 3339 in UTC with milliseconds, GOVERN_AUDIT_TS_LEN characters */

char *
govern_audit_ts(char *p, int64_t ms)
{
    char       buf[64];
    time_t     sec;
    struct tm  tm;

    sec = (time_t) (ms / 1000);

    if (gmtime_r(&sec, &tm) == NULL || tm.tm_year + 1900 > 9999) {
        memset(&tm, 0, sizeof(struct tm));
        tm.tm_mday = 1;
        tm.tm_year = 70;
    }

    snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (int) (ms % 1000));

    memcpy(p, buf, GOVERN_AUDIT_TS_LEN);

    return p + GOVERN_AUDIT_TS_LEN;
}


/*
 * A request record: [start, p) holds its bytes up to the ',' after its
 * last field; appends its sequence number and chain value.
 */

unsigned char *
govern_audit_seal(govern_audit_hash_t *h, unsigned char *start,
    unsigned char *p, uint64_t seq, unsigned char *chain)
{
    p = govern_audit_cpy(p, "\"seq\":");
    p = govern_audit_u64(p, seq);
    *p++ = ',';

    return govern_audit_close(h, start, p, chain);
}


/*
 * A signed checkpoint with sequence number seq; chain is the value it
 * follows (and becomes its own).  Sequence number 1 starts a chain.
 */

unsigned char *
govern_audit_checkpoint(govern_audit_hash_t *h, EVP_PKEY *key,
    unsigned char *p, const char *ts, const char *reason,
    const unsigned char *node, size_t node_len, uint64_t seq,
    unsigned char *chain)
{
    int             ok;
    size_t          sig_len, msg_len;
    EVP_MD_CTX     *ctx;
    unsigned char  *start, *msg, sig[GOVERN_AUDIT_SIG_LEN];

    start = p;

    if (seq == 1) {
        memset(chain, 0, GOVERN_AUDIT_HASH_LEN);
    }

    p = govern_audit_cpy(p, "{\"ts\":\"");
    memcpy(p, ts, GOVERN_AUDIT_TS_LEN);
    p += GOVERN_AUDIT_TS_LEN;
    p = govern_audit_cpy(p, "\",\"v\":1,\"kind\":\"checkpoint\",\"reason\":\"");
    memcpy(p, reason, strlen(reason));
    p += strlen(reason);
    p = govern_audit_cpy(p, "\",\"node\":\"");
    memcpy(p, node, node_len);
    p += node_len;
    p = govern_audit_cpy(p, "\",\"seq\":");
    p = govern_audit_u64(p, seq);

    if (seq == 1) {
        p = govern_audit_cpy(p, ",\"prev\":null,");

    } else {
        p = govern_audit_cpy(p, ",\"prev\":\"");
        p = govern_audit_hex(p, chain, GOVERN_AUDIT_HASH_LEN);
        p = govern_audit_cpy(p, "\",");
    }

    msg = govern_audit_signed(start, p - start, &msg_len);
    if (msg == NULL) {
        return NULL;
    }

    ctx = EVP_MD_CTX_new();
    sig_len = sizeof(sig);

    ok = ctx != NULL
         && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1
         && EVP_DigestSign(ctx, sig, &sig_len, msg, msg_len) == 1
         && sig_len == GOVERN_AUDIT_SIG_LEN;

    EVP_MD_CTX_free(ctx);
    free(msg);

    if (!ok) {
        return NULL;
    }

    p = govern_audit_cpy(p, "\"sig\":\"");
    p = govern_audit_hex(p, sig, GOVERN_AUDIT_SIG_LEN);
    p = govern_audit_cpy(p, "\",");

    return govern_audit_close(h, start, p, chain);
}


/*
 * A gap record: lost records were not written, the first at since.
 * Without a hash (plain records) it ends there.
 */

unsigned char *
govern_audit_gap(govern_audit_hash_t *h, unsigned char *p, const char *ts,
    const unsigned char *node, size_t node_len, uint64_t lost,
    const char *since, uint64_t seq, unsigned char *chain)
{
    unsigned char  *start;

    start = p;

    p = govern_audit_cpy(p, "{\"ts\":\"");
    memcpy(p, ts, GOVERN_AUDIT_TS_LEN);
    p += GOVERN_AUDIT_TS_LEN;
    p = govern_audit_cpy(p, "\",\"v\":1,\"kind\":\"gap\",\"node\":\"");
    memcpy(p, node, node_len);
    p += node_len;
    p = govern_audit_cpy(p, "\",\"lost\":");
    p = govern_audit_u64(p, lost);
    p = govern_audit_cpy(p, ",\"since\":\"");
    memcpy(p, since, GOVERN_AUDIT_TS_LEN);
    p += GOVERN_AUDIT_TS_LEN;
    p = govern_audit_cpy(p, "\",");

    if (h == NULL) {
        p[-1] = '}';
        *p++ = '\n';
        return p;
    }

    return govern_audit_seal(h, start, p, seq, chain);
}


/* "chain":"<hex>"}\n after [start, p), the bytes the chain value covers */

static unsigned char *
govern_audit_close(govern_audit_hash_t *h, unsigned char *start,
    unsigned char *p, unsigned char *chain)
{
    if (govern_audit_chain_step(h, chain, start, p - start) != 0) {
        return NULL;
    }

    p = govern_audit_cpy(p, "\"chain\":\"");
    p = govern_audit_hex(p, chain, GOVERN_AUDIT_HASH_LEN);
    p = govern_audit_cpy(p, "\"}\n");

    return p;
}


/* what a checkpoint's signature covers: the context, then its bytes */

static unsigned char *
govern_audit_signed(const unsigned char *data, size_t len, size_t *msg_len)
{
    unsigned char  *msg;

    *msg_len = sizeof(GOVERN_AUDIT_SIGNED_CONTEXT) - 1 + len;

    msg = malloc(*msg_len);
    if (msg == NULL) {
        return NULL;
    }

    memcpy(msg, GOVERN_AUDIT_SIGNED_CONTEXT,
           sizeof(GOVERN_AUDIT_SIGNED_CONTEXT) - 1);
    memcpy(msg + sizeof(GOVERN_AUDIT_SIGNED_CONTEXT) - 1, data, len);

    return msg;
}


/*
 * One line (without its line feed) as a chained record.  TORN: it lacks
 * the chain value a record ends with; BAD: it has one, but not the form
 * the gateway writes (a changed byte in a field the verifier reads).
 */

govern_audit_line_e
govern_audit_parse(const unsigned char *line, size_t len,
    govern_audit_line_t *l)
{
    size_t                tail;
    const unsigned char  *end, *at, *since, *sig, *prev;

    if (len < sizeof("{\"ts\":\"") - 1 + GOVERN_AUDIT_TS_LEN
              + sizeof("\",\"v\":1,") - 1 + GOVERN_AUDIT_TAIL
        || !govern_audit_is(line, "{\"ts\":\"")
        || line[len - 1] != '}' || line[len - 2] != '"'
        || !govern_audit_is(line + len - GOVERN_AUDIT_TAIL, "\"chain\":\""))
    {
        return GOVERN_AUDIT_LINE_TORN;
    }

    tail = len - GOVERN_AUDIT_TAIL;
    end = line + tail;

    l->hashed = tail;
    l->ts = line + 7;
    l->genesis = 0;
    l->lost = 0;
    l->since = NULL;
    l->signed_len = 0;

    if (end[-1] != ','
        || govern_audit_unhex(l->chain, end + 9, 2 * GOVERN_AUDIT_HASH_LEN)
           != 0)
    {
        return GOVERN_AUDIT_LINE_BAD;
    }

    at = line + 7 + GOVERN_AUDIT_TS_LEN;

    if (govern_audit_is(at, "\",\"v\":1,\"kind\":\"checkpoint\",")) {
        l->kind = GOVERN_AUDIT_CHECKPOINT;

        /* ..."seq":N,"prev":null|"<hex>","sig":"<hex>", */

        sig = end - 2 - 2 * GOVERN_AUDIT_SIG_LEN;

        if (sig < at || end[-2] != '"'
            || !govern_audit_is(sig - 7, "\"sig\":\"")
            || govern_audit_unhex(l->sig, sig, 2 * GOVERN_AUDIT_SIG_LEN) != 0)
        {
            return GOVERN_AUDIT_LINE_BAD;
        }

        l->signed_len = sig - 7 - line;
        prev = sig - 7;

        if (prev - at > 12 && govern_audit_is(prev - 12, "\"prev\":null,")) {
            l->genesis = 1;
            memset(l->prev, 0, GOVERN_AUDIT_HASH_LEN);
            prev -= 12;

        } else if (prev - at > 74 && prev[-2] == '"'
                   && govern_audit_is(prev - 74, "\"prev\":\"")
                   && govern_audit_unhex(l->prev, prev - 66,
                                         2 * GOVERN_AUDIT_HASH_LEN) == 0)
        {
            prev -= 74;

        } else {
            return GOVERN_AUDIT_LINE_BAD;
        }

        if (!govern_audit_u64_before(at, prev, ",\"seq\":", 7, &l->seq, NULL)
            || (l->genesis && l->seq != 1))
        {
            return GOVERN_AUDIT_LINE_BAD;
        }

        return GOVERN_AUDIT_LINE_OK;
    }

    if (!govern_audit_u64_before(at, end, ",\"seq\":", 7, &l->seq, &at)) {
        return GOVERN_AUDIT_LINE_BAD;
    }

    if (!govern_audit_is(line + 7 + GOVERN_AUDIT_TS_LEN,
                         "\",\"v\":1,\"kind\":\"gap\","))
    {
        l->kind = GOVERN_AUDIT_REQUEST;
        return GOVERN_AUDIT_LINE_OK;
    }

    /* ..."lost":N,"since":"<ts>","seq":N, */

    l->kind = GOVERN_AUDIT_GAP;
    since = at - 1 - GOVERN_AUDIT_TS_LEN;

    if (since - line < 10 + GOVERN_AUDIT_TS_LEN || at[-1] != '"'
        || !govern_audit_is(since - 9, "\"since\":\"")
        || !govern_audit_u64_before(line, since - 9, "\"lost\":", 7, &l->lost,
                                    NULL))
    {
        return GOVERN_AUDIT_LINE_BAD;
    }

    l->since = since;

    return GOVERN_AUDIT_LINE_OK;
}


/*
 * The number in [start, end) that ends with a ',' at end - 1 and follows
 * key; at, if given, is set to where key begins.
 */

static int
govern_audit_u64_before(const unsigned char *start, const unsigned char *end,
    const char *key, size_t key_len, uint64_t *v, const unsigned char **at)
{
    uint64_t              n;
    const unsigned char  *digits, *d, *q;

    if (end - start < 2 || end[-1] != ',') {
        return 0;
    }

    q = end - 1;

    for (digits = q; digits > start && digits[-1] >= '0' && digits[-1] <= '9';
         digits--)
    {
        /* void */
    }

    if (digits == q || q - digits > 20 || (digits[0] == '0' && q - digits > 1)
        || (size_t) (digits - start) < key_len
        || memcmp(digits - key_len, key, key_len) != 0)
    {
        return 0;
    }

    n = 0;

    for (d = digits; d < q; d++) {
        if (n > (UINT64_MAX - (uint64_t) (*d - '0')) / 10) {
            return 0;
        }

        n = n * 10 + (uint64_t) (*d - '0');
    }

    *v = n;

    if (at) {
        *at = digits - key_len;
    }

    return 1;
}


/* the last whole chained record of data (a file's end): 0, or -1 */

int
govern_audit_last(const unsigned char *data, size_t len,
    govern_audit_line_t *l)
{
    const unsigned char  *end, *p;

    end = data + len;

    /* a last line without its line feed was not written whole */

    while (end > data && end[-1] != '\n') {
        end--;
    }

    while (end > data) {
        end--;                                  /* its line feed */

        for (p = end; p > data && p[-1] != '\n'; p--) {
            /* void */
        }

        if (govern_audit_parse(p, end - p, l) == GOVERN_AUDIT_LINE_OK) {
            return 0;
        }

        end = p;
    }

    return -1;
}


/* GOVERN_AUDIT_KEY_ID_LEN hex digits naming the key (public or private) */

int
govern_audit_key_id(EVP_PKEY *pkey, char *id)
{
    size_t          len;
    unsigned char   raw[64], digest[GOVERN_AUDIT_HASH_LEN];

    len = sizeof(raw);

    if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1
        || EVP_Digest(raw, len, digest, NULL, EVP_sha256(), NULL) != 1)
    {
        return -1;
    }

    govern_audit_hex((unsigned char *) id, digest,
                     GOVERN_AUDIT_KEY_ID_LEN / 2);

    return 0;
}


/*
 * The head's MAC key: SHA-256 of a context, the raw Ed25519 private key
 * and the audit file's path, so a head copied from another file, or left
 * by another key, is not taken.
 */

int
govern_audit_head_key(unsigned char *key, EVP_PKEY *pkey, const char *path,
    size_t path_len)
{
    int             ok;
    size_t          raw_len;
    EVP_MD_CTX     *ctx;
    unsigned char   raw[64];

    raw_len = sizeof(raw);

    if (EVP_PKEY_get_raw_private_key(pkey, raw, &raw_len) != 1) {
        return -1;
    }

    ctx = EVP_MD_CTX_new();

    ok = ctx != NULL
         && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1
         && EVP_DigestUpdate(ctx, GOVERN_AUDIT_HEAD_CONTEXT,
                             sizeof(GOVERN_AUDIT_HEAD_CONTEXT) - 1) == 1
         && EVP_DigestUpdate(ctx, raw, raw_len) == 1
         && EVP_DigestUpdate(ctx, path, path_len) == 1
         && EVP_DigestFinal_ex(ctx, key, NULL) == 1;

    EVP_MD_CTX_free(ctx);
    OPENSSL_cleanse(raw, sizeof(raw));

    return ok ? 0 : -1;
}


void
govern_audit_heads_init(govern_audit_heads_t *heads)
{
    memset(heads, 0, sizeof(govern_audit_heads_t));
    memcpy(heads->magic, GOVERN_AUDIT_HEAD_MAGIC,
           sizeof(GOVERN_AUDIT_HEAD_MAGIC));
}


static int
govern_audit_head_mac(const unsigned char *key,
    const govern_audit_head_t *head, unsigned char *mac)
{
    unsigned int  len;

    len = GOVERN_AUDIT_HASH_LEN;

    return HMAC(EVP_sha256(), key, GOVERN_AUDIT_HASH_LEN,
                (const unsigned char *) head,
                offsetof(govern_audit_head_t, mac), mac, &len)
           ? 0 : -1;
}


/* the newer slot whose MAC holds: 0, or -1 if neither does */

int
govern_audit_head_get(const govern_audit_heads_t *heads,
    const unsigned char *key, govern_audit_head_t *head)
{
    unsigned                    i, newer;
    unsigned char               mac[GOVERN_AUDIT_HASH_LEN];
    const govern_audit_head_t  *slot;

    if (memcmp(heads->magic, GOVERN_AUDIT_HEAD_MAGIC,
               sizeof(GOVERN_AUDIT_HEAD_MAGIC)) != 0)
    {
        return -1;
    }

    /* the newer first: the older one is read only when the newer one was
     * left half written (or the generations were changed) */

    newer = heads->slot[1].generation > heads->slot[0].generation;

    for (i = 0; i < 2; i++) {
        slot = &heads->slot[i ? !newer : newer];

        if (govern_audit_head_mac(key, slot, mac) == 0
            && CRYPTO_memcmp(mac, slot->mac, GOVERN_AUDIT_HASH_LEN) == 0)
        {
            *head = *slot;
            return 0;
        }
    }

    return -1;
}


/* head, as the next generation, into the slot that does not hold the
 * current one */

int
govern_audit_head_put(govern_audit_heads_t *heads, const unsigned char *key,
    govern_audit_head_t *head)
{
    head->generation++;

    if (govern_audit_head_mac(key, head, head->mac) != 0) {
        return -1;
    }

    heads->slot[head->generation & 1] = *head;

    return 0;
}


/*
 * The verifier: reads the files in order as one chain and reports each
 * problem at the line it shows at; see DESIGN section 6.1 for the kinds.
 */

govern_audit_result_e
govern_audit_verify(govern_audit_verify_t *v, const govern_audit_input_t *in,
    size_t n)
{
    govern_audit_line_e      rc;
    govern_audit_line_t      l;
    govern_audit_text_t      t;
    govern_audit_cursor_t    c;
    govern_audit_verifier_t  vs;

    memset(&vs, 0, sizeof(govern_audit_verifier_t));
    vs.v = v;
    vs.in = in;
    vs.n = n;

    if (govern_audit_hash_init(&vs.hash) != 0) {
        govern_audit_report(&vs, 1, "", 0, "error", "no SHA-256");
        return GOVERN_AUDIT_DAMAGED;
    }

    memset(&c, 0, sizeof(govern_audit_cursor_t));

    while (govern_audit_next(in, n, &c, &t)) {

        if (!t.complete) {
            govern_audit_report(&vs, 1, t.name, t.line, "torn",
                                "the file ends inside a record (an "
                                "incomplete write, or the file was cut)");
            vs.blind = 1;
            continue;
        }

        if (t.len == 0) {
            continue;
        }

        rc = govern_audit_parse(t.data, t.len, &l);

        if (rc == GOVERN_AUDIT_LINE_TORN) {
            govern_audit_report(&vs, 1, t.name, t.line, "torn",
                                "not a whole record");
            vs.blind = 1;
            continue;
        }

        if (rc == GOVERN_AUDIT_LINE_BAD) {
            govern_audit_report(&vs, 1, t.name, t.line, "edited",
                                "the record's chain fields were changed");
            vs.blind = 1;
            continue;
        }

        govern_audit_take(&vs, &t, &l, &c);
    }

    govern_audit_hash_free(&vs.hash);

    if (v->problems) {
        return GOVERN_AUDIT_DAMAGED;
    }

    if (!vs.have) {
        govern_audit_report(&vs, 0, n ? in[n - 1].name : "", 0, "unsealed",
                            "no records: nothing is proven");
        return GOVERN_AUDIT_UNSEALED;
    }

    if (v->unsealed) {
        govern_audit_report(&vs, 0, vs.unsealed_name, vs.unsealed_line,
                            "unsealed",
                            "%llu record%s from here on follow%s the last "
                            "checkpoint: not sealed yet (the gateway may "
                            "still be writing, or the end was cut)",
                            (unsigned long long) v->unsealed,
                            v->unsealed == 1 ? "" : "s",
                            v->unsealed == 1 ? "s" : "");
        return GOVERN_AUDIT_UNSEALED;
    }

    return GOVERN_AUDIT_INTACT;
}


static int
govern_audit_next(const govern_audit_input_t *in, size_t n,
    govern_audit_cursor_t *c, govern_audit_text_t *t)
{
    const unsigned char  *p, *nl;

    while (c->file < n) {

        if (c->off >= in[c->file].len) {
            c->file++;
            c->off = 0;
            c->line = 0;
            continue;
        }

        p = in[c->file].data + c->off;
        nl = memchr(p, '\n', in[c->file].len - c->off);

        t->data = p;
        t->name = in[c->file].name;
        t->line = ++c->line;
        t->complete = (nl != NULL);
        t->len = nl ? (size_t) (nl - p) : in[c->file].len - c->off;

        c->off += t->len + 1;

        return 1;
    }

    return 0;
}


/* one whole record, where the chain so far says it should be, or not */

static void
govern_audit_take(govern_audit_verifier_t *vs, govern_audit_text_t *t,
    govern_audit_line_t *l, govern_audit_cursor_t *c)
{
    uint64_t             expected;
    unsigned char        chain[GOVERN_AUDIT_HASH_LEN];
    govern_audit_text_t  where;

    static const unsigned char  zero[GOVERN_AUDIT_HASH_LEN];

    if (!vs->have) {

        if (l->kind != GOVERN_AUDIT_CHECKPOINT) {
            govern_audit_report(vs, 1, t->name, t->line, "cut",
                                "the first record is not a checkpoint: what "
                                "came before it (up to seq %llu) is missing",
                                (unsigned long long) l->seq - 1);
            govern_audit_adopt(vs, t, l, 0);
            return;
        }

        if (l->genesis) {
            vs->v->genesis = 1;
            govern_audit_report(vs, 0, t->name, t->line, "start",
                                "the chain starts here");

        } else {
            govern_audit_report(vs, 0, t->name, t->line, "continues",
                                "the chain continues from seq %llu, in "
                                "files not given",
                                (unsigned long long) l->seq - 1);
        }

        govern_audit_check(vs, t, l, l->prev, 0);
        return;
    }

    if (vs->blind) {
        /*
         * The line before could not be read (it was reported): take this
         * one as it is, after what that line may have been.
         */

        vs->blind = 0;

        if (l->seq > vs->seq + 2) {
            govern_audit_report(vs, 1, t->name, t->line, "missing",
                                "%llu record%s (seq %llu to %llu) missing "
                                "before this line, besides the one that "
                                "could not be read",
                                (unsigned long long) (l->seq - vs->seq - 2),
                                l->seq - vs->seq - 2 == 1 ? "" : "s",
                                (unsigned long long) vs->seq + 2,
                                (unsigned long long) l->seq - 1);
        }

        if (l->seq > vs->seq) {
            if (l->kind == GOVERN_AUDIT_CHECKPOINT) {
                govern_audit_check(vs, t, l, l->prev, 0);

            } else {
                govern_audit_adopt(vs, t, l, 0);
            }

            return;
        }
    }

    expected = vs->seq + 1;

    if (l->kind == GOVERN_AUDIT_CHECKPOINT && l->genesis) {
        govern_audit_report(vs, 1, t->name, t->line, "cut",
                            "a new chain starts here: the one before, up to "
                            "seq %llu at %s:%llu, is not continued, so "
                            "records may be missing",
                            (unsigned long long) vs->seq, vs->name,
                            (unsigned long long) vs->line);
        govern_audit_check(vs, t, l, zero, 0);
        return;
    }

    if (l->seq == expected) {
        govern_audit_check(vs, t, l, vs->chain, 1);
        return;
    }

    if (l->seq > expected) {

        if (govern_audit_swapped(vs, t, l, c)) {
            return;
        }

        /* where the record is matters only while problems are listed:
         * a hostile file must not make every line a search */

        if ((vs->v->max_problems == 0
             || vs->v->problems < vs->v->max_problems)
            && govern_audit_find(vs, *c, expected, &where))
        {
            govern_audit_report(vs, 1, t->name, t->line, "reordered",
                                "seq %llu comes before seq %llu, which is "
                                "at %s:%llu",
                                (unsigned long long) l->seq,
                                (unsigned long long) expected, where.name,
                                (unsigned long long) where.line);
        } else {
            govern_audit_report(vs, 1, t->name, t->line, "missing",
                                "%llu record%s (seq %llu to %llu) missing "
                                "before this line",
                                (unsigned long long) (l->seq - expected),
                                l->seq - expected == 1 ? "" : "s",
                                (unsigned long long) expected,
                                (unsigned long long) l->seq - 1);
        }

        if (l->kind == GOVERN_AUDIT_CHECKPOINT) {
            /* it carries the chain value before it: its own can be
             * checked, and its signature */
            govern_audit_check(vs, t, l, l->prev, 0);

        } else {
            govern_audit_adopt(vs, t, l, 0);
        }

        return;
    }

    /*
     * A sequence number already taken.  If this record continues from the
     * one before the last, the last was inserted.
     */

    if (l->seq == vs->seq && vs->have_before
        && l->seq == vs->before_seq + 1)
    {
        memcpy(chain, vs->before, GOVERN_AUDIT_HASH_LEN);

        if (govern_audit_chain_step(&vs->hash, chain, t->data, l->hashed) == 0
            && memcmp(chain, l->chain, GOVERN_AUDIT_HASH_LEN) == 0)
        {
            govern_audit_report(vs, 1, vs->name, vs->line, "inserted",
                                "this record is not in the chain: the next "
                                "line carries seq %llu too, and continues "
                                "from the record before this one",
                                (unsigned long long) l->seq);

            vs->seq = vs->before_seq;
            memcpy(vs->chain, vs->before, GOVERN_AUDIT_HASH_LEN);
            vs->have_before = 0;
            vs->v->records--;

            if (vs->v->unsealed) {
                vs->v->unsealed--;
            }

            govern_audit_check(vs, t, l, vs->chain, 1);
            return;
        }
    }

    govern_audit_report(vs, 1, t->name, t->line, "reordered",
                        "seq %llu comes after seq %llu (at %s:%llu)",
                        (unsigned long long) l->seq,
                        (unsigned long long) vs->seq, vs->name,
                        (unsigned long long) vs->line);
}


/*
 * The record's chain value from prev; for a checkpoint, that prev is what
 * it says it follows (when prev was computed from the records before)
 * and its signature.
 */

static void
govern_audit_check(govern_audit_verifier_t *vs, govern_audit_text_t *t,
    govern_audit_line_t *l, const unsigned char *prev, int computed)
{
    int             ok;
    size_t          msg_len;
    EVP_MD_CTX     *ctx;
    unsigned char  *msg, chain[GOVERN_AUDIT_HASH_LEN];

    memcpy(chain, prev, GOVERN_AUDIT_HASH_LEN);

    if (govern_audit_chain_step(&vs->hash, chain, t->data, l->hashed) == 0
        && memcmp(chain, l->chain, GOVERN_AUDIT_HASH_LEN) != 0
        && computed && vs->have_alt)
    {
        prev = vs->alt;
        memcpy(chain, prev, GOVERN_AUDIT_HASH_LEN);
        (void) govern_audit_chain_step(&vs->hash, chain, t->data, l->hashed);
    }

    if (memcmp(chain, l->chain, GOVERN_AUDIT_HASH_LEN) != 0) {
        govern_audit_report(vs, 1, t->name, t->line, "edited",
                            "the record is not the one that was chained "
                            "(seq %llu): its bytes were changed",
                            (unsigned long long) l->seq);
        govern_audit_adopt(vs, t, l, 0);

        vs->have_alt = 1;
        memcpy(vs->alt, chain, GOVERN_AUDIT_HASH_LEN);
        return;
    }

    if (l->kind != GOVERN_AUDIT_CHECKPOINT) {
        govern_audit_adopt(vs, t, l, 0);
        return;
    }

    if (computed && memcmp(l->prev, prev, GOVERN_AUDIT_HASH_LEN) != 0) {
        ok = 0;

    } else {
        msg = govern_audit_signed(t->data, l->signed_len, &msg_len);
        ctx = EVP_MD_CTX_new();

        ok = msg != NULL && ctx != NULL && vs->v->key != NULL
             && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, vs->v->key) == 1
             && EVP_DigestVerify(ctx, l->sig, GOVERN_AUDIT_SIG_LEN, msg,
                                 msg_len) == 1;

        EVP_MD_CTX_free(ctx);
        free(msg);
    }

    if (!ok) {
        if (vs->v->sealed_name) {
            govern_audit_report(vs, 1, t->name, t->line, "signature",
                                "the checkpoint does not seal the records "
                                "before it: records after the checkpoint at "
                                "%s:%llu (seq %llu) were changed, or the "
                                "checkpoint was",
                                vs->v->sealed_name,
                                (unsigned long long) vs->v->sealed_line,
                                (unsigned long long) vs->v->sealed_seq);
        } else {
            govern_audit_report(vs, 1, t->name, t->line, "signature",
                                "the checkpoint does not seal the records "
                                "before it: they were changed, or the "
                                "checkpoint was, or another key signed it");
        }
    }

    govern_audit_adopt(vs, t, l, ok);
}


/* the record becomes the last one taken */

static void
govern_audit_adopt(govern_audit_verifier_t *vs, govern_audit_text_t *t,
    govern_audit_line_t *l, int sealed)
{
    unsigned   i;
    char       ts[GOVERN_AUDIT_TS_LEN + 1], since[GOVERN_AUDIT_TS_LEN + 1];
    uint64_t   lost;

    vs->have_alt = 0;
    vs->have_before = vs->have;
    vs->before_seq = vs->seq;
    memcpy(vs->before, vs->chain, GOVERN_AUDIT_HASH_LEN);

    vs->have = 1;
    vs->seq = l->seq;
    memcpy(vs->chain, l->chain, GOVERN_AUDIT_HASH_LEN);
    vs->name = t->name;
    vs->line = t->line;

    vs->v->records++;

    if (sealed) {
        vs->v->checkpoints++;
        vs->v->unsealed = 0;
        vs->v->sealed_name = t->name;
        vs->v->sealed_line = t->line;
        vs->v->sealed_seq = l->seq;
        return;
    }

    if (l->kind == GOVERN_AUDIT_CHECKPOINT) {
        return;
    }

    if (vs->v->unsealed++ == 0) {
        vs->unsealed_name = t->name;
        vs->unsealed_line = t->line;
    }

    if (l->kind == GOVERN_AUDIT_REQUEST) {
        vs->v->requests++;
        return;
    }

    /* a gap record: records the gateway could not write */

    lost = l->lost;
    vs->v->gaps++;
    vs->v->lost += lost;

    for (i = 0; i < GOVERN_AUDIT_TS_LEN; i++) {
        ts[i] = (l->ts[i] > 0x20 && l->ts[i] < 0x7f) ? l->ts[i] : '?';
        since[i] = (l->since[i] > 0x20 && l->since[i] < 0x7f)
                   ? l->since[i] : '?';
    }

    ts[GOVERN_AUDIT_TS_LEN] = '\0';
    since[GOVERN_AUDIT_TS_LEN] = '\0';

    govern_audit_report(vs, 0, t->name, t->line, "gap",
                        "%llu record%s lost: not written (from %s to %s)",
                        (unsigned long long) lost, lost == 1 ? "" : "s",
                        since, ts);
}


/* this record (seq expected + 1) and the next (seq expected) swapped */

static int
govern_audit_swapped(govern_audit_verifier_t *vs, govern_audit_text_t *t,
    govern_audit_line_t *l, govern_audit_cursor_t *c)
{
    unsigned char          chain[GOVERN_AUDIT_HASH_LEN];
    govern_audit_line_t    l2;
    govern_audit_text_t    t2;
    govern_audit_cursor_t  c2;

    c2 = *c;

    if (l->seq != vs->seq + 2
        || !govern_audit_next(vs->in, vs->n, &c2, &t2) || !t2.complete
        || govern_audit_parse(t2.data, t2.len, &l2) != GOVERN_AUDIT_LINE_OK
        || l2.seq != vs->seq + 1)
    {
        return 0;
    }

    memcpy(chain, vs->chain, GOVERN_AUDIT_HASH_LEN);

    if (govern_audit_chain_step(&vs->hash, chain, t2.data, l2.hashed) != 0
        || memcmp(chain, l2.chain, GOVERN_AUDIT_HASH_LEN) != 0
        || govern_audit_chain_step(&vs->hash, chain, t->data, l->hashed) != 0
        || memcmp(chain, l->chain, GOVERN_AUDIT_HASH_LEN) != 0)
    {
        return 0;
    }

    govern_audit_report(vs, 1, t->name, t->line, "reordered",
                        "this record (seq %llu) and the next one, at "
                        "%s:%llu (seq %llu), are swapped",
                        (unsigned long long) l->seq, t2.name,
                        (unsigned long long) t2.line,
                        (unsigned long long) l2.seq);

    govern_audit_check(vs, &t2, &l2, vs->chain, 1);
    govern_audit_check(vs, t, l, vs->chain, 1);

    *c = c2;

    return 1;
}


/* a record with sequence number seq further on */

static int
govern_audit_find(govern_audit_verifier_t *vs, govern_audit_cursor_t c,
    uint64_t seq, govern_audit_text_t *where)
{
    unsigned             i;
    govern_audit_line_t  l;

    for (i = 0; i < GOVERN_AUDIT_LOOKAHEAD; i++) {

        if (!govern_audit_next(vs->in, vs->n, &c, where)) {
            return 0;
        }

        if (where->complete
            && govern_audit_parse(where->data, where->len, &l)
               == GOVERN_AUDIT_LINE_OK
            && l.seq == seq)
        {
            return 1;
        }
    }

    return 0;
}


static void
govern_audit_report(govern_audit_verifier_t *vs, int problem,
    const char *name, uint64_t line, const char *kind, const char *fmt, ...)
{
    char     text[512];
    va_list  args;

    if (problem) {
        vs->v->problems++;

        if (vs->v->max_problems && vs->v->problems > vs->v->max_problems) {
            return;
        }
    }

    if (vs->v->report == NULL) {
        return;
    }

    va_start(args, fmt);
    vsnprintf(text, sizeof(text), fmt, args);
    va_end(args);

    vs->v->report(vs->v->data, name, line, kind, text);
}


static unsigned char *
govern_audit_hex(unsigned char *p, const unsigned char *s, size_t n)
{
    while (n--) {
        *p++ = govern_audit_digits[*s >> 4];
        *p++ = govern_audit_digits[*s++ & 0xf];
    }

    return p;
}


/* n lowercase hex digits, as written; anything else is an edit */

static int
govern_audit_unhex(unsigned char *dst, const unsigned char *s, size_t n)
{
    size_t         i;
    unsigned char  c, v[2];

    for (i = 0; i < n; i += 2) {
        for (c = 0; c < 2; c++) {
            if (s[i + c] >= '0' && s[i + c] <= '9') {
                v[c] = s[i + c] - '0';

            } else if (s[i + c] >= 'a' && s[i + c] <= 'f') {
                v[c] = s[i + c] - 'a' + 10;

            } else {
                return -1;
            }
        }

        *dst++ = (unsigned char) (v[0] << 4 | v[1]);
    }

    return 0;
}


static unsigned char *
govern_audit_u64(unsigned char *p, uint64_t v)
{
    unsigned char  buf[20], *d;

    d = buf + sizeof(buf);

    do {
        *--d = (unsigned char) ('0' + v % 10);
        v /= 10;
    } while (v);

    memcpy(p, d, buf + sizeof(buf) - d);

    return p + (buf + sizeof(buf) - d);
}
