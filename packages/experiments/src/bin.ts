#!/usr/bin/env node
import { runBin } from '@backprop/cli/kit';
import { PROGRAM } from './definitions.js';
import { main } from './main.js';

runBin(PROGRAM, () => main(process.argv.slice(2)));
