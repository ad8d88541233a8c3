// Main process, workers and CLI (`peregrine verify`): re-check every hash of a case file or a signed export, read-only.
import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Database } from 'better-sqlite3';
import { canonicalize } from 'json-canonicalize';
import { openDatabase } from '../../db/connection';
import { sha256Hex } from '../../db/queries/evidence';
import { checkRemediationEvidence } from './remediation-trust';
import { custodyHash, GENESIS_HASH, type CustodyColumns, type CustodyDetails } from '../../db/queries/custody';
import { checkObjectChanges, comparePage, createRederiver, type EvidencePage } from './rederive';
import { checkAnnotations, checkCaseIdentity, checkForeignKeys, checkRuns, checkSchema, readCustody } from './trust';
import {
  allowedSignersKey,
  SIGNATURE_FILES,
  SSHSIG_NAMESPACE,
  verifyMinisign,
  verifyRawSignature,
  verifySshsig,
} from '../sign/formats';
import { sshFingerprint } from '../sign/wire';
import { CustodyFile, EXPORT_FILES, Manifest, MANIFEST_FILE } from '../timeline/manifest';
import type { SignerPin } from '../sign/pin';
import { checkCheckpoints, type CustodyAnchor, type SignerSeen } from './checkpoints';
import { checkExportTrust } from './export-trust';
import { checkTimeline } from '../timeline/check';

export interface VerifyProblem {
  /** The first broken thing, precisely: `evidence row 12 (graph.applications, https://…)`, `timeline.jsonl`. */
  where: string;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  kind: 'case' | 'export';
  /** For a case file: with `deep`, every derived row was derived again from its evidence and compared. */
  deep?: boolean;
  checked: { evidence: number; custody: number; files?: number; derivedRows?: number };
  chainHead: string | null;
  /** In the order found; the first names the first broken thing. */
  problems: VerifyProblem[];
  /** Case file: how far the custody chain is covered by signed checkpoints. */
  anchor?: CustodyAnchor;
  /** Export: who signed manifest.json (set when its signature verified). */
  signer?: SignerSeen;
  /** Export: the part of the case's timeline it holds, as its manifest states (absent: every event). */
  scope?: NonNullable<Manifest['scope']>;
}

export interface VerifyOptions {
  /** Accept only signatures by these keys (`--signer`). */
  signer?: SignerPin | null;
}

export interface VerifyCaseOptions extends VerifyOptions {
  /** Also derive every derived row again from its evidence page and compare (see README, "What verify proves"). */
  deep?: boolean;
}

/** Enough to act on; beyond this a file is plainly not the one collected. */
const MAX_PROBLEMS = 200;


class Problems {
  readonly list: VerifyProblem[] = [];
  private dropped = 0;
  add(where: string, message: string): void {
    if (this.list.length < MAX_PROBLEMS) this.list.push({ where, message });
    else this.dropped += 1;
  }
  done(): VerifyProblem[] {
    if (this.dropped > 0) this.list.push({ where: 'verify', message: `${this.dropped} more problems not listed.` });
    return this.list;
  }
}

// ---- case file ------------------------------------------------------------------------------------

/**
 * Checks a case file as a whole (README, "What verify proves"): every evidence hash, the custody chain, the schema's
 * tables and guard triggers against the migrations, foreign keys, the case identity and collection runs against
 * custody, annotation tables rebuilt from custody; with `deep`, every derived row derived again from its evidence.
 * Opens the file read-only (query_only, no migration, no journal change): verifying never modifies it.
 */
export function verifyCaseFile(file: string, opts: VerifyCaseOptions = {}): VerifyReport {
  let db: Database;
  try {
    db = openDatabase(file, { create: false, readonly: true });
  } catch (err) {
    const problems = new Problems();
    problems.add(path.basename(file), (err as Error).message);
    return { ok: false, kind: 'case', deep: opts.deep === true, checked: { evidence: 0, custody: 0 }, chainHead: null, problems: problems.done() };
  }
  try {
    return verifyOpenCase(db, path.basename(file), opts);
  } finally {
    db.close();
  }
}

