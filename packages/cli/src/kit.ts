/**
 * `@backprop/cli/kit`: the building blocks of backprop's commands — flag tables and the help
 * made from them, the program runner, progress displays, data loading, backends by name and
 * charts — for the repository's own command packages (the private `@backprop/experiments`).
 * It follows the CLI's needs, not semver: the public API is the `backprop` command and the
 * package's main export.
 *
 * @packageDocumentation
 */
export { backendEntry, backendNames, openBackend, registerBackends } from './backends.js';
export { renderSvg, svgToPng } from './charts.js';
export { type Command, UsageError } from './command.js';
export { type DataRequest, type LoadedData, loadData } from './datasets.js';
export * from './flags.js';
export { overview, type Program, runBin, runCommand, runProgram } from './program.js';
export { type ProgressOptions, TaskProgress, TrainProgress } from './progress.js';
