# datasets/local.mk: build rules of datasets/ (included by the top Makefile.am).
EXTRA_DIST += datasets/SYNTHETIC.md
EXTRA_DIST += datasets/README.md datasets/get-mind.sh
EXTRA_DIST += datasets/slurm-array.sh datasets/build-vmind.sh
