
/*
 * govern: "format" assertions: date-time, date, time (RFC 3339), email
 * (RFC 5321 addr-spec, ASCII), uuid (RFC 4122), uri (RFC 3986 absolute),
 * ipv4 and ipv6.  Unknown formats pass, as the specification asks.
 */


#include <string.h>
#include <arpa/inet.h>

#include "govern_schema.h"


static int govern_fmt_digits(const char *s, size_t n, int *v);
static int govern_fmt_date(const char *s, size_t len);
static int govern_fmt_time(const char *s, size_t len);
static int govern_fmt_email(const char *s, size_t len);
static int govern_fmt_uuid(const char *s, size_t len);
static int govern_fmt_uri(const char *s, size_t len);
static int govern_fmt_ipv4(const char *s, size_t len);
static int govern_fmt_ipv6(const char *s, size_t len);
static int govern_fmt_date_time(const char *s, size_t len);


static int
govern_fmt_date_time(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (s[i] == 'T' || s[i] == 't') {
            return i == 10 && govern_fmt_date(s, 10)
                   && govern_fmt_time(s + 11, len - 11);
        }
    }

    return 0;
}


typedef struct {
    const char                 *name;
    govern_format_pt            check;
} govern_format_t;


static const govern_format_t  govern_formats[] = {
    { "date-time", govern_fmt_date_time },
    { "date", govern_fmt_date },
    { "time", govern_fmt_time },
    { "email", govern_fmt_email },
    { "uuid", govern_fmt_uuid },
    { "uri", govern_fmt_uri },
    { "ipv4", govern_fmt_ipv4 },
    { "ipv6", govern_fmt_ipv6 },
    { NULL, NULL }
};


/* the checker of a format, found once when the schema is compiled */

govern_format_pt
govern_format_lookup(const char *format)
{
    const govern_format_t           *f;

    for (f = govern_formats; f->name; f++) {
        if (strcmp(f->name, format) == 0) {
            return f->check;
        }
    }

    return NULL;                        /* unknown: passes */
}


static int
govern_fmt_digits(const char *s, size_t n, int *v)
{
    size_t  i;

    *v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }

        *v = *v * 10 + (s[i] - '0');
    }

    return 1;
}


static int
govern_fmt_date(const char *s, size_t len)
{
    int  y, m, d, leap;

    static const int  days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                                 31 };

    if (len != 10 || s[4] != '-' || s[7] != '-'
        || !govern_fmt_digits(s, 4, &y)
        || !govern_fmt_digits(s + 5, 2, &m)
        || !govern_fmt_digits(s + 8, 2, &d)
        || m < 1 || m > 12 || d < 1)
    {
        return 0;
    }

    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return d <= days[m - 1] + (m == 2 && leap);
}


/* full-time: hh:mm:ss[.frac](Z|+hh:mm|-hh:mm); 60 seconds only at the
 * end of a UTC day */

static int
govern_fmt_time(const char *s, size_t len)
{
    int     h, m, sec, oh, om, sign, utc_min;
    size_t  i;

    if (len < 9 || s[2] != ':' || s[5] != ':'
        || !govern_fmt_digits(s, 2, &h)
        || !govern_fmt_digits(s + 3, 2, &m)
        || !govern_fmt_digits(s + 6, 2, &sec)
        || h > 23 || m > 59 || sec > 60)
    {
        return 0;
    }

    i = 8;

    if (s[i] == '.') {
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            /* void */
        }

        if (i == 9) {
            return 0;
        }
    }

    if (i == len - 1 && (s[i] == 'Z' || s[i] == 'z')) {
        oh = 0;
        om = 0;
        sign = 1;

    } else if (i == len - 6 && (s[i] == '+' || s[i] == '-')
               && s[i + 3] == ':'
               && govern_fmt_digits(s + i + 1, 2, &oh)
               && govern_fmt_digits(s + i + 4, 2, &om)
               && oh <= 23 && om <= 59)
    {
        sign = s[i] == '+' ? 1 : -1;

    } else {
        return 0;
    }

    if (sec == 60) {
        utc_min = ((h * 60 + m - sign * (oh * 60 + om)) % 1440 + 1440)
                  % 1440;

        return utc_min == 23 * 60 + 59;
    }

    return 1;
}


