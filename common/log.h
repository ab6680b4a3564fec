/*
 * Logging for all immpd processes: syslog(3) in daemon mode, stderr in
 * debug mode (immpd -d).  Every line is prefixed with the process name.
 * Event lines an administrator searches for use "key=value" pairs
 * (documented in immpd(8)).  Nothing logged may contain a secret.
 */
#ifndef IMMP_LOG_H
#define IMMP_LOG_H

#include <stdarg.h>

/*
 * log_init: debug != 0 logs to stderr, otherwise to syslog with the given
 * facility (LOG_MAIL normally).  Call once per process before any log_*.
 */
void	log_init(int debug, int facility);
/* log_procname: sets the tag printed before each line; name is copied. */
void	log_procname(const char *name);
/* log_setverbose: 0 = info and above, 1 = also debug lines. */
void	log_setverbose(int verbose);
int	log_getverbose(void);

/* log_warn appends ": strerror(errno)"; the x variants do not. */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* fatal/fatalx log at LOG_CRIT and exit(1); they never return. */
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
