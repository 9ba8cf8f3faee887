
/*
 * govern: the pure parts of the Redis client: the cluster slot of a key
 * and of a command, the wire format of a command, what an error reply
 * means (MOVED, ASK, TRYAGAIN, ...), and the replies that describe a
 * topology (CLUSTER SLOTS, SENTINEL get-master-addr-by-name, ROLE, a
 * +switch-master message).  Replies are hiredis's redisReply, read only;
 * nothing here allocates.
 */


#ifndef _GOVERN_REDIS_H_INCLUDED_
#define _GOVERN_REDIS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <hiredis/hiredis.h>


#define GOVERN_REDIS_SLOTS        16384

/* govern_redis_command_slot(): no key to route by, keys of two slots */
#define GOVERN_REDIS_NO_KEY       -1
#define GOVERN_REDIS_CROSS_SLOT   -2


typedef enum {
    GOVERN_REDIS_ERR_OTHER = 0,
    GOVERN_REDIS_ERR_MOVED,
    GOVERN_REDIS_ERR_ASK,
    GOVERN_REDIS_ERR_TRYAGAIN,
    GOVERN_REDIS_ERR_CLUSTERDOWN,
    GOVERN_REDIS_ERR_NOSCRIPT,
    GOVERN_REDIS_ERR_READONLY,
    GOVERN_REDIS_ERR_LOADING,
    GOVERN_REDIS_ERR_MASTERDOWN
} govern_redis_error_e;


typedef enum {
    GOVERN_REDIS_ROLE_UNKNOWN = 0,
    GOVERN_REDIS_ROLE_MASTER,
    GOVERN_REDIS_ROLE_REPLICA,
    GOVERN_REDIS_ROLE_SENTINEL
} govern_redis_role_e;


/* an endpoint as a reply names it; host points into the reply and may
 * be empty: "the node you asked" */

typedef struct {
    const char                  *host;
    size_t                       host_len;
    unsigned                     port;
} govern_redis_endpoint_t;


typedef struct {
    unsigned                     slot;
    govern_redis_endpoint_t      to;
} govern_redis_redirect_t;


typedef struct {
    unsigned                     start;
    unsigned                     end;       /* inclusive */
    govern_redis_endpoint_t      master;
} govern_redis_range_t;


unsigned govern_redis_slot(const char *key, size_t len);
int govern_redis_command_slot(int argc, const char **argv,
    const size_t *argvlen);

size_t govern_redis_format_len(int argc, const size_t *argvlen);
char *govern_redis_format(char *p, int argc, const char **argv,
    const size_t *argvlen);

govern_redis_error_e govern_redis_error(const char *str, size_t len,
    govern_redis_redirect_t *redirect);
int govern_redis_endpoint(const char *s, size_t len,
    govern_redis_endpoint_t *ep);

int govern_redis_cluster_slots(const redisReply *reply,
    govern_redis_range_t *ranges, size_t max);
int govern_redis_sentinel_master(const redisReply *reply,
    govern_redis_endpoint_t *master);
govern_redis_role_e govern_redis_role(const redisReply *reply);
int govern_redis_switch_master(const redisReply *reply, const char *name,
    size_t name_len, govern_redis_endpoint_t *master);


#endif /* _GOVERN_REDIS_H_INCLUDED_ */
