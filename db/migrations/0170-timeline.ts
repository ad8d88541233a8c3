// Any process opening a case file: migration 170, the case's timeline — one row per event of every source — with its full-text and hourly-count indexes.
// Shipped migrations are never edited (DESIGN.md): add a new numbered module instead.

// The timeline is an index over the tables the case already verifies (event, application, service_principal,
// tenant_object, object_change, custody) and over the findings computed from them: main/timeline/model.ts builds it,
// `verify --deep` checks it against those tables (main/timeline/check.ts), and the export streams it. A record read by
// two collections, or collected and imported, is one row: the key is the source's own record id, and the row points at
// the first event that holds it. Times are UTC ISO with milliseconds, so text order is time order.
//
// source: 'signin', 'directory_audit', 'ual', 'exchange' (Unified Audit Log ExchangeAdmin records: cmdlets),
// 'object' (an object's lifetime: created, credential added, gone from or back in a later collection), 'finding'
// (first seen) and 'custody'. operation is the source's own wording ('Add service principal.', 'New-InboxRule').
export default /* sql */ `
CREATE TABLE timeline (
  id           INTEGER PRIMARY KEY,
  at           TEXT NOT NULL CHECK (at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'),
  source       TEXT NOT NULL,
  record_id    TEXT NOT NULL,
  operation    TEXT NOT NULL,
  result       TEXT NOT NULL,
  actor        TEXT,
  actor_app_id TEXT,
  ip           TEXT,
  target_type  TEXT,
  target_id    TEXT,
  target_name  TEXT,
  message      TEXT NOT NULL,
  -- The first event row holding the record (log sources), the evidence page it was read from, the custody entry.
  event_id     INTEGER,
  evidence_id  INTEGER,
  custody_seq  INTEGER,
  -- How many findings the row supports (their keys are in timeline_support).
  findings     INTEGER NOT NULL DEFAULT 0 CHECK (findings >= 0),
  UNIQUE (source, record_id)
) STRICT;

-- Keyset paging by (at, id): the rowid rides along in every index, so each of these serves ORDER BY at, id after
-- an equality on its first column.
CREATE INDEX timeline_byAt ON timeline (at);
CREATE INDEX timeline_bySourceAt ON timeline (source, at);
CREATE INDEX timeline_byIpAt ON timeline (ip, at);
CREATE INDEX timeline_byActorAt ON timeline (actor COLLATE NOCASE, at);
CREATE INDEX timeline_byOperationAt ON timeline (operation COLLATE NOCASE, at);
CREATE INDEX timeline_byActorAppIdAt ON timeline (actor_app_id COLLATE NOCASE, at);
CREATE INDEX timeline_byTargetIdAt ON timeline (target_id COLLATE NOCASE, at);
CREATE INDEX timeline_byTargetNameAt ON timeline (target_name COLLATE NOCASE, at);
CREATE INDEX timeline_bySupportingAt ON timeline (at) WHERE findings > 0;

-- Which findings each row supports (the finding's own events, the objects it names, the finding's own row).
CREATE TABLE timeline_support (
  finding_key TEXT NOT NULL,
  timeline_id INTEGER NOT NULL,
  PRIMARY KEY (finding_key, timeline_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX timeline_support_byTimelineId ON timeline_support (timeline_id);

-- What a consultant types: names, addresses, ids, operation words. Contentless: the text lives in timeline, the
-- index only maps words to timeline ids (rowid = timeline.id).
CREATE VIRTUAL TABLE timeline_fts USING fts5 (text, content = '', contentless_delete = 1);

-- Rows per hour, source and result: the histogram of the whole case without reading every row.
CREATE TABLE timeline_hour (
  hour   TEXT NOT NULL,
  source TEXT NOT NULL,
  result TEXT NOT NULL,
  n      INTEGER NOT NULL CHECK (n >= 0),
  PRIMARY KEY (hour, source, result)
) STRICT, WITHOUT ROWID;

-- How far the index has read: event rows up to event_id, custody up to custody_seq, findings of findings_run.
CREATE TABLE timeline_state (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  event_id     INTEGER NOT NULL DEFAULT 0,
  custody_seq  INTEGER NOT NULL DEFAULT 0,
  objects_key  TEXT NOT NULL DEFAULT '',
  built_at     TEXT
) STRICT;

INSERT INTO timeline_state (id) VALUES (1);
`;
