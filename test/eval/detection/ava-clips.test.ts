// Keyframe-centred clip starts for AVA: centring, clamping at both ends, short videos, bad arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keyframeClipStart, keyframeIndex } from '../../../src/eval/detection/ava-clips.js';

test('the keyframe is the clip\'s middle frame away from the ends', () => {
  // 2 s at 30 fps is frame 60; T = 8 at stride 4: frames 44, 48, ..., 72 with 60 at position 4.
  const s = keyframeClipStart(2, 30, 8, 4, 300);
  assert.equal(s, 44);
  assert.equal(s + Math.floor(8 / 2) * 4, 60);
  // Odd T: the keyframe is exactly the centre frame.
  assert.equal(keyframeClipStart(2, 30, 5, 2, 300), 56);
  assert.equal(keyframeIndex(0.7, 30), 21, 'floating-point products do not drop a frame');
  assert.equal(keyframeIndex(1.999, 30), 59);
});

test('clips near the ends are shifted inside the video; short videos start at 0', () => {
  assert.equal(keyframeClipStart(0.1, 30, 8, 4, 300), 0); // keyframe 3 would start at -13
  // keyframe 295 would start at 279 and end at 307: the last start that fits is 300 - 29 = 271.
  assert.equal(keyframeClipStart(295 / 30, 30, 8, 4, 300), 271);
  assert.equal(keyframeClipStart(0.5, 30, 8, 4, 20), 0);
  assert.equal(keyframeClipStart(1, 25, 1, 1, 100), 25, 'a one-frame clip is the keyframe');
});

test('bad arguments are rejected by name', () => {
  assert.throws(() => keyframeClipStart(-1, 30, 8, 4, 300), /timestampSec/);
  assert.throws(() => keyframeClipStart(1, 0, 8, 4, 300), /fps/);
  assert.throws(() => keyframeClipStart(1, 30, 0, 4, 300), /frames must/);
  assert.throws(() => keyframeClipStart(1, 30, 8, 1.5, 300), /stride/);
  assert.throws(() => keyframeClipStart(1, 30, 8, 4, 0), /totalFrames/);
  assert.throws(() => keyframeClipStart(11, 30, 8, 4, 300), /timestampSec 11 is frame 330, past the video's 300 frames/);
});
