# crawler/web.mk: the simulated web: rendering and serving (included by crawler/local.mk).
