# tests/embed.mk: tests of the embed part (included by tests/local.mk):
# safetensors reader, tokenizer, the C CLIP against the PyTorch reference's
# golden files of the committed tiny model, the hash baseline, and the tool.
check_PROGRAMS += tests/unit/test-safetensors tests/unit/test-bpe tests/unit/test-clip tests/unit/test-clip-hash
tests_unit_test_safetensors_SOURCES = tests/unit/test-safetensors.c
tests_unit_test_safetensors_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS)
tests_unit_test_safetensors_LDADD = $(EMBED_LIBS)
tests_unit_test_bpe_SOURCES = tests/unit/test-bpe.c
tests_unit_test_bpe_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS)
tests_unit_test_bpe_LDADD = $(EMBED_LIBS)
tests_unit_test_clip_SOURCES = tests/unit/test-clip.c
tests_unit_test_clip_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS)
tests_unit_test_clip_LDADD = $(EMBED_LIBS)
tests_unit_test_clip_hash_SOURCES = tests/unit/test-clip-hash.c
tests_unit_test_clip_hash_CFLAGS = $(AM_CFLAGS) $(VIPS_CFLAGS)
tests_unit_test_clip_hash_LDADD = $(EMBED_LIBS)
TESTS += tests/unit/test-safetensors tests/unit/test-bpe tests/unit/test-clip tests/unit/test-clip-hash
TESTS += tests/t0601-embed.sh
EXTRA_DIST += tests/t0601-embed.sh tests/reference/clip_ref.py \
	tests/data/embed/strings.txt tests/data/embed/texts.txt tests/data/embed/tokens.txt \
	tests/data/embed/crops.txt tests/data/embed/golden-image.txt tests/data/embed/golden-text.txt \
	tests/data/embed/tiny-clip/config.json tests/data/embed/tiny-clip/model.safetensors \
	tests/data/embed/tiny-clip/vocab.json tests/data/embed/tiny-clip/merges.txt \
	tests/data/embed/img/a-square224.png tests/data/embed/img/b-landscape.png \
	tests/data/embed/img/c-portrait-up.png tests/data/embed/img/d-wide.png \
	tests/data/embed/img/e-grey.png tests/data/embed/img/f-alpha.png tests/data/embed/img/g-white.png \
	tests/data/embed/img/h-photo.jpg tests/data/embed/img/i-cmyk.jpg
TESTS += tests/t0602-embed-shard.sh
EXTRA_DIST += tests/t0602-embed-shard.sh
