// Main process or an export worker: writes the signed export folder (timeline, findings, custody, manifest, signatures).
import fs from 'node:fs';
import path from 'node:path';
import { verifyOpenCase } from '../case/verify';
import type { Database } from 'better-sqlite3';
import { canonicalize } from 'json-canonicalize';
import type { DetectionReport, ExportResult } from '../../preload/contract';
import { getCaseMeta } from '../../db/queries/caseMeta';
import { appendCustody, listCustody } from '../../db/queries/custody';
import { sha256Hex } from '../../db/queries/evidence';
import type { ExaminerKey } from '../sign/keys';
import { minisignKeyId, minisignKeyIdHex, SIGNATURE_FILES, signatureFiles, sshPrincipal, SSHSIG_NAMESPACE } from '../sign/formats';
import { signCheckpoint } from '../case/checkpoints';
import { writeTimelineFiles } from './events';
import { refreshTimeline, TIMELINE_SOURCES } from './model';
import type { OutputLanguage } from '../i18n/texts';
import { isoTime, timelineCount, TimelineQueryError, timelineWhere, type TimelineFilter } from './query';
import { ACTIONS_FILE } from '../remediate/record';
import { PDF_FILE } from './pdf';
import { readReportData, REPORT_FILE, reportHtml, scopeFilterWords, type ReportData } from './report';
import { CUSTODY_FILE_FORMAT, EXPORT_FILES, EXPORT_FORMAT, MANIFEST_FILE, type CustodyFile, type Manifest } from './manifest';

export interface ExportDeps {
  signer: ExaminerKey;
  clock: () => Date;
  toolVersion: string;
  /** Written as findings.json, as given. */
  findings: unknown[];
  /**
   * The detection report the findings come from, when the caller has one: the timeline index then does not run
   * detection again, and the export gets report.html (the readable report built from it and the case).
   */
  detection?: DetectionReport;
  /** Prints report.html to report.pdf (the CLI, with the installed Chromium); null when it cannot, and the bundle has no PDF. */
  pdf?: (html: string) => Uint8Array | null;
  /** More files to list and sign (e.g. actions.json). Plain names, no clash with ours. */
  extraFiles?: { name: string; content: string | Uint8Array }[];
  /** The timeline's filters to cut the export's timeline by (a time range, sources, …); absent or empty: every event. */
  scope?: TimelineFilter;
  /** The language report.html is written in (default English). */
  lang?: OutputLanguage;
}

/** An export's scope as the manifest states it: the filters given, times in UTC; null when nothing narrows the timeline. */
export type ExportScopeFilter = Record<string, string | boolean | string[]>;

/** The scope's filters, checked (a bad time or an unknown source is refused, naming the option) and written as the manifest states them. */
export function exportScope(scope: TimelineFilter | undefined): ExportScopeFilter | null {
  if (!scope) return null;
  const out: ExportScopeFilter = {};
  try {
    for (const [key, value] of Object.entries(scope) as [keyof TimelineFilter, TimelineFilter[keyof TimelineFilter]][]) {
      if (value === undefined || value === false || value === '' || (Array.isArray(value) && value.length === 0)) continue;
      if (key === 'from' || key === 'to') out[key] = isoTime(key, value as string);
      else out[key] = value;
    }
    for (const source of (out.sources as string[] | undefined) ?? []) {
      if (!(TIMELINE_SOURCES as readonly string[]).includes(source)) throw new TimelineQueryError('source', `source: '${source}' is not a timeline source; give one or more of ${TIMELINE_SOURCES.join(', ')}.`);
    }
    if (typeof out.from === 'string' && typeof out.to === 'string' && out.from >= out.to) throw new TimelineQueryError('to', `to: ${out.to} is not after from (${out.from}); the scope would hold no event.`);
    timelineWhere(out as TimelineFilter); // refuses a search with no words, as the timeline does
  } catch (err) {
    if (err instanceof TimelineQueryError) throw new ExportError('invalid_input', `The export's scope is refused: ${err.message}`);
    throw err;
  }
  return Object.keys(out).length > 0 ? out : null;
}

export class ExportError extends Error {
  override readonly name = 'ExportError';
  constructor(
    readonly code: 'export_exists' | 'invalid_input' | 'no_custody' | 'verify_failed',
    message: string,
  ) {
    super(message);
  }
}


