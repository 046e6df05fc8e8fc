/**
 * Issue 8's fault-injection suite on a second pair, PostgreSQL 13 → 17: one case of every guarantee category by default
 * (opening lost, runner killed before and after the commit point, a server stopped in the window, the apply blocked,
 * a prepared transaction); every case with PGPILOT_FAULTS=all. docs/switchover-faults.md.
 */
import { switchoverFaultSuite } from '../helpers/switchover-fault-suite';

switchoverFaultSuite('13', '17', 22600, [
  'apply blocked by a lock on the target (drain timeout)',
  'prepared transaction on the target',
  'runner SIGKILL at during-drain',
  'opening statement: connection cut after it ran',
  'runner SIGKILL at after-commit-journaled',
  'target stopped -m immediate inside the window',
]);
