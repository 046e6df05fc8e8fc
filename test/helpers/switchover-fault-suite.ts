/**
 * Registers the switchover fault cases (test/helpers/switchover-fault-cases.ts) for one version pair: one server
 * group and one pair of proxies for the whole file; a case that leaves the target open (or fails) is followed by a
 * reset and a fresh run prepared up to the switchover, an aborted one is retried in the same run.
 */
import { after, before, describe, test } from 'node:test';
import { allFaults, faultCases } from './switchover-fault-cases';
import { startFaultBench, type FaultBench } from './switchover-fault-kit';

export function switchoverFaultSuite(source: string, target: string, portBase: number, only?: string[]): void {
  describe(`switchover faults ${source}→${target} (CLI under write load)`, { concurrency: 1 }, () => {
    let bench: FaultBench;
    let runId: string | undefined;
    let needsReset = false;
    before(async () => {
      bench = await startFaultBench({ source, target, portBase });
    });
    after(async () => {
      await bench?.stop();
    });
    for (const c of faultCases()) {
      const skip = only && !only.includes(c.name) ? (allFaults() ? false : 'runs on the first pair; PGPILOT_FAULTS=all runs it here too')
        : c.tier === 'all' && !allFaults() ? 'slow tier: PGPILOT_FAULTS=all' : false;
      test(c.name, { skip, timeout: 600_000 }, async () => {
        if (needsReset) await bench.reset();
        if (!runId || needsReset) runId = await bench.prepare();
        needsReset = true; // until the case proves it left a reusable run
        try {
          await c.run(bench, { runId });
          needsReset = c.endsOpen;
        } finally {
          await bench.endCase();
        }
      });
    }
  });
}