/** As verifyCaseFile, on a connection already open (export checks the case it is about to export); reads only. */
export function verifyOpenCase(db: Database, fileName: string, opts: VerifyCaseOptions = {}): VerifyReport {
  const problems = new Problems();
  const report = (where: string, message: string) => problems.add(where, message);
  const checked: VerifyReport['checked'] = { evidence: 0, custody: 0 };
  let chainHead: string | null = null;
  let anchor: CustodyAnchor | undefined;
  try {
    const quick = db.pragma('quick_check', { simple: false }) as { quick_check: string }[];
    for (const row of quick) if (row.quick_check !== 'ok') problems.add('SQLite structure', row.quick_check);

    const tables = new Set(db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all() as string[]);
    if (!tables.has('case_meta') || db.prepare('SELECT count(*) FROM case_meta').pluck().get() !== 1) {
      problems.add('case_meta', 'The case identity row is missing.');
    }
    checkSchema(db, report);
    checkForeignKeys(db, report);
    const deep = opts.deep === true ? deepChecker(db, report) : null;
    if (tables.has('evidence')) checked.evidence = checkEvidence(db, problems, deep?.page);
    if (tables.has('remediation_evidence')) checked.evidence += checkRemediationEvidence(db, report);
    if (tables.has('custody')) {
      const rows = db.prepare('SELECT seq, at, action, actor, details, prev_hash, hash FROM custody ORDER BY seq').iterate() as IterableIterator<CustodyColumns>;
      const result = checkCustodyChain(
        (function* () {
          for (const r of rows) yield { seq: r.seq, at: r.at, action: r.action, actor: r.actor, details: r.details, prevHash: r.prev_hash, hash: r.hash };
        })(),
        (e) => `custody entry ${e.seq} (${e.action})`,
        problems,
      );
      checked.custody = result.count;
      chainHead = result.head;
      const custody = readCustody(db);
      checkCaseIdentity(db, custody, report);
      checkRuns(db, custody, report);
      checkAnnotations(db, custody, report);
      anchor = checkCheckpoints(db, report, opts.signer ?? null);
      if (deep) checked.derivedRows = deep.finish() + checkObjectChanges(db, custody, report) + (tables.has('timeline') ? checkTimeline(db, report) : 0);
    } else if (deep) {
      checked.derivedRows = deep.finish();
    }
  } catch (err) {
    problems.add(fileName, `Verification stopped: ${(err as Error).message}`);
  }
  const list = problems.done();
  return { ok: list.length === 0, kind: 'case', deep: opts.deep === true, checked, chainHead, problems: list, ...(anchor ? { anchor } : {}) };
}

/**
 * The deep check, fed each evidence page as its hash is checked: derives the page's rows again and compares them
 * (main/case/rederive.ts); at the end, each source's page and record counts against collection_source.
 */
function deepChecker(db: Database, report: (where: string, message: string) => void) {
  const rederiver = createRederiver();
  const sessions = new Map<string, Map<string, unknown>>();
  const counts = new Map<string, { pages: number; records: number }>();
  let rows = 0;
  return {
    page(page: EvidencePage): void {
      const key = `${page.run_id}\u0000${page.source}`;
      let session = sessions.get(key);
      if (!session) sessions.set(key, (session = new Map()));
      const derivation = rederiver.derive(page, session);
      rows += comparePage(db, page, derivation, report);
      const c = counts.get(key) ?? { pages: 0, records: 0 };
      c.pages += 1;
      c.records += 'records' in derivation ? derivation.records : 0;
      counts.set(key, c);
    },
    finish(): number {
      rederiver.close();
      const sources = db.prepare('SELECT run_id, source, pages, records FROM collection_source').all() as { run_id: string; source: string; pages: number; records: number }[];
      for (const s of sources) {
        const c = counts.get(`${s.run_id}\u0000${s.source}`) ?? { pages: 0, records: 0 };
        if (c.pages !== s.pages || c.records !== s.records) {
          report(`collection_source ${s.source} (run ${s.run_id})`, `It records ${s.pages} pages and ${s.records} records, but its evidence holds ${c.pages} pages and ${c.records} records.`);
        }
      }
      return rows;
    },
  };
}

