/* Unit tests: the audit hash chain, checkpoints, head and verifier
 * (govern_audit_chain.c). */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "govern_audit_chain.h"


#define NODE  "gw-1"


/* a gateway in miniature: writes chained lines into a growing text */

typedef struct {
    govern_audit_hash_t   hash;
    EVP_PKEY             *key;
    unsigned char         chain[GOVERN_AUDIT_HASH_LEN];
    uint64_t              seq;
    int64_t               ms;
    unsigned char        *text;
    size_t                len;
    size_t                size;
} writer_t;


/* what the verifier reported */

typedef struct {
    int                   n;
    char                  names[64][64];
    uint64_t              lines[64];
    char                  kinds[64][16];
    char                  texts[64][512];
} reports_t;


static EVP_PKEY  *the_key;
static EVP_PKEY  *the_public;
static EVP_PKEY  *other_key;


static EVP_PKEY *
public_of(EVP_PKEY *key)
{
    size_t          len;
    unsigned char   raw[32];

    len = sizeof(raw);
    assert_int_equal(EVP_PKEY_get_raw_public_key(key, raw, &len), 1);

    return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, len);
}


static int
setup(void **state)
{
    the_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    other_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    the_public = public_of(the_key);

    return the_key && other_key && the_public ? 0 : -1;
}


static int
teardown(void **state)
{
    EVP_PKEY_free(the_key);
    EVP_PKEY_free(other_key);
    EVP_PKEY_free(the_public);

    return 0;
}


static void
writer_init(writer_t *w)
{
    memset(w, 0, sizeof(writer_t));
    assert_int_equal(govern_audit_hash_init(&w->hash), 0);
    w->key = the_key;
    w->ms = 1796083200123LL;
    w->size = 1 << 16;
    w->text = malloc(w->size);
    assert_non_null(w->text);
}


static void
writer_free(writer_t *w)
{
    govern_audit_hash_free(&w->hash);
    free(w->text);
}


static unsigned char *
writer_room(writer_t *w, size_t need)
{
    if (w->len + need > w->size) {
        w->size = 2 * (w->len + need);
        w->text = realloc(w->text, w->size);
        assert_non_null(w->text);
    }

    return w->text + w->len;
}


static void
request(writer_t *w, const char *id)
{
    char            ts[GOVERN_AUDIT_TS_LEN];
    unsigned char  *start, *p;

    start = writer_room(w, 256 + GOVERN_AUDIT_SEAL_MAX);
    govern_audit_ts(ts, w->ms++);

    p = start + sprintf((char *) start,
                        "{\"ts\":\"%.24s\",\"v\":1,\"request_id\":\"%s\","
                        "\"status\":200,\"client_ip\":\"10.0.0.7\",", ts, id);

    p = govern_audit_seal(&w->hash, start, p, ++w->seq, w->chain);
    assert_non_null(p);

    w->len = p - w->text;
}


static void
checkpoint(writer_t *w, const char *reason)
{
    char            ts[GOVERN_AUDIT_TS_LEN];
    unsigned char  *p;

    govern_audit_ts(ts, w->ms++);

    p = govern_audit_checkpoint(&w->hash, w->key,
                                writer_room(w, GOVERN_AUDIT_SPECIAL_MAX(4)),
                                ts, reason, (const unsigned char *) NODE, 4,
                                ++w->seq, w->chain);
    assert_non_null(p);

    w->len = p - w->text;
}


static void
gap(writer_t *w, uint64_t lost)
{
    char            ts[GOVERN_AUDIT_TS_LEN], since[GOVERN_AUDIT_TS_LEN];
    unsigned char  *p;

    govern_audit_ts(since, w->ms - 5000);
    govern_audit_ts(ts, w->ms++);

    p = govern_audit_gap(&w->hash, writer_room(w, GOVERN_AUDIT_SPECIAL_MAX(4)),
                         ts, (const unsigned char *) NODE, 4, lost, since,
                         ++w->seq, w->chain);
    assert_non_null(p);

    w->len = p - w->text;
}


