// Run all, as the browser shows it: where a refused run-all is reported.

import type { Paragraph } from '../schema';
import { isEnabled, languageOf } from './note';

/**
 * firstRunnable is the paragraph a run-all refused before anything ran stopped at: the first
 * enabled paragraph with text that needs the note's session (not Markdown), or undefined.
 */
export function firstRunnable(paragraphs: Paragraph[], defaultGroup?: string): Paragraph | undefined {
  return paragraphs.find((p) => isEnabled(p) && (p.text ?? '').trim() !== '' && languageOf(p.text ?? '', defaultGroup) !== 'markdown');
}
