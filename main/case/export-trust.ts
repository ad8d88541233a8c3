// Main process, workers and CLI (`peregrine verify <export>`): who signed an export, whether it is the pinned key,
// and that the manifest lists every file an export has (so none can be dropped from it unnoticed).
import { EXPORT_FILES, type Manifest } from '../timeline/manifest';
import { pinnedKeys, type SignerPin } from '../sign/pin';

/** Every export has these; a manifest without one of them was cut down after export. */
export const REQUIRED_EXPORT_FILES: readonly string[] = Object.values(EXPORT_FILES);

/** The `Signer key:` line VERIFY.txt prints for people; verify reads it only to flag a mismatch. */
export function verifyTxtFingerprint(text: string): string | null {
  return /^Signer key:\s+(SHA256:[A-Za-z0-9+/]+)/m.exec(text)?.[1] ?? null;
}

/**
 * Checks beyond hashes and signatures: every required file is listed; VERIFY.txt (never trusted: only the signed
 * manifest is) names the same key as the manifest; with a pin, the manifest was signed by a pinned key.
 * `signatureValid` says the Ed25519 signature over manifest.json verified with the key the manifest names.
 */
export function checkExportTrust(
  manifest: Manifest,
  read: (name: string) => Buffer | null,
  add: (where: string, message: string) => void,
  pin: SignerPin | null,
): void {
  const listed = new Set(manifest.files.map((f) => f.name));
  for (const name of REQUIRED_EXPORT_FILES) {
    if (!listed.has(name)) add(name, `manifest.json does not list ${name}, which every Peregrine export has: it was removed from the manifest after export.`);
  }
  const verifyTxt = read(EXPORT_FILES.verify);
  if (verifyTxt) {
    const named = verifyTxtFingerprint(verifyTxt.toString('utf8'));
    if (named !== manifest.signer.fingerprint) {
      add(
        EXPORT_FILES.verify,
        `It names signer key ${named ?? '(none)'}, but manifest.json was signed by ${manifest.signer.fingerprint}: VERIFY.txt is not evidence of who signed; trust only the manifest's key, and only if you know it is the examiner's.`,
      );
    }
  }
  if (pin && !pin.fingerprints.has(manifest.signer.fingerprint)) {
    add('manifest.json.sig', `manifest.json is signed by ${manifest.signer.identity} ${manifest.signer.fingerprint}, not by ${pinnedKeys(pin)}.`);
  }
}
