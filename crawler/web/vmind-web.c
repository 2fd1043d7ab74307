/* vmind-web.c: the command line of vmind-web, the simulated web the crawler
 * is tested and measured on. Two sub-commands share one option table:
 * `render` writes a web (routes.tsv, files/, truth.tsv) from a vmind-synth
 * dataset, `serve` answers HTTP for it on 127.0.0.1. */
#include "config.h"
#include "web.h"
#include "vmind/lib/cli.h"
#include "vmind/lib/util.h"

#include <stdlib.h>
#include <string.h>

enum {
	OPT_ROOT = 256, OPT_LISTEN, OPT_PORT_FILE, OPT_LOG, OPT_LOG_HEADER, OPT_PID_FILE, OPT_ARCHIVE_HOST, OPT_SEARCH_HOST, OPT_ARCHIVE_RATE, OPT_ARCHIVE_DELAY, OPT_TLS_LISTEN, OPT_TLS_CERT, OPT_TLS_KEY,
	OPT_TLS_PORT_FILE,
	OPT_MIND, OPT_OUT, OPT_SEED, OPT_DEAD, OPT_MOVED, OPT_FAULT, OPT_DECOY, OPT_ROBOTS, OPT_ARCHIVE_SHARE,
	OPT_SEARCH_SHARE, OPT_CLEAN, OPT_THREADS, OPT_LIMIT
};

static const vm_option options[] = {
	{ "root", OPT_ROOT, required_argument, "WEBDIR", "serve: the rendered web to serve" },
	{ "listen", OPT_LISTEN, required_argument, "ADDR:PORT", "serve: address and port (port 0: any free port; default 127.0.0.1:0)" },
	{ "port-file", OPT_PORT_FILE, required_argument, "FILE", "serve: write the bound port to FILE once listening" },
	{ "tls-listen", OPT_TLS_LISTEN, required_argument, "ADDR:PORT", "serve: also answer HTTPS there (needs --tls-cert and --tls-key)" },
	{ "tls-cert", OPT_TLS_CERT, required_argument, "FILE", "serve: PEM certificate (chain) for --tls-listen" },
	{ "tls-key", OPT_TLS_KEY, required_argument, "FILE", "serve: PEM private key for --tls-listen" },
	{ "tls-port-file", OPT_TLS_PORT_FILE, required_argument, "FILE", "serve: write the bound HTTPS port to FILE" },
	{ "log", OPT_LOG, required_argument, "FILE", "serve: append one TSV line per request to FILE" },
	{ "log-header", OPT_LOG_HEADER, required_argument, "NAME", "serve: end each log line with the value of request header NAME" },
	{ "pid-file", OPT_PID_FILE, required_argument, "FILE", "serve: write the process id to FILE" },
	{ "archive-host", OPT_ARCHIVE_HOST, required_argument, "HOST", "serve: virtual host of the CDX and capture API (default web.archive.org)" },
	{ "archive-rate", OPT_ARCHIVE_RATE, required_argument, "N", "serve: archive requests per second above which it answers 429 (default 0: no limit)" },
	{ "archive-delay", OPT_ARCHIVE_DELAY, required_argument, "MS", "serve: the archive host answers MS milliseconds late, as a slow archive (default 0)" },
	{ "search-host", OPT_SEARCH_HOST, required_argument, "HOST", "serve: virtual host of the searx-style /search API (default searx.test)" },
	{ "mind", OPT_MIND, required_argument, "DIR", "render: the vmind-synth dataset" },
	{ "out", OPT_OUT, required_argument, "WEBDIR", "render: where to write the web" },
	{ "seed", OPT_SEED, required_argument, "N", "render: random seed (default 1)" },
	{ "dead-share", OPT_DEAD, required_argument, "F", "render: share of dead pages, 404 or 410 (default 0.1)" },
	{ "moved-share", OPT_MOVED, required_argument, "F", "render: share of moved pages, redirect chains and loops (default 0.1)" },
	{ "fault-share", OPT_FAULT, required_argument, "F", "render: share of items with a network fault (default 0.1)" },
	{ "decoy-share", OPT_DECOY, required_argument, "F", "render: share of pages whose first image candidate is a decoy (default 0.05)" },
	{ "robots-share", OPT_ROBOTS, required_argument, "F", "render: share of pages disallowed by robots.txt (default 0.02)" },
	{ "archive-share", OPT_ARCHIVE_SHARE, required_argument, "F", "render: share of dead pages with archived captures (default 0.7)" },
	{ "search-share", OPT_SEARCH_SHARE, required_argument, "F", "render: share of items republished on other sites (default 0.5)" },
	{ "clean", OPT_CLEAN, no_argument, NULL, "render: no dead, moved, faulty, decoy or disallowed pages" },
	{ "threads", OPT_THREADS, required_argument, "N", "render: drawing threads (default 2)" },
	{ "limit", OPT_LIMIT, required_argument, "N", "render: only the first N news items (by id)" },
	{ "quiet", 'q', no_argument, NULL, "no messages but errors" },
	{ NULL, 0, 0, NULL, NULL }
};

