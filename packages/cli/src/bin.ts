#!/usr/bin/env node
import { main } from './main.js';
import { runBin } from './program.js';

runBin('backprop', () => main(process.argv.slice(2)));
