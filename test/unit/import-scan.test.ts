// Vitest (plain Node): the import's record scanner (CSV, JSON arrays and pages, JSON lines; UTF-8 and UTF-16LE) cuts
// records at the right bytes and lines whatever the block sizes, holds at most a record's worth, and reads a chunk
// again alone; the dates of an audit search CSV are told only when every date agrees.
import { describe, expect, it } from 'vitest';
import { DateEvidence, readDate } from '../../main/import/dates';
import { ImportError } from '../../main/import/errors';
import { FORMAT_IDS } from '../../main/import/formats';
import { csvFields, Scanner, type Container, type Encoding, type ScannedChunk } from '../../main/import/scan';
import { IMPORT_DATE_FORMATS, IMPORT_FORMAT_IDS } from '../../renderer/features/import/importFormats';
import { DATE_FORMATS } from '../../main/import/dates';

const BIG = Number.MAX_SAFE_INTEGER;

function scan(bytes: Buffer, o: { container: Container; encoding?: Encoding; bom?: number; block?: number; chunkRecords?: number; maxRecordBytes?: number }): ScannedChunk[] {
  const s = new Scanner({ container: o.container, encoding: o.encoding ?? 'utf8', file: 'f', bom: o.bom ?? 0, maxRecordBytes: o.maxRecordBytes ?? BIG, chunkBytes: BIG, chunkRecords: o.chunkRecords ?? BIG });
  const out: ScannedChunk[] = [];
  const block = o.block ?? bytes.length;
  for (let i = 0; i < bytes.length; i += block) out.push(...s.push(bytes.subarray(i, i + block)));
  out.push(...s.end());
  return out;
}

const records = (chunks: ScannedChunk[], encoding: Encoding = 'utf8') => chunks.flatMap((c) => c.records.map((r) => ({ text: r.bytes.toString(encoding), offset: r.offset, line: r.line })));

describe('CSV', () => {
  const text = '\uFEFF"a","b"\r\n"1","x,""y"""\r\n\r\n"2","multi\r\nline"\r\n3,plain\r\n';
  const bytes = Buffer.from(text, 'utf8');

  for (const block of [1, 2, 3, 7, 1000]) {
    it(`cuts rows at their line breaks, quoted ones aside, in blocks of ${block}`, () => {
      const got = records(scan(bytes, { container: 'csv', bom: 3, block }));
      expect(got.map((r) => r.text)).toEqual(['"a","b"', '"1","x,""y"""', '"2","multi\r\nline"', '3,plain']);
      expect(got.map((r) => r.line)).toEqual([1, 2, 4, 6]);
      for (const r of got) expect(bytes.subarray(r.offset, r.offset + Buffer.byteLength(r.text)).toString()).toBe(r.text);
    });
  }

  it('reads fields with doubled quotes, commas and line breaks', () => {
    expect(csvFields('"1","x,""y""",plain,"multi\r\nline",')).toEqual(['1', 'x,"y"', 'plain', 'multi\r\nline', '']);
  });

  it('reads UTF-16LE by 16-bit units', () => {
    const u16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('"a","b"\r\n"é","日本"\r\n', 'utf16le')]);
    const got = records(scan(u16, { container: 'csv', encoding: 'utf16le', bom: 2, block: 3 }), 'utf16le');
    expect(got.map((r) => r.text)).toEqual(['"a","b"', '"é","日本"']);
    expect(got[1]!.offset % 2).toBe(0);
  });

  it('refuses a file that ends inside a quoted field, naming the line the record starts on', () => {
    expect(() => scan(Buffer.from('"a"\n"1","open\nstill'), { container: 'csv' })).toThrow(expect.objectContaining({ code: 'truncated', line: 2 }));
  });

  it('refuses a line longer than the limit as soon as it passes it, holding no more than a block beyond it', () => {
    const s = new Scanner({ container: 'csv', encoding: 'utf8', file: 'f', bom: 0, maxRecordBytes: 1000, chunkBytes: BIG, chunkRecords: BIG });
    let fed = 0;
    const block = Buffer.alloc(256, 0x61);
    const feed = () => {
      for (;;) {
        s.push(block);
        fed += block.length;
      }
    };
    expect(feed).toThrow(ImportError);
    expect(fed).toBeLessThanOrEqual(1000 + 256);
  });
});

