/* progress.h: the one progress line of the batch tools (vmind-crawl,
 * vmind-resize, vlsnr-embed, vlsnr-train): "TOOL: DONE/TOTAL UNIT, RATE/s,
 * ETA H:MM:SS, DETAIL", redrawn in place at most four times a second on a
 * terminal, cut to the terminal's width so that it never wraps, and cleared
 * when the work ends. While a progress is running, SIGINT and SIGTERM print
 * how much was done and that running the same command again resumes, then
 * end the process as the signal would have. */
#ifndef VMIND_PROGRESS_H
#define VMIND_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

typedef struct vm_progress {
	const char *unit;      /* "items", "images", "steps" */
	const char *resume;    /* what the interrupt message says resumes the work */
	uint64_t total;
	volatile uint64_t done; /* read by the signal handler */
	double t0, last;
	uint64_t done0;        /* done at start: the rate counts this run's work */
	int on;                /* drawing: stderr is a terminal and not quiet */
	int drawn;             /* a line is on the screen */
} vm_progress;

/* Start a progress of total units (done of them already done before this
 * run). Draws only when stderr is a terminal and quiet is 0; the signal
 * handlers are installed either way. resume may be NULL ("run the same
 * command again to resume"). */
void vm_progress_start(vm_progress *p, const char *unit, uint64_t done, uint64_t total, int quiet,
                       const char *resume);
/* done units now; detail (may be NULL) follows the counts. Redrawn when a
 * quarter of a second has passed since the last drawing, or when force. */
void vm_progress_update(vm_progress *p, uint64_t done, const char *detail, int force);
/* Take the line off the screen before another message is printed; the next
 * update draws it again. */
void vm_progress_clear(vm_progress *p);
/* The work ended: the line is cleared and the signal handlers removed. */
void vm_progress_end(vm_progress *p);

/* The columns of the terminal on stderr (TIOCGWINSZ, else $COLUMNS, else 80). */
int vm_terminal_width(void);
/* A time in seconds as H:MM:SS, or M:SS under an hour; "?" when unknown. */
void vm_format_eta(double seconds, char *buf, size_t len);

#endif
