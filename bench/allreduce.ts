// All-reduce (SUM) throughput between local ranks over Gloo, as the trainer uses it on gradients.
// Run: node --import tsx bench/allreduce.ts [megafloats...]  (starts 2 ranks itself; prints JSON from rank 0)
import { initDistributed } from '../src/train/distributed.js';
import { launchLocal } from '../src/train/launch.js';
import { full } from '../src/torch/index.js';

if (process.env.WORLD_SIZE === undefined) {
  const r = await launchLocal({ nproc: Number(process.env.NPROC ?? 2), args: [process.argv[1], ...process.argv.slice(2)] });
  process.exit(r.exitCode);
}
const ctx = await initDistributed();
const g = ctx.group!;
const sizes = process.argv.slice(2).map(Number);
const results = [];
for (const mf of sizes.length ? sizes : [1, 8, 33]) {
  // Split into 60 tensors like a network's parameters, so bucketing is exercised.
  const n = Math.round(mf * 1e6);
  const ts = Array.from({ length: 60 }, () => full([Math.ceil(n / 60)], 1));
  await g.allReduce(ts); // warm-up
  const reps = 3;
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await g.allReduce(ts);
  const ms = (performance.now() - t0) / reps;
  results.push({ megafloats: mf, ms: Math.round(ms), gbPerS: Number(((n * 4) / (ms / 1000) / 1e9).toFixed(2)) });
  ts.forEach((t) => t.dispose());
}
await g.barrier();
g.destroy();
if (ctx.rank === 0) console.log(JSON.stringify({ worldSize: ctx.worldSize, results }));
