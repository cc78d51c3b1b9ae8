// Where in a paragraph a Flink error points: Flink's SQL parser and
// validator name a line and column of the statement they were sent
// ("Encountered "FORM" at line 2, column 8", "From line 2, column 8 to line
// 2, column 10: Column 'x' not found"), and the server tells where that
// statement starts in the paragraph. No DOM here.

/** ErrorPosition is a 1-based line and column (and end, inclusive) within one statement. */
export interface ErrorPosition {
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
}

/** ErrorMark is a range of the paragraph text to mark, with the message to show. */
export interface ErrorMark {
  from: number;
  to: number;
  message: string;
  /** The run the error belongs to: a mark the user edited away stays away for that run. */
  key: string;
}

const range = /[Ff]rom line (\d+), column (\d+) to line (\d+), column (\d+)/;
const point = /\bline (\d+), column (\d+)/;

/** parseErrorPosition finds the first line/column a Flink message names; null when it names none. */
export function parseErrorPosition(message: string): ErrorPosition | null {
  const r = range.exec(message);
  if (r) return { line: Number(r[1]), column: Number(r[2]), endLine: Number(r[3]), endColumn: Number(r[4]) };
  const p = point.exec(message);
  if (p) return { line: Number(p[1]), column: Number(p[2]) };
  return null;
}

/** charOffsetOfByte turns a UTF-8 byte offset in text (as the server counts) into a string index; -1 when it is past the end or inside a character. */
export function charOffsetOfByte(text: string, byteOffset: number): number {
  if (byteOffset < 0) return -1;
  let bytes = 0;
  let i = 0;
  while (i < text.length && bytes < byteOffset) {
    const cp = text.codePointAt(i) ?? 0;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    i += cp >= 0x10000 ? 2 : 1;
  }
  return bytes === byteOffset ? i : -1;
}

/**
 * offsetOf returns the string index of a 1-based line and column counted
 * from index start (the statement's first character: line 1, column 1),
 * clamped to the end of that line; -1 when the line is past the text.
 * Flink counts columns in Java characters, as JavaScript strings do.
 */
export function offsetOf(text: string, start: number, line: number, column: number): number {
  let lineStart = start;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', lineStart);
    if (nl < 0) return -1;
    lineStart = nl + 1;
  }
  // Line 1 starts where the statement starts; its columns count from there.
  let lineEnd = text.indexOf('\n', lineStart);
  if (lineEnd < 0) lineEnd = text.length;
  return Math.min(lineStart + Math.max(0, column - 1), lineEnd);
}

/**
 * markOf maps an error's position in its statement to a range of the
 * paragraph text. Without an end, the mark covers the word at the position
 * (at least one character). Null when the message names no position or it
 * falls outside the text.
 */
export function markOf(text: string, statementByteOffset: number, message: string, key = ''): ErrorMark | null {
  const pos = parseErrorPosition(message);
  if (!pos) return null;
  const start = charOffsetOfByte(text, statementByteOffset);
  if (start < 0) return null;
  const from = offsetOf(text, start, pos.line, pos.column);
  if (from < 0) return null;
  let to: number;
  if (pos.endLine !== undefined && pos.endColumn !== undefined) {
    const end = offsetOf(text, start, pos.endLine, pos.endColumn);
    to = end < 0 ? from + 1 : end + 1;
  } else {
    to = from;
    while (to < text.length && /[\w$`'"]/.test(text[to] ?? '')) to++;
  }
  to = Math.min(text.length, Math.max(to, from + 1));
  return { from: Math.min(from, text.length), to, message, key };
}

/** The parts of a paragraph's live state an error mark needs. */
export interface ErrorSource {
  runKey: string;
  status: string;
  errorMessage?: string;
  /** The UTF-8 byte offset in the paragraph text of the statement that failed. */
  errorStatementOffset?: number;
}

/**
 * A failed Python paragraph's message ends its first line with the line of the code it failed at
 * ("KeyError: 'k' (line 2)"), and its errorStatementOffset is where that line starts.
 */
const pythonLine = /\(line \d+\)$/;

/**
 * errorMarkOf is the mark for a paragraph's live state: only for a failed run whose failing
 * statement is known. A Flink error marks the line and column it names in that statement; a
 * Python error, which names no column, marks the whole line that failed.
 */
export function errorMarkOf(text: string, live: ErrorSource | undefined): ErrorMark | null {
  if (!live || live.status !== 'ERROR' || live.errorStatementOffset === undefined || !live.errorMessage) return null;
  // The first line of the error is its root cause; the trace follows a blank line.
  const cause = (live.errorMessage.split('\n\n')[0] ?? live.errorMessage).trim();
  const m = pythonLine.test(cause)
    ? lineMarkOf(text, live.errorStatementOffset, cause, live.runKey)
    : markOf(text, live.errorStatementOffset, live.errorMessage, live.runKey);
  if (m) m.message = cause;
  return m;
}

/** lineMarkOf marks the line that starts at a UTF-8 byte offset of text, without its indentation; null when it is outside the text or blank. */
export function lineMarkOf(text: string, lineByteOffset: number, message: string, key = ''): ErrorMark | null {
  const start = charOffsetOfByte(text, lineByteOffset);
  if (start < 0) return null;
  let end = text.indexOf('\n', start);
  if (end < 0) end = text.length;
  let from = start;
  while (from < end && /\s/.test(text[from] ?? '')) from++;
  return from < end ? { from, to: end, message, key } : null;
}

/**
 * textHash is the 32-bit FNV-1a hash of text's UTF-8 bytes in hex, as the
 * kernel computes it (kernel.TextHash) for the text a failed run ran.
 */
export function textHash(text: string): string {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** The parts of a saved paragraph a saved error mark needs. */
export interface SavedError {
  text?: string;
  status?: string;
  errorMessage?: string;
  dateFinished?: string;
  config?: { [key: string]: unknown };
}

/**
 * savedErrorSource is the error mark's source for a paragraph as saved (no
 * live state, e.g. after a reload once its session ended): where its failed
 * statement started (config.errorAt), only while the text is the very text
 * that ran.
 */
export function savedErrorSource(p: SavedError): ErrorSource | undefined {
  const at = p.config?.['errorAt'] as { offset?: unknown; textHash?: unknown } | undefined;
  if (p.status !== 'ERROR' || !at || typeof at.offset !== 'number' || at.textHash !== textHash(p.text ?? '')) return undefined;
  return { runKey: 'saved:' + (p.dateFinished ?? ''), status: 'ERROR', errorMessage: p.errorMessage ?? '', errorStatementOffset: at.offset };
}
