// The report's PNG encoder: CRC, structure, a pure-Node decode round trip, and torchvision's decoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng, pngDataUri } from '../../src/formats/png.js';
import { crc32 } from '../../src/util/crc.js';
import { runPython, tempDir, torchAvailable } from '../helpers/python.js';

/** Decodes our own output (8-bit, filter types 0/1 only) and checks every chunk's CRC. */
function decodeOwn(png: Buffer): { width: number; height: number; channels: number; pixels: Uint8Array } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let off = 8, width = 0, height = 0, channels = 0;
  const idat: Buffer[] = [];
  const types: string[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off), type = png.toString('latin1', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    assert.equal(png.readUInt32BE(off + 8 + len), crc32(png.subarray(off + 4, off + 8 + len)), `${type} CRC`);
    types.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8);
      channels = data[9] === 2 ? 3 : data[9] === 0 ? 1 : -1;
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  assert.deepEqual([types[0], types[types.length - 1]], ['IHDR', 'IEND']);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  assert.equal(raw.length, (stride + 1) * height);
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    assert.ok(f === 0 || f === 1, `filter ${f}`);
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      pixels[y * stride + x] = f === 1 && x >= channels ? (v + pixels[y * stride + x - channels]) & 0xff : v;
    }
  }
  return { width, height, channels, pixels };
}

function pattern(w: number, h: number, c: number): Uint8Array {
  const p = new Uint8Array(w * h * c);
  for (let i = 0; i < p.length; i++) p[i] = (i * 37 + Math.floor(i / 7) * 11) & 0xff;
  return p;
}

test('encodePng round-trips RGB and grayscale pixels exactly', () => {
  for (const [w, h, c] of [[1, 1, 3], [7, 5, 3], [64, 48, 3], [9, 4, 1]] as const) {
    const px = pattern(w, h, c);
    const d = decodeOwn(encodePng(px, w, h, c));
    assert.deepEqual([d.width, d.height, d.channels], [w, h, c]);
    assert.deepEqual(d.pixels, px);
  }
  assert.match(pngDataUri(encodePng(pattern(2, 2, 3), 2, 2)), /^data:image\/png;base64,iVBORw0KGgo/);
});

test('encodePng rejects sizes that do not match the pixels', () => {
  assert.throws(() => encodePng(new Uint8Array(11), 2, 2), /expected 12 bytes for 2x2x3, got 11/);
  assert.throws(() => encodePng(new Uint8Array(0), 0, 2), /bad size 0x2/);
});

test('torchvision decodes encodePng output to the same pixels', (t) => {
  if (!torchAvailable()) return t.skip('python3-torch not installed');
  const dir = tempDir('cvrl-png-');
  const w = 33, h = 17;
  const px = pattern(w, h, 3);
  writeFileSync(join(dir, 'a.png'), encodePng(px, w, h));
  writeFileSync(join(dir, 'a.raw'), px);
  const out = runPython(`
import torchvision
from torchvision.io import read_file, decode_png
img = decode_png(read_file(os.path.join(DIR, 'a.png')))  # [C, H, W]
raw = torch.frombuffer(bytearray(open(os.path.join(DIR, 'a.raw'), 'rb').read()), dtype=torch.uint8).reshape(${h}, ${w}, 3).permute(2, 0, 1)
print(list(img.shape), bool(torch.equal(img, raw)))
`, dir);
  assert.equal(out.trim(), `[3, ${h}, ${w}] True`);
});
