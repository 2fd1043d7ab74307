/* test-crawl-net.c: the crawler's private-address rules (IPv4, IPv6 and the
 * IPv4-in-IPv6 forms), --connect-to parsing and matching, and robots.txt per
 * RFC 9309 (groups, longest match, allow on ties, '*' and '$', 4xx/5xx). */
#include "config.h"
#include "crawler/lib/crawl-robots.h"
#include "crawler/lib/net.h"
#include "tap.h"
#include "vmind/lib/util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static void test_private(void)
{
	static const char *const priv[] = { "127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1",
		"172.31.255.255", "192.168.1.1", "169.254.169.254", "0.0.0.0", "100.64.0.1", "224.0.0.1",
		"239.255.255.250", "255.255.255.255", "198.18.0.1", "::1", "::", "fe80::1", "fc00::1",
		"fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::127.0.0.1",
		"64:ff9b::a00:1", "2002:7f00:1::1", "[::1]", "fe80::1%eth0", NULL };
	static const char *const pub[] = { "8.8.8.8", "1.1.1.1", "172.32.0.1", "192.169.0.1",
		"100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1", NULL };
	for (int i = 0; priv[i]; i++)
		ok(crawl_ip_text_is_private(priv[i]) == 1, "%s is private", priv[i]);
	for (int i = 0; pub[i]; i++)
		ok(crawl_ip_text_is_private(pub[i]) == 0, "%s is public", pub[i]);
	ok(crawl_ip_text_is_private("assets.msn.com") == -1, "a host name is no literal");

	struct sockaddr_in6 s6;
	memset(&s6, 0, sizeof s6);
	s6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.168.0.5", &s6.sin6_addr);
	ok(crawl_addr_is_private((struct sockaddr *)&s6) == 1, "sockaddr v4-mapped private");
	struct sockaddr_in s4;
	memset(&s4, 0, sizeof s4);
	s4.sin_family = AF_INET;
	s4.sin_port = htons(8080);
	inet_pton(AF_INET, "93.184.216.34", &s4.sin_addr);
	ok(crawl_addr_is_private((struct sockaddr *)&s4) == 0, "sockaddr public v4");
	char buf[64];
	crawl_addr_format((struct sockaddr *)&s4, buf, sizeof buf);
	is_str(buf, "93.184.216.34:8080", "address formatted");
}

static void test_connect_to(void)
{
	crawl_connect_to r[3];
	ok(crawl_connect_to_parse("::127.0.0.1:8080", &r[0]) == 0, "parse ::127.0.0.1:8080");
	ok(r[0].host[0] == 0 && r[0].port == 0 && !strcmp(r[0].host2, "127.0.0.1") && r[0].port2 == 8080,
	   "empty host and port match any");
	ok(crawl_connect_to_parse("a.test:443:[::1]:", &r[1]) == 0, "parse a.test:443:[::1]:");
	ok(!strcmp(r[1].host, "a.test") && r[1].port == 443 && !strcmp(r[1].host2, "[::1]") && r[1].port2 == 0,
	   "IPv6 target in brackets, port kept");
	ok(crawl_connect_to_parse("a.test:80:b.test", &r[2]) == -1, "three fields refused");
	ok(crawl_connect_to_parse("a:99999::", &r[2]) == -1, "bad port refused");
	ok(crawl_connect_to_match(&r[1], 1, "A.TEST", 443) == &r[1], "host matched case-insensitively");
	ok(crawl_connect_to_match(&r[1], 1, "a.test", 80) == NULL, "other port not matched");
	ok(crawl_connect_to_match(r, 2, "a.test", 443) == &r[0], "first rule wins");
	crawl_connect_to_free(&r[0]);
	crawl_connect_to_free(&r[1]);
}

