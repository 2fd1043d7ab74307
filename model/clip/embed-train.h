/* embed-train.h: the finetune and train subcommands of vlsnr-embed
 * (embed-train.c): CLIP trained with its own contrastive loss on the
 * (cover, title) pairs of a dataset, from a checkpoint (finetune, the last
 * N blocks) or from a random initialisation of the shape a config.json
 * gives (train, every tensor), into a checkpoint folder that vlsnr-embed
 * reads; resumable after a kill. See vlsnr-embed(1). */
#ifndef VMIND_EMBED_TRAIN_H
#define VMIND_EMBED_TRAIN_H

#include <stddef.h>
#include <stdint.h>

typedef struct embed_train_opts {
	int scratch;               /* 1: train (from a random initialisation), 0: finetune */
	const char *clipdir;       /* finetune: the checkpoint folder to start from */
	const char *config;        /* train: the config.json giving the shape */
	const char *const *news;   /* [n_news] MIND news.tsv files */
	size_t n_news;
	const char *images;        /* the covers, DIR/<id>.jpg ... */
	const char *db;            /* or NULL: the provenance database naming the real covers */
	const char *out;           /* the checkpoint folder written */
	int layers;                /* N, or CLIP_FIT_ALL */
	int epochs, batch, jobs;
	double lr;
	uint64_t seed;
	double save_every;         /* seconds between saves of the state within an epoch */
} embed_train_opts;

/* Run finetune or train; the exit status (0; 1 when covers could not be
 * decoded, trained on as white ones; 2 with the reason on standard error). */
int embed_train(const embed_train_opts *o);

/* The cover of news item id in dir: dir/id.jpg, .jpeg, .png or .webp (the
 * first that is a regular file), malloc'ed; NULL when there is none. */
char *embed_find_image(const char *dir, const char *id);

#endif
