// Test (Vitest, Node): the collection-folder zip reader — stored and deflated entries read back byte for byte; names
// that leave the folder, encryption, ZIP64, other methods, lying sizes and damaged bytes refused, naming the entry.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImportError } from '../../main/import/errors';
import { isZipFile, openZip, unsafeEntryName } from '../../main/import/zip';
import { writeZip, type ZipInput } from '../support/zip-writer';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peregrine-zip-'));
let n = 0;
const zipOf = (entries: ZipInput[] | Buffer) => {
  const file = path.join(dir, `t${++n}.zip`);
  fs.writeFileSync(file, Buffer.isBuffer(entries) ? entries : writeZip(entries));
  return file;
};
const refusal = async (p: Promise<unknown>) => {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ImportError);
  return err as ImportError;
};
const json = Buffer.from(JSON.stringify({ value: [{ id: 'a' }] }).repeat(50));

describe('zip reader', () => {
  it('reads stored and deflated entries back as written, folders left out', async () => {
    const file = zipOf([{ name: 'f/', data: Buffer.alloc(0), method: 0 }, { name: 'f/a.json', data: json }, { name: 'f/b.json', data: json, method: 0 }]);
    expect(await isZipFile(file)).toBe(true);
    const zip = await openZip(file);
    expect(zip.entries.map((e) => [e.name, e.method])).toEqual([['f/a.json', 8], ['f/b.json', 0]]);
    for (const e of zip.entries) expect((await zip.read(e)).equals(json)).toBe(true);
  });

  it('reads backslashes as folder separators, as Windows PowerShell 5.1\'s Compress-Archive writes them', async () => {
    const zip = await openZip(zipOf([{ name: 'peregrine-collection-x\\graph.users\\page-0001.json', data: json }]));
    expect(zip.entries.map((e) => e.name)).toEqual(['peregrine-collection-x/graph.users/page-0001.json']);
    expect((await zip.read(zip.entries[0]!)).equals(json)).toBe(true);
    expect((await refusal(openZip(zipOf([{ name: 'x\\..\\..\\evil.ps1', data: json }])))).message).toMatch(/climbs out of the folder/);
  });

  it('tells names that leave the folder', () => {
    expect(unsafeEntryName('a/b.json')).toBeNull();
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'C:/x', 'a\\..\\x', 'a\0b', '']) expect(unsafeEntryName(bad)).not.toBeNull();
  });

  it('refuses an encrypted entry, another method, a duplicate name, naming the entry', async () => {
    const encrypted = writeZip([{ name: 'a.json', data: json }]);
    // General-purpose flag bit 0 in the central directory header (after the local header, name and data).
    const cd = encrypted.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    encrypted.writeUInt16LE(encrypted.readUInt16LE(cd + 8) | 1, cd + 8);
    expect((await refusal(openZip(zipOf(encrypted)))).message).toMatch(/^t\d+\.zip:a\.json: the entry is encrypted/);
    const bzip = writeZip([{ name: 'a.json', data: json, method: 0 }]);
    const cd2 = bzip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bzip.writeUInt16LE(12, cd2 + 10);
    expect((await refusal(openZip(zipOf(bzip)))).message).toMatch(/method 12/);
    expect((await refusal(openZip(zipOf([{ name: 'a.json', data: json }, { name: 'a.json', data: json }])))).message).toMatch(/two entries of this name/);
  });

  it('refuses ZIP64', async () => {
    const z = writeZip([{ name: 'a.json', data: json }]);
    const end = z.length - 22;
    z.writeUInt32LE(0xffffffff, end + 16);
    expect((await refusal(openZip(zipOf(z)))).message).toMatch(/ZIP64/);
  });

  it('refuses a lying size, a wrong CRC, a declared size over the limit, and a zip cut short', async () => {
    const liar = await openZip(zipOf([{ name: 'a.json', data: json, declaredSize: 10 }]));
    expect((await refusal(liar.read(liar.entries[0]!))).message).toMatch(/inflates to more than the 10 bytes it declares/);
    const short = await openZip(zipOf([{ name: 'a.json', data: json, method: 0, declaredSize: json.length + 5 }]));
    expect((await refusal(short.read(short.entries[0]!))).message).toMatch(/declares/);
    const flipped = writeZip([{ name: 'a.json', data: json, method: 0 }]);
    flipped[40] = flipped[40]! ^ 0xff; // inside the stored data
    const bad = await openZip(zipOf(flipped));
    expect((await refusal(bad.read(bad.entries[0]!))).message).toMatch(/CRC-32/);
    expect((await refusal(openZip(zipOf([{ name: 'a.json', data: json }]), { maxEntryBytes: 100, maxTotalBytes: 1000, maxEntries: 10 }))).message).toMatch(/more than the 100/);
    const whole = writeZip([{ name: 'a.json', data: json }]);
    expect(await refusal(openZip(zipOf(whole.subarray(0, whole.length - 10))))).toMatchObject({ code: 'truncated' });
  });
});
