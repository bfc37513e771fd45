import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randn, tidy, noGrad, manualSeed } from '../../src/torch/index.js';
import { loadSafetensors } from '../../src/nn/index.js';
import { createModel, listModels, modelConfig } from '../../src/models/index.js';
import { frameDifferences } from '../../src/models/resnet3d.js';
import { runPython, tempDir, torchAvailable } from '../helpers/python.js';

const M = 1e6;

test('backbone parameter counts match the published CVRL figures', () => {
  const expected: [string, object, number][] = [
    ['cvrl_r3d50', {}, 31.7], ['cvrl_r3d101', {}, 59.6], ['cvrl_r3d152', {}, 82.0], ['cvrl_r3d50', { width: 2 }, 126.5],
  ];
  for (const [name, o, millions] of expected) {
    tidy(() => {
      const m = createModel(name, o);
      const n = m.encoderParameterCount() / M;
      assert.ok(Math.abs(n - millions) < 0.1, `${name} ${JSON.stringify(o)}: ${n.toFixed(3)}M, expected ${millions}M`);
      assert.equal(m.featureDim, 2048 * ((o as { width?: number }).width ?? 1));
    });
  }
});

test('cvrl_r3d50 last feature map is [B, 2048, 8, 7, 7] for 16x224x224 input (analytic), and the walk matches a real forward', () => {
  tidy(() => {
    const m = createModel('cvrl_r3d50');
    const c = m.cost(16, 224, 224);
    assert.deepEqual(c.shape, [2048, 8, 7, 7]);
    assert.ok(c.macs / 1e9 > 40 && c.macs / 1e9 < 50, `${c.macs / 1e9} GMACs`);
    const tiny = createModel('cvrl_r3d50_tiny');
    tiny.eval();
    const x = randn([2, 3, 8, 64, 64]);
    const fmap = noGrad(() => tiny.forwardFeatures(x));
    assert.deepEqual(fmap.shape, [2, ...tiny.cost(8, 64, 64).shape]);
    const feats = noGrad(() => tiny.forward(x));
    assert.deepEqual(feats.shape, [2, tiny.featureDim]);
    const pooled = fmap.mean([2, 3, 4]);
    assert.ok(pooled.sub(feats).abs().amax().item() < 1e-5, 'features are the global average of the last feature map');
  });
});

test('config options: per-block temporal kernels, temporal strides, validation messages', () => {
  tidy(() => {
    const m = createModel('r3d_18_tiny', { temporalKernels: [3, [1, 3], 1, 3], temporalStrides: [1, 1, 2, 1] });
    assert.deepEqual(m.cost(8, 32, 32).stageShapes.map((s) => s[1]), [8, 8, 4, 4]);
    const sd = m.stateDict();
    assert.deepEqual(sd.get('layer2.0.conv1.0.weight')!.shape.slice(2), [1, 3, 3]);
    assert.deepEqual(sd.get('layer2.1.conv1.0.weight')!.shape.slice(2), [3, 3, 3]);
    assert.throws(() => createModel('r3d_18', { temporalKernels: [3, 2, 3, 3] }), /odd positive integers/);
    assert.throws(() => createModel('r3d_18', { layers: [2, 2] }), /planes has 4 entries but there are 2 stages/);
    assert.throws(() => createModel('nope'), /unknown model 'nope'; available: .*cvrl_r3d50/);
    assert.throws(() => createModel('r3d_18_tiny').forward(randn([1, 1, 4, 32, 32])), /expected clips \[B, 3, T, H, W\]/);
    assert.ok(listModels().some((x) => x.name === 'cvrl_r3d50'));
    assert.equal(modelConfig('cvrl_r3d50', { width: 2 }).width, 2);
  });
});

test('torchvision video models: equal parameter counts, strict key matching and output parity', { skip: !torchAvailable() && 'python3-torch missing' }, () => {
  const dir = tempDir();
  const out = runPython(`
import json
try:
    import torchvision
except ImportError:
    print(json.dumps({'missing': True})); sys.exit(0)
res = {}
torch.manual_seed(0)
x = torch.randn(2, 3, 8, 48, 48)
for name in ['r3d_18', 'mc3_18', 'r2plus1d_18']:
    m = getattr(torchvision.models.video, name)(num_classes=7)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm3d):
                mod.running_mean.uniform_(-0.1, 0.1); mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5); mod.bias.uniform_(-0.1, 0.1)
    m.eval()
    with torch.no_grad():
        y = m(x)
    sd = dict(m.state_dict()); sd['__x'] = x; sd['__y'] = y
    st_ref.save(sd, os.path.join(DIR, name + '.safetensors'))
    res[name] = sum(p.numel() for p in m.parameters())
print(json.dumps(res))
`, dir);
  const counts = JSON.parse(out) as Record<string, number> & { missing?: boolean };
  if (counts.missing) {
    if (process.env.CI) assert.fail('python3-torchvision is missing: scripts/setup.sh should install it');
    return;
  }
  for (const name of ['r3d_18', 'mc3_18', 'r2plus1d_18']) {
    tidy(() => {
      const m = createModel(name, { numClasses: 7 });
      assert.equal(m.numParameters(), counts[name], `${name} parameter count`);
      const { tensors } = loadSafetensors(join(dir, `${name}.safetensors`));
      const x = tensors.get('__x')!, y = tensors.get('__y')!;
      tensors.delete('__x');
      tensors.delete('__y');
      m.loadStateDict(tensors); // strict
      m.eval();
      const ours = noGrad(() => m.classify(x));
      const diff = ours.sub(y).abs().amax().item();
      assert.ok(diff < 1e-4, `${name}: max abs difference ${diff}`);
    });
  }
});

test("input 'diff': frame differences as the stem input; a still clip's content does not reach the features", () => {
  manualSeed(3);
  tidy(() => {
    const x = randn([2, 3, 4, 6, 6], { dtype: 'float64' });
    const d = frameDifferences(x);
    assert.deepEqual(d.shape, x.shape);
    const want = x.select(2, 2).sub(x.select(2, 1));
    assert.ok(d.select(2, 1).sub(want).abs().amax().item() < 1e-12);
    assert.equal(d.select(2, 3).abs().amax().item(), 0);
    const m = createModel('r3d_18_tiny', { input: 'diff' });
    m.eval();
    noGrad(() => {
      // Two different still clips: both have zero differences, so the features are equal.
      const still = (seed: number) => { manualSeed(seed); return randn([1, 3, 1, 32, 32]).expand([1, 3, 4, 32, 32]).contiguous(); };
      const a = m.forward(still(1)), b = m.forward(still(2));
      assert.ok(a.sub(b).abs().amax().item() < 1e-6);
      // A moving clip differs from a still one.
      assert.ok(m.forward(randn([1, 3, 4, 32, 32])).sub(a).abs().amax().item() > 1e-3);
    });
    assert.throws(() => createModel('r3d_18_tiny', { input: 'flow' as 'diff' }), /input must be one of rgb, diff, aligned-diff/);
  });
});
