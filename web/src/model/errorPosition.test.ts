import { describe, expect, it } from 'vitest';
import { charOffsetOfByte, errorMarkOf, lineMarkOf, markOf, offsetOf, parseErrorPosition, savedErrorSource, textHash, type SavedError } from './errorPosition';

describe('parseErrorPosition', () => {
  it("reads Flink's parser and validator positions", () => {
    expect(parseErrorPosition('SQL parse failed. Encountered "FORM" at line 2, column 3.\nWas expecting one of:')).toEqual({ line: 2, column: 3 });
    expect(parseErrorPosition("SQL validation failed. From line 2, column 8 to line 2, column 11: Column 'nope' not found in any table")).toEqual({
      line: 2,
      column: 8,
      endLine: 2,
      endColumn: 11,
    });
    expect(parseErrorPosition('Object \'t\' not found')).toBeNull();
  });
});

describe('positions in the paragraph', () => {
  it('turns UTF-8 byte offsets into string indexes', () => {
    expect(charOffsetOfByte('abc', 2)).toBe(2);
    expect(charOffsetOfByte('é-x', 3)).toBe(2);
    expect(charOffsetOfByte('😀x', 4)).toBe(2);
    expect(charOffsetOfByte('é', 1)).toBe(-1); // inside a character
    expect(charOffsetOfByte('ab', 5)).toBe(-1);
  });

  it('counts line 1 from the statement start and later lines from their first column', () => {
    const text = '%flink.ssql\nSELECT 1;\n  SELECT a\n  FORM t;';
    const start = text.indexOf('SELECT a');
    expect(offsetOf(text, start, 1, 1)).toBe(start);
    expect(text.slice(offsetOf(text, start, 2, 3))).toBe('FORM t;');
    expect(offsetOf(text, start, 2, 99)).toBe(text.length); // clamped to the line end
    expect(offsetOf(text, start, 5, 1)).toBe(-1);
  });

  it('marks the word of a parse error in the second statement of a paragraph', () => {
    const text = '%flink.ssql\nCREATE VIEW v AS SELECT 1 AS a;\nSELECT a\nFORM v;';
    const stmt = new TextEncoder().encode(text.slice(0, text.indexOf('SELECT a'))).length;
    const m = markOf(text, stmt, 'Encountered "v" at line 2, column 6.', 'run1');
    expect(m && text.slice(m.from, m.to)).toBe('v');
    expect(m?.key).toBe('run1');
  });

  it('marks the range of a validation error, counting bytes before it as the server does', () => {
    const text = "%flink.ssql\n-- é\nSELECT a,\n       nope\nFROM v2;";
    const stmt = new TextEncoder().encode(text.slice(0, text.indexOf('SELECT'))).length;
    expect(stmt).not.toBe(text.indexOf('SELECT'));
    const m = markOf(text, stmt, 'From line 2, column 8 to line 2, column 11: Column \'nope\' not found', '');
    expect(m && text.slice(m.from, m.to)).toBe('nope');
  });

  it('marks only failed runs whose statement is known, with the root cause as the message', () => {
    const text = '%flink.ssql\nSELECT a\nFORM v;';
    const live = { runKey: 'r', status: 'ERROR', errorStatementOffset: 12, errorMessage: 'Encountered "v" at line 2, column 6.\n\n<trace>' };
    const m = errorMarkOf(text, live);
    expect(m && text.slice(m.from, m.to)).toBe('v');
    expect(m?.message).toBe('Encountered "v" at line 2, column 6.');
    expect(errorMarkOf(text, { ...live, status: 'RUNNING' })).toBeNull();
    expect(errorMarkOf(text, { ...live, errorStatementOffset: undefined })).toBeNull();
    expect(errorMarkOf(text, undefined)).toBeNull();
  });

  it("marks the whole line a Python error names, from where the server says it starts", () => {
    const text = "%flink.pyflink\nx = 1\nif x:\n    y = {}['é']\n";
    const line = new TextEncoder().encode(text.slice(0, text.indexOf('    y'))).length;
    const errorMessage = "KeyError: 'é' (line 3)\n\nTraceback (most recent call last):\n  File \"<paragraph>\", line 3, in <module>\nKeyError: 'é'";
    const m = errorMarkOf(text, { runKey: 'r', status: 'ERROR', errorStatementOffset: line, errorMessage });
    expect(m && text.slice(m.from, m.to)).toBe("y = {}['é']");
    expect(m?.message).toBe("KeyError: 'é' (line 3)");
    expect(lineMarkOf(text, new TextEncoder().encode(text).length, 'x')).toBeNull(); // the blank last line
  });
});

describe('a saved error mark', () => {
  const text = "%flink.ssql\nSELECT 'héllo ✓ 😀'\nFORM t;";
  const saved = (over: Partial<SavedError> = {}): SavedError => ({
    text,
    status: 'ERROR',
    errorMessage: 'SQL parse failed. Encountered "FORM" at line 2, column 1.',
    dateFinished: '2026-12-01 10:00:00.000',
    config: { errorAt: { offset: 12, textHash: textHash(text) } },
    ...over,
  });

  it('hashes text as the kernel does (FNV-1a of the UTF-8 bytes)', () => {
    // The values kernel.TextHash gives for the same strings.
    expect(textHash('hello')).toBe('4f9f2cab');
    expect(textHash("SELECT 'héllo ✓ 😀'\nFORM t;")).toBe('047d7709');
  });

  it('marks the word Flink names after a reload, for the text that ran', () => {
    const m = errorMarkOf(text, savedErrorSource(saved()));
    expect(m && text.slice(m.from, m.to)).toBe('FORM');
  });

  it('marks nothing once the text changed, nor for a run that did not fail', () => {
    expect(savedErrorSource(saved({ text: text + ' ' }))).toBeUndefined();
    expect(savedErrorSource(saved({ status: 'FINISHED' }))).toBeUndefined();
    expect(savedErrorSource(saved({ config: {} }))).toBeUndefined();
  });
});
