
/*
 * govern: revocation at the edge, the pure part: the Redis keys a
 * security team writes (DESIGN section 7, the partner as the Cluster hash
 * tag) and the verdicts of the check, which govern_rate_script makes in
 * the same call as the rate limit.
 */


#ifndef _GOVERN_REVOKE_H_INCLUDED_
#define _GOVERN_REVOKE_H_INCLUDED_


#include <stddef.h>


typedef enum {
    GOVERN_REVOKE_UNKNOWN = 0,      /* not checked */
    GOVERN_REVOKE_PASSED,           /* checked: nothing revoked */
    GOVERN_REVOKE_UNCHECKED,        /* Redis unavailable, let through */
    GOVERN_REVOKE_PARTNER,          /* the partner is blocked */
    GOVERN_REVOKE_IAT,              /* issued before the partner's cut-off */
    GOVERN_REVOKE_JTI               /* this token (jti) is revoked */
} govern_revoke_e;


#define GOVERN_REVOKE_KEY_LEN(partner_len)                                   \
    (sizeof("govern:{}:revoked") - 1 + (partner_len))
#define GOVERN_REVOKE_JTI_KEY_LEN(partner_len, jti_len)                      \
    (sizeof("govern:{}:jti:") - 1 + (partner_len) + (jti_len))


/* "govern:{PARTNER}:revoked", a hash: "partner" (blocked), "iat" (T) */
size_t govern_revoke_key(char *dst, const char *partner, size_t len);

/* "govern:{PARTNER}:jti:JTI", present while the token is revoked */
size_t govern_revoke_jti_key(char *dst, const char *partner, size_t len,
    const char *jti, size_t jti_len);

/* the script's kind (1, 2, 3) as a verdict; GOVERN_REVOKE_UNKNOWN if
 * none of them */
govern_revoke_e govern_revoke_kind(long long kind);

/* "passed", "unchecked", "partner", "iat", "jti"; NULL when unknown */
const char *govern_revoke_name(govern_revoke_e verdict);


#endif /* _GOVERN_REVOKE_H_INCLUDED_ */
