#include "common/time.h"

#include <stdio.h>
#include <time.h>

#include "common/err.h"

int64_t cu_time_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's method). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t cu_time_from_civil(int64_t y, unsigned mon, unsigned d, unsigned h, unsigned mi, unsigned s)
{
	return days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60 + s;
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int digits(const char *s, int n, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return CU_EFORMAT;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int cu_time_parse(const char *s, int64_t *out)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y, mo, d, h, mi, sec, oh = 0, om = 0;
	const char *p = s + 19;
	int sign = 0;

	*out = 0;
	if (!s || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
	    digits(s + 17, 2, &sec))
		return CU_EFORMAT;
	if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60)
		return CU_EFORMAT;
	if (d > mdays[mo - 1] + (mo == 2 && is_leap(y)))
		return CU_EFORMAT;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return CU_EFORMAT;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 ||
		    om > 59)
			return CU_EFORMAT;
		p += 6;
	} else {
		return CU_EFORMAT;
	}
	if (*p)
		return CU_EFORMAT;
	if (sec == 60)
		sec = 59; /* a leap second: the instant before the next minute */
	*out = cu_time_from_civil(y, mo, d, h, mi, sec) - sign * (int64_t)(oh * 3600 + om * 60);
	return 0;
}

int cu_time_format(int64_t t, char *out, size_t outsz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (outsz < 21 || !gmtime_r(&tt, &tm))
		return CU_EINVAL;
	if (strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return CU_EINVAL;
	return 0;
}
