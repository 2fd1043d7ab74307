# crawler/local.mk: vmind-crawl (crawl.mk) and the simulated web (web.mk).
include crawler/web.mk
include crawler/crawl.mk
