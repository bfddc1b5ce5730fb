/* Logging to stderr with levels. journald adds time stamps and the unit's name,
 * so a line is just "LEVEL: message". Quiet by default: info and above. */
#ifndef ROLLSENSE_LOG_H
#define ROLLSENSE_LOG_H

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

/* Each level's name, as the configuration and log_level_parse take it. */
extern const char *const log_level_names[LOG_LEVEL_DEBUG + 1];

void log_set_level(enum log_level level);
/* Parses "error", "warn", "info", "debug". Returns 0, or -1 for anything else. */
int log_level_parse(const char *name, enum log_level *out);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
