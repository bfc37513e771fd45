// Frame-level AVA mAP on hand-computed cases (and, when numpy is there, against a small numpy re-implementation).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { averagePrecision, boxIou, scoreAva, type AvaScoreInput } from '../../../src/eval/detection/ava-map.js';
import type { AvaDetection, AvaGroundTruthBox } from '../../../src/eval/detection/ava-csv.js';
import { tempDir } from '../../helpers/python.js';

type B = [number, number, number, number];
// Disjoint boxes.
const A: B = [0.1, 0.1, 0.4, 0.4], Bx: B = [0.5, 0.5, 0.9, 0.9], C: B = [0.0, 0.5, 0.3, 0.9];

function gt(frame: string, [x1, y1, x2, y2]: B, labels: number[], personId = 0): AvaGroundTruthBox {
  const [videoId, t] = frame.split(',');
  return { videoId, timestamp: Number(t), x1, y1, x2, y2, personId, labels };
}
function det(frame: string, [x1, y1, x2, y2]: B, label: number, score: number): AvaDetection {
  const [videoId, t] = frame.split(',');
  return { videoId, timestamp: Number(t), x1, y1, x2, y2, label, score };
}
const classes = (...ids: number[]) => new Map(ids.map((i) => [i, `class ${i}`]));
const F1 = 'vid,902', F2 = 'vid,903', F3 = 'other,902';

function score(groundTruth: AvaGroundTruthBox[], detections: AvaDetection[], ids: number[], extra: Partial<AvaScoreInput> = {}) {
  return scoreAva({ groundTruth, detections, labelMap: classes(...ids), ...extra });
}
const close = (actual: number, expected: number, what = '') => assert.ok(Math.abs(actual - expected) < 1e-9, `${what} ${actual} != ${expected}`);

test('IoU of normalised boxes has no +1 term; touching or disjoint boxes give 0', () => {
  assert.equal(boxIou({ x1: 0, y1: 0, x2: 0.5, y2: 0.5 }, { x1: 0, y1: 0, x2: 0.25, y2: 0.5 }), 0.5);
  close(boxIou({ x1: 0, y1: 0, x2: 0.2, y2: 0.2 }, { x1: 0.1, y1: 0.1, x2: 0.3, y2: 0.3 }), 0.01 / 0.07);
  assert.equal(boxIou({ x1: 0, y1: 0, x2: 0.5, y2: 0.5 }, { x1: 0.5, y1: 0, x2: 1, y2: 0.5 }), 0);
  assert.equal(boxIou({ x1: 0.2, y1: 0.2, x2: 0.2, y2: 0.2 }, { x1: 0.2, y1: 0.2, x2: 0.2, y2: 0.2 }), 0);
});

test('average precision is the area under the monotone precision/recall curve (VOC 2010+)', () => {
  // TP FP TP TP, 3 positives: precision 1, 1/2, 2/3, 3/4; made monotone 1, 3/4, 3/4, 3/4; recall
  // rises by 1/3 at detections 1, 3 and 4: AP = (1 + 3/4 + 3/4) / 3 = 5/6 = 0.8333 (0.8056 without the monotone step).
  close(averagePrecision([true, false, true, true], 3), 5 / 6);
  // TP FP TP TP with a fourth box never found: (1 + 3/4 + 3/4) / 4 = 0.625.
  close(averagePrecision([true, false, true, true], 4), 0.625);
  assert.equal(averagePrecision([], 2), 0);
  assert.equal(averagePrecision([false, false], 2), 0);
  assert.ok(Number.isNaN(averagePrecision([true], 0)));
});

test('perfect detections give AP 100 for every class, multi-label boxes included', () => {
  const g = [gt(F1, A, [1, 2]), gt(F1, Bx, [1]), gt(F2, C, [2], 1)];
  const d = [det(F1, A, 1, 0.9), det(F1, A, 2, 0.3), det(F1, Bx, 1, 0.8), det(F2, C, 2, 0.7)];
  const s = score(g, d, [1, 2]);
  assert.deepEqual([...s.perClass], [[1, 100], [2, 100]]);
  assert.deepEqual([...s.positives], [[1, 2], [2, 2]]);
  assert.equal(s.mAP, 100);
});

