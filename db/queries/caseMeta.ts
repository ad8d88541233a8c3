// Any process with a case file open: the case's identity row.
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { CaseFileError } from '../errors';

export interface CaseMeta {
  caseId: string;
  name: string;
  client: string | null;
  examiner: string;
  reference: string | null;
  /** IANA zone the consultant reads times in; everything is stored in UTC regardless. */
  timeZone: string;
  createdAt: string;
  toolVersion: string;
}

interface CaseMetaColumns {
  case_id: string;
  name: string;
  client: string | null;
  examiner: string;
  reference: string | null;
  time_zone: string;
  created_at: string;
  tool_version: string;
}

export function insertCaseMeta(db: Database, meta: CaseMeta): void {
  db.prepare(
    `INSERT INTO case_meta (singleton, case_id, name, client, examiner, reference, time_zone, created_at, tool_version)
     VALUES (1, @caseId, @name, @client, @examiner, @reference, @timeZone, @createdAt, @toolVersion)`,
  ).run(meta);
}

export function getCaseMeta(db: Database): CaseMeta {
  const row = db.prepare('SELECT * FROM case_meta WHERE singleton = 1').get() as CaseMetaColumns | undefined;
  if (!row) {
    throw new CaseFileError('damaged', `${path.basename(db.name)} has no case identity (case_meta is empty). It is damaged: use a copy.`, db.name);
  }
  return {
    caseId: row.case_id,
    name: row.name,
    client: row.client,
    examiner: row.examiner,
    reference: row.reference,
    timeZone: row.time_zone,
    createdAt: row.created_at,
    toolVersion: row.tool_version,
  };
}
