# model/local.mk: vlsnr-embed (embed.mk) and vlsnr-train/vlsnr-eval (train.mk),
# and the safetensors reader both read checkpoints with.
noinst_LIBRARIES += model/libsafetensors.a
model_libsafetensors_a_SOURCES = model/safetensors.c model/safetensors.h
model_libsafetensors_a_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
include model/embed.mk
include model/train.mk
