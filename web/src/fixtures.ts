// Complete API objects for the unit tests: every field the server always
// sends has a plausible value, and a test overrides only what it is about.

import type { NoteSession } from './noteSession';
import type { ParagraphHost } from './ui/paragraph';
import type { AppEvent, Application, AppVersion, BuildPreview, ClusterStatus, Paragraph, Session, SessionJob, Snapshot } from './schema';

/** A ParagraphHost for a paragraph view in a test: the only paragraph of a Flink note, doing nothing it is asked to. */
export function paragraphHost(session: NoteSession, over: Partial<ParagraphHost> = {}): ParagraphHost {
  return { session, indexOf: () => 0, count: () => 1, defaultGroup: 'flink', insertAt: () => {}, onRefused: () => {}, webUi: () => undefined, ...over };
}

/** A paragraph as the server sends it: ready, never run. */
export function paragraph(over: Partial<Paragraph> = {}): Paragraph {
  return { id: 'p1', text: '', status: 'READY', progress: 0, ...over };
}

/** A running Flink job of a session. */
export function sessionJob(over: Partial<SessionJob> = {}): SessionJob {
  return { jobId: 'j1', paragraphId: 'p1', status: 'RUNNING', parallelism: 1, kpus: 1, url: 'http://localhost:8081/#/job/running/j1/overview', ...over };
}

/** A live notebook session holding its 2 KPUs, with no job running. */
export function session(over: Partial<Session> = {}): Session {
  return {
    id: 's1',
    noteId: 'N1',
    noteName: 'A',
    state: 'busy',
    kpus: 2,
    startedAt: '2026-05-01T10:00:00Z',
    lastActivity: '2026-05-01T10:05:00Z',
    jobs: [],
    kpuHours: 0.01,
    estimatedCost: 0.001,
    ...over,
  };
}

/** A ready local cluster with nothing running. */
export function clusterStatus(over: Partial<ClusterStatus> = {}): ClusterStatus {
  return {
    mode: 'local',
    ready: true,
    flinkVersion: '2.3.0',
    gatewayUrl: 'http://localhost:8083',
    restUrl: 'http://localhost:8081',
    webUiUrl: 'http://localhost:8081',
    taskManagers: 1,
    slotsTotal: 8,
    slotsAvailable: 8,
    jobsRunning: 0,
    kpuCapacity: 8,
    kpusInUse: 0,
    ...over,
  };
}

/** An application created from note N1 and never started. */
export function application(over: Partial<Application> = {}): Application {
  return {
    id: 'a1',
    name: 'orders-agg',
    noteId: 'N1',
    noteName: 'Orders agg',
    version: 1,
    status: 'READY',
    parallelism: 1,
    currentParallelism: 1,
    autoScalingEnabled: true,
    maxParallelism: 128,
    kpus: 0,
    target: 'standalone',
    tags: {},
    checkpointIntervalMs: 60_000,
    createdAt: '2026-05-01T10:00:00Z',
    updatedAt: '2026-05-01T10:00:00Z',
    excluded: [],
    script: 'INSERT INTO sink SELECT * FROM src;',
    kpuHours: 0,
    cost: 0,
    ...over,
  };
}

/** A snapshot taken when application a1 was stopped. */
export function snapshot(over: Partial<Snapshot> = {}): Snapshot {
  return { id: 'snap-1', path: 'file:///data/applications/a1/savepoints/savepoint-1', version: 1, jobId: 'j1', trigger: 'stop', createdAt: '2026-05-01T11:00:00Z', ...over };
}

/** An entry of an application's timeline. */
export function appEvent(over: Partial<AppEvent> = {}): AppEvent {
  return { id: 1, at: '2026-05-01T10:00:00Z', kind: 'created', message: 'Created from note “Orders agg”, version 1', ...over };
}

/** Version 1 of application a1. */
export function appVersion(over: Partial<AppVersion> = {}): AppVersion {
  return {
    number: 1,
    script: 'INSERT INTO sink SELECT * FROM src;',
    settings: {},
    noteRevision: 'r1',
    plan: '== Optimized Execution Plan ==',
    included: [],
    excluded: [],
    forms: [],
    createdAt: '2026-05-01T10:00:00Z',
    ...over,
  };
}

/** A build of note N1 with one paragraph in and one left out. */
export function buildPreview(over: Partial<BuildPreview> = {}): BuildPreview {
  return {
    noteId: 'N1',
    noteName: 'Orders agg',
    script: "CREATE TABLE src (id INT) WITH ('connector' = 'datagen');\nINSERT INTO sink SELECT * FROM src;",
    settings: {},
    included: [{ paragraphId: 'p1', index: 0, statements: ['CREATE TABLE', 'INSERT'] }],
    excluded: [{ paragraphId: 'p2', index: 1, reason: 'a SELECT only displays results' }],
    forms: [],
    plan: '== Optimized Execution Plan ==',
    batch: false,
    ...over,
  };
}
