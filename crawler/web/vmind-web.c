/* vmind-web.c: the command line of vmind-web, the simulated web the crawler
 * is tested and measured on. Two sub-commands with an option table each:
 * `render` writes a web (routes.tsv, files/, truth.tsv) from a vmind-synth
 * dataset, `serve` answers HTTP for it on 127.0.0.1. An option of the other
 * sub-command is a usage error; `vmind-web --help` lists both tables. */
#include "config.h"
#include "web.h"
#include "vmind/lib/cli.h"
#include "vmind/lib/util.h"

#include <stdlib.h>
#include <string.h>

enum {
	OPT_ROOT = 256, OPT_LISTEN, OPT_PORT_FILE, OPT_LOG, OPT_LOG_HEADER, OPT_PID_FILE, OPT_ARCHIVE_HOST,
	OPT_SEARCH_HOST, OPT_ARCHIVE_RATE, OPT_ARCHIVE_DELAY, OPT_TLS_LISTEN, OPT_TLS_CERT, OPT_TLS_KEY,
	OPT_TLS_PORT_FILE, OPT_BACKGROUND,
	OPT_MIND, OPT_OUT, OPT_SEED, OPT_DEAD, OPT_MOVED, OPT_FAULT, OPT_DECOY, OPT_ROBOTS, OPT_ARCHIVE_SHARE,
	OPT_SEARCH_SHARE, OPT_CLEAN, OPT_THREADS, OPT_LIMIT
};

#define QUIET_OPTION { "quiet", 'q', no_argument, NULL, "no messages but errors" }

static const vm_option serve_options[] = {
	{ "root", OPT_ROOT, required_argument, "WEBDIR", "the rendered web to serve" },
	{ "listen", OPT_LISTEN, required_argument, "ADDR:PORT", "address and port (port 0: any free port; default 127.0.0.1:0)" },
	{ "port-file", OPT_PORT_FILE, required_argument, "FILE", "write the bound port to FILE once listening" },
	{ "tls-listen", OPT_TLS_LISTEN, required_argument, "ADDR:PORT", "also answer HTTPS there (needs --tls-cert and --tls-key)" },
	{ "tls-cert", OPT_TLS_CERT, required_argument, "FILE", "PEM certificate (chain) for --tls-listen" },
	{ "tls-key", OPT_TLS_KEY, required_argument, "FILE", "PEM private key for --tls-listen" },
	{ "tls-port-file", OPT_TLS_PORT_FILE, required_argument, "FILE", "write the bound HTTPS port to FILE" },
	{ "log", OPT_LOG, required_argument, "FILE", "append one TSV line per request to FILE" },
	{ "log-header", OPT_LOG_HEADER, required_argument, "NAME", "end each log line with the value of request header NAME" },
	{ "pid-file", OPT_PID_FILE, required_argument, "FILE", "write the process id to FILE" },
	{ "background", OPT_BACKGROUND, no_argument, NULL, "fork, and return once the server answers (kill it with the pid of --pid-file)" },
	{ "archive-host", OPT_ARCHIVE_HOST, required_argument, "HOST", "virtual host of the CDX and capture API (default web.archive.org)" },
	{ "archive-rate", OPT_ARCHIVE_RATE, required_argument, "N", "archive requests per second above which it answers 429 (default 0: no limit)" },
	{ "archive-delay", OPT_ARCHIVE_DELAY, required_argument, "MS", "the archive host answers MS milliseconds late, as a slow archive (default 0)" },
	{ "search-host", OPT_SEARCH_HOST, required_argument, "HOST", "virtual host of the searx-style /search API (default searx.test)" },
	QUIET_OPTION,
	{ NULL, 0, 0, NULL, NULL }
};

