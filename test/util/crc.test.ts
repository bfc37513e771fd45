// Both CRC variants against their published check values (the CRC of the ASCII bytes "123456789").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, crc32c } from '../../src/util/crc.js';

test('CRC-32 and CRC-32C check values', () => {
  const check = new TextEncoder().encode('123456789');
  assert.equal(crc32(check), 0xcbf43926);
  assert.equal(crc32c(check), 0xe3069283);
  assert.equal(crc32(new Uint8Array(0)), 0);
});
