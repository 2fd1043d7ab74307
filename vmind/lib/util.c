/* util.c: allocation, diagnostics, atomic files, whole files, SHA-256 and the
 * 64-bit key set declared in util.h. */
#include "config.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>

const char *vm_progname = "vmind";

void vm_set_progname(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
	vm_progname = slash ? slash + 1 : (argv0 ? argv0 : "vmind");
	/* libtool-style wrappers name the binary lt-foo */
	if (strncmp(vm_progname, "lt-", 3) == 0)
		vm_progname += 3;
}

static void vwarn(int with_errno, const char *fmt, va_list ap)
{
	int e = errno;
	fprintf(stderr, "%s: ", vm_progname);
	vfprintf(stderr, fmt, ap);
	if (with_errno)
		fprintf(stderr, ": %s", strerror(e));
	fputc('\n', stderr);
}

void vm_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(0, fmt, ap);
	va_end(ap);
}

void vm_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(0, fmt, ap);
	va_end(ap);
	exit(VM_EXIT_USAGE);
}

void vm_warn_errno(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(1, fmt, ap);
	va_end(ap);
}

void vm_die_errno(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(1, fmt, ap);
	va_end(ap);
	exit(VM_EXIT_USAGE);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		vm_die("out of memory (%zu bytes)", n);
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		vm_die("out of memory (%zu x %zu bytes)", count, size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		vm_die("out of memory (%zu bytes)", n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		vm_die("out of memory");
	va_end(ap);
	return p;
}

int vm_atomic_open(vm_atomic_file *af, const char *path)
{
	int fd;
	memset(af, 0, sizeof *af);
	af->path = xstrdup(path);
	af->tmp_path = xasprintf("%s.tmp.%ld", path, (long)getpid());
	fd = open(af->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	af->fp = fdopen(fd, "w");
	if (!af->fp) {
		close(fd);
		unlink(af->tmp_path);
		goto fail;
	}
	return 0;
fail:
	free(af->path);
	free(af->tmp_path);
	memset(af, 0, sizeof *af);
	return -1;
}

int vm_atomic_commit(vm_atomic_file *af)
{
	int rc = 0, e = 0;
	if (fflush(af->fp) != 0 || ferror(af->fp) || fsync(fileno(af->fp)) != 0) {
		rc = -1;
		e = errno;
	}
	if (fclose(af->fp) != 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	if (rc == 0 && rename(af->tmp_path, af->path) != 0) {
		rc = -1;
		e = errno;
	}
	if (rc != 0)
		unlink(af->tmp_path);
	free(af->path);
	free(af->tmp_path);
	memset(af, 0, sizeof *af);
	errno = e;
	return rc;
}

void vm_atomic_abort(vm_atomic_file *af)
{
	if (!af->fp)
		return;
	fclose(af->fp);
	unlink(af->tmp_path);
	free(af->path);
	free(af->tmp_path);
	memset(af, 0, sizeof *af);
}

int vm_write_file_atomic(const char *path, const void *data, size_t len)
{
	vm_atomic_file af;
	if (vm_atomic_open(&af, path) != 0)
		return -1;
	if (len && fwrite(data, 1, len, af.fp) != len) {
		int e = errno;
		vm_atomic_abort(&af);
		errno = e;
		return -1;
	}
	return vm_atomic_commit(&af);
}

int vm_write_file_renamed(const char *path, const void *data, size_t len)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), e;
	const char *p = data;
	size_t left = len;
	if (fd < 0)
		goto fail;
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += n;
		left -= (size_t)n;
	}
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	free(tmp);
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	errno = e;
	return -1;
}

int vm_mkdir_p(const char *path)
{
	char *p = xstrdup(path), *s;
	int rc = 0;
	for (s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, 0755) != 0 && errno != EEXIST) {
				rc = -1;
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return rc;
}

char *vm_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	size_t cap, n = 0;
	char *buf;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	cap = sb.st_size > 0 ? (size_t)sb.st_size + 1 : 4096;
	buf = xmalloc(cap);
	for (;;) {
		ssize_t r;
		if (n + 1 >= cap)
			buf = xrealloc(buf, cap *= 2);
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

int vm_file_exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

void vm_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	static const char hex[] = "0123456789abcdef";
	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		vm_die("SHA-256 failed");
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

void vm_u64set_init(vm_u64set *s)
{
	s->cap = 1024;
	s->count = 0;
	s->slots = xcalloc(s->cap, sizeof *s->slots);
}

static void u64set_grow(vm_u64set *s)
{
	uint64_t *old = s->slots;
	size_t oldcap = s->cap;
	s->cap *= 2;
	s->slots = xcalloc(s->cap, sizeof *s->slots);
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i]) {
			size_t j = mix64(old[i]) & (s->cap - 1);
			while (s->slots[j])
				j = (j + 1) & (s->cap - 1);
			s->slots[j] = old[i];
		}
	}
	free(old);
}