static const vm_option render_options[] = {
	{ "mind", OPT_MIND, required_argument, "DIR", "the vmind-synth dataset" },
	{ "out", OPT_OUT, required_argument, "WEBDIR", "where to write the web" },
	{ "seed", OPT_SEED, required_argument, "N", "random seed (default 1)" },
	{ "dead-share", OPT_DEAD, required_argument, "F", "share of dead pages, 404 or 410 (default 0.1)" },
	{ "moved-share", OPT_MOVED, required_argument, "F", "share of moved pages, redirect chains and loops (default 0.1)" },
	{ "fault-share", OPT_FAULT, required_argument, "F", "share of items with a network fault (default 0.1)" },
	{ "decoy-share", OPT_DECOY, required_argument, "F", "share of pages whose first image candidate is a decoy (default 0.05)" },
	{ "robots-share", OPT_ROBOTS, required_argument, "F", "share of pages disallowed by robots.txt (default 0.02)" },
	{ "archive-share", OPT_ARCHIVE_SHARE, required_argument, "F", "share of dead pages with archived captures (default 0.7)" },
	{ "search-share", OPT_SEARCH_SHARE, required_argument, "F", "share of items republished on other sites (default 0.5)" },
	{ "clean", OPT_CLEAN, no_argument, NULL, "no dead, moved, faulty, decoy or disallowed pages" },
	{ "threads", OPT_THREADS, required_argument, "N", "drawing threads (default 2)" },
	{ "limit", OPT_LIMIT, required_argument, "N", "only the first N news items (by id)" },
	QUIET_OPTION,
	{ NULL, 0, 0, NULL, NULL }
};

/* A sub-command and its command line. */
typedef struct command {
	const char *name;
	vm_cli cli;
	int (*run)(vm_cli *cli, int argc, char **argv);
} command;

static int serve_main(vm_cli *cli, int argc, char **argv);
static int render_main(vm_cli *cli, int argc, char **argv);

static command commands[] = {
	{ "serve", {
		.synopsis = "vmind-web serve --root WEBDIR [--listen ADDR:PORT] [options]",
		.summary = "Serve a rendered simulated web over HTTP on 127.0.0.1.",
		.options = serve_options,
		.footer = "See vmind-web(1) for routes.tsv, the faults, the archive and the search engine.\n",
	}, serve_main },
	{ "render", {
		.synopsis = "vmind-web render --mind DIR --out WEBDIR [options]",
		.summary = "Render a simulated web for a vmind-synth dataset.",
		.options = render_options,
		.footer = "See vmind-web(1) for the rendered web and truth.tsv.\n",
	}, render_main },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* Both tables for `vmind-web --help`, each line but --quiet's saying its
 * sub-command ("serve: ..."); the caller frees the table and its help
 * strings with free_all_options. */
static vm_option *all_options(void)
{
	size_t n = 0, k = 0;
	for (size_t c = 0; c < NCOMMANDS; c++)
		for (const vm_option *o = commands[c].cli.options; o->name; o++)
			n++;
	vm_option *all = xcalloc(n + 1, sizeof *all);
	for (size_t c = 0; c < NCOMMANDS; c++)
		for (const vm_option *o = commands[c].cli.options; o->name; o++) {
			if (o->key == 'q')
				continue;
			all[k] = *o;
			all[k++].help = xasprintf("%s: %s", commands[c].name, o->help);
		}
	all[k] = (vm_option)QUIET_OPTION;
	all[k].help = xstrdup(all[k].help);
	return all;
}

static void free_all_options(vm_option *all)
{
	for (vm_option *o = all; o->name; o++)
		free((char *)o->help);
	free(all);
}

static command *find_command(const char *name)
{
	for (size_t c = 0; c < NCOMMANDS; c++)
		if (!strcmp(commands[c].name, name))
			return &commands[c];
	return NULL;
}

/* The long option named by arg ("--name" or "--name=value") in a table, or
 * NULL. */
static const vm_option *long_option(const vm_option *table, const char *arg)
{
	size_t len = strcspn(arg + 2, "=");
	for (const vm_option *o = table; o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, arg + 2, len))
			return o;
	return NULL;
}

/* An option of another sub-command is a usage error that names it (getopt
 * alone would only call it unknown). The arguments are walked as getopt
 * does: an option's value is skipped, "--" ends the options. */
static void refuse_other_options(const command *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const vm_option *own, *other = NULL;
		if (strncmp(argv[i], "--", 2) != 0)
			continue;
		if ((own = long_option(cmd->cli.options, argv[i]))) {
			if (own->has_arg == required_argument && !strchr(argv[i], '='))
				i++;
			continue;
		}
		for (size_t c = 0; c < NCOMMANDS && !other; c++)
			if (&commands[c] != cmd && (other = long_option(commands[c].cli.options, argv[i])))
				vm_cli_usage_error(&cmd->cli, "--%s is an option of 'vmind-web %s', not of '%s'",
						   other->name, commands[c].name, cmd->name);
	}
}

