# model/local.mk: the two model subsystems, one folder each: CLIP features
# (clip/: vlsnr-embed) and the VLSNR recommender (vlsnr/: vlsnr-train,
# vlsnr-eval). They share only the safetensors reader of libvmind.
include model/clip/local.mk
include model/vlsnr/local.mk
