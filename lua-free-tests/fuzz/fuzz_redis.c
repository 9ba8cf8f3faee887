/*
 * libFuzzer target: what a Redis, a sentinel or a cluster node answers,
 * through govern's readers of it (govern_redis.c).  The input is read by
 * hiredis as the replies a connection would bring, and each reply goes
 * through every reader: CLUSTER SLOTS, SENTINEL get-master-addr-by-name,
 * ROLE, a +switch-master message, and an error's redirection.  The same
 * bytes are also read as one error line.
 *
 * Answers that are not what a reader wants are expected; a crash, leak or
 * hang is a bug, and so is a reader that says yes with something out of
 * range: a slot past 16383, a range that ends before it starts, a port of
 * 0 or past 65535, a host that is not inside the reply it came from.
 * Arrays announced with more than 4096 elements are left to hiredis
 * (0.14 allocates what a header announces before the elements come): the
 * readers are what is fuzzed here.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>

#include "govern_redis.h"


#define FUZZ_RANGES  64


static int
fuzz_inside(const char *p, size_t len, const char *start, size_t size)
{
    return len == 0 || (p >= start && p + len <= start + size);
}


/* a host a reader returned points into one of the reply's strings */

static int
fuzz_in_reply(const redisReply *r, const char *p, size_t len)
{
    size_t  i;

    if ((r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS
         || r->type == REDIS_REPLY_ERROR)
        && fuzz_inside(p, len, r->str, r->len) && len)
    {
        return 1;
    }

    if (r->type == REDIS_REPLY_ARRAY) {
        for (i = 0; i < r->elements; i++) {
            if (fuzz_in_reply(r->element[i], p, len)) {
                return 1;
            }
        }
    }

    return len == 0;
}


static void
fuzz_reply(const redisReply *r)
{
    int                      n, i;
    govern_redis_range_t     ranges[FUZZ_RANGES];
    govern_redis_endpoint_t  ep;
    govern_redis_redirect_t  to;

    n = govern_redis_cluster_slots(r, ranges, FUZZ_RANGES);

    for (i = 0; i < n; i++) {
        if (ranges[i].start > ranges[i].end
            || ranges[i].end >= GOVERN_REDIS_SLOTS
            || ranges[i].master.port == 0 || ranges[i].master.port > 65535
            || !fuzz_in_reply(r, ranges[i].master.host,
                              ranges[i].master.host_len))
        {
            abort();
        }
    }

    if (govern_redis_sentinel_master(r, &ep) == 1
        && (ep.port == 0 || ep.port > 65535 || ep.host_len == 0
            || !fuzz_in_reply(r, ep.host, ep.host_len)))
    {
        abort();
    }

    (void) govern_redis_role(r);

    if (govern_redis_switch_master(r, "mymaster", 8, &ep) == 1
        && (ep.port == 0 || ep.port > 65535 || ep.host_len == 0
            || !fuzz_in_reply(r, ep.host, ep.host_len)))
    {
        abort();
    }

    if (r->type == REDIS_REPLY_ERROR) {
        switch (govern_redis_error(r->str, r->len, &to)) {

        case GOVERN_REDIS_ERR_MOVED:
        case GOVERN_REDIS_ERR_ASK:
            if (to.slot >= GOVERN_REDIS_SLOTS || to.to.port == 0
                || to.to.port > 65535
                || !fuzz_inside(to.to.host, to.to.host_len, r->str, r->len))
            {
                abort();
            }

            break;

        default:
            break;
        }
    }
}


/* an array header announcing more than 4096 elements */

static int
fuzz_huge_array(const uint8_t *data, size_t size)
{
    size_t    i, j;
    uint64_t  n;

    for (i = 0; i < size; i++) {
        if (data[i] != '*') {
            continue;
        }

        n = 0;

        for (j = i + 1; j < size && data[j] >= '0' && data[j] <= '9'; j++) {
            n = n * 10 + (data[j] - '0');

            if (n > 4096) {
                return 1;
            }
        }
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                      replies;
    void                    *reply;
    redisReader             *reader;
    govern_redis_redirect_t  to;

    /* the bytes as one error line */

    switch (govern_redis_error((const char *) data, size, &to)) {

    case GOVERN_REDIS_ERR_MOVED:
    case GOVERN_REDIS_ERR_ASK:
        if (to.slot >= GOVERN_REDIS_SLOTS || to.to.port == 0
            || to.to.port > 65535
            || !fuzz_inside(to.to.host, to.to.host_len, (const char *) data,
                            size))
        {
            abort();
        }

        break;

    default:
        break;
    }

    /* the bytes as what a connection brings */

    if (fuzz_huge_array(data, size)) {
        return 0;
    }

    reader = redisReaderCreate();
    if (reader == NULL) {
        return 0;
    }

    if (redisReaderFeed(reader, (const char *) data, size) == REDIS_OK) {
        for (replies = 0; replies < 64; replies++) {
            reply = NULL;

            if (redisReaderGetReply(reader, &reply) != REDIS_OK
                || reply == NULL)
            {
                break;
            }

            fuzz_reply(reply);
            freeReplyObject(reply);
        }
    }

    redisReaderFree(reader);

    return 0;
}
