/* Unit tests: cluster slots, command format, error and topology replies
 * (govern_redis.c).  Replies are read by hiredis from the bytes Redis
 * 7.0 sends. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "govern_redis.h"


#define S(s)  s, strlen(s)


static redisReply *
reply_of(const char *resp)
{
    void         *reply;
    redisReader  *reader;

    reader = redisReaderCreate();
    assert_non_null(reader);
    assert_int_equal(redisReaderFeed(reader, resp, strlen(resp)), REDIS_OK);
    reply = NULL;
    assert_int_equal(redisReaderGetReply(reader, &reply), REDIS_OK);
    assert_non_null(reply);
    redisReaderFree(reader);

    return reply;
}


static void
test_slot(void **state)
{
    /* CRC16/XMODEM's check value is 0x31C3 */
    assert_int_equal(govern_redis_slot(S("123456789")), 0x31C3);

    /* as redis-server 7.0 answered CLUSTER KEYSLOT */
    assert_int_equal(govern_redis_slot(S("foo")), 12182);
    assert_int_equal(govern_redis_slot(S("govern:{acme}:rl:orders")), 11304);
    assert_int_equal(govern_redis_slot(S("")), 0);

    /* the hash tag: first "{", then the first "}" after it, not empty */
    assert_int_equal(govern_redis_slot(S("govern:{acme}:idem:k1")),
                     govern_redis_slot(S("acme")));
    assert_int_equal(govern_redis_slot(S("{user1000}.following")),
                     govern_redis_slot(S("{user1000}.followers")));
    assert_int_not_equal(govern_redis_slot(S("foo{}{bar}")),
                         govern_redis_slot(S("bar")));
    assert_int_equal(govern_redis_slot(S("foo{{bar}}zap")),
                     govern_redis_slot(S("{bar")));
    assert_int_equal(govern_redis_slot(S("foo{bar}{zap}")),
                     govern_redis_slot(S("bar")));
    assert_int_not_equal(govern_redis_slot(S("x{unclosed")),
                         govern_redis_slot(S("unclosed")));
}


static void
test_command_slot(void **state)
{
    const char  *eval[] = { "EVALSHA", "0123", "2", "govern:{acme}:rl:a",
                            "govern:{acme}:rl:b", "5", "6" };
    const char  *cross[] = { "EVAL", "return 1", "2", "govern:{acme}:rl:a",
                             "govern:{globex}:rl:a" };
    const char  *nokeys[] = { "eval", "return 1", "0" };
    const char  *badkeys[] = { "EVAL", "return 1", "3", "k" };
    const char  *get[] = { "GET", "govern:{acme}:idem:x" };
    const char  *ping[] = { "PING" };
    size_t       len[7];
    int          i;

    for (i = 0; i < 7; i++) {
        len[i] = strlen(eval[i]);
    }

    assert_int_equal(govern_redis_command_slot(7, eval, len),
                     (int) govern_redis_slot(S("acme")));

    for (i = 0; i < 5; i++) {
        len[i] = strlen(cross[i]);
    }

    assert_int_equal(govern_redis_command_slot(5, cross, len),
                     GOVERN_REDIS_CROSS_SLOT);

    for (i = 0; i < 3; i++) {
        len[i] = strlen(nokeys[i]);
    }

    assert_int_equal(govern_redis_command_slot(3, nokeys, len),
                     GOVERN_REDIS_NO_KEY);

    for (i = 0; i < 4; i++) {
        len[i] = strlen(badkeys[i]);
    }

    assert_int_equal(govern_redis_command_slot(4, badkeys, len),
                     GOVERN_REDIS_NO_KEY);

    len[0] = 3;
    len[1] = strlen(get[1]);
    assert_int_equal(govern_redis_command_slot(2, get, len),
                     (int) govern_redis_slot(S("acme")));

    len[0] = 4;
    assert_int_equal(govern_redis_command_slot(1, ping, len),
                     GOVERN_REDIS_NO_KEY);
}