static vm_cli cli = {
	.synopsis = "vmind-web render --mind DIR --out WEBDIR [options]\n"
		    "       vmind-web serve --root WEBDIR [--listen ADDR:PORT] [options]",
	.summary = "Render a simulated web for a vmind-synth dataset, or serve one over HTTP.",
	.options = options,
	.footer = "See vmind-web(1) for routes.tsv, the faults and truth.tsv.\n",
};

int main(int argc, char **argv)
{
	web_serve_opts so = { .listen = "127.0.0.1:0", .archive_host = "web.archive.org",
			      .search_host = "searx.test" };
	web_render_opts ro = { .seed = 1, .dead_share = 0.1, .moved_share = 0.1,
			       .fault_share = 0.1, .decoy_share = 0.05, .robots_share = 0.02,
			       .archive_share = 0.7, .search_share = 0.5, .threads = 2 };
	const char *cmd;
	int c, rc;

	vm_set_progname(argv[0]);
	/* before a sub-command: -h, --help and --version, which vm_cli_next
	 * answers (and exits) */
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "--version")))
		vm_cli_next(&cli, argc, argv);
	if (argc < 2 || argv[1][0] == '-')
		vm_cli_usage_error(&cli, "a sub-command is needed: render or serve");
	cmd = argv[1];
	if (strcmp(cmd, "serve") && strcmp(cmd, "render"))
		vm_cli_usage_error(&cli, "unknown sub-command '%s'", cmd);
	argc--;
	argv++;
	while ((c = vm_cli_next(&cli, argc, argv)) != -1) {
		switch (c) {
		case OPT_ROOT: so.root = optarg; break;
		case OPT_LISTEN: so.listen = optarg; break;
		case OPT_PORT_FILE: so.port_file = optarg; break;
		case OPT_LOG: so.log = optarg; break;
		case OPT_LOG_HEADER: so.log_header = optarg; break;
		case OPT_PID_FILE: so.pid_file = optarg; break;
		case OPT_ARCHIVE_HOST: so.archive_host = optarg; break;
		case OPT_SEARCH_HOST: so.search_host = optarg; break;
		case OPT_TLS_LISTEN: so.tls_listen = optarg; break;
		case OPT_TLS_CERT: so.tls_cert = optarg; break;
		case OPT_TLS_KEY: so.tls_key = optarg; break;
		case OPT_TLS_PORT_FILE: so.tls_port_file = optarg; break;
		case OPT_ARCHIVE_RATE: so.archive_rate = vm_cli_double("archive-rate", optarg, 0, 1e9); break;
		case OPT_ARCHIVE_DELAY: so.archive_delay_ms = (long)vm_cli_int("archive-delay", optarg, 0, 600000); break;
		case OPT_MIND: ro.mind = optarg; break;
		case OPT_OUT: ro.out = optarg; break;
		case OPT_SEED: ro.seed = (uint64_t)vm_cli_int("seed", optarg, 0, INT64_MAX); break;
		case OPT_DEAD: ro.dead_share = vm_cli_double("dead-share", optarg, 0, 1); break;
		case OPT_MOVED: ro.moved_share = vm_cli_double("moved-share", optarg, 0, 1); break;
		case OPT_FAULT: ro.fault_share = vm_cli_double("fault-share", optarg, 0, 1); break;
		case OPT_DECOY: ro.decoy_share = vm_cli_double("decoy-share", optarg, 0, 1); break;
		case OPT_ROBOTS: ro.robots_share = vm_cli_double("robots-share", optarg, 0, 1); break;
		case OPT_ARCHIVE_SHARE: ro.archive_share = vm_cli_double("archive-share", optarg, 0, 1); break;
		case OPT_SEARCH_SHARE: ro.search_share = vm_cli_double("search-share", optarg, 0, 1); break;
		case OPT_CLEAN: ro.clean = 1; break;
		case OPT_THREADS: ro.threads = (int)vm_cli_int("threads", optarg, 1, 64); break;
		case OPT_LIMIT: ro.limit = (long)vm_cli_int("limit", optarg, 0, 100000000); break;
		case 'q': so.quiet = ro.quiet = 1; break;
		}
	}
	if (optind < argc)
		vm_cli_usage_error(&cli, "unexpected argument '%s'", argv[optind]);
	if (!strcmp(cmd, "serve")) {
		if (!so.root)
			vm_cli_usage_error(&cli, "serve needs --root WEBDIR");
		if (so.tls_listen && (!so.tls_cert || !so.tls_key))
			vm_cli_usage_error(&cli, "--tls-listen needs --tls-cert and --tls-key");
		rc = web_serve(&so);
	} else {
		if (!ro.mind || !ro.out)
			vm_cli_usage_error(&cli, "render needs --mind DIR and --out WEBDIR");
		if (ro.dead_share + ro.moved_share + ro.fault_share + ro.robots_share > 1)
			vm_cli_usage_error(&cli, "--dead-share, --moved-share, --fault-share and --robots-share add up to more than 1");
		if (ro.clean)
			ro.dead_share = ro.moved_share = ro.fault_share = ro.decoy_share = ro.robots_share = 0;
		rc = web_render(&ro);
	}
	vm_cli_free(&cli);
	return rc;
}
