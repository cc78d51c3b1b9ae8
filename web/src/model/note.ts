// Notes and paragraphs as the app reads them. Their REST shapes are
// generated from the API document (../schema.ts); what is here is what the
// document leaves open: the UI settings Zeppelin keeps in a paragraph's
// config object and its runtime infos (reference: Zeppelin's .zpln format).

import type { NoteInfo, Paragraph } from '../schema';

export interface GraphColumn {
  name: string;
  index: number;
  aggr: string;
}

/** Zeppelin's chart settings: config.results[i].graph. */
export interface GraphConfig {
  mode?: string;
  height?: number;
  optionOpen?: boolean;
  keys?: GraphColumn[];
  groups?: GraphColumn[];
  values?: GraphColumn[];
  setting?: Record<string, Record<string, unknown>>;
  commonSetting?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ResultConfig {
  graph?: GraphConfig;
  helium?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Zeppelin's UI settings in a paragraph's config object; keys the app does not know are kept. */
export interface ParagraphConfig {
  enabled?: boolean;
  editorHide?: boolean;
  tableHide?: boolean;
  title?: boolean;
  lineNumbers?: boolean;
  editorMode?: string;
  colWidth?: number;
  fontSize?: number;
  /** An object keyed "0", "1", ... in current notes, an array in older ones. */
  results?: Record<string, ResultConfig> | ResultConfig[];
  [key: string]: unknown;
}

/** One entry of a paragraph's runtimeInfos, e.g. runtimeInfos.jobUrl. */
export interface RuntimeInfo {
  propertyName?: string;
  label?: string;
  tooltip?: string;
  group?: string;
  values?: Array<Record<string, string>>;
  interpreterSettingId?: string;
}

/** A note as the note list shows it. */
export type NoteSummary = Pick<NoteInfo, 'id' | 'path'>;

export const TRASH_FOLDER = '~Trash';

// The interpreter name is all the app reads of a paragraph's header; the
// server parses the rest (local properties, body) with the one grammar.
const interpreterRe = /^\s*%(\w+(?:\.\w+)*)/;

/** interpreterName returns the name after '%' at the start of paragraph text ("flink.ssql"), or "". */
export function interpreterName(text: string): string {
  return interpreterRe.exec(text)?.[1] ?? '';
}

export type EditorLanguage = 'sql' | 'python' | 'markdown' | 'scala' | 'shell' | 'text';

/** languageOf picks the editor language for a paragraph from its interpreter. */
export function languageOf(text: string, defaultGroup = 'flink'): EditorLanguage {
  const n = (interpreterName(text) || defaultGroup).toLowerCase();
  const last = n.split('.').pop() ?? n;
  if (n === 'md' || n === 'markdown' || last === 'md') return 'markdown';
  if (['ssql', 'bsql', 'sql', 'jdbc', 'mysql', 'postgresql', 'hive'].includes(last) || n === 'sql') return 'sql';
  if (['pyflink', 'ipyflink', 'python', 'ipython', 'pyspark', 'py'].includes(last)) return 'python';
  if (n === 'sh' || n === 'shell' || last === 'sh') return 'shell';
  if (n === 'flink' || n === 'spark' || last === 'scala') return 'scala';
  return 'text';
}

/** noteName returns the last segment of a note path. */
export function noteName(path: string): string {
  const parts = path.split('/').filter(Boolean);
  return parts[parts.length - 1] ?? path;
}

/** noteFolder returns the folder part of a note path, "" for the root. */
export function noteFolder(path: string): string {
  const parts = path.split('/').filter(Boolean);
  return parts.slice(0, -1).join('/');
}

export function isTrashed(path: string): boolean {
  return path.replace(/^\/+/, '').startsWith(TRASH_FOLDER + '/') || path.replace(/^\/+/, '') === TRASH_FOLDER;
}

/** joinPath builds a normalised note path "/folder/sub/name". */
export function joinPath(folder: string, name: string): string {
  const parts = [...folder.split('/'), ...name.split('/')].map((p) => p.trim()).filter(Boolean);
  return '/' + parts.join('/');
}

/** resultConfigs returns config.results as an index → entry map, whichever form it was stored in. */
export function resultConfigs(cfg: ParagraphConfig | undefined): Record<string, ResultConfig> {
  const r = cfg?.results;
  if (!r) return {};
  if (Array.isArray(r)) {
    const out: Record<string, ResultConfig> = {};
    r.forEach((v, i) => {
      if (v) out[String(i)] = v;
    });
    return out;
  }
  return r;
}

/** graphOf returns the saved chart settings of result message i, if any. */
export function graphOf(p: Paragraph, i: number): GraphConfig | undefined {
  return resultConfigs(p.config)[String(i)]?.graph;
}

/**
 * jobUrlOf returns the Flink job link of a paragraph: the job id taken from
 * its stored runtimeInfos, on the web UI of the cluster Eddy uses (webUi).
 * Stored links can come from an imported note, so their scheme and site are
 * never used; without a job id or a web UI there is no link.
 */
export function jobUrlOf(p: Paragraph, webUi: string | undefined): string | undefined {
  const info = p.runtimeInfos?.['jobUrl'] as RuntimeInfo | undefined;
  const values = info?.values ?? [];
  const stored = values[values.length - 1]?.['jobUrl'];
  const id = typeof stored === 'string' ? /#\/job\/(?:running|completed)\/([0-9a-f]{32})(?:[/?]|$)/.exec(stored)?.[1] : undefined;
  return id ? jobUrl(webUi, id) : undefined;
}

/**
 * jobUrl is a job's page on the cluster's web UI, when that is an http(s)
 * address or a path on Eddy's own origin (its proxy of the web UI, /flink/).
 */
export function jobUrl(webUi: string | undefined, jobId: string): string | undefined {
  if (!webUi || !(/^https?:\/\//i.test(webUi) || /^\/(?![/\\])/.test(webUi))) return undefined;
  return `${webUi.replace(/\/+$/, '')}/#/job/running/${encodeURIComponent(jobId)}/overview`;
}

/** configOf returns a paragraph's UI settings. */
export function configOf(p: Pick<Paragraph, 'config'>): ParagraphConfig {
  return p.config ?? {};
}

export function isEnabled(p: Paragraph): boolean {
  return p.config?.enabled !== false;
}

export const RUNNING_STATES = new Set(['RUNNING', 'PENDING']);

/** Zeppelin date strings ("2021-07-26 05:19:44.490", ISO, or "Sep 27, 2016 4:31:15 AM") to epoch ms. */
export function parseDate(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(s.trim());
  if (m) {
    const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${(m[7] ?? '0').padEnd(3, '0').slice(0, 3)}${m[8] ? normaliseZone(m[8]) : ''}`;
    const t = Date.parse(iso);
    return Number.isNaN(t) ? undefined : t;
  }
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

function normaliseZone(z: string): string {
  if (z === 'Z') return z;
  return z.length === 5 ? `${z.slice(0, 3)}:${z.slice(3)}` : z;
}