/* a chain: a start, then n requests with a checkpoint every "every" */

static void
chain_of(writer_t *w, int n, int every, int close)
{
    int   i;
    char  id[32];

    writer_init(w);
    checkpoint(w, "start");

    for (i = 1; i <= n; i++) {
        snprintf(id, sizeof(id), "r%d", i);
        request(w, id);

        if (every && i % every == 0) {
            checkpoint(w, "every");
        }
    }

    if (close) {
        checkpoint(w, "exit");
    }
}


static void
record(void *data, const char *name, uint64_t line, const char *kind,
    const char *text)
{
    reports_t  *r = data;

    if (r->n == 64) {
        return;
    }

    snprintf(r->names[r->n], sizeof(r->names[0]), "%s", name);
    r->lines[r->n] = line;
    snprintf(r->kinds[r->n], sizeof(r->kinds[0]), "%s", kind);
    snprintf(r->texts[r->n], sizeof(r->texts[0]), "%s", text);
    r->n++;
}


static govern_audit_result_e
verify_files(govern_audit_input_t *in, size_t n, EVP_PKEY *key,
    reports_t *r, govern_audit_verify_t *v)
{
    memset(r, 0, sizeof(reports_t));
    memset(v, 0, sizeof(govern_audit_verify_t));
    v->key = key;
    v->report = record;
    v->data = r;

    return govern_audit_verify(v, in, n);
}


static govern_audit_result_e
verify_text(const unsigned char *text, size_t len, reports_t *r,
    govern_audit_verify_t *v)
{
    govern_audit_input_t  in;

    in.name = "audit.log";
    in.data = text;
    in.len = len;

    return verify_files(&in, 1, the_public, r, v);
}


/* the first report that is a problem (not a note) */

static int
first_problem(reports_t *r)
{
    int  i;

    for (i = 0; i < r->n; i++) {
        if (strcmp(r->kinds[i], "start") != 0
            && strcmp(r->kinds[i], "continues") != 0
            && strcmp(r->kinds[i], "gap") != 0
            && strcmp(r->kinds[i], "unsealed") != 0)
        {
            return i;
        }
    }

    fail_msg("no problem reported");
    return -1;
}


static int
problems(reports_t *r)
{
    int  i, n;

    for (i = 0, n = 0; i < r->n; i++) {
        if (strcmp(r->kinds[i], "start") != 0
            && strcmp(r->kinds[i], "continues") != 0
            && strcmp(r->kinds[i], "gap") != 0
            && strcmp(r->kinds[i], "unsealed") != 0)
        {
            n++;
        }
    }

    return n;
}


/* where line n (1-based) of text begins, and its length with the LF */

static size_t
line_at(const unsigned char *text, size_t len, int n, size_t *line_len)
{
    size_t                off;
    const unsigned char  *nl;

    off = 0;

    while (--n) {
        nl = memchr(text + off, '\n', len - off);
        assert_non_null(nl);
        off = nl - text + 1;
    }

    nl = memchr(text + off, '\n', len - off);
    assert_non_null(nl);
    *line_len = nl - (text + off) + 1;

    return off;
}


static unsigned char *
without_line(writer_t *w, int n, size_t *len)
{
    size_t          off, ll;
    unsigned char  *t;

    off = line_at(w->text, w->len, n, &ll);
    t = malloc(w->len);
    memcpy(t, w->text, off);
    memcpy(t + off, w->text + off + ll, w->len - off - ll);
    *len = w->len - ll;

    return t;
}


static void
test_ts(void **state)
{
    char  ts[GOVERN_AUDIT_TS_LEN + 1];

    ts[GOVERN_AUDIT_TS_LEN] = '\0';

    govern_audit_ts(ts, 1796083200123LL);
    assert_string_equal(ts, "2026-12-01T00:00:00.123Z");

    govern_audit_ts(ts, 0);
    assert_string_equal(ts, "1970-01-01T00:00:00.000Z");
}


