// Import (CLI, import worker, verify): splits a file's bytes, block by block, into records and evidence chunks — CSV
// rows, the objects of a JSON array or Graph page, JSON lines — knowing each record's byte offset and line, and never
// holding more than one chunk plus one record.
import { ImportError } from './errors';

export type Container = 'csv' | 'json' | 'ndjson';
export type Encoding = 'utf8' | 'utf16le';

/** One record as it sits in the file: its bytes (no line break), where it starts, and on which line. */
export interface ScannedRecord {
  bytes: Buffer;
  /** Byte offset of its first byte in the file. */
  offset: number;
  /** 1-based line of its first byte. */
  line: number;
}

/** Where the scanner stands at a chunk boundary: enough to read that chunk again on its own. */
export interface ScanState {
  /** Byte offset in the file of the chunk's first byte. */
  byteStart: number;
  /** Line of the chunk's first byte. */
  lineStart: number;
  /** JSON: nesting depth at which the records sit (1 in an array, 2 in a page's "value"), -1 before it is known. */
  depth: number;
  /** JSON: records found ('records'), still looking for them ('seek'), or past them ('done'). */
  mode: 'seek' | 'records' | 'done';
}

/** A run of whole records and the bytes around them: the file is the concatenation of its chunks' bodies. */
export interface ScannedChunk {
  body: Buffer;
  /** The state at the chunk's first byte. */
  state: ScanState;
  records: ScannedRecord[];
}

export interface ScanOptions {
  container: Container;
  encoding: Encoding;
  /** The file's name, for errors. */
  file: string;
  /** Bytes of the byte-order mark at the start of the file (0 when reading a later chunk again). */
  bom: number;
  /** A record (a CSV line, a JSON object) longer than this is refused instead of buffered. */
  maxRecordBytes: number;
  /** A chunk is closed after the record that brings it to this many bytes… */
  chunkBytes: number;
  /** …or this many records. */
  chunkRecords: number;
  /** Reading a later chunk again: the state it started in. */
  resume?: ScanState;
}

const NL = 0x0a;
const QUOTE = 0x22;
const COMMA = 0x2c;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0xfeff;
/** Keys of a JSON object whose array holds the records: Graph pages ("value"), Azure Monitor Event Hub messages ("records"). */
const RECORD_LISTS = new Set(['value', 'records']);

/**
 * A push scanner: feed it blocks in file order, take the chunks it closes, and call end() at the end of the file.
 * Positions are byte offsets; in UTF-16LE every character is read as one 16-bit unit (the delimiters are all ASCII).
 */
export class Scanner {
  private cur: Buffer = Buffer.alloc(0);
  /** Bytes of the chunk under way before cur, already scanned and in no unfinished record. */
  private done: Buffer[] = [];
  /** File offset of cur[0]. */
  private base: number;
  /** Next position to scan, relative to cur. */
  private pos: number;
  private line: number;
  private readonly unit: number;
  private readonly o: ScanOptions;
  // chunk under way
  private chunkState: ScanState;
  private chunkRecords: ScannedRecord[] = [];
  /** File offset just past the last record of the chunk under way (where a chunk may be cut). */
  private cut: number;
  // CSV
  private inQuotes = false;
  private justClosed = false;
  private fieldStart = true;
  // JSON
  private depth: number;
  private mode: ScanState['mode'];
  private recordDepth: number;
  private inString = false;
  private escape = false;
  private key: number[] | null = null;
  private lastKey = '';
  private keyReady = false;
  private topStarted = false;
  /** File offset of the record under way, or -1; and the line it started on. */
  private recordStart = -1;
  private recordLine = 0;

  constructor(o: ScanOptions) {
    this.o = o;
    this.unit = o.encoding === 'utf16le' ? 2 : 1;
    const r = o.resume;
    this.base = r?.byteStart ?? 0;
    this.pos = o.bom;
    this.line = r?.lineStart ?? 1;
    this.depth = r ? r.depth : 0;
    this.recordDepth = r ? r.depth : -1;
    this.mode = r?.mode ?? 'seek';
    this.topStarted = r !== undefined;
    this.chunkState = { byteStart: this.base, lineStart: this.line, depth: this.recordDepth, mode: this.mode };
    this.cut = this.base;
    if (o.container !== 'json') this.mode = 'records';
    if (o.container === 'csv') this.startRecord(this.base + o.bom);
  }

