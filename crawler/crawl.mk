# crawler/crawl.mk: vmind-crawl (included by crawler/local.mk).
