/* shard.h: splitting the news items among N independent jobs. An item
 * belongs to shard FNV-1a-64(id) mod N, a hash of its id text ("N12345") that
 * is stable across machines, runs and tool versions. The shard comes from
 * --shard I/N (0 <= I < N), or else from the job array's environment: Slurm
 * (SLURM_ARRAY_TASK_ID minus SLURM_ARRAY_TASK_MIN, of SLURM_ARRAY_TASK_COUNT)
 * or Kubernetes Indexed Jobs (JOB_COMPLETION_INDEX, with --shards N). */
#ifndef VMIND_SHARD_H
#define VMIND_SHARD_H

#include <stddef.h>
#include <stdint.h>

typedef struct vm_shard {
	uint32_t index;   /* this job's shard, 0 <= index < count */
	uint32_t count;   /* number of shards; 1 = no sharding */
} vm_shard;

/* Parse "I/N" (0 <= I < N). 0, or -1 with a message in err. */
int vm_shard_parse(const char *text, vm_shard *out, char *err, size_t errlen);
/* Resolve the shard: from spec ("I/N", may be NULL), else from the
 * environment (shards = the --shards value, 0 when not given), else 0/1.
 * 0, or -1 with a message naming the variable or option at fault. */
int vm_shard_resolve(const char *spec, long shards, vm_shard *out, char *err, size_t errlen);
/* The shard of a news id (the text, e.g. "N12345"), for `count` shards. */
uint32_t vm_shard_of(const char *id, uint32_t count);
/* 1 when the news id belongs to this job's shard. */
int vm_shard_mine(const vm_shard *s, const char *id);

#endif
