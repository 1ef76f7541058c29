export { type Command, UsageError } from './command.js';
export { main } from './main.js';
