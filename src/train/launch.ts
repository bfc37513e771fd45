/**
 * A local launcher like `torchrun --nproc_per_node N`: starts N worker processes on this machine with
 * torchrun's variables (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT),
 * forwards SIGINT/SIGTERM/SIGHUP to them, and fails the whole job as soon as one worker fails.
 *
 * The rendezvous goes through a file in a private temporary directory (c10d's FileStore,
 * CVRL_RENDEZVOUS_FILE), so a local run opens no port on the network; Gloo itself binds to loopback.
 *
 * Workers run in their own process group (detached), so a terminal's Ctrl-C reaches them once,
 * through this launcher, instead of twice (the trainer treats a second signal as "exit now"). A
 * worker notices a vanished launcher (CVRL_LAUNCHER_PID, see watchLauncher) and stops itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { namingOptions } from '../util/option-error.js';

export interface LaunchOptions {
  /** Worker processes to start (>= 1). */
  nproc: number;
  /** Script and arguments each worker runs with this Node binary. */
  args: readonly string[];
  /** Node flags for the workers (default: this process's, e.g. --import tsx). */
  execArgv?: readonly string[];
  /** Default 127.0.0.1. */
  masterAddr?: string;
  /** Default: a free port picked now. */
  masterPort?: number;
  /** Extra environment for the workers. */
  env?: Readonly<Record<string, string>>;
  /** Which ranks' stdout reaches ours (default: rank 0 only; the others' is dropped). stderr is always shared. */
  stdoutRanks?: 'all' | 'rank0';
  /** Seconds between SIGTERM and SIGKILL when stopping the other workers after a failure. */
  killGraceSec?: number;
  /** Where failure messages go (default stderr). */
  log?: (line: string) => void;
}

export interface LaunchResult {
  /** 0 when every worker exited 0; else the failing worker's code (1 for a signal, 130 after an interrupt). */
  exitCode: number;
  /** Set when a worker failed: which one and how. */
  failure?: { rank: number; code: number | null; signal: NodeJS.Signals | null; message: string };
}

/** A TCP port that was free a moment ago (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolvePort(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Threads for each of `nproc` workers sharing `threads` (at least 1 each). */
export function threadsPerWorker(threads: number, nproc: number): number {
  return Math.max(1, Math.floor(threads / nproc));
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export async function launchLocal(o: LaunchOptions): Promise<LaunchResult> {
  if (!Number.isInteger(o.nproc) || o.nproc < 1) throw namingOptions(new RangeError(`nproc must be a positive integer, got ${o.nproc}`), 'nproc');
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const masterAddr = o.masterAddr ?? '127.0.0.1';
  const masterPort = o.masterPort ?? await freePort(masterAddr);
  const rendezvousDir = mkdtempSync(join(tmpdir(), 'cvrl-rendezvous-')); // mode 0700: only this user
  const workers: ChildProcess[] = [];
  let interrupted: NodeJS.Signals | null = null;
  let failure: LaunchResult['failure'];
  let killTimer: NodeJS.Timeout | undefined;

  const stopOthers = (except: number) => {
    for (const [r, w] of workers.entries()) if (r !== except && w.exitCode === null && w.signalCode === null) w.kill('SIGTERM');
    killTimer = setTimeout(() => {
      for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    }, (o.killGraceSec ?? 10) * 1000);
    killTimer.unref();
  };
  // The same signal twice within 200 ms is one event: a terminal's Ctrl-C reaches both bin/cvrl.js's
  // jemalloc wrapper and this process, and the wrapper forwards it again. Workers treat a second
  // signal as "exit now, no checkpoint", so only a deliberate second one should reach them.
  let last: { sig: NodeJS.Signals; at: number } | null = null;
  const forward = (sig: NodeJS.Signals) => () => {
    const now = Date.now();
    if (last && last.sig === sig && now - last.at < 200) return;
    last = { sig, at: now };
    interrupted = sig;
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill(sig);
  };
  const handlers = SIGNALS.map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);

  try {
    const exits = Array.from({ length: o.nproc }, (_, rank) => {
      const w = spawn(process.execPath, [...(o.execArgv ?? process.execArgv), ...o.args], {
        detached: true,
        stdio: ['ignore', o.stdoutRanks === 'all' || rank === 0 ? 'inherit' : 'ignore', 'inherit'],
        env: {
          ...process.env, ...o.env,
          RANK: String(rank), WORLD_SIZE: String(o.nproc), LOCAL_RANK: String(rank), LOCAL_WORLD_SIZE: String(o.nproc),
          MASTER_ADDR: masterAddr, MASTER_PORT: String(masterPort), CVRL_LAUNCHER_PID: String(process.pid),
          CVRL_RENDEZVOUS_FILE: join(rendezvousDir, 'store'),
        },
      });
      workers.push(w);
      return new Promise<void>((done) => {
        w.on('error', (e) => {
          failure ??= { rank, code: null, signal: null, message: `cvrl: worker rank ${rank} could not start: ${e.message}` };
          stopOthers(rank);
          done();
        });
        w.on('exit', (code, signal) => {
          const ok = code === 0 || (interrupted !== null && (code === 130 || signal === interrupted));
          if (!ok && !failure) {
            const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
            failure = { rank, code, signal, message: `cvrl: worker rank ${rank} (pid ${w.pid}) ${how}; stopping the other ${o.nproc - 1} worker(s) and failing the job` };
            log(failure.message);
            stopOthers(rank);
          }
          done();
        });
      });
    });
    await Promise.all(exits);
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
    if (killTimer) clearTimeout(killTimer);
    rmSync(rendezvousDir, { recursive: true, force: true });
  }
  if (failure) return { exitCode: failure.code && failure.code !== 0 ? failure.code : 1, failure };
  return { exitCode: interrupted ? 130 : 0 };
}

/**
 * In a worker started by launchLocal: stops this process with SIGTERM (checkpoint, then exit) if the
 * launcher disappears, since detached workers would otherwise outlive a killed launcher.
 */
export function watchLauncher(env: Readonly<Record<string, string | undefined>> = process.env, everyMs = 1000): void {
  const pid = Number(env.CVRL_LAUNCHER_PID);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const timer = setInterval(() => {
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) {
      clearInterval(timer);
      process.kill(process.pid, 'SIGTERM');
    }
  }, everyMs);
  timer.unref();
}
