/*
 * time.h - instants as seconds since the Unix epoch (UTC), and RFC 3339.
 */
#ifndef CUSTOS_COMMON_TIME_H
#define CUSTOS_COMMON_TIME_H

#include <stddef.h>
#include <stdint.h>

/* The system clock, in seconds since the epoch. */
int64_t cu_time_now(void);

/*
 * Parse an RFC 3339 / ISO 8601 UTC time: "YYYY-MM-DDTHH:MM:SS" followed by
 * an optional fraction and "Z" or a numeric offset. Fields are range-checked.
 */
int cu_time_parse(const char *s, int64_t *out);

/* Format t as "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes). */
int cu_time_format(int64_t t, char *out, size_t outsz);

/* Seconds since the epoch of a civil UTC date and time (no range checks). */
int64_t cu_time_from_civil(int64_t y, unsigned mon, unsigned d, unsigned h, unsigned mi,
                           unsigned s);

#endif
