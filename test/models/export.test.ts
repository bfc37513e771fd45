import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { randn, tidy, noGrad, manualSeed, Tensor } from '../../src/torch/index.js';
import { loadSafetensors } from '../../src/nn/index.js';
import { createModel, saveEncoder, loadEncoder, exportModel, section, writeCheckpoint, resolveCheckpoint, LinearClassifier } from '../../src/models/index.js';
import { FineTuneHead } from '../../src/models/heads.js';
import { saveSections } from '../../src/models/checkpoint.js';
import { tempDir, torchAvailable } from '../helpers/python.js';
import { tinyEncoder, exportTiny, maxAbsDiff } from '../helpers/onnx-models.js';
import { optionalModule } from '../helpers/optional-module.js';

const { mod: ort, skip: noOrt } = await optionalModule<typeof import('onnxruntime-node')>('onnxruntime-node');

async function runOnnx(file: string, x: Tensor): Promise<Record<string, Float32Array>> {
  const session = await ort!.InferenceSession.create(file);
  const input = new ort!.Tensor('float32', Float32Array.from(x.toTypedArray() as Float32Array), x.shape);
  const out = await session.run({ clips: input });
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

for (const arch of ['cvrl_r3d50', 'r2plus1d_18', 'mc3_18']) {
  test(`ONNX export of ${arch} runs in onnxruntime-node with outputs matching ours`, { skip: noOrt }, async (t) => {
    manualSeed(1);
    const dir = tempDir();
    const enc = tinyEncoder(arch);
    const head = new LinearClassifier(enc.featureDim, 5);
    const ck = join(dir, 'run', 'checkpoints');
    mkdirSync(ck, { recursive: true });
    const tensors = section('encoder', enc);
    section('classifier', head, tensors);
    writeCheckpoint(join(ck, 'step-00000010.safetensors'), tensors, { model: { arch, overrides: { width: 0.125 } } });
    const out = join(dir, 'm.onnx');
    exportModel({ checkpoint: join(dir, 'run'), format: 'onnx', out, withHead: true });
    const x = randn([2, 3, 8, 40, 40]);
    const ours = tidy(() => noGrad(() => {
      const f = enc.forward(x);
      return { f, l: head.forward(f) };
    }));
    const got = await runOnnx(out, x);
    const diff = (a: Float32Array, b: Tensor) => { const r = b.toTypedArray() as Float32Array; return Math.max(...Array.from(a, (v, i) => Math.abs(v - r[i]))); };
    assert.equal(got.features.length, 2 * enc.featureDim);
    assert.ok(diff(got.features, ours.f) < 1e-4, `features max abs diff ${diff(got.features, ours.f)}`);
    assert.ok(diff(got.logits, ours.l) < 1e-4, `logits max abs diff ${diff(got.logits, ours.l)}`);
    // Dynamic shapes: a different clip size runs through the same file.
    const other = await runOnnx(out, randn([1, 3, 4, 32, 48]));
    assert.equal(other.features.length, enc.featureDim);
    await t.test('onnx.checker accepts the file (opset 17)', (st) => {
      if (!torchAvailable()) return st.skip('python3 not installed');
      const r = spawnSync('/usr/bin/python3', ['-c', `import onnx, sys\nm = onnx.load(sys.argv[1])\nonnx.checker.check_model(m, full_check=True)\nprint(m.opset_import[0].version)`, out], { encoding: 'utf8' });
      if (r.status !== 0 && /No module named 'onnx'/.test(r.stderr) && !process.env.CI) return st.skip('the python onnx package is not installed');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), '17');
    });
  });
}

test("ONNX export of an encoder with input 'diff' computes the frame differences in the graph, matching our forward", { skip: noOrt }, async (t) => {
  manualSeed(4);
  const dir = tempDir();
  for (const arch of ['r3d_18', 'r2plus1d_18']) {
    const enc = tinyEncoder(arch, { input: 'diff' });
    const file = exportTiny(dir, arch, enc, { input: 'diff' }, `${arch}-diff.onnx`);
    // T = 8 (the usual case), 2 (one difference) and 1 (no difference: one zero frame).
    for (const shape of [[2, 3, 8, 40, 40], [1, 3, 2, 32, 32], [1, 3, 1, 32, 32]]) {
      const x = randn(shape);
      const ours = noGrad(() => enc.forward(x));
      const got = await runOnnx(file, x);
      const d = maxAbsDiff(got.features, ours);
      assert.ok(d < 1e-4, `${arch} [${shape.join(', ')}]: features max abs diff ${d}`);
      t.diagnostic(`${arch} [${shape.join(', ')}]: max abs diff ${d.toExponential(2)}`);
    }
    // Two different still clips have no differences: equal features (the padded frame is zero, not a copy of a frame).
    const still = () => randn([1, 3, 1, 32, 32]).expand([1, 3, 4, 32, 32]).contiguous();
    const [a, b] = [(await runOnnx(file, still())).features, (await runOnnx(file, still())).features];
    assert.ok(Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]))) < 1e-6, `${arch}: a still clip's content reached the features`);
  }
});