test('interleaved true and false positives: AP 83.33 computed by hand', () => {
  // One box per keyframe; sorted: A@F1 TP (P 1), C@F1 FP (P 1/2), Bx@F2 TP (P 2/3), C@F3 TP (P 3/4). See the test above: 5/6.
  const g = [gt(F1, A, [1]), gt(F2, Bx, [1]), gt(F3, C, [1])];
  const d = [det(F2, Bx, 1, 0.7), det(F1, C, 1, 0.8), det(F3, C, 1, 0.6), det(F1, A, 1, 0.9)];
  const s = score(g, d, [1]);
  close(s.perClass.get(1)!, 500 / 6);
  close(s.mAP, 500 / 6);
});

test('a second detection of an already matched box is a false positive', () => {
  // A 0.9 TP, A 0.8 duplicate FP, A 0.75 duplicate FP, Bx 0.7 TP; 2 boxes: precision 1, 1/2, 1/3, 1/2
  // -> monotone 1, 1/2, 1/2, 1/2; AP = 1/2 * 1 + 1/2 * 1/2 = 0.75.
  const g = [gt(F1, A, [1]), gt(F1, Bx, [1])];
  const shifted: B = [0.11, 0.1, 0.41, 0.4];
  const d = [det(F1, A, 1, 0.9), det(F1, A, 1, 0.8), det(F1, shifted, 1, 0.75), det(F1, Bx, 1, 0.7)];
  assert.equal(score(g, d, [1]).perClass.get(1), 75);
  assert.equal(score(g, [d[0], d[3]], [1]).perClass.get(1), 100);
});

test('a detection goes to its best-IoU box; if that one is taken it does not fall back to another', () => {
  const g1: B = [0, 0, 0.5, 1], g2: B = [0.2, 0, 0.7, 1], d2: B = [0.05, 0, 0.55, 1];
  // d2: IoU 0.45 / 0.55 = 0.818 with g1 (matched by the first detection), 0.35 / 0.65 = 0.538 with g2.
  close(boxIou(xy(d2), xy(g1)), 0.45 / 0.55);
  close(boxIou(xy(d2), xy(g2)), 0.35 / 0.65);
  // TP FP with 2 boxes: AP = 1/2.
  assert.equal(score([gt(F1, g1, [1]), gt(F1, g2, [1], 1)], [det(F1, g1, 1, 0.9), det(F1, d2, 1, 0.8)], [1]).perClass.get(1), 50);
});
const xy = ([x1, y1, x2, y2]: B) => ({ x1, y1, x2, y2 });

test('missed boxes lower the recall; a class with ground truth and no detections has AP 0 and counts in the mean', () => {
  // 3 boxes, 2 found at precision 1: AP = 2/3.
  const g = [gt(F1, A, [1]), gt(F1, Bx, [1]), gt(F2, C, [1, 2])];
  const s = score(g, [det(F1, A, 1, 0.9), det(F1, Bx, 1, 0.8)], [1, 2]);
  close(s.perClass.get(1)!, 200 / 3);
  assert.equal(s.perClass.get(2), 0);
  close(s.mAP, 100 / 3);
});

test('several labels on one box are scored per class', () => {
  // Class 1: A and Bx found, AP 100. Class 2 (only A has it): Bx 0.95 FP, A 0.8 TP -> precision 0, 1/2 -> AP 50.
  const g = [gt(F1, A, [1, 2]), gt(F1, Bx, [1])];
  const d = [det(F1, A, 1, 0.9), det(F1, A, 2, 0.8), det(F1, Bx, 2, 0.95), det(F1, Bx, 1, 0.5)];
  const s = score(g, d, [1, 2]);
  assert.deepEqual([...s.perClass], [[1, 100], [2, 50]]);
  assert.equal(s.mAP, 75);
});

test('excluded keyframes are dropped from the ground truth and from the detections', () => {
  const g = [gt(F1, A, [1]), gt(F2, Bx, [1])];
  const d = [det(F1, A, 1, 0.9), det(F2, Bx, 1, 0.95), det(F2, C, 1, 0.99)];
  // Kept: C@F2 FP, Bx@F2 TP, A@F1 TP -> precision 0, 1/2, 2/3 -> monotone 2/3 throughout -> AP 2/3.
  close(score(g, d, [1]).perClass.get(1)!, 200 / 3);
  // Without F2 only A@F1 is left, on both sides.
  const s = score(g, d, [1], { excluded: new Set(['vid,903']) });
  assert.equal(s.perClass.get(1), 100);
  assert.equal(s.positives.get(1), 1);
});

