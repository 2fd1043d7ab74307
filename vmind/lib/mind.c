/* mind.c: the streaming readers of MIND's news.tsv and behaviors.tsv declared
 * in mind.h. A reader read()s the file into one buffer and cuts lines out of
 * it with memchr, so memory stays constant in the file size; the buffer only
 * grows for a line longer than itself, up to a cap (VM_MIND_MAX_LINE_DEFAULT,
 * "line too long" beyond). Every row is checked strictly and the first
 * problem of a bad line becomes "FILE:LINE: message" with a fixed text (the
 * list is in man/vmind-stats.1 and tests/t0102-malformed.sh). The behaviors
 * path is the hot one (MIND-large behaviors is 1.4 GB): its columns are
 * parsed in single passes of simple byte loops, without malloc per field and
 * without strtol; the precise diagnosis of a bad line is only worked out once
 * the line is known to be bad. With VM_MIND_NO_LISTS (vmind-stats) the
 * history and impressions are checked 64 bytes at a time with SIMD bit masks
 * instead of being decoded, and a part of a regular file opened with
 * vm_mind_open_range() is mapped rather than read, so that good lines are
 * checked in place; a bad line is copied and goes through the exact parser,
 * which words the message, so every path gives the same verdicts and
 * messages (tests/unit/test-mind.c compares them on random lines). */
#include "config.h"
#include "mind.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define INITIAL_BUFFER (256u << 10)
#define MAP_MAX (1ull << 30)   /* parts mapped at most (vmind-stats reads 8 MiB) */
#define MAP_RELEASE (4u << 20) /* pages handed back every 4 MiB of a mapped part */

struct vm_mind_reader {
	char *path;
	int fd;
	int own_fd;
	int flags;
	char *buf;            /* [cap]; one byte always kept free for a NUL */
	size_t cap;
	size_t max_line;
	size_t beg, end;      /* unread data is buf[beg, end) */
	size_t scan;          /* no '\n' in buf[beg, scan) */
	int eof;
	uint64_t remain;      /* bytes of the range still to read */
	uint64_t lineno;
	uint64_t skipped;
	char err[640];
	uint64_t err_line;
	size_t err_msg;       /* offset of the message text in err */
	char *kept[VM_MIND_KEPT_ERRORS];
	uint64_t kept_line[VM_MIND_KEPT_ERRORS];
	size_t kept_msg[VM_MIND_KEPT_ERRORS];
	size_t nkept;
	uint32_t *hist;
	size_t hist_cap;
	vm_candidate *imp;
	size_t imp_cap;
	/* VM_MIND_NO_LISTS on a part of a regular file: the part is mapped and
	 * good lines are checked in place, without copy (map_mode: 0 not tried
	 * yet, 1 mapped, -1 reading with read()) */
	int map_mode;
	uint64_t range_off, range_len;
	char *map;
	size_t map_len, map_pos, map_end;
	size_t map_released;  /* map[0, map_released) handed back (MADV_DONTNEED) */
	size_t page;
	int map_slot;         /* its slot in mapped[] (for SIGBUS), or -1 */
};

static const char *const news_columns[8] = {
	"id", "category", "subcategory", "title", "abstract", "url",
	"title entities", "abstract entities"
};

/* ---- errors ---- */

static void set_error(vm_mind_reader *r, uint64_t line, const char *fmt, ...) VM_PRINTF(3, 4);

static void set_error(vm_mind_reader *r, uint64_t line, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (line)
		n = snprintf(r->err, sizeof r->err, "%s:%llu: ", r->path, (unsigned long long)line);
	else
		n = snprintf(r->err, sizeof r->err, "%s: ", r->path);
	if (n < 0 || (size_t)n >= sizeof r->err)
		n = 0;
	r->err_line = line;
	r->err_msg = (size_t)n;
	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof r->err - n, fmt, ap);
	va_end(ap);
}

/* A field's text for a message: at most 40 bytes, other than printable
 * ASCII shown as \xHH, "..." when cut. */
static void quote(char *out, size_t outlen, const char *s, size_t len)
{
	size_t o = 0, i;
	for (i = 0; i < len && i < 40; i++) {
		unsigned char c = (unsigned char)s[i];
		if (o + 5 >= outlen)
			break;
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
			out[o++] = (char)c;
		} else {
			snprintf(out + o, outlen - o, "\\x%02x", c);
			o += 4;
		}
	}
	if (i < len && o + 4 < outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* In lenient mode: count the bad line, keep its message, go on. */
static void skip_line(vm_mind_reader *r)
{
	r->skipped++;
	if (r->nkept < VM_MIND_KEPT_ERRORS) {
		r->kept[r->nkept] = xstrdup(r->err);
		r->kept_line[r->nkept] = r->err_line;
		r->kept_msg[r->nkept] = r->err_msg;
		r->nkept++;
	}
}

/* ---- opening ---- */

/* A mapped file that another program truncates makes the next access to
 * its lost pages raise SIGBUS. The mappings are registered here so that the
 * handler can name the file and exit 2 ("input error") instead of the
 * process dying without a word; a SIGBUS elsewhere keeps its default. The
 * slots are claimed and released with atomics (readers may run on several
 * threads), and the handler only reads them and calls write() and _exit(). */
#define MAPPED_SLOTS 64
static struct {
	_Atomic(const char *) path;   /* NULL: free */
	_Atomic uintptr_t lo, hi;     /* [lo, hi) */
} mapped[MAPPED_SLOTS];
static pthread_once_t sigbus_once = PTHREAD_ONCE_INIT;

static void say(const char *s) { ssize_t n = write(2, s, strlen(s)); (void)n; }

static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	(void)ctx;
	for (int i = 0; i < MAPPED_SLOTS; i++) {
		const char *path = atomic_load(&mapped[i].path);
		if (path && a >= atomic_load(&mapped[i].lo) && a < atomic_load(&mapped[i].hi)) {
			say(vm_progname);
			say(": ");
			say(path);
			say(": the file got shorter while it was read (changed by another program?)\n");
			_exit(VM_EXIT_USAGE);
		}
	}
	signal(sig, SIG_DFL);   /* not ours: die as without the handler */
	raise(sig);
}

