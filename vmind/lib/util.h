/* util.h: the small things every vmind tool needs: allocation that dies on
 * failure, the program name and diagnostics in one format, exit statuses,
 * files written under a temporary name and renamed into place, SHA-256, a set
 * of 64-bit keys, and a monotonic clock. Nothing here knows about MIND. */
#ifndef VMIND_UTIL_H
#define VMIND_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdarg.h>

/* Exit statuses shared by every tool. */
enum {
	VM_EXIT_OK = 0,      /* all items done */
	VM_EXIT_ITEMS = 1,   /* some items failed; the rest were done */
	VM_EXIT_USAGE = 2    /* usage, set-up or input error; nothing was done */
};

#if defined(__GNUC__)
#define VM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define VM_NORETURN __attribute__((noreturn))
#else
#define VM_PRINTF(a, b)
#define VM_NORETURN
#endif

/* The name diagnostics start with; set once from main's argv[0]. */
extern const char *vm_progname;
void vm_set_progname(const char *argv0);

/* "prog: message\n" on stderr. vm_die exits with VM_EXIT_USAGE. */
void vm_warn(const char *fmt, ...) VM_PRINTF(1, 2);
void vm_die(const char *fmt, ...) VM_PRINTF(1, 2) VM_NORETURN;
/* like vm_warn/vm_die, with ": strerror(errno)" appended */
void vm_warn_errno(const char *fmt, ...) VM_PRINTF(1, 2);
void vm_die_errno(const char *fmt, ...) VM_PRINTF(1, 2) VM_NORETURN;

/* Allocation that never returns NULL: out of memory is fatal (exit 2). */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) VM_PRINTF(1, 2);

/* A file written atomically: data goes to "<path>.tmp.<pid>" in the same
 * directory, is flushed and fsync'ed, then renamed over <path>. A process
 * killed before vm_atomic_commit leaves <path> as it was. */
typedef struct vm_atomic_file {
	FILE *fp;        /* write here */
	char *path;      /* final name */
	char *tmp_path;  /* temporary name */
} vm_atomic_file;
int vm_atomic_open(vm_atomic_file *af, const char *path);   /* 0 or -1 (errno) */
int vm_atomic_commit(vm_atomic_file *af);                    /* 0 or -1; always releases */
void vm_atomic_abort(vm_atomic_file *af);                    /* removes the temporary */
/* Write a whole buffer atomically. 0 or -1 (errno). */
int vm_write_file_atomic(const char *path, const void *data, size_t len);
/* The same without the fsync, for batch tools that write many files and
 * make a whole batch durable with one syncfs() before they commit the rows
 * that name the files: a killed process still never leaves a partial file
 * under <path>. 0 or -1 (errno). */
int vm_write_file_renamed(const char *path, const void *data, size_t len);
/* mkdir -p; 0 or -1 (errno) */
int vm_mkdir_p(const char *path);

/* SHA-256 of a buffer as 64 lower-case hex digits plus NUL. */
void vm_sha256_hex(const void *data, size_t len, char out[65]);

/* A set of nonzero 64-bit keys (open addressing, grows by doubling).
 * Memory is proportional to the number of distinct keys. */
typedef struct vm_u64set {
	uint64_t *slots;  /* [cap], 0 = empty */
	size_t cap;       /* power of two */
	size_t count;     /* distinct keys stored */
} vm_u64set;
void vm_u64set_init(vm_u64set *s);
int vm_u64set_add(vm_u64set *s, uint64_t key);   /* 1 if new, 0 if present; key != 0 */
int vm_u64set_has(const vm_u64set *s, uint64_t key);
void vm_u64set_free(vm_u64set *s);

/* Seconds from a monotonic clock. */
double vm_now(void);
/* 1 when stderr is a terminal and progress lines may be drawn. */
int vm_stderr_is_tty(void);

#endif
