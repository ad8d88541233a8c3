// Any process opening a case file: the ordered list of schema migrations, bundled as TS modules for Electron.
import migration0010 from './0010-case';
import migration0020 from './0020-evidence-custody';
import migration0030 from './0030-directory';
import migration0040 from './0040-collection-sources';
import migration0050 from './0050-events';
import migration0060 from './0060-object-changes';
import migration0070 from './0070-tenant-objects';
import migration0080 from './0080-evidence-request';
import migration0090 from './0090-source-scope';
import migration0100 from './0100-triage';
import migration0110 from './0110-detection-indexes';
import migration0120 from './0120-ual-raw-in-evidence';
import migration0140 from './0140-custody-checkpoints';
import migration0150 from './0150-source-notices';
import migration0160 from './0160-remediation';
import migration0170 from './0170-timeline';
import migration0180 from './0180-import-record';
import migration0200 from './0200-timeline-pins';

export { PEREGRINE_APPLICATION_ID } from './0010-case';

export interface Migration {
  /** Becomes `PRAGMA user_version` once applied. Strictly increasing; gaps leave room for inserts. */
  version: number;
  name: string;
  sql: string;
}

/** Only ever appended to (DESIGN.md); a shipped entry is never edited or removed. */
export const migrations: readonly Migration[] = [
  { version: 10, name: 'case', sql: migration0010 },
  { version: 20, name: 'evidence-custody', sql: migration0020 },
  { version: 30, name: 'directory', sql: migration0030 },
  { version: 40, name: 'collection-sources', sql: migration0040 },
  { version: 50, name: 'events', sql: migration0050 },
  { version: 60, name: 'object-changes', sql: migration0060 },
  { version: 70, name: 'tenant-objects', sql: migration0070 },
  { version: 80, name: 'evidence-request', sql: migration0080 },
  { version: 90, name: 'source-scope', sql: migration0090 },
  { version: 100, name: 'triage', sql: migration0100 },
  { version: 110, name: 'detection-indexes', sql: migration0110 },
  { version: 120, name: 'ual-raw-in-evidence', sql: migration0120 },
  { version: 140, name: 'custody-checkpoints', sql: migration0140 },
  { version: 150, name: 'source-notices', sql: migration0150 },
  { version: 160, name: 'remediation', sql: migration0160 },
  { version: 170, name: 'timeline', sql: migration0170 },
  { version: 180, name: 'import-record', sql: migration0180 },
  { version: 200, name: 'timeline-pins', sql: migration0200 },
];