static void sigbus_install(void)
{
	struct sigaction sa, old;
	if (sigaction(SIGBUS, NULL, &old) != 0 || (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
		return;   /* the program has its own */
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}

/* the slot of a new mapping, or -1 when all are taken (then it goes
 * unnamed: the default SIGBUS) */
static int mapped_add(const char *path, const void *m, size_t len)
{
	pthread_once(&sigbus_once, sigbus_install);
	for (int i = 0; i < MAPPED_SLOTS; i++) {
		const char *none = NULL;
		if (atomic_compare_exchange_strong(&mapped[i].path, &none, path)) {
			atomic_store(&mapped[i].lo, (uintptr_t)m);
			atomic_store(&mapped[i].hi, (uintptr_t)m + len);
			return i;
		}
	}
	return -1;
}

static void mapped_remove(int slot)
{
	if (slot < 0)
		return;
	atomic_store(&mapped[slot].hi, 0);
	atomic_store(&mapped[slot].path, NULL);
}

static vm_mind_reader *reader_new(const char *path, int fd, int own, int flags, uint64_t length)
{
	vm_mind_reader *r = xcalloc(1, sizeof *r);
	r->path = xstrdup(path);
	r->fd = fd;
	r->own_fd = own;
	r->flags = flags;
	r->cap = INITIAL_BUFFER;
	r->buf = xmalloc(r->cap);
	r->max_line = VM_MIND_MAX_LINE_DEFAULT;
	r->remain = length;
	r->hist_cap = 256;
	r->hist = xmalloc(r->hist_cap * sizeof *r->hist);
	r->imp_cap = 64;
	r->imp = xmalloc(r->imp_cap * sizeof *r->imp);
	r->map_mode = -1;
	r->map_slot = -1;
	return r;
}

vm_mind_reader *vm_mind_open(const char *path, int flags)
{
	int fd;
	if (strcmp(path, "-") == 0)
		return reader_new(path, STDIN_FILENO, 0, flags, UINT64_MAX);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		vm_warn_errno("%s", path);
		return NULL;
	}
	return reader_new(path, fd, 1, flags, UINT64_MAX);
}

vm_mind_reader *vm_mind_open_range(const char *path, int flags, uint64_t offset, uint64_t length)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		vm_warn_errno("%s", path);
		return NULL;
	}
	if (offset && lseek(fd, (off_t)offset, SEEK_SET) < 0) {
		vm_warn_errno("%s: seek", path);
		close(fd);
		return NULL;
	}
	{
		vm_mind_reader *r = reader_new(path, fd, 1, flags, length);
		struct stat st;
		r->map_mode = -1;
		if ((flags & VM_MIND_NO_LISTS) && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    (uint64_t)st.st_size >= offset) {
			uint64_t len = (uint64_t)st.st_size - offset;
			if (length < len)
				len = length;
			if (len <= MAP_MAX) {
				r->map_mode = 0;
				r->range_off = offset;
				r->range_len = len;
			}
		}
		return r;
	}
}

void vm_mind_set_max_line(vm_mind_reader *r, size_t max_line)
{
	r->max_line = max_line ? max_line : 1;
}

void vm_mind_close(vm_mind_reader *r)
{
	if (!r)
		return;
	if (r->own_fd)
		close(r->fd);
	if (r->map) {
		mapped_remove(r->map_slot);
		munmap(r->map, r->map_len);
	}
	for (size_t i = 0; i < r->nkept; i++)
		free(r->kept[i]);
	free(r->buf);
	free(r->hist);
	free(r->imp);
	free(r->path);
	free(r);
}

const char *vm_mind_error(const vm_mind_reader *r) { return r->err; }
uint64_t vm_mind_lineno(const vm_mind_reader *r) { return r->lineno; }
uint64_t vm_mind_skipped(const vm_mind_reader *r) { return r->skipped; }
uint64_t vm_mind_error_lineno(const vm_mind_reader *r) { return r->err_line; }
const char *vm_mind_error_message(const vm_mind_reader *r) { return r->err + r->err_msg; }

size_t vm_mind_kept_errors(const vm_mind_reader *r, const char *const **msgs)
{
	if (msgs)
		*msgs = (const char *const *)r->kept;
	return r->nkept;
}

void vm_mind_kept_error_detail(const vm_mind_reader *r, size_t i, uint64_t *lineno, const char **message)
{
	*lineno = r->kept_line[i];
	*message = r->kept[i] + r->kept_msg[i];
}

/* ---- lines ---- */

enum { LINE_OK = 1, LINE_EOF = 0, LINE_IOERR = -1, LINE_LONG = -2 };

/* Read more data into the buffer: moves the unread part to the front and
 * grows the buffer when it is full of one line. 1 read something, 0 end,
 * -1 I/O error, -2 the current line is longer than max_line. */
static int fill(vm_mind_reader *r)
{
	ssize_t n;
	size_t want;
	if (r->beg > 0) {
		size_t keep = r->end - r->beg;
		if (keep)
			memmove(r->buf, r->buf + r->beg, keep);
		r->scan -= r->beg;
		r->end = keep;
		r->beg = 0;
	}
	if (r->end > r->max_line)   /* a line start, no '\n' and more than max_line bytes */
		return LINE_LONG;
	if (r->end + 1 >= r->cap) {
		size_t ncap = r->cap * 2;
		if (ncap > r->max_line + 2)
			ncap = r->max_line + 2;
		if (ncap <= r->cap)
			ncap = r->cap + 1;
		r->buf = xrealloc(r->buf, ncap);
		r->cap = ncap;
	}
	want = r->cap - 1 - r->end;
	if (r->remain < want)
		want = (size_t)r->remain;
	if (want == 0)
		return 0;
	do
		n = read(r->fd, r->buf + r->end, want);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return LINE_IOERR;
	if (n == 0)
		return 0;
	r->end += (size_t)n;
	if (r->remain != UINT64_MAX)
		r->remain -= (uint64_t)n;
	return 1;
}