/** The exact commands a client runs inside the export folder; also written to VERIFY.txt. */
export function verifyCommands(signer: ExaminerKey): string[] {
  return [
    `openssl pkeyutl -verify -pubin -inkey ${SIGNATURE_FILES.publicKeyPem} -rawin -in ${MANIFEST_FILE} -sigfile ${SIGNATURE_FILES.rawSignature}`,
    `minisign -Vm ${MANIFEST_FILE} -p ${SIGNATURE_FILES.minisignPublicKey}`,
    `ssh-keygen -Y verify -f ${SIGNATURE_FILES.allowedSigners} -I '${sshPrincipal(signer.identity)}' -n ${SSHSIG_NAMESPACE} -s ${SIGNATURE_FILES.sshSignature} < ${MANIFEST_FILE}`,
    `jq -r '.files[] | "\\(.sha256)  \\(.name)"' ${MANIFEST_FILE} | sha256sum -c -`,
    unlistedFilesCommand(),
  ];
}

/** Prints every file in the folder that manifest.json does not list (beyond the signature files) and fails if there is one. */
function unlistedFilesCommand(): string {
  const fixed = [MANIFEST_FILE, ...Object.values(SIGNATURE_FILES)].map((n) => `"${n}"`).join(', ');
  return `ls -A | jq -nRr --slurpfile m ${MANIFEST_FILE} '[inputs] - [$m[0].files[].name, ${fixed}] | .[] | "not in ${MANIFEST_FILE}: \\(.)"' | (! grep .)`;
}

type Scoped = { filter: ExportScopeFilter; events: number; caseEvents: number } | null;

function verifyText(args: { caseName: string; caseId: string; createdAt: string; toolVersion: string; custodyHead: string; signer: ExaminerKey; scoped: Scoped }): string {
  const [openssl, minisign, sshKeygen, hashes, unlisted] = verifyCommands(args.signer);
  const principal = sshPrincipal(args.signer.identity);
  return `Peregrine signed export: how to check it without Peregrine
==========================================================

Case:       ${args.caseName} (${args.caseId})
Exported:   ${args.createdAt} by Peregrine ${args.toolVersion}
Signed by:  ${args.signer.identity}
Signer key: ${args.signer.fingerprint} (Ed25519)
            Compare this fingerprint with the one the examiner gave you separately: a signature only
            proves something if the key is the examiner's.
${args.scoped ? `Scope:      PART of the case's timeline: ${scopeFilterWords(args.scoped.filter)}.
            timeline.jsonl and timeline.csv hold ${args.scoped.events} of the case's ${args.scoped.caseEvents} events; the scope
            is stated in manifest.json ("scope") and is signed with it. findings.json, custody.json and
            report.html cover the whole case, so a finding may cite an event this timeline leaves out.
` : ''}
manifest.json lists every file of this export with its SHA-256 and size, the case id and the head
of the case's custody chain. It is RFC 8785 canonical JSON and is signed with the same key in three
formats; any one check is enough. Run the commands from inside this folder.

1. OpenSSL 3 (raw Ed25519 signature; public key signer.pub.pem):
   ${openssl}
   Expect: Signature Verified Successfully

2. minisign (public key minisign.pub, key id ${minisignKeyIdHex(minisignKeyId(args.signer.rawPublicKey))}):
   ${minisign}
   Expect: Signature and comment signature verified

3. OpenSSH 8.2 or later (allowed_signers names the key for '${principal}'):
   ${sshKeygen}
   Expect: Good "${SSHSIG_NAMESPACE}" signature for ${principal} with ED25519 key ${args.signer.fingerprint}

Then check every file against the signed manifest (jq and GNU sha256sum):
   ${hashes}
   Expect: one "OK" per file. Without jq, compare "sha256sum <file>" with the file's entry in manifest.json.

And check that nothing was added beside them (prints any file manifest.json does not list):
   ${unlisted}
   Expect: no output.

A good signature proves manifest.json is as signed by the key in signer.pub.pem; matching hashes prove
each listed file is too. It proves nothing about WHO signed unless that key is the examiner's: compare
the fingerprint above (and the one ssh-keygen prints) with the one the examiner gave you, or run
"peregrine verify --signer <fingerprint> <this folder>". This file itself is not evidence of anything.
A file in this folder that manifest.json does not list (other than the signature and key files
manifest.json.sig, signer.pub.pem, manifest.json.minisig, minisign.pub, manifest.json.sshsig,
allowed_signers) is not part of the export.

Custody: custodyHead in manifest.json,
   ${args.custodyHead}
is the hash of the case's last custody entry BEFORE this export; custody.json holds the chain up
to it. The export itself is then recorded in the case file as a later 'export.created' entry
naming this folder and the SHA-256 of manifest.json, so it cannot appear in the manifest it
describes.
`;
}

