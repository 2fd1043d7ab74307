/* chromium-shot.c: a helper of tests/t0902-report-chromium.sh (not a
 * TAP test itself). It starts headless Chromium with the DevTools protocol on
 * a pipe (--remote-debugging-pipe: commands on fd 3, replies on fd 4, JSON
 * messages ended by NUL; no network port at all), opens one page, waits for
 * its load event, asks the page's DOM what was rendered, takes a screenshot,
 * and prints what it found, one fact a line:
 *   console_errors N          console errors, uncaught exceptions, log errors
 *   console: TEXT             each of them
 *   table1 N                  rows of the table #t1
 *   tier TIER items N loaded M at X Y  gallery images of a tier, how many
 *                             decoded (complete, naturalWidth > 0), and the
 *                             centre of the first in page pixels
 *   images N broken M         all <img> of the page
 *   scripts N                 <script> elements in the page
 *   screenshot FILE BYTES     of the whole page: WIDTH wide, at least HEIGHT
 *                             high (at most 16000)
 * With DOWNLOAD-DIR and SCRIPT, SCRIPT (JavaScript, e.g. ticking boxes and
 * clicking a download link) then runs in the page with downloads allowed
 * into DOWNLOAD-DIR, and the first file that lands there is reported:
 *   download NAME BYTES       (or "download none" after 20 seconds)
 * Usage: chromium-shot CHROMIUM USER-DATA-DIR URL SHOT.png WIDTH HEIGHT [DOWNLOAD-DIR SCRIPT]
 * Exit 0 when all of that could be asked (the shell test judges the
 * answers), 2 when the browser could not be driven. */
#include "config.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int to_chrome = -1, from_chrome = -1;
static pid_t chrome_pid = -1;
static char *inbuf;
static size_t inlen, incap;
static double deadline;
static int next_id = 1;
static char *session;
static int console_errors;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void stop_chrome(void)
{
	if (chrome_pid > 0) {
		kill(chrome_pid, SIGTERM);
		for (int i = 0; i < 50; i++) {
			if (waitpid(chrome_pid, NULL, WNOHANG) == chrome_pid) {
				chrome_pid = -1;
				return;
			}
			usleep(100000);
		}
		kill(chrome_pid, SIGKILL);
		waitpid(chrome_pid, NULL, 0);
		chrome_pid = -1;
	}
}

static void fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "chromium-shot: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	stop_chrome();
	exit(2);
}

static int send_cmd(const char *method, cJSON *params, int with_session)
{
	cJSON *msg = cJSON_CreateObject();
	char *text;
	size_t len, off = 0;
	int id = next_id++;
	cJSON_AddNumberToObject(msg, "id", id);
	cJSON_AddStringToObject(msg, "method", method);
	if (params)
		cJSON_AddItemToObject(msg, "params", params);
	if (with_session && session)
		cJSON_AddStringToObject(msg, "sessionId", session);
	text = cJSON_PrintUnformatted(msg);
	len = strlen(text) + 1;      /* the NUL ends the message */
	while (off < len) {
		ssize_t w = write(to_chrome, text + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			fail("write to browser: %s", strerror(errno));
		}
		off += (size_t)w;
	}
	free(text);
	cJSON_Delete(msg);
	return id;
}

/* Note an event that counts as a console error. */
static void note_event(cJSON *msg)
{
	const char *method = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "method"));
	cJSON *p = cJSON_GetObjectItem(msg, "params");
	if (!method || !p)
		return;
	if (strcmp(method, "Runtime.exceptionThrown") == 0) {
		cJSON *d = cJSON_GetObjectItem(p, "exceptionDetails");
		console_errors++;
		printf("console: exception: %s\n", d ? cJSON_GetStringValue(cJSON_GetObjectItem(d, "text")) : "?");
	} else if (strcmp(method, "Runtime.consoleAPICalled") == 0) {
		const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(p, "type"));
		if (type && (strcmp(type, "error") == 0 || strcmp(type, "assert") == 0)) {
			console_errors++;
			printf("console: console.%s\n", type);
		}
	} else if (strcmp(method, "Log.entryAdded") == 0) {
		cJSON *e = cJSON_GetObjectItem(p, "entry");
		const char *level = e ? cJSON_GetStringValue(cJSON_GetObjectItem(e, "level")) : NULL;
		if (level && strcmp(level, "error") == 0) {
			const char *text = cJSON_GetStringValue(cJSON_GetObjectItem(e, "text"));
			const char *url = cJSON_GetStringValue(cJSON_GetObjectItem(e, "url"));
			console_errors++;
			printf("console: %s%s%s\n", text ? text : "?", url ? " " : "", url ? url : "");
		}
	}
}