static int
govern_fmt_email(const char *s, size_t len)
{
    size_t       i, at;
    const char  *atext = "!#$%&'*+-/=?^_`{|}~";
    char         c;

    at = len;

    for (i = 0; i < len; i++) {
        if (s[i] == '@') {
            at = i;
        }
    }

    if (at == len || at == 0 || at == len - 1) {
        return 0;
    }

    /* dot-atom local part: no leading, trailing or doubled dots */

    for (i = 0; i < at; i++) {
        c = s[i];

        if (c == '.') {
            if (i == 0 || i == at - 1 || s[i - 1] == '.') {
                return 0;
            }

            continue;
        }

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || (c && strchr(atext, c))))
        {
            return 0;
        }
    }

    /* a hostname, or an address literal */

    if (s[at + 1] == '[') {
        if (s[len - 1] != ']') {
            return 0;
        }

        if (len - at - 3 > 5 && strncmp(s + at + 2, "IPv6:", 5) == 0) {
            return govern_fmt_ipv6(s + at + 7, len - at - 8);
        }

        return govern_fmt_ipv4(s + at + 2, len - at - 3);
    }

    for (i = at + 1; i < len; i++) {
        c = s[i];

        if (c == '.') {
            if (i == at + 1 || i == len - 1 || s[i - 1] == '.') {
                return 0;
            }

            continue;
        }

        if (c == '-') {
            if (s[i - 1] == '.' || s[i - 1] == '@' || i == len - 1
                || s[i + 1] == '.')
            {
                return 0;
            }

            continue;
        }

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')))
        {
            return 0;
        }
    }

    return 1;
}


static int
govern_fmt_uuid(const char *s, size_t len)
{
    size_t  i;
    char    c;

    if (len != 36) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = s[i];

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') {
                return 0;
            }

            continue;
        }

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
              || (c >= 'A' && c <= 'F')))
        {
            return 0;
        }
    }

    return 1;
}


/* an absolute URI: scheme ":" then RFC 3986 characters only */

static int
govern_fmt_uri(const char *s, size_t len)
{
    size_t       i, colon;
    char         c;
    const char  *allowed = "-._~:/?#[]@!$&'()*+,;=%";

    colon = 0;

    for (i = 0; i < len; i++) {
        c = s[i];

        if (c == ':') {
            colon = i;
            break;
        }

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-'
                            || c == '.'))))
        {
            return 0;
        }
    }

    if (colon == 0) {
        return 0;
    }

    for (i = colon + 1; i < len; i++) {
        c = s[i];

        if (c == '%') {
            if (i + 2 >= len + 0 || !strchr("0123456789abcdefABCDEF", s[i + 1])
                || !strchr("0123456789abcdefABCDEF", s[i + 2])
                || s[i + 1] == '\0' || s[i + 2] == '\0')
            {
                return 0;
            }

            i += 2;
            continue;
        }

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || (c && strchr(allowed, c))))
        {
            return 0;
        }
    }

    /* "//" starts an authority: its user info may not hold "[" */

    if (len - colon > 2 && s[colon + 1] == '/' && s[colon + 2] == '/') {
        for (i = colon + 3; i < len && s[i] != '/' && s[i] != '?'
             && s[i] != '#' && s[i] != '@'; i++)
        {
            if (s[i] == '[' && memchr(s + i, '@', len - i)) {
                return 0;
            }
        }
    }

    return 1;
}


static int
govern_fmt_ipv4(const char *s, size_t len)
{
    int     parts, v, digits;
    size_t  i;

    parts = 0;
    v = 0;
    digits = 0;

    for (i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (digits == 0 || v > 255) {
                return 0;
            }

            parts++;
            v = 0;
            digits = 0;
            continue;
        }

        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }

        /* no leading zeros: "087" is octal to some parsers */
        if (digits == 1 && v == 0) {
            return 0;
        }

        v = v * 10 + (s[i] - '0');
        digits++;

        if (digits > 3) {
            return 0;
        }
    }

    return parts == 4;
}


static int
govern_fmt_ipv6(const char *s, size_t len)
{
    char           buf[64];
    unsigned char  addr[16];

    if (len == 0 || len >= sizeof(buf) || memchr(s, '%', len)) {
        return 0;
    }

    memcpy(buf, s, len);
    buf[len] = '\0';

    return inet_pton(AF_INET6, buf, addr) == 1;
}
