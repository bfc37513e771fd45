/**
 * Assembles the report page: one self-contained HTML file (inline CSS, SVG, PNG data: URIs and a
 * small script), with a Content-Security-Policy that forbids loading anything from elsewhere.
 * Pure: takes what load/pca/clips produced, returns a string. Every text from files is escaped.
 */
import { basename } from 'node:path';
import { esc, fmt, pct } from './escape.js';
import { lineChart, scatterPlot, type Series } from './svg.js';
import { DEFAULT_SMOOTHING } from './smooth.js';
import { pngDataUri } from '../formats/png.js';
import { type RunData, type Curves, type EmbeddingSet } from './load.js';
import { type EvalMetrics } from './metrics-json.js';
import { type ClipSamples } from './clips.js';
import { type Pca2d } from './pca.js';
import { createHash } from 'node:crypto';

export interface ReportModel {
  title: string;
  runs: RunData[];
  embeddings: { name: string; set: EmbeddingSet; pca: Pca2d }[];
  clips: { name: string; samples: ClipSamples }[];
  /** Page-level notes (unusable run directories, ...). */
  notes: string[];
  /** Frames per second of the clip animation. */
  fps?: number;
  /** EMA weight for noisy curves (loss, accuracy, throughput; not the learning rate); 0: raw only. Default 0.6. */
  smoothing?: number;
  /** Logarithmic y axes on loss charts. */
  logLoss?: boolean;
}

