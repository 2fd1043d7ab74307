/* cli.c: getopt_long and --help from one option table (see cli.h). */
#include "config.h"
#include "cli.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const vm_option builtin[] = {
	{ "help", VM_CLI_HELP, no_argument, NULL, "show this help and exit" },
	{ "version", VM_CLI_VERSION, no_argument, NULL, "show the version and exit" },
};

#define NBUILTIN (sizeof builtin / sizeof builtin[0])

/* the tool's options and then the built-in ones: count, and the i-th */
static size_t n_options(const vm_cli *cli)
{
	size_t n = 0;
	while (cli->options[n].name)
		n++;
	return n + NBUILTIN;
}

static const vm_option *option_at(const vm_cli *cli, size_t i, size_t n)
{
	return i < n - NBUILTIN ? &cli->options[i] : &builtin[i - (n - NBUILTIN)];
}

static void cli_build(vm_cli *cli)
{
	size_t n = n_options(cli);
	char *s;
	cli->longopts = xcalloc(n + 1, sizeof *cli->longopts);
	s = cli->shortopts = xmalloc(2 * n + 2);
	*s++ = ':';  /* report a missing argument as ':' */
	for (size_t i = 0; i < n; i++) {
		const vm_option *o = option_at(cli, i, n);
		cli->longopts[i].name = o->name;
		cli->longopts[i].has_arg = o->has_arg;
		cli->longopts[i].flag = NULL;
		cli->longopts[i].val = o->key;
		if (o->key > 0 && o->key < 256) {
			*s++ = (char)o->key;
			if (o->has_arg == required_argument)
				*s++ = ':';
		}
	}
	*s = '\0';
}

int vm_cli_next(vm_cli *cli, int argc, char **argv)
{
	int c, idx = -1;
	if (!cli->longopts) {
		cli_build(cli);
		opterr = 0;
	}
	c = getopt_long(argc, argv, cli->shortopts, cli->longopts, &idx);
	if (c == '?' || c == ':') {
		const char *arg = argv[optind - 1];
		if (c == ':')
			vm_cli_usage_error(cli, "option '%s' needs an argument", arg);
		if (optopt && optopt < 256 && optopt > 0 && arg && arg[0] == '-' && arg[1] != '-')
			vm_cli_usage_error(cli, "unknown option '-%c'", optopt);
		vm_cli_usage_error(cli, "unknown option '%s'", arg ? arg : "?");
	}
	if (c == VM_CLI_HELP || c == VM_CLI_VERSION) {
		if (c == VM_CLI_HELP)
			vm_cli_help(cli, stdout);
		else
			printf("%s %s\n", vm_progname, PACKAGE_VERSION);
		vm_cli_free(cli);
		exit(fflush(stdout) == 0 ? VM_EXIT_OK : VM_EXIT_USAGE);
	}
	return c;
}

void vm_cli_free(vm_cli *cli)
{
	free(cli->longopts);
	free(cli->shortopts);
	cli->longopts = NULL;
	cli->shortopts = NULL;
}

void vm_cli_help(const vm_cli *cli, FILE *fp)
{
	fprintf(fp, "Usage: %s\n", cli->synopsis);
	if (cli->summary)
		fprintf(fp, "%s\n", cli->summary);
	fprintf(fp, "\nOptions:\n");
	size_t n = n_options(cli);
	for (size_t i = 0; i < n; i++) {
		const vm_option *o = option_at(cli, i, n);
		char left[96];
		int len;
		if (o->key > 0 && o->key < 256)
			len = snprintf(left, sizeof left, "  -%c, --%s", o->key, o->name);
		else
			len = snprintf(left, sizeof left, "      --%s", o->name);
		if (o->has_arg == required_argument && len < (int)sizeof left)
			snprintf(left + len, sizeof left - len, " %s", o->arg ? o->arg : "ARG");
		if (strlen(left) <= 28)
			fprintf(fp, "%-30s%s\n", left, o->help);
		else
			fprintf(fp, "%s\n%30s%s\n", left, "", o->help);
	}
	if (cli->footer)
		fprintf(fp, "\n%s", cli->footer);
}

void vm_cli_usage_error(const vm_cli *cli, const char *fmt, ...)
{
	(void)cli;
	if (fmt) {
		va_list ap;
		fprintf(stderr, "%s: ", vm_progname);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "Try '%s --help' for more information.\n", vm_progname);
	exit(VM_EXIT_USAGE);
}

long long vm_cli_int(const char *name, const char *text, long long min, long long max)
{
	char *end;
	long long v;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text || *end != '\0')
		vm_die("--%s: '%s' is not an integer", name, text);
	if (v < min || v > max)
		vm_die("--%s: %lld is out of range [%lld, %lld]", name, v, min, max);
	return v;
}

double vm_cli_double(const char *name, const char *text, double min, double max)
{
	char *end;
	double v;
	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || *end != '\0' || v != v)
		vm_die("--%s: '%s' is not a number", name, text);
	if (v < min || v > max)
		vm_die("--%s: %g is out of range [%g, %g]", name, v, min, max);
	return v;
}
