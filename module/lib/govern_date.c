
/*
 * govern: strict date parsing for govern_api_version: a date that is not
 * exactly one of the two forms, or not a real day, fails nginx -t.
 */


#include "govern_date.h"


static int govern_date_digits(const char *s, int n, int *v);
static int64_t govern_days_from_civil(int64_t y, int m, int d);


int
govern_date_parse(const char *s, size_t len, int64_t *t)
{
    int   y, mo, d, h, mi, sec, oh, om, mdays, leap, sign;
    size_t  i;

    static const int  days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                                 31 };

    if (len < 10
        || !govern_date_digits(s, 4, &y) || s[4] != '-'
        || !govern_date_digits(s + 5, 2, &mo) || s[7] != '-'
        || !govern_date_digits(s + 8, 2, &d))
    {
        return 0;
    }

    if (y < 1970 || mo < 1 || mo > 12 || d < 1) {
        return 0;
    }

    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    mdays = days[mo - 1] + (mo == 2 && leap);

    if (d > mdays) {
        return 0;
    }

    h = 0;
    mi = 0;
    sec = 0;
    oh = 0;
    om = 0;
    sign = 0;

    if (len > 10) {
        /* RFC 3339: T hh:mm:ss [.frac] (Z | +hh:mm | -hh:mm) */

        if (len < 20 || (s[10] != 'T' && s[10] != 't')
            || !govern_date_digits(s + 11, 2, &h) || s[13] != ':'
            || !govern_date_digits(s + 14, 2, &mi) || s[16] != ':'
            || !govern_date_digits(s + 17, 2, &sec))
        {
            return 0;
        }

        if (h > 23 || mi > 59 || sec > 60) {
            return 0;
        }

        i = 19;

        if (s[i] == '.') {
            for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
                /* fractions of a second are dropped */
            }

            if (i == 20) {
                return 0;
            }
        }

        if (i == len - 1 && (s[i] == 'Z' || s[i] == 'z')) {
            /* UTC */

        } else if (i == len - 6 && (s[i] == '+' || s[i] == '-')
                   && govern_date_digits(s + i + 1, 2, &oh)
                   && s[i + 3] == ':'
                   && govern_date_digits(s + i + 4, 2, &om)
                   && oh <= 23 && om <= 59)
        {
            sign = s[i] == '+' ? 1 : -1;

        } else {
            return 0;
        }
    }

    *t = govern_days_from_civil(y, mo, d) * 86400
         + h * 3600 + mi * 60 + (sec == 60 ? 59 : sec)
         - sign * (oh * 3600 + om * 60);

    return 1;
}


static int
govern_date_digits(const char *s, int n, int *v)
{
    int  i;

    *v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }

        *v = *v * 10 + (s[i] - '0');
    }

    return 1;
}


/* days since 1970-01-01 of a proleptic Gregorian date (Hinnant) */

static int64_t
govern_days_from_civil(int64_t y, int m, int d)
{
    int64_t  era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}
