
/*
 * govern: base64 and base64url decoding (RFC 4648), canonical.
 */


#ifndef _GOVERN_BASE64_H_INCLUDED_
#define _GOVERN_BASE64_H_INCLUDED_


#include <stddef.h>


/*
 * Unpadded base64url (RFC 7515 section 2): the decoded length, or
 * (size_t) -1 for a character outside the alphabet, an impossible length
 * or non-zero leftover bits.  dst holds len * 3 / 4 bytes.
 */
size_t govern_base64url_decode(unsigned char *dst,
    const unsigned char *src, size_t len);

/*
 * base64, '=' only at the end: padded, the length is a multiple of 4 (a
 * MAC); else the padding may be left out (a secret).  (size_t) -1 when
 * invalid or longer than size.
 */
size_t govern_base64_decode(unsigned char *dst, size_t size,
    const unsigned char *src, size_t len, int padded);

/* a digit of the base64 alphabet ('=' is not one) */
int govern_base64_digit(unsigned char c);


#endif /* _GOVERN_BASE64_H_INCLUDED_ */