function checkEvidence(db: Database, problems: Problems, onPage?: (page: EvidencePage) => void): number {
  let count = 0;
  const columns = onPage
    ? 'id, run_id, source, method, url, status, content_type, request_id, request_body, collected_at, sha256, size, body_gz'
    : 'id, source, url, sha256, size, body_gz';
  const rows = db.prepare(`SELECT ${columns} FROM evidence ORDER BY id`).iterate() as IterableIterator<Omit<EvidencePage, 'body'> & { body_gz: Buffer }>;
  for (const row of rows) {
    count += 1;
    const where = `evidence row ${row.id} (${row.source}, ${row.url})`;
    let body: Buffer;
    try {
      body = gunzipSync(row.body_gz, { chunkSize: Math.min(Math.max(64, row.size), 64 * 1024 * 1024) });
    } catch (err) {
      problems.add(where, `The stored body does not decompress (${(err as Error).message}): body_gz was changed or damaged after collection.`);
      continue;
    }
    const actual = sha256Hex(body);
    if (actual !== row.sha256) {
      problems.add(where, `The body's sha256 is ${actual} but the row records ${row.sha256}: the body or its hash was changed after collection.`);
      continue;
    } else if (body.length !== row.size) {
      problems.add(where, `The body is ${body.length} bytes but the row records ${row.size}.`);
    }
    if (onPage) {
      const { body_gz: _gz, ...head } = row;
      onPage({ ...head, body });
    }
  }
  return count;
}

interface ChainEntry {
  seq: number;
  at: string;
  action: string;
  actor: string;
  /** JSON text (database) or the parsed object (custody.json). */
  details: string | CustodyDetails;
  prevHash: string;
  hash: string;
}

/** Walks a custody chain: seq contiguous from 1, each prev_hash the previous stored hash, each hash recomputed. */
function checkCustodyChain(
  entries: Iterable<ChainEntry>,
  whereOf: (e: ChainEntry) => string,
  problems: Problems,
): { count: number; head: string | null } {
  let count = 0;
  let expectedSeq = 1;
  let previous: ChainEntry | null = null;
  for (const entry of entries) {
    count += 1;
    const where = whereOf(entry);
    if (entry.seq !== expectedSeq) {
      problems.add(where, expectedSeq < entry.seq
        ? `Entries ${expectedSeq}–${entry.seq - 1} are missing: custody entries were deleted.`
        : `Entry ${entry.seq} appears out of order (expected ${expectedSeq}).`);
    }
    const expectedPrev = previous?.hash ?? GENESIS_HASH;
    if (entry.prevHash !== expectedPrev) {
      problems.add(where, previous
        ? `prev_hash ${entry.prevHash} does not match the hash of entry ${previous.seq} (${expectedPrev}): entry ${previous.seq} or this link was changed.`
        : `The first entry's prev_hash should be 64 zeros, not ${entry.prevHash}: the start of the chain was removed or changed.`);
    }
    let details: CustodyDetails | null = null;
    if (typeof entry.details === 'string') {
      try {
        details = JSON.parse(entry.details) as CustodyDetails;
      } catch {
        problems.add(where, 'details is not valid JSON: the entry was changed.');
      }
    } else {
      details = entry.details;
    }
    if (details !== null) {
      const computed = custodyHash({ seq: entry.seq, at: entry.at, action: entry.action, actor: entry.actor, details, prevHash: entry.prevHash });
      if (computed !== entry.hash) {
        problems.add(where, `The entry's hash is ${entry.hash} but its contents hash to ${computed}: a field of this entry was changed.`);
      }
    }
    previous = entry;
    expectedSeq = entry.seq + 1;
  }
  return { count, head: previous?.hash ?? null };
}

// ---- signed export ------------------------------------------------------------------------------

/**
 * Checks a signed export folder: manifest.json is canonical and well formed; each listed file's size
 * and sha256; nothing unlisted beside them but the signature files; the Ed25519 signature over
 * manifest.json with signer.pub.pem (and that the minisign and SSH signatures carry the same key and
 * verify); custody.json's chain ends at the manifest's custodyHead.
 */