/* Drop the rest of an over-long line (lenient mode). -1 on I/O error. */
static int discard_line(vm_mind_reader *r)
{
	for (;;) {
		char *q = memchr(r->buf + r->beg, '\n', r->end - r->beg);
		int rc;
		if (q) {
			r->beg = r->scan = (size_t)(q - r->buf) + 1;
			return 0;
		}
		r->beg = r->scan = r->end = 0;
		rc = fill(r);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return 0;
	}
}

/* After a bad line: 1 when the read stops there (strict mode), else 0 with
 * the line counted as skipped (VM_MIND_LENIENT). */
static int stop_at_bad_line(vm_mind_reader *r)
{
	if (!(r->flags & VM_MIND_LENIENT))
		return 1;
	skip_line(r);
	return 0;
}

/* Hand out s[0..n), a line already cut from its LF, without a CR at its
 * end: LINE_OK, or LINE_LONG with the error set. */
static inline int line_out(vm_mind_reader *r, char *s, size_t n, char **line, size_t *len)
{
	if (n && s[n - 1] == '\r')
		s[--n] = '\0';
	r->lineno++;
	if (n > r->max_line) {
		set_error(r, r->lineno, "line too long (more than %zu bytes)", r->max_line);
		return LINE_LONG;
	}
	*line = s;
	*len = n;
	return LINE_OK;
}

/* The next line without its end (LF or CRLF), NUL-terminated in the buffer. */
static int next_line(vm_mind_reader *r, char **line, size_t *len)
{
	for (;;) {
		char *q = memchr(r->buf + r->scan, '\n', r->end - r->scan), *s = r->buf + r->beg;
		int rc;
		if (!q)
			r->scan = r->end;
		if (q) {
			r->beg = r->scan = (size_t)(q - r->buf) + 1;
			*q = '\0';
			rc = line_out(r, s, (size_t)(q - s), line, len);
		} else if (!r->eof) {
			rc = fill(r);
			if (rc == LINE_IOERR)
				goto ioerr;
			if (rc != LINE_LONG) {
				r->eof = rc == 0;
				continue;
			}
			r->lineno++;
			set_error(r, r->lineno, "line too long (more than %zu bytes)", r->max_line);
			if ((r->flags & VM_MIND_LENIENT) && discard_line(r) < 0)
				goto ioerr;
		} else if (r->beg == r->end) {
			return LINE_EOF;
		} else {
			/* the last line has no line end */
			size_t n = r->end - r->beg;
			r->buf[r->end] = '\0';
			r->beg = r->scan = r->end;
			rc = line_out(r, s, n, line, len);
		}
		if (rc == LINE_OK || stop_at_bad_line(r))
			return rc;
	}
ioerr:
	set_error(r, 0, "read error: %s", strerror(errno));
	return LINE_IOERR;
}

/* ---- field parsers ---- */

