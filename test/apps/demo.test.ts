// A shrunken demo end to end: data, pre-training, probe table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync, readFileSync, existsSync, mkdirSync } from 'node:fs';
import { runDemo, demoConfigFile } from '../../src/apps/demo.js';
import { resolveConfig } from '../../src/train/config.js';
import { topK, confusionMatrix, perClassAccuracy, classificationReport } from '../../src/eval/metrics.js';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { tempDir } from '../helpers/python.js';

test('metrics: top-k, confusion matrix and per-class accuracy on hand-computed cases', () => {
  const scores = [[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.3, 0.4, 0.3]];
  const labels = [1, 2, 2, 0];
  assert.equal(topK(scores, labels, 1), 50);
  assert.equal(topK(scores, labels, 2), 75);
  assert.equal(topK(scores, labels, 3), 100);
  assert.deepEqual(confusionMatrix([1, 0, 2, 1], labels, 3), [[0, 1, 0], [0, 1, 0], [1, 0, 1]]);
  assert.deepEqual(perClassAccuracy([[0, 1, 0], [0, 1, 0], [1, 0, 1]]), [0, 100, 50]);
  assert.equal(classificationReport(scores, labels, 3).top1, 50);
  assert.throws(() => topK(scores, [1], 1), /4 score rows for 1 labels/);
});

test('the shipped demo recipe is a valid config', () => {
  const c = resolveConfig({ data: '.', format: 'ucf101', out: 'x' }, demoConfigFile());
  assert.ok(c.steps !== undefined && c.steps > 0);
});

test('a shrunken demo runs end to end and writes its table and metrics', async () => {
  const out = tempDir('cvrl-demo-');
  const cfg = join(out, 'tiny.yaml');
  const recipe = parseYaml(readFileSync(demoConfigFile(), 'utf8')) as Record<string, unknown>;
  writeFileSync(cfg, stringifyYaml({ ...recipe, steps: 3, batch: 8, size: 32, frames: 4, headHidden: 32, headOut: 16, checkpointEvery: 2 }));
  const lines: string[] = [];
  const epochs = { linear: 3, finetune: 1, supervised: 1 };
  const r = await runDemo({ out, config: cfg, videosPerClass: 5, quiet: true, epochs, log: (l) => lines.push(l) });
  assert.equal(r.rows.length, 3);
  // Each table entry is its run's top-1, which is the diagonal share of that run's confusion matrix.
  const shown: [number, string][] = [[r.rows[0].top1, 'linear-cvrl'], [r.rows[1].top1, 'linear-random'],
    [r.rows[0].finetuneTop1, 'finetune10-cvrl'], [r.rows[1].finetuneTop1, 'finetune10-scratch'], [r.rows[2].finetuneTop1, 'supervised']];
  for (const [top1, d] of shown) {
    const m = JSON.parse(readFileSync(join(out, d, 'metrics.json'), 'utf8')) as { top1: number; confusion: number[][] };
    const all = m.confusion.flat().reduce((a, b) => a + b, 0), diag = m.confusion.reduce((a, row, i) => a + row[i], 0);
    assert.equal(top1, m.top1, d);
    assert.equal(top1, (100 * diag) / all, `${d}: top-1 is not the confusion matrix's diagonal share`);
  }
  assert.ok(existsSync(join(out, 'report.html')));
  assert.equal(r.pretrain.steps, 3);
  assert.ok(existsSync(join(out, 'metrics.json')) && existsSync(join(out, 'summary.md')));
  assert.match(lines.join('\n'), /\| CVRL \(pre-trained\) \| [\d.]+ \|/);
  // Running again reuses the data and the finished run, but only with the same settings.
  const againLines: string[] = [];
  const again = await runDemo({ out, config: cfg, videosPerClass: 5, quiet: true, epochs, log: (l) => againLines.push(l) });
  assert.equal(again.pretrain.steps, 3);
  assert.match(lines.join('\n'), /Pre-training: 3 steps, final loss [\d.]+, [\d.]+ clips\/s/);
  assert.match(againLines.join('\n'), /Pre-training: 3 steps, final loss [\d.]+, reused from the earlier run/, 'a reused run reports no speed of 0 clips/s');
  await assert.rejects(runDemo({ out, config: cfg, videosPerClass: 6, quiet: true, epochs }), (e: Error) => e.message.startsWith(out) && /different videosPerClass; pass another --out/.test(e.message));
  writeFileSync(cfg, stringifyYaml({ ...recipe, steps: 4 }));
  await assert.rejects(runDemo({ out, config: cfg, videosPerClass: 5, quiet: true, epochs }), /different config/);
  const legacy = tempDir('cvrl-demo-legacy-');
  mkdirSync(join(legacy, 'data', 'annotations'), { recursive: true });
  writeFileSync(join(legacy, 'data', 'annotations', 'classInd.txt'), '1 Translate\n');
  await assert.rejects(runDemo({ out: legacy, quiet: true }), /without a record of its settings/);
  // A run that fails before its dataset exists claims nothing; a missing config is named.
  const failed = tempDir('cvrl-demo-failed-');
  await assert.rejects(runDemo({ out: failed, config: cfg, videosPerClass: 2, quiet: true }), /videosPerClass must be an integer >= 3/);
  assert.ok(!existsSync(join(failed, 'demo-settings.json')));
  await assert.rejects(runDemo({ out: failed, config: join(failed, 'missing.yaml'), quiet: true }), /missing\.yaml/);
});