test('a class without ground truth gets NaN and stays out of the mean; classes outside the label map are ignored', () => {
  // Class 3 has detections but no boxes; class 7 (not in the map) has both a box and a false positive.
  const g = [gt(F1, A, [1]), gt(F1, Bx, [1]), gt(F2, C, [2, 7])];
  const d = [det(F1, A, 1, 0.9), det(F1, C, 1, 0.95), det(F1, Bx, 1, 0.5), det(F2, C, 2, 0.5), det(F1, A, 3, 0.9), det(F2, A, 7, 0.99)];
  // Class 1: FP TP TP -> precision 0, 1/2, 2/3 -> AP 2/3. Class 2: AP 100.
  const s = score(g, d, [1, 2, 3]);
  assert.deepEqual([...s.perClass.keys()], [1, 2, 3]);
  close(s.perClass.get(1)!, 200 / 3);
  assert.equal(s.perClass.get(2), 100);
  assert.ok(Number.isNaN(s.perClass.get(3)));
  close(s.mAP, (200 / 3 + 100) / 2);
  assert.ok(Number.isNaN(score([], d, [1, 2]).mAP), 'no ground truth at all: NaN');
});

test('IoU exactly 0.5 is a match (>=); just under is not', () => {
  const g = [gt(F1, [0, 0, 0.5, 0.5], [1])];
  assert.equal(score(g, [det(F1, [0, 0, 0.25, 0.5], 1, 0.9)], [1]).perClass.get(1), 100);
  assert.equal(score(g, [det(F1, [0, 0, 0.5, 0.25], 1, 0.9)], [1]).perClass.get(1), 100);
  assert.equal(score(g, [det(F1, [0, 0, 0.24, 0.5], 1, 0.9)], [1]).perClass.get(1), 0);
});

test('ties keep file order; the per-keyframe cap keeps the highest scores of the evaluated classes', () => {
  const g = [gt(F1, A, [1])];
  // Same score: FP first -> precision 0, 1/2 -> AP 50; TP first -> 100.
  assert.equal(score(g, [det(F1, C, 1, 0.5), det(F1, A, 1, 0.5)], [1]).perClass.get(1), 50);
  assert.equal(score(g, [det(F1, A, 1, 0.5), det(F1, C, 1, 0.5)], [1]).perClass.get(1), 100);
  const d = [det(F1, A, 9, 0.99), det(F1, Bx, 2, 0.95), det(F1, C, 2, 0.9), det(F1, A, 1, 0.5)];
  assert.equal(score(g, d, [1, 2], { maxDetectionsPerFrame: 2 }).perClass.get(1), 0, 'A@0.5 is the third of F1');
  assert.equal(score(g, d, [1, 2], { maxDetectionsPerFrame: 3 }).perClass.get(1), 100, 'class 9 is dropped before the cap');
  assert.equal(score(g, d, [1, 2], { maxDetectionsPerFrame: 0 }).perClass.get(1), 100);
  assert.equal(score(g, d, [1, 2]).perClass.get(1), 100, 'default cap 50');
  assert.throws(() => score(g, [det(F1, A, 1, NaN)], [1]), /score NaN/);
});

