/** The logical switchover (docs/switchover.md): gate, one attempt with its commit point, and resume. */
export { GateError } from '../gate-error';
export { checkGate, type GateReport } from './gate';
export { DRAIN_POLL_MS, guardedSwitchover } from './window';
export type { SwitchoverOutcome } from './outcomes';
export { readLive, openServer, openStatements, type ServerLive } from './live';
export { decideResume, resumeSwitchover, type ResumeDecision } from './resume';
