/** --record FILE: the markdown upgrade record of a run, rendered from its journal (scrubbed again by the renderer). */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { renderUpgradeRecord, type RecordLang, type RunbookInfo } from '../core/record';
import { readJournal, type RunResult } from '../core/runbook';
import type { RunnerUi } from '../core/runbook/types';

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
