// F.roiAlign: torchvision.ops.roi_align as the reference (forward and input gradient), a closed-form
// case on a linear ramp, finite-difference gradients, and argument checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { F, Tensor, tensor, fromTypedArray, randn, manualSeed, tidy, zeros } from '../../src/torch/index.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { runPython, tempDir } from '../helpers/python.js';

const hasTorchvision = spawnSync('/usr/bin/python3', ['-c', 'import torchvision'], { encoding: 'utf8' }).status === 0;

const BOXES = [
  [0, 1.3, 2.2, 7.9, 8.4],
  [1, -3.5, -2.0, 4.1, 5.5], // partly outside (top left)
  [1, 6.0, 4.0, 15.0, 13.0], // partly outside (bottom right)
  [0, 20.0, 1.0, 24.0, 3.0], // entirely outside
  [1, 2.0, 2.0, 2.4, 2.3], // smaller than a pixel
  [0, 0.0, 0.0, 11.0, 9.0], // the whole image
];

function flat(t: Tensor): number[] { return Array.from(t.contiguous().toTypedArray() as Float32Array | Float64Array); }

test('roiAlign matches torchvision.ops.roi_align forward and input gradient (float32 and float64)', { skip: !hasTorchvision && 'python3-torchvision missing' }, () => {
  manualSeed(3);
  const configs = [
    { aligned: true, samplingRatio: 2, spatialScale: 1, size: [3, 4] },
    { aligned: false, samplingRatio: 2, spatialScale: 1, size: [3, 4] },
    { aligned: true, samplingRatio: -1, spatialScale: 0.5, size: [2, 2] },
    { aligned: false, samplingRatio: 0, spatialScale: 1, size: [5, 3] },
    { aligned: true, samplingRatio: 1, spatialScale: 1.25, size: [7, 7] },
    { aligned: true, samplingRatio: -1, spatialScale: 0.75, size: [7, 7], dtype: 'float64' as const },
    { aligned: false, samplingRatio: 3, spatialScale: 1, size: [2, 3], dtype: 'float64' as const },
  ];
  const cases = tidy(() => configs.map((c) => {
    const dtype = c.dtype ?? 'float32';
    const x = randn([2, 3, 9, 11], { dtype }).requiresGrad_(true);
    const boxes = tensor(BOXES.flat(), { dtype }).reshape([BOXES.length, 5]);
    const y = F.roiAlign(x, boxes, c.size, c);
    const w = randn(y.shape, { dtype });
    y.mul(w).sum().backward();
    return { ...c, dtype, x: flat(x), xShape: x.shape, w: flat(w), y: flat(y), yShape: y.shape, g: flat(x.grad!) };
  }));
  const out = runPython(`
import json, torchvision
cases = json.load(open(os.path.join(DIR, 'cases.json')))
res = []
for c in cases:
    dt = getattr(torch, c['dtype'])
    boxes = torch.tensor(${JSON.stringify(BOXES)}, dtype=dt)
    x = torch.tensor(c['x'], dtype=dt).reshape(c['xShape']).requires_grad_(True)
    y = torchvision.ops.roi_align(x, boxes, c['size'], c['spatialScale'], c['samplingRatio'], c['aligned'])
    (y * torch.tensor(c['w'], dtype=dt).reshape(y.shape)).sum().backward()
    res.append({'shape': list(y.shape), 'dy': (y.detach().flatten() - torch.tensor(c['y'], dtype=dt)).abs().max().item(),
                'dg': (x.grad.flatten() - torch.tensor(c['g'], dtype=dt)).abs().max().item()})
print(json.dumps(res))
`, writeCases(cases));
  const res = JSON.parse(out) as { shape: number[]; dy: number; dg: number }[];
  res.forEach((r, i) => {
    assert.deepEqual(r.shape, cases[i].yShape, `config ${i} shape`);
    const tol = configs[i].dtype === 'float64' ? 1e-12 : 1e-5;
    assert.ok(r.dy < tol, `config ${i} (${JSON.stringify(configs[i])}): forward differs by ${r.dy}`);
    assert.ok(r.dg < tol, `config ${i} (${JSON.stringify(configs[i])}): gradient differs by ${r.dg}`);
  });
  const worst = (f64: boolean, k: 'dy' | 'dg') => Math.max(...res.filter((_, i) => (configs[i].dtype === 'float64') === f64).map((r) => r[k]));
  console.log(`roiAlign vs torchvision max abs diff: float32 forward ${worst(false, 'dy')}, grad ${worst(false, 'dg')}; float64 forward ${worst(true, 'dy')}, grad ${worst(true, 'dg')}`);
});

/** Writes the cases for the Python side; returns the directory. */
function writeCases(cases: unknown): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'cases.json'), JSON.stringify(cases));
  return dir;
}

