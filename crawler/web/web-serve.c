/* web-serve.c: `vmind-web serve`, the HTTP side of the simulated web. Loads
 * WEBDIR/routes.tsv into a hash table keyed by (virtual host, raw path+query)
 * and answers with libmicrohttpd, one thread per connection (so that a
 * delayed or dripping reply holds up only its own connection), keep-alive on.
 * Each route may carry a fault (delay, drip, reset, truncate, badlength,
 * retry-after, huge, redirect-loop; semantics in man/vmind-web.1). Every
 * request is logged as one TSV line, flushed at once, so tests can read the
 * log while the server runs. SIGTERM or SIGINT stops it cleanly. With
 * --background the command returns once the server answers, which goes on
 * in a child process. */
#include "config.h"
#include "web.h"
#include "web-archive.h"
#include "vmind/lib/util.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct route {
	char *host;        /* lower case */
	char *path;        /* path+query as requested */
	int status;
	char *ctype;       /* "" = none */
	char *body;        /* relative to WEBDIR/files, "" = none */
	char *headers;     /* "Name: value\nName: value" with literal \n */
	web_fault fault;
	/* retry-after state */
	pthread_mutex_t mu;
	long long n_err;   /* error replies sent so far */
	double last_err;   /* vm_now() of the last one */
} route;

/* The server: its routes, files and log, shared by the connection threads
 * (MHD's closure argument). */
typedef struct server {
	route **slots;     /* open addressing, [cap] */
	size_t cap, count;
	int files_fd;      /* WEBDIR/files */
	FILE *log;
	pthread_mutex_t log_mu;
	volatile sig_atomic_t stop;   /* raised once the server stops */
	int pid_written;   /* this process wrote --pid-file */
	int ready_fd;      /* --background: the pipe to the parent waiting for us, or -1 */
	const web_serve_opts *o;
	web_archive *archive;
} server;

/* per request: the raw URI as received, captured by the URI log callback */
typedef struct req {
	char *uri;
	int seen;
} req;

static uint64_t route_key(const char *host, const char *path)
{
	uint64_t h = vm_fnv1a64(host, strlen(host));
	return vm_mix64(h) ^ vm_fnv1a64(path, strlen(path));
}

