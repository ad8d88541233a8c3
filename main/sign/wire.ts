// Main process (and workers, CLI): OpenSSH wire encoding of Ed25519 keys and signatures (RFC 4251 §5, PROTOCOL.sshsig).
import { createHash } from 'node:crypto';

/** uint32 length + bytes, the SSH `string` type. */
export function sshString(data: Uint8Array | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** Reads SSH `string`s in sequence; throws on truncation. */
export class SshReader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}
  bytes(n: number): Buffer {
    if (this.offset + n > this.buffer.length) throw new Error('truncated SSH structure');
    const out = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }
  string(): Buffer {
    return this.bytes(this.uint32());
  }
  get done(): boolean {
    return this.offset === this.buffer.length;
  }
}

/** `string "ssh-ed25519" || string key`: the public key blob OpenSSH hashes for fingerprints. */
export function sshEd25519PublicBlob(rawPublicKey: Uint8Array): Buffer {
  return Buffer.concat([sshString('ssh-ed25519'), sshString(rawPublicKey)]);
}

/** `SHA256:` + unpadded base64, exactly as `ssh-keygen -lf` prints it. */
export function sshFingerprint(rawPublicKey: Uint8Array): string {
  const digest = createHash('sha256').update(sshEd25519PublicBlob(rawPublicKey)).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/** One authorized_keys-style line: `ssh-ed25519 AAAA… comment`. */
export function sshPublicKeyLine(rawPublicKey: Uint8Array, comment: string): string {
  const line = `ssh-ed25519 ${sshEd25519PublicBlob(rawPublicKey).toString('base64')}`;
  const safeComment = comment.replace(/[\r\n]/g, ' ').trim();
  return safeComment ? `${line} ${safeComment}` : line;
}
