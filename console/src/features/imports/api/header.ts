/**
 * parseHeader reads the header row of a CSV file: the first record of text
 * (RFC 4180 quoting, a byte order mark dropped). The file's first bytes are
 * enough; the browser never reads the whole file.
 */
export function parseHeader(text: string): string[] {
  const s = text.replace(/^\uFEFF/, '');
  const out: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        cell += c;
      }
      continue;
    }
    if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      out.push(cell.trim());
      cell = '';
    } else if (c === '\n' || c === '\r') {
      break;
    } else cell += c;
  }
  out.push(cell.trim());
  return out.length === 1 && out[0] === '' ? [] : out;
}

/** guess picks the header that most looks like what a column holds. */
export function guess(headers: string[], ...names: string[]): string {
  const norm = (h: string) => h.toLowerCase().replace(/[^a-z]/g, '');
  return headers.find((h) => names.includes(norm(h))) ?? '';
}
