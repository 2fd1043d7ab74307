/* mind.h: streaming readers of MIND's news.tsv and behaviors.tsv (formats in
 * vmind.7 and doc/external.md section 2). A reader holds one line at a time,
 * so memory does not grow with the file; each row is checked strictly (column
 * count, id syntax, time format, impression labels, UTF-8) and a bad row is
 * reported as "FILE:LINE: what was wrong". In lenient mode bad rows are
 * skipped and counted instead. */
#ifndef VMIND_MIND_H
#define VMIND_MIND_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Reader flags */
enum {
	VM_MIND_LENIENT = 1 << 0,  /* skip bad lines (counted, first few kept) */
	VM_MIND_NO_LISTS = 1 << 1  /* behaviors: check history and impressions as
	                            * strictly, but needn't decode them: history and
	                            * impressions may be NULL, and so may user and
	                            * time_text; the numbers, the counts and
	                            * labelled are set (vmind-stats' fast path) */
};

/* Return values of vm_*_next */
enum {
	VM_MIND_ROW = 1,    /* *row holds the next good row */
	VM_MIND_EOF = 0,    /* no more rows */
	VM_MIND_ERROR = -1  /* strict mode: bad line; or I/O error (both modes) */
};

/* One row of news.tsv. Strings point into the reader's line buffer and are
 * valid until the next call; each is NUL-terminated. */
typedef struct vm_news {
	const char *id;                /* "N12345" */
	uint32_t num;                  /* 12345 */
	const char *category;
	const char *subcategory;
	const char *title;
	const char *abstract;          /* may be "" */
	const char *url;               /* may be "" */
	const char *title_entities;    /* JSON text, may be "" */
	const char *abstract_entities; /* JSON text, may be "" */
} vm_news;

/* One candidate of an impression. */
typedef struct vm_candidate {
	uint32_t news;     /* news number (N<news>) */
	int8_t label;      /* 1 clicked, 0 not clicked, -1 unlabelled (test split) */
} vm_candidate;

/* One row of behaviors.tsv. Arrays are owned by the reader and valid until
 * the next call. */
typedef struct vm_behavior {
	uint64_t impression_id;
	const char *user;          /* "U123" */
	uint32_t user_num;         /* 123 */
	const char *time_text;     /* as written, "11/11/2019 9:05:58 AM" */
	int64_t time;              /* seconds since the epoch, read as UTC */
	const uint32_t *history;   /* [n_history] news numbers, oldest first */
	size_t n_history;
	const vm_candidate *impressions; /* [n_impressions] */
	size_t n_impressions;
	int labelled;              /* 1 when every candidate has a label, 0 when none has */
} vm_behavior;

typedef struct vm_mind_reader vm_mind_reader;

/* Open a file ("-" is standard input). NULL with a message on stderr when it
 * can't be opened. */
vm_mind_reader *vm_mind_open(const char *path, int flags);
void vm_mind_close(vm_mind_reader *r);

/* Open only the bytes [offset, offset + length) of a regular file, which must
 * start at the beginning of a line (length UINT64_MAX: to the end). Line
 * numbers in messages count from the start of the range; a caller that reads
 * a file in parts renumbers them with vm_mind_error_lineno() and
 * vm_mind_kept_error_detail(). Used by vmind-stats to read one file on two
 * cores. */
vm_mind_reader *vm_mind_open_range(const char *path, int flags, uint64_t offset, uint64_t length);

/* The longest line accepted, in bytes without the line end: longer lines are
 * an error ("line too long"). The reader's buffer grows up to this. */
#define VM_MIND_MAX_LINE_DEFAULT (64u << 20)
void vm_mind_set_max_line(vm_mind_reader *r, size_t max_line);

/* Next row. In strict mode a bad line returns VM_MIND_ERROR and
 * vm_mind_error() says "FILE:LINE: message". In lenient mode bad lines are
 * skipped and counted. An I/O error is VM_MIND_ERROR in both modes. */
int vm_news_next(vm_mind_reader *r, vm_news *row);
int vm_behavior_next(vm_mind_reader *r, vm_behavior *row);

/* The last error, "FILE:LINE: message", or "FILE: message" for an I/O
 * error (empty when none). */
const char *vm_mind_error(const vm_mind_reader *r);
/* Lines read so far, and lines skipped as bad in lenient mode. */
uint64_t vm_mind_lineno(const vm_mind_reader *r);
uint64_t vm_mind_skipped(const vm_mind_reader *r);
/* In lenient mode, the messages of the first skipped lines (at most
 * VM_MIND_KEPT_ERRORS of them), each "FILE:LINE: message". */
#define VM_MIND_KEPT_ERRORS 20
size_t vm_mind_kept_errors(const vm_mind_reader *r, const char *const **msgs);

/* The last error apart: its line number (0 for an I/O error) and its text
 * without the "FILE:LINE: " prefix. */
uint64_t vm_mind_error_lineno(const vm_mind_reader *r);
const char *vm_mind_error_message(const vm_mind_reader *r);
/* Kept message i (i < vm_mind_kept_errors()) apart, as above. */
void vm_mind_kept_error_detail(const vm_mind_reader *r, size_t i, uint64_t *lineno, const char **message);

/* Parsers usable on their own (return 0 on success, -1 on bad syntax).
 * Ids: the letter, then decimal digits without sign or leading zero that
 * fit 32 bits (N0 is accepted, N012 is not). */
int vm_parse_news_id(const char *s, size_t len, uint32_t *num);   /* N<digits> */
int vm_parse_user_id(const char *s, size_t len, uint32_t *num);   /* U<digits> */
/* "M/D/YYYY H:MM:SS AM|PM" -> seconds since the epoch (as UTC) */
int vm_parse_mind_time(const char *s, size_t len, int64_t *t);
/* Format seconds since the epoch back in MIND's form; out needs 32 bytes */
void vm_format_mind_time(int64_t t, char out[32]);
/* 1 when s[0..len) is valid UTF-8 */
int vm_utf8_valid(const char *s, size_t len);

#endif