export function verifyExport(dir: string, opts: VerifyOptions = {}): VerifyReport {
  const problems = new Problems();
  const checked = { evidence: 0, custody: 0, files: 0 };
  let signer: SignerSeen | undefined;
  const finish = (chainHead: string | null): VerifyReport => {
    const list = problems.done();
    return { ok: list.length === 0, kind: 'export', checked, chainHead, problems: list, ...(signer ? { signer } : {}), ...(stated.scope ? { scope: stated.scope } : {}) };
  };
  /** What the manifest states that the report passes on, once the manifest has been read. */
  const stated: { scope?: Manifest['scope'] } = {};
  const read = (name: string): Buffer | null => {
    try {
      return fs.readFileSync(path.join(dir, name));
    } catch {
      return null;
    }
  };

  const manifestBytes = read(MANIFEST_FILE);
  if (!manifestBytes) {
    problems.add(MANIFEST_FILE, `There is no readable ${MANIFEST_FILE} in ${path.basename(dir)}: this is not a Peregrine export, or it is incomplete.`);
    return finish(null);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(manifestBytes.toString('utf8'));
  } catch (err) {
    problems.add(MANIFEST_FILE, `It is not valid JSON (${(err as Error).message}).`);
    return finish(null);
  }
  if (canonicalize(parsed) !== manifestBytes.toString('utf8')) {
    problems.add(MANIFEST_FILE, 'It is not RFC 8785 canonical JSON: it was edited or re-serialised after signing.');
  }
  const shape = Manifest.safeParse(parsed);
  if (!shape.success) {
    const issue = shape.error.issues[0];
    problems.add(MANIFEST_FILE, `It is not a peregrine-export/1 manifest: field '${issue?.path.join('.') ?? '?'}': ${issue?.message ?? 'invalid'}.`);
    return finish(null);
  }
  const manifest = shape.data;

  // Listed files: name, size, hash. In manifest (name) order, so the first problem is deterministic.
  const reserved = new Set<string>([MANIFEST_FILE, ...Object.values(SIGNATURE_FILES)]);
  const listed = new Set<string>();
  let previousName = '';
  for (const entry of manifest.files) {
    const name = entry.name;
    if (name <= previousName && previousName !== '') problems.add(MANIFEST_FILE, `files are not sorted by name or repeat '${name}'.`);
    previousName = name;
    if (name !== path.basename(name) || name === '.' || name === '..' || name.includes('\\') || reserved.has(name)) {
      problems.add(name, 'The manifest lists a name that is not a plain data file in the export folder.');
      continue;
    }
    listed.add(name);
    checked.files += 1;
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(path.join(dir, name));
    } catch {
      problems.add(name, 'The file is listed in manifest.json but missing.');
      continue;
    }
    if (!stat.isFile()) {
      problems.add(name, 'It is not a regular file.');
      continue;
    }
    const bytes = read(name) ?? Buffer.alloc(0);
    const actual = sha256Hex(bytes);
    if (bytes.length !== entry.bytes) {
      problems.add(name, `It is ${bytes.length} bytes; manifest.json says ${entry.bytes}: the file was changed after export.`);
    } else if (actual !== entry.sha256) {
      problems.add(name, `Its sha256 is ${actual}; manifest.json says ${entry.sha256}: the file was changed after export.`);
    }
  }

  for (const dirent of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!listed.has(dirent.name) && !reserved.has(dirent.name)) {
      problems.add(dirent.name, 'It is not listed in manifest.json: something was added to the export after it was signed.');
    }
  }

  if (checkSignatures(manifestBytes, manifest, read, problems)) signer = { identity: manifest.signer.identity, fingerprint: manifest.signer.fingerprint };
  checkExportTrust(manifest, read, (where, message) => problems.add(where, message), opts.signer ?? null);

  // A scoped export states how many events its timeline holds: timeline.jsonl has exactly that many lines.
  stated.scope = manifest.scope;
  const scope = manifest.scope;
  if (scope && listed.has(EXPORT_FILES.timelineJsonl)) {
    const jsonl = read(EXPORT_FILES.timelineJsonl);
    let lines = 0;
    for (let i = jsonl ? jsonl.indexOf(10) : -1; i !== -1; i = jsonl!.indexOf(10, i + 1)) lines += 1;
    if (jsonl && lines !== scope.events) problems.add(EXPORT_FILES.timelineJsonl, `It holds ${lines} events; manifest.json's scope says ${scope.events}.`);
  }

  // custody.json (if exported and intact): its chain must end exactly at the signed custodyHead.
  if (listed.has(EXPORT_FILES.custody)) {
    const text = read(EXPORT_FILES.custody)?.toString('utf8') ?? '';
    let custody: CustodyFile | null = null;
    try {
      const result = CustodyFile.safeParse(JSON.parse(text));
      if (result.success) custody = result.data;
      else problems.add(EXPORT_FILES.custody, `It is not a peregrine-custody/1 file: ${result.error.issues[0]?.message ?? 'invalid'}.`);
    } catch {
      problems.add(EXPORT_FILES.custody, 'It is not valid JSON.');
    }
    if (custody) {
      const result = checkCustodyChain(custody.entries, (e) => `${EXPORT_FILES.custody} entry ${e.seq} (${e.action})`, problems);
      checked.custody = result.count;
      if (result.head !== manifest.custodyHead || custody.head !== manifest.custodyHead) {
        problems.add(EXPORT_FILES.custody, `The chain ends at ${result.head ?? '(empty)'} but manifest.json's custodyHead is ${manifest.custodyHead}.`);
      }
      if (custody.caseId !== manifest.caseId) {
        problems.add(EXPORT_FILES.custody, `It belongs to case ${custody.caseId}, not ${manifest.caseId}.`);
      }
    }
  }
  return finish(manifest.custodyHead);
}

