
/*
 * govern: the pure parts of the Redis client (see govern_redis.h).
 *
 * Redis Cluster places a key in one of 16384 slots: the CRC16 (XMODEM:
 * polynomial 0x1021, initial value 0, no reflection) of the key, or of
 * its hash tag, modulo 16384.  The hash tag is what lies between the
 * first "{" and the first "}" after it, when that is not empty; this is
 * how every key of a partner (govern:{PARTNER}:...) shares one slot.
 */


#include <string.h>

#include "govern_redis.h"


static uint16_t  govern_redis_crc_table[256];
static int       govern_redis_crc_ready;


static void govern_redis_crc_init(void);
static int govern_redis_word(const char *str, size_t len, const char *word);
static int govern_redis_number(const char *s, size_t len, unsigned max,
    unsigned *n);
static int govern_redis_string(const redisReply *r);
static size_t govern_redis_digits(size_t n);


static void
govern_redis_crc_init(void)
{
    unsigned  i, j;
    uint16_t  crc;

    for (i = 0; i < 256; i++) {
        crc = (uint16_t) (i << 8);

        for (j = 0; j < 8; j++) {
            crc = (crc & 0x8000) ? (uint16_t) ((crc << 1) ^ 0x1021)
                                 : (uint16_t) (crc << 1);
        }

        govern_redis_crc_table[i] = crc;
    }

    govern_redis_crc_ready = 1;
}


unsigned
govern_redis_slot(const char *key, size_t len)
{
    size_t          i, open, close;
    uint16_t        crc;
    const uint8_t  *p;

    if (!govern_redis_crc_ready) {
        govern_redis_crc_init();
    }

    for (open = 0; open < len && key[open] != '{'; open++) { /* void */ }

    if (open < len) {
        for (close = open + 1; close < len && key[close] != '}'; close++) {
            /* void */
        }

        if (close < len && close > open + 1) {
            key += open + 1;
            len = close - open - 1;
        }
    }

    p = (const uint8_t *) key;
    crc = 0;

    for (i = 0; i < len; i++) {
        crc = (uint16_t) (crc << 8)
              ^ govern_redis_crc_table[((crc >> 8) ^ p[i]) & 0xff];
    }

    return crc & (GOVERN_REDIS_SLOTS - 1);
}


/*
 * The slot a command goes to: EVAL and EVALSHA (and their _RO forms and
 * FCALL) by their keys, which must share one slot; any other command by
 * its first argument.
 */

int
govern_redis_command_slot(int argc, const char **argv, const size_t *argvlen)
{
    int       i, slot, other;
    unsigned  numkeys;

    if (argc < 2) {
        return GOVERN_REDIS_NO_KEY;
    }

    if (!(govern_redis_word(argv[0], argvlen[0], "EVAL")
          || govern_redis_word(argv[0], argvlen[0], "EVALSHA")
          || govern_redis_word(argv[0], argvlen[0], "EVAL_RO")
          || govern_redis_word(argv[0], argvlen[0], "EVALSHA_RO")
          || govern_redis_word(argv[0], argvlen[0], "FCALL")
          || govern_redis_word(argv[0], argvlen[0], "FCALL_RO")))
    {
        return (int) govern_redis_slot(argv[1], argvlen[1]);
    }

    if (argc < 4
        || !govern_redis_number(argv[2], argvlen[2], 1000000, &numkeys)
        || numkeys == 0 || numkeys > (unsigned) (argc - 3))
    {
        return GOVERN_REDIS_NO_KEY;
    }

    slot = (int) govern_redis_slot(argv[3], argvlen[3]);

    for (i = 1; i < (int) numkeys; i++) {
        other = (int) govern_redis_slot(argv[3 + i], argvlen[3 + i]);

        if (other != slot) {
            return GOVERN_REDIS_CROSS_SLOT;
        }
    }

    return slot;
}


/* the RESP array of bulk strings Redis reads a command as */

size_t
govern_redis_format_len(int argc, const size_t *argvlen)
{
    int     i;
    size_t  len;

    len = 1 + govern_redis_digits((size_t) argc) + 2;

    for (i = 0; i < argc; i++) {
        len += 1 + govern_redis_digits(argvlen[i]) + 2 + argvlen[i] + 2;
    }

    return len;
}


static size_t
govern_redis_digits(size_t n)
{
    size_t  d;

    for (d = 1; n >= 10; n /= 10) {
        d++;
    }

    return d;
}


static char *
govern_redis_format_number(char *p, size_t n)
{
    char    digits[20];
    size_t  i;

    i = 0;

    do {
        digits[i++] = (char) ('0' + n % 10);
        n /= 10;
    } while (n);

    while (i) {
        *p++ = digits[--i];
    }

    *p++ = '\r';
    *p++ = '\n';

    return p;
}


/* writes govern_redis_format_len() bytes; returns the end */