/* Digits of an id: no sign, no leading zero (but "0"), fits 32 bits. */
static int parse_u32_digits(const char *s, size_t len, uint32_t *num)
{
	uint64_t v = 0;
	if (len == 0 || len > 10 || (s[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9)
			return -1;
		v = v * 10 + d;
	}
	if (v > UINT32_MAX)
		return -1;
	*num = (uint32_t)v;
	return 0;
}

int vm_parse_news_id(const char *s, size_t len, uint32_t *num)
{
	if (len < 2 || s[0] != 'N')
		return -1;
	return parse_u32_digits(s + 1, len - 1, num);
}

int vm_parse_user_id(const char *s, size_t len, uint32_t *num)
{
	if (len < 2 || s[0] != 'U')
		return -1;
	return parse_u32_digits(s + 1, len - 1, num);
}

static int parse_u64_digits(const char *s, size_t len, uint64_t *num)
{
	uint64_t v = 0;
	if (len == 0 || len > 20 || (s[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9)
			return -1;
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*num = v;
	return 0;
}

/* 1 or 2 digits (max_digits) into *v; advances *p. */
static int take_num(const char **p, const char *e, int min_digits, int max_digits, int *v)
{
	int n = 0, x = 0;
	while (*p < e && n < max_digits && (unsigned)(**p - '0') < 10) {
		x = x * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	if (n < min_digits)
		return -1;
	*v = x;
	return 0;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

int vm_parse_mind_time(const char *s, size_t len, int64_t *t)
{
	const char *p = s, *e = s + len;
	int mo, d, y, h, mi, se, pm;
	if (take_num(&p, e, 1, 2, &mo) || p >= e || *p++ != '/')
		return -1;
	if (take_num(&p, e, 1, 2, &d) || p >= e || *p++ != '/')
		return -1;
	if (take_num(&p, e, 4, 4, &y) || p >= e || *p++ != ' ')
		return -1;
	if (take_num(&p, e, 1, 2, &h) || p >= e || *p++ != ':')
		return -1;
	if (take_num(&p, e, 2, 2, &mi) || p >= e || *p++ != ':')
		return -1;
	if (take_num(&p, e, 2, 2, &se) || p >= e || *p++ != ' ')
		return -1;
	if (e - p != 2 || p[1] != 'M' || (p[0] != 'A' && p[0] != 'P'))
		return -1;
	pm = p[0] == 'P';
	if (mo < 1 || mo > 12 || y < 1000 || d < 1 || d > days_in_month(y, mo) ||
	    h < 1 || h > 12 || mi > 59 || se > 59)
		return -1;
	h = h % 12 + (pm ? 12 : 0);
	*t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

void vm_format_mind_time(int64_t t, char out[32])
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t secs = t - days * 86400;
	/* civil_from_days (Howard Hinnant) */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int d = (int)(doy - (153 * mp + 2) / 5 + 1);
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);
	int h = (int)(secs / 3600), mi = (int)(secs / 60 % 60), s = (int)(secs % 60);
	int h12 = h % 12 == 0 ? 12 : h % 12;
	y += m <= 2;
	char tmp[96];
	snprintf(tmp, sizeof tmp, "%d/%d/%lld %d:%02d:%02d %s", m, d, (long long)y, h12, mi, s,
	         h < 12 ? "AM" : "PM");
	size_t l = strlen(tmp);
	if (l > 31)
		l = 31;
	memcpy(out, tmp, l);
	out[l] = '\0';
}

/* Offset of the first byte that is not valid UTF-8 (or a NUL), or len. */
static size_t utf8_bad_at(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		if (c < 0x80) {
			if (c == 0)
				return i;
			/* fast path: 8 ASCII bytes at a time */
			while (i + 8 <= len) {
				uint64_t w;
				memcpy(&w, s + i, 8);
				if ((w & 0x8080808080808080ull) ||
				    ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull))
					break;
				i += 8;
			}
			if (i < len && s[i] < 0x80) {
				if (s[i] == 0)
					return i;
				i++;
			}
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			if (i + 1 >= len || (s[i + 1] & 0xc0) != 0x80)
				return i;
			i += 2;
		} else if (c >= 0xe0 && c <= 0xef) {
			unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
			if (i + 2 >= len || s[i + 1] < lo || s[i + 1] > hi || (s[i + 2] & 0xc0) != 0x80)
				return i;
			i += 3;
		} else if (c >= 0xf0 && c <= 0xf4) {
			unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
			if (i + 3 >= len || s[i + 1] < lo || s[i + 1] > hi ||
			    (s[i + 2] & 0xc0) != 0x80 || (s[i + 3] & 0xc0) != 0x80)
				return i;
			i += 4;
		} else {
			return i;
		}
	}
	return len;
}

int vm_utf8_valid(const char *s, size_t len)
{
	for (;;) {
		size_t at = utf8_bad_at(s, len);
		if (at == len)
			return 1;
		if (s[at] != '\0')   /* a NUL is valid UTF-8, only the readers refuse it */
			return 0;
		s += at + 1;
		len -= at + 1;
	}
}

/* ---- news.tsv ---- */

static int count_tabs(const char *s, size_t len)
{
	int n = 0;
	const char *e = s + len;
	while ((s = memchr(s, '\t', (size_t)(e - s))) != NULL) {
		n++;
		s++;
	}
	return n;
}

/* 0, or -1 with the error set (for line r->lineno). */
static int news_parse(vm_mind_reader *r, char *line, size_t len, vm_news *row)
{
	char *col[8];
	size_t clen[8];
	char *p = line, *e = line + len;
	char q[200];
	int tabs;

	if (len == 0) {
		set_error(r, r->lineno, "empty line");
		return -1;
	}
	tabs = count_tabs(line, len);
	if (tabs != 7) {
		set_error(r, r->lineno, "expected 8 tab-separated columns, found %d", tabs + 1);
		return -1;
	}
	for (int i = 0; i < 8; i++) {
		char *t = i < 7 ? memchr(p, '\t', (size_t)(e - p)) : e;
		col[i] = p;
		clen[i] = (size_t)(t - p);
		*t = '\0';
		p = t + 1;
	}
	if (vm_parse_news_id(col[0], clen[0], &row->num) < 0) {
		quote(q, sizeof q, col[0], clen[0]);
		set_error(r, r->lineno, "column 1: bad news id '%s'", q);
		return -1;
	}
	for (int i = 1; i < 8; i++) {
		size_t at;
		if (clen[i] == 0 && (i == 1 || i == 2)) {
			set_error(r, r->lineno, "column %d: empty %s", i + 1, news_columns[i]);
			return -1;
		}
		at = utf8_bad_at(col[i], clen[i]);
		if (at < clen[i]) {
			size_t byte = (size_t)(col[i] - line) + at + 1;
			if (col[i][at] == '\0')
				set_error(r, r->lineno, "column %d (%s): NUL byte at byte %zu",
				          i + 1, news_columns[i], byte);
			else
				set_error(r, r->lineno, "column %d (%s): invalid UTF-8 at byte %zu",
				          i + 1, news_columns[i], byte);
			return -1;
		}
	}
	row->id = col[0];
	row->category = col[1];
	row->subcategory = col[2];
	row->title = col[3];
	row->abstract = col[4];
	row->url = col[5];
	row->title_entities = col[6];
	row->abstract_entities = col[7];
	return 0;
}

/* The read() path of both readers: lines handed to parse (news_row or
 * behavior_row below) until one is good; a bad one is the error, or with
 * VM_MIND_LENIENT skipped. */
static int next_row(vm_mind_reader *r, int (*parse)(vm_mind_reader *, char *, size_t, void *), void *row)
{
	for (;;) {
		char *line;
		size_t len;
		int rc = next_line(r, &line, &len);
		if (rc == LINE_EOF)
			return VM_MIND_EOF;
		if (rc < 0)
			return VM_MIND_ERROR;
		if (parse(r, line, len, row) == 0)
			return VM_MIND_ROW;
		if (stop_at_bad_line(r))
			return VM_MIND_ERROR;
	}
}

static int news_row(vm_mind_reader *r, char *line, size_t len, void *row)
{
	return news_parse(r, line, len, row);
}

int vm_news_next(vm_mind_reader *r, vm_news *row)
{
	return next_row(r, news_row, row);
}

/* ---- behaviors.tsv ---- */

static inline void hist_push(vm_mind_reader *r, size_t n, uint32_t v)
{
	if (n == r->hist_cap) {
		r->hist_cap *= 2;
		r->hist = xrealloc(r->hist, r->hist_cap * sizeof *r->hist);
	}
	r->hist[n] = v;
}

static inline void imp_push(vm_mind_reader *r, size_t n, uint32_t v, int8_t label)
{
	if (n == r->imp_cap) {
		r->imp_cap *= 2;
		r->imp = xrealloc(r->imp, r->imp_cap * sizeof *r->imp);
	}
	r->imp[n].news = v;
	r->imp[n].label = label;
}

/* The token starting at s (up to a space or the field end e), for messages. */
static void token_error(vm_mind_reader *r, int column, const char *what, const char *s, const char *e)
{
	const char *t = s;
	char q[200];
	while (t < e && *t != ' ')
		t++;
	quote(q, sizeof q, s, (size_t)(t - s));
	set_error(r, r->lineno, "column %d: bad %s '%s'", column, what, q);
}

/* N<digits> at *pp; 0 with *pp past the digits, -1 when malformed. The
 * digit loop stops at any non-digit, including the NUL at the field end. */
static inline int take_news(const unsigned char **pp, uint32_t *num)
{
	const unsigned char *p = *pp, *d;
	uint64_t v = 0;
	size_t nd;
	if (*p != 'N')
		return -1;
	d = ++p;
	while ((unsigned)(*p - '0') < 10) {
		v = v * 10 + (unsigned)(*p - '0');
		p++;
	}
	nd = (size_t)(p - d);
	if (nd - 1 >= 10 || (d[0] == '0' && nd > 1) || v > UINT32_MAX)
		return -1;
	*num = (uint32_t)v;
	*pp = p;
	return 0;
}

/* The fast check of a history or impressions column for VM_MIND_NO_LISTS:
 * classifies 64 bytes at a time into bit masks (digits, 'N', ' ', '-', '0',
 * '1') and checks the token grammar with shifts and ands, like simdjson's
 * structural stage: N<digits> tokens, one space between them, no leading
 * zero, and for impressions an optional -0/-1 label on all or none. Runs of
 * 10 or more digits (that may not fit 32 bits) are left to the exact parser.
 * 1: the column is good, *count items, *labelled; 0: it is bad or may be,
 * and the exact parser must decide (and word the message). */
#if defined(__SSE2__) && defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

typedef struct cmasks {
	uint64_t d, n, s, m, z, o;
} cmasks;

static inline uint64_t movemask16(__m128i v, int shift)
{
	return (uint64_t)(uint32_t)_mm_movemask_epi8(v) << shift;
}

static inline void classify64(const unsigned char *p, cmasks *k)
{
	const __m128i lo = _mm_set1_epi8('0' - 1), hi = _mm_set1_epi8('9' + 1);
	const __m128i cn = _mm_set1_epi8('N'), cs = _mm_set1_epi8(' '), cm = _mm_set1_epi8('-');
	const __m128i cz = _mm_set1_epi8('0'), co = _mm_set1_epi8('1');
	memset(k, 0, sizeof *k);
	for (int j = 0; j < 4; j++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * j));
		__m128i dig = _mm_and_si128(_mm_cmpgt_epi8(v, lo), _mm_cmpgt_epi8(hi, v));
		k->d |= movemask16(dig, 16 * j);
		k->n |= movemask16(_mm_cmpeq_epi8(v, cn), 16 * j);
		k->s |= movemask16(_mm_cmpeq_epi8(v, cs), 16 * j);
		k->m |= movemask16(_mm_cmpeq_epi8(v, cm), 16 * j);
		k->z |= movemask16(_mm_cmpeq_epi8(v, cz), 16 * j);
		k->o |= movemask16(_mm_cmpeq_epi8(v, co), 16 * j);
	}
}

