# model/embed.mk: vlsnr-embed (included by model/local.mk).
