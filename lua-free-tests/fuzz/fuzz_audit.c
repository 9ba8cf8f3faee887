/*
 * libFuzzer target: the audit verifier on any bytes, as a security team
 * may be handed any file; the first byte splits the rest into two files
 * (a rotated set).  And a round trip: the input's lines, each made the
 * body of a record (line feeds aside), sealed into a chain the gateway's
 * way, must verify intact, whatever bytes they hold.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "govern_audit_chain.h"


/* the key seeds.py signs its seed chains with */
static const unsigned char  seed[32] = {
    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
    0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42
};

static EVP_PKEY             *key;
static EVP_PKEY             *pub;
static govern_audit_hash_t   hash;


static void
keys(void)
{
    size_t          len;
    unsigned char   raw[32];

    if (key) {
        return;
    }

    key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    len = sizeof(raw);

    if (key == NULL || EVP_PKEY_get_raw_public_key(key, raw, &len) != 1
        || govern_audit_hash_init(&hash) != 0)
    {
        abort();
    }

    pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, len);
    if (pub == NULL) {
        abort();
    }
}


static void
round_trip(const uint8_t *data, size_t size)
{
    size_t                 lines;
    uint64_t               seq;
    unsigned char         *text, *p, *start;
    unsigned char          chain[GOVERN_AUDIT_HASH_LEN];
    const uint8_t         *line, *nl, *end;
    govern_audit_input_t   in;
    govern_audit_verify_t  v;

    static const char  ts[] = "2026-12-01T00:00:00.123Z";

    text = malloc(2 * GOVERN_AUDIT_SPECIAL_MAX(4) + size
                  + (size + 1) * (44 + GOVERN_AUDIT_SEAL_MAX));
    if (text == NULL) {
        abort();
    }

    seq = 0;
    lines = 0;

    p = govern_audit_checkpoint(&hash, key, text, ts, "start",
                                (const unsigned char *) "fuzz", 4, ++seq,
                                chain);

    for (line = data, end = data + size; p; line = nl + 1) {
        nl = memchr(line, '\n', end - line);

        start = p;
        memcpy(p, "{\"ts\":\"", 7);
        memcpy(p + 7, ts, 24);
        memcpy(p + 31, "\",\"v\":1,\"x\":", 12);
        p += 43;

        memcpy(p, line, (nl ? nl : end) - line);
        p += (nl ? nl : end) - line;
        *p++ = ',';

        p = govern_audit_seal(&hash, start, p, ++seq, chain);
        lines++;

        if (nl == NULL) {
            break;
        }
    }

    if (p) {
        p = govern_audit_checkpoint(&hash, key, p, ts, "exit",
                                    (const unsigned char *) "fuzz", 4, ++seq,
                                    chain);
    }

    if (p == NULL) {
        abort();
    }

    in.name = "chain";
    in.data = text;
    in.len = p - text;

    memset(&v, 0, sizeof(govern_audit_verify_t));
    v.key = pub;

    if (govern_audit_verify(&v, &in, 1) != GOVERN_AUDIT_INTACT
        || v.requests != lines)
    {
        abort();
    }

    free(text);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                 split;
    govern_audit_input_t   in[2];
    govern_audit_verify_t  v;

    keys();

    if (size == 0) {
        return 0;
    }

    split = (size - 1) * data[0] / 255;

    in[0].name = "a";
    in[0].data = data + 1;
    in[0].len = split;
    in[1].name = "b";
    in[1].data = data + 1 + split;
    in[1].len = size - 1 - split;

    memset(&v, 0, sizeof(govern_audit_verify_t));
    v.key = pub;
    v.max_problems = 20;

    (void) govern_audit_verify(&v, in, 2);

    round_trip(data + 1, size - 1);

    return 0;
}
