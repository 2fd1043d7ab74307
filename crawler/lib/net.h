/* net.h: the crawler's network safety rules, apart from libcurl so they can
 * be unit-tested: which IP addresses are private (loopback, RFC 1918,
 * link-local, multicast, unspecified, CGNAT, reserved; IPv4 and IPv6, with
 * v4-mapped, v4-compatible, NAT64 and 6to4 forms looked through), and
 * curl-style --connect-to rules "HOST:PORT:HOST2:PORT2" (an empty field
 * matches any host or port / keeps the original). */
#ifndef VMIND_NET_H
#define VMIND_NET_H

#include <stddef.h>
#include <sys/socket.h>

/* 1 when the address is not a public unicast address. */
int crawl_addr_is_private(const struct sockaddr *sa);
/* Same for a textual IP literal ("10.0.0.1", "::1", "[::1]"); -1 when text is
 * not an IP literal (a host name). */
int crawl_ip_text_is_private(const char *text);
/* "1.2.3.4:80" / "[::1]:80" of a socket address into buf. */
void crawl_addr_format(const struct sockaddr *sa, char *buf, size_t len);
/* 1 when two socket addresses have the same IP and port. */
int crawl_addr_equal(const struct sockaddr *a, const struct sockaddr *b);

typedef struct crawl_connect_to {
	char *spec;        /* as given, for CURLOPT_CONNECT_TO */
	char *host;        /* "" = any */
	int port;          /* 0 = any */
	char *host2;       /* "" = the URL's host */
	int port2;         /* 0 = the URL's port */
} crawl_connect_to;

/* Parse "HOST:PORT:HOST2:PORT2" (IPv6 literals in brackets). 0, or -1. */
int crawl_connect_to_parse(const char *spec, crawl_connect_to *out);
void crawl_connect_to_free(crawl_connect_to *c);
/* The first rule matching host:port, or NULL (curl's order). */
const crawl_connect_to *crawl_connect_to_match(const crawl_connect_to *rules, size_t n,
                                               const char *host, int port);

#endif
