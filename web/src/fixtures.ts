// Complete API objects for the unit tests: every field the server always
// sends has a plausible value, and a test overrides only what it is about.

import type { ClusterStatus, Paragraph, Session, SessionJob } from './schema';

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
