import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  zeros, ones, full, arange, randn, rand, randint, tensor, fromTypedArray, linspace, eye, cat, stack, stackCopies, scalar,
  tidy, keep, noGrad, isGradEnabled, manualSeed, getRngState, setRngState, setNumThreads, getNumThreads, info,
  liveTensorCount, disposeAll, DTYPES, Tensor, F,
} from '../../src/torch/index.js';
import { noBf16Convolutions } from '../helpers/bf16.js';

test('creation, dtypes and shapes', () => {
  tidy(() => {
    assert.deepEqual(zeros([2, 3]).shape, [2, 3]);
    assert.equal(zeros([2]).dtype, 'float32');
    assert.deepEqual(ones([2], { dtype: 'int64' }).toArray(), [1, 1]);
    assert.deepEqual(full([3], 2.5).toArray(), [2.5, 2.5, 2.5]);
    assert.equal(arange(5).dtype, 'int64');
    assert.deepEqual(arange(1, 2, 0.25).toArray(), [1, 1.25, 1.5, 1.75]);
    assert.deepEqual(linspace(0, 1, 3).toArray(), [0, 0.5, 1]);
    assert.deepEqual(eye(2).toArray(), [1, 0, 0, 1]);
    assert.deepEqual(tensor([[1, 2], [3, 4]]).shape, [2, 2]);
    assert.equal(scalar(3).ndim, 0);
    for (const d of DTYPES) {
      const t = arange(4).to(d);
      assert.equal(t.dtype, d);
      assert.deepEqual(t.toArray(), d === 'bool' ? [0, 1, 1, 1] : [0, 1, 2, 3], d);
    }
    const r = randint(0, 5, [1000]);
    assert.equal(r.dtype, 'int64');
    assert.ok(r.amin().item() >= 0 && r.amax().item() <= 4);
    const u = rand([10000]);
    assert.ok(Math.abs(u.mean().item() - 0.5) < 0.02);
    assert.throws(() => tensor([[1, 2], [3]]), /ragged/);
  });
});

test('typed array transfer: one copy in, zero copy out, errors on size mismatch', () => {
  tidy(() => {
    const src = new Float32Array([1, 2, 3, 4, 5, 6]);
    const t = fromTypedArray(src, [2, 3]);
    src[0] = 100;
    assert.equal(t.toArray()[0], 1, 'the tensor owns a copy');
    const view = t.toTypedArray() as Float32Array;
    view[1] = 42;
    assert.equal(t.toArray()[1], 42, 'toTypedArray aliases a contiguous tensor');
    t.dispose();
    assert.equal(view[1], 42, 'the view stays valid after dispose');
    assert.equal(fromTypedArray(new BigInt64Array([1n, -2n])).dtype, 'int64');
    assert.throws(() => fromTypedArray(new Float32Array(5), [2, 3]), /buffer has 20 bytes but shape and dtype need 24/);
    assert.throws(() => fromTypedArray(new Uint16Array(2)), /pass \{ dtype \}/);
    const h = fromTypedArray(new Uint16Array([0x3c00, 0x4000]), [2], { dtype: 'float16' });
    assert.deepEqual(h.toArray(), [1, 2]);
    const nc = arange(6).reshape([2, 3]).transpose(0, 1);
    assert.ok(!nc.isContiguous());
    assert.deepEqual(nc.toArray(), [0, 3, 1, 4, 2, 5]);
  });
});

