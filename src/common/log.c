#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

/* Process-wide settings, written once by main() before any thread starts. */
static const char *log_prog = "custos";
static enum cu_log_level log_level = CU_LOG_INFO;

void cu_log_init(const char *progname, enum cu_log_level level)
{
	log_prog = progname;
	log_level = level;
}

void cu_log(enum cu_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	char line[1024], stamp[32];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level > log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s %s %s: %s\n", stamp, log_prog, names[level], line);
}