static void route_free(route *r)
{
	if (!r)
		return;
	free(r->host);
	free(r->path);
	free(r->ctype);
	free(r->body);
	free(r->headers);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

static void table_put(server *S, route *r)
{
	if ((S->count + 1) * 2 > S->cap) {
		size_t ncap = S->cap ? S->cap * 2 : 1024;
		route **ns = xcalloc(ncap, sizeof *ns);
		for (size_t i = 0; i < S->cap; i++) {
			route *x = S->slots[i];
			if (!x)
				continue;
			size_t j = route_key(x->host, x->path) & (ncap - 1);
			while (ns[j])
				j = (j + 1) & (ncap - 1);
			ns[j] = x;
		}
		free(S->slots);
		S->slots = ns;
		S->cap = ncap;
	}
	size_t j = route_key(r->host, r->path) & (S->cap - 1);
	while (S->slots[j]) {
		if (!strcmp(S->slots[j]->host, r->host) && !strcmp(S->slots[j]->path, r->path)) {
			route_free(S->slots[j]);   /* a later row wins */
			S->slots[j] = r;
			return;
		}
		j = (j + 1) & (S->cap - 1);
	}
	S->slots[j] = r;
	S->count++;
}

static route *table_get(const server *S, const char *host, const char *path)
{
	if (!S->cap)
		return NULL;
	size_t j = route_key(host, path) & (S->cap - 1);
	while (S->slots[j]) {
		if (!strcmp(S->slots[j]->host, host) && !strcmp(S->slots[j]->path, path))
			return S->slots[j];
		j = (j + 1) & (S->cap - 1);
	}
	return NULL;
}

static void table_free(server *S)
{
	for (size_t i = 0; i < S->cap; i++)
		route_free(S->slots[i]);
	free(S->slots);
	S->slots = NULL;
	S->cap = S->count = 0;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Read routes.tsv; 0 or -1 after a FILE:LINE message. */
static int load_routes(server *S, const char *root)
{
	char *path = xasprintf("%s/routes.tsv", root);
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	long lineno = 0;
	int rc = -1;
	route *r = NULL;
	if (!fp) {
		vm_warn_errno("%s", path);
		goto out;
	}
	while (getline(&line, &cap, fp) > 0) {
		char *f[8];
		int n;
		lineno++;
		n = web_split_tabs(line, f, 8);
		if (lineno == 1) {
			if (strcmp(f[0], "host") != 0) {
				vm_warn("%s:1: header line 'host<TAB>path<TAB>status...' expected", path);
				goto out;
			}
			continue;
		}
		if (n == 1 && f[0][0] == '\0')
			continue;
		if (n < 3 || n > 7) {
			vm_warn("%s:%ld: %d columns, 3 to 7 expected", path, lineno, n);
			goto out;
		}
		char *end;
		r = xcalloc(1, sizeof *r);
		pthread_mutex_init(&r->mu, NULL);
		r->host = xstrdup(f[0]);
		lower(r->host);
		r->path = xstrdup(f[1]);
		r->status = (int)strtol(f[2], &end, 10);
		if (*end || r->status < 100 || r->status > 599) {
			vm_warn("%s:%ld: bad status '%s'", path, lineno, f[2]);
			goto out;
		}
		r->ctype = xstrdup(n > 3 ? f[3] : "");
		r->body = xstrdup(n > 4 ? f[4] : "");
		if (n > 5 && web_fault_parse(f[5], &r->fault) < 0) {
			vm_warn("%s:%ld: bad fault '%s'", path, lineno, f[5]);
			goto out;
		}
		r->headers = xstrdup(n > 6 ? f[6] : "");
		table_put(S, r);
		r = NULL;
	}
	if (ferror(fp)) {
		vm_warn_errno("%s", path);
		goto out;
	}
	rc = 0;
out:
	route_free(r);
	if (fp)
		fclose(fp);
	free(line);
	free(path);
	return rc;
}

/* a header value for the log: tabs and line ends become spaces, cut at 511 bytes */
static void log_clean(char *out, size_t len, const char *v)
{
	size_t i;
	for (i = 0; v[i] && i + 1 < len; i++)
		out[i] = (v[i] == '\t' || v[i] == '\n' || v[i] == '\r') ? ' ' : v[i];
	out[i] = '\0';
}

static void log_request(server *S, const char *method, const char *host, const char *uri,
			const char *ua, const char *extra, int status)
{
	struct timespec ts;
	char clean_ua[512], clean_extra[512];
	if (!S->log)
		return;
	log_clean(clean_ua, sizeof clean_ua, ua);
	log_clean(clean_extra, sizeof clean_extra, extra ? extra : "");
	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&S->log_mu);
	fprintf(S->log, "%lld.%03ld\t%s\t%s\t%s\t%s\t%d%s%s\n", (long long)ts.tv_sec,
		ts.tv_nsec / 1000000, method, host, uri, clean_ua, status,
		S->o->log_header ? "\t" : "", S->o->log_header ? clean_extra : "");
	fflush(S->log);
	pthread_mutex_unlock(&S->log_mu);
}

void web_nap_ms(const volatile sig_atomic_t *stop, long long ms)
{
	while (ms > 0 && !*stop) {
		long long step = ms < 50 ? ms : 50;
		struct timespec ts = { (time_t)(step / 1000), (long)(step % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/* ---- bodies produced by a callback: drip, truncate, badlength, huge ---- */
typedef struct stream {
	const volatile sig_atomic_t *stop;   /* the server's */
	int fd;            /* -1 = no file */
	uint64_t size;     /* file size */
	web_fault f;
} stream;

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	stream *st = cls;
	uint64_t limit = st->size;   /* bytes of the file we may send */
	size_t n;
	if (*st->stop)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	switch (st->f.kind) {
	case WF_TRUNCATE:
		if ((uint64_t)st->f.a < limit)
			limit = (uint64_t)st->f.a;
		if (pos >= limit)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		break;
	case WF_BADLENGTH:
		if (pos >= limit)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		break;
	case WF_HUGE:
		if (pos >= (uint64_t)st->f.a)
			return MHD_CONTENT_READER_END_OF_STREAM;
		n = max;
		if ((uint64_t)st->f.a - pos < n)
			n = (size_t)((uint64_t)st->f.a - pos);
		if (pos < st->size) {
			if (st->size - pos < n)
				n = (size_t)(st->size - pos);
			ssize_t got = pread(st->fd, buf, n, (off_t)pos);
			return got > 0 ? got : MHD_CONTENT_READER_END_WITH_ERROR;
		}
		memset(buf, 0, n);
		return (ssize_t)n;
	case WF_DRIP: {
		size_t chunk = (size_t)(st->f.a / 20);
		if (chunk < 1)
			chunk = 1;
		if (max > chunk)
			max = chunk;
		if (pos >= limit)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (pos > 0)
			web_nap_ms(st->stop, (long long)max * 1000 / st->f.a);
		if (*st->stop)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		break;
	}
	default:
		break;
	}
	if (pos >= limit)
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = max;
	if (limit - pos < n)
		n = (size_t)(limit - pos);
	ssize_t got = pread(st->fd, buf, n, (off_t)pos);
	return got > 0 ? got : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
	stream *st = cls;
	if (st->fd >= 0)
		close(st->fd);
	free(st);
}

void web_add_headers(struct MHD_Response *resp, const char *headers)
{
	const char *p = headers;
	while (p && *p) {
		const char *e = strstr(p, "\\n");
		size_t len = e ? (size_t)(e - p) : strlen(p);
		char *h = xstrndup(p, len);
		char *colon = strchr(h, ':');
		if (colon) {
			char *v = colon + 1;
			*colon = '\0';
			while (*v == ' ')
				v++;
			MHD_add_response_header(resp, h, v);
		}
		free(h);
		p = e ? e + 2 : NULL;
	}
}

static enum MHD_Result queue_text(struct MHD_Connection *c, int status, const char *text,
				  const char *ctype)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
								    MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;
	if (!resp)
		return MHD_NO;
	if (ctype)
		MHD_add_response_header(resp, "Content-Type", ctype);
	ret = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A retry-after route answers 429 or 503 with Retry-After until its
 * error count is spent (and again while the last error is recent); 1 when
 * it did (status in *sent). */
static int retry_after_reply(struct MHD_Connection *c, route *r, enum MHD_Result *ret, int *sent)
{
	const web_fault *f = &r->fault;
	double now = vm_now();
	int err;
	pthread_mutex_lock(&r->mu);
	err = f->b == 0 || r->n_err < f->b || (r->n_err > 0 && now - r->last_err < (double)f->a);
	if (err) {
		r->n_err++;
		r->last_err = now;
	}
	pthread_mutex_unlock(&r->mu);
	if (!err)
		return 0;
	char secs[32];
	const char *text = r->status == 503 ? "Service Unavailable\n" : "Too Many Requests\n";
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
								    MHD_RESPMEM_PERSISTENT);
	snprintf(secs, sizeof secs, "%lld", f->a);
	MHD_add_response_header(resp, "Retry-After", secs);
	MHD_add_response_header(resp, "Content-Type", "text/plain");
	*ret = MHD_queue_response(c, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	*sent = r->status;
	return 1;
}

/* The response carrying a route's body file (fd, size bytes; fd -1 for
 * none), streamed by stream_read for the faults that shape the body. */
static struct MHD_Response *body_response(server *S, const route *r, int fd, uint64_t size)
{
	const web_fault *f = &r->fault;
	if (f->kind == WF_DRIP || f->kind == WF_TRUNCATE || f->kind == WF_BADLENGTH || f->kind == WF_HUGE) {
		stream *st = xcalloc(1, sizeof *st);
		uint64_t declared = size;
		st->stop = &S->stop;
		st->fd = fd;
		st->size = size;
		st->f = *f;
		if (f->kind == WF_BADLENGTH)
			declared = (uint64_t)f->a;
		else if (f->kind == WF_HUGE)
			declared = f->b ? MHD_SIZE_UNKNOWN : (uint64_t)f->a;
		return MHD_create_response_from_callback(declared, 64 * 1024, stream_read, st, stream_free);
	}
	if (fd >= 0 && size > 0)
		return MHD_create_response_from_fd(size, fd);
	if (fd >= 0)
		close(fd);
	return MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
}

/* The reply of a route; returns the status sent (0 = connection reset). */
static int answer_route(server *S, struct MHD_Connection *c, route *r, const char *uri, enum MHD_Result *ret)
{
	struct MHD_Response *resp = NULL;
	int status = r->status, fd = -1;
	uint64_t size = 0;

	switch (r->fault.kind) {
	case WF_RESET:
		*ret = MHD_NO;
		return 0;
	case WF_DELAY:
		web_nap_ms(&S->stop, r->fault.a);
		break;
	case WF_REDIRECT_LOOP:
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(resp, "Location", uri);
		*ret = MHD_queue_response(c, 302, resp);
		MHD_destroy_response(resp);
		return 302;
	case WF_RETRY_AFTER:
		if (retry_after_reply(c, r, ret, &status))
			return status;
		status = 200;
		break;
	default:
		break;
	}
	if (r->body[0]) {
		struct stat sb;
		fd = openat(S->files_fd, r->body, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &sb) < 0) {
			if (!S->o->quiet)
				vm_warn("files/%s: %s", r->body, strerror(errno));
			if (fd >= 0)
				close(fd);
			*ret = queue_text(c, 500, "Internal Server Error\n", "text/plain");
			return 500;
		}
		size = (uint64_t)sb.st_size;
	}
	if (!(resp = body_response(S, r, fd, size))) {
		*ret = MHD_NO;
		return 0;
	}
	if (r->ctype[0])
		MHD_add_response_header(resp, "Content-Type", r->ctype);
	web_add_headers(resp, r->headers);
	*ret = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return status;
}

static void *uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
	req *q = xcalloc(1, sizeof *q);
	q->uri = xstrdup(uri);
	return q;
}

static void completed_cb(void *cls, struct MHD_Connection *c, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	req *q = *req_cls;
	if (q) {
		free(q->uri);
		free(q);
		*req_cls = NULL;
	}
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_data_size, void **req_cls)
{
	server *S = cls;
	req *q = *req_cls;
	const char *h, *ua;
	char host[256];
	size_t i = 0;
	enum MHD_Result ret = MHD_YES;
	int status;
	route *r;

	if (!q)  /* no URI callback ran: should not happen */
		return MHD_NO;
	if (!q->seen) {
		q->seen = 1;
		return MHD_YES;
	}
	if (*upload_data_size) {  /* a request body is read and ignored */
		*upload_data_size = 0;
		return MHD_YES;
	}
	h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
	if (!h)
		h = "";
	if (!ua)
		ua = "";
	if (h[0] == '[') {  /* [v6]:port */
		for (i = 0; h[i] && h[i] != ']' && i + 2 < sizeof host; i++)
			host[i] = h[i];
		if (h[i] == ']')
			host[i++] = ']';
	} else {
		for (i = 0; h[i] && h[i] != ':' && i + 1 < sizeof host; i++)
			host[i] = (char)tolower((unsigned char)h[i]);
	}
	host[i] = '\0';

	r = table_get(S, host, q->uri);
	if (r) {
		status = answer_route(S, c, r, q->uri, &ret);
	} else if ((status = web_archive_answer(S->archive, c, host, q->uri, &ret)) > 0) {
		/* answered by the archive or search endpoint */
	} else {
		ret = queue_text(c, 404, "Not Found\n", "text/plain");
		status = 404;
	}
	log_request(S, method, host, q->uri, ua,
		    S->o->log_header ? MHD_lookup_connection_value(c, MHD_HEADER_KIND, S->o->log_header) : NULL, status);
	return ret;
}

/* "A.B.C.D:PORT" -> sa; -1 after a message */
static int parse_listen(const char *opt, const char *text, struct sockaddr_in *sa)
{
	const char *colon = strrchr(text, ':');
	char *addr, *end;
	long port;
	int ok;
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	if (!colon || (port = strtol(colon + 1, &end, 10)) < 0 || port > 65535 || *end || end == colon + 1) {
		vm_warn("--%s: '%s' is not ADDRESS:PORT", opt, text);
		return -1;
	}
	addr = xstrndup(text, (size_t)(colon - text));
	ok = inet_pton(AF_INET, addr, &sa->sin_addr) == 1;
	free(addr);
	if (!ok) {
		vm_warn("--%s: '%s' is not an IPv4 address and port", opt, text);
		return -1;
	}
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

/* A PEM file for the TLS listener; NULL after a message. */
static char *read_pem(const char *path)
{
	char *text = vm_read_file(path, NULL);
	if (!text)
		vm_warn_errno("%s", path);
	return text;
}

/* A daemon on sa, with TLS when cert (and key) are given. */
static struct MHD_Daemon *start(server *S, struct sockaddr_in *sa, const char *cert, const char *key)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)key },
		{ MHD_OPTION_END, 0, NULL }
	};
	if (cert)
		flags |= MHD_USE_TLS;
	else
		tls[0].option = MHD_OPTION_END;
	return MHD_start_daemon(flags, 0, NULL, NULL, handler, S,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)sa,
				MHD_OPTION_ARRAY, tls,
				MHD_OPTION_URI_LOG_CALLBACK, uri_cb, NULL,
				MHD_OPTION_NOTIFY_COMPLETED, completed_cb, NULL,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)4000,
				MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
				MHD_OPTION_THREAD_STACK_SIZE, (size_t)(512 * 1024),
				MHD_OPTION_END);
}

