import type { Command } from '../args.js';

// Placeholder until the issue that owns this command lands.
export const command: Command = {
  summary: '(not built yet)',
  help: 'backprop weights: not built yet',
  async run() {
    console.error('backprop weights is not built yet');
    return 1;
  },
};
