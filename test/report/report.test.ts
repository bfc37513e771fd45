// `cvrl report`: one self-contained page from fake run directories and a real (tiny) video dataset.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { renderReport, ReportError } from '../../src/report/index.js';
import { readCurves } from '../../src/report/load.js';
import { readMetricsJson } from '../../src/report/metrics-json.js';
import { tempDir } from '../helpers/python.js';
import { makeFixture, writeEmbeddings, FIXTURE_CHARTS, EVAL_CLASSES, type Fixture } from './fixtures.js';

let fx: Fixture;
before(async () => {
  fx = await makeFixture(tempDir('cvrl-report-'));
});

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

/** Everything that could make a browser fetch something: every src/href must be a data: URI. */
function assertSelfContained(html: string): void {
  for (const bad of ['http://', 'https://', 'src="//', "src='//", 'url(', '@import']) assert.ok(!html.includes(bad), `page contains ${bad}`);
  const refs = [...html.matchAll(/\s(?:src|href|xlink:href)\s*=\s*["']?([^"'\s>]*)/gi)].map((m) => m[1]);
  assert.ok(refs.every((r) => r.startsWith('data:image/png;base64,')), `non-data references: ${refs.filter((r) => !r.startsWith('data:')).slice(0, 3)}`);
}

test('a report of pre-training, eval, retrieval and demo runs: curves, tables, confusion, embeddings, clips', async () => {
  const warnings: string[] = [];
  const r = await renderReport({ runDirs: [fx.pre, fx.lin, fx.ret, fx.demo], title: 'Ablation <1> & co', samples: 3, onWarning: (w) => warnings.push(w) });
  const h = r.html;
  assertSelfContained(h);
  assert.equal(r.runs.length, 4);
  // Charts and frames, counted in the page itself.
  assert.equal(count(h, /<svg class="chart /g), FIXTURE_CHARTS);
  assert.equal(r.charts, FIXTURE_CHARTS);
  assert.match(h, new RegExp(`data-charts="${FIXTURE_CHARTS}"`));
  assert.equal(count(h, /<img src="data:image\/png;base64,/g), 3 * 16);
  assert.equal(r.frames, 48);
  assert.equal(count(h, /<div class="clip">/g), 3);
  assert.equal(count(h, /<svg class="chart scatter"/g), 1);
  // Escaping: class names from metrics.json, embeddings.jsonl and video folders, and the title.
  for (const raw of [...EVAL_CLASSES, '<cls0>', 'Walk<1>', 'Run & jump']) {
    const escaped = raw.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    assert.ok(h.includes(escaped), `missing escaped ${escaped}`);
  }
  for (const raw of ['a<b>', '<cls0>', 'Walk<1>', 'Ablation <1>']) assert.ok(!h.includes(raw), `unescaped ${raw}`);
  assert.match(h, /<title>Ablation &lt;1&gt; &amp; co<\/title>/);
  // Tables hold the numbers from the files.
  assert.match(h, /<td>61\.3<\/td><td>97\.5<\/td><td>55\.5<\/td>/);
  assert.match(h, /<td>41\.5<\/td><td>62\.3<\/td><td>70\.0<\/td><td>81\.8<\/td>/);
  assert.match(h, /R@1<\/th><th>R@5<\/th><th>R@10<\/th><th>R@20/);
  assert.match(h, /CVRL \(pre-trained\)<\/td><td>96\.7<\/td>/);
  assert.match(h, /random init<\/td><td>87\.5<\/td>/);
  assert.match(h, /step-10\.safetensors/);
  // Confusion matrix: 3 class rows with counts and per-class accuracy.
  const conf = h.slice(h.indexOf('<table class="confusion">'));
  assert.equal(count(conf.slice(0, conf.indexOf('</table>')), /<th class="row">/g), 3);
  assert.match(conf, /<th class="row">c&amp;d<\/th>.*?>3<\/td>.*?>5<\/td>.*?>2<\/td><td>50\.0<\/td>/);
  // The malformed metrics.jsonl line is reported with file:line, in the page and to the caller.
  const bad = `${join(fx.pre, 'metrics.jsonl')}:3: skipped malformed line`;
  assert.ok(warnings.some((w) => w.startsWith(bad)), warnings.join('\n'));
  assert.ok(h.includes(bad));
  assert.equal(r.runs[0].curves!.points.length, 10);
  // The unlabelled embedding row is drawn grey and counted in the legend.
  assert.match(h, /unlabelled \(1\)/);
  assert.match(h, /&lt;cls0&gt; \(4\)/);
});

test('--samples 0 shows no clips; a moved dataset is a note in the page, not a failure', async () => {
  const none = await renderReport({ runDirs: [fx.pre], samples: 0 });
  assert.equal(count(none.html, /<img /g), 0);
  const moved = join(fx.root, 'moved');
  mkdirSync(moved, { recursive: true });
  writeFileSync(join(moved, 'config.json'), JSON.stringify({ config: { data: join(fx.root, 'gone'), format: 'folder' } }));
  writeFileSync(join(moved, 'metrics.jsonl'), '{"step":1,"loss":3,"lr":0.1}\n');
  const r = await renderReport({ runDirs: [moved] });
  assert.equal(count(r.html, /<img /g), 0);
  assert.match(r.html, /sample clips unavailable: the dataset of .*config\.json could not be opened/);
  assert.equal(r.charts, 2);
  // Two runs logged by step share a loss chart (pre: loss, lr, throughput; moved: loss, lr); a RUNDIR given twice counts once.
  const both = await renderReport({ runDirs: [fx.pre, moved, `${fx.pre}/`], samples: 0 });
  assert.equal(both.runs.length, 2);
  assert.equal(both.charts, 3 + 2 + 1);
  assert.match(both.html, /loss by step, all runs/);
});

test('a demo output directory brings its pretrain/ run along', async () => {
  const demo = join(fx.root, 'demo-with-run');
  mkdirSync(join(demo, 'pretrain'), { recursive: true });
  writeFileSync(join(demo, 'metrics.json'), readFileSync(join(fx.demo, 'metrics.json')));
  writeFileSync(join(demo, 'pretrain', 'metrics.jsonl'), readFileSync(join(fx.pre, 'metrics.jsonl')));
  const r = await renderReport({ runDirs: [demo], samples: 0 });
  assert.deepEqual(r.runs.map((x) => x.name), ['demo-with-run', 'pretrain']);
  assert.equal(r.charts, 3);
  assert.match(r.html, /random init<\/td><td>87\.5<\/td>/);
});

test('an unreadable video is skipped with a note and another one is shown', async () => {
  const data = join(fx.root, 'partly-bad');
  mkdirSync(join(data, 'x'), { recursive: true });
  writeFileSync(join(data, 'x', 'a.mp4'), 'not a video');
  writeFileSync(join(data, 'x', 'b.mp4'), readFileSync(join(fx.data, 'Walk<1>', 'v1.mp4')));
  const run = join(fx.root, 'partly-bad-run');
  mkdirSync(run, { recursive: true });
  writeFileSync(join(run, 'config.json'), JSON.stringify({ config: { data, format: 'folder' } }));
  const r = await renderReport({ runDirs: [run], samples: 1 });
  assert.equal(r.frames, 16);
  assert.match(r.html, /could not decode a\.mp4/);
});

test('missing or unrecognisable RUNDIRs: an error naming each when none is usable, else warnings and a note', async () => {
  const empty = join(fx.root, 'empty');
  mkdirSync(empty, { recursive: true });
  const emptyJson = join(fx.root, 'empty-json');
  mkdirSync(emptyJson, { recursive: true });
  writeFileSync(join(emptyJson, 'metrics.json'), '');
  const missing = join(fx.root, 'does-not-exist');
  await assert.rejects(renderReport({ runDirs: [missing, empty, emptyJson] }), (e: Error) => {
    assert.ok(e instanceof ReportError);
    assert.match(e.message, /does-not-exist: no such directory/);
    assert.match(e.message, /empty: nothing to report/);
    assert.match(e.message, /empty-json\/metrics\.json: empty file/);
    return true;
  });
  const warnings: string[] = [];
  const r = await renderReport({ runDirs: [missing, fx.ret], onWarning: (w) => warnings.push(w) });
  assert.equal(r.runs.length, 1);
  assert.ok(warnings.some((w) => w.includes('does-not-exist: no such directory')));
  assert.match(r.html, /skipped .*does-not-exist: no such directory/);
  // An unreadable file inside a usable run is a warning, not a crash.
  const odd = join(fx.root, 'odd');
  mkdirSync(join(odd, 'metrics.jsonl'), { recursive: true });
  writeFileSync(join(odd, 'metrics.json'), JSON.stringify({ command: 'finetune', top1: 50 }));
  const o = await renderReport({ runDirs: [odd] });
  assert.match(o.warnings.join('\n'), /odd\/metrics\.jsonl: EISDIR/);
  assert.match(o.html, /<td class="l">finetune<\/td><td class="l">–<\/td><td>–<\/td><td>50\.0<\/td>/);
});

test('malformed metrics: bad JSON, wrong shapes and missing optional fields', () => {
  const dir = join(fx.root, 'malformed');
  mkdirSync(dir, { recursive: true });
  const w: string[] = [];
  writeFileSync(join(dir, 'a.json'), '{"command": "linear-eval", "top1": ');
  assert.deepEqual(readMetricsJson(join(dir, 'a.json'), w), {});
  assert.match(w.pop()!, /a\.json: invalid JSON/);
  writeFileSync(join(dir, 'b.json'), '[1, 2]');
  assert.deepEqual(readMetricsJson(join(dir, 'b.json'), w), {});
  assert.match(w.pop()!, /b\.json: expected a JSON object/);
  // Only command and top1: the rest is optional.
  writeFileSync(join(dir, 'c.json'), JSON.stringify({ command: 'finetune', top1: 12.5 }));
  assert.deepEqual(readMetricsJson(join(dir, 'c.json'), w).eval, { file: join(dir, 'c.json'), command: 'finetune', top1: 12.5 });
  assert.equal(w.length, 0);
  // Fields of the wrong shape are dropped with a warning naming them.
  writeFileSync(join(dir, 'd.json'), JSON.stringify({ command: 'linear-eval', classes: ['x', 'y'], top1: '90', perClass: [1, 2, 3], confusion: [[1, 2], [3]] }));
  const d = readMetricsJson(join(dir, 'd.json'), w).eval!;
  assert.deepEqual([d.top1, d.perClass, d.confusion], [undefined, undefined, undefined]);
  assert.deepEqual(w.map((x) => x.replace(/^.*d\.json: /, '')), [
    "ignored field 'top1' (not a number)", "ignored field 'perClass' (3 values for 2 classes)", "ignored field 'confusion' (not square)"]);
  w.length = 0;
  // metrics.jsonl: non-object lines and lines without numbers.
  writeFileSync(join(dir, 'm.jsonl'), '{"step":1,"loss":2}\n[1]\nnot json\n\n{"step":2,"loss":1.5,"lr":0.1}\n');
  const c = readCurves(join(dir, 'm.jsonl'), w)!;
  assert.deepEqual(c.points.map((p) => p.step), [1, 2]);
  assert.equal(c.x, 'step');
  assert.deepEqual(w.map((x) => x.slice(x.indexOf('m.jsonl'), x.indexOf(': skipped'))), ['m.jsonl:2', 'm.jsonl:3']);
  writeFileSync(join(dir, 'e.jsonl'), 'garbage\n');
  assert.equal(readCurves(join(dir, 'e.jsonl'), w), undefined);
  assert.match(w.pop()!, /e\.jsonl: no usable lines/);
});

test('an encoder loaded from a plain state dict (--weights) is shown by its file', async () => {
  const dir = join(fx.root, 'weights-eval');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'metrics.json'), JSON.stringify({ command: 'linear-eval', encoder: { checkpoint: null, weights: '/w/tv-r3d_18.safetensors', arch: 'r3d_18', randomInit: false }, top1: 50 }));
  const { html } = await renderReport({ runDirs: [dir], samples: 0 });
  assert.match(html, /r3d_18 <span class="path" title="\/w\/tv-r3d_18\.safetensors">tv-r3d_18\.safetensors<\/span>/);
});

test('embeddings given by --embeddings FILE, and a mismatched index is reported', async () => {
  const dir = join(fx.root, 'emb');
  mkdirSync(dir, { recursive: true });
  writeEmbeddings(dir, 7, 4);
  const r = await renderReport({ runDirs: [], embeddings: [join(dir, 'embeddings.safetensors')] });
  assert.equal(r.charts, 1);
  assert.match(r.html, /7 videos, 4 dimensions/);
  writeFileSync(join(dir, 'embeddings.jsonl'), '{"path":"a","label":0}\n');
  await assert.rejects(renderReport({ runDirs: [], embeddings: [join(dir, 'embeddings.safetensors')] }), /embeddings\.jsonl: 1 usable lines for 7 embedding rows/);
});

test('cvrl report writes the page and fails with exit code 1 when nothing is usable', (t) => {
  if (!existsSync('dist/src/cli/report.js')) return t.skip('cvrl is not built (npm run build)');
  const out = join(fx.root, 'cli', 'r.html');
  mkdirSync(join(fx.root, 'cli'), { recursive: true });
  const ok = spawnSync(process.execPath, ['bin/cvrl.js', 'report', fx.ret, fx.demo, join(fx.root, 'nope'), '--out', out, '--title', 'T<>'], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /r\.html: 2 run\(s\), 0 charts, 0 clip frames/);
  assert.match(ok.stderr, /warning: .*nope: no such directory/);
  assert.match(readFileSync(out, 'utf8'), /<h1>T&lt;&gt;<\/h1>/);
  rmSync(out);
  const bad = spawnSync(process.execPath, ['bin/cvrl.js', 'report', join(fx.root, 'nope'), '--out', out], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /cvrl: nothing to report:\n .*nope: no such directory/);
  assert.ok(!existsSync(out));
  const neg = spawnSync(process.execPath, ['bin/cvrl.js', 'report', fx.ret, '--samples', '-1', '--out', out], { encoding: 'utf8' });
  assert.equal(neg.status, 2); // a usage error
  assert.match(neg.stderr, /--samples must be a non-negative integer, got '-1'/);
  const smooth = spawnSync(process.execPath, ['bin/cvrl.js', 'report', fx.pre, '--smoothing', '1', '--out', out], { encoding: 'utf8' });
  assert.equal(smooth.status, 2); // a usage error
  assert.match(smooth.stderr, /--smoothing must be a number in \[0, 1\), got '1'/);
  const log = spawnSync(process.execPath, ['bin/cvrl.js', 'report', fx.pre, '--smoothing', '0', '--log-loss', '--samples', '0', '--out', out], { encoding: 'utf8' });
  assert.equal(log.status, 0, log.stderr);
  assert.match(readFileSync(out, 'utf8'), />loss \(log\)</);
  rmSync(out);
  const none = spawnSync(process.execPath, ['bin/cvrl.js', 'report', '--out', out], { encoding: 'utf8' });
  assert.equal(none.status, 1);
  assert.match(none.stderr, /cvrl: nothing to report: give at least one of RUNDIR or --embeddings\n/);
  const emb = spawnSync(process.execPath, ['bin/cvrl.js', 'report', '--embeddings', join(fx.lin, 'embeddings.safetensors'), fx.ret, '--out', out, '--samples', '0'], { encoding: 'utf8' });
  assert.equal(emb.status, 0, emb.stderr);
  assert.match(emb.stdout, /1 run\(s\), 1 charts/);
});
