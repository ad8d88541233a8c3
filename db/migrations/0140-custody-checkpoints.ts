// Any process opening a case file: migration 140, the examiner's signed checkpoints over the custody chain.
// Shipped migrations are never edited (DESIGN.md): add a new numbered module instead.

// A checkpoint is the examiner's Ed25519 signature over the custody chain up to one entry (at every export and
// every `case seal`). It is kept beside the chain, not in it: a checkpoint inside the chain would sign a head that
// already differs once it is appended, and would be deleted together with the entries it covers, which is the
// very truncation it exists to reveal. payload is the RFC 8785 canonical JSON that was signed (seq, head, the
// hashes of the entries since the previous checkpoint, that checkpoint's payload hash, the signer's public key).
export default /* sql */ `
CREATE TABLE custody_checkpoint (
  id        INTEGER PRIMARY KEY CHECK (id >= 1),
  payload   TEXT NOT NULL CHECK (json_valid(payload)),
  signature BLOB NOT NULL CHECK (length(signature) = 64)
) STRICT;

CREATE TRIGGER custody_checkpoint_refuseUpdate BEFORE UPDATE ON custody_checkpoint
BEGIN
  SELECT RAISE(ABORT, 'custody_checkpoint is append-only: a signed checkpoint can never be changed (chain of custody)');
END;

CREATE TRIGGER custody_checkpoint_refuseDelete BEFORE DELETE ON custody_checkpoint
BEGIN
  SELECT RAISE(ABORT, 'custody_checkpoint is append-only: a signed checkpoint can never be deleted (chain of custody)');
END;
`;
