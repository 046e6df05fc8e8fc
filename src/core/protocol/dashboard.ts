/**
 * THE message protocol between the dashboard webview (webview/dashboard/main.ts) and its host
 * (src/extension/dashboard): pure types plus runtime validators, no node or vscode import, so both sides bundle it.
 *
 *   host → webview: HostMessage     init | snapshot | run | polling | notice | drift
 *     (a snapshot's non-ready tables travel as a TablesDelta beside it: snapshot.tables.listed is sent empty)
 *   webview → host: WebviewMessage  ready | runNextStep | showQuestion | exportRecord | addNote | refresh | setPolling
 *                                   | checkDrift | copyDrift
 *
 * Everything the webview sends is untrusted: the host accepts it only through parseWebviewMessage, which rejects
 * unknown types, missing or extra fields, wrong types and oversize strings. Nothing here may carry a secret:
 * clusters travel as registry ids and display names, never as connection strings.
 */
import type { TablesDelta } from '../monitor/tableDelta';
import type { RunPhase } from '../monitor/phase';
import type { DriftView } from '../monitor/drift';
import type { DashboardSnapshot, LagSample } from '../monitor/types';

export type { DashboardSnapshot, LagSample } from '../monitor/types';
export type { TablesDelta } from '../monitor/tableDelta';
export type { RunPhase } from '../monitor/phase';
export type { DriftView, DriftItemView, DriftStatus } from '../monitor/drift';

export const DASHBOARD_VIEW_TYPE = 'pgUpgradePilot.dashboard';
export const PROTOCOL_VERSION = 1;
export const MAX_NOTE_LENGTH = 2000;
const MAX_ID_LENGTH = 200;
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** What a dashboard panel watches: a run (its clusters from the journal), or a pair picked in the explorer. */
export type DashboardTarget =
  | { kind: 'run'; runId: string }
  | { kind: 'logical'; sourceId: string; targetId: string; subscription?: string }
  | { kind: 'streaming'; primaryId: string; standbyId?: string };

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'aborted';

export interface RunStepView {
  id: string;
  title: string;
  status: StepStatus;
  risk?: string;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  message?: string;
  /** Who confirmed the step (decision event), when it needed a confirmation. */
  confirmedBy?: string;
}

export interface RunNoteView {
  ts: string;
  text: string;
  by?: string;
  stepId?: string;
}

export interface RunView {
  runId: string;
  runbook: string;
  title: string;
  status: 'running' | 'interrupted' | 'paused' | 'succeeded' | 'failed' | 'aborted';
  operator: string;
  startedAt: string;
  updatedAt: string;
  dryRun: boolean;
  message?: string;
  clusters: { role: string; name: string; hosts: string; version?: string }[];
  steps: RunStepView[];
  nextStepId?: string;
  notes: RunNoteView[];
  /** A step started from this panel is executing: the "Run next step" button waits. */
  busy: boolean;
  /** preparing → copying → catching up → ready → switched over → finished (src/core/monitor/phase.ts). */
  phase?: RunPhase;
  /** The question the run waits on in this window: a pinned banner with a button that shows it again. */
  waitingFor?: string;
  /** The switchover's measured result, once it happened. */
  result?: RunResultView;
  /** Errors and warnings of the run's steps, with who acknowledged each warning. */
  findings?: FindingView[];
}

export interface RunResultView {
  /** The measured write-unavailable window (switchover outputs.writeUnavailableMs). */
  writeUnavailableMs?: number;
  /** Acknowledged commits missing on the new server (a write probe's verification); undefined: not verified. */
  lostCommits?: number;
  ackedCommits?: number;
}

export interface FindingView {
  stepId: string;
  id: string;
  severity: 'error' | 'warning' | 'info';
  cluster?: string;
  message: string;
  fix?: string;
  acknowledgedBy?: string;
  acknowledgedAt?: string;
}

// ---- host → webview ----

