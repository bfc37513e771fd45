// The exported ONNX encoder runs in onnxruntime-web's WebAssembly backend (what a browser would use),
// here inside Node and offline: the .wasm binary is read from the installed package, never fetched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { randn, noGrad, manualSeed } from '../../src/torch/index.js';
import { tempDir } from '../helpers/python.js';
import { tinyEncoder, exportTiny, maxAbsDiff } from '../helpers/onnx-models.js';
import { optionalModule } from '../helpers/optional-module.js';

const { mod: ort, skip: noOrt } = await optionalModule<typeof import('onnxruntime-web')>('onnxruntime-web');
if (ort) {
  // One thread: deterministic, and the test machine's cores stay free; no proxy worker.
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = `${dirname(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'))}/`;
}

for (const input of ['rgb', 'diff', 'aligned-diff'] as const) {
  test(`the exported encoder (input '${input}') runs in onnxruntime-web's wasm backend with features matching ours within 1e-4`, { skip: noOrt }, async (t) => {
    manualSeed({ rgb: 5, diff: 6, 'aligned-diff': 7 }[input]);
    const dir = tempDir();
    const enc = tinyEncoder('r3d_18', { input });
    const file = exportTiny(dir, 'r3d_18', enc, { input }, `${input}.onnx`);
    const session = await ort!.InferenceSession.create(readFileSync(file), { executionProviders: ['wasm'] });
    try {
      assert.deepEqual(session.inputNames, ['clips']);
      assert.deepEqual(session.outputNames, ['features']);
      for (const shape of [[2, 3, 8, 40, 40], [1, 3, 4, 32, 48]]) {
        const x = randn(shape);
        const ours = noGrad(() => enc.forward(x));
        const out = await session.run({ clips: new ort!.Tensor('float32', Float32Array.from(x.toTypedArray() as Float32Array), shape) });
        const f = out.features;
        assert.deepEqual(f.dims, [shape[0], enc.featureDim]);
        const d = maxAbsDiff(f.data as Float32Array, ours);
        t.diagnostic(`[${shape.join(', ')}]: max abs diff ${d.toExponential(2)}`);
        assert.ok(d < 1e-4, `[${shape.join(', ')}]: features max abs diff ${d}`);
        // The comparison means something: features are not all (near) zero.
        assert.ok(ours.abs().amax().item() > 0.05);
      }
    } finally {
      await session.release();
    }
  });
}
