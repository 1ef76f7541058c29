import type { Command } from '../args.js';

// Placeholder until the issue that owns this command lands.
export const command: Command = {
  summary: '(not built yet)',
  help: 'backprop doctor: not built yet',
  async run() {
    console.error('backprop doctor is not built yet');
    return 1;
  },
};