static void
test_seal_is_the_defined_hash(void **state)
{
    size_t                len;
    writer_t              w;
    const char           *body;
    EVP_MD_CTX           *ctx;
    unsigned char         prev[GOVERN_AUDIT_HASH_LEN], want[32];
    govern_audit_line_t   l;
    const unsigned char  *hashed;

    writer_init(&w);
    memset(w.chain, 0xab, sizeof(w.chain));
    memcpy(prev, w.chain, sizeof(prev));
    w.seq = 41;

    request(&w, "x");

    /* SHA-256(previous chain value, the bytes before "chain":") */

    body = strstr((char *) w.text, "\"chain\":\"");
    assert_non_null(body);
    hashed = w.text;
    len = (const unsigned char *) body - hashed;

    assert_memory_equal(hashed + len - sizeof("\"seq\":42,") + 1,
                        "\"seq\":42,", sizeof("\"seq\":42,") - 1);

    ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
    assert_int_equal(EVP_DigestUpdate(ctx, prev, 32), 1);
    assert_int_equal(EVP_DigestUpdate(ctx, hashed, len), 1);
    assert_int_equal(EVP_DigestFinal_ex(ctx, want, NULL), 1);
    EVP_MD_CTX_free(ctx);

    assert_memory_equal(w.chain, want, 32);

    assert_int_equal(w.text[w.len - 1], '\n');
    assert_int_equal(govern_audit_parse(w.text, w.len - 1, &l),
                     GOVERN_AUDIT_LINE_OK);
    assert_int_equal(l.kind, GOVERN_AUDIT_REQUEST);
    assert_int_equal(l.seq, 42);
    assert_int_equal(l.hashed, len);
    assert_memory_equal(l.chain, want, 32);

    writer_free(&w);
}


static void
test_checkpoint_parse(void **state)
{
    size_t               ll, off;
    writer_t             w;
    govern_audit_line_t  l;

    chain_of(&w, 3, 0, 1);

    /* the start: seq 1, prev null */

    off = line_at(w.text, w.len, 1, &ll);
    assert_int_equal(govern_audit_parse(w.text + off, ll - 1, &l),
                     GOVERN_AUDIT_LINE_OK);
    assert_int_equal(l.kind, GOVERN_AUDIT_CHECKPOINT);
    assert_int_equal(l.seq, 1);
    assert_true(l.genesis);
    assert_non_null(strstr((char *) w.text,
                           "\"kind\":\"checkpoint\",\"reason\":\"start\","
                           "\"node\":\"gw-1\",\"seq\":1,\"prev\":null,"
                           "\"sig\":\""));

    /* the exit: seq 5, prev the fourth record's chain value */

    off = line_at(w.text, w.len, 5, &ll);
    assert_int_equal(govern_audit_parse(w.text + off, ll - 1, &l),
                     GOVERN_AUDIT_LINE_OK);
    assert_int_equal(l.kind, GOVERN_AUDIT_CHECKPOINT);
    assert_int_equal(l.seq, 5);
    assert_false(l.genesis);
    assert_memory_equal(w.text + off + l.signed_len, "\"sig\":\"", 7);

    writer_free(&w);
}


static void
test_parse_torn_and_bad(void **state)
{
    size_t               ll, off;
    writer_t             w;
    unsigned char        line[1024];
    govern_audit_line_t  l;

    chain_of(&w, 2, 0, 0);
    off = line_at(w.text, w.len, 2, &ll);
    ll--;
    assert_true(ll < sizeof(line));

    /* cut anywhere: torn */

    memcpy(line, w.text + off, ll);
    assert_int_equal(govern_audit_parse(line, ll - 1, &l),
                     GOVERN_AUDIT_LINE_TORN);
    assert_int_equal(govern_audit_parse(line, ll / 2, &l),
                     GOVERN_AUDIT_LINE_TORN);
    assert_int_equal(govern_audit_parse(line, 0, &l),
                     GOVERN_AUDIT_LINE_TORN);

    /* a chain value in capitals */

    line[ll - 3] = 'A';
    assert_int_equal(govern_audit_parse(line, ll, &l), GOVERN_AUDIT_LINE_BAD);

    memcpy(line, w.text + off, ll);
    assert_int_equal(govern_audit_parse(line, ll, &l), GOVERN_AUDIT_LINE_OK);
    assert_int_equal(l.seq, 2);

    /* a sequence number with a leading zero */

    ll = sprintf((char *) line, "{\"ts\":\"2026-12-01T00:00:00.123Z\",\"v\":1,"
                 "\"request_id\":\"x\",\"seq\":02,\"chain\":\"%064d\"}", 0);
    assert_int_equal(govern_audit_parse(line, ll, &l), GOVERN_AUDIT_LINE_BAD);

    line[ll - 78] = '1';
    assert_int_equal(govern_audit_parse(line, ll, &l), GOVERN_AUDIT_LINE_OK);
    assert_int_equal(l.seq, 12);

    writer_free(&w);
}