test('roiAlign on a linear ramp gives the bin centres (closed form)', () => {
  tidy(() => {
    // Channel 0 holds the column index, channel 1 the row index: bilinear sampling of a linear
    // function is exact, so each bin's average is the ramp at the bin centre.
    const H = 12, W = 16;
    const data = new Float32Array(2 * H * W);
    for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) { data[i * W + j] = j; data[H * W + i * W + j] = i; }
    const x = fromTypedArray(data, [1, 2, H, W]);
    const boxes = tensor([0, 2, 3, 10, 11, 0, 30, 30, 40, 40], { dtype: 'float32' }).reshape([2, 5]);
    const y = F.roiAlign(x, boxes, [2, 4], { aligned: true, samplingRatio: 2 });
    assert.deepEqual(y.shape, [2, 2, 2, 4]);
    const v = flat(y);
    // aligned: x from 1.5 to 9.5 in 4 bins of 2 -> centres 2.5, 4.5, 6.5, 8.5; y from 2.5 to 10.5 in 2 bins -> 4.5, 8.5.
    for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) {
      assert.ok(Math.abs(v[i * 4 + j] - (2.5 + 2 * j)) < 1e-5, `x ramp bin ${i},${j}: ${v[i * 4 + j]}`);
      assert.ok(Math.abs(v[8 + i * 4 + j] - (4.5 + 4 * i)) < 1e-5, `y ramp bin ${i},${j}: ${v[8 + i * 4 + j]}`);
    }
    assert.deepEqual(v.slice(16), Array(16).fill(0), 'a box outside the image pools zeros');
    // Not aligned: the same box spans 2..10 -> x centres 3, 5, 7, 9.
    const u = flat(F.roiAlign(x, boxes.narrow(0, 0, 1), [1, 4], { samplingRatio: 2 }));
    assert.deepEqual(u.slice(0, 4).map((a) => Math.round(a * 1e4) / 1e4), [3, 5, 7, 9]);
    // Samples in [-1, 0] clamp to column 0: a box from x=-1 to 0 (aligned) pools 0 from the x ramp, not zero padding's fade.
    const c = flat(F.roiAlign(x.add(1), tensor([[0, -0.5, 4, 0.5, 5]]), 1, { aligned: true, samplingRatio: 2 }));
    assert.ok(Math.abs(c[0] - 1) < 1e-6, `clamped to the border: ${c[0]}`);
  });
});

test('roiAlign gradients match finite differences (float64)', () => {
  manualSeed(11);
  for (const o of [{ aligned: true, samplingRatio: 2 }, { aligned: false, samplingRatio: -1, spatialScale: 0.5 }]) {
    const boxes = tensor([[0, 0.3, 0.7, 4.2, 5.1], [1, -1.5, 2, 3, 8], [0, 3.3, 1.1, 9.9, 4.4]], { dtype: 'float64' });
    const worst = gradcheck((x) => F.roiAlign(x, boxes, [3, 2], o), [randn([2, 2, 6, 7], { dtype: 'float64' })], { maxElements: 84 });
    console.log(`roiAlign gradcheck ${JSON.stringify(o)}: worst abs error ${worst}`);
    boxes.dispose();
  }
});

test('roiAlign rejects malformed arguments, naming them', () => {
  tidy(() => {
    const x = zeros([2, 3, 8, 8]);
    const b = tensor([[0, 1, 1, 4, 4]]);
    assert.throws(() => F.roiAlign(zeros([3, 8, 8]), b, 2), (e: Error) => e instanceof RangeError && /input must be \[N, C, H, W\]/.test(e.message));
    assert.throws(() => F.roiAlign(x, tensor([[1, 1, 4, 4]]), 2), (e: Error) => e instanceof RangeError && /boxes must be \[K, 5\]/.test(e.message));
    assert.throws(() => F.roiAlign(x, b, [0, 2]), (e: Error) => e instanceof RangeError && /outputSize/.test(e.message));
    assert.throws(() => F.roiAlign(x, b, [2, 2, 2]), /outputSize/);
    assert.throws(() => F.roiAlign(x, b, 2, { spatialScale: 0 }), /spatialScale/);
    assert.throws(() => F.roiAlign(x, b, 2, { samplingRatio: 1.5 }), /samplingRatio/);
    assert.throws(() => F.roiAlign(x, tensor([[2, 1, 1, 4, 4]]), 2), /boxes\[0\] has batch index 2/);
    assert.throws(() => F.roiAlign(x, tensor([[0, 1, 1, 4, 4], [0.5, 1, 1, 4, 4]]), 2), /boxes\[1\] has batch index/);
    assert.deepEqual(F.roiAlign(x, zeros([0, 5]), [2, 3]).shape, [0, 3, 2, 3], 'no boxes give an empty result');
  });
});
