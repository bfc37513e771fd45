// Plain PyTorch state dicts (torchvision's video ResNets, saved by Python with no cvrl metadata) load
// into our encoders, and the features equal torchvision's own forward pass without its classifier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { noGrad, tidy } from '../../src/torch/index.js';
import { loadSafetensors } from '../../src/nn/index.js';
import { createModel, exportModel, saveEncoder } from '../../src/models/index.js';
import { loadPlainWeights } from '../../src/models/plain-weights.js';
import { openEncoder } from '../../src/jobs/encoder-source.js';
import { embedVideo } from '../../src/eval/embed-video.js';
import { makeVideo } from '../helpers/videos.js';
import { runPython, tempDir } from '../helpers/python.js';

const hasTorchvision = spawnSync('/usr/bin/python3', ['-c', 'import torchvision'], { encoding: 'utf8' }).status === 0;

// Random torchvision weights with non-trivial BatchNorm statistics (so that eval mode matters),
// saved the way a PyTorch user would: with the safetensors package when installed, else by hand.
const MAKE = `
import torchvision
try:
    from safetensors.torch import save_file
except ImportError:
    save_file = lambda sd, path: st_ref.save(sd, path)
torch.manual_seed(0)
x = torch.randn(2, 3, 8, 40, 40)
feats = {'x': x}
for name in ['r3d_18', 'mc3_18', 'r2plus1d_18']:
    m = getattr(torchvision.models.video, name)()
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm3d):
                mod.running_mean.uniform_(-0.1, 0.1); mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5); mod.bias.uniform_(-0.1, 0.1)
    sd = {k: v.clone() for k, v in m.state_dict().items()}
    if name == 'mc3_18':  # as saved from DataParallel, by an exporter that drops BatchNorm's step counters
        sd = {'module.' + k: v for k, v in sd.items() if not k.endswith('num_batches_tracked')}
    save_file(sd, os.path.join(DIR, name + '.safetensors'))
    m.fc = torch.nn.Identity()
    m.eval()
    with torch.no_grad():
        feats[name] = m(x)
st_ref.save(feats, os.path.join(DIR, 'features.safetensors'))
`;