/** True when the Ed25519 signature over manifest.json verifies with signer.pub.pem and that key is the one the manifest names. */
function checkSignatures(manifestBytes: Buffer, manifest: Manifest, read: (name: string) => Buffer | null, problems: Problems): boolean {
  const pem = read(SIGNATURE_FILES.publicKeyPem)?.toString('utf8');
  const rawSig = read(SIGNATURE_FILES.rawSignature);
  if (!pem) {
    problems.add(SIGNATURE_FILES.publicKeyPem, 'The signer public key is missing: the signature cannot be checked.');
    return false;
  }
  let signerKey: Buffer;
  try {
    const jwk = cryptoPublicJwk(pem);
    signerKey = Buffer.from(jwk, 'base64url');
  } catch {
    problems.add(SIGNATURE_FILES.publicKeyPem, 'It is not an Ed25519 public key.');
    return false;
  }
  const fingerprint = sshFingerprint(signerKey);
  let good = fingerprint === manifest.signer.fingerprint;
  if (fingerprint !== manifest.signer.fingerprint) {
    problems.add(SIGNATURE_FILES.publicKeyPem, `Its key is ${fingerprint}, but manifest.json names signer ${manifest.signer.fingerprint}.`);
  }
  const rawSignatureGood = !!rawSig && verifyRawSignature(manifestBytes, rawSig, pem);
  if (!rawSignatureGood) good = false;
  if (!rawSig) problems.add(SIGNATURE_FILES.rawSignature, 'The signature is missing.');
  else if (!rawSignatureGood) {
    problems.add(SIGNATURE_FILES.rawSignature, 'The Ed25519 signature does not verify against manifest.json with signer.pub.pem: the manifest was changed after signing, or signed by another key.');
  }

  const minisig = read(SIGNATURE_FILES.minisignSignature)?.toString('utf8');
  const minisignPub = read(SIGNATURE_FILES.minisignPublicKey)?.toString('utf8');
  if (!minisig || !minisignPub) {
    problems.add(minisig ? SIGNATURE_FILES.minisignPublicKey : SIGNATURE_FILES.minisignSignature, 'The minisign file is missing.');
  } else {
    const result = verifyMinisign(manifestBytes, minisig, minisignPub);
    if (!result.ok) problems.add(SIGNATURE_FILES.minisignSignature, `${result.reason}.`);
    else if (!result.rawPublicKey.equals(signerKey)) problems.add(SIGNATURE_FILES.minisignPublicKey, 'It holds a different key than signer.pub.pem.');
  }

  const sshsig = read(SIGNATURE_FILES.sshSignature)?.toString('utf8');
  const allowed = read(SIGNATURE_FILES.allowedSigners)?.toString('utf8');
  if (!sshsig || !allowed) {
    problems.add(sshsig ? SIGNATURE_FILES.allowedSigners : SIGNATURE_FILES.sshSignature, 'The OpenSSH signature file is missing.');
  } else {
    const result = verifySshsig(manifestBytes, sshsig, SSHSIG_NAMESPACE);
    if (!result.ok) problems.add(SIGNATURE_FILES.sshSignature, `${result.reason}.`);
    else if (!result.rawPublicKey.equals(signerKey)) problems.add(SIGNATURE_FILES.sshSignature, 'It was made with a different key than signer.pub.pem.');
    const allowedKey = allowedSignersKey(allowed);
    if (!allowedKey?.equals(signerKey)) problems.add(SIGNATURE_FILES.allowedSigners, 'It does not hold the key in signer.pub.pem.');
  }
  return good;
}

function cryptoPublicJwk(pem: string): string {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('not ed25519');
  const x = key.export({ format: 'jwk' }).x;
  if (!x) throw new Error('no key');
  return x;
}
