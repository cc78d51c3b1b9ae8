import { describe, expect, it } from 'vitest';
import { explainError } from './errors';
import { interpreterName, isTrashed, jobUrl, jobUrlOf, joinPath, languageOf, noteFolder, noteName, parseDate } from './note';
import type { Paragraph } from '../schema';

describe('interpreter', () => {
  it.each([
    ['%flink.ssql(type=update, parallelism=1)\nSELECT 1', 'flink.ssql'],
    ['  %md\n# x', 'md'],
    ['%sh', 'sh'],
    ['SELECT 1', ''],
    ['-- %md\n', ''],
  ] as const)('the interpreter name of %j is %j', (text, name) => {
    expect(interpreterName(text)).toBe(name);
  });

  it.each([
    ['%flink.ssql\nselect 1', 'sql'],
    ['%flink.bsql', 'sql'],
    ['%flink.pyflink\nprint(1)', 'python'],
    ['%flink.ipyflink', 'python'],
    ['%md\n# x', 'markdown'],
    ['%flink\nval x = 1', 'scala'],
    ['%sh\nls', 'shell'],
    ['select 1', 'scala'], // default group flink → the Scala interpreter, as Zeppelin
  ] as const)('editor language of %j is %s', (text, lang) => {
    expect(languageOf(text)).toBe(lang);
  });
});

describe('paths', () => {
  it('splits and joins note paths', () => {
    expect(noteName('/a/b/Page views')).toBe('Page views');
    expect(noteFolder('/a/b/Page views')).toBe('a/b');
    expect(joinPath(' a//b ', 'c')).toBe('/a/b/c');
    expect(isTrashed('/~Trash/a/b')).toBe(true);
    expect(isTrashed('/~Trashy')).toBe(false);
  });

  it('reads Zeppelin and ISO dates', () => {
    expect(parseDate('2021-07-26T05:19:44.490Z')).toBe(Date.UTC(2021, 6, 26, 5, 19, 44, 490));
    expect(parseDate('2021-07-26 05:19:44.490')).toBe(new Date(2021, 6, 26, 5, 19, 44, 490).getTime());
    expect(parseDate('Sep 27, 2016 4:31:15 AM')).toBe(new Date(2016, 8, 27, 4, 31, 15).getTime());
    expect(parseDate(undefined)).toBeUndefined();
  });
});

describe('explainError', () => {
  it('puts the last Caused by first', () => {
    const trace = [
      'org.apache.flink.table.gateway.api.utils.SqlGatewayException: Failed to fetchResults.',
      '\tat org.apache.flink.table.gateway.Foo.bar(Foo.java:1)',
      'Caused by: org.apache.flink.table.api.ValidationException: SQL validation failed.',
      '\tat x.y(Z.java:2)',
      "Caused by: org.apache.calcite.sql.validate.SqlValidatorException: Object 'nope' not found",
      '\tat a.b(C.java:3)',
      '\t... 12 more',
    ].join('\n');
    const e = explainError(trace);
    expect(e.rootCause).toBe("SqlValidatorException: Object 'nope' not found");
    expect(e.hasMore).toBe(true);
  });

  it('keeps a plain message as it is and takes the last line of a Python traceback', () => {
    expect(explainError('Table has no column x').rootCause).toBe('Table has no column x');
    expect(explainError('Traceback (most recent call last):\n  File "x", line 1\nNameError: name \'y\' is not defined').rootCause).toBe("NameError: name 'y' is not defined");
  });

  it("shows a Python paragraph's error first and keeps its traceback for the full error", () => {
    const text = "KeyError: 'missing' (line 2)\n\nTraceback (most recent call last):\n  File \"<paragraph>\", line 2, in <module>\nKeyError: 'missing'";
    const e = explainError(text);
    expect(e.rootCause).toBe("KeyError: 'missing' (line 2)");
    expect(e.hasMore).toBe(true);
    expect(e.full).toBe(text);
  });
});

describe('jobUrlOf', () => {
  const withUrl = (jobUrl: unknown) => ({ id: 'p', text: '', status: 'FINISHED', progress: 100, runtimeInfos: { jobUrl: { values: [{ jobUrl }] } } }) as unknown as Paragraph;
  const id = '0123456789abcdef0123456789abcdef';
  it('takes only the job id from stored data and links it on the cluster web UI', () => {
    expect(jobUrlOf(withUrl(`http://127.0.0.1:8081/#/job/running/${id}/overview`), 'http://127.0.0.1:4242/')).toBe(`http://127.0.0.1:4242/#/job/running/${id}/overview`);
    expect(jobUrlOf(withUrl(`https://evil.example/#/job/completed/${id}`), 'http://127.0.0.1:4242')).toBe(`http://127.0.0.1:4242/#/job/running/${id}/overview`);
  });
  it('links on the web UI through Eddy (a path on its own origin), never on a protocol-relative address', () => {
    expect(jobUrlOf(withUrl(`http://127.0.0.1:8081/#/job/running/${id}/overview`), '/flink/')).toBe(`/flink/#/job/running/${id}/overview`);
    expect(jobUrl('/flink/', id)).toBe(`/flink/#/job/running/${id}/overview`);
    expect(jobUrl('//evil.example/', id)).toBeUndefined();
    expect(jobUrl('/\\evil.example/', id)).toBeUndefined();
  });
  it('gives no link for stored links without a job id, odd values or no web UI', () => {
    expect(jobUrlOf(withUrl('javascript:alert(1)//#/job/running/x'), 'http://127.0.0.1:4242')).toBeUndefined();
    expect(jobUrlOf(withUrl(`https://evil.example/#/job/running/${id}x`), 'http://127.0.0.1:4242')).toBeUndefined();
    expect(jobUrlOf(withUrl(42), 'http://127.0.0.1:4242')).toBeUndefined();
    expect(jobUrlOf(withUrl(`http://x/#/job/running/${id}`), undefined)).toBeUndefined();
    expect(jobUrl('javascript:alert(1)', id)).toBeUndefined();
  });
});
