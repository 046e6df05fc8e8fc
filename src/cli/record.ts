/** --record FILE: the markdown upgrade record of a run, rendered from its journal (scrubbed again by the renderer). */
import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { renderUpgradeRecord, type RecordLang, type RunbookInfo } from '../core/record';
import { readJournal, type RunResult } from '../core/runbook';
import type { RunnerUi } from '../core/runbook/types';
import { oneOf, UsageError } from './args';
import type { RunExtras } from './runs';

export async function writeRecord(file: string, lang: RecordLang, runbook: RunbookInfo, result: RunResult, ui: RunnerUi): Promise<void> {
  if (!existsSync(result.journalFile)) {
    ui.log('warn', `--record ${file}: the run wrote no journal (it did not start), so there is no record`);
    return;
  }
  const text = renderUpgradeRecord(await readJournal(result.journalFile), { lang, runbook });
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text, { mode: 0o600 });
  ui.log('info', `upgrade record written to ${file}`);
}

export interface RecordFlags {
  file?: string;
  lang: RecordLang;
}

export const RECORD_FLAGS_HELP = `  --record FILE               Write the markdown upgrade record of the run to FILE (also after a failed or
                              aborted run): versions, parameters, findings and who acknowledged them, the
                              timeline (waiting for confirmation apart from working time), statements, the
                              measured window or downtime, verification, rollback.
  --record-lang en|es         Language of the record (default en).`;

export const newRecordFlags = (): RecordFlags => ({ lang: 'en' });

/** Reads --record / --record-lang; true when the flag was one of them. Bad values are refused before anything runs. */
export function readRecordFlag(flag: string, value: () => string, r: RecordFlags): boolean {
  if (flag === '--record') {
    const file = value();
    if (existsSync(file) && statSync(file).isDirectory()) throw new UsageError(`--record ${file} is a directory: give a file name, e.g. ${file.replace(/\/+$/, '')}/upgrade-record.md`);
    r.file = file;
    return true;
  }
  if (flag === '--record-lang') {
    r.lang = oneOf(flag, value(), ['en', 'es'] as const);
    return true;
  }
  return false;
}

/** Around a run: its record written at the end (nothing when --record was not given). */
export function recordExtras(r: RecordFlags, runbook: RunbookInfo): RunExtras | undefined {
  if (!r.file) return undefined;
  const file = r.file;
  return {
    async finish(result, ui) {
      await writeRecord(file, r.lang, runbook, result, ui);
      return { notes: [`Record: ${file}`] };
    },
  };
}
