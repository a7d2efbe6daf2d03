/**
 * A small delimited-text reader for the source files (CSV with double quotes, TSV): rows as
 * objects keyed by the header. Lines without a quote are split directly, which is most of
 * them and several times faster than a general parser on the ~30 MB of lap files; quoted
 * lines go through a state machine (quotes, doubled quotes, delimiters and newlines
 * inside quotes). Values are returned as written: `""` → '', `\N` → '\N'.
 */
export function parseDelimited(text: string, delimiter?: string): Record<string, string>[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const firstEnd = text.indexOf('\n');
  const firstLine = firstEnd === -1 ? text : text.slice(0, firstEnd);
  const delim = delimiter ?? (firstLine.includes('\t') ? '\t' : ',');
  const rows: string[][] = [];
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    let line = text.slice(pos, end);
    if (line.includes('"')) {
      // A quoted field may span lines: extend until the quotes balance.
      while (countQuotes(line) % 2 === 1 && end < text.length) {
        const next = text.indexOf('\n', end + 1);
        end = next === -1 ? text.length : next;
        line = text.slice(pos, end);
      }
      rows.push(splitQuoted(stripCr(line), delim));
    } else if (line.length > 0 && line !== '\r') {
      rows.push(stripCr(line).split(delim));
    }
    pos = end + 1;
  }
  const header = rows.shift() ?? [];
  return rows.map((cells) => {
    const o: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) o[header[i]!] = cells[i] ?? '';
    return o;
  });
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

function countQuotes(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i !== -1; i = s.indexOf('"', i + 1)) n++;
  return n;
}

function splitQuoted(line: string, delim: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else quoted = false;
      } else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delim) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}
