# resize/local.mk: vmind-resize.