  /** Scans a block; returns the chunks it closed. */
  push(block: Buffer): ScannedChunk[] {
    // Bytes already scanned and in no unfinished record are set aside (by reference): only an unfinished record is
    // copied into the next block's buffer, so a chunk's bytes are copied once, not once per block.
    const keep = Math.min(this.cur.length, (this.recordStart >= 0 ? Math.min(this.recordStart, this.base + this.pos) : this.base + this.pos) - this.base);
    if (keep > 0) {
      this.done.push(this.cur.subarray(0, keep));
      this.cur = this.cur.subarray(keep);
      this.base += keep;
      this.pos -= keep;
    }
    this.cur = this.cur.length === 0 ? block : Buffer.concat([this.cur, block]);
    const out: ScannedChunk[] = [];
    // Scanned up to a whole unit; closing a chunk moves cur (and pos) down, and the end with them.
    const tail = (this.cur.length - this.pos) % this.unit;
    while (this.pos < this.cur.length - tail) {
      const c = this.unit === 1 ? this.cur[this.pos]! : this.cur[this.pos]! | (this.cur[this.pos + 1]! << 8);
      const at = this.base + this.pos;
      this.pos += this.unit;
      if (this.o.container === 'csv') this.csv(c, at);
      else this.json(c, at);
      if (c === NL) this.line++;
      if (this.cut > this.chunkState.byteStart && this.full()) out.push(this.close(this.cut));
    }
    const pending = this.recordStart >= 0 ? this.base + this.pos - this.recordStart : 0;
    if (pending > this.o.maxRecordBytes) {
      throw new ImportError('too_long', this.o.file, this.recordLine, null, `a record is longer than ${this.o.maxRecordBytes.toLocaleString('en-US')} bytes, the limit; it was refused rather than held in memory (is this a log export?).`);
    }
    return out;
  }

  /**
   * The end of the file: the last chunk (with whatever follows its last record), or an error if the file is cut short.
   * `partial`: the bytes were a part of the file — 'head', its start cut anywhere (an unfinished last record is left
   * out); 'chunk', one evidence chunk read again (it ends after a whole record, maybe inside the JSON record list).
   */
  end(opts: { partial?: 'head' | 'chunk' } = {}): ScannedChunk[] {
    if (this.pos < this.cur.length) {
      throw new ImportError('encoding', this.o.file, this.line, null, 'the file ends in the middle of a UTF-16 character (an odd number of bytes): it is cut short or not UTF-16.');
    }
    if (this.o.container === 'csv') {
      // A part of a file (its start, read to tell its format) ends wherever it was cut: its last record is left out.
      if (opts.partial !== 'head') {
        if (this.inQuotes) throw new ImportError('truncated', this.o.file, this.recordLine, null, 'the file ends inside a quoted field: it is cut short (the last record is incomplete).');
        this.csvRecordEnd(this.base + this.pos);
      }
    } else if (!opts.partial) {
      if (this.inString || this.depth > 0) {
        throw new ImportError('truncated', this.o.file, this.recordStart >= 0 ? this.recordLine : this.line, null, `the JSON ends ${this.inString ? 'inside a string' : `with ${this.depth} bracket${this.depth === 1 ? '' : 's'} still open`}: the file is cut short.`);
      }
      if (!this.topStarted && this.o.container === 'json') throw new ImportError('truncated', this.o.file, this.line, null, 'the file holds no JSON.');
    }
    const last = this.close(this.base + this.cur.length);
    return last.body.length > 0 || last.records.length > 0 ? [last] : [];
  }

  private full(): boolean {
    return this.chunkRecords.length >= this.o.chunkRecords || this.cut - this.chunkState.byteStart >= this.o.chunkBytes;
  }

