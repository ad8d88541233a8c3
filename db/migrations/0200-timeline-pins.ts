// Any process opening a case file: migration 200, the examiner's pins on timeline events, each the projection of a custody entry.
// Shipped migrations are never edited (DESIGN.md): add a new numbered module instead.

// A pin marks one timeline event (by its source and the source's own record id, which survive a rebuild of the
// index) with a note. Pinning and unpinning are both custody entries ('timeline.pin', details.state); this table is
// their append-only projection, which verify rebuilds from custody and compares (main/case/trust.ts). The event's
// time and the SHA-256 of its evidence page are recorded with the pin, so the report and the export show what was
// pinned even when the index is rebuilt.
export default /* sql */ `
CREATE TABLE timeline_pin (
  seq             INTEGER PRIMARY KEY,
  source          TEXT NOT NULL,
  record_id       TEXT NOT NULL,
  state           TEXT NOT NULL CHECK (state IN ('pinned', 'unpinned')),
  note            TEXT NOT NULL DEFAULT '',
  event_at        TEXT NOT NULL,
  evidence_sha256 TEXT,
  at              TEXT NOT NULL,
  actor           TEXT NOT NULL,
  custody_seq     INTEGER NOT NULL REFERENCES custody (seq)
) STRICT;

CREATE INDEX timeline_pin_bySourceRecordIdSeq ON timeline_pin (source, record_id, seq);

CREATE TRIGGER timeline_pin_refuseUpdate BEFORE UPDATE ON timeline_pin
BEGIN
  SELECT RAISE(ABORT, 'timeline_pin is append-only: a pin is changed or removed by a new entry');
END;

CREATE TRIGGER timeline_pin_refuseDelete BEFORE DELETE ON timeline_pin
BEGIN
  SELECT RAISE(ABORT, 'timeline_pin is append-only: a pin is changed or removed by a new entry');
END;
`;
