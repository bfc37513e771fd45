import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { maskedCrc, EventWriter } from '../../src/formats/tensorboard.js';
import { crc32c } from '../../src/util/crc.js';
import { tempDir } from '../helpers/python.js';

test('CRC-32C matches the standard check value', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
});

test('event files are valid TFRecords with the expected scalars', () => {
  const dir = tempDir();
  const w = new EventWriter(dir);
  w.scalars(3, { 'train/loss': 1.5, 'train/lr': 0.01, skipped: NaN });
  w.close();
  const bytes = readFileSync(join(dir, readdirSync(dir)[0]));
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  const records: Uint8Array[] = [];
  while (off < bytes.length) {
    const len = Number(dv.getBigUint64(off, true));
    assert.equal(dv.getUint32(off + 8, true), maskedCrc(bytes.subarray(off, off + 8)));
    const data = bytes.subarray(off + 12, off + 12 + len);
    assert.equal(dv.getUint32(off + 12 + len, true), maskedCrc(data));
    records.push(data);
    off += 16 + len;
  }
  assert.equal(records.length, 2);
  assert.ok(Buffer.from(records[0]).includes('brain.Event:2'));
  const text = Buffer.from(records[1]);
  assert.ok(text.includes('train/loss') && text.includes('train/lr') && !text.includes('skipped'));
  assert.ok(text.includes(Buffer.from(new Float32Array([1.5]).buffer)));
});