static void
test_intact(void **state)
{
    writer_t               w;
    reports_t              r;
    govern_audit_verify_t  v;

    chain_of(&w, 25, 10, 1);
    gap(&w, 7);
    checkpoint(&w, "every");

    assert_int_equal(verify_text(w.text, w.len, &r, &v), GOVERN_AUDIT_INTACT);
    assert_int_equal(v.problems, 0);
    assert_int_equal(v.requests, 25);
    assert_int_equal(v.checkpoints, 5);
    assert_int_equal(v.gaps, 1);
    assert_int_equal(v.lost, 7);
    assert_int_equal(v.records, 31);
    assert_true(v.genesis);
    assert_int_equal(v.sealed_line, 31);

    assert_int_equal(r.n, 2);
    assert_string_equal(r.kinds[0], "start");
    assert_int_equal(r.lines[0], 1);
    assert_string_equal(r.kinds[1], "gap");
    assert_int_equal(r.lines[1], 30);
    assert_non_null(strstr(r.texts[1], "7 records lost"));

    writer_free(&w);
}


static void
test_unsealed_tail(void **state)
{
    writer_t               w;
    reports_t              r;
    govern_audit_verify_t  v;

    chain_of(&w, 25, 10, 0);

    /* 5 requests after the checkpoint at line 23 */

    assert_int_equal(verify_text(w.text, w.len, &r, &v),
                     GOVERN_AUDIT_UNSEALED);
    assert_int_equal(v.problems, 0);
    assert_int_equal(v.unsealed, 5);
    assert_int_equal(v.sealed_line, 23);
    assert_string_equal(r.kinds[r.n - 1], "unsealed");
    assert_int_equal(r.lines[r.n - 1], 24);

    writer_free(&w);
}


static void
test_flipped_byte(void **state)
{
    int                    i;
    size_t                 off, ll;
    writer_t               w;
    reports_t              r;
    govern_audit_verify_t  v;

    chain_of(&w, 25, 10, 1);

    /* in the request_id of line 7 */

    off = line_at(w.text, w.len, 7, &ll);
    w.text[off + 60] ^= 0x01;

    assert_int_equal(verify_text(w.text, w.len, &r, &v), GOVERN_AUDIT_DAMAGED);
    i = first_problem(&r);
    assert_string_equal(r.kinds[i], "edited");
    assert_int_equal(r.lines[i], 7);
    assert_int_equal(problems(&r), 1);

    /* in a chain value: the line is still where it shows */

    w.text[off + 60] ^= 0x01;
    w.text[off + ll - 5] = w.text[off + ll - 5] == '0' ? '1' : '0';

    assert_int_equal(verify_text(w.text, w.len, &r, &v), GOVERN_AUDIT_DAMAGED);
    i = first_problem(&r);
    assert_string_equal(r.kinds[i], "edited");
    assert_int_equal(r.lines[i], 7);

    writer_free(&w);
}


