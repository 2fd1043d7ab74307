# model/train.mk: vlsnr-train and vlsnr-eval (included by model/local.mk).