test('math, reductions and shape ops agree with hand-computed values', () => {
  tidy(() => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(a.sum(1).toArray(), [6, 15]);
    assert.deepEqual(a.mean(0).toArray(), [2.5, 3.5, 4.5]);
    assert.deepEqual(a.matmul(a.t()).toArray(), [14, 32, 32, 77]);
    assert.deepEqual(a.maxDim(1).indices.toArray(), [2, 2]);
    assert.deepEqual(a.permute([1, 0]).contiguous().toArray(), [1, 4, 2, 5, 3, 6]);
    assert.deepEqual(a.slice(1, 0, 3, 2).toArray(), [1, 3, 4, 6]);
    assert.deepEqual(a.flip(1).toArray(), [3, 2, 1, 6, 5, 4]);
    assert.deepEqual(cat([a, a], 0).shape, [4, 3]);
    assert.deepEqual(stack([a, a], 2).shape, [2, 3, 2]);
    assert.deepEqual(a.add(1).mul(2).sub(a).toArray(), [3, 4, 5, 6, 7, 8]);
    assert.deepEqual(a.unsqueeze(0).expand([2, 2, 3]).shape, [2, 2, 3]);
    assert.deepEqual(a.topk(2, 1).values.toArray(), [3, 2, 6, 5]);
    assert.equal(a.gt(3).sum().item(), 3);
    assert.deepEqual(F.softmax(tensor([0, 0]), 0).toArray(), [0.5, 0.5]);
    assert.ok(Math.abs(F.crossEntropy(tensor([[0, 0]]), tensor([1], { dtype: 'int64' })).item() - Math.log(2)) < 1e-6);
    assert.deepEqual(F.normalize(tensor([[3, 4]])).toArray().map((x) => Math.round(x * 1e6) / 1e6), [0.6, 0.8]);
    assert.deepEqual(F.interpolate(tensor([[[1, 2]]]), [4], 'nearest').toArray(), [1, 1, 2, 2]);
  });
});

test('libtorch errors surface as JS errors with the message, never a crash', () => {
  tidy(() => {
    assert.throws(() => tensor([1, 2]).matmul(tensor([1, 2, 3])), /size mismatch|inconsistent|cannot be multiplied|same size/i);
    assert.throws(() => zeros([2, 3]).reshape([4]), /invalid for input of size 6/);
    assert.throws(() => F.conv3d(zeros([1, 1, 3, 4, 4]), zeros([2, 3, 1, 1, 1])), /expected input\[1, 1, 3, 4, 4\] to have 3 channels/);
    assert.throws(() => zeros([2]).to('nope' as 'float32'), /device|Invalid|Expected/i);
    assert.throws(() => F.interpolate(zeros([1, 1, 4, 4]), [2], 'bilinear'), /size has 1 entries for 2 spatial dims/);
    assert.throws(() => zeros([2]).item(), /one-element/);
    assert.throws(() => F.dropout(zeros([2]), 1.5), /\[0, 1\]/);
  });
});

test('tidy frees everything but the result; keep and dispose are deterministic', () => {
  const base = liveTensorCount();
  const kept = tidy(() => {
    const a = randn([100, 100]);
    const b = a.mul(2).add(1);
    const c = keep(randn([3]));
    tidy(() => b.sum());
    return { b, nested: [c] };
  });
  assert.equal(liveTensorCount(), base + 2, 'only the returned and the kept tensor survive');
  assert.ok(!kept.b.isDisposed);
  disposeAll(kept);
  assert.equal(liveTensorCount(), base);
  assert.throws(() => kept.b.shape, /used after dispose/);
  kept.b.dispose();
  assert.throws(() => tidy(() => { randn([2]); throw new Error('boom'); }), /boom/);
  assert.equal(liveTensorCount(), base, 'tensors are freed when the body throws');
  assert.throws(() => tidy((async () => randn([1])) as unknown as () => Tensor), /async/);
  assert.equal(liveTensorCount(), base);
});

test('a training-style loop keeps the live tensor count flat', () => {
  tidy(() => {
    const w = randn([16, 16]).requiresGrad_().keep();
    const base = liveTensorCount();
    for (let i = 0; i < 200; i++) {
      tidy(() => {
        const loss = randn([8, 16]).matmul(w).relu().sum();
        loss.backward();
        noGrad(() => w.sub_(w.grad!, 1e-4));
        w.grad = null;
        return loss.item();
      });
    }
    assert.equal(liveTensorCount(), base);
    w.dispose();
  });
});

test('autograd: grads accumulate, noGrad stops recording, grad mode restores after errors', () => {
  tidy(() => {
    const x = tensor([1, 2, 3]).requiresGrad_();
    x.mul(x).sum().backward();
    x.mul(2).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [4, 6, 8]);
    const y = noGrad(() => x.mul(2));
    assert.equal(y.requiresGrad, false);
    assert.throws(() => noGrad(() => { throw new Error('inside'); }), /inside/);
    assert.equal(isGradEnabled(), true);
    assert.ok(x.isLeaf && !x.mul(1).isLeaf);
    assert.throws(() => tensor([1, 2]).sum().backward(), /does not require grad/);
  });
});