static void
test_deleted_line(void **state)
{
    int                    i;
    size_t                 len;
    writer_t               w;
    reports_t              r;
    unsigned char         *t;
    govern_audit_verify_t  v;

    chain_of(&w, 25, 10, 1);

    t = without_line(&w, 9, &len);

    assert_int_equal(verify_text(t, len, &r, &v), GOVERN_AUDIT_DAMAGED);
    i = first_problem(&r);
    assert_string_equal(r.kinds[i], "missing");
    assert_int_equal(r.lines[i], 9);
    assert_non_null(strstr(r.texts[i], "1 record (seq 9 to 9)"));
    assert_int_equal(problems(&r), 1);

    free(t);

    /* a checkpoint deleted is missing as much */

    t = without_line(&w, 12, &len);

    assert_int_equal(verify_text(t, len, &r, &v), GOVERN_AUDIT_DAMAGED);
    i = first_problem(&r);
    assert_string_equal(r.kinds[i], "missing");
    assert_int_equal(r.lines[i], 12);

    free(t);
    writer_free(&w);
}


static void
test_swapped_lines(void **state)
{
    int                    i;
    size_t                 a, b, la, lb;
    writer_t               w;
    reports_t              r;
    unsigned char         *t;
    govern_audit_verify_t  v;

    chain_of(&w, 25, 10, 1);

    a = line_at(w.text, w.len, 5, &la);
    b = line_at(w.text, w.len, 6, &lb);

    t = malloc(w.len);
    memcpy(t, w.text, w.len);
    memcpy(t + a, w.text + b, lb);
    memcpy(t + a + lb, w.text + a, la);

    assert_int_equal(verify_text(t, w.len, &r, &v), GOVERN_AUDIT_DAMAGED);
    i = first_problem(&r);
    assert_string_equal(r.kinds[i], "reordered");
    assert_int_equal(r.lines[i], 5);
    assert_int_equal(problems(&r), 1);
    free(t);

    /* far apart */

    a = line_at(w.text, w.len, 3, &la);
    b = line_at(w.text, w.len, 8, &lb);
    assert_int_equal(la, lb);

    t = malloc(w.len);
    memcpy(t, w.text, w.len);
    memcpy(t + a, w.text + b, lb);
    memcpy(t + b, w.text + a, la);

    assert_int_equal(verify_text(t, w.len, &r, &v), GOVERN_AUDIT_DAMAGED);
    i = first_problem(&r);
    assert_string_equal(r.kinds[i], "reordered");
    assert_int_equal(r.lines[i], 3);
    assert_non_null(strstr(r.texts[i], "audit.log:8"));
    free(t);

    writer_free(&w);
}


/*
 * A forged record inserted after line 15 and every chain value after it
 * recomputed (sequence numbers too): only the checkpoint at line 23
 * tells.
 */

static void
test_forged_insert_recomputed(void **state)
{
    int                    i;
    char                   id[32];
    size_t                 off, ll;
    writer_t               w, f;
    reports_t              r;
    govern_audit_line_t    l;
    govern_audit_verify_t  v;

    chain_of(&w, 25, 10, 1);

    /* the forger holds the file, not the key */

    writer_init(&f);
    f.key = other_key;

    off = line_at(w.text, w.len, 15, &ll);
    memcpy(writer_room(&f, off + ll), w.text, off + ll);
    f.len = off + ll;
    assert_int_equal(govern_audit_parse(w.text + off, ll - 1, &l),
                     GOVERN_AUDIT_LINE_OK);
    f.seq = l.seq;
    memcpy(f.chain, l.chain, 32);
    f.ms = w.ms;

    request(&f, "forged");

    for (i = 14; i <= 25; i++) {
        snprintf(id, sizeof(id), "r%d", i);
        request(&f, id);

        if (i % 10 == 0) {
            checkpoint(&f, "every");
        }
    }

    checkpoint(&f, "exit");

    assert_int_equal(verify_text(f.text, f.len, &r, &v),
                     GOVERN_AUDIT_DAMAGED);
    i = first_problem(&r);
    assert_string_equal(r.kinds[i], "signature");
    assert_int_equal(r.lines[i], 24);
    assert_non_null(strstr(r.texts[i], "audit.log:12"));

    writer_free(&f);
    writer_free(&w);
}


/* inserted with a chain value from the record before, not recomputed
 * further: the record after it tells */

