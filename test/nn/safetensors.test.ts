import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, existsSync, readdirSync, chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tensor, arange, randn, tidy, DTYPES, type DType, Tensor } from '../../src/torch/index.js';
import { saveSafetensors, loadSafetensors, serializeSafetensors, readSafetensorsHeader } from '../../src/nn/index.js';
import { runPython, tempDir, torchAvailable } from '../helpers/python.js';

function header(obj: unknown, pad = true): Buffer {
  let json = JSON.stringify(obj);
  if (pad) json += ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, Buffer.from(json)]);
}

test('serialisation matches the format byte for byte (hand-built fixture)', () => {
  tidy(() => {
    const bytes = serializeSafetensors(new Map([
      ['b', tensor([1, 2], { dtype: 'float32' })],
      ['a', tensor([7], { dtype: 'int64' })],
      ['c', tensor([3], { dtype: 'uint8' })],
    ]), { format: 'pt' });
    // Order: I64 before F32 before U8 (dtype enum descending), names ascending within a dtype.
    const json = '{"__metadata__":{"format":"pt"},"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},' +
      '"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},"c":{"dtype":"U8","shape":[1],"data_offsets":[16,17]}}';
    const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
    const expected = Buffer.concat([
      Buffer.from([padded.length, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from(padded),
      Buffer.from([7, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from(new Float32Array([1, 2]).buffer),
      Buffer.from([3]),
    ]);
    assert.ok(padded.length < 256);
    assert.deepEqual(bytes, expected);
  });
});

test('round trip of every dtype, empty tensors and metadata', () => {
  const dir = tempDir();
  tidy(() => {
    const src = new Map<string, Tensor>();
    for (const d of DTYPES) src.set(`t_${d}`, arange(0, 6).reshape([2, 3]).to(d as DType));
    src.set('empty', randn([0, 4]));
    src.set('scalar', tensor(3.5));
    const f = join(dir, 'all.safetensors');
    saveSafetensors(f, src, { note: 'hello' });
    const { tensors, metadata } = loadSafetensors(f);
    assert.deepEqual(metadata, { note: 'hello' });
    assert.deepEqual([...tensors.keys()].sort(), [...src.keys()].sort());
    for (const [k, v] of src) {
      const got = tensors.get(k)!;
      assert.equal(got.dtype, v.dtype, k);
      assert.deepEqual(got.shape, v.shape, k);
      assert.deepEqual(got.toArray(), v.toArray(), k);
    }
    assert.equal(readFileSync(f).readUInt32LE(0) % 8, 0, 'header length is a multiple of 8');
  });
});

test('files written here load in Python and Python-written files load here', { skip: !torchAvailable() && 'python3-torch missing' }, () => {
  const dir = tempDir();
  tidy(() => {
    const src = new Map<string, Tensor>([
      ['layer.weight', randn([3, 4])],
      ['layer.bias', randn([3]).to('float64')],
      ['counts', tensor([1, 2, 3], { dtype: 'int64' })],
      ['half', randn([5]).to('float16')],
      ['bhalf', randn([5]).to('bfloat16')],
      ['mask', tensor([1, 0, 1]).to('bool')],
    ]);
    saveSafetensors(join(dir, 'ours.safetensors'), src);
    const out = runPython(`
import json
t, meta = st_ref.load(os.path.join(DIR, 'ours.safetensors'))
print(json.dumps({k: [str(v.dtype), list(v.shape), v.double().flatten().tolist()] for k, v in t.items()}))
mine = {'x': torch.arange(12, dtype=torch.float32).reshape(3, 4) / 7, 'y': torch.tensor([5, -6], dtype=torch.int32), 'z': torch.tensor([0.5], dtype=torch.bfloat16)}
st_ref.save(mine, os.path.join(DIR, 'theirs.safetensors'), {'from': 'python'})
st_ref.save({k: v for k, v in t.items()}, os.path.join(DIR, 'resaved.safetensors'))
`, dir);
    const seen = JSON.parse(out) as Record<string, [string, number[], number[]]>;
    for (const [k, v] of src) {
      assert.equal(seen[k][0], `torch.${v.dtype}`, k);
      assert.deepEqual(seen[k][1], v.shape, k);
      const ours = v.to('float64').toArray();
      seen[k][2].forEach((x, i) => assert.ok(Math.abs(x - ours[i]) < 1e-12, `${k}[${i}]`));
    }
    // Python's independent writer and ours produce identical bytes for the same tensors.
    assert.deepEqual(readFileSync(join(dir, 'resaved.safetensors')), readFileSync(join(dir, 'ours.safetensors')));
    const { tensors, metadata } = loadSafetensors(join(dir, 'theirs.safetensors'));
    assert.deepEqual(metadata, { from: 'python' });
    assert.deepEqual(tensors.get('x')!.shape, [3, 4]);
    assert.ok(Math.abs(tensors.get('x')!.toArray()[11] - 11 / 7) < 1e-6);
    assert.deepEqual(tensors.get('y')!.toArray(), [5, -6]);
    assert.equal(tensors.get('z')!.dtype, 'bfloat16');
    assert.equal(tensors.get('z')!.toArray()[0], 0.5);
  });
});

test('malformed files give clear errors and never over-read or over-allocate', () => {
  const dir = tempDir();
  const good = header({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
  const cases: [string, Buffer, RegExp][] = [
    ['empty', Buffer.alloc(0), /too short/],
    ['short length', Buffer.from([1, 2, 3]), /too short/],
    ['truncated data', Buffer.concat([good, Buffer.alloc(4)]), /data region has 4 bytes but the tensors cover 8|runs past the data region/],
    ['header length beyond file', Buffer.concat([Buffer.from([0xff, 0xff, 0, 0, 0, 0, 0, 0]), Buffer.from('{}')]), /runs past the end/],
    ['absurd header size', Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x7f]), Buffer.from('{}      ')]), /exceeds the 100000000-byte limit/],
    ['not json', Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{notjson')]), /not valid JSON/],
    ['json array', Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('[1,2,3] ')]), /does not start with|not a JSON object/],
    ['unknown dtype', Buffer.concat([header({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }), Buffer.alloc(1)]), /tensor 'a': unsupported dtype "F8_E4M3"/],
    ['overlap', Buffer.concat([header({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }), Buffer.alloc(8)]), /overlap/],
    ['past the data', Buffer.concat([header({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }), Buffer.alloc(8)]), /runs past the data region/],
    ['size mismatch', Buffer.concat([header({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }), Buffer.alloc(8)]), /needs 12/],
    ['gap', Buffer.concat([header({ a: { dtype: 'U8', shape: [4], data_offsets: [4, 8] } }), Buffer.alloc(8)]), /gap/],
    ['negative shape', Buffer.concat([header({ a: { dtype: 'U8', shape: [-1], data_offsets: [0, 0] } })]), /non-negative integers/],
    ['huge shape', Buffer.concat([header({ a: { dtype: 'F64', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }), Buffer.alloc(8)]), /overflows|needs/],
    ['bad offsets type', Buffer.concat([header({ a: { dtype: 'U8', shape: [1], data_offsets: ['0', 1] } }), Buffer.alloc(1)]), /data_offsets must be/],
    ['bad metadata', Buffer.concat([header({ __metadata__: { k: 1 } })]), /__metadata__.k is not a string/],
    ['invalid utf-8', Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x20, 0x20, 0x20, 0x20])]), /not valid UTF-8/],
    ['random bytes', Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 0xff)), /invalid safetensors file/],
  ];
  for (const [name, bytes, pattern] of cases) {
    const f = join(dir, `${name.replace(/\W/g, '_')}.safetensors`);
    writeFileSync(f, bytes);
    assert.throws(() => loadSafetensors(f), (e: Error) => {
      assert.match(e.message, pattern, `${name}: ${e.message}`);
      assert.ok(e.message.includes(f), `${name}: error names the file`);
      return true;
    }, name);
  }
  const ok = join(dir, 'ok.safetensors');
  writeFileSync(ok, Buffer.concat([good, Buffer.alloc(8)]));
  assert.deepEqual(readSafetensorsHeader(ok).entries.map((e) => e.name), ['a']);
});

test('an interrupted or failed save leaves the previous file intact', () => {
  const dir = tempDir();
  const f = join(dir, 'w.safetensors');
  tidy(() => {
    saveSafetensors(f, { a: tensor([1, 2, 3]) });
    const before = readFileSync(f);
    // A directory in the way of the temporary file makes the write fail midway.
    mkdirSync(`${f}.tmp-${process.pid}`);
    assert.throws(() => saveSafetensors(f, { a: tensor([9, 9, 9]) }));
    assert.deepEqual(readFileSync(f), before);
    assert.deepEqual(loadSafetensors(f).tensors.get('a')!.toArray(), [1, 2, 3]);
    if (process.getuid?.() !== 0) {
      chmodSync(dir, 0o500);
      assert.throws(() => saveSafetensors(join(dir, 'new.safetensors'), { a: tensor([1]) }), /EACCES/);
      chmodSync(dir, 0o700);
    }
    assert.ok(existsSync(f));
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.tmp-') && n !== `w.safetensors.tmp-${process.pid}`), []);
  });
});
