/** Headless Chromium (Debian's `chromium`) for checking that generated pages render, with a hard timeout. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The browser binary ($CHROMIUM or a standard path), or undefined. Under CI its absence is a set-up failure. */
export function chromiumBinary(): string | undefined {
  const found = [process.env.CHROMIUM, ...CANDIDATES].find((p): p is string => Boolean(p && existsSync(p)));
  if (!found && process.env.CI) throw new Error('chromium is missing: scripts/setup.sh should have installed it');
  return found;
}

export interface ChromiumResult {
  stdout: string;
  stderr: string;
  code: number | null;
  timedOut: boolean;
}

/**
 * Runs headless Chromium with `args` (plus sandbox-free, GPU-free, fresh-profile flags). The browser
 * runs in its own process group, killed as a whole after `timeoutMs` so a hung renderer never
 * outlives the test, or when `signal` aborts (a page that reports back and never exits by itself).
 */
export function runChromium(bin: string, args: string[], timeoutMs = 60_000, signal?: AbortSignal): Promise<ChromiumResult> {
  const profile = mkdtempSync(join(tmpdir(), 'cvrl-chromium-'));
  const child = spawn(bin, ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-extensions',
    '--disable-dev-shm-usage', `--user-data-dir=${profile}`, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: profile } }); // its other temp files too
  let stdout = '', stderr = '', timedOut = false;
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, timeoutMs);
  signal?.addEventListener('abort', killGroup, { once: true });
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      killGroup(); // helpers left behind by the browser process
      try {
        rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        // a helper still writing into it: the system's temp cleaning takes the rest
      }
      resolve({ stdout, stderr, code, timedOut });
    });
  });
}
