// Main process: where a case file chosen from disk came from — its examiner and the Peregrine that made it, read
// without writing — and whether it was received from someone else (another examiner, another Peregrine version).
import path from 'node:path';
import { openDatabase, closeDatabase } from '../../db/connection';
import { latestSchemaVersion, recordedToolVersion, schemaVersion } from '../../db/migrate';
import { getCaseMeta } from '../../db/queries/caseMeta';

export type ReceivedReason = 'examiner' | 'version';

export interface CaseProvenance {
  caseId: string;
  name: string;
  /** The examiner named in the case. */
  examiner: string;
  /** The Peregrine version that created the case. */
  toolVersion: string;
  /** The Peregrine version that last upgraded its schema (null when none recorded one). */
  schemaWrittenBy: string | null;
  schemaVersion: number;
  /** The file must be upgraded to this Peregrine's schema before it can be opened for work. */
  needsUpgrade: boolean;
  /** Why it counts as received; empty when it is this examiner's own, made by this version. */
  reasons: ReceivedReason[];
}

const same = (a: string, b: string) => a.trim().normalize('NFKC').toLowerCase() === b.trim().normalize('NFKC').toLowerCase();

/**
 * Reads a case file's identity without changing it (read-only, no migration, no journal change). A file that is not
 * a case, is damaged or has a newer schema throws the CaseFileError naming it. `examiner` is Settings' examiner: when
 * Settings names none, a case cannot be shown to be this examiner's own, so it counts as received.
 */
export function readProvenance(file: string, here: { examiner: string; toolVersion: string }): CaseProvenance {
  const db = openDatabase(file, { create: false, readonly: true });
  try {
    const meta = getCaseMeta(db);
    const version = schemaVersion(db);
    const writtenBy = recordedToolVersion(db);
    const reasons: ReceivedReason[] = [];
    if (!here.examiner.trim() || !same(meta.examiner, here.examiner)) reasons.push('examiner');
    if (meta.toolVersion !== here.toolVersion || (writtenBy !== null && writtenBy !== here.toolVersion)) reasons.push('version');
    return {
      caseId: meta.caseId,
      name: meta.name,
      examiner: meta.examiner,
      toolVersion: meta.toolVersion,
      schemaWrittenBy: writtenBy,
      schemaVersion: version,
      needsUpgrade: version < latestSchemaVersion(),
      reasons,
    };
  } finally {
    closeDatabase(db);
  }
}

/** The file name a message may show (the renderer never sees paths). */
export const caseFileName = (file: string): string => path.basename(file);
