/**
 * CSV for Excel: a UTF-8 byte-order mark (without it Excel reads Arabic as mojibake), CRLF line
 * ends, every field quoted, and cells that a spreadsheet would run as a formula neutralised.
 */
export type CsvCell = string | number | boolean | Date | null | undefined;

const BOM = '\uFEFF';

/**
 * A cell starting with = + - @ (or a tab / carriage return, which Excel skips before reading
 * one) is a formula to a spreadsheet: `=HYPERLINK(…)` in a beneficiary's comment must stay text.
 * A leading apostrophe makes it text. Numbers are ours, not user text, so they are left alone.
 */
function neutralise(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

function cell(value: CsvCell): string {
  if (value === null || value === undefined) return '""';
  const text =
    value instanceof Date
      ? value.toISOString()
      : typeof value === 'string'
        ? neutralise(value)
        : String(value);
  return `"${text.replaceAll('"', '""')}"`;
}

export function toCsv(header: readonly string[], rows: Iterable<readonly CsvCell[]>): string {
  const lines = [header.map(cell).join(',')];
  for (const row of rows) lines.push(row.map(cell).join(','));
  return `${BOM}${lines.join('\r\n')}\r\n`;
}