  /** Closes the chunk under way at file offset `to` (a record's end, or the end of the file). */
  private close(to: number): ScannedChunk {
    const start = this.chunkState.byteStart;
    const all = this.done.length === 0 ? this.cur : Buffer.concat([...this.done, this.cur]);
    const at = this.base + this.pos;
    const chunk: ScannedChunk = { body: all.subarray(0, to - start), state: this.chunkState, records: this.chunkRecords };
    // The line at `to`: the scan position's, less the line breaks between them.
    let line = this.line;
    for (let i = at - this.unit; i >= to; i -= this.unit) {
      const rel = i - start;
      const c = this.unit === 1 ? all[rel] : all[rel]! | (all[rel + 1]! << 8);
      if (c === NL) line--;
    }
    this.cur = Buffer.from(all.subarray(to - start));
    this.done = [];
    this.base = to;
    this.pos = at - to;
    this.chunkRecords = [];
    this.chunkState = { byteStart: to, lineStart: line, depth: this.recordDepth, mode: this.mode };
    return chunk;
  }

  private startRecord(at: number): void {
    this.recordStart = at;
    this.recordLine = this.line;
  }

  private emit(start: number, end: number, line: number): void {
    this.chunkRecords.push({ bytes: this.cur.subarray(start - this.base, end - this.base), offset: start, line });
    this.cut = end;
  }

  // ---- CSV (RFC 4180: quoted fields may hold commas, doubled quotes and line breaks) ----

  private csv(c: number, at: number): void {
    if (this.inQuotes) {
      if (c === QUOTE) {
        this.inQuotes = false;
        this.justClosed = true;
      }
      return;
    }
    if (c === QUOTE) {
      if (this.justClosed || this.fieldStart) this.inQuotes = true;
      this.justClosed = false;
      this.fieldStart = false;
      return;
    }
    this.justClosed = false;
    if (c === COMMA) {
      this.fieldStart = true;
      return;
    }
    if (c === NL) {
      this.csvRecordEnd(at);
      this.startRecord(at + this.unit);
      this.recordLine = this.line + 1;
      this.fieldStart = true;
      return;
    }
    this.fieldStart = false;
  }

  /** A CSV record ends at `at` (its line break, or the end of the file); a trailing CR is left out; blank lines are none. */
  private csvRecordEnd(at: number): void {
    if (this.recordStart < 0) return;
    let end = at;
    if (end - this.recordStart >= this.unit) {
      const rel = end - this.unit - this.base;
      const last = this.unit === 1 ? this.cur[rel] : this.cur[rel]! | (this.cur[rel + 1]! << 8);
      if (last === 0x0d) end -= this.unit;
    }
    if (end > this.recordStart) this.emit(this.recordStart, end, this.recordLine);
    this.recordStart = -1;
  }

  // ---- JSON: an array of objects, a page {"value": [...]}, one object, or one object per line ----