int vm_u64set_add(vm_u64set *s, uint64_t key)
{
	size_t j;
	if ((s->count + 1) * 10 > s->cap * 7)
		u64set_grow(s);
	j = mix64(key) & (s->cap - 1);
	while (s->slots[j]) {
		if (s->slots[j] == key)
			return 0;
		j = (j + 1) & (s->cap - 1);
	}
	s->slots[j] = key;
	s->count++;
	return 1;
}

int vm_u64set_has(const vm_u64set *s, uint64_t key)
{
	size_t j = mix64(key) & (s->cap - 1);
	while (s->slots[j]) {
		if (s->slots[j] == key)
			return 1;
		j = (j + 1) & (s->cap - 1);
	}
	return 0;
}

void vm_u64set_free(vm_u64set *s)
{
	free(s->slots);
	memset(s, 0, sizeof *s);
}

double vm_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int vm_probe_writable(const char *path)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644), e;
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	e = errno;
	free(tmp);
	if (fd < 0) {
		errno = e;
		return -1;
	}
	struct stat sb;
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	return 0;
}

int vm_stderr_is_tty(void)
{
	return isatty(STDERR_FILENO);
}

int vm_regular_file_exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

double vm_unix_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void vm_u64count_init(vm_u64count *m)
{
	m->cap = 1024;
	m->count = 0;
	m->keys = xcalloc(m->cap, sizeof *m->keys);
	m->counts = xcalloc(m->cap, sizeof *m->counts);
}

/* The slot of key, or the empty slot where it would go. */
static size_t u64count_find(const vm_u64count *m, uint64_t key)
{
	size_t j = mix64(key) & (m->cap - 1);
	while (m->keys[j] && m->keys[j] != key)
		j = (j + 1) & (m->cap - 1);
	return j;
}

static void u64count_grow(vm_u64count *m)
{
	uint64_t *keys = m->keys;
	uint32_t *counts = m->counts;
	size_t oldcap = m->cap;
	m->cap *= 2;
	m->keys = xcalloc(m->cap, sizeof *m->keys);
	m->counts = xcalloc(m->cap, sizeof *m->counts);
	for (size_t i = 0; i < oldcap; i++) {
		if (keys[i]) {
			size_t j = u64count_find(m, keys[i]);
			m->keys[j] = keys[i];
			m->counts[j] = counts[i];
		}
	}
	free(keys);
	free(counts);
}

uint32_t *vm_u64count_at(vm_u64count *m, uint64_t key)
{
	size_t j;
	if (!m->cap)
		vm_u64count_init(m);
	else if ((m->count + 1) * 10 > m->cap * 7)
		u64count_grow(m);
	j = u64count_find(m, key);
	if (!m->keys[j]) {
		m->keys[j] = key;
		m->count++;
	}
	return &m->counts[j];
}

uint32_t vm_u64count_get(const vm_u64count *m, uint64_t key)
{
	size_t j;
	if (!m->cap)
		return 0;
	j = u64count_find(m, key);
	return m->keys[j] ? m->counts[j] : 0;
}

void vm_u64count_free(vm_u64count *m)
{
	free(m->keys);
	free(m->counts);
	memset(m, 0, sizeof *m);
}
