// The recipe study: statistics by hand, and a shrunken study end to end (seeds, reuse, refusal).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync, readFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { meanSd, summarise, studyTable, runStudy, type SeedResult, type StudyResult } from '../../src/apps/study.js';
import { tempDir } from '../helpers/python.js';

const seed = (s: number, lin: number, rnd: number): SeedResult => ({
  seed: s, linearCvrl: lin, linearRandom: rnd, finetuneCvrl: 30, finetuneScratch: 20, supervised: 50,
  linearCvrlTrain: 60, linearRandomTrain: 40, linearCvrlTop5: 90, linearRandomTop5: 80, pretrainSeconds: 120, finalLoss: 5, clipsPerSec: 70,
});

test('meanSd: mean and the sample standard deviation (n - 1), 0 for one value', () => {
  assert.deepEqual(meanSd([2, 4, 4, 4, 5, 5, 7, 9]), { mean: 5, sd: Math.sqrt(32 / 7), values: [2, 4, 4, 4, 5, 5, 7, 9] });
  assert.deepEqual(meanSd([3]), { mean: 3, sd: 0, values: [3] });
});

test('summarise: margins are per seed, then averaged; the table lists every seed', () => {
  const rows = summarise([seed(0, 40, 20), seed(1, 30, 25)]);
  assert.deepEqual(rows['linear margin (CVRL - random)'].values, [20, 5]);
  assert.equal(rows['linear margin (CVRL - random)'].mean, 12.5);
  assert.equal(rows['linear margin (CVRL - random)'].sd, Math.sqrt(112.5));
  assert.equal(rows['pre-training minutes'].mean, 2);
  const r: StudyResult = { config: {}, dataset: 'hard', classes: 8, seeds: [seed(0, 40, 20), seed(1, 30, 25)], rows };
  const table = studyTable(r);
  assert.match(table, /chance 12\.5/);
  assert.match(table, /\| linear margin \(CVRL - random\) \| 12\.5 \| 10\.6 \| 20\.0 \| 5\.0 \|/);
});

test('a shrunken study runs two seeds end to end, reuses finished seeds and refuses other settings', async () => {
  const out = tempDir('cvrl-study-');
  const cfg = join(out, 'tiny.yaml');
  const recipe = parseYaml(readFileSync('configs/cpu-small.yaml', 'utf8')) as Record<string, unknown>;
  writeFileSync(cfg, stringifyYaml({ ...recipe, steps: 2, batch: 8, size: 32, frames: 4, headHidden: 32, headOut: 16 }));
  const o = { out, config: cfg, dataset: 'hard' as const, seeds: [0, 1], evalEpochs: { linear: 2, finetune: 1, supervised: 1 }, synth: { classes: 2, videosPerClass: 25, frames: 12, width: 48, height: 36 }, quiet: true, log: () => undefined };
  const r = await runStudy(o);
  assert.deepEqual(r.seeds.map((s) => s.seed), [0, 1]);
  assert.equal(r.classes, 2);
  assert.equal(r.rows['linear CVRL'].values.length, 2);
  assert.ok(existsSync(join(out, 'study.json')) && existsSync(join(out, 'study.md')));
  // The two seeds trained on different renderings of the benchmark.
  const dirs = readdirSync(join(out, 'data')).filter((d) => d.includes('-seed')).sort();
  assert.equal(dirs.length, 2);
  assert.match(dirs[0], /^hard-[0-9a-f]{8}-seed0$/);
  const video = (d: string) => readFileSync(join(out, 'data', d, 'MoveLeft', 'v_MoveLeft_g01_c01.avi'));
  assert.notDeepEqual(video(dirs[0]), video(dirs[1]));
  const again = await runStudy(o);
  assert.deepEqual(again.seeds, r.seeds, 'finished seeds are reused');
  await assert.rejects(runStudy({ ...o, overrides: { temperature: 0.2 } }), /other settings; choose another --out/);
});

test('a second recipe on the same data reuses the random-init rows, which equal a fresh run of them', async () => {
  const root = tempDir('cvrl-study-reuse-');
  const cfg = join(root, 'tiny.yaml');
  const recipe = parseYaml(readFileSync('configs/cpu-small.yaml', 'utf8')) as Record<string, unknown>;
  writeFileSync(cfg, stringifyYaml({ ...recipe, steps: 2, batch: 8, size: 32, frames: 4, headHidden: 32, headOut: 16 }));
  const o = { config: cfg, dataset: 'hard' as const, seeds: [0], dataCache: join(root, 'data'), evalEpochs: { linear: 2, finetune: 1, supervised: 1 }, synth: { classes: 2, videosPerClass: 25, frames: 12, width: 48, height: 36 }, quiet: true, log: () => undefined };
  const random = (r: StudyResult) => ['linear random init', '10% fine-tune scratch', 'supervised scratch (100%)'].map((k) => r.rows[k].values[0]);
  const a = await runStudy({ ...o, out: join(root, 'a') });
  const b = await runStudy({ ...o, out: join(root, 'b'), overrides: { temperature: 0.5, pseudoMotion: 1 } });
  assert.deepEqual(random(b), random(a));
  assert.ok(existsSync(join(root, 'a', 'seed-0', 'supervised')) && !existsSync(join(root, 'b', 'seed-0', 'supervised')), 'b did not rerun them');
  // Computed afresh for the second recipe, they are the same numbers: nothing of the recipe reaches them.
  rmSync(join(root, 'data', 'random-init-rows'), { recursive: true });
  const c = await runStudy({ ...o, out: join(root, 'c'), overrides: { temperature: 0.5, pseudoMotion: 1 } });
  assert.deepEqual(random(c), random(a));
  assert.equal(readdirSync(join(root, 'data', 'random-init-rows')).length, 1);
});
