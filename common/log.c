/*
 * Logging for all immpd processes (log.h), in the style of OpenBSD's
 * log.c: syslog(3) in daemon mode, stderr in debug mode, every line
 * prefixed with the process name.
 *
 * Each line is formatted into a fixed buffer (long lines are truncated)
 * and control characters are replaced by '?', so a string that came
 * from outside cannot forge or split log lines.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	2048

static int	 log_debug_mode = 1;	/* stderr until log_init says else */
static int	 log_verbose;
static char	 log_tag[32] = "immpd";

static void	 vlog(int, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));
static void	 logit(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 vlog_err(int, int, const char *, const char *, va_list)
		    __attribute__((format(printf, 4, 0)));
static void	 sanitize(char *);
static void	 emit(int, const char *);

void
log_init(int debug, int facility)
{
	log_debug_mode = debug;
	if (!debug) {
		/*
		 * LOG_NDELAY connects now, before any chroot or seccomp
		 * filter can make /dev/log unreachable.
		 */
		openlog(log_tag, LOG_PID | LOG_NDELAY, facility);
	}
	tzset();
}

void
log_procname(const char *name)
{
	if (name == NULL)
		return;
	/* openlog(3) keeps the pointer: log_tag is static storage. */
	(void)strlcpy(log_tag, name, sizeof(log_tag));
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return log_verbose;
}

static void
sanitize(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			*s = '?';
	}
}

static void
emit(int pri, const char *line)
{
	char	 out[LOG_LINE_MAX + sizeof(log_tag) + 3];
	size_t	 off, len;
	ssize_t	 n;
	int	 r;

	if (!log_debug_mode) {
		syslog(pri, "%s", line);
		return;
	}

	/* One write(2) per line so processes do not interleave. */
	r = snprintf(out, sizeof(out), "%s: %s\n", log_tag, line);
	if (r < 0)
		return;
	len = (size_t)r;
	if (len >= sizeof(out)) {
		len = sizeof(out) - 1;
		out[len - 1] = '\n';
	}
	for (off = 0; off < len; off += (size_t)n) {
		n = write(STDERR_FILENO, out + off, len - off);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			return;
	}
}

static void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 line[LOG_LINE_MAX];
	int	 saved_errno = errno;

	if (vsnprintf(line, sizeof(line), fmt, ap) < 0)
		(void)strlcpy(line, "(log format error)", sizeof(line));
	sanitize(line);
	emit(pri, line);
	errno = saved_errno;
}

static void
logit(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

/* Formats fmt and appends ": strerror(code)" when code != 0. */
static void
vlog_err(int pri, int code, const char *prefix, const char *fmt, va_list ap)
{
	char	 msg[LOG_LINE_MAX];

	if (fmt == NULL)
		msg[0] = '\0';
	else if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		(void)strlcpy(msg, "(log format error)", sizeof(msg));

	if (code != 0 && msg[0] != '\0')
		logit(pri, "%s%s: %s", prefix, msg, strerror(code));
	else if (code != 0)
		logit(pri, "%s%s", prefix, strerror(code));
	else
		logit(pri, "%s%s", prefix, msg);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved_errno = errno;

	va_start(ap, fmt);
	vlog_err(LOG_ERR, saved_errno, "", fmt, ap);
	va_end(ap);
	errno = saved_errno;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved_errno = errno;

	va_start(ap, fmt);
	vlog_err(LOG_CRIT, saved_errno, "fatal: ", fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog_err(LOG_CRIT, 0, "fatal: ", fmt, ap);
	va_end(ap);
	exit(1);
}
