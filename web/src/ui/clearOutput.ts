// Clearing output, as Zeppelin does: a paragraph's (Ctrl+Alt+L, or its
// menu's "Clear output") and every paragraph's (the note bar's "Clear
// output"). The server removes the stored result, error and job link and
// the live result, and every viewer of the note sees the paragraph empty;
// it refuses while the paragraph (or, for the note, any paragraph) runs.

import type { NoteSession } from '../noteSession';
import { confirm, toast } from './overlay';

/** clearParagraphOutput clears one paragraph's output; a refusal is shown, not thrown. */
export async function clearParagraphOutput(session: Pick<NoteSession, 'clearOutput'>, pid: string): Promise<void> {
  try {
    await session.clearOutput(pid);
  } catch (e) {
    toast(`Could not clear the output: ${(e as Error).message}`, 'error');
  }
}

/** clearAllOutputs asks, as Zeppelin does, then clears every paragraph's output; a refusal is shown, not thrown. */
export async function clearAllOutputs(session: Pick<NoteSession, 'clearOutput'>): Promise<void> {
  if (!(await confirm('Clear all outputs?', 'The result of every paragraph is removed from the note. The paragraphs stay.', 'Clear'))) return;
  try {
    await session.clearOutput();
  } catch (e) {
    toast(`Could not clear the outputs: ${(e as Error).message}`, 'error');
  }
}
