# model/vlsnr/local.mk: libvlsnr (layers as forward/backward pairs, the VLSNR
# model with Adam and safetensors checkpoints, feature and behaviors loading
# with split scoring, the training data loader, and the --synth-features
# scaffolding) and the two tools over it, vlsnr-train and vlsnr-eval.
noinst_LIBRARIES += model/vlsnr/libvlsnr.a
model_vlsnr_libvlsnr_a_SOURCES = \
	model/vlsnr/layers.c model/vlsnr/layers.h \
	model/vlsnr/vlsnr.c model/vlsnr/vlsnr.h \
	model/vlsnr/vlsnr-data.c model/vlsnr/vlsnr-data.h \
	model/vlsnr/loader.c model/vlsnr/loader.h \
	model/vlsnr/synth-features.c
model_vlsnr_libvlsnr_a_CFLAGS = $(AM_CFLAGS) $(OPENBLAS_CFLAGS) $(CJSON_CFLAGS)
VLSNR_LIBS = model/vlsnr/libvlsnr.a $(VMIND_LIBS) $(OPENBLAS_LIBS) $(CJSON_LIBS) -lm

bin_PROGRAMS += model/vlsnr/vlsnr-train model/vlsnr/vlsnr-eval
model_vlsnr_vlsnr_train_SOURCES = model/vlsnr/vlsnr-train.c
model_vlsnr_vlsnr_train_CFLAGS = $(AM_CFLAGS) $(OPENBLAS_CFLAGS)
model_vlsnr_vlsnr_train_LDADD = $(VLSNR_LIBS)
model_vlsnr_vlsnr_eval_SOURCES = model/vlsnr/vlsnr-eval.c
model_vlsnr_vlsnr_eval_CFLAGS = $(AM_CFLAGS) $(OPENBLAS_CFLAGS)
model_vlsnr_vlsnr_eval_LDADD = $(VLSNR_LIBS)
dist_man_MANS += man/vlsnr-train.1 man/vlsnr-eval.1
