// Any process (pure): log files and response bodies as text and records: BOMs, UTF-16, JSON pages, JSON lines, portal CSV.

/**
 * Bytes as text. Azure portal CSV exports start with a UTF-8 BOM; some PowerShell dumps are UTF-16LE
 * with a BOM (Windows PowerShell 5.1's Out-File default). Without a BOM, UTF-16LE is recognised by the
 * zero high bytes of ASCII text; anything else is read as UTF-8.
 */
export function decodeText(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return b.subarray(3).toString('utf8');
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return b.subarray(2).toString('utf16le');
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) {
    const swapped = Buffer.from(b.subarray(2));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  if (b.length >= 4 && b.length % 2 === 0 && b[1] === 0 && b[3] === 0 && b[0] !== 0) return b.toString('utf16le');
  return b.toString('utf8').replace(/^\uFEFF/, '');
}

/** Where a file's records could not be split out. */
export class LogFileError extends Error {
  override readonly name = 'LogFileError';
  readonly code = 'invalid_file';
}

/**
 * The records of a JSON body: a Graph page ({value: [...]}), an Event Hub message from Azure Monitor
 * diagnostic settings ({records: [...]}), a JSON array, one object, or JSON lines
 * (one object per line, as Log Analytics and Event Hub / diagnostic-settings exports write them).
 * `what` names the file or response in errors.
 */
export function jsonRecords(text: string, what: string): unknown[] {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body === '') return [];
  let whole: unknown;
  try {
    whole = JSON.parse(body) as unknown;
  } catch {
    return jsonLines(body, what);
  }
  if (Array.isArray(whole)) return whole;
  if (whole !== null && typeof whole === 'object') {
    // Graph pages hold records in `value`; Azure Monitor's Event Hub messages in `records`.
    const { value, records } = whole as { value?: unknown; records?: unknown };
    if (Array.isArray(value)) return value;
    if (Array.isArray(records)) return records;
    return [whole];
  }
  throw new LogFileError(`${what}: expected JSON objects, got ${typeof whole}.`);
}

function jsonLines(body: string, what: string): unknown[] {
  const out: unknown[] = [];
  const lines = body.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as unknown);
    } catch (err) {
      throw new LogFileError(`${what}: line ${i + 1} is not JSON (${(err as Error).message}); nothing was read from the file.`);
    }
  });
  return out;
}

/**
 * RFC 4180 CSV (quoted fields may hold commas, doubled quotes and line breaks, as the portal's JSON
 * columns do) as one object per row keyed by the header. Short rows leave the missing columns absent.
 */
export function csvRecords(text: string, what: string): Record<string, string>[] {
  const rows = csvRows(text.replace(/^\uFEFF/, ''), what);
  const header = rows.shift();
  if (!header) return [];
  return rows
    .filter((row) => !(row.length === 1 && row[0] === ''))
    .map((row) => {
      const record: Record<string, string> = {};
      header.forEach((name, i) => {
        const v = row[i];
        if (v !== undefined) record[name] = v;
      });
      return record;
    });
}

function csvRows(text: string, what: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += c;
      }
      i += 1;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      if (c === '\r' && text[i + 1] === '\n') i += 1;
    } else field += c;
    i += 1;
  }
  if (quoted) throw new LogFileError(`${what}: a quoted field is not closed before the end of the file; nothing was read from the file.`);
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * A portal CSV row in the Log Analytics shape the parsers read: " [UTC]" dropped from column names
 * ("TimeGenerated [UTC]"), the "_dynamic"/"_string" pair some exports split a column into joined back
 * into one ("Status_dynamic" → "Status"), empty cells absent. Values stay text; the parsers read JSON
 * text, "TRUE"/"FALSE" and the portal's date format.
 */
export function fromPortalCsv(row: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(row)) {
    if (value === '') continue;
    const key = name.replace(/\s*\[UTC\]$/i, '').replace(/_(dynamic|string)$/, '');
    if (out[key] === undefined) out[key] = value;
  }
  return out;
}
