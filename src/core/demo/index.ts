/** The one-command demo of a logical major upgrade under load (CLI `pg-upgrade-pilot demo`, tests), and the switchover benchmark. */
export { runDemo, type DemoIo, type DemoResult, type DemoRowCheck } from './run';
export { demoOptions, DEMO_DEFAULTS, type DemoOptions } from './options';
export { renderDemoSummary } from './summary';
export { styleFor, PLAIN, COLOR, type Style } from './format';
export { manualSwitchover, manualSwitchoverScript, type ManualSwitchoverOptions, type ManualSwitchoverResult, type PsqlServer } from './manual';
export { runSwitchoverBench, summarize, type BenchOptions, type BenchResult, type BenchIteration, type BenchMethod, type BenchMethodSummary } from './bench';
export { pgDumpUsable, findPsql } from './schema';
