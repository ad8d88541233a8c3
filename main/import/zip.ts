// Import (CLI, import worker): a .zip of a collection folder read entry by entry from its central directory — stored
// and deflated entries only (what Compress-Archive, Explorer's "Send to > Compressed folder", zip and 7-Zip write by
// default), every name checked to stay inside the folder and every size bounded before and while it is inflated.
// The format: https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT (4.3.7 local header, 4.3.12 central
// directory header, 4.3.16 end of central directory record).
import fs from 'node:fs';
import path from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { ImportError } from './errors';

export interface ZipLimits {
  /** An entry declaring more than this, inflated, is refused (one entry is held in memory at a time). */
  maxEntryBytes: number;
  /** The entries together may declare at most this. */
  maxTotalBytes: number;
  /** At most this many entries. */
  maxEntries: number;
}

export const ZIP_LIMITS: ZipLimits = { maxEntryBytes: 1024 * 1024 * 1024, maxTotalBytes: 64 * 1024 * 1024 * 1024, maxEntries: 100_000 };

export interface ZipEntry {
  /** The name as stored, '/'-separated. */
  name: string;
  method: 0 | 8;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

export interface ZipArchive {
  file: string;
  /** Regular entries (folders left out), in the central directory's order. */
  entries: ZipEntry[];
  /** The entry's bytes, inflated and checked against its declared size and CRC-32. */
  read(entry: ZipEntry): Promise<Buffer>;
}

const EOCD = 0x06054b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Whether the file starts as a zip does (a local header, or the end record of an empty zip). */
export async function isZipFile(file: string): Promise<boolean> {
  const fd = await fs.promises.open(file, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fd.read(head, 0, 4, 0);
    return bytesRead === 4 && (head.readUInt32LE(0) === LOCAL || head.readUInt32LE(0) === EOCD);
  } finally {
    await fd.close();
  }
}

/**
 * An entry's name with '/' separators. Compress-Archive of Windows PowerShell 5.1 (Microsoft.PowerShell.Archive before
 * 1.2.3.0) writes '\\' between folders, against APPNOTE 4.4.17.1
 * (https://github.com/PowerShell/Microsoft.PowerShell.Archive/issues/48): read as the separator it meant.
 */
export const entryPath = (name: string) => name.replace(/\\/g, '/');

/** Why an entry name would escape the folder it is unpacked into (zip-slip), or null when it is a plain relative path. */
export function unsafeEntryName(name: string): string | null {
  const p = entryPath(name);
  if (p.length === 0) return 'it is empty';
  if (p.includes('\0')) return 'it holds a NUL character';
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return 'it is an absolute path';
  if (p.split('/').some((part) => part === '..')) return 'it climbs out of the folder (..)';
  return null;
}

async function readAt(fd: fs.promises.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fd.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

export async function openZip(file: string, limits: ZipLimits = ZIP_LIMITS): Promise<ZipArchive> {
  const name = path.basename(file);
  const refuse = (problem: string): never => {
    throw new ImportError('truncated', name, null, null, problem);
  };
  const unsupported = (problem: string): never => {
    throw new ImportError('unrecognised', name, null, null, problem);
  };
  const fd = await fs.promises.open(file, 'r');
  try {
    const size = (await fd.stat()).size;
    // The end record is 22 bytes and may be followed by a comment of up to 65,535.
    const tailStart = Math.max(0, size - 22 - 65_535);
    const tail = await readAt(fd, tailStart, size - tailStart);
    let at = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD && i + 22 + tail.readUInt16LE(i + 20) === tail.length) {
        at = i;
        break;
      }
    }
    if (at < 0) refuse('the zip is cut short or is not a zip: it has no end of central directory record. Copy it again from the client.');
    if (at >= 20 && tail.readUInt32LE(at - 20) === EOCD64_LOCATOR) unsupported('the zip is a ZIP64 archive, which Peregrine does not read; unpack it and import the folder.');
    const disk = tail.readUInt16LE(at + 4);
    const count = tail.readUInt16LE(at + 10);
    const cdSize = tail.readUInt32LE(at + 12);
    const cdOffset = tail.readUInt32LE(at + 16);
    if (disk !== 0) unsupported('the zip is split over several files; join it (or unpack it) and import the folder.');
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) unsupported('the zip is a ZIP64 archive, which Peregrine does not read; unpack it and import the folder.');
    if (count > limits.maxEntries) unsupported(`the zip holds ${count} entries, more than the ${limits.maxEntries} a collection folder can have.`);
    if (cdOffset + cdSize > tailStart + at) refuse('the zip is cut short: its central directory lies beyond the end of the file.');
    const cd = await readAt(fd, cdOffset, cdSize);
    if (cd.length !== cdSize) refuse('the zip is cut short inside its central directory.');
    const entries: ZipEntry[] = [];
    let total = 0;
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) refuse(`the zip's central directory is damaged at entry ${i + 1}.`);
      const flags = cd.readUInt16LE(p + 8);
      const method = cd.readUInt16LE(p + 10);
      const crc = cd.readUInt32LE(p + 16);
      const compressedSize = cd.readUInt32LE(p + 20);
      const entrySize = cd.readUInt32LE(p + 24);
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      const localOffset = cd.readUInt32LE(p + 42);
      if (p + 46 + nameLength > cd.length) refuse(`the zip's central directory is damaged at entry ${i + 1}.`);
      const entryName = entryPath(cd.subarray(p + 46, p + 46 + nameLength).toString('utf8'));
      p += 46 + nameLength + extraLength + commentLength;
      const where = (problem: string) => new ImportError('unrecognised', `${name}:${entryName}`, null, null, problem);
      const unsafe = unsafeEntryName(entryName);
      if (unsafe) throw where(`the entry's name is not a path inside the folder (${unsafe}); nothing was imported. The zip may have been made to write outside its folder.`);
      if (flags & 0x1) throw where('the entry is encrypted; ask the client for the zip without a password.');
      if (compressedSize === 0xffffffff || entrySize === 0xffffffff || localOffset === 0xffffffff) throw where('the entry needs ZIP64, which Peregrine does not read; unpack the zip and import the folder.');
      if (entryName.endsWith('/')) continue;
      if (method !== 0 && method !== 8) throw where(`the entry is compressed with method ${method}; Peregrine reads stored and deflated entries only.`);
      if (entrySize > limits.maxEntryBytes) throw where(`the entry declares ${entrySize} bytes, more than the ${limits.maxEntryBytes} one file of a collection folder may hold.`);
      total += entrySize;
      if (total > limits.maxTotalBytes) throw where(`the entries declare more than ${limits.maxTotalBytes} bytes together; unpack the zip and import the folder.`);
      if (localOffset + 30 + compressedSize > cdOffset) refuse(`the entry ${entryName} lies beyond the zip's data: the zip is damaged.`);
      entries.push({ name: entryName, method: method as 0 | 8, crc, compressedSize, size: entrySize, localOffset });
    }
    const seen = new Set<string>();
    for (const e of entries) {
      if (seen.has(e.name)) throw new ImportError('unrecognised', `${name}:${e.name}`, null, null, 'the zip holds two entries of this name; it is not a zip of one folder.');
      seen.add(e.name);
    }
    return {
      file,
      entries,
      read: async (entry) => {
        const fh = await fs.promises.open(file, 'r');
        try {
          const label = `${name}:${entry.name}`;
          const local = await readAt(fh, entry.localOffset, 30);
          if (local.length < 30 || local.readUInt32LE(0) !== LOCAL) throw new ImportError('truncated', label, null, null, 'the entry\'s local header is missing or damaged: the zip is damaged.');
          const start = entry.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
          const data = await readAt(fh, start, entry.compressedSize);
          if (data.length !== entry.compressedSize) throw new ImportError('truncated', label, null, null, 'the entry is cut short: the zip is damaged.');
          let bytes: Buffer;
          if (entry.method === 0) bytes = data;
          else {
            try {
              // Never more than it declares: a bomb stops at its declared size, and is refused below if it has more.
              bytes = inflateRawSync(data, { maxOutputLength: Math.max(1, entry.size) });
            } catch (err) {
              const tooBig = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
              throw new ImportError('truncated', label, null, null, tooBig ? `the entry inflates to more than the ${entry.size} bytes it declares; nothing was imported.` : `the entry does not inflate (${(err as Error).message}): the zip is damaged.`);
            }
          }
          if (bytes.length !== entry.size) throw new ImportError('truncated', label, null, null, `the entry holds ${bytes.length} bytes but declares ${entry.size}: the zip is damaged.`);
          if ((crc32(bytes) >>> 0) !== entry.crc) throw new ImportError('truncated', label, null, null, 'the entry\'s CRC-32 does not match its bytes: the zip is damaged.');
          return bytes;
        } finally {
          await fh.close();
        }
      },
    };
  } finally {
    await fd.close();
  }
}
