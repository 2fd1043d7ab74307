/* shard.c: which shard a news item belongs to, and this job's shard from the
 * command line or a job array's environment (see shard.h). */
#include "config.h"
#include "shard.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint32_t vm_shard_of(const char *id, uint32_t count)
{
	if (count <= 1)
		return 0;
	return (uint32_t)(vm_fnv1a64(id, strlen(id)) % count);
}

int vm_shard_mine(const vm_shard *s, const char *id)
{
	return s->count <= 1 || vm_shard_of(id, s->count) == s->index;
}

/* A non-negative decimal that fits in 32 bits; -1 when not one. */
static long long parse_count(const char *s)
{
	char *end;
	long long v;
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < 0 || v > 0xffffffffLL)
		return -1;
	return v;
}

int vm_shard_parse(const char *text, vm_shard *out, char *err, size_t errlen)
{
	const char *slash = strchr(text, '/');
	char *left;
	long long i, n;
	if (!slash) {
		snprintf(err, errlen, "--shard '%s': expected I/N, for example 0/4", text);
		return -1;
	}
	left = xstrndup(text, (size_t)(slash - text));
	i = parse_count(left);
	n = parse_count(slash + 1);
	free(left);
	if (i < 0 || n < 1 || i >= n) {
		snprintf(err, errlen, "--shard '%s': expected I/N with 0 <= I < N", text);
		return -1;
	}
	out->index = (uint32_t)i;
	out->count = (uint32_t)n;
	return 0;
}

int vm_shard_resolve(const char *spec, long shards, vm_shard *out, char *err, size_t errlen)
{
	const char *slurm_id = getenv("SLURM_ARRAY_TASK_ID");
	const char *k8s = getenv("JOB_COMPLETION_INDEX");
	out->index = 0;
	out->count = 1;
	if (spec)
		return vm_shard_parse(spec, out, err, errlen);
	if (slurm_id && *slurm_id) {
		const char *cnt = getenv("SLURM_ARRAY_TASK_COUNT");
		const char *min = getenv("SLURM_ARRAY_TASK_MIN");
		long long id = parse_count(slurm_id), lo = min && *min ? parse_count(min) : 0;
		long long n = shards > 0 ? shards : parse_count(cnt);
		if (id < 0 || lo < 0 || id < lo) {
			snprintf(err, errlen, "SLURM_ARRAY_TASK_ID '%s' (minus SLURM_ARRAY_TASK_MIN '%s') is not a shard index",
			         slurm_id, min ? min : "");
			return -1;
		}
		if (n < 1) {
			snprintf(err, errlen, "SLURM_ARRAY_TASK_ID is set but neither --shards nor SLURM_ARRAY_TASK_COUNT gives the number of shards");
			return -1;
		}
		if (id - lo >= n) {
			snprintf(err, errlen, "shard index %lld (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) is not below the %lld shards",
			         id - lo, n);
			return -1;
		}
		out->index = (uint32_t)(id - lo);
		out->count = (uint32_t)n;
		return 0;
	}
	if (k8s && *k8s) {
		long long id = parse_count(k8s);
		if (shards < 1) {
			snprintf(err, errlen, "JOB_COMPLETION_INDEX is set: give the number of shards with --shards N");
			return -1;
		}
		if (id < 0 || id >= shards) {
			snprintf(err, errlen, "JOB_COMPLETION_INDEX '%s' is not a shard index below --shards %ld", k8s, shards);
			return -1;
		}
		out->index = (uint32_t)id;
		out->count = (uint32_t)shards;
		return 0;
	}
	if (shards > 1) {
		snprintf(err, errlen, "--shards %ld needs --shard I/N or a job array index (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX)", shards);
		return -1;
	}
	return 0;
}
