import { describe, expect, it } from 'vitest';
import type { Paragraph } from '../schema';
import { firstRunnable } from './runAll';

const para = (id: string, text: string, enabled = true): Paragraph => ({ id, text, config: { enabled }, progress: 0, status: 'READY' }) as Paragraph;

describe('firstRunnable', () => {
  it('skips Markdown, blank and disabled paragraphs', () => {
    const ps = [para('md', '%md\n# Dashboard'), para('blank', '  \n'), para('off', '%flink.ssql\nSELECT 1', false), para('sql', 'SELECT 2'), para('later', '%flink.bsql\nSELECT 3')];
    expect(firstRunnable(ps)?.id).toBe('sql');
  });
  it('is undefined for a note of Markdown', () => {
    expect(firstRunnable([para('md', '%md\nhi')])).toBeUndefined();
    expect(firstRunnable([para('md', 'hi')], 'md')).toBeUndefined();
  });
});
