/* net.c: private-address classification and --connect-to rules (see net.h).
 * The crawler calls crawl_addr_is_private on the very address a socket is about
 * to connect to (libcurl's open-socket callback), so neither a redirect nor
 * a DNS answer can lead it to a private network. */
#include "config.h"
#include "net.h"
#include "vmind/lib/util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int v4_private(uint32_t a)   /* host byte order */
{
	uint8_t b0 = a >> 24, b1 = (a >> 16) & 255, b2 = (a >> 8) & 255;
	if (b0 == 0 || b0 == 10 || b0 == 127)           /* this network, RFC 1918, loopback */
		return 1;
	if (b0 == 100 && (b1 & 0xC0) == 64)             /* 100.64/10 shared (CGNAT) */
		return 1;
	if (b0 == 169 && b1 == 254)                     /* link-local */
		return 1;
	if (b0 == 172 && (b1 & 0xF0) == 16)             /* 172.16/12 */
		return 1;
	if (b0 == 192 && b1 == 168)                     /* 192.168/16 */
		return 1;
	if (b0 == 192 && b1 == 0 && b2 == 0)            /* 192.0.0/24 IETF protocol */
		return 1;
	if (b0 == 198 && (b1 & 0xFE) == 18)             /* 198.18/15 benchmarking */
		return 1;
	if (b0 >= 224)                                  /* multicast, reserved, broadcast */
		return 1;
	return 0;
}

static int v6_private(const uint8_t *a)
{
	static const uint8_t zero[16];
	uint32_t v4;
	if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1))   /* :: and ::1 */
		return 1;
	if ((a[0] & 0xFE) == 0xFC)                      /* fc00::/7 unique local */
		return 1;
	if (a[0] == 0xFE && (a[1] & 0xC0) == 0x80)      /* fe80::/10 link-local */
		return 1;
	if (a[0] == 0xFE && (a[1] & 0xC0) == 0xC0)      /* fec0::/10 site-local (old) */
		return 1;
	if (a[0] == 0xFF)                               /* multicast */
		return 1;
	/* ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible), 64:ff9b::a.b.c.d (NAT64) */
	if ((memcmp(a, zero, 10) == 0 && a[10] == 0xFF && a[11] == 0xFF) ||
	    memcmp(a, zero, 12) == 0 ||
	    (a[0] == 0 && a[1] == 0x64 && a[2] == 0xFF && a[3] == 0x9B && memcmp(a + 4, zero, 8) == 0)) {
		memcpy(&v4, a + 12, 4);
		return v4_private(ntohl(v4));
	}
	if (a[0] == 0x20 && a[1] == 0x02) {             /* 2002:a.b.c.d::/48 6to4 */
		memcpy(&v4, a + 2, 4);
		return v4_private(ntohl(v4));
	}
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0D && a[3] == 0xB8)   /* documentation */
		return 1;
	return 0;
}

int crawl_addr_is_private(const struct sockaddr *sa)
{
	if (!sa)
		return 1;
	if (sa->sa_family == AF_INET)
		return v4_private(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
	if (sa->sa_family == AF_INET6)
		return v6_private(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
	return 1;   /* unix sockets and anything else */
}

int crawl_ip_text_is_private(const char *text)
{
	char buf[64];
	size_t n = strlen(text);
	struct in_addr a4;
	struct in6_addr a6;
	if (n >= 2 && text[0] == '[' && text[n - 1] == ']') {
		text++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	/* a zone id ("fe80::1%eth0") is link-local anyway */
	char *pct = strchr(buf, '%');
	if (pct)
		*pct = '\0';
	if (inet_pton(AF_INET, buf, &a4) == 1)
		return v4_private(ntohl(a4.s_addr));
	if (inet_pton(AF_INET6, buf, &a6) == 1)
		return v6_private(a6.s6_addr);
	return -1;
}

void crawl_addr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof ip);
		snprintf(buf, len, "%s:%u", ip, ntohs(s->sin_port));
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof ip);
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s->sin6_port));
	} else
		snprintf(buf, len, "?");
}

int crawl_addr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	if (!a || !b || a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
	}
	return 0;
}

/* One field of a connect-to spec: "[v6]" or up to the next ':'. */
static const char *field(const char *p, char **out)
{
	const char *e;
	if (*p == '[') {
		e = strchr(p, ']');
		if (!e)
			return NULL;
		*out = xstrndup(p, (size_t)(e + 1 - p));
		e++;
	} else {
		e = strchr(p, ':');
		if (!e)
			e = p + strlen(p);
		*out = xstrndup(p, (size_t)(e - p));
	}
	return e;
}

static int port_field(const char *p, const char **end, int *port)
{
	char *e;
	long v;
	if (*p == ':' || *p == '\0') {
		*port = 0;
		*end = p;
		return 0;
	}
	v = strtol(p, &e, 10);
	if (e == p || v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	*end = e;
	return 0;
}

int crawl_connect_to_parse(const char *spec, crawl_connect_to *out)
{
	const char *p = spec;
	memset(out, 0, sizeof out[0]);
	if (!(p = field(p, &out->host)) || *p != ':')
		goto fail;
	if (port_field(p + 1, &p, &out->port) != 0 || *p != ':')
		goto fail;
	if (!(p = field(p + 1, &out->host2)) || *p != ':')
		goto fail;
	if (port_field(p + 1, &p, &out->port2) != 0 || *p != '\0')
		goto fail;
	out->spec = xstrdup(spec);
	return 0;
fail:
	crawl_connect_to_free(out);
	return -1;
}

void crawl_connect_to_free(crawl_connect_to *c)
{
	free(c->spec);
	free(c->host);
	free(c->host2);
	memset(c, 0, sizeof *c);
}

const crawl_connect_to *crawl_connect_to_match(const crawl_connect_to *rules, size_t n,
                                               const char *host, int port)
{
	for (size_t i = 0; i < n; i++) {
		if (rules[i].host[0] && strcasecmp(rules[i].host, host) != 0)
			continue;
		if (rules[i].port && rules[i].port != port)
			continue;
		return &rules[i];
	}
	return NULL;
}
