/** The runbook engine: run / resume / dry-run a RunbookDefinition, and read its journals back. */
export * from './types';
export { runRunbook, hostsOf } from './engine';
export { readJournal, parseJournal, journalPath, newRunId, assertRunId, appendEvent, JournalError, JOURNAL_EXT } from './journal';
export { summarizeRun, listRuns, appendNote, abortRun, isSettled, statusIsFinal } from './summary';
export type { RunbookShape, SummarizeOptions } from './summary';
export { confirmationFor, typedAnswerMatches } from './confirm';
export type { ConfirmationPolicy } from './confirm';
export { Redactor, MASK, scrubText } from './redact';
export { renderAction, renderActions, renderConfirmRequest, renderPlanMarkdown } from './render';
export { APPLICATION_NAME } from './connections';
export { RUN_LOCK_KEYS, RunLockedError, describeHolder } from './lock';
export { libpqPassword } from './passwords';
export { waitReconnecting, isConnectionError, type ReconnectingWait } from './reconnect';