  private json(c: number, at: number): void {
    if (this.inString) {
      if (this.escape) this.escape = false;
      else if (c === BACKSLASH) this.escape = true;
      else if (c === QUOTE) {
        this.inString = false;
        if (this.key) {
          this.lastKey = String.fromCharCode(...this.key);
          this.key = null;
        }
      } else if (this.key && this.key.length < 16) this.key.push(c);
      return;
    }
    if (isSpace(c)) return;
    const atRecordLevel = this.mode === 'records' && this.depth === this.recordDepth;
    if (c === 0x7b || c === 0x5b) {
      // { [
      if (this.depth === 0) this.top(c, at);
      else if (atRecordLevel) {
        if (c !== 0x7b) this.notAnObject(at);
        this.startRecord(at);
      } else if (this.mode === 'seek' && this.depth === 1 && c === 0x5b && this.keyReady && RECORD_LISTS.has(this.lastKey)) {
        this.mode = 'records';
        this.recordDepth = 2;
        this.recordStart = -1;
      }
      this.keyReady = false;
      this.depth++;
      return;
    }
    if (c === 0x7d || c === 0x5d) {
      // } ]
      this.depth--;
      this.keyReady = false;
      if (this.depth < 0) throw new ImportError('invalid_record', this.o.file, this.line, null, 'a closing bracket with nothing open: this is not well-formed JSON.');
      if (this.mode === 'records' && this.depth === this.recordDepth && this.recordStart >= 0) {
        this.emit(this.recordStart, at + this.unit, this.recordLine);
        this.recordStart = -1;
      } else if (this.mode === 'records' && this.depth === this.recordDepth - 1 && this.o.container === 'json') {
        this.mode = 'done';
      } else if (this.depth === 0 && this.mode === 'seek') {
        // An object with no record list is itself the one record (ConvertTo-Json of a single result).
        this.emit(this.recordStart, at + this.unit, this.recordLine);
        this.recordStart = -1;
        this.mode = 'done';
      }
      return;
    }
    if (c === QUOTE) {
      if (atRecordLevel || (this.depth === 0 && this.o.container === 'json')) this.notAnObject(at);
      this.inString = true;
      this.keyReady = false;
      if (this.mode === 'seek' && this.depth === 1) this.key = [];
      return;
    }
    if (c === COLON) {
      this.keyReady = this.mode === 'seek' && this.depth === 1;
      return;
    }
    if (c === COMMA) {
      this.keyReady = false;
      return;
    }
    // a number, true, false or null
    this.keyReady = false;
    if (atRecordLevel || this.depth === 0) this.notAnObject(at);
  }

  private top(c: number, at: number): void {
    if (this.o.container === 'ndjson') {
      if (c !== 0x7b) this.notAnObject(at);
      this.recordDepth = 0;
      this.startRecord(at);
      return;
    }
    if (this.topStarted) throw new ImportError('invalid_record', this.o.file, this.line, null, 'more JSON follows the end of the document (one object per line is JSON lines: give --format).');
    this.topStarted = true;
    if (c === 0x5b) {
      this.mode = 'records';
      this.recordDepth = 1;
    } else {
      this.mode = 'seek';
      this.startRecord(at);
    }
  }

  private notAnObject(_at: number): never {
    throw new ImportError('invalid_record', this.o.file, this.line, null, this.depth === 0 ? 'this is not JSON: the file must hold objects (an array, a page with "value", or one object per line).' : 'an item of the record list is not a JSON object.');
  }
}

/** The text of a record's bytes; refuses bytes that are not text in the file's encoding. */
export function decodeRecord(bytes: Buffer, encoding: Encoding, file: string, line: number): string {
  if (encoding === 'utf8' && bytes.includes(0)) {
    throw new ImportError('encoding', file, line, null, 'the text holds NUL bytes: it is not UTF-8 (UTF-16 without a byte-order mark, or not text at all). Save the export as UTF-8 or UTF-16 with a BOM.');
  }
  try {
    return (encoding === 'utf8' ? UTF8 : UTF16).decode(bytes);
  } catch {
    throw new ImportError('encoding', file, line, null, `the bytes are not valid ${encoding === 'utf8' ? 'UTF-8' : 'UTF-16LE'} text: the file is damaged or in another encoding. Save the export as UTF-8 (or UTF-16 with a BOM) and import it again.`);
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const UTF16 = new TextDecoder('utf-16le', { fatal: true, ignoreBOM: true });

/**
 * One CSV record's fields (the record as the scanner cut it: quotes and doubled quotes still in it). A quote opens a
 * quoted field only at the field's start, as the scanner reads it; text after a closing quote is kept as it is.
 */
export function csvFields(text: string): string[] {
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    let value = '';
    if (text.charCodeAt(i) === 0x22) {
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) {
          value += text.slice(j);
          i = n;
          break;
        }
        value += text.slice(j, q);
        if (text.charCodeAt(q + 1) === 0x22) {
          value += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
    }
    const comma = text.indexOf(',', i);
    if (comma < 0) {
      out.push(value + text.slice(i));
      return out;
    }
    out.push(value + text.slice(i, comma));
    i = comma + 1;
  }
}
