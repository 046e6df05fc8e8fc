/** The markdown upgrade record of a run (English / Spanish) and where it goes in the workspace. Pure. */
export { renderUpgradeRecord, type RecordOptions } from './render';
export { recordFileName, slugify, RECORD_DIR } from './fileName';
export { probeRecordOf, probeSnapshotEvent, probeFromJournal, PROBE_SNAPSHOT_KIND, type ProbeRecord } from './probe';
export type { RecordLang } from './i18n';
export type { RunbookInfo } from './sections';
export { verificationRows, verificationTotals, type VerificationRow, type VerificationTotals } from './verification';
