// Main process: the signed export and the examiner's signing key (its status, and moving it in and out of this machine).
import fs from 'node:fs';
import path from 'node:path';
import type { ExportRecord, Handlers, SignerView } from '../../../preload/contract';
import { listCustody } from '../../../db/queries/custody';
import { verifyExport } from '../../case/verify';
import { findingsExportFiles } from '../../detect/summary';
import { ExaminerKeyError, examinerKeyStatus, exportExaminerKey, importExaminerKey, loadOrCreateExaminerKey, type KeyAccess } from '../../sign/keys';
import { exportCase } from '../../timeline/export';
import { sha256Hex } from '../../../db/queries/evidence';
import { HandlerError } from '../dispatch';
import { withoutPaths } from '../static-files';
import { safeFileName, uniquePath, type WorkbenchContext } from './context';
import { remediationExportFiles } from '../../remediate/record';

export function exportHandlers(ctx: WorkbenchContext): Handlers['export'] {
  const { deps, clock } = ctx;

  /** A key refusal as the consultant's sentence: the key folder is Peregrine's own, so file names only, no paths. */
  function withKey<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ExaminerKeyError) throw new HandlerError(err.code, err.message.replaceAll(deps.keyDir + path.sep, ''));
      throw err;
    }
  }

  let keyNotice: string | null = null;
  function keyAccess(passphrase: string | undefined): KeyAccess {
    const base = deps.keyAccess ?? {};
    const onNotice = (message: string) => {
      // Shown on the page: the key's folder is this machine's business, not the renderer's.
      keyNotice = withoutPaths(message);
      base.onNotice?.(message);
    };
    return { ...base, onNotice, ...(passphrase ? { passphrase: () => passphrase } : {}) };
  }

  function signerIdentity(): string | null {
    return ctx.openCase()?.summary.examiner ?? null;
  }

  function signerView(): SignerView {
    const status = examinerKeyStatus(deps.keyDir);
    const keychain = !!deps.keyAccess?.keychain;
    return {
      identity: signerIdentity() ?? status.identity,
      fingerprint: status.fingerprint,
      protection: status.protection,
      needsPassphrase: !keychain && !deps.keyAccess?.passphrase,
      keyTransfer: !!deps.chooseKeyFile,
      notice: keyNotice,
    };
  }

  async function chooseKeyFile(mode: 'save' | 'open', suggested: string): Promise<string | null> {
    if (!deps.chooseKeyFile) {
      throw new HandlerError('unsupported', 'Moving the signing key needs the desktop app (or `peregrine key export|import` on the command line).');
    }
    return deps.chooseKeyFile(mode, suggested);
  }

  /** Where the app writes a case's exports: beside the case file. */
  const exportsDir = (caseFile: string) => path.join(path.dirname(caseFile), 'exports');

  function history(): ExportRecord[] {
    const { file, db } = ctx.requireCase();
    const dir = exportsDir(file);
    return listCustody(db)
      .filter((e) => e.action === 'export.created')
      .map((e) => {
        const d = e.details as Record<string, unknown>;
        const folder = String(d.folder ?? '');
        const where = path.join(dir, folder);
        const present = folder !== '' && path.basename(folder) === folder && fs.existsSync(path.join(where, 'manifest.json'));
        return {
          seq: e.seq,
          at: e.at,
          actor: e.actor,
          folder,
          manifestSha256: String(d.manifestSha256 ?? ''),
          files: Number(d.files ?? 0),
          signerFingerprint: String(d.signerFingerprint ?? ''),
          scope: typeof d.scope === 'string' ? { words: d.scope, events: Number(d.events ?? 0), caseEvents: Number(d.caseEvents ?? 0) } : null,
          path: present ? where : null,
        };
      })
      .reverse();
  }

  return {
    history: async () => history(),
    verify: async ({ folder }) => {
      const record = history().find((r) => r.folder === folder);
      if (!record) throw new HandlerError('unknown_export', `${folder} is not an export of this case (no custody entry names it).`);
      if (!record.path) throw new HandlerError('not_found', `${folder} is not in this case's exports folder any more (moved, deleted, or written elsewhere with the command line). Verify it where it is: peregrine verify <folder>.`);
      const report = verifyExport(record.path);
      const manifest = fs.readFileSync(path.join(record.path, 'manifest.json'));
      return {
        folder,
        ok: report.ok,
        sameManifest: sha256Hex(manifest) === record.manifestSha256,
        files: report.checked.files ?? 0,
        checkedAt: clock().toISOString(),
        problems: report.problems.slice(0, 20).map((p) => ({ where: p.where, message: p.message })),
      };
    },
    run: async ({ passphrase, scope, lang }) => {
      const { file, db, summary } = ctx.requireCase();
      if (ctx.busy()) throw new HandlerError('busy', 'A collection is still running; export once it has finished so the export covers it.');
      const signer = withKey(() => loadOrCreateExaminerKey(deps.keyDir, summary.examiner, keyAccess(passphrase)));
      const stamp = clock().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
      const outDir = uniquePath(exportsDir(file), `${safeFileName(summary.name)}-${stamp}`);
      fs.mkdirSync(path.dirname(outDir), { recursive: true });
      const report = await ctx.detection();
      const extraFiles = [
        ...findingsExportFiles(report, { caseId: summary.caseId, caseName: summary.name, examiner: summary.examiner, now: clock(), toolVersion: deps.toolVersion, lang: lang ?? 'en' }),
        ...remediationExportFiles(db),
      ];
      return exportCase(db, outDir, { signer, clock, toolVersion: deps.toolVersion, findings: report.findings, detection: report, extraFiles, lang: lang ?? 'en', ...(scope ? { scope } : {}) });
    },
    signer: async () => signerView(),
    exportKey: async ({ passphrase, filePassphrase }) => {
      const status = examinerKeyStatus(deps.keyDir);
      if (!status.protection) throw new HandlerError('no_key', 'There is no examiner key yet: the first export makes one.');
      const target = await chooseKeyFile('save', 'peregrine-examiner-key.pem');
      if (!target) return null;
      withKey(() => exportExaminerKey(deps.keyDir, signerIdentity() ?? status.identity ?? 'examiner', keyAccess(passphrase), target, filePassphrase));
      return { fileName: path.basename(target), signer: signerView() };
    },
    importKey: async ({ passphrase, filePassphrase, replace, identity }) => {
      const source = await chooseKeyFile('open', 'peregrine-examiner-key.pem');
      if (!source) return null;
      // Under the keychain when the host has one; else under the passphrase typed with it (or the file's).
      const access = keyAccess(passphrase ?? filePassphrase);
      withKey(() => importExaminerKey(deps.keyDir, identity, source, filePassphrase, access, { replace }));
      return { fileName: path.basename(source), signer: signerView() };
    },
  };
}
