/* json.h: JSON output through cJSON, the one way every tool writes JSON
 * (run counters, duplicate groups, Table 1, the synthetic dataset's truth):
 * build a cJSON tree, then print it here. Reading JSON is cJSON's own
 * cJSON_Parse. Numbers that must stay integers are added with
 * vm_json_add_int, which prints every 64-bit value to the digit: cJSON holds
 * doubles and prints them with 15 significant digits, so an integer of 16
 * digits or more is added as raw JSON text instead of a cJSON number. */
#ifndef VMIND_JSON_H
#define VMIND_JSON_H

#include <stdio.h>
#include <cjson/cJSON.h>

/* Add a member; the tree owns what is added. Returns the new item. */
cJSON *vm_json_add_int(cJSON *obj, const char *name, long long v);
cJSON *vm_json_add_num(cJSON *obj, const char *name, double v);
/* The number that printf(fmt, ...) writes (e.g. "%.6f"), so that a tool's
 * JSON holds the same figures as its text output. */
cJSON *vm_json_add_numf(cJSON *obj, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* NULL s adds JSON null. */
cJSON *vm_json_add_str(cJSON *obj, const char *name, const char *s);

/* The tree as text with a final newline, indented (pretty) or on one line;
 * returns 0, or -1 with errno when writing failed. */
int vm_json_print(FILE *f, const cJSON *root, int pretty);
/* The same written atomically to path (vm_write_file_atomic). */
int vm_json_write_file(const char *path, const cJSON *root, int pretty);

#endif
