package store

// schemaVersion changes whenever the tables below change incompatibly.
const schemaVersion = "1"

const schemaSQL = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
  id          TEXT PRIMARY KEY,
  collection  TEXT NOT NULL,
  key         TEXT NOT NULL,
  source      TEXT NOT NULL,
  title       TEXT NOT NULL DEFAULT '',
  type        TEXT NOT NULL,
  language    TEXT NOT NULL DEFAULT '',
  hash        TEXT NOT NULL,
  text_hash   TEXT NOT NULL,
  size        INTEGER NOT NULL,
  pages       INTEGER NOT NULL DEFAULT 0,
  chars       INTEGER NOT NULL,
  text        TEXT NOT NULL,
  blocks      TEXT NOT NULL DEFAULT '[]',
  metadata    TEXT NOT NULL DEFAULT '{}',
  ingested_at TEXT NOT NULL,
  UNIQUE (collection, key)
);
CREATE TABLE IF NOT EXISTS chunks (
  rowid       INTEGER PRIMARY KEY,
  id          TEXT NOT NULL UNIQUE,
  document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  collection  TEXT NOT NULL,
  ordinal     INTEGER NOT NULL,
  start       INTEGER NOT NULL,
  end         INTEGER NOT NULL,
  page        INTEGER NOT NULL DEFAULT 0,
  headings    TEXT NOT NULL DEFAULT '[]',
  tokens      INTEGER NOT NULL,
  text        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks(document_id, ordinal);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
  coll, title, body,
  tokenize='ascii'
);
CREATE TABLE IF NOT EXISTS originals (
  document_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
  data        BLOB NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_vocab USING fts5vocab(chunks_fts, 'row');
`
