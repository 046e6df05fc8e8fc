/**
 * Issue 8's fault-injection suite, PostgreSQL 14 → 16: every fault case of test/helpers/switchover-fault-cases.ts
 * against the CLI under a libpq multi-host writer, with both servers sampled every 10 ms. docs/switchover-faults.md.
 * Slow cases (more runner-kill points) only with PGPILOT_FAULTS=all.
 */
import { switchoverFaultSuite } from '../helpers/switchover-fault-suite';

switchoverFaultSuite('14', '16', 22500);