static void
test_inserted_record(void **state)
{
    int                    i;
    size_t                 off, ll;
    writer_t               w, f;
    reports_t              r;
    govern_audit_line_t    l;
    govern_audit_verify_t  v;

    chain_of(&w, 25, 10, 1);

    writer_init(&f);
    off = line_at(w.text, w.len, 15, &ll);
    memcpy(writer_room(&f, off + ll), w.text, off + ll);
    f.len = off + ll;
    assert_int_equal(govern_audit_parse(w.text + off, ll - 1, &l),
                     GOVERN_AUDIT_LINE_OK);
    f.seq = l.seq;
    memcpy(f.chain, l.chain, 32);

    request(&f, "forged");

    memcpy(writer_room(&f, w.len - off - ll), w.text + off + ll,
           w.len - off - ll);
    f.len += w.len - off - ll;

    assert_int_equal(verify_text(f.text, f.len, &r, &v),
                     GOVERN_AUDIT_DAMAGED);
    i = first_problem(&r);
    assert_string_equal(r.kinds[i], "inserted");
    assert_int_equal(r.lines[i], 16);
    assert_int_equal(problems(&r), 1);

    writer_free(&f);
    writer_free(&w);
}


static void
test_truncated(void **state)
{
    int                    i;
    size_t                 off, ll;
    writer_t               w;
    reports_t              r;
    govern_audit_verify_t  v;

    chain_of(&w, 25, 10, 1);

    /* in the middle of line 14 */

    off = line_at(w.text, w.len, 14, &ll);

    assert_int_equal(verify_text(w.text, off + ll / 2, &r, &v),
                     GOVERN_AUDIT_DAMAGED);
    i = first_problem(&r);
    assert_string_equal(r.kinds[i], "torn");
    assert_int_equal(r.lines[i], 14);

    /* at a line's end, after the last checkpoint: not sealed */

    assert_int_equal(verify_text(w.text, off, &r, &v), GOVERN_AUDIT_UNSEALED);
    assert_int_equal(problems(&r), 0);
    assert_string_equal(r.kinds[r.n - 1], "unsealed");
    assert_int_equal(r.lines[r.n - 1], 13);
    assert_int_equal(v.sealed_line, 12);

    writer_free(&w);
}


static void
test_cut_beginning(void **state)
{
    int                    i;
    size_t                 off, ll;
    writer_t               w;
    reports_t              r;
    govern_audit_verify_t  v;

    chain_of(&w, 25, 10, 1);

    off = line_at(w.text, w.len, 4, &ll);

    assert_int_equal(verify_text(w.text + off, w.len - off, &r, &v),
                     GOVERN_AUDIT_DAMAGED);
    i = first_problem(&r);
    assert_string_equal(r.kinds[i], "cut");
    assert_int_equal(r.lines[i], 1);
    assert_int_equal(problems(&r), 1);

    /* at a checkpoint: the chain continues from files not given */

    off = line_at(w.text, w.len, 12, &ll);

    assert_int_equal(verify_text(w.text + off, w.len - off, &r, &v),
                     GOVERN_AUDIT_INTACT);
    assert_string_equal(r.kinds[0], "continues");
    assert_false(v.genesis);

    writer_free(&w);
}


static void
test_wrong_key(void **state)
{
    int                    i;
    writer_t               w;
    reports_t              r;
    govern_audit_verify_t  v;
    govern_audit_input_t   in;
    EVP_PKEY              *other;

    chain_of(&w, 5, 0, 1);

    other = public_of(other_key);

    in.name = "audit.log";
    in.data = w.text;
    in.len = w.len;

    assert_int_equal(verify_files(&in, 1, other, &r, &v),
                     GOVERN_AUDIT_DAMAGED);
    i = first_problem(&r);
    assert_string_equal(r.kinds[i], "signature");
    assert_int_equal(r.lines[i], 1);

    EVP_PKEY_free(other);
    writer_free(&w);
}


/*
 * Rotation: the second file starts with a checkpoint that follows the
 * first file's last record.
 */