static int serve_main(vm_cli *cli, int argc, char **argv)
{
	web_serve_opts so = { .listen = "127.0.0.1:0", .archive_host = "web.archive.org",
			      .search_host = "searx.test" };
	int c;
	while ((c = vm_cli_next(cli, argc, argv)) != -1) {
		switch (c) {
		case OPT_ROOT: so.root = optarg; break;
		case OPT_LISTEN: so.listen = optarg; break;
		case OPT_PORT_FILE: so.port_file = optarg; break;
		case OPT_LOG: so.log = optarg; break;
		case OPT_LOG_HEADER: so.log_header = optarg; break;
		case OPT_PID_FILE: so.pid_file = optarg; break;
		case OPT_BACKGROUND: so.background = 1; break;
		case OPT_ARCHIVE_HOST: so.archive_host = optarg; break;
		case OPT_SEARCH_HOST: so.search_host = optarg; break;
		case OPT_TLS_LISTEN: so.tls_listen = optarg; break;
		case OPT_TLS_CERT: so.tls_cert = optarg; break;
		case OPT_TLS_KEY: so.tls_key = optarg; break;
		case OPT_TLS_PORT_FILE: so.tls_port_file = optarg; break;
		case OPT_ARCHIVE_RATE: so.archive_rate = vm_cli_double("archive-rate", optarg, 0, 1e9); break;
		case OPT_ARCHIVE_DELAY: so.archive_delay_ms = (long)vm_cli_int("archive-delay", optarg, 0, 600000); break;
		case 'q': so.quiet = 1; break;
		}
	}
	if (optind < argc)
		vm_cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	if (!so.root)
		vm_cli_usage_error(cli, "serve needs --root WEBDIR");
	if (so.tls_listen && (!so.tls_cert || !so.tls_key))
		vm_cli_usage_error(cli, "--tls-listen needs --tls-cert and --tls-key");
	return web_serve(&so);
}

static int render_main(vm_cli *cli, int argc, char **argv)
{
	web_render_opts ro = { .seed = 1, .dead_share = 0.1, .moved_share = 0.1,
			       .fault_share = 0.1, .decoy_share = 0.05, .robots_share = 0.02,
			       .archive_share = 0.7, .search_share = 0.5, .threads = 2 };
	int c;
	while ((c = vm_cli_next(cli, argc, argv)) != -1) {
		switch (c) {
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
		case 'q': ro.quiet = 1; break;
		}
	}
	if (optind < argc)
		vm_cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	if (!ro.mind || !ro.out)
		vm_cli_usage_error(cli, "render needs --mind DIR and --out WEBDIR");
	if (ro.dead_share + ro.moved_share + ro.fault_share + ro.robots_share > 1)
		vm_cli_usage_error(cli, "--dead-share, --moved-share, --fault-share and --robots-share add up to more than 1");
	if (ro.clean)
		ro.dead_share = ro.moved_share = ro.fault_share = ro.decoy_share = ro.robots_share = 0;
	return web_render(&ro);
}

int main(int argc, char **argv)
{
	vm_option *all = all_options();
	vm_cli top = {
		.synopsis = "vmind-web render --mind DIR --out WEBDIR [options]\n"
			    "       vmind-web serve --root WEBDIR [--listen ADDR:PORT] [options]",
		.summary = "Render a simulated web for a vmind-synth dataset, or serve one over HTTP.",
		.options = all,
		.footer = "'vmind-web render --help' and 'vmind-web serve --help' list the options of each.\n"
			  "See vmind-web(1) for routes.tsv, the faults and truth.tsv.\n",
	};
	command *cmd;
	int rc;

	vm_set_progname(argv[0]);
	/* before a sub-command: -h, --help and --version, which vm_cli_next
	 * answers (and exits) */
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "--version")))
		vm_cli_next(&top, argc, argv);
	if (argc < 2 || argv[1][0] == '-')
		vm_cli_usage_error(&top, "a sub-command is needed: render or serve");
	if (!(cmd = find_command(argv[1])))
		vm_cli_usage_error(&top, "unknown sub-command '%s'", argv[1]);
	vm_cli_free(&top);
	free_all_options(all);
	refuse_other_options(cmd, argc - 1, argv + 1);
	rc = cmd->run(&cmd->cli, argc - 1, argv + 1);
	vm_cli_free(&cmd->cli);
	return rc;
}