/* The next message from the browser (caller deletes). */
static cJSON *read_msg(void)
{
	for (;;) {
		char *nul = inlen ? memchr(inbuf, '\0', inlen) : NULL;
		if (nul) {
			size_t n = (size_t)(nul - inbuf) + 1;
			cJSON *msg = cJSON_Parse(inbuf);
			memmove(inbuf, inbuf + n, inlen - n);
			inlen -= n;
			if (!msg)
				fail("unparsable message from the browser");
			return msg;
		}
		{
			struct pollfd pfd = { .fd = from_chrome, .events = POLLIN };
			double left = deadline - now();
			ssize_t r;
			if (left <= 0)
				fail("timed out waiting for the browser");
			if (poll(&pfd, 1, (int)(left * 1000) + 1) < 0 && errno != EINTR)
				fail("poll: %s", strerror(errno));
			if (!(pfd.revents & (POLLIN | POLLHUP)))
				continue;
			if (inlen + 65536 > incap) {
				incap = incap ? 2 * incap : 1 << 20;
				inbuf = realloc(inbuf, incap);
				if (!inbuf)
					fail("out of memory");
			}
			r = read(from_chrome, inbuf + inlen, incap - inlen);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				fail("the browser closed the pipe");
			inlen += (size_t)r;
		}
	}
}

/* Wait for the reply to command id; events met on the way are noted. */
static cJSON *wait_reply(int id)
{
	for (;;) {
		cJSON *msg = read_msg();
		cJSON *mid = cJSON_GetObjectItem(msg, "id");
		if (mid && (int)mid->valuedouble == id) {
			cJSON *err = cJSON_GetObjectItem(msg, "error");
			if (err) {
				char *t = cJSON_PrintUnformatted(err);
				fail("command %d failed: %s", id, t);
			}
			return msg;
		}
		note_event(msg);
		cJSON_Delete(msg);
	}
}

static cJSON *call(const char *method, cJSON *params, int with_session)
{
	return wait_reply(send_cmd(method, params, with_session));
}

static void wait_event(const char *name)
{
	for (;;) {
		cJSON *msg = read_msg();
		const char *method = cJSON_GetStringValue(cJSON_GetObjectItem(msg, "method"));
		if (method && strcmp(method, name) == 0) {
			cJSON_Delete(msg);
			return;
		}
		note_event(msg);
		cJSON_Delete(msg);
	}
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

static size_t b64decode(const char *in, unsigned char *out)
{
	size_t o = 0;
	unsigned v = 0;
	int bits = 0;
	for (; *in; in++) {
		int d = b64val((unsigned char)*in);
		if (d < 0)
			continue;
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(v >> bits);
		}
	}
	return o;
}

/* What the page rendered, as one JSON string. Runs in the page through
 * the protocol; the report itself has no script. */
static const char probe[] =
	"(() => {"
	" const r = {tiers: {}};"
	" const t1 = document.querySelector('#t1');"
	" r.table1 = t1 ? t1.querySelectorAll('tr').length - 1 : 0;"
	" for (const t of ['search', 'archive', 'origin', 'placeholder']) {"
	"  const imgs = [...document.querySelectorAll('figure.tier-' + t + ' img')];"
	"  const b = imgs.length ? imgs[0].getBoundingClientRect() : null;"
	"  r.tiers[t] = [imgs.length, imgs.filter(i => i.complete && i.naturalWidth > 0).length,"
	"   b ? Math.round(b.left + b.width / 2 + scrollX) : -1, b ? Math.round(b.top + b.height / 2 + scrollY) : -1];"
	" }"
	" const all = [...document.images];"
	" r.images = all.length;"
	" r.broken = all.filter(i => !(i.complete && i.naturalWidth > 0)).length;"
	" r.scripts = document.querySelectorAll('script').length;"
	" r.height = Math.ceil(document.documentElement.scrollHeight);"
	" return JSON.stringify(r);"
	"})()";

