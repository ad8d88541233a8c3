// Main process / CLI: MSAL's token cache, persisted only encrypted — by the OS keychain in the app, by a passphrase in the CLI — and never in a case file or a log.
import fs from 'node:fs';
import path from 'node:path';
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';

export interface CacheCipher {
  encrypt(plain: string): Buffer;
  /** Throws when the data was not made by this cipher's key (a wrong passphrase, another user's keychain). */
  decrypt(data: Buffer): string;
}

const MAGIC = Buffer.from('PRGNTC1');
// scrypt at N=2^15, r=8: ~32 MiB and a fraction of a second per unlock; a stolen file resists offline guessing.
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

/** AES-256-GCM under a key derived from the passphrase with scrypt; a fresh salt and IV each time it is written. */
export function passphraseCipher(passphrase: string): CacheCipher {
  if (passphrase.length < 12) throw new Error('The token-cache passphrase must be at least 12 characters.');
  const keyFor = (salt: Buffer) => scryptSync(passphrase, salt, 32, SCRYPT);
  return {
    encrypt(plain) {
      const salt = randomBytes(16);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keyFor(salt), iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return Buffer.concat([MAGIC, salt, iv, cipher.getAuthTag(), body]);
    },
    decrypt(data) {
      if (!data.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('This is not a Peregrine token cache.');
      let at = MAGIC.length;
      const salt = data.subarray(at, (at += 16));
      const iv = data.subarray(at, (at += 12));
      const tag = data.subarray(at, (at += 16));
      const decipher = createDecipheriv('aes-256-gcm', keyFor(salt), iv);
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(data.subarray(at)), decipher.final()]).toString('utf8');
      } catch (err) {
        throw new Error('The token cache cannot be opened with this passphrase (or it was altered). Sign in again.', { cause: err });
      }
    },
  };
}

/** A cache file beside Peregrine's settings, readable by its owner only. */
export function cacheFile(file: string) {
  return {
    read: (): Buffer | null => (fs.existsSync(file) ? fs.readFileSync(file) : null),
    write: (data: Buffer) => {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, data, { mode: 0o600 });
      fs.renameSync(tmp, file);
    },
    clear: () => fs.rmSync(file, { force: true }),
  };
}

export type CacheStore = ReturnType<typeof cacheFile>;

/**
 * MSAL reads the cache before each token operation and writes it after a change. A cache that cannot be
 * decrypted is treated as empty (the consultant signs in again) rather than as an error that blocks work.
 */
export function encryptedCachePlugin(store: CacheStore, cipher: CacheCipher, onUnreadable?: (reason: string) => void): ICachePlugin {
  return {
    async beforeCacheAccess(ctx: TokenCacheContext) {
      const data = store.read();
      if (!data) return;
      try {
        ctx.tokenCache.deserialize(cipher.decrypt(data));
      } catch (err) {
        onUnreadable?.((err as Error).message);
      }
    },
    async afterCacheAccess(ctx: TokenCacheContext) {
      if (ctx.cacheHasChanged) store.write(cipher.encrypt(ctx.tokenCache.serialize()));
    },
  };
}
