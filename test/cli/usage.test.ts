// Command-line conventions shared by every command: the version comes from package.json, a bad
// command line exits with status 2 (a failed run with 1), and numeric flags reject NaN by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { tempDir } from '../helpers/python.js';

const cvrl = (...args: string[]) => spawnSync(process.execPath, ['bin/cvrl.js', ...args], { encoding: 'utf8', env: { ...process.env, CVRL_NO_JEMALLOC: '1' } });

test('cvrl --version prints the version in package.json', () => {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const r = cvrl('--version');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), version);
  const info = cvrl('info', '--json');
  assert.equal(JSON.parse(info.stdout).cvrlVersion, version);
});

test('usage errors exit with status 2 and name the flag; --help exits with 0', () => {
  const data = ['--data', '/nonexistent', '--format', 'ucf101', '--out', '/nonexistent/out'];
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['info', '--threads', 'x'], /--threads must be a positive integer, got 'x'/],
    [['info', '--no-such-flag'], /unknown option '--no-such-flag'/],
    [['linear-eval', ...data, '--flip-prob', 'NaN'], /--flip-prob must be a number in \[0, 1\], got 'NaN'/],
    [['linear-eval', ...data, '--weight-decay', 'abc'], /--weight-decay must be a number >= 0, got 'abc'/],
    [['finetune', ...data, '--dropout', '1'], /--dropout must be a number in \[0, 1\), got '1'/],
    [['finetune', ...data, '--backbone-lr-mult', ''], /--backbone-lr-mult must be a number >= 0, got ''/],
    [['linear-eval', ...data, '--width', 'wide'], /--width must be a positive number, got 'wide'/],
    [['linear-eval', '--data', '/nonexistent', '--format', 'avi', '--out', '/nonexistent/out'], /--format must be one of/],
    [['synth', '--out', '/nonexistent/out', '--seed', 'NaN'], /--seed must be a non-negative integer, got 'NaN'/],
    [['pretrain', '--out', '/nonexistent/out', '--lr', 'NaN'], /--lr must be a number, got 'NaN'/],
    [['pretrain', '--out', '/nonexistent/out', '--blur-prob', '1,x'], /--blur-prob must be numbers separated by commas, got '1,x'/],
  ];
  for (const [args, message] of cases) {
    const r = cvrl(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: status ${r.status}, stderr ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
  assert.equal(cvrl('embed', '--help').status, 0);
});

test('library errors name options; the command line shows them as its flags', () => {
  const synth = cvrl('synth', '--out', '/nonexistent/out', '--classes', '1');
  assert.equal(synth.status, 1);
  assert.match(synth.stderr, /cvrl: --classes must be 2\.\.8, got 1/);
  const linear = cvrl('linear-eval', '--arch', 'r3d_18_tiny', '--data', 'test', '--format', 'ucf101', '--out', join(tempDir('cvrl-usage-'), 'out'));
  assert.equal(linear.status, 1);
  assert.match(linear.stderr, /cvrl: --annotations: required for --format ucf101/);
});

test('a run whose data folder is missing says so and leaves no output folder behind', () => {
  const root = tempDir('cvrl-usage-');
  for (const cmd of [['pretrain'], ['linear-eval', '--arch', 'r3d_18_tiny', '--random-init'], ['finetune', '--arch', 'r3d_18_tiny', '--scratch'], ['embed', '--arch', 'r3d_18_tiny', '--random-init']]) {
    const out = join(root, cmd[0], cmd[0] === 'embed' ? 'features.safetensors' : '');
    const r = cvrl(...cmd, '--data', join(root, 'no-such-data'), '--format', 'folder', '--out', out);
    assert.equal(r.status, 1, cmd[0]);
    assert.match(r.stderr, /no-such-data: the dataset folder does not exist/, cmd[0]);
    assert.equal(existsSync(join(root, cmd[0])), false, `${cmd[0]} left a folder`);
  }
});

test('cvrl pretrain --help explains every config key, with its default and allowed values', () => {
  const r = cvrl('pretrain', '--help');
  assert.equal(r.status, 0, r.stderr);
  const help = r.stdout.replace(/\s+/g, ' ');
  assert.doesNotMatch(help, /config key '/, 'no flag is described only by its key name');
  assert.match(help, /--lr <value> base learning rate .* \(default 0\.32\)/);
  assert.match(help, /--format <value> dataset layout \(one of folder, list, ucf101, hmdb51, kinetics\)/);
  assert.match(help, /--consistent <value> .* \(true or false; default true\)/);
  assert.match(help, /--blur-prob <value> .* \(default 1,0\.1\)/);
  for (const flag of ['--frames', '--gap-law', '--precision', '--device', '--sync-bn', '--frame-cache-mb']) assert.ok(help.includes(`${flag} <value> `), flag);
});
