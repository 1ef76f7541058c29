export { type Command, UsageError } from './args.js';
export { main } from './main.js';
