# crawler/local.mk: libcrawl (lib/: the crawl's core, its tiers, the page
# extractor, the HTTP engine, the network rules), the vmind-crawl tool over
# it (crawl/), and the simulated web it is tested on (web/).
include crawler/lib/local.mk
include crawler/crawl/local.mk
include crawler/web/local.mk
