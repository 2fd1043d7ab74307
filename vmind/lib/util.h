/* util.h: the small things every vmind tool needs: allocation that dies on
 * failure, the program name and diagnostics in one format, exit statuses,
 * files written under a temporary name and renamed into place, whole files
 * read, SHA-256, FNV-1a and splitmix64, a set of 64-bit keys, and a monotonic
 * clock. Nothing here knows about MIND. */
#ifndef VMIND_UTIL_H
#define VMIND_UTIL_H

/* Ownership, for the whole of vmind (jq states it once the same way):
 * - A function that returns a pointer to memory it allocated hands that
 *   memory to the caller: a string or plain array is released with free(),
 *   an object with the *_free or *_close function of its type. Such
 *   functions are named *_new, *_open, *_load, *_read*, *_dup, *_steal,
 *   x*dup or x*printf.
 * - A returned const pointer, and any pointer found inside an object (a
 *   row's fields, a tensor's data), is borrowed: it lives as long as the
 *   object it came from and until that object's next call that changes it.
 * - Pointers passed in are borrowed for the duration of the call; a struct
 *   that keeps one says so at its field.
 * - Memory failure never returns: x* allocators die (exit 2).
 * A function comment speaks of ownership only where it differs. */

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
/* Removes the temporary; nothing to do on a committed, aborted or zeroed af. */
void vm_atomic_abort(vm_atomic_file *af);
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

/* FNV-1a, 64 bits: vm_fnv1a64 hashes a buffer from the standard offset
 * basis; vm_fnv1a64_more goes on from a hash (or another seed) over more
 * bytes, so that a key made of pieces hashes without being copied. */
#define VM_FNV1A64_BASIS 0xcbf29ce484222325ULL
static inline uint64_t vm_fnv1a64_more(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}
static inline uint64_t vm_fnv1a64(const void *data, size_t len)
{
	return vm_fnv1a64_more(VM_FNV1A64_BASIS, data, len);
}

/* splitmix64: vm_mix64 is its output function (a good 64-bit mixer of its
 * own), vm_splitmix64 the generator: advances *state and returns the next
 * number. Reproducible across machines. */
static inline uint64_t vm_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}
static inline uint64_t vm_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A whole file in memory, NUL-terminated (the NUL is not counted in *len;
 * len may be NULL). NULL with errno on failure. */
char *vm_read_file(const char *path, size_t *len);
/* 1 when path names something that exists (any type), else 0. */
int vm_file_exists(const char *path);

/* Can path be written (its folder exists and takes a new file)? Tried for
 * real: "<path>.tmp.<pid>" is created and removed, so that a missing or
 * read-only folder is found before hours of work rather than after. 0, or
 * -1 with errno. */
int vm_probe_writable(const char *path);

/* Seconds from a monotonic clock. */
double vm_now(void);
/* 1 when stderr is a terminal and progress lines may be drawn. */
int vm_stderr_is_tty(void);

/* 1 when path names a regular file (symbolic links followed), else 0: an
 * input looked for by name, where a directory of that name does not count. */
int vm_regular_file_exists(const char *path);

/* Seconds since the Unix epoch (wall clock), for timestamps that are
 * recorded; intervals use vm_now. */
double vm_unix_now(void);

/* A map from nonzero 64-bit keys to 32-bit counts (open addressing, grows
 * by doubling), e.g. how often each key was met. Memory is proportional to
 * the number of distinct keys; a zeroed map ({0}) is empty and ready to use. */
typedef struct vm_u64count {
	uint64_t *keys;     /* [cap], 0 = empty */
	uint32_t *counts;   /* [cap] */
	size_t cap;         /* power of two; 0 before the first key */
	size_t count;       /* distinct keys stored */
} vm_u64count;
void vm_u64count_init(vm_u64count *m);
/* The count of key (key != 0), which starts at 0 when key is new; valid
 * until the next vm_u64count_at. */
uint32_t *vm_u64count_at(vm_u64count *m, uint64_t key);
/* The count of key, 0 when absent. */
uint32_t vm_u64count_get(const vm_u64count *m, uint64_t key);
void vm_u64count_free(vm_u64count *m);

#endif