static unsigned bound_port(struct MHD_Daemon *d, const struct sockaddr_in *sa)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	return di ? di->port : ntohs(sa->sin_port);
}

static int write_small(const char *path, const char *text)
{
	if (vm_write_file_atomic(path, text, strlen(text)) < 0) {
		vm_warn_errno("%s", path);
		return -1;
	}
	return 0;
}

/* The listeners: HTTP, and HTTPS with --tls-listen. */
typedef struct listeners {
	struct sockaddr_in sa, sat;
	char *cert, *key;        /* PEM text of --tls-cert and --tls-key */
	struct MHD_Daemon *d, *dt;
} listeners;

/* What the options name: addresses, TLS files, routes, the archive and
 * search stores, WEBDIR/files and the log. 0, or -1 after a message. */
static int load(server *S, listeners *L)
{
	const web_serve_opts *o = S->o;
	char *dir;
	if (parse_listen("listen", o->listen, &L->sa) < 0)
		return -1;
	if (o->tls_listen) {
		if (parse_listen("tls-listen", o->tls_listen, &L->sat) < 0)
			return -1;
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			vm_warn("--tls-listen: this libmicrohttpd has no TLS");
			return -1;
		}
		if (!(L->cert = read_pem(o->tls_cert)) || !(L->key = read_pem(o->tls_key)))
			return -1;
	}
	if (load_routes(S, o->root) < 0 || !(S->archive = web_archive_load(o, &S->stop)))
		return -1;
	dir = xasprintf("%s/files", o->root);
	S->files_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (S->files_fd < 0 && errno != ENOENT) {
		vm_warn_errno("%s", dir);
		free(dir);
		return -1;
	}
	free(dir);
	if (o->log && !(S->log = fopen(o->log, "a"))) {
		vm_warn_errno("%s", o->log);
		return -1;
	}
	return 0;
}

