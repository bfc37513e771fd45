// Streaming embedding files: round trip, Python-readable safetensors, and malformed inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { EmbeddingWriter } from '../../src/formats/embedding-file.js';
import { readEmbeddings } from '../../src/eval/embedding-file.js';
import { saveSafetensors } from '../../src/nn/safetensors.js';
import { zeros } from '../../src/torch/index.js';
import { runPython, tempDir, torchAvailable } from '../helpers/python.js';

const row = (i: number) => ({ path: `/v/${i}.mp4`, label: i % 2, class: i % 2 ? 'b' : 'a', views: 3 });

test('rows written one at a time read back in order; the file is valid safetensors for Python', { skip: !torchAvailable() && 'python3-torch missing' }, () => {
  const dir = tempDir('cvrl-emb-');
  const w = new EmbeddingWriter(join(dir, 'e.safetensors'), join(dir, 'e.jsonl'));
  for (let i = 0; i < 5; i++) w.add(row(i), Float32Array.from({ length: 3 }, (_, j) => i * 10 + j));
  w.close({ note: 'x' });
  assert.deepEqual(readdirSync(dir).sort(), ['e.jsonl', 'e.safetensors'], 'scratch files are gone');
  const { features, rows, metadata } = readEmbeddings(join(dir, 'e.safetensors'), join(dir, 'e.jsonl'));
  assert.deepEqual(features.shape, [5, 3]);
  assert.deepEqual(features.toArray().slice(6, 9), [20, 21, 22]);
  assert.deepEqual(rows[4], row(4));
  assert.equal(metadata.note, 'x');
  features.dispose();
  // st_ref is an independent Python reader of the format.
  const py = runPython(`
t = st_ref.load(os.path.join(DIR, 'e.safetensors'))[0]['features']
print(list(t.shape), float(t[4, 2]))
`, dir).trim();
  assert.equal(py, '[5, 3] 42.0');
});

test('malformed embeddings: wrong row width, index/feature mismatch, bad JSON, no features tensor', () => {
  const dir = tempDir('cvrl-emb-bad-');
  const w = new EmbeddingWriter(join(dir, 'a.safetensors'), join(dir, 'a.jsonl'));
  w.add(row(0), new Float32Array(4));
  assert.throws(() => w.add(row(1), new Float32Array(5)), /embedding of \/v\/1.mp4 has 5 values, earlier rows 4/);
  w.abort();
  assert.deepEqual(readdirSync(dir), [], 'an aborted writer leaves nothing behind');

  const ok = new EmbeddingWriter(join(dir, 'b.safetensors'), join(dir, 'b.jsonl'));
  ok.add(row(0), new Float32Array(2));
  ok.add(row(1), new Float32Array(2));
  ok.close();
  writeFileSync(join(dir, 'short.jsonl'), `${JSON.stringify(row(0))}\n`);
  assert.throws(() => readEmbeddings(join(dir, 'b.safetensors'), join(dir, 'short.jsonl')), /short.jsonl has 1 rows but .*b.safetensors has 2 features/);
  writeFileSync(join(dir, 'broken.jsonl'), `${JSON.stringify(row(0))}\n{"path":\n`);
  assert.throws(() => readEmbeddings(join(dir, 'b.safetensors'), join(dir, 'broken.jsonl')), /broken.jsonl:2: not valid JSON/);
  const other = zeros([2, 2]);
  saveSafetensors(join(dir, 'other.safetensors'), { weights: other });
  other.dispose();
  assert.throws(() => readEmbeddings(join(dir, 'other.safetensors'), join(dir, 'b.jsonl')), /expected a 2-D tensor 'features'/);
  assert.ok(!existsSync(join(dir, 'a.safetensors')));
});