export interface RenderedPage {
  html: string;
  /** SVG charts in the page (line charts and scatter plots). */
  charts: number;
  /** Clip frames (img elements) in the page. */
  frames: number;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1180px;padding:0 16px;color:#222;background:#fff}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}h3{font-size:15px;margin:18px 0 6px}
code,.path{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#555;word-break:break-all}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f4f4f4}
td.l,th.l{text-align:left}.notes{background:#fff6e0;border:1px solid #f0d080;padding:8px 12px;margin:12px 0}.notes li{margin:2px 0}
.charts{display:flex;flex-wrap:wrap;gap:12px}svg.chart{background:#fff;border:1px solid #eee}
svg .title{font-size:13px;font-weight:600}svg .tick,svg .legend,svg .axis,svg text{font-size:11px;fill:#333}
svg .grid line{stroke:#eee}svg .frame{fill:none;stroke:#bbb}svg path.series{fill:none;stroke-width:1.6}
table.confusion td{min-width:26px;text-align:center;font-size:12px}table.confusion th.col{writing-mode:vertical-rl;transform:rotate(180deg);text-align:left;font-weight:normal;font-size:12px;padding:4px 2px}
table.confusion th.row{text-align:left;font-weight:normal;font-size:12px}
.clips{display:flex;flex-wrap:wrap;gap:14px}.clip-box{margin:0}.clip-box figcaption{font-size:12px;max-width:240px}
.clip img{display:none;image-rendering:auto;border:1px solid #ccc}.clip img.on,.clip:not(.playing) img:first-child{display:block}
`;

const SCRIPT = `
(function(){
  function start(){
    var body=document.body, problems=[];
    var charts=document.querySelectorAll('svg.chart'), laidOut=0;
    charts.forEach(function(c){var r=c.getBoundingClientRect(); if(r.width>0&&r.height>0) laidOut++;});
    if(charts.length!==+body.dataset.charts) problems.push('charts '+charts.length+' of '+body.dataset.charts);
    if(laidOut!==charts.length) problems.push((charts.length-laidOut)+' charts not laid out');
    var imgs=document.querySelectorAll('.clip img'), decoded=0;
    imgs.forEach(function(i){ if(i.complete&&i.naturalWidth>0) decoded++; });
    if(imgs.length!==+body.dataset.frames) problems.push('frames '+imgs.length+' of '+body.dataset.frames);
    if(decoded!==imgs.length) problems.push((imgs.length-decoded)+' frames not decoded');
    var fps=+body.dataset.fps||8;
    document.querySelectorAll('.clip').forEach(function(c){
      var f=c.querySelectorAll('img'), i=0; if(!f.length) return;
      c.classList.add('playing'); f[0].classList.add('on');
      setInterval(function(){ f[i].classList.remove('on'); i=(i+1)%f.length; f[i].classList.add('on'); }, 1000/fps);
    });
    body.dataset.chartsFound=String(laidOut); body.dataset.framesDecoded=String(decoded);
    body.dataset.rendered=problems.length?'error: '+problems.join('; '):'ok';
  }
  if(document.readyState==='complete') start(); else window.addEventListener('load', start);
})();
`;

// The page's one script is allowed by its hash, so injected markup could not run a script of its own.
const SCRIPT_HASH = createHash('sha256').update(SCRIPT).digest('base64');
const CSP = `default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'; base-uri 'none'; form-action 'none'`;

/** Keys of a metrics.jsonl that go on one chart together. */
function curveGroups(c: Curves): { title: string; yLabel: string; keys: string[] }[] {
  const keys = new Set(c.points.flatMap((p) => Object.keys(p.values)));
  const pick = (f: (k: string) => boolean) => [...keys].filter(f).sort();
  return [
    { title: 'loss', yLabel: 'loss', keys: pick((k) => /loss/i.test(k)) },
    { title: 'learning rate', yLabel: 'lr', keys: pick((k) => k === 'lr' || /^lr[_/]|learning_rate/i.test(k)) },
    { title: 'accuracy', yLabel: '%', keys: pick((k) => /top|acc|recall/i.test(k)) },
    { title: 'throughput', yLabel: 'clips/s', keys: pick((k) => k === 'clips_per_s') },
  ].filter((g) => g.keys.length > 0);
}

function xOf(c: Curves, i: number): number {
  const p = c.points[i];
  return c.x === 'step' ? p.step! : c.x === 'epoch' ? p.epoch! : i;
}

/** One series per split when the log has several (linear-eval --split all restarts its steps per split). */
function seriesOf(c: Curves, key: string, name: string): Series[] {
  const splits = [...new Set(c.points.map((p) => p.values.split).filter((v) => v !== undefined))];
  const of = (keep: (v: number | undefined) => boolean, label: string): Series => ({
    name: label,
    points: c.points.map((p, i) => [xOf(c, i), keep(p.values.split) ? p.values[key] ?? NaN : NaN] as [number, number])
      .filter(([, y], i, a) => Number.isFinite(y) || (i > 0 && Number.isFinite(a[i - 1][1]))),
  });
  return splits.length > 1 ? splits.map((k) => of((v) => v === k, `${name} (split ${k})`)) : [of(() => true, name)];
}

/** Pre-training and evaluation steps (or epochs) count different things: the axis says which. */
function axisLabel(c: Curves): string {
  return c.x === 'line' ? 'line' : `${c.phase === 'eval' ? 'evaluation' : 'pre-training'} ${c.x}`;
}

function encoderText(m: EvalMetrics): string {
  const e = m.encoder;
  if (!e) return '–';
  const file = e.checkpoint ?? e.weights ?? null;
  const ck = e.randomInit ? 'random init' : file ? basename(file) : 'no checkpoint';
  return `${esc(e.arch)} <span class="path" title="${esc(file ?? '')}">${esc(ck)}</span>`;
}

function table(head: string[], rows: string[][], leftCols = 1): string {
  const cell = (tag: string, v: string, i: number) => `<${tag}${i < leftCols ? ' class="l"' : ''}>${v}</${tag}>`;
  return `<table><thead><tr>${head.map((h, i) => cell('th', h, i)).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((v, i) => cell('td', v, i)).join('')}</tr>`).join('')}</tbody></table>`;
}

function confusionTable(m: EvalMetrics): string {
  const cm = m.confusion!;
  const k = cm.length;
  const names = m.classes ?? Array.from({ length: k }, (_, i) => `class ${i}`);
  const rowSums = cm.map((r) => r.reduce((a, b) => a + b, 0));
  const perClass = m.perClass ?? cm.map((r, i) => (rowSums[i] > 0 ? (100 * r[i]) / rowSums[i] : NaN));
  const head = `<tr><th class="l">true \\ predicted</th>${names.map((n) => `<th class="col" title="${esc(n)}">${esc(n)}</th>`).join('')}<th>accuracy %</th></tr>`;
  const rows = cm.map((r, i) => {
    const cells = r.map((v, j) => {
      const a = rowSums[i] > 0 ? v / rowSums[i] : 0;
      const bg = `rgba(${j === i ? '46,125,50' : '198,40,40'},${a.toFixed(3)})`;
      return `<td style="background:${bg};color:${a > 0.55 ? '#fff' : '#222'}" title="${esc(names[i])} → ${esc(names[j])}: ${esc(fmt(v))}">${v === 0 ? '' : esc(fmt(v))}</td>`;
    }).join('');
    return `<tr><th class="row">${esc(names[i])}</th>${cells}<td>${pct(perClass[i])}</td></tr>`;
  }).join('');
  return `<table class="confusion"><thead>${head}</thead><tbody>${rows}</tbody></table>`;
}

export function renderPage(model: ReportModel): RenderedPage {
  let charts = 0, frames = 0;
  const chart = (svg: string) => {
    charts++;
    return svg;
  };
  const body: string[] = [];
  const allWarnings = model.runs.flatMap((r) => r.warnings);
  body.push(`<h1>${esc(model.title)}</h1>`);
  body.push(`<p>Runs: ${model.runs.map((r) => `<b>${esc(r.name)}</b> <span class="path">${esc(r.dir)}</span>`).join(', ') || 'none'}</p>`);
  if (model.notes.length || allWarnings.length) {
    body.push(`<div class="notes"><b>Notes</b><ul>${[...model.notes, ...allWarnings].map((n) => `<li>${esc(n)}</li>`).join('')}</ul></div>`);
  }

  // ---- results tables ----
  const evals = model.runs.filter((r) => r.eval);
  const cls = evals.filter((r) => r.eval!.top1 !== undefined || r.eval!.top5 !== undefined || r.eval!.knnTop1 !== undefined || r.eval!.splits);
  const ret = evals.filter((r) => r.eval!.recall && Object.keys(r.eval!.recall).length);
  const demos = model.runs.filter((r) => r.demo?.rows.length);
  if (cls.length || ret.length || demos.length) body.push('<h2>Results</h2>');
  if (cls.length) {
    body.push('<h3>Classification accuracy (%)</h3>');
    body.push(table(['run', 'command', 'encoder', 'labels', 'top-1', 'top-5', 'kNN top-1', 'per split (top-1)'], cls.map((r) => {
      const m = r.eval!;
      return [esc(r.name), esc(m.command ?? '–'), encoderText(m), m.labelFraction !== undefined ? `${esc(fmt(m.labelFraction * (m.labelFraction <= 1 ? 100 : 1)))}%` : '–',
        pct(m.top1), pct(m.top5), pct(m.knnTop1), m.splits ? m.splits.map((s) => `${esc(s.split)}: ${pct(s.top1)}`).join(', ') : '–'];
    }), 3));
  }
  if (ret.length) {
    const ks = [...new Set(ret.flatMap((r) => Object.keys(r.eval!.recall!)))].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
    body.push('<h3>Retrieval recall (%)</h3>');
    body.push(table(['run', 'command', 'encoder', ...ks.map((k) => `R@${esc(k)}`)], ret.map((r) => [esc(r.name), esc(r.eval!.command ?? '–'), encoderText(r.eval!), ...ks.map((k) => pct(r.eval!.recall![k]))]), 3));
  }
  if (demos.length) {
    body.push('<h3>Demo: linear probe on frozen features (%)</h3>');
    body.push(table(['run', 'encoder', 'top-1', 'top-5', 'train top-1'], demos.flatMap((r) => r.demo!.rows.map((x) => [esc(r.name), esc(x.encoder), pct(x.top1), pct(x.top5), pct(x.trainTop1)])), 2));
    for (const r of demos) {
      const p = r.demo!.pretrain;
      if (p) body.push(`<p>${esc(r.name)} pre-training: ${Object.entries(p).map(([k, v]) => `${esc(k)} ${esc(fmt(v))}`).join(', ')}</p>`);
    }
  }

  // ---- curves ----
  const curved = model.runs.filter((r) => r.curves);
  if (curved.length) {
    body.push('<h2>Training curves</h2>');
    // One loss chart across runs that share an x axis: the same phase (pre-training or evaluation) and unit.
    const smoothing = model.smoothing ?? DEFAULT_SMOOTHING, logY = Boolean(model.logLoss);
    const overlays = (['pretrain', 'eval'] as const).flatMap((phase) => (['step', 'epoch'] as const).map((x) => ({
      phase, x, runs: curved.filter((r) => r.curves!.phase === phase && r.curves!.x === x && r.curves!.points.some((p) => p.values.loss !== undefined)),
    }))).filter((g) => g.runs.length > 1);
    if (overlays.length) {
      body.push('<h3>All runs</h3><div class="charts">');
      for (const g of overlays) {
        body.push(chart(lineChart({
          title: `loss by ${g.x}, all ${g.phase === 'eval' ? 'evaluation ' : ''}runs`, xLabel: axisLabel(g.runs[0].curves!), yLabel: 'loss',
          series: g.runs.flatMap((r) => seriesOf(r.curves!, 'loss', r.name)), smoothing, logY,
        })));
      }
      body.push('</div>');
    }
    for (const r of curved) {
      const c = r.curves!;
      body.push(`<h3>${esc(r.name)} <span class="path">${esc(c.file)}</span></h3><div class="charts">`);
      for (const g of curveGroups(c)) {
        body.push(chart(lineChart({
          title: `${r.name}: ${g.title}`, xLabel: axisLabel(c), yLabel: g.yLabel, series: g.keys.flatMap((k) => seriesOf(c, k, k)),
          smoothing: g.title === 'learning rate' ? 0 : smoothing, logY: logY && g.title === 'loss',
        })));
      }
      body.push('</div>');
      const last = c.points[c.points.length - 1];
      body.push(`<p>${c.points.length} points; last: ${[c.x === 'step' ? `step ${last.step}` : c.x === 'epoch' ? `epoch ${last.epoch}` : '', ...Object.entries(last.values).map(([k, v]) => `${k} ${fmt(v)}`)].filter(Boolean).map(esc).join(', ')}</p>`);
    }
  }

  // ---- confusion matrices ----
  const conf = evals.filter((r) => r.eval!.confusion);
  if (conf.length) {
    body.push('<h2>Confusion matrices</h2><p>Rows: true class; columns: predicted class; shading: share of the row.</p>');
    for (const r of conf) body.push(`<h3>${esc(r.name)}</h3>${confusionTable(r.eval!)}`);
  }

  // ---- embeddings ----
  if (model.embeddings.length) {
    body.push('<h2>Embeddings (PCA to 2-D)</h2>');
    for (const e of model.embeddings) {
      const [a, b] = e.pca.explained;
      body.push(`<h3>${esc(e.name)} <span class="path">${esc(e.set.file)}</span></h3>`);
      body.push(`<p>${e.set.n} videos, ${e.set.d} dimensions; the two axes explain ${(100 * a).toFixed(1)}% and ${(100 * b).toFixed(1)}% of the variance.</p>`);
      body.push(chart(scatterPlot({
        title: `${e.name}: embeddings`, points: e.pca.points, labels: e.set.labels, classes: e.set.classes,
        hover: e.set.n <= 3000 ? e.set.paths.map((p, i) => `${p} (${e.set.labels[i] >= 0 ? e.set.classes[e.set.labels[i]] : 'unlabelled'})`) : undefined,
        xLabel: 'PC 1', yLabel: 'PC 2',
      })));
    }
  }

  // ---- sample clips ----
  if (model.clips.length) {
    body.push('<h2>Sample clips</h2>');
    for (const c of model.clips) {
      body.push(`<h3>${esc(c.name)}</h3>`);
      if (c.samples.notes.length) body.push(`<div class="notes"><ul>${c.samples.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></div>`);
      if (!c.samples.clips.length) continue;
      body.push('<div class="clips">');
      for (const clip of c.samples.clips) {
        frames += clip.frames.length;
        const imgs = clip.frames.map((f, i) => `<img src="${pngDataUri(f)}" width="${clip.width}" height="${clip.height}" alt="frame ${i + 1}">`).join('');
        body.push(`<figure class="clip-box"><div class="clip">${imgs}</div><figcaption>${clip.className !== undefined ? `<b>${esc(clip.className)}</b> ` : ''}<span class="path">${esc(basename(clip.path))}</span>, ${clip.frames.length} frames</figcaption></figure>`);
      }
      body.push('</div>');
    }
  }

  const html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(model.title)}</title>
<style>${CSS}</style></head>
<body data-charts="${charts}" data-frames="${frames}" data-fps="${model.fps ?? 8}">
${body.join('\n')}
<script>${SCRIPT}</script>
</body></html>
`;
  return { html, charts, frames };
}
