// The package as a user gets it: `npm pack`, install the tarball into an empty project, then run
// `npx cvrl` and `import('cvrl')` (and type-check a TypeScript consumer) from that project.
//
// Two shortcuts keep it offline and fast, and both are test-only:
// - This machine's npm cache holds the dependency tarballs (by integrity, from `npm ci`) but not the
//   registry's metadata, so the project gets a lockfile made from ours and installs with
//   `npm ci --offline`; with a network, `npm install ./cvrl-*.tgz` resolves the same versions itself.
// - CVRL_PREBUILT_ADDON makes the install script copy this checkout's compiled addon instead of
//   compiling it (3 minutes of 14 libtorch-heavy C++ files here). CVRL_TEST_SOURCE_BUILD=1 compiles it for real.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { tempDir } from '../helpers/python.js';

const ROOT = resolve('.');
const ADDON = join(ROOT, 'build', 'Release', 'cvrl_native.node');
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { name: string; version: string; license: string; dependencies: Record<string, string>; bin: Record<string, string>; engines: Record<string, string> };

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, timeout = 300_000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, CVRL_NO_JEMALLOC: '1', ...env } });
}
const ok = (r: SpawnSyncReturns<string>, what: string) => assert.equal(r.status, 0, `${what} failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);

/** package.json + package-lock.json of a project depending on the tarball, pinned to our lockfile's production packages. */
function writeProject(dir: string, tarball: string): void {
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const spec = `file:${tarball}`;
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', version: '1.0.0', dependencies: { cvrl: spec } },
    'node_modules/cvrl': { version: pkg.version, resolved: spec, hasInstallScript: true, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines },
  };
  for (const [key, entry] of Object.entries(lock.packages)) if (key && !entry.dev) packages[key] = entry;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module', dependencies: { cvrl: spec } }));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages }));
}

test('npm pack + install into an empty project: npx cvrl info --json, import from cvrl, TypeScript types', { timeout: 900_000 }, (t) => {
  if (sh('npm', ['--version'], ROOT).status !== 0) return t.skip('npm is not installed');
  const sourceBuild = process.env.CVRL_TEST_SOURCE_BUILD === '1';
  if (!sourceBuild && !existsSync(ADDON)) return t.skip(`no compiled addon at ${ADDON} to reuse (npm run build:native)`);
  const dir = tempDir('cvrl-pack-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  // prepack builds dist/ afresh; the tarball holds what an install needs and nothing of the checkout.
  ok(sh('npm', ['pack', '--pack-destination', dir], ROOT), 'npm pack');
  const tarball = readdirSync(dir).find((f) => /^cvrl-.*\.tgz$/.test(f));
  assert.ok(tarball, 'npm pack wrote no cvrl-*.tgz');
  const files = sh('tar', ['tzf', join(dir, tarball)], dir).stdout.split('\n');
  for (const f of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'bin/cvrl.js', 'binding.gyp', 'native/addon.cc',
    'scripts/build-native.mjs', 'scripts/native-prereqs.mjs', 'scripts/torch-config.mjs', 'scripts/jemalloc.mjs', 'configs/cpu-small.yaml']) {
    assert.ok(files.includes(`package/${f}`), `the tarball lacks ${f}`);
  }
  const stray = files.filter((f) => /^package\/(src|test|build|bench|node_modules)\/|\.map$/.test(f));
  assert.deepEqual(stray, [], 'the tarball ships files a user does not need');

  const project = join(dir, 'consumer');
  mkdirSync(project);
  writeProject(project, join(dir, tarball));
  const install = sh('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--foreground-scripts'], project, sourceBuild ? {} : { CVRL_PREBUILT_ADDON: ADDON }, 1_800_000);
  if (install.status !== 0 && /ENOTCACHED/.test(install.stderr)) return t.skip('the npm cache lacks some dependency tarball (run `npm ci` in the checkout once)');
  ok(install, 'npm ci of the tarball');
  assert.match(install.stdout, sourceBuild ? /COPY Release\/cvrl_native\.node/ : /using the prebuilt addon/);
  assert.ok(existsSync(join(project, 'node_modules', 'cvrl', 'build', 'Release', 'cvrl_native.node')));

  const info = sh('npx', ['--offline', 'cvrl', 'info', '--json'], project);
  ok(info, 'npx cvrl info --json');
  const report = JSON.parse(info.stdout) as { cvrlVersion: string; libtorchVersion: string };
  assert.equal(report.cvrlVersion, pkg.version);
  assert.match(report.libtorchVersion, /^\d+\.\d+/);
  assert.equal(sh('npx', ['--offline', 'cvrl', '--version'], project).stdout.trim(), pkg.version);

  // The addon is found inside node_modules/cvrl, whatever the working directory.
  const names = ['pretrain', 'resolveConfig', 'ntXent', 'globalNtXent', 'initDistributed', 'runLinearEval', 'runFinetune', 'runEmbed', 'runRetrieve',
    'linearEval', 'finetune', 'retrieval', 'knnScores', 'embedVideo', 'openDataset', 'VideoLoader', 'createModel', 'loadPlainWeights', 'loadEncoder', 'writeReport'];
  const script = `import * as m from 'cvrl';
import { createRequire } from 'node:module';
const manifest = createRequire(process.cwd() + '/x.js')('cvrl/package.json');
const enc = m.createModel('r3d_18_tiny');
console.log(JSON.stringify({ types: Object.fromEntries(${JSON.stringify(names)}.map((n) => [n, typeof m[n]])), dim: enc.featureDim, version: m.version(), manifest: manifest.version }));`;
  const imported = sh(process.execPath, ['--input-type=module', '-e', script], project);
  ok(imported, "import('cvrl')");
  const got = JSON.parse(imported.stdout) as { types: Record<string, string>; dim: number; version: string; manifest: string };
  assert.deepEqual(Object.entries(got.types).filter(([, type]) => type !== 'function'), [], 'public names that are not functions');
  assert.equal(got.dim, 128);
  assert.equal(got.version, pkg.version);
  assert.equal(got.manifest, pkg.version, "'cvrl/package.json' is exported");

  // A TypeScript consumer resolves the types through the exports map.
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!existsSync(tsc)) return;
  writeFileSync(join(project, 'use.ts'), `import { createModel, embedVideo, resolveConfig, type PretrainConfig, type VideoEmbedding } from 'cvrl';
const dim: number = createModel('r3d_18_tiny').featureDim;
const config: PretrainConfig = resolveConfig({ data: 'videos', format: 'folder', out: 'runs/x' });
const later: Promise<VideoEmbedding> = embedVideo('a.mp4', createModel('r3d_18_tiny'), { frames: 8 });
// @ts-expect-error: a wrong option type must not type-check
embedVideo('a.mp4', createModel('r3d_18_tiny'), { frames: 'eight' });
export { dim, config, later };
`);
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', skipLibCheck: true, types: [] }, files: ['use.ts'],
  }));
  const typed = sh(process.execPath, [tsc, '-p', project], project);
  ok(typed, 'tsc on a consumer of the installed package');
});