/* without the popcnt instruction of newer CPUs (not in the x86-64 baseline) */
static inline uint64_t popcount64(uint64_t x)
{
	if (!x)
		return 0;
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (x * 0x0101010101010101ull) >> 56;
}

/* The last, partial block: copied into zeros (masked load with AVX-512). */
#define TAIL_COPY(CLASSIFY, p, n, k) do { \
		unsigned char tmp_[64]; \
		memset(tmp_, 0, sizeof tmp_); \
		memcpy(tmp_, p, n); \
		CLASSIFY(tmp_, k); \
	} while (0)
#define FAST_LIST_BODY(CLASSIFY, TAIL) \
	uint64_t cD = 0, cN = 0, cS = 1, cM = 0, cR = 0, cL = 0, cLZ = 0, prevR = 0, prevA = 0, prevB = 0; \
	uint64_t bad = 0, nN = 0, nM = 0; \
	if (len == 0) { \
		*count = 0; \
		*labelled = 0; \
		return !imp; \
	} \
	if ((unsigned)(f[len - 1] - '0') > 9) \
		return 0; \
	for (size_t i = 0; i < len; i += 64) { \
		const unsigned char *p = f + i; \
		uint64_t valid = ~0ull, D, N, S, M, L, R, pN, pS, pM, pR, pL, pD, LZ, pLZ, A, B, C, T; \
		cmasks k; \
		if (len - i < 64) { \
			valid = (1ull << (len - i)) - 1; \
			TAIL(CLASSIFY, p, len - i, &k); \
		} else { \
			CLASSIFY(p, &k); \
		} \
		D = k.d & valid; \
		N = k.n & valid; \
		S = k.s & valid; \
		M = imp ? k.m & valid : 0; \
		pN = N << 1 | cN; \
		pS = S << 1 | cS; \
		pM = M << 1 | cM; \
		pD = D << 1 | cD; \
		L = pM & valid;            /* the byte after a '-': the label */ \
		R = D & ~L;                /* digits of ids */ \
		pR = R << 1 | cR; \
		pL = L << 1 | cL; \
		LZ = k.z & pN & valid;     /* a '0' right after 'N' */ \
		pLZ = LZ << 1 | cLZ; \
		bad |= valid & ~(D | N | S | M); \
		bad |= pN & valid & ~R;    /* after N: an id digit */ \
		bad |= N & ~pS;            /* N after a space or at the start */ \
		bad |= S & ~pD;            /* a space after a digit */ \
		bad |= pS & valid & ~N;    /* after a space: N */ \
		bad |= R & ~(pR | pN);     /* an id digit after a digit or N */ \
		bad |= M & ~pR;            /* '-' after an id digit */ \
		bad |= L & ~(k.z | k.o);   /* the label is 0 or 1 */ \
		bad |= pL & valid & ~S;    /* after a label: a space */ \
		bad |= pLZ & D;            /* no leading zero */ \
		/* runs of 10 digits: ends of runs of 2, 4, 8, then 8 + 2 */ \
		A = R & (R << 1 | prevR >> 63); \
		B = A & (A << 2 | prevA >> 62); \
		C = B & (B << 4 | prevB >> 60); \
		T = C & (A << 8 | prevA >> 56); \
		if (T) \
			return 0;          /* 10 digits or more: the exact parser decides */ \
		prevA = A; \
		prevB = B; \
		nN += popcount64(N); \
		nM += popcount64(M); \
		cD = D >> 63; \
		cN = N >> 63; \
		cS = S >> 63; \
		cM = M >> 63; \
		cR = R >> 63; \
		cL = L >> 63; \
		cLZ = LZ >> 63; \
		prevR = R; \
	} \
	if (bad || (nM && nM != nN)) \
		return 0; \
	*count = (size_t)nN; \
	*labelled = nM > 0; \
	return 1; \
	/* end of FAST_LIST_BODY */

