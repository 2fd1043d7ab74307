/* json.c: JSON output through cJSON (see json.h). */
#include "config.h"
#include "json.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Below this magnitude cJSON's "%1.15g" prints an integer to the digit. */
#define EXACT_AS_NUMBER 1000000000000000LL

cJSON *vm_json_add_int(cJSON *obj, const char *name, long long v)
{
	cJSON *n;
	if (v > -EXACT_AS_NUMBER && v < EXACT_AS_NUMBER) {
		n = cJSON_AddNumberToObject(obj, name, (double)v);
	} else {
		char text[24];
		snprintf(text, sizeof text, "%lld", v);
		n = cJSON_AddRawToObject(obj, name, text);
	}
	if (!n)
		vm_die("out of memory (JSON)");
	return n;
}

cJSON *vm_json_add_num(cJSON *obj, const char *name, double v)
{
	cJSON *n = cJSON_AddNumberToObject(obj, name, v);
	if (!n)
		vm_die("out of memory (JSON)");
	return n;
}

cJSON *vm_json_add_numf(cJSON *obj, const char *name, const char *fmt, ...)
{
	char text[64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	return vm_json_add_num(obj, name, strtod(text, NULL));
}

cJSON *vm_json_add_str(cJSON *obj, const char *name, const char *s)
{
	cJSON *n = s ? cJSON_AddStringToObject(obj, name, s) : cJSON_AddNullToObject(obj, name);
	if (!n)
		vm_die("out of memory (JSON)");
	return n;
}

static char *json_text(const cJSON *root, int pretty, size_t *len)
{
	char *t = pretty ? cJSON_Print(root) : cJSON_PrintUnformatted(root);
	size_t n;
	char *out;
	if (!t)
		vm_die("out of memory (JSON)");
	n = strlen(t);
	out = xmalloc(n + 2);
	memcpy(out, t, n);
	out[n] = '\n';
	out[n + 1] = '\0';
	cJSON_free(t);
	*len = n + 1;
	return out;
}

int vm_json_print(FILE *f, const cJSON *root, int pretty)
{
	size_t len;
	char *t = json_text(root, pretty, &len);
	int rc = fwrite(t, 1, len, f) == len ? 0 : -1;
	free(t);
	return rc;
}

int vm_json_write_file(const char *path, const cJSON *root, int pretty)
{
	size_t len;
	char *t = json_text(root, pretty, &len);
	int rc = vm_write_file_atomic(path, t, len);
	int e = errno;
	free(t);
	errno = e;
	return rc;
}
