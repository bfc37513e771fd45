// The tests' temp folders go when a test file's process exits, unless asked to stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';

// A child process makes a folder with a file in it, prints its path and exits.
function childFolder(env: NodeJS.ProcessEnv): string {
  const code = "import('./test/helpers/python.ts').then(({ tempDir }) => { const d = tempDir('cvrl-tempdir-check-'); require('node:fs').writeFileSync(d + '/f', 'x'); console.log(d); })";
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('temp folders of the tests are removed when their process exits; CVRL_KEEP_TEST_DIRS=1 keeps them', () => {
  const env = { ...process.env };
  delete env.CVRL_KEEP_TEST_DIRS;
  const gone = childFolder(env);
  assert.match(gone, /cvrl-tempdir-check-/);
  assert.equal(existsSync(gone), false);
  const kept = childFolder({ ...env, CVRL_KEEP_TEST_DIRS: '1' });
  try {
    assert.equal(existsSync(`${kept}/f`), true);
  } finally {
    rmSync(kept, { recursive: true, force: true });
  }
});