static int fast_list_ok_sse2(const unsigned char *f, size_t len, int imp, size_t *count, int *labelled)
{
	FAST_LIST_BODY(classify64, TAIL_COPY)
}

/* The same with 32-byte AVX2 compares, chosen at run time when the CPU has
 * them. */
__attribute__((target("avx2"), always_inline))
static inline void classify64_avx2(const unsigned char *p, cmasks *k)
{
	const __m256i lo = _mm256_set1_epi8('0' - 1), hi = _mm256_set1_epi8('9' + 1);
	const __m256i cn = _mm256_set1_epi8('N'), cs = _mm256_set1_epi8(' '), cm = _mm256_set1_epi8('-');
	const __m256i cz = _mm256_set1_epi8('0'), co = _mm256_set1_epi8('1');
	memset(k, 0, sizeof *k);
	for (int j = 0; j < 2; j++) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32 * j));
		__m256i dig = _mm256_and_si256(_mm256_cmpgt_epi8(v, lo), _mm256_cmpgt_epi8(hi, v));
		int sh = 32 * j;
		k->d |= (uint64_t)(uint32_t)_mm256_movemask_epi8(dig) << sh;
		k->n |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, cn)) << sh;
		k->s |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, cs)) << sh;
		k->m |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, cm)) << sh;
		k->z |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, cz)) << sh;
		k->o |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, co)) << sh;
	}
}

__attribute__((target("avx2")))
static int fast_list_ok_avx2(const unsigned char *f, size_t len, int imp, size_t *count, int *labelled)
{
	FAST_LIST_BODY(classify64_avx2, TAIL_COPY)
}

/* And with AVX-512BW: one 64-byte compare per class, straight into a mask. */
__attribute__((target("avx512bw"), always_inline))
static inline void classify64_avx512(const unsigned char *p, cmasks *k)
{
	__m512i v = _mm512_loadu_si512((const void *)p);
	k->d = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('0')), _mm512_set1_epi8(10));
	k->n = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('N'));
	k->s = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(' '));
	k->m = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('-'));
	k->z = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('0'));
	k->o = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('1'));
}

/* A masked load reads only the bytes of the field (no fault past its end). */
__attribute__((target("avx512bw"), always_inline))
static inline void classify_tail_avx512(const unsigned char *p, size_t n, cmasks *k)
{
	__m512i v = _mm512_maskz_loadu_epi8((__mmask64)((1ull << n) - 1), (const void *)p);
	k->d = _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8('0')), _mm512_set1_epi8(10));
	k->n = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('N'));
	k->s = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(' '));
	k->m = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('-'));
	k->z = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('0'));
	k->o = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('1'));
}
#define TAIL_MASKED(CLASSIFY, p, n, k) classify_tail_avx512(p, n, k)

__attribute__((target("avx512bw")))
static int fast_list_ok_avx512(const unsigned char *f, size_t len, int imp, size_t *count, int *labelled)
{
	FAST_LIST_BODY(classify64_avx512, TAIL_MASKED)
}

/* The widest vector instructions the CPU has, found on first use. */
typedef enum simd_level {
	SIMD_UNKNOWN = -1,   /* not looked at yet */
	SIMD_SSE2,           /* the x86-64 baseline */
	SIMD_AVX2,
	SIMD_AVX512BW
} simd_level;
static simd_level simd = SIMD_UNKNOWN;   /* read and written atomically */

static simd_level simd_detect(void)
{
	simd_level level;
	__builtin_cpu_init();
	level = __builtin_cpu_supports("avx512bw") ? SIMD_AVX512BW
	      : __builtin_cpu_supports("avx2") ? SIMD_AVX2 : SIMD_SSE2;
	if (getenv("VMIND_NO_AVX")) {   /* tests: 1 no AVX-512, 2 neither AVX */
		simd_level cap = atoi(getenv("VMIND_NO_AVX")) >= 2 ? SIMD_SSE2 : SIMD_AVX2;
		if (level > cap)
			level = cap;
	}
	return level;
}

