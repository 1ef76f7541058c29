import type { Command } from '../args.js';

// Placeholder until the issue that owns this command lands.
export const command: Command = {
  summary: '(not built yet)',
  help: 'backprop export: not built yet',
  async run() {
    console.error('backprop export is not built yet');
    return 1;
  },
};
