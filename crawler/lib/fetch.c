/* fetch.c: the HTTP engine (see fetch.h). Requests wait in one queue; each
 * step starts those whose host is neither backing off nor waiting for its
 * robots.txt, up to `parallel` at once, lets libcurl move the bytes, and
 * finishes, retries or redirects the completed transfers. All in the calling
 * thread, so the shared DNS and connection caches need no locks. */
#include "config.h"
#include "fetch.h"
#include "crawl-robots.h"
#include "vmind/lib/util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <curl/curl.h>

typedef struct host {
	char *key;                /* "scheme://host", with ":port" when not the scheme's default:
	                             robots.txt and politeness go by scheme, host and port (RFC 9309) */
	struct host *next;        /* hash chain */
	int robots_state;         /* 0 unknown, 1 fetching, 2 known */
	crawl_robots *robots;
	double not_before;        /* monotonic time before which nothing starts */
	int backoff_level;
	double crawl_delay;
	char robots_err[256];     /* why everything is disallowed, when it is for want of robots.txt */
	char robots_cls[24];      /* the error class of a robots.txt fetch that got no answer
	                             (dns, connect, timeout...), "" otherwise */
} host;

struct crawl_req_priv {
	crawl_req *next, *prev;      /* queue links */
	double not_before;        /* monotonic */
	int attempts;             /* tries of the current URL */
	host *h;
	char *path;               /* path and query, for robots.txt */
	char *hostname;           /* as in the URL */
	char scheme[8];
	int port;
	int url_private;          /* 1 private literal, 0 public literal, -1 a name */
	CURL *easy;
	double t_start, t_wall;
	int too_big;
	int refused;              /* the open-socket callback refused an address */
	char refused_addr[64];
	int trusted;              /* trusted_addr is a --connect-to target */
	struct sockaddr_storage trusted_addr;
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *headers;
	int is_robots;
	int no_robots;            /* an API request (crawl_req_set_api): robots.txt not asked */
	char *extra_header;       /* sent with it, e.g. an API key header */
};

struct crawl_fetch {
	crawl_fetch_opts o;
	CURLM *multi;
	CURLSH *share;
	struct curl_slist *connect_to;
	crawl_req *head, *tail;      /* waiting */
	size_t n_waiting, n_active;
	host **hosts;
	size_t nbuckets, nhosts;
	CURL **pool;
	size_t npool, cappool;
	crawl_fetch_stats st;
	uint64_t rng;
};