static int fast_list_ok(const unsigned char *f, size_t len, int imp, size_t *count, int *labelled)
{
	simd_level level = __atomic_load_n(&simd, __ATOMIC_RELAXED);
	if (level == SIMD_UNKNOWN) {
		level = simd_detect();
		__atomic_store_n(&simd, level, __ATOMIC_RELAXED);
	}
	if (level == SIMD_AVX512BW)
		return fast_list_ok_avx512(f, len, imp, count, labelled);
	return level == SIMD_AVX2 ? fast_list_ok_avx2(f, len, imp, count, labelled)
	                          : fast_list_ok_sse2(f, len, imp, count, labelled);
}
#else
static int fast_list_ok(const unsigned char *f, size_t len, int imp, size_t *count, int *labelled)
{
	(void)f; (void)len; (void)imp; (void)count; (void)labelled;
	return 0;
}
#endif

/* Cut a line into its 5 columns (NUL-terminating the first four); *col5
 * is set once the fifth is found. */
static int behavior_columns(vm_mind_reader *r, char *line, size_t len, char *col[5], size_t clen[5],
                            char **col5)
{
	char *p = line, *e = line + len;
	if (len == 0) {
		set_error(r, r->lineno, "empty line");
		return -1;
	}
	for (int i = 0; i < 4; i++) {
		char *t = memchr(p, '\t', (size_t)(e - p));
		if (!t) {
			set_error(r, r->lineno, "expected 5 tab-separated columns, found %d", i + 1);
			return -1;
		}
		col[i] = p;
		clen[i] = (size_t)(t - p);
		*t = '\0';
		p = t + 1;
	}
	col[4] = p;
	clen[4] = (size_t)(e - p);
	*col5 = p;
	return 0;
}

/* Columns 1-3: impression id, user id, time. */
static int behavior_head(vm_mind_reader *r, char *const col[5], const size_t clen[5], vm_behavior *row)
{
	char q[200];
	if (parse_u64_digits(col[0], clen[0], &row->impression_id) < 0) {
		quote(q, sizeof q, col[0], clen[0]);
		set_error(r, r->lineno, "column 1: bad impression id '%s'", q);
		return -1;
	}
	if (vm_parse_user_id(col[1], clen[1], &row->user_num) < 0) {
		quote(q, sizeof q, col[1], clen[1]);
		set_error(r, r->lineno, "column 2: bad user id '%s'", q);
		return -1;
	}
	if (vm_parse_mind_time(col[2], clen[2], &row->time) < 0) {
		quote(q, sizeof q, col[2], clen[2]);
		set_error(r, r->lineno, "column 3: bad time '%s' (want M/D/YYYY H:MM:SS AM|PM)", q);
		return -1;
	}
	row->user = col[1];
	row->time_text = col[2];
	return 0;
}

/* VM_MIND_NO_LISTS: history and impressions checked by the fast path
 * without decoding; 1 when both are good, 0 when the exact parsers must
 * decide. */
static inline int behavior_lists_fast(const char *hist, size_t hlen, const char *imp, size_t ilen,
                                      vm_behavior *row)
{
	size_t nh, ni;
	int labelled, l2;
	if (!fast_list_ok((const unsigned char *)hist, hlen, 0, &nh, &l2) ||
	    !fast_list_ok((const unsigned char *)imp, ilen, 1, &ni, &labelled))
		return 0;
	row->history = NULL;
	row->n_history = nh;
	row->impressions = NULL;
	row->n_impressions = ni;
	row->labelled = labelled;
	return 1;
}

/* Column 4: history, "N1 N2 ...", may be empty. */
static int behavior_history(vm_mind_reader *r, const char *col, size_t clen, vm_behavior *row)
{
	const unsigned char *s = (const unsigned char *)col, *fe = s + clen;
	size_t n = 0;
	while (s < fe) {
		uint32_t v;
		const unsigned char *tok = s;
		if (take_news(&s, &v) < 0 || (s < fe && *s != ' ')) {
			if (*tok == ' ' || tok == fe)
				goto stray;
			token_error(r, 4, "news id", (const char *)tok, (const char *)fe);
			return -1;
		}
		hist_push(r, n++, v);
		if (s == fe)
			break;
		s++;   /* the space */
		if (s == fe || *s == ' ')
			goto stray;
	}
	row->history = r->hist;
	row->n_history = n;
	return 0;
stray:
	set_error(r, r->lineno, "column 4: stray space in history");
	return -1;
}

/* Column 5: candidates "N1-0 N2-1" or bare "N1 N2", all labelled or none. */
static int behavior_impressions(vm_mind_reader *r, const char *col, size_t clen, vm_behavior *row)
{
	const unsigned char *s = (const unsigned char *)col, *fe = s + clen, *tok;
	size_t n = 0;
	int lab = -2;
	if (s == fe) {
		set_error(r, r->lineno, "column 5: no impressions");
		return -1;
	}
	for (;;) {
		uint32_t v;
		int8_t l = -1;
		tok = s;
		if (take_news(&s, &v) < 0)
			goto bad;
		if (*s == '-') {
			if ((s[1] != '0' && s[1] != '1') || s + 2 > fe)
				goto bad;
			l = (int8_t)(s[1] - '0');
			s += 2;
		}
		if (s < fe && *s != ' ')
			goto bad;
		if (lab == -2) {
			lab = l;
		} else if ((lab < 0) != (l < 0)) {
			set_error(r, r->lineno, "column 5: labelled and unlabelled impressions mixed");
			return -1;
		}
		imp_push(r, n++, v, l);
		if (s == fe)
			break;
		s++;
		if (s == fe || *s == ' ')
			goto stray;
	}
	row->impressions = r->imp;
	row->n_impressions = n;
	row->labelled = lab >= 0;
	return 0;
bad:
	if (*tok == ' ' || tok == fe)
		goto stray;
	token_error(r, 5, "impression", (const char *)tok, (const char *)fe);
	return -1;
stray:
	set_error(r, r->lineno, "column 5: stray space in impressions");
	return -1;
}