/* Start the daemons; 0, or -1 after a message. */
static int listen_all(server *S, listeners *L)
{
	L->d = start(S, &L->sa, NULL, NULL);
	if (!L->d) {
		vm_warn("cannot listen on %s", S->o->listen);
		return -1;
	}
	if (S->o->tls_listen && !(L->dt = start(S, &L->sat, L->cert, L->key))) {
		vm_warn("cannot listen on %s with TLS (check --tls-cert and --tls-key)", S->o->tls_listen);
		return -1;
	}
	return 0;
}

/* Write --pid-file, --port-file and --tls-port-file, and say where the
 * server listens; 0, or -1 after a message. */
static int announce(server *S, const listeners *L)
{
	const web_serve_opts *o = S->o;
	char text[64];
	if (o->pid_file) {
		snprintf(text, sizeof text, "%ld\n", (long)getpid());
		if (write_small(o->pid_file, text) < 0)
			return -1;
		S->pid_written = 1;
	}
	if (o->port_file) {
		snprintf(text, sizeof text, "%u\n", bound_port(L->d, &L->sa));
		if (write_small(o->port_file, text) < 0)
			return -1;
	}
	if (L->dt && o->tls_port_file) {
		snprintf(text, sizeof text, "%u\n", bound_port(L->dt, &L->sat));
		if (write_small(o->tls_port_file, text) < 0)
			return -1;
	}
	if (!o->quiet)
		vm_warn("serving %zu routes on http://%s:%u/%s", S->count,
			inet_ntop(AF_INET, &L->sa.sin_addr, text, sizeof text) ? text : "?",
			bound_port(L->d, &L->sa), L->dt ? " and with TLS" : "");
	return 0;
}

