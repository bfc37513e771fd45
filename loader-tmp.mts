import { openDataset } from './src/video/dataset.ts';
import { VideoLoader } from './src/video/loader.ts';
import { setNumThreads } from './src/torch/index.ts';
import { resolveConfig } from './src/train/config.ts';
import { pretrainViews } from './src/ssl/pretrain-views.ts';
const data = '/tmp/cvrl-bench-demo-data';
const c = resolveConfig({ data, format: 'ucf101', out: '-', annotations: data + '/annotations', split: 1 }, 'configs/cpu-small.yaml');
setNumThreads(Number(process.argv[2] ?? 2));
const dataset = openDataset({ data, format: 'ucf101', annotations: c.annotations, split: 1 });
const par = Number(process.argv[3] ?? 4);
const loader = new VideoLoader({ dataset, mode: 'pretrain', batchSize: 32, frames: c.frames, stride: c.stride, size: c.size, augment: pretrainViews(c), parallelism: par });
let n = 0; const t0 = performance.now(); let tFirst = 0;
for await (const b of loader) { if (n === 0) tFirst = performance.now(); n++; b.views.forEach((v) => v.dispose()); if (n >= 12) break; }
const t = (performance.now() - tFirst) / 1000;
console.log(`threads ${process.argv[2]} parallelism ${par}: ${((n - 1) * 64 / t).toFixed(1)} clips/s after the first batch`);
