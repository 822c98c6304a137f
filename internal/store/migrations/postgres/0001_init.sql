-- The knowledge base: the same records as the SQLite store. Text is
-- analysed in Go; the analyzer terms are kept with each chunk so every
-- replica builds the same in-memory index (PostgreSQL's own text search is
-- not used for ranking).
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE documents (
  id          TEXT PRIMARY KEY,
  collection  TEXT NOT NULL,
  key         TEXT NOT NULL,
  source      TEXT NOT NULL,
  title       TEXT NOT NULL DEFAULT '',
  type        TEXT NOT NULL,
  language    TEXT NOT NULL DEFAULT '',
  hash        TEXT NOT NULL,
  text_hash   TEXT NOT NULL,
  size        BIGINT NOT NULL,
  pages       INTEGER NOT NULL DEFAULT 0,
  chars       INTEGER NOT NULL,
  text        TEXT NOT NULL,
  blocks      TEXT NOT NULL DEFAULT '[]',
  metadata    TEXT NOT NULL DEFAULT '{}',
  ingested_at TEXT NOT NULL,
  UNIQUE (collection, key)
);
CREATE TABLE chunks (
  rowid       BIGSERIAL PRIMARY KEY,
  id          TEXT NOT NULL UNIQUE,
  document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  collection  TEXT NOT NULL,
  ordinal     INTEGER NOT NULL,
  start_off   INTEGER NOT NULL,
  end_off     INTEGER NOT NULL,
  page        INTEGER NOT NULL DEFAULT 0,
  headings    TEXT NOT NULL DEFAULT '[]',
  tokens      INTEGER NOT NULL,
  text        TEXT NOT NULL,
  title_terms TEXT NOT NULL,
  body_terms  TEXT NOT NULL
);
CREATE INDEX chunks_document ON chunks(document_id, ordinal);
CREATE INDEX chunks_collection ON chunks(collection, rowid);
CREATE TABLE originals (
  document_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
  data        BYTEA NOT NULL
);
CREATE TABLE chunk_vectors (
  rowid      BIGINT PRIMARY KEY REFERENCES chunks(rowid) ON DELETE CASCADE,
  collection TEXT NOT NULL,
  vec        BYTEA NOT NULL
);
CREATE INDEX chunk_vectors_collection ON chunk_vectors(collection, rowid);
CREATE TABLE embedding_cache (
  embedder TEXT NOT NULL,
  hash     BYTEA NOT NULL,
  vec      BYTEA NOT NULL,
  PRIMARY KEY (embedder, hash)
);
-- The change log: one row per committed add, replace, delete or embed
-- (store.Change), its sequence taken from the generation counter. Writers
-- take the generation row lock last, so sequences commit in order and a
-- follower reading seq > N never skips a change.
CREATE TABLE changes (
  seq         BIGINT PRIMARY KEY,
  op          TEXT NOT NULL,
  collection  TEXT NOT NULL,
  document_id TEXT NOT NULL DEFAULT '',
  key         TEXT NOT NULL DEFAULT '',
  rows        BIGINT[] NOT NULL DEFAULT '{}',
  at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX changes_collection ON changes(collection, seq);
INSERT INTO meta(key, value) VALUES ('generation', '0');
