import type { Command } from '../args.js';

// Placeholder until the issue that owns this command lands.
export const command: Command = {
  summary: '(not built yet)',
  help: 'backprop experiment: not built yet',
  async run() {
    console.error('backprop experiment is not built yet');
    return 1;
  },
};
