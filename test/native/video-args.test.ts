// Every native video entry point checks its JS arguments before any cast or allocation (case 4 of
// issue 14): TypeError for a wrong type, a NUL in a string or a non-CPU tensor, RangeError for a bad
// value, each naming the function and the field. Calls go to the addon directly, past the TS checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { native, type Handle } from '../../src/native/addon.js';

type Call = () => unknown;

function throwsNamed(call: Call, kind: 'TypeError' | 'RangeError', field: RegExp, label: string): void {
  assert.throws(call, (e: Error) => {
    assert.equal(e.name, kind, `${label}: ${e.name}: ${e.message}`);
    assert.match(e.message, field, label);
    return true;
  }, label);
}

const frames = (): Handle => native.zeros([2, 8, 8, 3], 'uint8');
const crop = { top: 0, left: 0, height: 8, width: 8 };
const params = (o: object = {}, c: object = {}) => [{ crop: { ...crop, ...c }, flip: false, jitter: null, grayscale: false, blur: null, solarize: false, ...o }];
const spec = (o: object = {}) => ({ size: 4, blurKernel: 0, mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225], ...o });

test('decodeClips: path, starts, frames, stride and options', () => {
  const d = (...a: unknown[]) => () => (native.decodeClips as (...x: unknown[]) => unknown)(...a);
  const opts = (o: object) => d('x.mp4', [0], 4, 1, o);
  throwsNamed(d('a\0b.mp4', [0], 4, 1), 'TypeError', /^decodeClips: path must not contain NUL bytes/, 'NUL in the path');
  throwsNamed(d(42, [0], 4, 1), 'TypeError', /^decodeClips: path must be a string, got 42/, 'number path');
  throwsNamed(d('', [0], 4, 1), 'RangeError', /^decodeClips: path must not be empty/, 'empty path');
  throwsNamed(d('x.mp4', 0, 4, 1), 'TypeError', /^decodeClips: starts must be an array/, 'starts not an array');
  throwsNamed(d('x.mp4', [], 4, 1), 'RangeError', /^decodeClips: starts needs at least one/, 'no starts');
  throwsNamed(d('x.mp4', [0, NaN], 4, 1), 'RangeError', /^decodeClips: starts\[1\] must be a finite number, got NaN/, 'NaN start');
  throwsNamed(d('x.mp4', [Infinity], 4, 1), 'RangeError', /starts\[0\] must be a finite number, got Infinity/, 'infinite start');
  throwsNamed(d('x.mp4', [-1], 4, 1), 'RangeError', /starts\[0\] must be an integer in \[0, /, 'negative start');
  throwsNamed(d('x.mp4', [1.5], 4, 1), 'RangeError', /starts\[0\] must be an integer, got 1\.5/, 'fractional start');
  throwsNamed(d('x.mp4', [2 ** 60], 4, 1), 'RangeError', /starts\[0\] must be an integer in/, 'start beyond 2^53');
  throwsNamed(d('x.mp4', [0], 0, 1), 'RangeError', /^decodeClips: frames must be an integer in \[1, /, 'zero frames');
  throwsNamed(d('x.mp4', [0], 4, NaN), 'RangeError', /^decodeClips: stride must be a finite number, got NaN/, 'NaN stride');
  throwsNamed(d('x.mp4', [0], '4', 1), 'TypeError', /^decodeClips: frames must be a number, got '4'/, 'string frames');
  throwsNamed(d('x.mp4', Array(5000).fill(0), 1000, 1), 'RangeError', /more than 4194304 frames/, 'too many frames in one call');
  throwsNamed(opts({ shortSide: 0 }), 'RangeError', /options\.shortSide must be an integer in \[1, 65536\], got 0/, 'zero short side');
  throwsNamed(opts({ shortSide: -128 }), 'RangeError', /options\.shortSide/, 'negative short side');
  throwsNamed(opts({ shortSide: NaN }), 'RangeError', /options\.shortSide must be a finite number, got NaN/, 'NaN short side');
  throwsNamed(opts({ height: 1e300, width: 8 }), 'RangeError', /options\.height must be an integer in \[1, 65536\], got 1e\+300/, 'huge height');
  throwsNamed(opts({ height: 8 }), 'RangeError', /options\.height and options\.width must be given together/, 'height alone');
  throwsNamed(opts({ shortSide: 8, height: 8, width: 8 }), 'RangeError', /options\.shortSide cannot be combined/, 'both sizes');
  throwsNamed(opts({ decoderThreads: 0 }), 'RangeError', /options\.decoderThreads/, 'zero threads');
  throwsNamed(opts({ seek: 'yes' }), 'TypeError', /options\.seek must be a boolean, got 'yes'/, 'string seek');
  throwsNamed(opts({ timeoutMs: 0 }), 'RangeError', /options\.timeoutMs must be an integer in \[1, /, 'zero timeout');
  throwsNamed(opts({ timeoutMs: Infinity }), 'RangeError', /options\.timeoutMs must be a finite number/, 'infinite timeout');
  throwsNamed(d('x.mp4', [0], 4, 1, 7), 'TypeError', /^decodeClips: options must be an object, got 7/, 'options not an object');
});

test('probeVideo: path and timeout', () => {
  const p = (...a: unknown[]) => () => (native.probeVideo as (...x: unknown[]) => unknown)(...a);
  throwsNamed(p('clip.mp4\0.txt'), 'TypeError', /^probeVideo: path must not contain NUL bytes/, 'NUL in the path');
  throwsNamed(p(undefined), 'TypeError', /^probeVideo: path must be a string, got undefined/, 'no path');
  throwsNamed(p('x.mp4', { timeoutMs: -5 }), 'RangeError', /^probeVideo: options\.timeoutMs/, 'negative timeout');
});

test('augmentClip: crop boxes (int64 overflow), colour factors, blur, spec sizes, std = 0, tensors', () => {
  const a = (f: Handle, ps: unknown, s: unknown) => () => native.augmentClip(f, ps as object[], s as never);
  const f = frames();
  // Each part passes a naive "< 2^63" test, but their int64 sum wraps negative and would pass "<= H".
  throwsNamed(a(f, params({}, { top: 2 ** 62, height: 2 ** 62 }), spec()), 'RangeError', /params\[0\]\.crop\.top must be an integer in \[0, 65536\]/, 'crop overflow');
  throwsNamed(a(f, params({}, { top: 4, height: 8 }), spec()), 'RangeError', /params\[0\]\.crop top \+ height = 12 exceeds the frame height 8/, 'crop outside');
  throwsNamed(a(f, params({}, { left: NaN }), spec()), 'RangeError', /params\[0\]\.crop\.left must be a finite number, got NaN/, 'NaN crop');
  throwsNamed(a(f, params({}, { width: 0 }), spec()), 'RangeError', /params\[0\]\.crop\.width must be an integer in \[1, /, 'zero width crop');
  throwsNamed(a(f, params({}, { height: 2.5 }), spec()), 'RangeError', /crop\.height must be an integer, got 2\.5/, 'fractional crop');
  const jitter = { order: [0, 1, 2, 3], brightness: 1, contrast: 1, saturation: 1, hue: 0 };
  throwsNamed(a(f, params({ jitter: { ...jitter, hue: NaN } }), spec()), 'RangeError', /params\[0\]\.jitter\.hue must be a finite number, got NaN/, 'NaN hue');
  throwsNamed(a(f, params({ jitter: { ...jitter, brightness: -1 } }), spec()), 'RangeError', /jitter\.brightness must be in \[0, /, 'negative brightness');
  throwsNamed(a(f, params({ jitter: { ...jitter, order: [0, 9] } }), spec()), 'RangeError', /jitter\.order\[1\] must be an integer in \[0, 3\], got 9/, 'bad order');
  throwsNamed(a(f, params({ blur: Infinity }), spec()), 'RangeError', /params\[0\]\.blur must be a finite number, got Infinity/, 'infinite blur');
  throwsNamed(a(f, params({ flip: 1 }), spec()), 'TypeError', /params\[0\]\.flip must be a boolean, got 1/, 'number flip');
  throwsNamed(a(f, [...params(), ...params(), ...params()], spec()), 'RangeError', /params needs one parameter set, or one per frame \(2\), got 3/, 'params count');
  throwsNamed(a(f, params(), spec({ std: [0.2, 0, 0.2] })), 'RangeError', /spec\.std\[1\] must be positive \(it divides\), got 0/, 'std = 0');
  throwsNamed(a(f, params(), spec({ mean: [0, Infinity, 0] })), 'RangeError', /spec\.mean\[1\] must be a finite number, got Infinity/, 'infinite mean');
  throwsNamed(a(f, params(), spec({ size: 0 })), 'RangeError', /spec\.size must be an integer in \[1, 4096\], got 0/, 'zero size');
  throwsNamed(a(f, params(), spec({ size: NaN })), 'RangeError', /spec\.size must be a finite number, got NaN/, 'NaN size');
  throwsNamed(a(f, params(), spec({ blurKernel: -3 })), 'RangeError', /spec\.blurKernel/, 'negative kernel');
  const meta = native.empty([2, 8, 8, 3], 'uint8', 'meta');
  throwsNamed(a(meta, params(), spec()), 'TypeError', /^augmentClip: frames must be a CPU tensor, got one on meta/, 'non-CPU tensor');
  const floats = native.zeros([2, 8, 8, 3], 'float32');
  throwsNamed(a(floats, params(), spec()), 'TypeError', /^augmentClip: frames must be uint8, got float32/, 'float frames');
  throwsNamed(a({} as Handle, params(), spec()), 'TypeError', /^augmentClip: frames must be a tensor/, 'not a tensor');
  for (const h of [f, meta, floats]) native.dispose(h);
});

test('encodeVideo: path, frames and options (fps = 0 and friends)', () => {
  const e = (path: unknown, f: Handle, o?: object) => () => native.encodeVideo(path as string, f, o as never);
  const f = frames();
  throwsNamed(e('out.mp4', f, { fps: 0 }), 'RangeError', /^encodeVideo: options\.fps must be an integer in \[1, 1000\], got 0/, 'fps = 0');
  throwsNamed(e('out.mp4', f, { fps: NaN }), 'RangeError', /options\.fps must be a finite number, got NaN/, 'NaN fps');
  throwsNamed(e('out.mp4', f, { gop: -1 }), 'RangeError', /options\.gop/, 'negative gop');
  throwsNamed(e('out.mp4', f, { codec: 'h264\0rm -rf' }), 'TypeError', /options\.codec must not contain NUL bytes/, 'NUL in the codec');
  throwsNamed(e('out.mp4', f, { codec: 'prores' }), 'RangeError', /options\.codec must be h264, mpeg4, mjpeg or vp9, got 'prores'/, 'unknown codec');
  throwsNamed(e('out\0.mp4', f), 'TypeError', /^encodeVideo: path must not contain NUL bytes/, 'NUL in the path');
  const meta = native.empty([2, 8, 8, 3], 'uint8', 'meta');
  throwsNamed(e('out.mp4', meta), 'TypeError', /^encodeVideo: frames must be a CPU tensor/, 'non-CPU tensor');
  const none = native.zeros([0, 8, 8, 3], 'uint8');
  throwsNamed(e('out.mp4', none), 'RangeError', /^encodeVideo: frames must have at least one frame/, 'no frames');
  for (const h of [f, meta, none]) native.dispose(h);
});

test('setVideoLimits: positive finite values only, named', () => {
  const before = native.videoLimits();
  throwsNamed(() => native.setVideoLimits({ maxFramePixels: 0 }), 'RangeError', /^setVideoLimits: maxFramePixels must be an integer in \[1, /, 'zero pixels');
  throwsNamed(() => native.setVideoLimits({ maxAspectRatio: NaN }), 'RangeError', /^setVideoLimits: maxAspectRatio must be a finite number, got NaN/, 'NaN aspect');
  throwsNamed(() => native.setVideoLimits({ timeoutMs: 0.5 }), 'RangeError', /^setVideoLimits: timeoutMs must be an integer, got 0\.5/, 'fractional timeout');
  assert.deepEqual(native.videoLimits(), before, 'a rejected call changes nothing');
});
