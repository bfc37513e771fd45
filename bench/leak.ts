/**
 * Leak check: N iterations of a conv-net forward/backward/SGD step, resident memory sampled along
 * the way. Prints one JSON object. Usage: npm run bench:leak -- [--iters 10000] [--every 500]
 * [--yield-every 1] (0: never yield to the event loop, so N-API finalisers of dropped handles cannot run)
 * [--scope tidy|none] (none: no scope around the step, so only the modules' forwards free intermediates).
 * npm run bench:leak runs under jemalloc; `node --import tsx bench/leak.ts` measures glibc malloc.
 */
import { parseArgs } from 'node:util';
import { randn, randint, tidy, manualSeed, liveTensorCount, setNumThreads, F } from '../src/torch/index.js';
import { Sequential, Conv3d, BatchNorm3d, ReLU, MaxPool3d, AdaptiveAvgPool3d, Flatten, Linear } from '../src/nn/index.js';
import { SGD } from '../src/optim/index.js';

const { values } = parseArgs({ options: {
  iters: { type: 'string', default: '10000' }, every: { type: 'string', default: '500' }, threads: { type: 'string', default: '1' },
  // A real loop awaits its data loader every step; N-API finalisers of dropped handles only run then.
  'yield-every': { type: 'string', default: '1' },
  // tidy: the whole step in one scope; none: no caller scope, so only the modules' own forward scopes free intermediates.
  scope: { type: 'string', default: 'tidy' },
} });
if (values.scope !== 'tidy' && values.scope !== 'none') throw new Error(`--scope must be tidy or none, got '${values.scope}'`);
const iters = Number(values.iters), every = Number(values.every), yieldEvery = Number(values['yield-every']);
setNumThreads(Number(values.threads));
manualSeed(0);

const net = new Sequential(
  new Conv3d(3, 16, [3, 5, 5], { stride: [1, 2, 2], padding: [1, 2, 2], bias: false }), new BatchNorm3d(16), new ReLU(),
  new MaxPool3d([1, 3, 3], { stride: [1, 2, 2], padding: [0, 1, 1] }),
  new Conv3d(16, 32, 3, { padding: 1, bias: false }), new BatchNorm3d(32), new ReLU(),
  new AdaptiveAvgPool3d(1), new Flatten(), new Linear(32, 10),
);
const opt = new SGD(net.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
const mb = () => process.memoryUsage().rss / 2 ** 20;

const samples: { iter: number; rssMb: number; heapUsedMb: number; liveTensors: number }[] = [];
const t0 = performance.now();
for (let i = 1; i <= iters; i++) {
  const step = () => {
    const x = randn([4, 3, 8, 32, 32]);
    const y = randint(0, 10, [4]);
    const out = net.forward(x);
    const loss = F.crossEntropy(out, y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    return [x, y, out, loss];
  };
  if (values.scope === 'tidy') tidy(step);
  else step().forEach((t) => t.dispose());
  if (yieldEvery > 0 && i % yieldEvery === 0) await new Promise((r) => setImmediate(r));
  if (i % every === 0) samples.push({ iter: i, rssMb: Math.round(mb() * 10) / 10, heapUsedMb: Math.round(process.memoryUsage().heapUsed / 2 ** 17) / 8, liveTensors: liveTensorCount() });
}
const seconds = (performance.now() - t0) / 1000;
const warm = samples[Math.min(1, samples.length - 1)];
const last = samples[samples.length - 1];
console.log(JSON.stringify({
  bench: 'leak',
  allocator: (process.env.LD_PRELOAD ?? '').includes('jemalloc') ? 'jemalloc' : 'glibc',
  iterations: iters,
  yieldEvery,
  scope: values.scope,
  msPerIter: Math.round((seconds * 1000 * 100) / iters) / 100,
  rssAfterWarmupMb: warm.rssMb,
  rssEndMb: last.rssMb,
  growthAfterWarmupMb: Math.round((last.rssMb - warm.rssMb) * 10) / 10,
  liveTensorsAfterWarmup: warm.liveTensors,
  liveTensorsEnd: last.liveTensors,
  samples,
}));