static double rnd(crawl_fetch *F)   /* [0, 1) */
{
	F->rng ^= F->rng << 13;
	F->rng ^= F->rng >> 7;
	F->rng ^= F->rng << 17;
	return (F->rng >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t hash_str(const char *s)
{
	return vm_fnv1a64(s, strlen(s));
}

/* The key of a host: "https://h", "http://h:8080" (scheme lower case,
 * host lower-cased by the caller, the default port left out). */
static char *host_key(const char *scheme, const char *hostname, int port)
{
	int https = strcasecmp(scheme, "https") == 0;
	return port == (https ? 443 : 80) ? xasprintf("%s://%s", https ? "https" : "http", hostname)
	                                 : xasprintf("%s://%s:%d", https ? "https" : "http", hostname, port);
}

static host *host_get(crawl_fetch *F, const char *key)
{
	uint64_t b = hash_str(key) % F->nbuckets;
	for (host *h = F->hosts[b]; h; h = h->next)
		if (strcmp(h->key, key) == 0)
			return h;
	if (F->nhosts > 2 * F->nbuckets) {
		size_t nb = F->nbuckets * 4;
		host **nh = xcalloc(nb, sizeof *nh);
		for (size_t i = 0; i < F->nbuckets; i++) {
			host *h = F->hosts[i], *nx;
			for (; h; h = nx) {
				nx = h->next;
				uint64_t c = hash_str(h->key) % nb;
				h->next = nh[c];
				nh[c] = h;
			}
		}
		free(F->hosts);
		F->hosts = nh;
		F->nbuckets = nb;
		b = hash_str(key) % F->nbuckets;
	}
	host *h = xcalloc(1, sizeof *h);
	h->key = xstrdup(key);
	h->next = F->hosts[b];
	F->hosts[b] = h;
	F->nhosts++;
	return h;
}

crawl_fetch *crawl_fetch_new(const crawl_fetch_opts *opts)
{
	crawl_fetch *F = xcalloc(1, sizeof *F);
	F->o = *opts;
	if (F->o.max_redirects <= 0)
		F->o.max_redirects = 5;
	if (F->o.backoff_base <= 0)
		F->o.backoff_base = 0.5;
	if (F->o.max_wait <= 0)
		F->o.max_wait = 300;
	F->rng = (uint64_t)vm_unix_now() * 2654435761ULL ^ 0x9E3779B97F4A7C15ULL;
	F->nbuckets = 64;
	F->hosts = xcalloc(F->nbuckets, sizeof *F->hosts);
	F->multi = curl_multi_init();
	F->share = curl_share_init();
	if (!F->multi || !F->share)
		vm_die("libcurl could not be initialised");
	curl_share_setopt(F->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(F->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_multi_setopt(F->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(F->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)F->o.per_host);
	curl_multi_setopt(F->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)F->o.parallel);
	curl_multi_setopt(F->multi, CURLMOPT_MAXCONNECTS, (long)F->o.parallel * 2);
	for (size_t i = 0; i < F->o.n_connect_to; i++)
		F->connect_to = curl_slist_append(F->connect_to, F->o.connect_to[i].spec);
	return F;
}

void crawl_fetch_free(crawl_fetch *F)
{
	if (!F)
		return;
	for (size_t i = 0; i < F->npool; i++)
		curl_easy_cleanup(F->pool[i]);
	free(F->pool);
	curl_multi_cleanup(F->multi);
	curl_share_cleanup(F->share);
	curl_slist_free_all(F->connect_to);
	for (size_t i = 0; i < F->nbuckets; i++) {
		host *h = F->hosts[i], *nx;
		for (; h; h = nx) {
			nx = h->next;
			crawl_robots_free(h->robots);
			free(h->key);
			free(h);
		}
	}
	free(F->hosts);
	free(F);
}

crawl_req *crawl_req_new(const char *url, uint32_t news_num, const char *tier, const char *purpose,
                         size_t max_bytes, crawl_req_done_fn done, void *arg)
{
	crawl_req *r = xcalloc(1, sizeof *r);
	r->priv = xcalloc(1, sizeof *r->priv);
	r->url = xstrdup(url);
	r->first_url = xstrdup(url);
	r->news_num = news_num;
	r->tier = tier;
	r->purpose = purpose;
	r->max_bytes = max_bytes;
	r->done = done;
	r->arg = arg;
	return r;
}

static void req_clear_result(crawl_req *r)
{
	free(r->body);
	r->body = NULL;
	r->len = r->cap = 0;
	r->truncated = 0;
	r->status = 0;
	r->result = CRAWL_FETCH_OK;
	r->error[0] = r->error_class[0] = '\0';
}

void crawl_req_reset(crawl_req *r, const char *url, const char *purpose, size_t max_bytes)
{
	req_clear_result(r);
	free(r->url);
	free(r->first_url);
	r->url = xstrdup(url);
	r->first_url = xstrdup(url);
	r->purpose = purpose;
	r->max_bytes = max_bytes;
	r->redirects = 0;
	r->keep_partial = 0;
	r->priv->attempts = 0;
	curl_slist_free_all(r->priv->headers);
	r->priv->headers = NULL;
	r->priv->no_robots = 0;
	free(r->priv->extra_header);
	r->priv->extra_header = NULL;
}

void crawl_req_set_api(crawl_req *r, const char *header)
{
	r->priv->no_robots = 1;
	free(r->priv->extra_header);
	r->priv->extra_header = header ? xstrdup(header) : NULL;
}

void crawl_req_free(crawl_req *r)
{
	if (!r)
		return;
	free(r->url);
	free(r->first_url);
	free(r->body);
	if (r->priv) {
		free(r->priv->path);
		free(r->priv->hostname);
		free(r->priv->extra_header);
		curl_slist_free_all(r->priv->headers);
		free(r->priv);
	}
	free(r);
}

static void q_push(crawl_fetch *F, crawl_req *r, int front)
{
	struct crawl_req_priv *p = r->priv;
	p->next = p->prev = NULL;
	if (!F->head) {
		F->head = F->tail = r;
	} else if (front) {
		p->next = F->head;
		F->head->priv->prev = r;
		F->head = r;
	} else {
		p->prev = F->tail;
		F->tail->priv->next = r;
		F->tail = r;
	}
	F->n_waiting++;
}

static void q_remove(crawl_fetch *F, crawl_req *r)
{
	struct crawl_req_priv *p = r->priv;
	if (p->prev)
		p->prev->priv->next = p->next;
	else
		F->head = p->next;
	if (p->next)
		p->next->priv->prev = p->prev;
	else
		F->tail = p->prev;
	p->next = p->prev = NULL;
	F->n_waiting--;
}

/* Parse r->url into scheme/host/port/path and find its host. -1 when the URL
 * can't be used (message in r->error). */
static int req_parse_url(crawl_fetch *F, crawl_req *r)
{
	struct crawl_req_priv *p = r->priv;
	CURLU *u = curl_url();
	char *scheme = NULL, *hostname = NULL, *port = NULL, *path = NULL, *query = NULL;
	int rc = -1;
	free(p->path);
	free(p->hostname);
	p->path = p->hostname = NULL;
	if (!u || curl_url_set(u, CURLUPART_URL, r->url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
		snprintf(r->error, sizeof r->error, "bad URL");
		snprintf(r->error_class, sizeof r->error_class, "scheme");
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	if (!scheme || (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)) {
		snprintf(r->error, sizeof r->error, "scheme not allowed: %s", scheme ? scheme : "?");
		snprintf(r->error_class, sizeof r->error_class, "scheme");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &hostname, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		snprintf(r->error, sizeof r->error, "bad URL (no host)");
		snprintf(r->error_class, sizeof r->error_class, "scheme");
		goto out;
	}
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	snprintf(p->scheme, sizeof p->scheme, "%s", strcasecmp(scheme, "https") == 0 ? "https" : "http");
	p->port = atoi(port);
	p->hostname = xstrdup(hostname);
	for (char *c = p->hostname; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + 32);
	p->path = query ? xasprintf("%s?%s", path ? path : "/", query) : xstrdup(path ? path : "/");
	p->url_private = crawl_ip_text_is_private(p->hostname);
	{
		char *key = host_key(p->scheme, p->hostname, p->port);
		p->h = host_get(F, key);
		free(key);
	}
	rc = 0;
out:
	curl_free(scheme);
	curl_free(hostname);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	if (u)
		curl_url_cleanup(u);
	return rc;
}

static void robots_done(crawl_req *r, void *arg);

void crawl_fetch_set_robots(crawl_fetch *F, const char *key, long status, const char *body, size_t len)
{
	host *h = host_get(F, key);
	h->robots_err[0] = '\0';
	h->robots_cls[0] = '\0';
	crawl_robots_free(h->robots);
	if (status >= 200 && status < 300)
		h->robots = crawl_robots_parse(body ? body : "", body ? len : 0, F->o.robots_agent);
	else
		h->robots = crawl_robots_for_status(status);
	h->crawl_delay = crawl_robots_crawl_delay(h->robots);
	if (h->crawl_delay > 30)
		h->crawl_delay = 30;
	h->robots_state = 2;
}

static void finish(crawl_fetch *F, crawl_req *r)
{
	(void)F;
	if (r->priv->is_robots) {
		robots_done(r, F);
		return;
	}
	r->done(r, r->arg);
}

static void fail_now(crawl_fetch *F, crawl_req *r, int result, const char *cls, const char *msg)
{
	r->result = result;
	snprintf(r->error_class, sizeof r->error_class, "%s", cls);
	snprintf(r->error, sizeof r->error, "%s", msg);
	finish(F, r);
}

void crawl_fetch_submit(crawl_fetch *F, crawl_req *r)
{
	req_clear_result(r);
	r->priv->not_before = 0;
	if (req_parse_url(F, r) != 0) {
		r->result = CRAWL_FETCH_BLOCKED;
		finish(F, r);
		return;
	}
	q_push(F, r, 0);
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	crawl_req *r = arg;
	size_t n = size * nmemb;
	if (r->max_bytes && r->len + n > r->max_bytes) {
		r->priv->too_big = 1;
		if (r->keep_partial) {
			n = r->max_bytes - r->len;
		} else
			return 0;   /* abort the transfer now */
	}
	if (r->len + n + 1 > r->cap) {
		size_t c = r->cap ? r->cap : 16384;
		while (c < r->len + n + 1)
			c *= 2;
		r->body = xrealloc(r->body, c);
		r->cap = c;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return r->priv->too_big ? 0 : size * nmemb;
}

static curl_socket_t on_opensocket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	crawl_req *r = arg;
	struct crawl_req_priv *p = r->priv;
	(void)purpose;
	/* installed only without --allow-private; a --connect-to target given
	 * as an IP literal is trusted for the requests that rule maps */
	if (crawl_addr_is_private(&a->addr) &&
	    !(p->trusted && crawl_addr_equal(&a->addr, (struct sockaddr *)&p->trusted_addr))) {
		p->refused = 1;
		crawl_addr_format(&a->addr, p->refused_addr, sizeof p->refused_addr);
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

/* The --connect-to target of this request, when it is an IP literal. */
static void set_trusted(crawl_fetch *F, crawl_req *r)
{
	struct crawl_req_priv *p = r->priv;
	const crawl_connect_to *c = crawl_connect_to_match(F->o.connect_to, F->o.n_connect_to, p->hostname, p->port);
	p->trusted = 0;
	if (!c || !c->host2[0])
		return;
	char ip[64];
	size_t n = strlen(c->host2);
	const char *h = c->host2;
	if (n >= 2 && h[0] == '[') {
		h++;
		n -= 2;
	}
	if (n >= sizeof ip)
		return;
	memcpy(ip, h, n);
	ip[n] = '\0';
	int port = c->port2 ? c->port2 : p->port;
	memset(&p->trusted_addr, 0, sizeof p->trusted_addr);
	struct sockaddr_in *s4 = (struct sockaddr_in *)&p->trusted_addr;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&p->trusted_addr;
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		p->trusted = 1;
	} else if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		p->trusted = 1;
	}
}

static void start_one(crawl_fetch *F, crawl_req *r, double now)
{
	struct crawl_req_priv *p = r->priv;
	CURL *e = F->npool ? F->pool[--F->npool] : curl_easy_init();
	if (!e)
		vm_die("libcurl: out of easy handles");
	curl_easy_reset(e);
	p->easy = e;
	p->too_big = p->refused = 0;
	p->errbuf[0] = '\0';
	p->t_start = now;
	p->t_wall = vm_unix_now();
	p->attempts++;
	free(r->body);
	r->body = NULL;
	r->len = r->cap = 0;
	set_trusted(F, r);
	if (F->o.allow_private)
		p->trusted = 0;
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_SHARE, F->share);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, F->o.user_agent);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(F->o.timeout * 1000));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(F->o.connect_timeout * 1000));
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 64L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 20L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	if (!F->o.allow_private) {
		curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_opensocket);
		curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, r);
	}
	if (F->connect_to)
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, F->connect_to);
	if (r->max_bytes && !r->keep_partial)
		curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max_bytes);
	if (!p->headers) {
		p->headers = curl_slist_append(NULL, strcmp(r->purpose, "image") == 0
			? "Accept: image/avif,image/webp,image/apng,image/*,*/*;q=0.8"
			: "Accept: text/html,application/xhtml+xml,*/*;q=0.8");
		if (p->extra_header)
			p->headers = curl_slist_append(p->headers, p->extra_header);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers);
	if (p->h->crawl_delay > 0)
		p->h->not_before = now + p->h->crawl_delay;
	curl_multi_add_handle(F->multi, e);
	F->n_active++;
}

