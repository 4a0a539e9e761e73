#!/usr/bin/env node
// Launcher for the `tgsage` command: registers tsx's ESM loader in this process and runs the TypeScript CLI.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../clients/cli/main.ts');
process.exitCode = await main(process.argv);
