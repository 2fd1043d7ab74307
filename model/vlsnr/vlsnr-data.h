/* vlsnr-data.h: what vlsnr-train and vlsnr-eval read: the feature directory
 * vlsnr-embed writes (FEATDIR/ids.txt, FEATDIR/{image,title,category,
 * subcategory}.npy float32 N x D, FEATDIR/white.npy 1 x D) with the field
 * subset and image ratio of an ablation applied, and a split's behaviors.tsv
 * held in memory as feature rows; plus the scoring of a whole split (news
 * vectors once, user vectors once per impression). */
#ifndef VMIND_VLSNR_DATA_H
#define VMIND_VLSNR_DATA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vlsnr.h"
#include "vmind/lib/metrics.h"

enum { FIELD_IMAGE, FIELD_TITLE, FIELD_CATEGORY, FIELD_SUBCATEGORY, NFIELDS };

/* Parse "image,title,..." into field ids (order kept, no repeats); returns
 * the count or -1 with a message in err. */
int vlsnr_parse_fields(const char *s, int fields[NFIELDS], char *err, size_t errlen);
/* Canonical text of a field list, into buf. */
void vlsnr_fields_text(const int *fields, int nf, char *buf, size_t len);
/* The field list a checkpoint's metadata records ("fields"), or def when
 * it records none, parsed as vlsnr_parse_fields does. */
int vlsnr_meta_fields(const char *path, const char *def, int fields[NFIELDS], char *err, size_t errlen);

typedef struct vlsnr_feats {
	size_t n;              /* news items */
	int D;                 /* vector size */
	int nf;                /* fields used */
	int fields[NFIELDS];   /* FIELD_* in model order */
	float *data[NFIELDS];  /* [n,D] per field id, NULL when unused */
	float *white;          /* [D] the white-image feature (NULL unless the
				* image field is used with image_ratio < 1) */
	double image_ratio;    /* share of news keeping their real image */
	uint32_t maxnum;       /* largest news number */
	int32_t *row_of;       /* [maxnum+1] feature row of news N<num>, -1 if absent */
	uint32_t *num;         /* [n] news number of each row */
} vlsnr_feats;

/* Load the fields a model uses from FEATDIR; 0, or -1 with err. */
int vlsnr_feats_load(vlsnr_feats *f, const char *dir, const int *fields, int nf,
		     double image_ratio, char *err, size_t errlen);
void vlsnr_feats_free(vlsnr_feats *f);
/* Feature row of a news number or -1. */
static inline int32_t vlsnr_feats_row(const vlsnr_feats *f, uint32_t num)
{
	return num <= f->maxnum ? f->row_of[num] : -1;
}
/* 1 when news row keeps its real image under image_ratio (a fixed hash of
 * its news number, so train and eval agree). */
int vlsnr_keeps_image(const vlsnr_feats *f, size_t row);
/* out[u,F,D] = the model's fields of rows[u], u < U (the white-image
 * feature for an image vlsnr_keeps_image drops). */
void vlsnr_feats_fill(const vlsnr_feats *f, const int32_t *rows, int U, float *out);

/* A split's impressions, as feature rows. */
typedef struct vlsnr_split {
	size_t n;               /* impressions */
	uint64_t *imp_id;       /* [n] */
	size_t *hist_off;       /* [n+1] into hist */
	int32_t *hist;          /* history feature rows, oldest first (-1: no features) */
	size_t *cand_off;       /* [n+1] into cand/label */
	int32_t *cand;          /* candidate feature rows (-1: no features) */
	int8_t *label;          /* 1, 0, or -1 (unlabelled) */
	int labelled;           /* every impression labelled */
	size_t missing;         /* candidate or history items without features */
} vlsnr_split;

/* Read DIR/behaviors.tsv. 0, or -1 with "FILE:LINE: ..." in err. */
int vlsnr_split_load(vlsnr_split *s, const char *dir, const vlsnr_feats *f, char *err, size_t errlen);
void vlsnr_split_free(vlsnr_split *s);
/* rows[P] = the last P history rows of impression i, oldest first,
 * left-padded with -1. */
void vlsnr_split_history(const vlsnr_split *s, size_t i, int P, int32_t *rows);

/* Score every impression of a split with its last history items: scores
 * laid out like cand (0 for a candidate without features). Computes news
 * vectors for every feature row once, then user vectors in batches. */
void vlsnr_score_split(const vlsnr_model *m, const vlsnr_feats *f, const vlsnr_split *s,
		       int history, double *scores);
/* AUC, MRR and nDCG of every impression of a labelled split, from scores
 * laid out like cand. */
void vlsnr_split_metrics(const vlsnr_split *s, const double *scores, vm_metrics *mt);
/* Write prediction.txt lines "ImpressionID [r1,r2,...]" (rank 1 = highest
 * score, ties by candidate order). */
void vlsnr_write_prediction(FILE *fp, const vlsnr_split *s, const double *scores);
/* Write truth.txt lines "ImpressionID [l1,l2,...]" of a labelled split. */
void vlsnr_write_truth(FILE *fp, const vlsnr_split *s);

/* TEST SCAFFOLDING (synth-features.c): write FEATDIR in vlsnr-embed's layout
 * from a vmind-synth dataset's truth (hashed title words, category names and
 * the cover's visual attributes), D-dimensional. Dies (exit 2) on error. */
void vlsnr_fake_features(const char *mind, const char *featdir, int D);

#endif