static void
test_format(void **state)
{
    char        *ours, *theirs, *end;
    size_t       argvlen[4], n;
    int          len;
    const char  *argv[4];
    char         big[12345];

    memset(big, 'x', sizeof(big));

    argv[0] = "SET";
    argv[1] = "govern:{acme}:idem:k";
    argv[2] = big;
    argv[3] = "";
    argvlen[0] = 3;
    argvlen[1] = strlen(argv[1]);
    argvlen[2] = sizeof(big);
    argvlen[3] = 0;

    len = redisFormatCommandArgv(&theirs, 4, argv, argvlen);
    assert_true(len > 0);

    n = govern_redis_format_len(4, argvlen);
    assert_int_equal(n, (size_t) len);

    ours = malloc(n);
    end = govern_redis_format(ours, 4, argv, argvlen);
    assert_int_equal(end - ours, len);
    assert_memory_equal(ours, theirs, n);

    free(ours);
    free(theirs);
}


static void
test_error(void **state)
{
    govern_redis_redirect_t  to;

    assert_int_equal(govern_redis_error(S("MOVED 3999 127.0.0.1:6381"), &to),
                     GOVERN_REDIS_ERR_MOVED);
    assert_int_equal(to.slot, 3999);
    assert_int_equal(to.to.port, 6381);
    assert_int_equal(to.to.host_len, 9);
    assert_memory_equal(to.to.host, "127.0.0.1", 9);

    assert_int_equal(govern_redis_error(S("ASK 16383 ::1:7000"), &to),
                     GOVERN_REDIS_ERR_ASK);
    assert_int_equal(to.slot, 16383);
    assert_int_equal(to.to.port, 7000);
    assert_int_equal(to.to.host_len, 3);
    assert_memory_equal(to.to.host, "::1", 3);

    /* an empty host: the node that answered */
    assert_int_equal(govern_redis_error(S("MOVED 1 :6380"), &to),
                     GOVERN_REDIS_ERR_MOVED);
    assert_int_equal(to.to.host_len, 0);
    assert_int_equal(to.to.port, 6380);

    /* a redirection that does not parse is just an error */
    assert_int_equal(govern_redis_error(S("MOVED"), &to),
                     GOVERN_REDIS_ERR_OTHER);
    assert_int_equal(govern_redis_error(S("MOVED 16384 h:1"), &to),
                     GOVERN_REDIS_ERR_OTHER);
    assert_int_equal(govern_redis_error(S("MOVED 1 h:0"), &to),
                     GOVERN_REDIS_ERR_OTHER);
    assert_int_equal(govern_redis_error(S("MOVED 1 h:65536"), &to),
                     GOVERN_REDIS_ERR_OTHER);
    assert_int_equal(govern_redis_error(S("ASK 1 h"), &to),
                     GOVERN_REDIS_ERR_OTHER);
    assert_int_equal(govern_redis_error(S("ASK 1 ?:6379"), &to),
                     GOVERN_REDIS_ERR_OTHER);
    assert_int_equal(govern_redis_error(S("ASK x h:1"), &to),
                     GOVERN_REDIS_ERR_OTHER);
    assert_int_equal(govern_redis_error(S("MOVEDX 1 h:1"), &to),
                     GOVERN_REDIS_ERR_OTHER);

    assert_int_equal(govern_redis_error(
        S("TRYAGAIN Multiple keys request during rehashing of slot"), &to),
        GOVERN_REDIS_ERR_TRYAGAIN);
    assert_int_equal(govern_redis_error(S("CLUSTERDOWN The cluster is down"),
                                        &to),
                     GOVERN_REDIS_ERR_CLUSTERDOWN);
    assert_int_equal(govern_redis_error(
        S("NOSCRIPT No matching script. Please use EVAL."), &to),
        GOVERN_REDIS_ERR_NOSCRIPT);
    assert_int_equal(govern_redis_error(
        S("READONLY You can't write against a read only replica. script: "
          "edfb0b9e, on @user_script:1."), &to),
        GOVERN_REDIS_ERR_READONLY);
    assert_int_equal(govern_redis_error(S("LOADING Redis is loading"), &to),
                     GOVERN_REDIS_ERR_LOADING);
    assert_int_equal(govern_redis_error(S("MASTERDOWN Link down"), &to),
                     GOVERN_REDIS_ERR_MASTERDOWN);
    assert_int_equal(govern_redis_error(S("ERR unknown command"), &to),
                     GOVERN_REDIS_ERR_OTHER);
    assert_int_equal(govern_redis_error(S(""), &to), GOVERN_REDIS_ERR_OTHER);
}


/* CLUSTER SLOTS as redis-server 7.0.15 sends it for three masters */