test('seeds and RNG state make draws reproducible; threads can be set', () => {
  tidy(() => {
    manualSeed(11);
    const a = randn([5]).toArray();
    manualSeed(11);
    assert.deepEqual(randn([5]).toArray(), a);
    const state = getRngState();
    const b = rand([4]).toArray();
    setRngState(state);
    assert.deepEqual(rand([4]).toArray(), b);
    const prev = getNumThreads();
    setNumThreads(2);
    assert.equal(getNumThreads(), 2);
    setNumThreads(prev);
    assert.throws(() => setNumThreads(0), /positive integer/);
    assert.throws(() => manualSeed(-1), /non-negative/);
    const i = info();
    assert.match(i.libtorchVersion, /^\d+\.\d+/);
    assert.equal(typeof i.cudaAvailable, 'boolean');
  });
});

test('tensors dropped without dispose are freed by their finalisers', async (t) => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return t.skip('needs node --expose-gc (scripts/run-tests.mjs passes it)');
  const base = liveTensorCount();
  (() => {
    for (let i = 0; i < 50; i++) randn([64, 64]).mul(2);
  })();
  assert.ok(liveTensorCount() >= base + 100);
  for (let i = 0; i < 10 && liveTensorCount() > base; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(liveTensorCount(), base);
});

test('autocast runs convolutions and matmuls in bfloat16 and restores float32 afterwards', { skip: noBf16Convolutions }, async () => {
  const { autocast } = await import('../../src/torch/index.js');
  tidy(() => {
    const x = randn([1, 2, 4, 8, 8]), w = randn([3, 2, 3, 3, 3]);
    const y = autocast(() => F.conv3d(x, w));
    assert.equal(y.dtype, 'bfloat16');
    assert.ok(y.float().sub(F.conv3d(x, w)).abs().amax().item() < 0.5, 'bfloat16 result close to float32');
    assert.equal(F.conv3d(x, w).dtype, 'float32');
    assert.equal(autocast(() => randn([4, 4]).matmul(randn([4, 4]))).dtype, 'bfloat16');
  });
});

test('sharedAutocastCasts: autocast calls inside it cast a weight once; the cast is dropped when it ends', async () => {
  const { autocast, withoutAutocast, sharedAutocastCasts, noGrad } = await import('../../src/torch/autograd.js');
  tidy(() => {
    const w = randn([4, 4]).requiresGrad_(); // a leaf needing grad: the casts autocast caches
    const x = randn([2, 4]);
    const [a, b] = sharedAutocastCasts(() => {
      const first = autocast(() => x.matmul(w)).float();
      noGrad(() => w.mul_(2));
      withoutAutocast(() => undefined); // a region inside does not drop the cache either
      return [first, autocast(() => x.matmul(w)).float()];
    });
    assert.deepEqual(b.toArray(), a.toArray(), 'the second forward reused the first cast');
    const after = autocast(() => x.matmul(w)).float();
    assert.ok(after.sub(a.mul(2)).abs().amax().item() < 1e-6 * (1 + a.abs().amax().item()), 'cast afresh once the region ended');
    noGrad(() => w.mul_(2));
    const separate = autocast(() => x.matmul(w)).float();
    assert.ok(separate.sub(after.mul(2)).abs().amax().item() < 1e-6 * (1 + after.abs().amax().item()), 'separate autocast calls cast anew');
  });
});

test('stackCopies equals stack along dim 0 (any dtype, non-contiguous inputs) and names a mismatched tensor', () => {
  for (const dtype of ['float32', 'uint8', 'int64', 'bfloat16'] as const) {
    const parts = [0, 1, 2].map((k) => randn([2, 3, 4]).mul(10).add(k).permute([2, 0, 1]).to(dtype));
    assert.ok(!parts[0].isContiguous());
    const ours = stackCopies(parts), ref = stack(parts, 0);
    assert.deepEqual(ours.shape, [3, 4, 2, 3]);
    assert.equal(ours.dtype, dtype);
    assert.deepEqual(ours.toArray(), ref.toArray());
  }
  assert.throws(() => stackCopies([zeros([2, 3]), zeros([3, 2])]), /stackSerial: tensor 1 is .*\[3, 2\], tensor 0 .*\[2, 3\]/);
  assert.throws(() => stackCopies([zeros([2]), zeros([2], { dtype: 'int64' })]), /stackSerial: tensor 1/);
  assert.throws(() => stackCopies([]), /no tensors/);
});
