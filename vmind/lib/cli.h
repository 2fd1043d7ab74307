/* cli.h: one option table per tool drives both getopt_long and --help, so the
 * two can't drift apart (tests/t0001-docs.sh also checks the man pages against
 * --help). Also the parsing of numeric option values with clear errors. */
#ifndef VMIND_CLI_H
#define VMIND_CLI_H

#include <getopt.h>
#include <stdio.h>
#include <stdint.h>

typedef struct vm_option {
	const char *name;     /* long name without dashes */
	int key;              /* short letter, or a value >= 256 for long-only options */
	int has_arg;          /* no_argument, required_argument */
	const char *arg;      /* argument name shown in --help, e.g. "FILE" */
	const char *help;     /* one line */
} vm_option;

/* The table ends with an entry whose name is NULL. */
typedef struct vm_cli {
	const char *synopsis;     /* "vmind-stats --news FILE ... [options]" */
	const char *summary;      /* one sentence */
	const vm_option *options;
	const char *footer;       /* printed after the options (may be NULL) */
	/* private */
	struct option *longopts;
	char *shortopts;
} vm_cli;

/* Every tool has -h/--help and --version: vm_cli adds them to the table
 * (listed last in --help) and vm_cli_next answers them itself, printing the
 * help or "PROG VERSION" to stdout and exiting 0. Tables don't list them. */
#define VM_CLI_HELP 'h'
#define VM_CLI_VERSION 0x10000

/* Next option as getopt_long returns it: the option's key, with optarg set
 * as usual; -1 at the end. It never returns '?' or ':': an unknown option
 * or a missing argument is a usage error, "PROG: unknown option '--x'" or
 * "PROG: option '--x' needs an argument", then "Try 'PROG --help'", and
 * exit 2 (vm_cli_usage_error). So a tool's switch needs no default case. */
int vm_cli_next(vm_cli *cli, int argc, char **argv);
void vm_cli_free(vm_cli *cli);
/* Print --help to fp. */
void vm_cli_help(const vm_cli *cli, FILE *fp);
/* "Try 'PROG --help'" and exit 2, after printing "PROG: msg" when msg. */
void vm_cli_usage_error(const vm_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/* Numeric option values: die (exit 2) with "--NAME: ..." when bad. */
long long vm_cli_int(const char *name, const char *text, long long min, long long max);
double vm_cli_double(const char *name, const char *text, double min, double max);

#endif
