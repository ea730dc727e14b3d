/* Proleptic Gregorian calendar arithmetic: days <-> civil dates (Hinnant's
 * algorithms), weekdays, ISO-8601 weeks, Easter, Julian day numbers and
 * RFC 3339 formatting/parsing. */
#include <stdio.h>

#include "common.h"

typedef struct {
    int64_t y;
    unsigned m, d;
} civil;

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* Days since 1970-01-01. */
static int64_t days_from_civil(civil c)
{
    int64_t y = c.y - (c.m <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (c.m + (c.m > 2 ? -3 : 9)) + 2) / 5 + c.d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static civil civil_from_days(int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    civil c = {y + (m <= 2), m, d};
    return c;
}

/* 0 = Sunday. */
static unsigned weekday(int64_t days) { return (unsigned)(((days + 4) % 7 + 7) % 7); }

/* Zeller's congruence as an independent weekday check (years > 0). */
static unsigned zeller(civil c)
{
    int64_t y = c.y, m = c.m;
    if (m < 3) {
        m += 12;
        y--;
    }
    int64_t k = y % 100, j = y / 100;
    int64_t h = ((int64_t)c.d + 13 * (m + 1) / 5 + k + k / 4 + j / 4 + 5 * j) % 7;
    return (unsigned)((h + 6) % 7); /* Zeller counts from Saturday */
}

/* ISO-8601 week number and week-based year. */
static unsigned iso_week(civil c, int64_t *iso_year)
{
    int64_t days = days_from_civil(c);
    unsigned wd = (weekday(days) + 6) % 7; /* Monday = 0 */
    int64_t thursday = days - wd + 3;
    civil tc = civil_from_days(thursday);
    civil jan1 = {tc.y, 1, 1};
    *iso_year = tc.y;
    return (unsigned)((thursday - days_from_civil(jan1)) / 7 + 1);
}

/* Anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
static civil easter(int64_t y)
{
    int64_t a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4;
    int64_t f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
    int64_t i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
    int64_t m = (a + 11 * h + 22 * l) / 451;
    civil r = {y, (unsigned)((h + l - 7 * m + 114) / 31), (unsigned)((h + l - 7 * m + 114) % 31 + 1)};
    return r;
}

static int64_t julian_day_number(civil c) { return days_from_civil(c) + 2440588; }

static size_t format_rfc3339(int64_t unix_secs, char *out, size_t cap)
{
    int64_t days = unix_secs >= 0 ? unix_secs / 86400 : -((-unix_secs + 86399) / 86400);
    int64_t rem = unix_secs - days * 86400;
    civil c = civil_from_days(days);
    return (size_t)snprintf(out, cap, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)c.y, c.m, c.d, (int)(rem / 3600),
                            (int)(rem / 60 % 60), (int)(rem % 60));
}

static int parse_rfc3339(const char *s, int64_t *unix_secs)
{
    long long y;
    unsigned m, d, hh, mm, ss;
    char z;
    if (sscanf(s, "%lld-%u-%uT%u:%u:%u%c", &y, &m, &d, &hh, &mm, &ss, &z) != 7 || z != 'Z') return -1;
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m) || hh > 23 || mm > 59 || ss > 60) return -1;
    civil c = {y, m, d};
    *unix_secs = days_from_civil(c) * 86400 + hh * 3600 + mm * 60 + ss;
    return 0;
}

int datetime_selftest(uint64_t *digest)
{
    civil epoch = {1970, 1, 1};
    JT_CHECK(days_from_civil(epoch) == 0);
    civil y2k = {2000, 3, 1};
    JT_CHECK(days_from_civil(y2k) == 11017);
    JT_CHECK(weekday(0) == 4); /* Thursday */
    civil moon = {1969, 7, 20};
    JT_CHECK(weekday(days_from_civil(moon)) == 0);
    JT_CHECK(julian_day_number(y2k) == 2451605);

    /* Round trip over ~1100 years, cross-checking weekdays with Zeller. */
    int64_t prev = days_from_civil((civil){1500, 1, 1}) - 1;
    for (int64_t y = 1500; y <= 2600; y++)
        for (unsigned m = 1; m <= 12; m++)
            for (unsigned d = 1; d <= days_in_month(y, m); d++) {
                civil c = {y, m, d};
                int64_t days = days_from_civil(c);
                JT_CHECK(days == prev + 1);
                prev = days;
                civil back = civil_from_days(days);
                JT_CHECK(back.y == y && back.m == m && back.d == d);
                if (d == 13) JT_CHECK(zeller(c) == weekday(days));
            }
    *digest = jt_digest(*digest, (uint64_t)prev);

    int64_t iy;
    JT_CHECK(iso_week((civil){2021, 1, 3}, &iy) == 53 && iy == 2020);
    JT_CHECK(iso_week((civil){2021, 1, 4}, &iy) == 1 && iy == 2021);
    JT_CHECK(iso_week((civil){2024, 12, 30}, &iy) == 1 && iy == 2025);
    JT_CHECK(iso_week((civil){2026, 12, 31}, &iy) == 53 && iy == 2026);

    static const struct {
        int y;
        unsigned m, d;
    } easters[] = {{2024, 3, 31}, {2025, 4, 20}, {2000, 4, 23}, {1961, 4, 2}, {2038, 4, 25}, {2285, 3, 22}};
    for (size_t i = 0; i < JT_ARRAY_LEN(easters); i++) {
        civil e = easter(easters[i].y);
        JT_CHECK(e.m == easters[i].m && e.d == easters[i].d);
        JT_CHECK(weekday(days_from_civil(e)) == 0);
    }
    for (int64_t y = 1583; y < 3000; y++) {
        civil e = easter(y);
        JT_CHECK(weekday(days_from_civil(e)) == 0);
        JT_CHECK((e.m == 3 && e.d >= 22) || (e.m == 4 && e.d <= 25));
        *digest = jt_digest(*digest, e.m * 100 + e.d);
    }

    char buf[40];
    format_rfc3339(1700000000, buf, sizeof buf);
    JT_CHECK(strcmp(buf, "2023-11-14T22:13:20Z") == 0);
    format_rfc3339(-1, buf, sizeof buf);
    JT_CHECK(strcmp(buf, "1969-12-31T23:59:59Z") == 0);
    int64_t t;
    JT_CHECK(parse_rfc3339("2038-01-19T03:14:07Z", &t) == 0 && t == 2147483647);
    JT_CHECK(parse_rfc3339("2023-02-29T00:00:00Z", &t) != 0);
    jt_rng r = {71};
    for (int i = 0; i < 1000; i++) {
        int64_t s = (int64_t)(jt_rng_next(&r) % 20000000000ull) - 5000000000ll;
        int64_t back = 0;
        format_rfc3339(s, buf, sizeof buf);
        JT_CHECK(parse_rfc3339(buf, &back) == 0 && back == s);
    }
    return 0;
}
