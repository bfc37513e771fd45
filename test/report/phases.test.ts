// Pre-training steps and evaluation steps count different optimisers: the report never draws them
// on one axis, labels which is which, and draws each split of a --split all log as its own line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReport } from '../../src/report/index.js';
import { tempDir } from '../helpers/python.js';

const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

function runDir(root: string, name: string, rows: object[], metrics?: object): string {
  const d = join(root, name);
  mkdirSync(d);
  writeFileSync(join(d, 'metrics.jsonl'), jsonl(rows));
  if (metrics) writeFileSync(join(d, 'metrics.json'), JSON.stringify(metrics));
  return d;
}

/** Each line chart's title, x label and series names. */
function charts(html: string): { title: string; x: string; series: string[] }[] {
  return html.split('<svg class="chart line-chart"').slice(1).map((c) => {
    const svg = c.slice(0, c.indexOf('</svg>'));
    return {
      title: /aria-label="([^"]*)"/.exec(svg)![1],
      x: [...svg.matchAll(/<text class="axis"[^>]*>([^<]*)</g)][0][1],
      series: [...svg.matchAll(/<path class="series(?: smoothed)?"[^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1].replace(/ \(smoothed, EMA [^)]*\)$/, '')),
    };
  });
}

test('pre-training and evaluation curves get separate axes; splits are separate lines', async () => {
  const root = tempDir('cvrl-report-phases-');
  const pre = Array.from({ length: 20 }, (_, i) => ({ step: i + 1, epoch: 0, loss: 5 - i * 0.1, lr: 0.1, clips_per_s: 10 }));
  const dirs = [
    runDir(root, 'pre-a', pre),
    runDir(root, 'pre-b', pre),
    // linear-eval --split all: steps restart at each split; its metrics.json names the command.
    runDir(root, 'lin', [1, 2].flatMap((split) => [1, 2, 3].map((e) => ({ split, epoch: e, step: e * 4, loss: 2 / e, lr: 0.01, train_top1: 40 + e, seconds: 1 }))), { command: 'linear-eval', top1: 50 }),
    // A fine-tuning run still in progress (no metrics.json yet): its train_top1 marks it.
    runDir(root, 'ft', [1, 2].map((e) => ({ epoch: e, step: e * 3, loss: 1.5 / e, lr: 0.01, train_top1: 30 + e, seconds: 1 }))),
  ];
  const r = await renderReport({ runDirs: dirs, samples: 0, logLoss: true });
  const c = charts(r.html);
  const byTitle = (t: string) => c.find((x) => x.title === t) ?? assert.fail(`no chart '${t}' in ${c.map((x) => x.title).join(' | ')}`);
  assert.deepEqual(byTitle('loss by step, all runs'), { title: 'loss by step, all runs', x: 'pre-training step', series: ['pre-a', 'pre-b'] });
  assert.deepEqual(byTitle('loss by step, all evaluation runs'), { title: 'loss by step, all evaluation runs', x: 'evaluation step', series: ['lin (split 1)', 'lin (split 2)', 'ft'] });
  assert.equal(byTitle('lin: loss').x, 'evaluation step');
  assert.deepEqual(byTitle('lin: accuracy').series, ['train_top1 (split 1)', 'train_top1 (split 2)']);
  assert.equal(byTitle('pre-a: loss').x, 'pre-training step');
  // --log-loss: loss axes only.
  const yLabels = r.html.split('<svg class="chart line-chart"').slice(1).map((s) => [/aria-label="([^"]*)"/.exec(s)![1], [...s.matchAll(/<text class="axis"[^>]*>([^<]*)</g)][1][1]]);
  for (const [title, y] of yLabels) assert.equal(y.endsWith('(log)'), /loss/.test(title), `${title}: y label ${y}`);
  // The 20-step pre-training curves are smoothed (raw behind); 3-epoch evaluation curves are not.
  assert.match(r.html, /<title>pre-a \(smoothed, EMA 0.6\)<\/title>/);
  assert.doesNotMatch(r.html, /<title>lin \(split 1\) \(smoothed/);
});