static void robots_submit(crawl_fetch *F, host *h, crawl_req *for_req)
{
	struct crawl_req_priv *fp = for_req->priv;
	int def = strcmp(fp->scheme, "https") == 0 ? 443 : 80;
	char *url;
	if (fp->port == def)
		url = xasprintf("%s://%s/robots.txt", fp->scheme, fp->hostname);
	else
		url = xasprintf("%s://%s:%d/robots.txt", fp->scheme, fp->hostname, fp->port);
	crawl_req *r = crawl_req_new(url, 0, for_req->tier, "robots", 512 * 1024, NULL, h);
	r->keep_partial = 1;
	r->priv->is_robots = 1;
	free(url);
	h->robots_state = 1;
	F->st.robots_fetched++;
	if (req_parse_url(F, r) != 0) {
		crawl_req_free(r);
		crawl_fetch_set_robots(F, h->key, 0, NULL, 0);
		return;
	}
	/* the first request for a host is always its robots.txt */
	r->arg = h;
	q_push(F, r, 1);
}

/* The host a robots.txt request was made for: its first URL's (redirects
 * may have led elsewhere); NULL when that URL cannot be read again. */
static host *robots_host(crawl_fetch *F, const crawl_req *r)
{
	host *h = NULL;
	CURLU *u = curl_url();
	char *hn = NULL, *port = NULL, *scheme = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, r->first_url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &hn, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK) {
		for (char *c = hn; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c + 32);
		char *key = host_key(scheme, hn, atoi(port));
		h = host_get(F, key);
		free(key);
	}
	curl_free(hn);
	curl_free(port);
	curl_free(scheme);
	if (u)
		curl_url_cleanup(u);
	return h;
}

