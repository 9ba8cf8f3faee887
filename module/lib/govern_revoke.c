
/*
 * govern: the Redis keys and verdicts of revocation (govern_revoke.h).
 */


#include <string.h>

#include "govern_revoke.h"


size_t
govern_revoke_key(char *dst, const char *partner, size_t len)
{
    char  *p;

    p = dst;
    memcpy(p, "govern:{", 8);
    p += 8;
    memcpy(p, partner, len);
    p += len;
    memcpy(p, "}:revoked", 9);
    p += 9;

    return p - dst;
}


size_t
govern_revoke_jti_key(char *dst, const char *partner, size_t len,
    const char *jti, size_t jti_len)
{
    char  *p;

    p = dst;
    memcpy(p, "govern:{", 8);
    p += 8;
    memcpy(p, partner, len);
    p += len;
    memcpy(p, "}:jti:", 6);
    p += 6;
    memcpy(p, jti, jti_len);
    p += jti_len;

    return p - dst;
}


govern_revoke_e
govern_revoke_kind(long long kind)
{
    switch (kind) {
    case 1:
        return GOVERN_REVOKE_PARTNER;
    case 2:
        return GOVERN_REVOKE_IAT;
    case 3:
        return GOVERN_REVOKE_JTI;
    default:
        return GOVERN_REVOKE_UNKNOWN;
    }
}


const char *
govern_revoke_name(govern_revoke_e verdict)
{
    static const char  *names[] = {
        NULL, "passed", "unchecked", "partner", "iat", "jti"
    };

    if ((unsigned) verdict > GOVERN_REVOKE_JTI) {
        return NULL;
    }

    return names[verdict];
}
