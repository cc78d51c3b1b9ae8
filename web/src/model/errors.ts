// Error text from Flink and the JVM is a stack trace whose useful line (the
// root cause) is usually the last "Caused by:". Users should read that first.

export interface ExplainedError {
  /** The root cause, one or a few lines, e.g. "ValidationException: Object 'x' not found". */
  rootCause: string;
  /** The full text as received. */
  full: string;
  /** True when the full text has more to show than the root cause. */
  hasMore: boolean;
}

const frame = /^\s*(at |\.\.\. \d+ more|Suppressed:|Caused by:)/;

/** explainError pulls the root cause out of a Java/Python stack trace. */
export function explainError(text: string | undefined): ExplainedError {
  const full = (text ?? '').replace(/\r\n/g, '\n').trim();
  if (!full) return { rootCause: '', full: '', hasMore: false };
  const lines = full.split('\n');
  // Eddy's Python errors: the exception (with its line) first, then its traceback.
  const traceback = lines.findIndex((l, i) => i > 0 && /^Traceback \(most recent call last\)/.test(l));
  if (traceback > 0) {
    const rootCause = lines.slice(0, traceback).join('\n').trim();
    return { rootCause, full, hasMore: true };
  }
  let start = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/^\s*Caused by:/.test(lines[i] ?? '')) {
      start = i;
      break;
    }
  }
  let cause: string[];
  if (start >= 0) {
    cause = [(lines[start] ?? '').replace(/^\s*Caused by:\s*/, '')];
    for (let i = start + 1; i < lines.length && !frame.test(lines[i] ?? ''); i++) cause.push(lines[i] ?? '');
  } else if (/^Traceback \(most recent call last\)/.test(lines[0] ?? '')) {
    cause = [lines[lines.length - 1] ?? ''];
  } else {
    cause = [];
    for (const l of lines) {
      if (frame.test(l)) break;
      cause.push(l);
    }
  }
  const rootCause = stripClass(cause.join('\n').trim()) || (lines[0] ?? '');
  return { rootCause, full, hasMore: full !== rootCause && lines.length > cause.length };
}

/** stripClass shortens "org.apache.flink.table.api.ValidationException: msg" to "ValidationException: msg". */
function stripClass(s: string): string {
  return s.replace(/^((?:[a-z_][\w$]*\.)+)([A-Z][\w$]*(?:Exception|Error|Throwable)\b)/, '$2');
}
