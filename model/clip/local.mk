# model/clip/local.mk: libclip (CLIP's ViT image and text towers in clip.c,
# its exact tokenizer in bpe.c, the non-learned hash encoder in embed-hash.c)
# and vlsnr-embed over it; embed-bench is the timing program of
# bench/embed.sh (not installed).
noinst_LIBRARIES += model/clip/libclip.a
model_clip_libclip_a_SOURCES = model/clip/bpe.c model/clip/bpe.h model/clip/bpe-entities.h \
	model/clip/clip.c model/clip/clip.h model/clip/embed-hash.c model/clip/embed-hash.h \
	model/clip/clip-train.c model/clip/clip-train.h model/clip/clip-fit.c model/clip/clip-fit.h
model_clip_libclip_a_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS) $(OPENBLAS_CFLAGS) $(CJSON_CFLAGS)
CLIP_LIBS = model/clip/libclip.a $(VMIND_LIBS) $(VIPS_LIBS) $(OPENBLAS_LIBS) $(CJSON_LIBS) $(UNISTRING_LIBS)

bin_PROGRAMS += model/clip/vlsnr-embed
model_clip_vlsnr_embed_SOURCES = model/clip/vlsnr-embed.c model/clip/embed-train.c model/clip/embed-train.h
model_clip_vlsnr_embed_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS) $(OPENBLAS_CFLAGS) $(CJSON_CFLAGS)
model_clip_vlsnr_embed_LDADD = $(CLIP_LIBS)
dist_man_MANS += man/vlsnr-embed.1
# the small CLIP of the offline default (demo.sh: vlsnr-embed train --config)
EXTRA_DIST += model/clip/small-clip.json

noinst_PROGRAMS += model/clip/embed-bench
model_clip_embed_bench_SOURCES = model/clip/embed-bench.c
model_clip_embed_bench_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS) $(OPENBLAS_CFLAGS) $(CJSON_CFLAGS)
model_clip_embed_bench_LDADD = $(CLIP_LIBS)