static void robots_done(crawl_req *r, void *arg)
{
	crawl_fetch *F = arg;
	host *h = robots_host(F, r);
	if (h && r->result == CRAWL_FETCH_BLOCKED) {
		/* our own rules refused robots.txt (a private address): they will
		 * refuse the host's other requests as well, each with its reason */
		crawl_fetch_set_robots(F, h->key, 404, NULL, 0);
	} else if (h) {
		long st = r->result == CRAWL_FETCH_OK || r->result == CRAWL_FETCH_HTTP ? r->status : 0;
		crawl_fetch_set_robots(F, h->key, st, r->body, r->len);
		if (st == 0 || st >= 500)
			snprintf(h->robots_err, sizeof h->robots_err, "robots.txt unavailable (%.200s): all disallowed",
			         r->error[0] ? r->error : "no answer");
		if (r->status == 0)   /* no HTTP answer at all (DNS, connect): the host's failure, not its rules */
			snprintf(h->robots_cls, sizeof h->robots_cls, "%s", r->error_class[0] ? r->error_class : "error");
		if (F->o.on_robots && st >= 200 && st < 500)
			F->o.on_robots(h->key, st, r->body, r->len, F->o.arg);
	}
	crawl_req_free(r);
}

static void start_ready(crawl_fetch *F)
{
	double now = vm_now();
	crawl_req *r = F->head, *next;
	for (; r && F->n_active < (size_t)F->o.parallel; r = next) {
		struct crawl_req_priv *p = r->priv;
		host *h = p->h;
		next = p->next;
		if (p->not_before > now || h->not_before > now)
			continue;
		if (p->url_private == 1 && !F->o.allow_private) {
			char msg[200];
			q_remove(F, r);
			snprintf(msg, sizeof msg, "private address refused: %s", p->hostname);
			if (F->o.on_request) {
				/* not sent, but recorded: the URL was asked for */
				crawl_fetch_record rec = {
					.news_num = r->news_num, .time = vm_unix_now(), .tier = r->tier,
					.purpose = r->purpose, .url = r->url, .status = 0, .error = msg,
					.bytes = 0, .ms = 0
				};
				F->o.on_request(&rec, F->o.arg);
			}
			fail_now(F, r, CRAWL_FETCH_BLOCKED, "private", msg);
			next = F->head;   /* the callback may have changed the queue */
			continue;
		}
		if (!F->o.ignore_robots && !p->is_robots && !p->no_robots) {
			if (h->robots_state == 0) {
				robots_submit(F, h, r);
				next = F->head;
				continue;
			}
			if (h->robots_state == 1)
				continue;
			if (!crawl_robots_allowed(h->robots, p->path)) {
				q_remove(F, r);
				if (h->robots_cls[0])   /* robots.txt got no answer (DNS, connect...): an error of the host */
					fail_now(F, r, CRAWL_FETCH_ERROR, h->robots_cls, h->robots_err);
				else
					fail_now(F, r, CRAWL_FETCH_BLOCKED, "robots",
					         h->robots_err[0] ? h->robots_err : "robots.txt disallows it");
				next = F->head;
				continue;
			}
		}
		q_remove(F, r);
		start_one(F, r, now);
	}
}

