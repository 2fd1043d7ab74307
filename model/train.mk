# model/train.mk: vlsnr-train and vlsnr-eval (included by model/local.mk).
# The model code is one small library that both tools and the unit tests
# link: layers (forward/backward pairs), the VLSNR model with Adam and
# safetensors checkpoints, feature/behaviors loading and split scoring, and
# the --synth-features test scaffolding (vlsnr_fakefeat.c).
noinst_LIBRARIES += model/libvlsnr.a
model_libvlsnr_a_SOURCES = \
	model/layers.c model/layers.h \
	model/vlsnr.c model/vlsnr.h \
	model/vlsnr_data.c model/vlsnr_data.h \
	model/vlsnr_fakefeat.c
model_libvlsnr_a_CFLAGS = $(AM_CFLAGS) $(OPENBLAS_CFLAGS) $(CJSON_CFLAGS)
VLSNR_LIBS = model/libvlsnr.a model/libsafetensors.a $(VMIND_LIBS) $(OPENBLAS_LIBS) $(CJSON_LIBS) -lm

bin_PROGRAMS += model/vlsnr-train model/vlsnr-eval
model_vlsnr_train_SOURCES = model/vlsnr_train.c
model_vlsnr_train_CFLAGS = $(AM_CFLAGS) $(OPENBLAS_CFLAGS)
model_vlsnr_train_LDADD = $(VLSNR_LIBS)
model_vlsnr_eval_SOURCES = model/vlsnr_eval.c
model_vlsnr_eval_CFLAGS = $(AM_CFLAGS) $(OPENBLAS_CFLAGS)
model_vlsnr_eval_LDADD = $(VLSNR_LIBS)

dist_man_MANS += man/vlsnr-train.1 man/vlsnr-eval.1
EXTRA_DIST += bench/train.sh