export interface InitMessage {
  type: 'init';
  protocol: number;
  target: DashboardTarget;
  title: string;
  pollIntervalMs: number;
  polling: boolean;
  /** The lag chart's last 10 minutes (the webview keeps no history of its own across reloads). */
  history: LagSample[];
  snapshot?: DashboardSnapshot;
  /** The non-ready tables of `snapshot` (reset: true). */
  tables?: TablesDelta;
  run?: RunView;
  /** The last schema comparison of a logical pair (issue 9). */
  drift?: DriftView;
}

export type HostMessage =
  | InitMessage
  | { type: 'snapshot'; snapshot: DashboardSnapshot; tables: TablesDelta }
  | { type: 'run'; run: RunView }
  /** reason: why polling stopped ("hidden", "paused by you", an error). */
  | { type: 'polling'; polling: boolean; reason?: string }
  | { type: 'notice'; level: 'info' | 'error'; message: string }
  /** Schema drift between source and target: on demand, when the apply stops, and at a bounded interval. */
  | { type: 'drift'; drift: DriftView };

// ---- webview → host ----

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'runNextStep'; runId: string }
  /** Show the question the run waits on (it stays open in the extension host until answered). */
  | { type: 'showQuestion'; runId: string }
  | { type: 'exportRecord'; runId: string }
  | { type: 'addNote'; runId: string; text: string }
  | { type: 'refresh' }
  | { type: 'setPolling'; polling: boolean }
  /** Compare the schemas now. */
  | { type: 'checkDrift' }
  /** Copy the DDL of one difference (index into drift.items) or, without index, the whole script for the target. */
  | { type: 'copyDrift'; index?: number };

export type WebviewMessageType = WebviewMessage['type'];

