// Preloaded with `node --import` by memory.bench.mjs: when the process exits (normally or
// through process.exit), write its own getrusage figures (maxRSS in KiB is the peak resident
// set size over the whole life of the process) to the file named by BACKPROP_PEAK_RSS_FILE.
import { writeFileSync } from 'node:fs';

const file = process.env.BACKPROP_PEAK_RSS_FILE;
if (file)
  process.on('exit', (code) => {
    writeFileSync(file, JSON.stringify({ code, ...process.resourceUsage() }));
  });