describe('JSON', () => {
  it('takes the objects of an array, a Graph page\'s "value", and JSON lines, in any block size', () => {
    const array = Buffer.from('[\n {"id":"1","s":"a]}\\"{"},\n {"id":"2","n":{"x":[1,2]}}\n]\n');
    const page = Buffer.from('{"@odata.context":"value","value":[{"id":"1"},{"id":"2"}],"@odata.nextLink":"x"}');
    const lines = Buffer.from('{"id":"1"}\n{"id":"2"}\n');
    for (const block of [1, 5, 1000]) {
      expect(records(scan(array, { container: 'json', block })).map((r) => JSON.parse(r.text).id)).toEqual(['1', '2']);
      expect(records(scan(page, { container: 'json', block })).map((r) => JSON.parse(r.text).id)).toEqual(['1', '2']);
      expect(records(scan(lines, { container: 'ndjson', block })).map((r) => [JSON.parse(r.text).id, r.line])).toEqual([['1', 1], ['2', 2]]);
    }
  });

  it('takes one object with no record list as the one record', () => {
    expect(records(scan(Buffer.from('{"Id":"1","value":"text"}'), { container: 'json' })).map((r) => r.text)).toEqual(['{"Id":"1","value":"text"}']);
  });

  it('refuses an array cut in half, an item that is not an object, and text that is not JSON', () => {
    expect(() => scan(Buffer.from('[{"id":"1"},{"id":'), { container: 'json' })).toThrow(expect.objectContaining({ code: 'truncated' }));
    expect(() => scan(Buffer.from('[{"id":"1"}, 2]'), { container: 'json' })).toThrow(/not a JSON object/);
    expect(() => scan(Buffer.from('hello'), { container: 'json' })).toThrow(/not JSON/);
  });

  it('reads each chunk again alone from the state it started in, to the same records', () => {
    const bytes = Buffer.from(`{"value":[${Array.from({ length: 7 }, (_, i) => `\n  {"id":"${i}","t":"}{"}`).join(',')}\n]}`);
    const chunks = scan(bytes, { container: 'json', chunkRecords: 2, block: 3 });
    expect(chunks.length).toBeGreaterThan(3);
    expect(Buffer.concat(chunks.map((c) => c.body)).equals(bytes)).toBe(true);
    for (const c of chunks) {
      const again = new Scanner({ container: 'json', encoding: 'utf8', file: 'f', bom: 0, maxRecordBytes: BIG, chunkBytes: BIG, chunkRecords: BIG, ...(c.state.byteStart > 0 ? { resume: c.state } : {}) });
      const reread = [...again.push(Buffer.from(c.body)), ...again.end({ partial: 'chunk' })].flatMap((x) => x.records);
      expect(reread.map((r) => [r.offset, r.line, r.bytes.toString()])).toEqual(c.records.map((r) => [r.offset, r.line, r.bytes.toString()]));
    }
  });
});

describe('dates of an audit search CSV', () => {
  const told = (values: string[]) => {
    const e = new DateEvidence();
    values.forEach((v, i) => e.add(v, i + 2));
    return e.resolve('f.csv', 'CreationDate');
  };

  it('are month-first when a second number passes 12, day-first when a first does', () => {
    expect(told(['3/4/2024 10:00:00 AM', '5/21/2024 1:05:00 PM'])).toBe('M/d/yyyy');
    expect(told(['3/4/2024 10:00:00', '21/5/2024 13:05:00'])).toBe('d/M/yyyy');
    expect(told(['2024-05-21T09:14:03.0000000Z'])).toBe('iso');
    expect(told(['21.05.2024 13:05:00'])).toBe('d.M.yyyy');
    expect(told(['2024/05/21 13:05:00'])).toBe('yyyy/M/d');
  });

  it('are refused when every one reads both ways, or when they contradict each other', () => {
    expect(() => told(['3/4/2024 10:00:00 AM', '12/11/2024 1:05:00 PM'])).toThrow(expect.objectContaining({ code: 'date_format', line: 2, field: 'CreationDate' }));
    expect(() => told(['21/5/2024 10:00:00', '5/21/2024 10:00:00'])).toThrow(/contradict/);
  });

  it('read as told, in UTC, with AM and PM, and never as a day that does not exist', () => {
    expect(readDate('5/21/2024 1:05:09 PM', 'M/d/yyyy')).toBe('2024-05-21T13:05:09.000Z');
    expect(readDate('12/1/2024 12:00:00 AM', 'M/d/yyyy')).toBe('2024-12-01T00:00:00.000Z');
    expect(readDate('21/5/2024 13:05', 'd/M/yyyy')).toBe('2024-05-21T13:05:00.000Z');
    expect(readDate('31/4/2024 10:00:00', 'd/M/yyyy')).toBeNull();
    expect(readDate('5/21/2024 1:05:09 PM', 'd/M/yyyy')).toBeNull();
    expect(readDate('2024-05-21T09:14:03.1234567+02:00', 'd/M/yyyy')).toBe('2024-05-21T07:14:03.123Z');
  });
});

it('offers in the Import screen exactly the formats main imports', () => {
  expect([...IMPORT_FORMAT_IDS]).toEqual([...FORMAT_IDS]);
  expect([...IMPORT_DATE_FORMATS]).toEqual([...DATE_FORMATS]);
});