static int behavior_fields(vm_mind_reader *r, char *line, size_t len, vm_behavior *row, char **col5)
{
	char *col[5];
	size_t clen[5];
	if (behavior_columns(r, line, len, col, clen, col5) < 0 || behavior_head(r, col, clen, row) < 0)
		return -1;
	/* with VM_MIND_NO_LISTS, bad or maybe bad lists go to the exact parsers */
	if ((r->flags & VM_MIND_NO_LISTS) && behavior_lists_fast(col[3], clen[3], col[4], clen[4], row))
		return 0;
	if (behavior_history(r, col[3], clen[3], row) < 0)
		return -1;
	return behavior_impressions(r, col[4], clen[4], row);
}

/* A bad line is first checked for its column count, so that a line with
 * too many columns says so rather than what its misplaced fields look like. */
static int behavior_parse(vm_mind_reader *r, char *line, size_t len, vm_behavior *row)
{
	char *col5 = NULL;
	int tabs;
	if (behavior_fields(r, line, len, row, &col5) == 0)
		return 0;
	if (col5 && (tabs = count_tabs(col5, (size_t)(line + len - col5))) > 0)
		set_error(r, r->lineno, "expected 5 tab-separated columns, found %d", tabs + 5);
	return -1;
}

/* The fast path of a mapped line: no writes, no copy; 0 when good, -1 when
 * bad or maybe bad (then the exact parser looks at a copy). */
static int behavior_span(const char *s, size_t n, vm_behavior *row)
{
	const char *e = s + n, *t[4], *p = s;
	for (int i = 0; i < 4; i++) {
		t[i] = memchr(p, '\t', (size_t)(e - p));
		if (!t[i])
			return -1;
		p = t[i] + 1;
	}
	if (parse_u64_digits(s, (size_t)(t[0] - s), &row->impression_id) < 0 ||
	    vm_parse_user_id(t[0] + 1, (size_t)(t[1] - t[0] - 1), &row->user_num) < 0 ||
	    vm_parse_mind_time(t[1] + 1, (size_t)(t[2] - t[1] - 1), &row->time) < 0 ||
	    !behavior_lists_fast(t[2] + 1, (size_t)(t[3] - t[2] - 1), t[3] + 1, (size_t)(e - t[3] - 1), row))
		return -1;
	row->user = NULL;
	row->time_text = NULL;
	return 0;
}

/* Map the part of the file (once). 1 mapped, 0 use read(). */
static int map_part(vm_mind_reader *r)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t start, skip;
	void *m;
	r->map_mode = -1;
	if (page <= 0 || r->range_len == 0)
		return 0;
	start = r->range_off - r->range_off % (uint64_t)page;
	skip = r->range_off - start;
	m = mmap(NULL, (size_t)(skip + r->range_len), PROT_READ, MAP_PRIVATE, r->fd, (off_t)start);
	if (m == MAP_FAILED)
		return 0;
	madvise(m, (size_t)(skip + r->range_len), MADV_SEQUENTIAL);
	r->page = (size_t)page;
	r->map = m;
	r->map_len = (size_t)(skip + r->range_len);
	r->map_pos = (size_t)skip;
	r->map_end = r->map_len;
	r->map_mode = 1;
	r->map_slot = mapped_add(r->path, m, r->map_len);
	return 1;
}

static int behavior_next_mapped(vm_mind_reader *r, vm_behavior *row)
{
	for (;;) {
		const char *s, *q;
		size_t n;
		if (r->map_pos >= r->map_end)
			return VM_MIND_EOF;
		s = r->map + r->map_pos;
		q = memchr(s, '\n', r->map_end - r->map_pos);
		n = q ? (size_t)(q - s) : r->map_end - r->map_pos;
		r->map_pos += q ? n + 1 : n;
		if (r->map_pos - r->map_released >= MAP_RELEASE) {
			/* memory stays constant: the pages before the line at hand
			 * are handed back (nothing points into them any more) */
			size_t upto = (size_t)(s - r->map) / r->page * r->page;
			if (upto > r->map_released) {
				madvise(r->map + r->map_released, upto - r->map_released, MADV_DONTNEED);
				r->map_released = upto;
			}
		}
		if (n && s[n - 1] == '\r')
			n--;
		r->lineno++;
		if (n > r->max_line) {
			set_error(r, r->lineno, "line too long (more than %zu bytes)", r->max_line);
		} else {
			if (n && behavior_span(s, n, row) == 0)
				return VM_MIND_ROW;
			/* bad or maybe bad: the exact parser, on a copy it may write to */
			if (n + 1 > r->cap) {
				r->cap = n + 1;
				r->buf = xrealloc(r->buf, r->cap);
			}
			memcpy(r->buf, s, n);
			r->buf[n] = '\0';
			if (behavior_parse(r, r->buf, n, row) == 0)
				return VM_MIND_ROW;
		}
		if (stop_at_bad_line(r))
			return VM_MIND_ERROR;
	}
}

static int behavior_row(vm_mind_reader *r, char *line, size_t len, void *row)
{
	return behavior_parse(r, line, len, row);
}

int vm_behavior_next(vm_mind_reader *r, vm_behavior *row)
{
	if (r->map_mode == 0)
		map_part(r);
	if (r->map_mode == 1)
		return behavior_next_mapped(r, row);
	return next_row(r, behavior_row, row);
}