/* SIGTERM, SIGINT and SIGHUP, blocked in every thread (the daemons' threads
 * inherit the mask) so that they come to sigwait. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void wait_for_signal(server *S, sigset_t *set)
{
	int sig = 0;
	if (sigwait(set, &sig) != 0)
		vm_warn_errno("sigwait");
	S->stop = 1;
	if (!S->o->quiet)
		vm_warn("stopping on signal %d", sig);
}

static void server_close(server *S, listeners *L)
{
	if (L->dt)
		MHD_stop_daemon(L->dt);
	if (L->d)
		MHD_stop_daemon(L->d);
	if (S->pid_written)
		unlink(S->o->pid_file);
	if (S->ready_fd >= 0)
		close(S->ready_fd);
	if (S->log)
		fclose(S->log);
	if (S->files_fd >= 0)
		close(S->files_fd);
	web_archive_free(S->archive);
	table_free(S);
	pthread_mutex_destroy(&S->log_mu);
	free(L->cert);
	free(L->key);
}

/* --background: fork. The parent waits until the child says it is
 * listening (or dies) and then returns 1 with *rc its exit status: 0 once
 * the server answers, the child's status when it could not start. The
 * child returns 0 and tells the parent with tell_parent. -1 after a
 * message when no child could be made. */
static int background(server *S, int *rc)
{
	int fds[2], status;
	char ready;
	ssize_t n;
	pid_t pid;
	if (pipe(fds) != 0) {
		vm_warn_errno("pipe");
		return -1;
	}
	if ((pid = fork()) < 0) {
		vm_warn_errno("fork");
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		S->ready_fd = fds[1];
		return 0;
	}
	close(fds[1]);
	while ((n = read(fds[0], &ready, 1)) < 0 && errno == EINTR)
		;
	close(fds[0]);
	if (n == 1)
		*rc = VM_EXIT_OK;
	else if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))   /* it could not start */
		*rc = WEXITSTATUS(status);
	else
		*rc = VM_EXIT_USAGE;
	return 1;
}

/* The server is listening and its files are written: the parent that
 * waits (--background) may return. The server keeps standard error for
 * its messages and lets go of standard input and output. */
static void tell_parent(server *S)
{
	int null;
	if (S->ready_fd < 0)
		return;
	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	if (write(S->ready_fd, "", 1) != 1)
		vm_warn_errno("--background");
	close(S->ready_fd);
	S->ready_fd = -1;
}

int web_serve(const web_serve_opts *o)
{
	server S = { .files_fd = -1, .ready_fd = -1, .o = o };
	listeners L = { 0 };
	sigset_t set;
	int rc = VM_EXIT_USAGE;

	pthread_mutex_init(&S.log_mu, NULL);
	block_signals(&set);
	if (load(&S, &L) < 0)
		goto out;
	if (o->background && background(&S, &rc) != 0)
		goto out;   /* the parent, or no child */
	if (listen_all(&S, &L) < 0 || announce(&S, &L) < 0)
		goto out;
	tell_parent(&S);
	wait_for_signal(&S, &set);
	rc = VM_EXIT_OK;
out:
	if (rc != VM_EXIT_OK)
		S.pid_written = 0;   /* a pid file is removed only after a clean stop */
	server_close(&S, &L);
	return rc;
}
