/** PostgreSQL client programs: discovery (setting, PATH, install directories), choice by version, safe execution. */
export * from './types';
export { discoverClientTools, parseToolVersion, wellKnownToolDirs, type DiscoverOptions } from './discover';
export { selectDumpTool, selectPsql } from './select';
export { runTool, runPipeline, type RunToolOptions, type ToolResult, type PipelineResult } from './run';