static int retryable_code(CURLcode c)
{
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

static const char *code_class(CURLcode c)
{
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT: return "timeout";
	case CURLE_COULDNT_CONNECT: return "connect";
	case CURLE_COULDNT_RESOLVE_HOST: return "dns";
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING: return "reset";
	case CURLE_PARTIAL_FILE: return "partial";
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE: return "tls";
	case CURLE_UNSUPPORTED_PROTOCOL: return "scheme";
	case CURLE_FILESIZE_EXCEEDED: return "too-big";
	default: return "error";
	}
}

/* Put r back in the queue to try again in `wait` seconds. */
static void requeue(crawl_fetch *F, crawl_req *r, double wait, int front)
{
	r->priv->not_before = vm_now() + wait;
	F->st.retries++;
	q_push(F, r, front);
}

/* What came of one exchange. */
typedef struct exchange {
	long status;
	curl_off_t total_us, retry_after;
	char *redirect;          /* the Location of a 3xx, or NULL */
	int result;              /* CRAWL_FETCH_* */
	const char *cls;         /* error class, "" when none */
	char msg[256];
	int retry;               /* worth trying again, after wait seconds */
	double wait;
} exchange;

/* The request of a finished transfer and what the server answered; the
 * easy handle goes back to the pool. */
static crawl_req *collect(crawl_fetch *F, CURL *e, exchange *x)
{
	crawl_req *r = NULL;
	char *redirect = NULL;
	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&r);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &x->status);
	curl_easy_getinfo(e, CURLINFO_TOTAL_TIME_T, &x->total_us);
	curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &x->retry_after);
	curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &redirect);
	x->redirect = redirect ? xstrdup(redirect) : NULL;
	curl_multi_remove_handle(F->multi, e);
	r->priv->easy = NULL;
	if (F->npool == F->cappool) {
		F->cappool = F->cappool ? 2 * F->cappool : 64;
		F->pool = xrealloc(F->pool, F->cappool * sizeof *F->pool);
	}
	F->pool[F->npool++] = e;
	F->n_active--;
	r->status = x->status;
	return r;
}