char *
govern_redis_format(char *p, int argc, const char **argv,
    const size_t *argvlen)
{
    int  i;

    *p++ = '*';
    p = govern_redis_format_number(p, (size_t) argc);

    for (i = 0; i < argc; i++) {
        *p++ = '$';
        p = govern_redis_format_number(p, argvlen[i]);
        memcpy(p, argv[i], argvlen[i]);
        p += argvlen[i];
        *p++ = '\r';
        *p++ = '\n';
    }

    return p;
}


/*
 * What an error reply means, by its first word; MOVED and ASK also say
 * where to go ("MOVED 3999 127.0.0.1:6381").  A redirection that does
 * not parse is an other error.
 */

govern_redis_error_e
govern_redis_error(const char *str, size_t len,
    govern_redis_redirect_t *redirect)
{
    size_t                i, n;
    govern_redis_error_e  kind;

    for (n = 0; n < len && str[n] != ' '; n++) { /* void */ }

    if (govern_redis_word(str, n, "MOVED")) {
        kind = GOVERN_REDIS_ERR_MOVED;

    } else if (govern_redis_word(str, n, "ASK")) {
        kind = GOVERN_REDIS_ERR_ASK;

    } else if (govern_redis_word(str, n, "TRYAGAIN")) {
        return GOVERN_REDIS_ERR_TRYAGAIN;

    } else if (govern_redis_word(str, n, "CLUSTERDOWN")) {
        return GOVERN_REDIS_ERR_CLUSTERDOWN;

    } else if (govern_redis_word(str, n, "NOSCRIPT")) {
        return GOVERN_REDIS_ERR_NOSCRIPT;

    } else if (govern_redis_word(str, n, "READONLY")) {
        return GOVERN_REDIS_ERR_READONLY;

    } else if (govern_redis_word(str, n, "LOADING")) {
        return GOVERN_REDIS_ERR_LOADING;

    } else if (govern_redis_word(str, n, "MASTERDOWN")) {
        return GOVERN_REDIS_ERR_MASTERDOWN;

    } else {
        return GOVERN_REDIS_ERR_OTHER;
    }

    /* MOVED|ASK SLOT ENDPOINT */

    if (n == len) {
        return GOVERN_REDIS_ERR_OTHER;
    }

    str += n + 1;
    len -= n + 1;

    for (i = 0; i < len && str[i] != ' '; i++) { /* void */ }

    if (i == len
        || !govern_redis_number(str, i, GOVERN_REDIS_SLOTS - 1,
                                &redirect->slot)
        || !govern_redis_endpoint(str + i + 1, len - i - 1, &redirect->to))
    {
        return GOVERN_REDIS_ERR_OTHER;
    }

    return kind;
}


/* "host:port", the host possibly empty (the node asked) or IPv6 */

int
govern_redis_endpoint(const char *s, size_t len, govern_redis_endpoint_t *ep)
{
    size_t  colon, i;

    for (colon = len; colon > 0 && s[colon - 1] != ':'; colon--) {
        /* void */
    }

    if (colon == 0
        || !govern_redis_number(s + colon, len - colon, 65535, &ep->port)
        || ep->port == 0)
    {
        return 0;
    }

    for (i = 0; i < colon - 1; i++) {
        if (s[i] <= ' ' || s[i] == '?' || s[i] == '/' || (uint8_t) s[i] > 126)
        {
            return 0;
        }
    }

    ep->host = s;
    ep->host_len = colon - 1;

    return 1;
}


/*
 * CLUSTER SLOTS: [[start, end, [host, port, id, ...], replicas...], ...].
 * Ranges whose master has no known endpoint (a NULL or "?" host) are left
 * out: their slots are not served.  Returns the number of ranges, or -1
 * when the reply is not a slot map or holds more than max ranges.
 */

int
govern_redis_cluster_slots(const redisReply *reply,
    govern_redis_range_t *ranges, size_t max)
{
    size_t                 i, n;
    const redisReply      *e, *m;
    govern_redis_range_t  *range;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        return -1;
    }

    n = 0;

    for (i = 0; i < reply->elements; i++) {
        e = reply->element[i];

        if (e->type != REDIS_REPLY_ARRAY || e->elements < 3
            || e->element[0]->type != REDIS_REPLY_INTEGER
            || e->element[1]->type != REDIS_REPLY_INTEGER
            || e->element[0]->integer < 0
            || e->element[1]->integer >= GOVERN_REDIS_SLOTS
            || e->element[0]->integer > e->element[1]->integer)
        {
            return -1;
        }

        m = e->element[2];

        if (m->type != REDIS_REPLY_ARRAY || m->elements < 2
            || m->element[1]->type != REDIS_REPLY_INTEGER
            || m->element[1]->integer <= 0
            || m->element[1]->integer > 65535)
        {
            return -1;
        }

        if (m->element[0]->type == REDIS_REPLY_NIL
            || (govern_redis_string(m->element[0])
                && m->element[0]->len == 1 && m->element[0]->str[0] == '?'))
        {
            continue;
        }

        if (!govern_redis_string(m->element[0])) {
            return -1;
        }

        if (n == max) {
            return -1;
        }

        range = &ranges[n++];
        range->start = (unsigned) e->element[0]->integer;
        range->end = (unsigned) e->element[1]->integer;
        range->master.host = m->element[0]->str;
        range->master.host_len = m->element[0]->len;
        range->master.port = (unsigned) m->element[1]->integer;
    }

    return (int) n;
}