test('torchvision r3d_18 / mc3_18 / r2plus1d_18 state dicts: features match torchvision in eval mode', async (t) => {
  if (!hasTorchvision) return t.skip('python3-torch / python3-torchvision not installed');
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true })); // about 400 MB of weights
  runPython(MAKE, dir);
  const ref = loadSafetensors(join(dir, 'features.safetensors')).tensors;
  const x = ref.get('x')!;
  for (const arch of ['r3d_18', 'mc3_18', 'r2plus1d_18']) {
    const { encoder, spec, dropped } = loadPlainWeights(join(dir, `${arch}.safetensors`), { arch });
    assert.equal(spec.arch, arch);
    assert.deepEqual(dropped.map((k) => k.replace(/^module\./, '')).sort(), ['fc.bias', 'fc.weight'], `${arch}: the classifier is dropped`);
    encoder.eval();
    tidy(() => {
      const ours = noGrad(() => encoder.forward(x));
      const theirs = ref.get(arch)!;
      assert.deepEqual(ours.shape, [2, 512]);
      const diff = ours.sub(theirs).abs().amax().item() as number;
      const scale = theirs.abs().amax().item() as number;
      assert.ok(diff < 1e-4 * Math.max(1, scale), `${arch}: max abs difference ${diff} (scale ${scale})`);
    });
  }
  // Through the evaluation commands' encoder source, as --weights FILE --arch NAME.
  const src = openEncoder({ weights: join(dir, 'r3d_18.safetensors'), arch: 'r3d_18' });
  assert.equal(src.weights, join(dir, 'r3d_18.safetensors'));
  assert.equal(src.checkpoint, null);
  assert.equal(src.randomInit, false);
  // `cvrl export` of those weights records the architecture, so the exported file needs no arch.
  const exported = join(dir, 'exported.safetensors');
  exportModel({ weights: join(dir, 'r2plus1d_18.safetensors'), arch: 'r2plus1d_18', format: 'safetensors', out: exported });
  const again = loadPlainWeights(exported);
  assert.equal(again.spec.arch, 'r2plus1d_18');
  again.encoder.eval();
  tidy(() => {
    const diff = noGrad(() => again.encoder.forward(x)).sub(ref.get('r2plus1d_18')!).abs().amax().item() as number;
    assert.ok(diff < 1e-4, `exported r2plus1d_18: max abs difference ${diff}`);
  });
  assert.throws(() => exportModel({ weights: exported, format: 'onnx', out: join(dir, 'x.onnx'), withHead: true }), /withHead needs a cvrl checkpoint/);
  // The command line passes --weights and --arch through: cvrl embed FILE with torchvision's weights.
  const video = await makeVideo(dir, 'v.mp4', { frames: 20 });
  const clip = { frames: 8, stride: 2, size: 32, temporalViews: 1, spatialViews: 1 as const };
  const cli = spawnSync(process.execPath, ['bin/cvrl.js', 'embed', video, '--weights', join(dir, 'r3d_18.safetensors'), '--arch', 'r3d_18',
    '--frames', '8', '--stride', '2', '--size', '32', '--temporal-views', '1', '--spatial-views', '1', '--threads', '1', '--quiet'], { encoding: 'utf8', env: { ...process.env, CVRL_NO_JEMALLOC: '1' } });
  assert.equal(cli.status, 0, cli.stderr);
  const row = JSON.parse(cli.stdout) as { features: number[] };
  const want = await embedVideo(video, src.encoder, clip);
  const cliDiff = row.features.reduce((m, x, i) => Math.max(m, Math.abs(x - want.features[i])), 0);
  assert.ok(cliDiff < 1e-5, `cvrl embed --weights differs from the library by ${cliDiff}`);
});

test('plain weights: wrong architecture, cvrl checkpoints, missing arch and contradictory options are errors naming them', (t) => {
  if (!hasTorchvision) return t.skip('python3-torch / python3-torchvision not installed');
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  runPython(`
import torchvision
st_ref.save(dict(torchvision.models.video.r3d_18().state_dict()), os.path.join(DIR, 'r3d.safetensors'))
`, dir);
  const file = join(dir, 'r3d.safetensors');
  assert.throws(() => loadPlainWeights(file, { arch: 'r2plus1d_18' }), /r3d\.safetensors does not hold r2plus1d_18 weights: \d+ missing key\(s\) \[.*\], \d+ unexpected key\(s\)/);
  assert.throws(() => loadPlainWeights(file, { arch: 'r3d_18', width: 0.5 }), /\(as r3d_18\): loadStateDict: shape mismatch for 'stem\.0\.weight'/);
  assert.throws(() => loadPlainWeights(file), /does not record its architecture: pass arch \(torchvision: r3d_18, mc3_18, r2plus1d_18/);
  assert.throws(() => loadPlainWeights(file, { arch: 'r4d' }), /arch: unknown model 'r4d'/);
  assert.throws(() => loadPlainWeights(join(dir, 'nope.safetensors'), { arch: 'r3d_18' }), /weights file not found: .*nope\.safetensors/);
  const ckpt = join(dir, 'ckpt.safetensors');
  saveEncoder(ckpt, { arch: 'r3d_18_tiny', overrides: {} }, createModel('r3d_18_tiny'));
  assert.throws(() => loadPlainWeights(ckpt, { arch: 'r3d_18_tiny' }), /ckpt\.safetensors is a cvrl checkpoint: pass it as checkpoint, not weights/);
  assert.throws(() => openEncoder({ weights: file, checkpoint: ckpt }), /pass either checkpoint .* or weights .*, not both/);
  assert.throws(() => openEncoder({ weights: file, arch: 'r3d_18', randomInit: true }), /weights and randomInit contradict/);
});
