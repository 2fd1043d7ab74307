/* progress.c: the progress line shared by the batch tools, and the message
 * they print when a signal ends them (see progress.h). The signal handler
 * reaches the running progress through the one file-scope pointer below (a
 * handler has no other way in) and writes with write(2) alone. */
#include "config.h"
#include "progress.h"
#include "util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* The progress the signal handler reports; NULL when none is running. */
static vm_progress *volatile running;

int vm_terminal_width(void)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if (env && atoi(env) > 0)
		return atoi(env);
	return 80;
}

void vm_format_eta(double s, char *buf, size_t len)
{
	if (!(s >= 0) || s > 1e8) {
		snprintf(buf, len, "?");
		return;
	}
	long t = (long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
}

/* Append s to the buffer of a signal handler (no stdio there). */
static size_t sig_add(char *buf, size_t n, size_t cap, const char *s)
{
	while (*s && n + 1 < cap)
		buf[n++] = *s++;
	return n;
}

static size_t sig_add_u64(char *buf, size_t n, size_t cap, uint64_t v)
{
	char d[24];
	int k = 0;
	do {
		d[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (k > 0 && n + 1 < cap)
		buf[n++] = d[--k];
	return n;
}

/* "PROG: interrupted: D/T UNIT done; run the same command again to resume",
 * then the signal's own end. */
static void on_signal(int sig)
{
	vm_progress *p = running;
	char buf[512];
	size_t n = 0;
	if (p && p->drawn)
		n = sig_add(buf, n, sizeof buf, "\r\033[K");
	n = sig_add(buf, n, sizeof buf, vm_progname ? vm_progname : "vmind");
	n = sig_add(buf, n, sizeof buf, sig == SIGINT ? ": interrupted" : ": terminated");
	if (p) {
		n = sig_add(buf, n, sizeof buf, ": ");
		n = sig_add_u64(buf, n, sizeof buf, p->done);
		n = sig_add(buf, n, sizeof buf, "/");
		n = sig_add_u64(buf, n, sizeof buf, p->total);
		n = sig_add(buf, n, sizeof buf, " ");
		n = sig_add(buf, n, sizeof buf, p->unit);
		n = sig_add(buf, n, sizeof buf, " done; ");
		n = sig_add(buf, n, sizeof buf, p->resume ? p->resume : "run the same command again to resume");
	}
	n = sig_add(buf, n, sizeof buf, "\n");
	if (write(STDERR_FILENO, buf, n) < 0) {
		/* nothing more can be said */
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* SIGINT and SIGTERM go to h, but for a signal ignored when the process
 * started (a background job of a script, nohup): that one stays ignored. */
static void handle_signals(void (*h)(int))
{
	static const int sigs[] = { SIGINT, SIGTERM };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction sa, old;
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = h;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
}

void vm_progress_start(vm_progress *p, const char *unit, uint64_t done, uint64_t total, int quiet,
                       const char *resume)
{
	*p = (vm_progress){ .unit = unit, .resume = resume, .total = total, .done = done, .done0 = done,
	                    .t0 = vm_now(), .on = !quiet && vm_stderr_is_tty() };
	running = p;
	handle_signals(on_signal);
}

void vm_progress_update(vm_progress *p, uint64_t done, const char *detail, int force)
{
	double now = vm_now(), el = now - p->t0;
	char line[1024], eta[32];
	p->done = done;
	if (!p->on || (!force && now - p->last < 0.25))
		return;
	p->last = now;
	double rate = el > 0 ? (double)(done - p->done0) / el : 0;
	vm_format_eta(rate > 0 ? (double)(p->total - (done < p->total ? done : p->total)) / rate : -1, eta, sizeof eta);
	int n = snprintf(line, sizeof line, "%s: %llu/%llu %s, %.1f/s, ETA %s%s%s", vm_progname,
	                 (unsigned long long)done, (unsigned long long)p->total, p->unit, rate, eta,
	                 detail && *detail ? ", " : "", detail ? detail : "");
	int width = vm_terminal_width() - 1;   /* the last column would wrap on some terminals */
	if (n > width && width > 0)
		n = width;
	if (n >= (int)sizeof line)
		n = (int)sizeof line - 1;
	fprintf(stderr, "\r%.*s\033[K", n, line);
	fflush(stderr);
	p->drawn = 1;
}

void vm_progress_clear(vm_progress *p)
{
	if (p->drawn)
		fputs("\r\033[K", stderr);
	p->drawn = 0;
	p->last = 0;
}

void vm_progress_end(vm_progress *p)
{
	vm_progress_clear(p);
	p->on = 0;   /* later updates draw nothing */
	if (running == p) {
		running = NULL;
		handle_signals(SIG_DFL);
	}
}
