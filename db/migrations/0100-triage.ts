// Any process opening a case file: migration 100, the triage history of findings, and the indexes the detection rules read by.
// Shipped migrations are never edited (DESIGN.md): add a new numbered module instead.

// Findings are computed from the case's contents whenever asked (the same evidence gives the same findings);
// what the examiner decides about them is history, kept append-only beside the custody entry that records it.
export default /* sql */ `
CREATE TABLE finding_triage (
  seq         INTEGER PRIMARY KEY,
  finding_key TEXT NOT NULL,
  rule_id     TEXT NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('open', 'confirmed', 'false_positive', 'needs_info')),
  note        TEXT NOT NULL DEFAULT '',
  at          TEXT NOT NULL,
  actor       TEXT NOT NULL,
  custody_seq INTEGER NOT NULL REFERENCES custody (seq)
) STRICT;

CREATE INDEX finding_triage_byFindingKey ON finding_triage (finding_key, seq);

CREATE TRIGGER finding_triage_refuseUpdate BEFORE UPDATE ON finding_triage
BEGIN
  SELECT RAISE(ABORT, 'finding_triage is append-only: a triage decision is changed by a new entry');
END;

CREATE TRIGGER finding_triage_refuseDelete BEFORE DELETE ON finding_triage
BEGIN
  SELECT RAISE(ABORT, 'finding_triage is append-only: a triage decision is changed by a new entry');
END;

-- The Unified Audit Log rules read one record type of one run (directory mirrors, ExchangeAdmin cmdlets).
CREATE INDEX ual_record_byRunIdRecordType ON ual_record (run_id, record_type);
-- Sign-in rules group one run's sign-ins by address.
CREATE INDEX sign_in_byRunIdIpAddress ON sign_in (run_id, ip_address);
`;