static void
test_files_in_order(void **state)
{
    int                    i;
    size_t                 split, off, ll;
    writer_t               w;
    reports_t              r;
    govern_audit_input_t   in[2];
    govern_audit_verify_t  v;

    chain_of(&w, 12, 10, 0);
    split = w.len;
    checkpoint(&w, "file");
    request(&w, "r13");
    checkpoint(&w, "exit");

    in[0].name = "audit.log.1";
    in[0].data = w.text;
    in[0].len = split;
    in[1].name = "audit.log";
    in[1].data = w.text + split;
    in[1].len = w.len - split;

    assert_int_equal(verify_files(in, 2, the_public, &r, &v),
                     GOVERN_AUDIT_INTACT);
    assert_int_equal(v.requests, 13);
    assert_string_equal(v.sealed_name, "audit.log");
    assert_int_equal(v.sealed_line, 3);

    /* the second alone */

    assert_int_equal(verify_files(&in[1], 1, the_public, &r, &v),
                     GOVERN_AUDIT_INTACT);
    assert_string_equal(r.kinds[0], "continues");

    /* the first file's end cut at a line's end: the next file tells */

    off = line_at(w.text, split, 13, &ll);
    in[0].len = off;

    assert_int_equal(verify_files(in, 2, the_public, &r, &v),
                     GOVERN_AUDIT_DAMAGED);
    i = first_problem(&r);
    assert_string_equal(r.kinds[i], "missing");
    assert_string_equal(r.names[i], "audit.log");
    assert_int_equal(r.lines[i], 1);
    assert_non_null(strstr(r.texts[i], "2 records (seq 13 to 14)"));

    /* files out of order */

    in[0].name = "audit.log";
    in[0].data = w.text + split;
    in[0].len = w.len - split;
    in[1].name = "audit.log.1";
    in[1].data = w.text;
    in[1].len = split;

    assert_int_equal(verify_files(in, 2, the_public, &r, &v),
                     GOVERN_AUDIT_DAMAGED);
    i = first_problem(&r);
    assert_string_equal(r.kinds[i], "cut");
    assert_string_equal(r.names[i], "audit.log.1");
    assert_int_equal(r.lines[i], 1);

    writer_free(&w);
}


static void
test_new_chain_is_a_cut(void **state)
{
    int                    i;
    writer_t               w;
    reports_t              r;
    govern_audit_verify_t  v;

    chain_of(&w, 3, 0, 1);

    /* the head was lost: a second chain from scratch */

    w.seq = 0;
    checkpoint(&w, "start");
    request(&w, "again");
    checkpoint(&w, "exit");

    assert_int_equal(verify_text(w.text, w.len, &r, &v), GOVERN_AUDIT_DAMAGED);
    i = first_problem(&r);
    assert_string_equal(r.kinds[i], "cut");
    assert_int_equal(r.lines[i], 6);
    assert_int_equal(problems(&r), 1);

    writer_free(&w);
}


static void
test_plain_gap(void **state)
{
    char            ts[GOVERN_AUDIT_TS_LEN];
    unsigned char   buf[GOVERN_AUDIT_SPECIAL_MAX(4)], *p;

    govern_audit_ts(ts, 1796083200123LL);

    p = govern_audit_gap(NULL, buf, ts, (const unsigned char *) NODE, 4, 12,
                         ts, 0, NULL);
    *p = '\0';

    assert_string_equal((char *) buf,
                        "{\"ts\":\"2026-12-01T00:00:00.123Z\",\"v\":1,"
                        "\"kind\":\"gap\",\"node\":\"gw-1\",\"lost\":12,"
                        "\"since\":\"2026-12-01T00:00:00.123Z\"}\n");
}


static void
test_chained_gap_parse(void **state)
{
    size_t               off, ll;
    writer_t             w;
    govern_audit_line_t  l;

    chain_of(&w, 1, 0, 0);
    gap(&w, 123);

    off = line_at(w.text, w.len, 3, &ll);
    assert_int_equal(govern_audit_parse(w.text + off, ll - 1, &l),
                     GOVERN_AUDIT_LINE_OK);
    assert_int_equal(l.kind, GOVERN_AUDIT_GAP);
    assert_int_equal(l.lost, 123);
    assert_int_equal(l.seq, 3);
    assert_memory_equal(l.since, "2026-11-30T23:59:55", 19);

    writer_free(&w);
}


