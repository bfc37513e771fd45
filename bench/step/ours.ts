/**
 * cvrl's side of the compute benchmark (bench/run.ts), one case per process: `train` is CVRL's step
 * (encoder + projection head on two views, NT-Xent, backward, SGD with momentum), `infer` the
 * encoder's forward without gradients (`infer-onnx`: the same encoder exported to ONNX, run by
 * onnxruntime-node on as many threads), `ntxent` the loss alone (forward + backward) on given
 * embeddings, `recipe` the full pre-training step of a config file (its model, auxiliary losses
 * and optimiser; the compute-only rate beside bench/pretrain-e2e.ts). Inputs are random and made once. Prints {"ms": [per repetition], "params", "peak_rss_mb"}.
 * bench/step/ref.py is the same work in PyTorch.
 */
import { readFileSync } from 'node:fs';
import { randn, manualSeed, setNumThreads, tidy, noGrad, autocast, sharedAutocastCasts, type Tensor } from '../../src/torch/index.js';
import { createModel } from '../../src/models/index.js';
import { CvrlModel } from '../../src/ssl/cvrl-model.js';
import { ntXent } from '../../src/ssl/ntxent.js';
import { SGD } from '../../src/optim/sgd.js';
import { resolveConfig } from '../../src/train/config.js';
import { buildTraining } from '../../src/train/pretrain-setup.js';
import { contrastiveLoss } from '../../src/ssl/contrastive-step.js';
import { Rng } from '../../src/video/rng.js';
import { exportOnnx } from '../../src/models/onnx-export.js';
import { synchronize } from '../../src/torch/device.js';

export interface StepSpec {
  mode: 'train' | 'infer' | 'infer-onnx' | 'ntxent' | 'recipe';
  /** recipe: the config file. */
  config?: string;
  arch: string;
  batch: number;
  frames: number;
  size: number;
  precision: 'fp32' | 'bf16';
  /** cpu (default) or cuda:N. */
  device?: string;
  threads: number;
  warmup: number;
  reps: number;
  /** Projection head: hidden width, output width (3 hidden layers, as CVRL). */
  head: [number, number];
  /** ntxent: rows per view and embedding width. */
  rows?: number;
  dim?: number;
}

function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const s = JSON.parse(process.argv[2]) as StepSpec;
const device = s.device ?? 'cpu';
setNumThreads(s.threads);
manualSeed(0);
const cast = <T>(f: () => T): T => (s.precision === 'bf16' ? autocast(f) : f());
let params = 0;
let run: () => void | Promise<void>;
if (s.mode === 'recipe') {
  const c = resolveConfig({ data: '-', format: 'folder', out: '-', precision: s.precision, threads: s.threads, device }, s.config);
  const t = buildTraining(c, 1, 100 * c.batch);
  params = t.model.parameters().reduce((a, p) => a + p.numel, 0);
  const views: Tensor[] = [0, 1].map(() => randn([c.batch, 3, c.frames, c.size, c.size], { device: t.device }));
  const o = { ...c, bf16: s.precision === 'bf16' };
  let b = 0;
  run = async () => {
    const l = await contrastiveLoss(t.model, views, o, Rng.from(b++));
    tidy(() => l.backward());
    l.dispose();
    t.opt.step();
    t.opt.zeroGrad();
  };
} else if (s.mode === 'ntxent') {
  const z = [0, 1].map(() => randn([s.rows!, s.dim!], { device }).requiresGrad_());
  run = () => tidy(() => ntXent(z, { temperature: 0.1 }).backward());
} else {
  const model = new CvrlModel(createModel(s.arch, { numClasses: 0 }), { hiddenDim: s.head[0], outDim: s.head[1], hiddenLayers: 3 }).to(device);
  params = model.parameters().reduce((a, p) => a + p.numel, 0);
  const views: Tensor[] = [0, 1].map(() => randn([s.batch, 3, s.frames, s.size, s.size], { device }));
  if (s.mode === 'infer-onnx') {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(exportOnnx(model.encoder), { intraOpNumThreads: s.threads, interOpNumThreads: 1 });
    const input = new ort.Tensor('float32', views[0].toTypedArray() as Float32Array, views[0].shape);
    run = async () => void (await session.run({ clips: input }));
  } else if (s.mode === 'infer') {
    model.eval();
    run = () => noGrad(() => tidy(() => void cast(() => model.encoder.forward(views[0])).float().sum().item()));
  } else {
    model.train();
    const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-6 });
    run = () => {
      // Both views in one autocast region, as the reference: weights are cast to bf16 once per step.
      tidy(() => ntXent(sharedAutocastCasts(() => views.map((x) => cast(() => model.forward(x)).float())), { temperature: 0.1 }).backward());
      opt.step();
      opt.zeroGrad();
    };
  }
}
for (let i = 0; i < s.warmup; i++) await run();
synchronize(device);
const ms: number[] = [];
for (let i = 0; i < s.reps; i++) {
  const t0 = performance.now();
  await run();
  synchronize(device);
  ms.push(performance.now() - t0);
}
console.log(JSON.stringify({ ms, params, peak_rss_mb: peakRssMb() }));
