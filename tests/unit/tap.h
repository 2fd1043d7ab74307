/* tap.h: a minimal TAP producer for the C unit tests, so they run under
 * automake's tap-driver like the shell tests. ok() prints one test line;
 * tap_done() prints the plan and returns the exit status. */
#ifndef VMIND_TAP_H
#define VMIND_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

/* ok() for two strings, printing both on failure */
#define is_str(got, want, ...) do { \
	const char *g_ = (got), *w_ = (want); \
	if (!ok(g_ && w_ && strcmp(g_, w_) == 0, __VA_ARGS__)) \
		printf("#   got:  '%s'\n#   want: '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

/* ok() for two numbers within a tolerance */
#define is_near(got, want, tol, ...) do { \
	double g_ = (got), w_ = (want); \
	if (!ok(fabs(g_ - w_) <= (tol), __VA_ARGS__)) \
		printf("#   got:  %.17g\n#   want: %.17g (tolerance %g)\n", g_, w_, (double)(tol)); \
} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