static void
test_last(void **state)
{
    size_t               off, ll;
    writer_t             w;
    govern_audit_line_t  l;

    chain_of(&w, 4, 0, 0);

    assert_int_equal(govern_audit_last(w.text, w.len, &l), 0);
    assert_int_equal(l.seq, 5);
    assert_memory_equal(l.chain, w.chain, 32);

    /* a torn last line is not the last record */

    off = line_at(w.text, w.len, 5, &ll);
    assert_int_equal(govern_audit_last(w.text, off + 40, &l), 0);
    assert_int_equal(l.seq, 4);

    /* from a window that begins inside a record */

    assert_int_equal(govern_audit_last(w.text + 30, w.len - 30, &l), 0);
    assert_int_equal(l.seq, 5);

    assert_int_equal(govern_audit_last(w.text, 30, &l), -1);
    assert_int_equal(govern_audit_last((const unsigned char *) "{\"a\":1}\n",
                                       8, &l), -1);

    writer_free(&w);
}


static void
test_head(void **state)
{
    unsigned char          key[32], key2[32];
    govern_audit_head_t    h, got;
    govern_audit_heads_t   heads;

    assert_int_equal(govern_audit_head_key(key, the_key, "/a/audit.log", 12),
                     0);
    assert_int_equal(govern_audit_head_key(key2, the_key, "/b/audit.log", 12),
                     0);
    assert_memory_not_equal(key, key2, 32);

    govern_audit_heads_init(&heads);
    assert_int_equal(govern_audit_head_get(&heads, key, &got), -1);

    memset(&h, 0, sizeof(h));
    h.seq = 10;
    h.end = 4096;
    memset(h.chain, 7, 32);
    assert_int_equal(govern_audit_head_put(&heads, key, &h), 0);

    assert_int_equal(govern_audit_head_get(&heads, key, &got), 0);
    assert_int_equal(got.seq, 10);
    assert_int_equal(got.generation, 1);
    assert_int_equal(govern_audit_head_get(&heads, key2, &got), -1);

    got.seq = 11;
    assert_int_equal(govern_audit_head_put(&heads, key, &got), 0);
    assert_int_equal(govern_audit_head_get(&heads, key, &h), 0);
    assert_int_equal(h.seq, 11);
    assert_int_equal(h.generation, 2);

    /* a writer that died halfway through the newer slot: the older one */

    heads.slot[h.generation & 1].chain[3] ^= 1;
    assert_int_equal(govern_audit_head_get(&heads, key, &got), 0);
    assert_int_equal(got.seq, 10);

    /* a head written by something else is not taken */

    heads.slot[(h.generation + 1) & 1].seq = 99;
    assert_int_equal(govern_audit_head_get(&heads, key, &got), -1);

    heads.magic[0] = 'x';
    assert_int_equal(govern_audit_head_get(&heads, key, &got), -1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_ts),
        cmocka_unit_test(test_seal_is_the_defined_hash),
        cmocka_unit_test(test_checkpoint_parse),
        cmocka_unit_test(test_parse_torn_and_bad),
        cmocka_unit_test(test_intact),
        cmocka_unit_test(test_unsealed_tail),
        cmocka_unit_test(test_flipped_byte),
        cmocka_unit_test(test_deleted_line),
        cmocka_unit_test(test_swapped_lines),
        cmocka_unit_test(test_forged_insert_recomputed),
        cmocka_unit_test(test_inserted_record),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_cut_beginning),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_files_in_order),
        cmocka_unit_test(test_new_chain_is_a_cut),
        cmocka_unit_test(test_plain_gap),
        cmocka_unit_test(test_chained_gap_parse),
        cmocka_unit_test(test_last),
        cmocka_unit_test(test_head),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
