/* test-shard.c: vm_shard_of is FNV-1a-64 of the id text mod N (values
 * computed independently below), every item lands in exactly one shard, and
 * the shard comes from --shard, Slurm's or Kubernetes' environment, with
 * clear errors for bad values. */
#include "config.h"
#include "vmind/lib/shard.h"
#include "vmind/lib/util.h"
#include "tap.h"

#include <stdlib.h>

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 14695981039346656037ULL;
	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static void clear_env(void)
{
	unsetenv("SLURM_ARRAY_TASK_ID");
	unsetenv("SLURM_ARRAY_TASK_COUNT");
	unsetenv("SLURM_ARRAY_TASK_MIN");
	unsetenv("JOB_COMPLETION_INDEX");
}

int main(void)
{
	vm_shard s;
	char err[256];
	int counts[4] = { 0 }, all_one = 1;

	/* FNV-1a 64 of "N1": known value from the reference algorithm */
	ok(fnv1a("a") == 0xaf63dc4c8601ec8cULL, "reference FNV-1a-64(\"a\") is the published value");
	ok(vm_shard_of("N1", 4) == fnv1a("N1") % 4, "N1 -> shard FNV-1a(\"N1\") mod 4");
	ok(vm_shard_of("N130379", 7) == fnv1a("N130379") % 7, "N130379 -> shard mod 7");
	ok(vm_shard_of("N5", 1) == 0, "one shard: everything in shard 0");
	for (int i = 1; i <= 4000; i++) {
		char id[16];
		int owners = 0;
		snprintf(id, sizeof id, "N%d", i);
		counts[vm_shard_of(id, 4)]++;
		for (uint32_t k = 0; k < 4; k++) {
			vm_shard me = { k, 4 };
			owners += vm_shard_mine(&me, id);
		}
		if (owners != 1)
			all_one = 0;
	}
	ok(all_one, "each of 4000 ids is in exactly one of 4 shards");
	ok(counts[0] > 800 && counts[1] > 800 && counts[2] > 800 && counts[3] > 800,
	   "4 shards are balanced: %d %d %d %d", counts[0], counts[1], counts[2], counts[3]);

	clear_env();
	ok(vm_shard_parse("2/5", &s, err, sizeof err) == 0 && s.index == 2 && s.count == 5, "--shard 2/5");
	ok(vm_shard_parse("5/5", &s, err, sizeof err) == -1, "--shard 5/5 refused");
	is_str(err, "--shard '5/5': expected I/N with 0 <= I < N", "message for 5/5");
	ok(vm_shard_parse("3", &s, err, sizeof err) == -1, "--shard 3 refused");
	is_str(err, "--shard '3': expected I/N, for example 0/4", "message for 3");
	ok(vm_shard_parse("-1/4", &s, err, sizeof err) == -1, "--shard -1/4 refused");
	ok(vm_shard_parse("1/0", &s, err, sizeof err) == -1, "--shard 1/0 refused");

	ok(vm_shard_resolve(NULL, 0, &s, err, sizeof err) == 0 && s.index == 0 && s.count == 1,
	   "no option, no environment: one shard");
	setenv("SLURM_ARRAY_TASK_ID", "3", 1);
	setenv("SLURM_ARRAY_TASK_COUNT", "4", 1);
	ok(vm_shard_resolve(NULL, 0, &s, err, sizeof err) == 0 && s.index == 3 && s.count == 4,
	   "Slurm task 3 of 4");
	setenv("SLURM_ARRAY_TASK_ID", "4", 1);
	setenv("SLURM_ARRAY_TASK_MIN", "1", 1);
	ok(vm_shard_resolve(NULL, 0, &s, err, sizeof err) == 0 && s.index == 3 && s.count == 4,
	   "Slurm --array=1-4: task 4 is shard 3");
	ok(vm_shard_resolve("0/2", 0, &s, err, sizeof err) == 0 && s.index == 0 && s.count == 2,
	   "--shard wins over the environment");
	setenv("SLURM_ARRAY_TASK_ID", "9", 1);
	ok(vm_shard_resolve(NULL, 0, &s, err, sizeof err) == -1, "Slurm index beyond the count refused");
	clear_env();
	setenv("JOB_COMPLETION_INDEX", "2", 1);
	ok(vm_shard_resolve(NULL, 3, &s, err, sizeof err) == 0 && s.index == 2 && s.count == 3,
	   "Kubernetes index 2 with --shards 3");
	ok(vm_shard_resolve(NULL, 0, &s, err, sizeof err) == -1, "Kubernetes index without --shards refused");
	is_str(err, "JOB_COMPLETION_INDEX is set: give the number of shards with --shards N", "message names the variable");
	clear_env();
	ok(vm_shard_resolve(NULL, 4, &s, err, sizeof err) == -1, "--shards without an index refused");
	return tap_done();
}
