/*
 * log.h - logging for programs (daemons and the CLI). Libraries do not log;
 * they return errors. The level is set once by the program at start.
 */
#ifndef CUSTOS_COMMON_LOG_H
#define CUSTOS_COMMON_LOG_H

enum cu_log_level { CU_LOG_ERROR, CU_LOG_WARN, CU_LOG_INFO, CU_LOG_DEBUG };

/* Set the most verbose level printed and the program name of each line. */
void cu_log_init(const char *progname, enum cu_log_level level);

/* One line on stderr: "<time> <prog> <level>: <message>". */
void cu_log(enum cu_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define cu_error(...) cu_log(CU_LOG_ERROR, __VA_ARGS__)
#define cu_warn(...)  cu_log(CU_LOG_WARN, __VA_ARGS__)
#define cu_info(...)  cu_log(CU_LOG_INFO, __VA_ARGS__)
#define cu_debug(...) cu_log(CU_LOG_DEBUG, __VA_ARGS__)

#endif
