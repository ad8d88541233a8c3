// Vitest (plain Node): the pure pieces under the log parsers: operation names, timestamps, text decoding, CSV, IPs.
import { describe, expect, it } from 'vitest';
import { normalizeOperation } from '../../db/normalize/operation';
import { cleanIp } from '../../db/normalize/record';
import { csvRecords, decodeText, fromPortalCsv, jsonRecords, LogFileError } from '../../db/normalize/text';
import { toUtcIso } from '../../db/normalize/time';

describe('normalizeOperation', () => {
  it('makes the spellings of one operation across logs equal', () => {
    const same = [
      'Update application – Certificates and secrets management ',
      'Update application - Certificates and secrets management',
      'Update application — Certificates and secrets management.',
      'Update application – Certificates and secrets management .',
      'update application -Certificates  and secrets management',
    ];
    for (const name of same) expect(normalizeOperation(name)).toBe('update application - certificates and secrets management');
    expect(normalizeOperation('Add service principal.')).toBe(normalizeOperation('Add service principal'));
    expect(normalizeOperation('Add service principal credentials.')).toBe('add service principal credentials');
  });

  it('keeps hyphens inside words, and keeps distinct operations distinct', () => {
    expect(normalizeOperation('New-InboundConnector')).toBe('new-inboundconnector');
    expect(normalizeOperation('Sign-in activity')).toBe('sign-in activity');
    expect(normalizeOperation('Add service principal')).not.toBe(normalizeOperation('Add service principal credentials'));
    expect(normalizeOperation('Remove-TransportRule')).not.toBe(normalizeOperation('New-TransportRule'));
  });
});

describe('toUtcIso', () => {
  it.each([
    ['2018-01-09T21:20:02.7215374Z', '2018-01-09T21:20:02.721Z'],
    ['2022-01-22T18:15:02.5168093+00:00', '2022-01-22T18:15:02.516Z'],
    ['2024-07-10T14:25:49', '2024-07-10T14:25:49.000Z'],
    ['2020-05-20T18:19:04.423', '2020-05-20T18:19:04.423Z'],
    ['2024-05-01T12:00:00+02:00', '2024-05-01T10:00:00.000Z'],
    ['2024-05-01T00:30:00-05:30', '2024-05-01T06:00:00.000Z'],
    ['/Date(1650000000000)/', '2022-04-15T05:20:00.000Z'],
    ['/Date(1650000000000+0100)/', '2022-04-15T05:20:00.000Z'],
    ['4/28/2021, 2:08:45.221 PM', '2021-04-28T14:08:45.221Z'],
    ['4/28/2021, 12:05:00.000 AM', '2021-04-28T00:05:00.000Z'],
    ['12/1/2023, 12:00:01.5 PM', '2023-12-01T12:00:01.500Z'],
  ])('%s → %s', (input, expected) => {
    expect(toUtcIso(input)).toBe(expected);
  });

  it('refuses what is not a time', () => {
    for (const bad of ['yesterday', '2024-13-01T00:00:00Z', '13/45/2021, 1:00:00 PM', '', '/Date(x)/', '/Date(253402300800000)/']) expect(toUtcIso(bad)).toBeNull();
  });
});

describe('decodeText', () => {
  const text = '{"Operation":"New-TransportRule","Name":"Test01 – é"}';
  it('reads UTF-8 with and without a BOM, UTF-16LE and UTF-16BE with a BOM, and UTF-16LE without one', () => {
    const utf16le = Buffer.from(text, 'utf16le');
    const utf16be = Buffer.from(utf16le).swap16();
    expect(decodeText(Buffer.from(text))).toBe(text);
    expect(decodeText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]))).toBe(text);
    expect(decodeText(Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le]))).toBe(text);
    expect(decodeText(Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be]))).toBe(text);
    expect(decodeText(utf16le)).toBe(text);
  });
});

describe('jsonRecords and csvRecords', () => {
  it('splits a Graph page, an Event Hub message, an array, one object and JSON lines', () => {
    expect(jsonRecords('{"@odata.nextLink":"x","value":[{"id":"1"},{"id":"2"}]}', 'page')).toEqual([{ id: '1' }, { id: '2' }]);
    expect(jsonRecords('[{"id":"1"}]', 'array')).toEqual([{ id: '1' }]);
    expect(jsonRecords('{"records":[{"time":"t","operationName":"Add service principal credentials","properties":{}}]}', 'event hub')).toHaveLength(1);
    expect(jsonRecords('{"id":"1"}', 'one')).toEqual([{ id: '1' }]);
    expect(jsonRecords('{"id":"1"}\r\n\r\n{"id":"2"}\n', 'lines')).toEqual([{ id: '1' }, { id: '2' }]);
  });

  it('names the file and line that is not JSON', () => {
    expect(() => jsonRecords('{"id":"1"}\n{"id":\n', 'signins.jsonl')).toThrow(LogFileError);
    expect(() => jsonRecords('{"id":"1"}\n{"id":\n', 'signins.jsonl')).toThrow(/^signins\.jsonl: line 2 is not JSON/);
  });

  it('reads quoted CSV with commas, doubled quotes and line breaks, and portal column names', () => {
    const csv = '\uFEFFId,Status_dynamic,"CreatedDateTime [UTC]",Empty\r\n1,"{""errorCode"":50126,\r\n""failureReason"":""a, b""}","4/28/2021, 2:08:45.221 PM",\r\n';
    const rows = csvRecords(csv, 'export.csv');
    expect(rows).toEqual([{ Id: '1', Status_dynamic: '{"errorCode":50126,\r\n"failureReason":"a, b"}', 'CreatedDateTime [UTC]': '4/28/2021, 2:08:45.221 PM', Empty: '' }]);
    expect(fromPortalCsv(rows[0]!)).toEqual({ Id: '1', Status: '{"errorCode":50126,\r\n"failureReason":"a, b"}', CreatedDateTime: '4/28/2021, 2:08:45.221 PM' });
    expect(() => csvRecords('a,b\n"1,2\n', 'broken.csv')).toThrow(/broken\.csv: a quoted field is not closed/);
  });
});

describe('cleanIp', () => {
  it('drops ports and brackets the Unified Audit Log adds, keeps plain IPv6', () => {
    expect(cleanIp('[2a01:110:8068:7:9bf8:aa87:e00a:5f1f]:36185')).toBe('2a01:110:8068:7:9bf8:aa87:e00a:5f1f');
    expect(cleanIp('198.51.100.23:50211')).toBe('198.51.100.23');
    expect(cleanIp('2001:db8::1')).toBe('2001:db8::1');
    expect(cleanIp('203.0.113.66')).toBe('203.0.113.66');
    expect(cleanIp(' ')).toBeNull();
  });
});