// A direct numpy transcription of the official per-image matching and VOC AP, on random problems.
const NUMPY_REF = String.raw`
import json, sys
import numpy as np
d = json.load(open(sys.argv[1]))
excl = set(d['excluded'])
def iou(a, b):
    ix = np.maximum(0, np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]))
    iy = np.maximum(0, np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]))
    inter = ix * iy
    area = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])
    return inter / (area(a)[:, None] + area(b)[None, :] - inter)
dets = {}
for x in d['det']:
    if x['label'] in d['classes'] and x['frame'] not in excl:
        dets.setdefault(x['frame'], []).append(x)
for f in dets:
    dets[f] = sorted(dets[f], key=lambda x: -x['score'])[:d['cap']]
out = {}
for c in d['classes']:
    gt = {}
    for g in d['gt']:
        if c in g['labels'] and g['frame'] not in excl:
            gt.setdefault(g['frame'], []).append(g['box'])
    n = sum(len(v) for v in gt.values())
    if n == 0:
        out[c] = None
        continue
    scores, tps = [], []
    for f, ds in dets.items():
        ds = [x for x in ds if x['label'] == c]
        if not ds: continue
        tp = np.zeros(len(ds), dtype=bool)
        if f in gt:
            o = iou(np.array([x['box'] for x in ds]), np.array(gt[f]))
            best = np.argmax(o, axis=1)
            taken = np.zeros(o.shape[1], dtype=bool)
            for i in range(len(ds)):
                if o[i, best[i]] >= 0.5 and not taken[best[i]]:
                    tp[i] = taken[best[i]] = True
        scores += [x['score'] for x in ds]
        tps += list(tp)
    order = np.argsort(-np.array(scores), kind='stable')
    t = np.array(tps, dtype=float)[order]
    ctp, cfp = np.cumsum(t), np.cumsum(1 - t)
    prec = np.concatenate([[0], ctp / np.maximum(ctp + cfp, 1), [0]])
    rec = np.concatenate([[0], ctp / n, [1]])
    for i in range(len(prec) - 2, -1, -1):
        prec[i] = max(prec[i], prec[i + 1])
    idx = np.where(rec[1:] != rec[:-1])[0] + 1
    out[c] = 100 * float(np.sum((rec[idx] - rec[idx - 1]) * prec[idx]))
print(json.dumps(out))
`;

test('random problems agree with a numpy transcription of the official evaluator', (t) => {
  if (spawnSync('/usr/bin/python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status !== 0) return t.skip('/usr/bin/python3 with numpy not available');
  let seed = 12345;
  const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const anchors: B[] = [A, Bx, C, [0.3, 0.2, 0.7, 0.6]];
  const jitter = (b: B): B => {
    const [x1, y1, x2, y2] = b.map((v) => Math.min(1, Math.max(0, v + (rand() - 0.5) * 0.12)));
    return [Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2)];
  };
  const frames = ['a,902', 'a,903', 'b,902', 'b,1000', 'c,905'];
  const dir = tempDir('cvrl-ava-');
  for (let trial = 0; trial < 5; trial++) {
    const g: AvaGroundTruthBox[] = [], d: AvaDetection[] = [];
    const used = new Set<number>();
    const uniqueScore = () => {
      let s = rand();
      while (used.has(s)) s = rand(); // distinct scores: numpy's argsort breaks ties its own way
      used.add(s);
      return s;
    };
    for (const f of frames) for (const a of anchors) if (rand() < 0.6) g.push(gt(f, a, [1, 2, 3, 4].filter(() => rand() < 0.5)));
    // Near-misses and near-hits of the true boxes, then clutter.
    for (const x of g) for (const c of x.labels) if (rand() < 0.7) d.push(det(`${x.videoId},${x.timestamp}`, jitter([x.x1, x.y1, x.x2, x.y2]), c, uniqueScore()));
    for (const f of frames) for (let k = 0; k < 5; k++) d.push(det(f, jitter(anchors[Math.floor(rand() * anchors.length)]), 1 + Math.floor(rand() * 5), uniqueScore()));
    const cap = 8, ids = [1, 2, 3, 5], excluded = ['b,902'];
    const json = {
      classes: ids, excluded, cap,
      gt: g.map((x) => ({ frame: `${x.videoId},${x.timestamp}`, box: [x.x1, x.y1, x.x2, x.y2], labels: x.labels })),
      det: d.map((x) => ({ frame: `${x.videoId},${x.timestamp}`, box: [x.x1, x.y1, x.x2, x.y2], label: x.label, score: x.score })),
    };
    const path = join(dir, `case${trial}.json`);
    writeFileSync(path, JSON.stringify(json));
    const r = spawnSync('/usr/bin/python3', ['-c', NUMPY_REF, path], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const ref = JSON.parse(r.stdout) as Record<string, number | null>;
    const s = score(g, d, ids, { excluded: new Set(excluded), maxDetectionsPerFrame: cap });
    for (const c of ids) {
      const ap = s.perClass.get(c)!;
      if (ref[c] === null) assert.ok(Number.isNaN(ap), `trial ${trial} class ${c}`);
      else close(ap, ref[c]!, `trial ${trial} class ${c}`);
    }
  }
});