#define SLOTS_REPLY                                                          \
    "*3\r\n"                                                                 \
    "*3\r\n:0\r\n:5460\r\n*4\r\n$9\r\n127.0.0.1\r\n:17101\r\n"               \
    "$40\r\n92e7505fa60d29e4c12577816ecc22c88eb40ff1\r\n*0\r\n"              \
    "*4\r\n:5461\r\n:10922\r\n*4\r\n$9\r\n127.0.0.1\r\n:17102\r\n"           \
    "$40\r\n7c113b3aee016d0d9f5f71b96582c82045ff05a4\r\n*0\r\n"              \
    "*4\r\n$9\r\n127.0.0.1\r\n:17105\r\n"                                    \
    "$40\r\n1111111111111111111111111111111111111111\r\n*0\r\n"              \
    "*3\r\n:10923\r\n:16383\r\n*4\r\n$0\r\n\r\n:17103\r\n"                   \
    "$40\r\ne1b61bad6b4e58fa5027b72ab044eed64b487e15\r\n*0\r\n"


static void
test_cluster_slots(void **state)
{
    redisReply            *r;
    govern_redis_range_t   ranges[3];

    r = reply_of(SLOTS_REPLY);
    assert_int_equal(govern_redis_cluster_slots(r, ranges, 3), 3);
    assert_int_equal(ranges[0].start, 0);
    assert_int_equal(ranges[0].end, 5460);
    assert_int_equal(ranges[0].master.port, 17101);
    assert_int_equal(ranges[0].master.host_len, 9);
    assert_memory_equal(ranges[0].master.host, "127.0.0.1", 9);
    assert_int_equal(ranges[1].start, 5461);
    assert_int_equal(ranges[1].master.port, 17102);     /* not the replica */
    assert_int_equal(ranges[2].end, 16383);
    assert_int_equal(ranges[2].master.host_len, 0);     /* the node asked */

    /* more ranges than room */
    assert_int_equal(govern_redis_cluster_slots(r, ranges, 2), -1);
    freeReplyObject(r);

    /* an unknown endpoint leaves its slots out */
    r = reply_of("*1\r\n*3\r\n:0\r\n:5\r\n*2\r\n$1\r\n?\r\n:1\r\n");
    assert_int_equal(govern_redis_cluster_slots(r, ranges, 3), 0);
    freeReplyObject(r);

    r = reply_of("*1\r\n*3\r\n:0\r\n:5\r\n*2\r\n$-1\r\n:1\r\n");
    assert_int_equal(govern_redis_cluster_slots(r, ranges, 3), 0);
    freeReplyObject(r);

    /* not a slot map */
    r = reply_of("-ERR This instance has cluster support disabled\r\n");
    assert_int_equal(govern_redis_cluster_slots(r, ranges, 3), -1);
    freeReplyObject(r);

    r = reply_of("*1\r\n*3\r\n:5\r\n:4\r\n*2\r\n$1\r\nh\r\n:1\r\n");
    assert_int_equal(govern_redis_cluster_slots(r, ranges, 3), -1);
    freeReplyObject(r);

    r = reply_of("*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$1\r\nh\r\n:1\r\n");
    assert_int_equal(govern_redis_cluster_slots(r, ranges, 3), -1);
    freeReplyObject(r);

    r = reply_of("*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$1\r\nh\r\n:0\r\n");
    assert_int_equal(govern_redis_cluster_slots(r, ranges, 3), -1);
    freeReplyObject(r);

    r = reply_of("*1\r\n*2\r\n:0\r\n:1\r\n");
    assert_int_equal(govern_redis_cluster_slots(r, ranges, 3), -1);
    freeReplyObject(r);

    r = reply_of("*0\r\n");
    assert_int_equal(govern_redis_cluster_slots(r, ranges, 3), 0);
    freeReplyObject(r);

    assert_int_equal(govern_redis_cluster_slots(NULL, ranges, 3), -1);
}


