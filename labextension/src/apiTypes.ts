/**
 * The JSON shapes of the REST answers the side panel reads (machines, jobs, traces).
 *
 * Names follow the server's OpenAPI document (/jetlag/api/openapi.json); this module only
 * declares them and the small pure functions that format them. It makes no calls.
 */

/** A machine jobs can run on. */
export interface Machine {
  id: string;
  backend: string;
  host: string | null;
  description: string;
  cores_per_node: number;
  available: boolean;
  reason: string | null;
}

/** States of a job, in the order they happen. */
export type JobState =
  | 'SUBMITTED'
  | 'PENDING'
  | 'RUNNING'
  | 'COMPLETED'
  | 'FAILED'
  | 'TIMEOUT'
  | 'CANCELLED';

/** A job as listed. */
export interface Job {
  id: string;
  machine: string;
  entry: string;
  label: string | null;
  state: JobState;
  reason: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  ended_at: string | null;
  exit_code: number | null;
  trace_id: string | null;
  origin: string;
  outputs?: { result: boolean; stdout: boolean; stderr: boolean };
}

/** A stored trace as listed. */
export interface TraceSummary {
  id: string;
  label: string | null;
  origin: string;
  function: string | null;
  notebook: string | null;
  cell: string | null;
  job_id: string | null;
  created_at: string;
  events: number;
  locations: number;
  duration_ns: number;
}

/** States after which a job never changes. */
export const FINAL_STATES: ReadonlySet<string> = new Set([
  'COMPLETED',
  'FAILED',
  'TIMEOUT',
  'CANCELLED'
]);

/** Whether a job may still change state. */
export function isActive(job: Job): boolean {
  return !FINAL_STATES.has(job.state);
}

/** A duration in ns as people read it (ns, µs, ms, s). */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) {
    return '—';
  }
  if (ns < 1e3) {
    return `${Math.round(ns)} ns`;
  }
  if (ns < 1e6) {
    return `${(ns / 1e3).toFixed(1)} µs`;
  }
  if (ns < 1e9) {
    return `${(ns / 1e6).toFixed(1)} ms`;
  }
  return `${(ns / 1e9).toFixed(2)} s`;
}

/** Elapsed seconds as `12 s` or `3 min 04 s`. */
export function formatElapsed(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) {
    return `${s} s`;
  }
  const m = Math.floor(s / 60);
  return `${m} min ${String(s % 60).padStart(2, '0')} s`;
}

/** The last part of a path (a notebook's file name). */
export function basename(path: string | null): string {
  if (!path) {
    return '';
  }
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/** Seconds a job has run (or ran), from its timestamps; null before it started. */
export function jobElapsed(job: Job, now: number = Date.now()): number | null {
  const start = job.started_at ?? null;
  if (!start) {
    return null;
  }
  const begin = Date.parse(start);
  const end = job.ended_at ? Date.parse(job.ended_at) : now;
  if (Number.isNaN(begin) || Number.isNaN(end)) {
    return null;
  }
  return (end - begin) / 1000;
}
