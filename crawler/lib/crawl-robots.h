/* crawl-robots.h: robots.txt as RFC 9309 defines it: groups of user-agent
 * lines and their allow/disallow rules, the group of our product token (or
 * of "*") chosen case-insensitively, the longest matching rule winning (allow
 * on a tie), "*" and "$" in patterns. Crawl-delay, not in the RFC but widely
 * used, is read too. Pure functions, no I/O: the fetch engine gets the file. */
#ifndef VMIND_CRAWL_ROBOTS_H
#define VMIND_CRAWL_ROBOTS_H

#include <stddef.h>

typedef struct crawl_robots crawl_robots;

/* Parse a robots.txt body for the product token agent ("vmind-crawl"); at
 * most the first 512 KiB are read. Never NULL. */
crawl_robots *crawl_robots_parse(const char *body, size_t len, const char *agent);
/* The rules for a robots.txt that could not be had: status 4xx (or 2xx with
 * no body) allows all; 5xx or no answer disallows all (RFC 9309 2.3.1). */
crawl_robots *crawl_robots_for_status(long status);
/* 1 when path (path and query, starting with '/') may be fetched. */
int crawl_robots_allowed(const crawl_robots *r, const char *path);
/* Crawl-delay in seconds of the chosen group, 0 when none. */
double crawl_robots_crawl_delay(const crawl_robots *r);
void crawl_robots_free(crawl_robots *r);

#endif