/** Writes, syncs, and refuses to replace anything. */
function writeFileDurable(file: string, content: string | Uint8Array): { sha256: string; bytes: number } {
  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
  const fd = fs.openSync(file, 'wx', 0o644);
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return { sha256: sha256Hex(data), bytes: data.length };
}

/** The temporary sibling the export is written into, or an error naming the folder that cannot take it. */
function makeWorkFolder(target: string): string {
  const parent = path.dirname(target);
  try {
    return fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.partial-`));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOSPC' ? 'its disk is full'
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'it is not writable'
      : 'files cannot be created in it';
    throw new ExportError('invalid_input', `The export cannot be written into ${parent}: ${why} (${code ?? String(err)}). Choose a folder on a disk you can write to.`);
  }
}

function checkOutDir(outDir: string): { exists: boolean } {
  const name = path.basename(outDir);
  if (!fs.existsSync(path.dirname(outDir))) {
    throw new ExportError('invalid_input', `The folder for export ${name} does not exist. Choose an existing folder.`);
  }
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(outDir);
  } catch {
    return { exists: false };
  }
  if (!stat.isDirectory() || fs.readdirSync(outDir).length > 0) {
    throw new ExportError('export_exists', `${name} already exists and is not an empty folder. Choose a new name: an export never writes over anything.`);
  }
  return { exists: true };
}

const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Exports the case to `outDir` (which must not exist, or be empty). Everything is written into a
 * temporary sibling folder and renamed into place at the end, together with the custody entry
 * 'export.created', so a failed export leaves neither a half-written folder nor a custody entry.
 */
export function exportCase(db: Database, outDir: string, deps: ExportDeps): ExportResult {
  const target = path.resolve(outDir);
  const folderName = path.basename(target);
  const { exists } = checkOutDir(target);
  const scope = exportScope(deps.scope);
  const ours = new Set<string>([MANIFEST_FILE, ...Object.values(EXPORT_FILES), ...Object.values(SIGNATURE_FILES)]);
  if (deps.detection) ours.add(REPORT_FILE).add(PDF_FILE);
  const extras = deps.extraFiles ?? [];
  for (const extra of extras) {
    if (!PLAIN_NAME.test(extra.name) || ours.has(extra.name)) {
      throw new ExportError('invalid_input', `'${extra.name}' cannot be added to an export: use a plain, unused file name.`);
    }
    ours.add(extra.name);
  }

  // The timeline index is brought up to date first (it holds nothing of its own; the check below compares it with the case).
  refreshTimeline(db, deps.detection ? { detectReport: deps.detection } : {});
  const temp = makeWorkFolder(target);
  try {
    const files: { name: string; sha256: string; bytes: number }[] = [];
    const add = (name: string, content: string | Uint8Array) => files.push({ name, ...writeFileDurable(path.join(temp, name), content) });

    // One read transaction: the case is verified whole (--deep, the timeline index included) and the timeline, custody
    // and head come from that same snapshot. The timeline is streamed from the index into its two files.
    const snapshot = db.transaction(() => {
      const check = verifyOpenCase(db, path.basename(db.name), { deep: true });
      const first = check.problems[0];
      if (first) {
        const more = check.problems.length > 1 ? ` (and ${check.problems.length - 1} more problems; run peregrine verify --deep on the case)` : '';
        throw new ExportError('verify_failed', `This case does not verify, so it is not exported: ${first.where}: ${first.message}${more}`);
      }
      const custody = listCustody(db);
      if (custody.length === 0) throw new ExportError('no_custody', 'This case has no custody log to export: it is damaged. Run verify.');
      const timeline = writeTimelineFiles(db, { jsonl: path.join(temp, EXPORT_FILES.timelineJsonl), csv: path.join(temp, EXPORT_FILES.timelineCsv) }, (scope ?? {}) as TimelineFilter);
      files.push({ name: EXPORT_FILES.timelineJsonl, ...timeline.jsonl }, { name: EXPORT_FILES.timelineCsv, ...timeline.csv });
      const scoped = scope ? { filter: scope, events: timeline.rows, caseEvents: timelineCount(db) } : null;
      return { meta: getCaseMeta(db), custody, report: deps.detection ? readReportData(db) : null, scoped };
    })();
    const { scoped } = snapshot;
    const head = snapshot.custody.at(-1)!.hash;
    const createdAt = deps.clock().toISOString();

    const custodyFile: CustodyFile = { format: CUSTODY_FILE_FORMAT, caseId: snapshot.meta.caseId, head, entries: snapshot.custody };
    add(EXPORT_FILES.findings, `${JSON.stringify(deps.findings, null, 2)}\n`);
    add(EXPORT_FILES.custody, `${JSON.stringify(custodyFile, null, 2)}\n`);
    add(EXPORT_FILES.verify, verifyText({ caseName: snapshot.meta.name, caseId: snapshot.meta.caseId, createdAt, toolVersion: deps.toolVersion, custodyHead: head, signer: deps.signer, scoped }));
    for (const extra of extras) add(extra.name, extra.content);
    files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (deps.detection && snapshot.report) {
      // Written last, so it can list every other file with its hash; the manifest then lists it like the rest.
      const html = reportHtml({
        ...snapshot.report, meta: snapshot.meta, createdAt, toolVersion: deps.toolVersion, signer: { identity: deps.signer.identity, fingerprint: deps.signer.fingerprint },
        custodyHead: head, custody: snapshot.custody, detection: deps.detection, remediation: remediationOf(extras), files: [...files], verifyCommands: verifyCommands(deps.signer), scoped, lang: deps.lang ?? 'en',
      });
      add(REPORT_FILE, html);
      const pdf = deps.pdf?.(html);
      if (pdf) add(PDF_FILE, pdf);
      files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }

    const manifest: Manifest = {
      format: EXPORT_FORMAT,
      caseId: snapshot.meta.caseId,
      caseName: snapshot.meta.name,
      createdAt,
      toolVersion: deps.toolVersion,
      custodyHead: head,
      signer: { fingerprint: deps.signer.fingerprint, identity: deps.signer.identity, algorithm: 'Ed25519' },
      files,
      ...(scoped ? { scope: scoped } : {}),
    };
    const manifestBytes = Buffer.from(canonicalize(manifest), 'utf8');
    writeFileDurable(path.join(temp, MANIFEST_FILE), manifestBytes);
    const trustedComment = `peregrine-export case:${snapshot.meta.caseId} timestamp:${Math.floor(Date.parse(createdAt) / 1000)} file:${MANIFEST_FILE} custodyHead:${head}`;
    for (const sig of signatureFiles(manifestBytes, deps.signer, { trustedComment })) {
      writeFileDurable(path.join(temp, sig.name), sig.content);
    }

    // The custody entry and the rename succeed or fail together: if the rename throws, the entry rolls back.
    db.transaction(() => {
      appendCustody(db, {
        at: deps.clock().toISOString(),
        action: 'export.created',
        actor: deps.signer.identity,
        details: {
          folder: folderName,
          manifestSha256: sha256Hex(manifestBytes),
          custodyHeadSigned: head,
          checkpointThrough: snapshot.custody.at(-1)!.seq,
          files: files.length,
          signerFingerprint: deps.signer.fingerprint,
          ...(scoped ? { scope: scopeFilterWords(scoped.filter), events: scoped.events, caseEvents: scoped.caseEvents } : {}),
        },
      });
      signCheckpoint(db, deps.signer, { at: createdAt, reason: 'export', subject: folderName, through: { seq: snapshot.custody.at(-1)!.seq, hash: head } });
      if (exists) fs.rmdirSync(target); // rename cannot replace a directory on Windows; it is empty (checked)
      fs.renameSync(temp, target);
    }).immediate();

    return { folderName, folderPath: target, files, signerFingerprint: deps.signer.fingerprint, custodyHead: head, verifyCommands: verifyCommands(deps.signer), scope: scoped ? { ...scoped, words: scopeFilterWords(scoped.filter) } : null };
  } catch (err) {
    fs.rmSync(temp, { recursive: true, force: true });
    throw err;
  }
}

/** The remediation record the report shows, from actions.json as the caller gives it (absent: none recorded). */
function remediationOf(extras: { name: string; content: string | Uint8Array }[]): ReportData['remediation'] {
  const file = extras.find((e) => e.name === ACTIONS_FILE);
  if (!file) return null;
  const parsed = JSON.parse(typeof file.content === 'string' ? file.content : Buffer.from(file.content).toString('utf8')) as NonNullable<ReportData['remediation']>;
  return { steps: parsed.steps ?? [], actions: parsed.actions ?? [] };
}
