#!/usr/bin/env node
// Runs `node ARGS...` with jemalloc preloaded when available: `node scripts/with-jemalloc.mjs --import tsx bench/leak.ts`.
import { spawnSync } from 'node:child_process';
import { jemallocEnv } from './jemalloc.mjs';

const r = spawnSync(process.execPath, process.argv.slice(2), { stdio: 'inherit', env: jemallocEnv() ?? process.env });
if (r.signal) process.kill(process.pid, r.signal);
process.exit(r.status ?? 1);
