-- schema.sql: the provenance database of vmind, schema version 1.
-- One row per news item (its MIND metadata and crawl state), the image chosen
-- for it and where that image came from, every request the crawler made, the
-- resized output, the picks a curator rejected, and the robots.txt of each
-- host. Compiled into libvmind (vmind/schema.c is generated from
-- this file); vm_db_open() runs it on a new database and sets
-- PRAGMA user_version = 1. Later versions are reached by the forward
-- migrations in vmind/lib/db.c, never by editing this file in place. Documented
-- in man/vmind.7.

-- Free-form facts about the database: who made it, with which options.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT
);

-- Every news item of every split that was given to a tool, once.
CREATE TABLE news (
  num         INTEGER PRIMARY KEY CHECK (num > 0), -- 12345 for N12345
  id          TEXT NOT NULL UNIQUE CHECK (id = 'N' || num), -- 'N12345'
  splits      TEXT NOT NULL DEFAULT '',     -- split names it appears in, comma-separated, sorted: 'dev,train'
  category    TEXT NOT NULL,
  subcategory TEXT NOT NULL,
  title       TEXT NOT NULL,
  url         TEXT NOT NULL,
  state       TEXT NOT NULL DEFAULT 'pending'
              CHECK (state IN ('pending', 'done', 'failed')),
  attempts    INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0), -- times the crawler worked the item
  outcome     TEXT,                         -- done: 'image' or 'no-image'; failed: error class
  last_error  TEXT,                         -- the last error met, if any
  updated_at  REAL                          -- unix time of the last state change
);
CREATE INDEX news_state ON news (state);

-- The image chosen for a news item, with its provenance. At most one per item.
CREATE TABLE image (
  news_num          INTEGER PRIMARY KEY REFERENCES news (num) ON DELETE CASCADE,
  tier              TEXT NOT NULL
                    CHECK (tier IN ('origin', 'archive', 'search', 'placeholder')),
  page_url          TEXT,     -- page the image was found on: article, capture or search result
  image_url         TEXT,     -- image URL as extracted from the page (absolute)
  final_url         TEXT,     -- image URL after redirects
  http_status       INTEGER,  -- status of the final image response
  mime              TEXT,     -- type sniffed from the bytes, e.g. 'image/jpeg'
  bytes             INTEGER,  -- size of the raw file
  sha256            TEXT,     -- of the raw bytes, lower-case hex
  width             INTEGER,  -- of the raw image, in pixels
  height            INTEGER,
  raw_path          TEXT,     -- relative to the crawl's --out directory: 'raw/N12345.jpg'
  capture_timestamp TEXT,     -- archive: Wayback timestamp of the page capture (YYYYMMDDhhmmss)
  capture_url       TEXT,     -- archive: URL of the raw page capture
  image_capture_timestamp TEXT, -- archive: timestamp of the image capture, when the live image was dead
  search_backend    TEXT,     -- search: 'searx', 'google-cse', 'brave'
  search_query      TEXT,     -- search: the query sent
  search_rank       INTEGER CHECK (search_rank >= 1), -- search: 1-based rank of the accepted result
  matched_title     TEXT,     -- search: title of the accepted result
  similarity        REAL CHECK (similarity BETWEEN 0 AND 1), -- search: headline similarity of the accepted result
  runner_up_similarity REAL CHECK (runner_up_similarity BETWEEN 0 AND 1), -- search: similarity of the best other result, NULL when none
  fetched_at        REAL NOT NULL  -- unix time
);
CREATE INDEX image_sha256 ON image (sha256);
CREATE INDEX image_tier ON image (tier);

-- Every HTTP request made for the crawl, successful or not.
CREATE TABLE request (
  id        INTEGER PRIMARY KEY,
  news_num  INTEGER REFERENCES news (num) ON DELETE CASCADE, -- NULL for requests not made for one item (robots.txt)
  time      REAL NOT NULL,    -- unix time the request started
  tier      TEXT,             -- origin, archive, search
  purpose   TEXT,             -- page, image, robots, cdx, capture, search
  url       TEXT NOT NULL,
  status    INTEGER,          -- HTTP status of the last response, 0 when none
  error     TEXT,             -- NULL on success, else what went wrong
  bytes     INTEGER,          -- body bytes received
  ms        REAL              -- wall time of the transfer
);
CREATE INDEX request_news ON request (news_num);

-- The resized output of a news item's image.
CREATE TABLE resized (
  news_num      INTEGER PRIMARY KEY REFERENCES news (num) ON DELETE CASCADE,
  path          TEXT NOT NULL,     -- relative to vmind-resize's --out: 'N12345.jpg'
  sha256        TEXT NOT NULL,     -- of the output file
  source_sha256 TEXT NOT NULL,     -- of the raw image it was made from
  size          INTEGER NOT NULL,  -- edge in pixels (output is size x size)
  mode          TEXT NOT NULL CHECK (mode IN ('crop', 'attention', 'pad', 'stretch')),
  format        TEXT NOT NULL,     -- jpg, png, webp
  quality       INTEGER,
  phash         INTEGER NOT NULL,  -- 64-bit perceptual hash (two's complement in SQLite's integer)
  created_at    REAL NOT NULL
);
CREATE INDEX resized_phash ON resized (phash);

-- Items vmind-resize could not turn into an output, with the reason.
CREATE TABLE resize_error (
  news_num      INTEGER PRIMARY KEY REFERENCES news (num) ON DELETE CASCADE,
  source_sha256 TEXT,
  error         TEXT NOT NULL,
  at            REAL NOT NULL
);

-- Picks a curator rejected (vmind-crawl --reject): the image row as it was,
-- kept after the image row is replaced, so that no item gets that image again
-- (looked up by sha256 and by image_url) and the report can show them apart.
CREATE TABLE rejected (
  id          INTEGER PRIMARY KEY,
  news_num    INTEGER NOT NULL REFERENCES news (num) ON DELETE CASCADE,
  tier        TEXT NOT NULL
              CHECK (tier IN ('origin', 'archive', 'search', 'placeholder')),
  page_url    TEXT,
  image_url   TEXT,
  sha256      TEXT,
  similarity  REAL,
  reason      TEXT,               -- free text from the reject file, may be NULL
  rejected_at REAL NOT NULL       -- unix time
);
CREATE INDEX rejected_sha256 ON rejected (sha256);
CREATE INDEX rejected_news ON rejected (news_num);

-- robots.txt of each host, fetched once and kept so that a resumed crawl
-- does not ask again (RFC 9309: a 4xx status allows all, a 5xx disallows all).
CREATE TABLE robots (
  host        TEXT PRIMARY KEY,   -- scheme, host and port (RFC 9309): 'https://assets.msn.com', 'http://h:8080' (default port left out)
  status      INTEGER NOT NULL,   -- HTTP status of the final response, 0 when none
  body        TEXT,               -- the rules as fetched (NULL when none)
  fetched_at  REAL NOT NULL       -- unix time
);