test('ONNX export folds the probe / fine-tuning head (L2 norm, BatchNorm without affine, fc) and matches it', { skip: noOrt }, async () => {
  manualSeed(2);
  const dir = tempDir();
  const enc = tinyEncoder('r3d_18');
  const head = new FineTuneHead(enc.featureDim, 4);
  noGrad(() => {
    head.bn.runningMean!.uniform_(-0.05, 0.05);
    head.bn.runningVar!.uniform_(0.001, 0.01);
  });
  head.eval();
  const file = join(dir, 'model.safetensors');
  saveSections(file, { encoder: enc, classifier: head }, { model: { arch: 'r3d_18', overrides: { width: 0.125 } } });
  const out = join(dir, 'm.onnx');
  exportModel({ checkpoint: file, format: 'onnx', out, withHead: true });
  const x = randn([2, 3, 8, 40, 40]);
  const ours = tidy(() => noGrad(() => head.forward(enc.forward(x))));
  const got = await runOnnx(out, x);
  const ref = ours.toTypedArray() as Float32Array;
  const maxDiff = Math.max(...Array.from(got.logits, (v, i) => Math.abs(v - ref[i])));
  const scale = Math.max(...Array.from(ref, Math.abs));
  assert.ok(scale > 1, 'the standardisation matters for these logits');
  assert.ok(maxDiff < 1e-3 * scale, `logits max abs diff ${maxDiff} (scale ${scale})`);
});

test('safetensors export keeps PyTorch keys and round-trips; checkpoints resolve from run directories', () => {
  const dir = tempDir();
  tidy(() => {
    const enc = tinyEncoder('r3d_18');
    mkdirSync(join(dir, 'checkpoints'));
    saveEncoder(join(dir, 'checkpoints', 'step-00000002.safetensors'), { arch: 'r3d_18', overrides: { width: 0.125 } }, enc);
    saveEncoder(join(dir, 'checkpoints', 'step-00000010.safetensors'), { arch: 'r3d_18', overrides: { width: 0.125 } }, enc);
    assert.match(resolveCheckpoint(dir), /step-00000010/);
    const out = join(dir, 'enc.safetensors');
    exportModel({ checkpoint: dir, format: 'safetensors', out });
    const { tensors, metadata } = loadSafetensors(out);
    assert.equal(metadata.cvrl_arch, 'r3d_18');
    assert.ok(tensors.has('stem.0.weight') && tensors.has('layer4.1.conv2.1.running_var'));
    const again = createModel('r3d_18', { width: 0.125 });
    again.loadStateDict(tensors);
    const { encoder } = loadEncoder(dir);
    const x = randn([1, 3, 4, 32, 32]);
    encoder.eval();
    assert.deepEqual(noGrad(() => encoder.forward(x)).toArray(), noGrad(() => enc.forward(x)).toArray());
    assert.throws(() => exportModel({ checkpoint: dir, format: 'onnx', out: join(dir, 'x.onnx'), withHead: true }), /needs a classifier/);
    assert.throws(() => exportModel({ checkpoint: dir, format: 'pt' as 'onnx', out }), /^Error: format must be safetensors or onnx, got 'pt'$/);
    assert.throws(() => loadEncoder(join(dir, 'missing')), /checkpoint not found/);
    writeFileSync(join(dir, 'plain.safetensors'), loadSafetensorsBytes());
    assert.throws(() => loadEncoder(join(dir, 'plain.safetensors')), /not a cvrl checkpoint/);
  });
});

function loadSafetensorsBytes(): Buffer {
  const json = '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}';
  const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(padded.length));
  return Buffer.concat([len, Buffer.from(padded), Buffer.from([1])]);
}

