export { type Command, UsageError } from './command.js';
export type { Flag, FlagTable } from './flags.js';
export { main } from './main.js';