/* The exponential backoff before the next try of a request. */
static double retry_wait(crawl_fetch *F, int attempts)
{
	return F->o.backoff_base * (1 << (attempts < 8 ? attempts - 1 : 7)) * (0.5 + rnd(F));
}

/* 429 or 503: the host backs off (Retry-After honoured up to max_wait). */
static void host_busy(crawl_fetch *F, host *h, exchange *x, double now)
{
	x->result = CRAWL_FETCH_ERROR;
	x->cls = x->status == 429 ? "http-429" : "http-5xx";
	snprintf(x->msg, sizeof x->msg, "HTTP %ld", x->status);
	if (x->retry_after > 0)
		x->wait = (double)x->retry_after * (1.0 + 0.1 * rnd(F));
	else
		x->wait = F->o.backoff_base * (1 << (h->backoff_level < 8 ? h->backoff_level : 8)) * (0.5 + rnd(F));
	h->backoff_level++;
	if (x->wait <= F->o.max_wait) {
		x->retry = 1;
		if (h->not_before < now + x->wait)
			h->not_before = now + x->wait;
	} else
		snprintf(x->msg, sizeof x->msg, "HTTP %ld, Retry-After %lds is too long", x->status,
		         (long)x->retry_after);
}

static void classify(crawl_fetch *F, crawl_req *r, CURLcode code, exchange *x, double now)
{
	struct crawl_req_priv *p = r->priv;
	long status = x->status;
	x->result = CRAWL_FETCH_OK;
	x->cls = "";
	if (p->refused) {
		x->result = CRAWL_FETCH_BLOCKED;
		x->cls = "private";
		snprintf(x->msg, sizeof x->msg, "private address refused: %s", p->refused_addr);
	} else if (p->too_big && r->keep_partial && status >= 200 && status < 300) {
		r->truncated = 1;
	} else if (p->too_big || code == CURLE_FILESIZE_EXCEEDED) {
		x->result = CRAWL_FETCH_TOO_BIG;
		x->cls = "too-big";
		snprintf(x->msg, sizeof x->msg, "body over %zu bytes", r->max_bytes);
	} else if (code != CURLE_OK) {
		x->result = CRAWL_FETCH_ERROR;
		x->cls = code_class(code);
		snprintf(x->msg, sizeof x->msg, "%s", p->errbuf[0] ? p->errbuf : curl_easy_strerror(code));
		x->retry = retryable_code(code);
		x->wait = retry_wait(F, p->attempts);
	} else if (status == 429 || status == 503) {
		host_busy(F, p->h, x, now);
	} else if (status >= 500) {
		x->result = CRAWL_FETCH_ERROR;
		x->cls = "http-5xx";
		snprintf(x->msg, sizeof x->msg, "HTTP %ld", status);
		x->retry = 1;
		x->wait = retry_wait(F, p->attempts);
	} else if (status >= 300 && status < 400 && x->redirect) {
		x->result = CRAWL_FETCH_REDIRECT;
	} else if (status < 200 || status >= 300) {
		x->result = CRAWL_FETCH_HTTP;
		x->cls = "http";
		snprintf(x->msg, sizeof x->msg, "HTTP %ld", status);
	}
	if (x->result == CRAWL_FETCH_OK || x->result == CRAWL_FETCH_HTTP || x->result == CRAWL_FETCH_REDIRECT)
		p->h->backoff_level = 0;
}