/* Allow downloads into dir, run script in the page, wait for a file. */
static void run_and_download(const char *dir, const char *script)
{
	cJSON *params = cJSON_CreateObject(), *reply;
	double until;
	cJSON_AddStringToObject(params, "behavior", "allow");
	cJSON_AddStringToObject(params, "downloadPath", dir);
	cJSON_Delete(call("Browser.setDownloadBehavior", params, 0));
	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "expression", script);
	cJSON_AddBoolToObject(params, "userGesture", 1);
	reply = call("Runtime.evaluate", params, 1);
	cJSON_Delete(reply);
	for (until = now() + 20; now() < until;) {
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d && (e = readdir(d)) != NULL) {
			size_t n = strlen(e->d_name);
			if (e->d_name[0] == '.' || (n > 11 && strcmp(e->d_name + n - 11, ".crdownload") == 0))
				continue;
			char path[4096];
			struct stat sb;
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			if (stat(path, &sb) == 0) {
				printf("download %s %lld\n", e->d_name, (long long)sb.st_size);
				closedir(d);
				return;
			}
		}
		if (d)
			closedir(d);
		usleep(100000);
	}
	printf("download none\n");
}

int main(int argc, char **argv)
{
	int p_in[2], p_out[2];
	cJSON *reply, *params, *val, *res;
	const char *s;
	char *target = NULL;
	int width, height, page_height;

	if (argc != 7 && argc != 9) {
		fprintf(stderr, "usage: chromium-shot CHROMIUM USER-DATA-DIR URL SHOT.png WIDTH HEIGHT [DOWNLOAD-DIR SCRIPT]\n");
		return 2;
	}
	width = atoi(argv[5]);
	height = atoi(argv[6]);
	if (pipe(p_in) != 0 || pipe(p_out) != 0)
		fail("pipe: %s", strerror(errno));
	chrome_pid = fork();
	if (chrome_pid < 0)
		fail("fork: %s", strerror(errno));
	if (chrome_pid == 0) {
		char udd[4096];
		int devnull = open("/dev/null", O_WRONLY);
		/* the browser reads commands on fd 3 and writes on fd 4 */
		dup2(p_in[0], 3);
		dup2(p_out[1], 4);
		for (int fd = 5; fd < 1024; fd++)
			close(fd);
		if (devnull >= 0)
			dup2(devnull, 1);     /* its chatter must not mix with our answers */
		snprintf(udd, sizeof udd, "--user-data-dir=%s", argv[2]);
		execl(argv[1], argv[1], "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		      "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
		      "--disable-component-update", "--disable-sync", "--disable-extensions",
		      "--remote-debugging-pipe", udd, "about:blank", (char *)NULL);
		_exit(127);
	}
	close(p_in[0]);
	close(p_out[1]);
	to_chrome = p_in[1];
	from_chrome = p_out[0];
	signal(SIGPIPE, SIG_IGN);
	deadline = now() + 90;

	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "url", "about:blank");
	reply = call("Target.createTarget", params, 0);
	s = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(reply, "result"), "targetId"));
	if (!s)
		fail("no targetId");
	target = strdup(s);
	cJSON_Delete(reply);

	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "targetId", target);
	cJSON_AddBoolToObject(params, "flatten", 1);
	reply = call("Target.attachToTarget", params, 0);
	s = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(reply, "result"), "sessionId"));
	if (!s)
		fail("no sessionId");
	session = strdup(s);
	cJSON_Delete(reply);

	cJSON_Delete(call("Runtime.enable", NULL, 1));
	cJSON_Delete(call("Log.enable", NULL, 1));
	cJSON_Delete(call("Page.enable", NULL, 1));
	params = cJSON_CreateObject();
	cJSON_AddNumberToObject(params, "width", width);
	cJSON_AddNumberToObject(params, "height", height);
	cJSON_AddNumberToObject(params, "deviceScaleFactor", 1);
	cJSON_AddBoolToObject(params, "mobile", 0);
	cJSON_Delete(call("Emulation.setDeviceMetricsOverride", params, 1));

	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "url", argv[3]);
	reply = call("Page.navigate", params, 1);
	if (cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(reply, "result"), "errorText")))
		fail("navigation failed: %s", cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(reply, "result"), "errorText")));
	cJSON_Delete(reply);
	wait_event("Page.loadEventFired");

	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "expression", probe);
	cJSON_AddBoolToObject(params, "returnByValue", 1);
	reply = call("Runtime.evaluate", params, 1);
	res = cJSON_GetObjectItem(cJSON_GetObjectItem(reply, "result"), "result");
	s = cJSON_GetStringValue(cJSON_GetObjectItem(res, "value"));
	if (!s)
		fail("the probe returned nothing");
	val = cJSON_Parse(s);
	if (!val)
		fail("the probe returned '%s'", s);
	printf("table1 %d\n", (int)cJSON_GetNumberValue(cJSON_GetObjectItem(val, "table1")));
	{
		cJSON *t;
		cJSON_ArrayForEach(t, cJSON_GetObjectItem(val, "tiers"))
			printf("tier %s items %d loaded %d at %d %d\n", t->string,
			       (int)cJSON_GetArrayItem(t, 0)->valuedouble, (int)cJSON_GetArrayItem(t, 1)->valuedouble,
			       (int)cJSON_GetArrayItem(t, 2)->valuedouble, (int)cJSON_GetArrayItem(t, 3)->valuedouble);
	}
	printf("images %d broken %d\n", (int)cJSON_GetNumberValue(cJSON_GetObjectItem(val, "images")),
	       (int)cJSON_GetNumberValue(cJSON_GetObjectItem(val, "broken")));
	printf("scripts %d\n", (int)cJSON_GetNumberValue(cJSON_GetObjectItem(val, "scripts")));
	page_height = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(val, "height"));
	if (page_height < height)
		page_height = height;
	if (page_height > 16000)
		page_height = 16000;
	cJSON_Delete(val);
	cJSON_Delete(reply);

	params = cJSON_CreateObject();
	cJSON_AddStringToObject(params, "format", "png");
	/* the whole page, not just the viewport */
	cJSON_AddBoolToObject(params, "captureBeyondViewport", 1);
	{
		cJSON *clip = cJSON_CreateObject();
		cJSON_AddNumberToObject(clip, "x", 0);
		cJSON_AddNumberToObject(clip, "y", 0);
		cJSON_AddNumberToObject(clip, "width", width);
		cJSON_AddNumberToObject(clip, "height", page_height);
		cJSON_AddNumberToObject(clip, "scale", 1);
		cJSON_AddItemToObject(params, "clip", clip);
	}
	reply = call("Page.captureScreenshot", params, 1);
	s = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(reply, "result"), "data"));
	if (!s)
		fail("no screenshot data");
	{
		unsigned char *png = malloc(strlen(s));
		size_t n = png ? b64decode(s, png) : 0;
		FILE *fp = fopen(argv[4], "wb");
		if (!png || !fp || fwrite(png, 1, n, fp) != n || fclose(fp) != 0)
			fail("%s: cannot write the screenshot", argv[4]);
		printf("screenshot %s %zu\n", argv[4], n);
		free(png);
	}
	cJSON_Delete(reply);

	if (argc == 9)
		run_and_download(argv[7], argv[8]);

	/* messages that arrived meanwhile */
	cJSON_Delete(call("Runtime.evaluate", cJSON_Parse("{\"expression\":\"1\"}"), 1));
	printf("console_errors %d\n", console_errors);
	send_cmd("Browser.close", NULL, 0);
	stop_chrome();
	free(target);
	free(session);
	free(inbuf);
	return 0;
}
