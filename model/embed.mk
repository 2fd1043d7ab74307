# model/embed.mk: vlsnr-embed (included by model/local.mk): CLIP ViT image and
# text encoders (clip.c), the exact CLIP tokenizer (bpe.c), the non-learned
# hash baseline (embed-hash.c); checkpoints through model/libsafetensors.a.
noinst_LIBRARIES += model/libembed.a
model_libembed_a_SOURCES = model/bpe.c model/bpe.h \
	model/bpe-entities.h model/clip.c model/clip.h model/embed-hash.c model/embed-hash.h
model_libembed_a_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS) $(OPENBLAS_CFLAGS) $(CJSON_CFLAGS)
EMBED_LIBS = model/libembed.a model/libsafetensors.a $(VMIND_LIBS) $(VIPS_LIBS) $(OPENBLAS_LIBS) $(CJSON_LIBS) $(UNISTRING_LIBS)

bin_PROGRAMS += model/vlsnr-embed
model_vlsnr_embed_SOURCES = model/vlsnr-embed.c
model_vlsnr_embed_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS) $(OPENBLAS_CFLAGS) $(CJSON_CFLAGS)
model_vlsnr_embed_LDADD = $(EMBED_LIBS)
dist_man_MANS += man/vlsnr-embed.1
EXTRA_DIST += bench/embed.sh

# the timing program bench/embed.sh runs (not installed)
noinst_PROGRAMS += model/embed-bench
model_embed_bench_SOURCES = model/embed-bench.c
model_embed_bench_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS) $(OPENBLAS_CFLAGS) $(CJSON_CFLAGS)
model_embed_bench_LDADD = $(EMBED_LIBS)