static void log_exchange(crawl_fetch *F, const crawl_req *r, const exchange *x)
{
	F->st.requests++;
	F->st.bytes += r->len;
	if (!F->o.on_request)
		return;
	crawl_fetch_record rec = {
		.news_num = r->news_num, .time = r->priv->t_wall, .tier = r->tier,
		.purpose = r->purpose, .url = r->url, .status = x->status,
		/* a complete answer (even a 404) is not an error of ours */
		.error = x->result == CRAWL_FETCH_OK || x->result == CRAWL_FETCH_REDIRECT ||
		         x->result == CRAWL_FETCH_HTTP ? NULL : x->msg,
		.bytes = r->len, .ms = x->total_us / 1000.0
	};
	F->o.on_request(&rec, F->o.arg);
}

/* One more hop: the request goes to the front of the queue for the URL
 * redirected to (owned from here). */
static void follow_redirect(crawl_fetch *F, crawl_req *r, char *location)
{
	if (r->redirects >= F->o.max_redirects) {
		free(location);
		fail_now(F, r, CRAWL_FETCH_ERROR, "redirects", "too many redirects");
		return;
	}
	free(r->url);
	r->url = location;
	r->redirects++;
	r->priv->attempts = 0;
	free(r->body);
	r->body = NULL;
	r->len = r->cap = 0;
	if (req_parse_url(F, r) != 0) {
		r->result = CRAWL_FETCH_BLOCKED;
		finish(F, r);
		return;
	}
	r->priv->not_before = 0;
	q_push(F, r, 1);
}

/* A transfer is over: classify and log the exchange, then follow a
 * redirect, retry, or finish the request. */
static void complete(crawl_fetch *F, CURL *e, CURLcode code)
{
	exchange x = { 0 };
	double now = vm_now();
	crawl_req *r = collect(F, e, &x);
	classify(F, r, code, &x, now);
	log_exchange(F, r, &x);
	if (x.result == CRAWL_FETCH_REDIRECT) {
		follow_redirect(F, r, x.redirect);
		return;
	}
	free(x.redirect);
	if (x.retry && r->priv->attempts <= F->o.retries) {
		requeue(F, r, x.wait, 0);
		return;
	}
	r->result = x.result;
	snprintf(r->error_class, sizeof r->error_class, "%s", x.cls);
	snprintf(r->error, sizeof r->error, "%s", x.msg);
	finish(F, r);
}

void crawl_fetch_step(crawl_fetch *F, int max_wait_ms)
{
	int running = 0, left = 0;
	CURLMsg *m;
	start_ready(F);
	curl_multi_perform(F->multi, &running);
	while ((m = curl_multi_info_read(F->multi, &left))) {
		if (m->msg == CURLMSG_DONE)
			complete(F, m->easy_handle, m->data.result);
	}
	start_ready(F);
	/* wake up for the next request that becomes due */
	double now = vm_now(), due = now + max_wait_ms / 1000.0;
	for (crawl_req *r = F->head; r; r = r->priv->next) {
		double t = r->priv->not_before > r->priv->h->not_before ? r->priv->not_before : r->priv->h->not_before;
		if (t < due)
			due = t;
	}
	int wait = (int)((due - now) * 1000);
	if (wait < 0)
		wait = 0;
	if (F->n_active == 0 && F->n_waiting > 0 && wait == 0)
		return;
	if (wait > max_wait_ms)
		wait = max_wait_ms;
	curl_multi_poll(F->multi, NULL, 0, wait, NULL);
}

void crawl_fetch_wakeup(crawl_fetch *F)
{
	curl_multi_wakeup(F->multi);
}

size_t crawl_fetch_busy(const crawl_fetch *F)
{
	return F->n_waiting + F->n_active;
}

void crawl_fetch_get_stats(const crawl_fetch *F, crawl_fetch_stats *s)
{
	*s = F->st;
}