static void test_robots(void)
{
	const char *txt =
		"# comment\n"
		"User-agent: googlebot\n"
		"Disallow: /\n"
		"\n"
		"User-agent: *\n"
		"Disallow: /private/\n"
		"Allow: /private/open\n"
		"Disallow: /*.gif$\n"
		"Disallow: /tmp\n"
		"Crawl-delay: 2\n"
		"Sitemap: https://x/sitemap.xml\n"
		"\n"
		"User-agent: VMind-Crawl/1.0\n"
		"User-agent: other\n"
		"Disallow: /no-vmind\n"
		"Allow: /page\n"
		"Disallow: /page\n"
		"Disallow: /a*b$\n";
	crawl_robots *r = crawl_robots_parse(txt, strlen(txt), "vmind-crawl");
	ok(crawl_robots_allowed(r, "/"), "own group: / allowed");
	ok(!crawl_robots_allowed(r, "/no-vmind/x"), "own group: /no-vmind disallowed");
	ok(crawl_robots_allowed(r, "/private/x"), "own group replaces the * group");
	ok(crawl_robots_allowed(r, "/page"), "equal length allow and disallow: allow");
	ok(!crawl_robots_allowed(r, "/a-x-b"), "'*' and '$' match");
	ok(crawl_robots_allowed(r, "/a-x-bc"), "'$' anchors the end");
	ok(crawl_robots_allowed(r, "/robots.txt"), "/robots.txt always allowed");
	ok(crawl_robots_crawl_delay(r) == 0, "no crawl-delay in own group");
	crawl_robots_free(r);

	r = crawl_robots_parse(txt, strlen(txt), "somebot");
	ok(!crawl_robots_allowed(r, "/private/x"), "* group: /private/ disallowed");
	ok(crawl_robots_allowed(r, "/private/open/1"), "longest match: allow /private/open");
	ok(!crawl_robots_allowed(r, "/img/a.gif"), "/*.gif$ disallows a.gif");
	ok(crawl_robots_allowed(r, "/img/a.gif?x=1"), "/*.gif$ does not match a.gif?x=1");
	ok(!crawl_robots_allowed(r, "/tmpfile"), "prefix match /tmp");
	ok(crawl_robots_allowed(r, "/index.html"), "unmatched path allowed");
	ok(crawl_robots_crawl_delay(r) == 2, "crawl-delay 2");
	crawl_robots_free(r);

	const char *merged = "user-agent: a\nuser-agent: vmind-crawl\ndisallow: /x\n\nuser-agent: vmind-crawl\ndisallow: /y\n";
	r = crawl_robots_parse(merged, strlen(merged), "vmind-crawl");
	ok(!crawl_robots_allowed(r, "/x") && !crawl_robots_allowed(r, "/y"), "groups of the same agent merged");
	crawl_robots_free(r);

	r = crawl_robots_parse("", 0, "vmind-crawl");
	ok(crawl_robots_allowed(r, "/anything"), "empty robots.txt allows all");
	crawl_robots_free(r);
	r = crawl_robots_parse("User-agent: *\nDisallow:\n", 24, "vmind-crawl");
	ok(crawl_robots_allowed(r, "/anything"), "empty Disallow allows all");
	crawl_robots_free(r);
	r = crawl_robots_for_status(404);
	ok(crawl_robots_allowed(r, "/x"), "4xx: allow all");
	crawl_robots_free(r);
	r = crawl_robots_for_status(503);
	ok(!crawl_robots_allowed(r, "/x"), "5xx: disallow all");
	crawl_robots_free(r);
	r = crawl_robots_for_status(0);
	ok(!crawl_robots_allowed(r, "/x"), "unreachable: disallow all");
	crawl_robots_free(r);
	const char *crlf = "User-agent: *\r\nDisallow: /d\r\n";
	r = crawl_robots_parse(crlf, strlen(crlf), "vmind-crawl");
	ok(!crawl_robots_allowed(r, "/d/1") && crawl_robots_allowed(r, "/e"), "CRLF line ends");
	crawl_robots_free(r);
	/* hostile input: star-heavy pattern must not blow up */
	const char *stars = "User-agent: *\nDisallow: /*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b$\n";
	r = crawl_robots_parse(stars, strlen(stars), "vmind-crawl");
	ok(crawl_robots_allowed(r, "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac"), "many stars, no match");
	crawl_robots_free(r);
}

int main(void)
{
	test_private();
	test_connect_to();
	test_robots();
	return tap_done();
}
