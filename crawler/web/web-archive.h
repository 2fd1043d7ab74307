/* web-archive.h: the archive (Wayback-style CDX + raw captures) and search
 * (searx-compatible JSON) endpoints of `vmind-web serve`, answered on their
 * own virtual hosts (--archive-host, --search-host) from WEBDIR/captures.tsv
 * and WEBDIR/search.tsv. See man/vmind-web.1. */
#ifndef VMIND_WEB_ARCHIVE_H
#define VMIND_WEB_ARCHIVE_H

#include "web.h"
#include <microhttpd.h>
#include <signal.h>

typedef struct web_archive web_archive;

/* Load the capture store and the search corpus (when present) of o->root;
 * NULL after a message. o and stop (raised when the server stops) are kept. */
web_archive *web_archive_load(const web_serve_opts *o, const volatile sig_atomic_t *stop);
void web_archive_free(web_archive *A);
/* Answer a request for host+uri when it is one of these endpoints: returns
 * the status sent (and *ret), or 0 when the request is not theirs. Called
 * from the server's threads at once. */
int web_archive_answer(web_archive *A, struct MHD_Connection *c, const char *host, const char *uri,
		       enum MHD_Result *ret);

/* Add headers written as in routes.tsv's column 7 ("Name: value\nName:
 * value" with a literal backslash-n) to a response (web-serve.c). */
void web_add_headers(struct MHD_Response *resp, const char *headers);

#endif