static void
test_sentinel(void **state)
{
    redisReply               *r;
    govern_redis_endpoint_t   ep;

    r = reply_of("*2\r\n$9\r\n127.0.0.1\r\n$5\r\n17002\r\n");
    assert_int_equal(govern_redis_sentinel_master(r, &ep), 1);
    assert_int_equal(ep.port, 17002);
    assert_memory_equal(ep.host, "127.0.0.1", 9);
    freeReplyObject(r);

    r = reply_of("*-1\r\n");
    assert_int_equal(govern_redis_sentinel_master(r, &ep), 0);
    freeReplyObject(r);

    r = reply_of("$-1\r\n");
    assert_int_equal(govern_redis_sentinel_master(r, &ep), 0);
    freeReplyObject(r);

    r = reply_of("*2\r\n$9\r\n127.0.0.1\r\n$5\r\n99999\r\n");
    assert_int_equal(govern_redis_sentinel_master(r, &ep), -1);
    freeReplyObject(r);

    r = reply_of("*2\r\n$0\r\n\r\n$4\r\n6379\r\n");
    assert_int_equal(govern_redis_sentinel_master(r, &ep), -1);
    freeReplyObject(r);

    r = reply_of("-ERR No such master with that name\r\n");
    assert_int_equal(govern_redis_sentinel_master(r, &ep), -1);
    freeReplyObject(r);

    r = reply_of("*3\r\n$6\r\nmaster\r\n:3929\r\n*0\r\n");
    assert_int_equal(govern_redis_role(r), GOVERN_REDIS_ROLE_MASTER);
    freeReplyObject(r);

    r = reply_of("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:17001\r\n"
                 "$9\r\nconnected\r\n:3929\r\n");
    assert_int_equal(govern_redis_role(r), GOVERN_REDIS_ROLE_REPLICA);
    freeReplyObject(r);

    r = reply_of("*2\r\n$8\r\nsentinel\r\n*1\r\n$8\r\nmymaster\r\n");
    assert_int_equal(govern_redis_role(r), GOVERN_REDIS_ROLE_SENTINEL);
    freeReplyObject(r);

    r = reply_of("-NOPERM this user has no permissions\r\n");
    assert_int_equal(govern_redis_role(r), GOVERN_REDIS_ROLE_UNKNOWN);
    freeReplyObject(r);
}


static void
test_switch_master(void **state)
{
    redisReply               *r;
    govern_redis_endpoint_t   ep;

    r = reply_of("*3\r\n$7\r\nmessage\r\n$14\r\n+switch-master\r\n"
                 "$41\r\nmymaster 127.0.0.1 17001 127.0.0.1 17002 \r\n");
    /* a trailing space is an empty sixth field */
    assert_int_equal(govern_redis_switch_master(r, S("mymaster"), &ep), -1);
    freeReplyObject(r);

    r = reply_of("*3\r\n$7\r\nmessage\r\n$14\r\n+switch-master\r\n"
                 "$40\r\nmymaster 127.0.0.1 17001 127.0.0.1 17002\r\n");
    assert_int_equal(govern_redis_switch_master(r, S("mymaster"), &ep), 1);
    assert_int_equal(ep.port, 17002);
    assert_int_equal(ep.host_len, 9);
    assert_memory_equal(ep.host, "127.0.0.1", 9);
    assert_int_equal(govern_redis_switch_master(r, S("other"), &ep), 0);
    assert_int_equal(govern_redis_switch_master(r, S("mymaste"), &ep), 0);
    freeReplyObject(r);

    r = reply_of("*3\r\n$9\r\nsubscribe\r\n$14\r\n+switch-master\r\n:1\r\n");
    assert_int_equal(govern_redis_switch_master(r, S("mymaster"), &ep), 0);
    freeReplyObject(r);

    r = reply_of("*3\r\n$7\r\nmessage\r\n$14\r\n+switch-master\r\n"
                 "$18\r\nmymaster a 1 b 2 c\r\n");
    assert_int_equal(govern_redis_switch_master(r, S("mymaster"), &ep), -1);
    freeReplyObject(r);

    r = reply_of("*3\r\n$7\r\nmessage\r\n$14\r\n+switch-master\r\n"
                 "$16\r\nmymaster a 1 b x\r\n");
    assert_int_equal(govern_redis_switch_master(r, S("mymaster"), &ep), -1);
    freeReplyObject(r);

    r = reply_of("$5\r\nhello\r\n");
    assert_int_equal(govern_redis_switch_master(r, S("mymaster"), &ep), -1);
    freeReplyObject(r);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slot),
        cmocka_unit_test(test_command_slot),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_error),
        cmocka_unit_test(test_cluster_slots),
        cmocka_unit_test(test_sentinel),
        cmocka_unit_test(test_switch_master),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