/*
 * SENTINEL get-master-addr-by-name: [host, port], or a null reply for a
 * master the sentinel does not know.  1: master set; 0: unknown; -1: not
 * such a reply.
 */

int
govern_redis_sentinel_master(const redisReply *reply,
    govern_redis_endpoint_t *master)
{
    const redisReply  *h, *p;

    if (reply == NULL) {
        return -1;
    }

    if (reply->type == REDIS_REPLY_NIL) {
        return 0;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        return -1;
    }

    h = reply->element[0];
    p = reply->element[1];

    if (!govern_redis_string(h) || h->len == 0 || !govern_redis_string(p)
        || !govern_redis_number(p->str, p->len, 65535, &master->port)
        || master->port == 0)
    {
        return -1;
    }

    master->host = h->str;
    master->host_len = h->len;

    return 1;
}


/* ROLE: ["master", ...], ["slave", ...] or ["sentinel", ...] */

govern_redis_role_e
govern_redis_role(const redisReply *reply)
{
    const redisReply  *r;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements == 0 || !govern_redis_string(reply->element[0]))
    {
        return GOVERN_REDIS_ROLE_UNKNOWN;
    }

    r = reply->element[0];

    if (govern_redis_word(r->str, r->len, "master")) {
        return GOVERN_REDIS_ROLE_MASTER;
    }

    if (govern_redis_word(r->str, r->len, "slave")
        || govern_redis_word(r->str, r->len, "replica"))
    {
        return GOVERN_REDIS_ROLE_REPLICA;
    }

    if (govern_redis_word(r->str, r->len, "sentinel")) {
        return GOVERN_REDIS_ROLE_SENTINEL;
    }

    return GOVERN_REDIS_ROLE_UNKNOWN;
}


/*
 * A message on the +switch-master channel: ["message", "+switch-master",
 * "NAME OLD-IP OLD-PORT NEW-IP NEW-PORT"].  1: NAME is ours and master is
 * the new endpoint; 0: another message (a subscription confirmed, another
 * master); -1: a message that does not parse.
 */

int
govern_redis_switch_master(const redisReply *reply, const char *name,
    size_t name_len, govern_redis_endpoint_t *master)
{
    size_t             i, start, field;
    const char        *s, *f[5];
    size_t             flen[5];
    const redisReply  *e;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 3 || !govern_redis_string(reply->element[0]))
    {
        return -1;
    }

    e = reply->element[0];

    if (!govern_redis_word(e->str, e->len, "message")) {
        return 0;
    }

    e = reply->element[1];

    if (!govern_redis_string(e)
        || !govern_redis_word(e->str, e->len, "+switch-master"))
    {
        return 0;
    }

    e = reply->element[2];

    if (!govern_redis_string(e)) {
        return -1;
    }

    s = e->str;
    field = 0;
    start = 0;

    for (i = 0; i <= e->len; i++) {
        if (i < e->len && s[i] != ' ') {
            continue;
        }

        if (field == 5 || i == start) {
            return -1;
        }

        f[field] = s + start;
        flen[field++] = i - start;
        start = i + 1;
    }

    if (field != 5) {
        return -1;
    }

    if (flen[0] != name_len || memcmp(f[0], name, name_len) != 0) {
        return 0;
    }

    if (!govern_redis_number(f[4], flen[4], 65535, &master->port)
        || master->port == 0)
    {
        return -1;
    }

    master->host = f[3];
    master->host_len = flen[3];

    return 1;
}


/* str is word, ASCII case aside */

static int
govern_redis_word(const char *str, size_t len, const char *word)
{
    size_t  i;
    char    c;

    for (i = 0; i < len; i++) {
        c = str[i];

        if (c >= 'a' && c <= 'z') {
            c = (char) (c - 'a' + 'A');
        }

        if (word[i] == '\0'
            || c != ((word[i] >= 'a' && word[i] <= 'z')
                     ? word[i] - 'a' + 'A' : word[i]))
        {
            return 0;
        }
    }

    return word[len] == '\0';
}


/* decimal digits only, at most max */

static int
govern_redis_number(const char *s, size_t len, unsigned max, unsigned *n)
{
    size_t    i;
    unsigned  v;

    if (len == 0 || len > 10) {
        return 0;
    }

    v = 0;

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }

        if (v > (max - (unsigned) (s[i] - '0')) / 10) {
            return 0;
        }

        v = v * 10 + (unsigned) (s[i] - '0');
    }

    *n = v;

    return 1;
}


static int
govern_redis_string(const redisReply *r)
{
    return r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS;
}
