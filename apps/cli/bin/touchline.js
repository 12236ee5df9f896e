#!/usr/bin/env node
// Runs the TypeScript sources directly (through tsx), so `npx touchline` works right after
// `npm ci` with no build step. In containers, run `node apps/cli/bin/touchline.js <command>`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
await main(process.argv);
