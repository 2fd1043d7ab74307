# model/local.mk: vlsnr-embed (embed.mk) and vlsnr-train/vlsnr-eval (train.mk).
include model/embed.mk
include model/train.mk