/** What the webview persists with setState (restored by the panel serializer after a reload). Ids only. */
export interface DashboardState {
  v: 1;
  target: DashboardTarget;
  /** Table-list filter text and state filter ('' = every non-ready state). */
  filter?: string;
  stateFilter?: '' | 'i' | 'd' | 'f' | 's';
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

// ---- validators ----

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail<T>(error: string): Parsed<T> {
  return { ok: false, error };
}

/** Exactly these keys (required ones present, nothing else). */
function checkKeys(o: Obj, required: string[], optional: string[] = []): string | undefined {
  for (const k of required) if (!(k in o)) return `missing "${k}"`;
  for (const k of Object.keys(o)) if (!required.includes(k) && !optional.includes(k)) return `unexpected "${k}"`;
  return undefined;
}

function isRunId(v: unknown): v is string {
  return typeof v === 'string' && RUN_ID.test(v);
}

function isId(v: unknown): v is string {
  // eslint-disable-next-line no-control-regex
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH && !/[\u0000-\u001f]/.test(v);
}

export function parseDashboardTarget(raw: unknown): Parsed<DashboardTarget> {
  if (!isObj(raw)) return fail('target: not an object');
  switch (raw.kind) {
    case 'run': {
      const bad = checkKeys(raw, ['kind', 'runId']);
      if (bad) return fail(`target: ${bad}`);
      return isRunId(raw.runId) ? { ok: true, value: { kind: 'run', runId: raw.runId } } : fail('target: runId is not a run id');
    }
    case 'logical': {
      const bad = checkKeys(raw, ['kind', 'sourceId', 'targetId'], ['subscription']);
      if (bad) return fail(`target: ${bad}`);
      if (!isId(raw.sourceId) || !isId(raw.targetId)) return fail('target: sourceId/targetId must be cluster ids');
      if (raw.subscription !== undefined && !isId(raw.subscription)) return fail('target: subscription must be a name');
      return { ok: true, value: { kind: 'logical', sourceId: raw.sourceId, targetId: raw.targetId, ...(raw.subscription !== undefined ? { subscription: raw.subscription as string } : {}) } };
    }
    case 'streaming': {
      const bad = checkKeys(raw, ['kind', 'primaryId'], ['standbyId']);
      if (bad) return fail(`target: ${bad}`);
      if (!isId(raw.primaryId) || (raw.standbyId !== undefined && !isId(raw.standbyId))) return fail('target: primaryId/standbyId must be cluster ids');
      return { ok: true, value: { kind: 'streaming', primaryId: raw.primaryId, ...(raw.standbyId !== undefined ? { standbyId: raw.standbyId as string } : {}) } };
    }
    default:
      return fail('target: unknown kind');
  }
}

/** Validates one message from the webview. Never throws. */
export function parseWebviewMessage(raw: unknown): Parsed<WebviewMessage> {
  if (!isObj(raw)) return fail('message is not an object');
  const type = raw.type;
  let bad: string | undefined;
  switch (type) {
    case 'ready':
    case 'refresh':
    case 'checkDrift':
      bad = checkKeys(raw, ['type']);
      return bad ? fail(`${type}: ${bad}`) : { ok: true, value: { type } };
    case 'runNextStep':
    case 'showQuestion':
    case 'exportRecord':
      bad = checkKeys(raw, ['type', 'runId']);
      if (bad) return fail(`${type}: ${bad}`);
      return isRunId(raw.runId) ? { ok: true, value: { type, runId: raw.runId } } : fail(`${type}: runId is not a run id`);
    case 'addNote': {
      bad = checkKeys(raw, ['type', 'runId', 'text']);
      if (bad) return fail(`addNote: ${bad}`);
      if (!isRunId(raw.runId)) return fail('addNote: runId is not a run id');
      if (typeof raw.text !== 'string') return fail('addNote: text must be a string');
      const text = raw.text.trim();
      if (!text) return fail('addNote: the note is empty');
      if (text.length > MAX_NOTE_LENGTH) return fail(`addNote: the note is longer than ${MAX_NOTE_LENGTH} characters`);
      return { ok: true, value: { type, runId: raw.runId, text } };
    }
    case 'setPolling':
      bad = checkKeys(raw, ['type', 'polling']);
      if (bad) return fail(`setPolling: ${bad}`);
      return typeof raw.polling === 'boolean' ? { ok: true, value: { type, polling: raw.polling } } : fail('setPolling: polling must be a boolean');
    case 'copyDrift':
      bad = checkKeys(raw, ['type'], ['index']);
      if (bad) return fail(`copyDrift: ${bad}`);
      if (raw.index === undefined) return { ok: true, value: { type } };
      return Number.isInteger(raw.index) && (raw.index as number) >= 0 && (raw.index as number) < 100_000
        ? { ok: true, value: { type, index: raw.index as number } } : fail('copyDrift: index must be a non-negative integer');
    default:
      return fail(`unknown message type ${JSON.stringify(typeof type === 'string' ? type.slice(0, 40) : typeof type)}`);
  }
}

/** The webview's persisted state as handed to the serializer; undefined when unusable (the panel then closes). */
export function parseDashboardState(raw: unknown): DashboardState | undefined {
  if (!isObj(raw) || raw.v !== 1) return undefined;
  const target = parseDashboardTarget(raw.target);
  if (!target.ok) return undefined;
  const state: DashboardState = { v: 1, target: target.value };
  if (typeof raw.filter === 'string') state.filter = raw.filter.slice(0, 200);
  if (raw.stateFilter === '' || raw.stateFilter === 'i' || raw.stateFilter === 'd' || raw.stateFilter === 'f' || raw.stateFilter === 's') state.stateFilter = raw.stateFilter;
  return state;
}

/** Light check on the webview side (the host is trusted; this guards against other senders). */
export function isHostMessage(raw: unknown): raw is HostMessage {
  return isObj(raw) && ['init', 'snapshot', 'run', 'polling', 'notice', 'drift'].includes(raw.type as string);
}
