
/*
 * govern: the audit trail's hash chain, its signed checkpoints, the head
 * the writers share, and the verifier (DESIGN section 6.1).
 * Pure logic: no nginx types, so the module, the govern-audit command and
 * the unit tests link it directly.
 */


#ifndef _GOVERN_AUDIT_CHAIN_H_INCLUDED_
#define _GOVERN_AUDIT_CHAIN_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>


#define GOVERN_AUDIT_HASH_LEN        32
#define GOVERN_AUDIT_SIG_LEN         64
#define GOVERN_AUDIT_TS_LEN          24     /* 2026-12-01T10:00:00.123Z */

/* what is signed: this, then the checkpoint's bytes before "sig" */
#define GOVERN_AUDIT_SIGNED_CONTEXT  "govern-audit-checkpoint/1\n"

/* appended to a request record: "seq":N,"chain":"<64 hex>"}\n */
#define GOVERN_AUDIT_SEAL_MAX                                                \
    (sizeof("\"seq\":18446744073709551615,\"chain\":\"\"}\n") - 1 + 64)

/* a whole checkpoint or gap record, with a node name of node_len bytes
 * (escaped) */
#define GOVERN_AUDIT_SPECIAL_MAX(node_len)  (640 + (node_len))

#define GOVERN_AUDIT_HEAD_MAGIC      "govern-audit-head/1"

/* a key's id: the first hex digits of the SHA-256 of its public key */
#define GOVERN_AUDIT_KEY_ID_LEN      8


typedef enum {
    GOVERN_AUDIT_REQUEST = 0,
    GOVERN_AUDIT_CHECKPOINT,
    GOVERN_AUDIT_GAP
} govern_audit_kind_e;


/* what govern_audit_parse() makes of one line */
typedef enum {
    GOVERN_AUDIT_LINE_OK = 0,
    GOVERN_AUDIT_LINE_TORN,         /* not a whole record */
    GOVERN_AUDIT_LINE_BAD           /* a record whose fields were changed */
} govern_audit_line_e;


/* the verifier's answer, also govern-audit's exit status */
typedef enum {
    GOVERN_AUDIT_INTACT = 0,        /* every record sealed by a checkpoint */
    GOVERN_AUDIT_DAMAGED = 1,
    GOVERN_AUDIT_UNSEALED = 3       /* intact, but the last ones not sealed */
} govern_audit_result_e;


/* SHA-256, fetched once and reused record after record */
typedef struct {
    EVP_MD                 *sha256;
    EVP_MD_CTX             *ctx;
} govern_audit_hash_t;


typedef struct {
    govern_audit_kind_e     kind;
    uint64_t                seq;
    unsigned char           chain[GOVERN_AUDIT_HASH_LEN];   /* as stored */
    size_t                  hashed;         /* bytes before "chain":" */

    /* a checkpoint */
    int                     genesis;        /* "prev":null */
    unsigned char           prev[GOVERN_AUDIT_HASH_LEN];
    unsigned char           sig[GOVERN_AUDIT_SIG_LEN];
    size_t                  signed_len;     /* bytes before "sig":" */

    /* a gap record */
    uint64_t                lost;
    const unsigned char    *since;          /* GOVERN_AUDIT_TS_LEN */

    const unsigned char    *ts;             /* GOVERN_AUDIT_TS_LEN */
} govern_audit_line_t;


/*
 * Where the chain stands, shared by every process that writes to one
 * audit file (workers of one master, and the two masters of a binary
 * upgrade) through a small file mapped by all, and kept across restarts.
 * Two slots: a writer fills the older one, so a writer that dies halfway
 * leaves the other intact; the MAC (a key derived from the signing key
 * and the audit file's path) means a head nobody but the gateway could
 * have written.
 */
typedef struct {
    uint64_t                generation;
    uint64_t                seq;            /* of the last record; 0: none */
    uint64_t                dev;            /* the file it went to */
    uint64_t                ino;
    uint64_t                end;            /* that file's size after it */
    uint64_t                unsealed;       /* records after the last
                                               checkpoint */
    uint64_t                checkpoint_ms;  /* when that was written */
    unsigned char           chain[GOVERN_AUDIT_HASH_LEN];
    unsigned char           mac[GOVERN_AUDIT_HASH_LEN];
} govern_audit_head_t;


typedef struct {
    char                    magic[24];
    govern_audit_head_t     slot[2];
} govern_audit_heads_t;


typedef struct {
    const char             *name;
    const unsigned char    *data;
    size_t                  len;
} govern_audit_input_t;


typedef void (*govern_audit_report_pt)(void *data, const char *name,
    uint64_t line, const char *kind, const char *text);


typedef struct {
    EVP_PKEY               *key;            /* the public key */
    govern_audit_report_pt  report;
    void                   *data;
    unsigned                max_problems;   /* reported; 0: all */

    /* the outcome */
    uint64_t                records;
    uint64_t                requests;
    uint64_t                checkpoints;
    uint64_t                gaps;
    uint64_t                lost;           /* declared by gap records */
    uint64_t                problems;
    uint64_t                unsealed;       /* after the last checkpoint */
    const char             *sealed_name;    /* the last good checkpoint */
    uint64_t                sealed_line;
    uint64_t                sealed_seq;
    int                     genesis;        /* the chain starts in them */
} govern_audit_verify_t;


int govern_audit_hash_init(govern_audit_hash_t *h);
void govern_audit_hash_free(govern_audit_hash_t *h);
int govern_audit_chain_step(govern_audit_hash_t *h, unsigned char *chain,
    const unsigned char *data, size_t len);

char *govern_audit_ts(char *p, int64_t ms);
unsigned char *govern_audit_seal(govern_audit_hash_t *h,
    unsigned char *start, unsigned char *p, uint64_t seq,
    unsigned char *chain);
unsigned char *govern_audit_checkpoint(govern_audit_hash_t *h, EVP_PKEY *key,
    unsigned char *p, const char *ts, const char *reason,
    const unsigned char *node, size_t node_len, uint64_t seq,
    unsigned char *chain);
unsigned char *govern_audit_gap(govern_audit_hash_t *h, unsigned char *p,
    const char *ts, const unsigned char *node, size_t node_len,
    uint64_t lost, const char *since, uint64_t seq, unsigned char *chain);

govern_audit_line_e govern_audit_parse(const unsigned char *line, size_t len,
    govern_audit_line_t *l);
int govern_audit_last(const unsigned char *data, size_t len,
    govern_audit_line_t *l);

int govern_audit_key_id(EVP_PKEY *pkey, char *id);
int govern_audit_head_key(unsigned char *key, EVP_PKEY *pkey,
    const char *path, size_t path_len);
void govern_audit_heads_init(govern_audit_heads_t *heads);
int govern_audit_head_get(const govern_audit_heads_t *heads,
    const unsigned char *key, govern_audit_head_t *head);
int govern_audit_head_put(govern_audit_heads_t *heads,
    const unsigned char *key, govern_audit_head_t *head);

govern_audit_result_e govern_audit_verify(govern_audit_verify_t *v,
    const govern_audit_input_t *in, size_t n);


#endif /* _GOVERN_AUDIT_CHAIN_H_INCLUDED_ */
