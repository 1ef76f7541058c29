export { main } from './main.js';
export { type Command, UsageError } from './args.js';
