/**
 * Frame-level AVA mAP with the rules of the official ActivityNet evaluator (PASCAL VOC style):
 * per class, detections in descending score order match the best-IoU ground-truth box of their
 * keyframe when IoU >= 0.5 and that box is still unmatched; AP is the area under the monotone
 * precision/recall curve; mAP is the mean over classes that have ground truth.
 */
import { frameKey, type AvaDetection, type AvaGroundTruthBox } from './ava-csv.js';

interface Box { x1: number; y1: number; x2: number; y2: number }

/** Intersection over union of normalised boxes; areas without the "+1 pixel" term, as the official np_box_ops. */
export function boxIou(a: Box, b: Box): number {
  const w = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const h = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  const inter = w > 0 && h > 0 ? w * h : 0;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  // Two empty boxes: numpy gives NaN, which never passes the threshold.
  return union > 0 ? inter / union : 0;
}

/**
 * VOC 2010+ average precision (a fraction) of detections already in descending score order,
 * `tp[i]` telling whether detection i matched; `positives` ground-truth boxes in all. NaN without positives.
 */
export function averagePrecision(tp: readonly boolean[], positives: number): number {
  if (positives <= 0) return NaN;
  const n = tp.length;
  // Sentinels (recall 0, precision 0) and (recall 1, precision 0) as in the official compute_average_precision.
  const recall = new Float64Array(n + 2), precision = new Float64Array(n + 2);
  let hits = 0;
  for (let i = 0; i < n; i++) {
    if (tp[i]) hits++;
    recall[i + 1] = hits / positives;
    precision[i + 1] = hits / (i + 1);
  }
  recall[n + 1] = 1;
  for (let i = n; i >= 0; i--) precision[i] = Math.max(precision[i], precision[i + 1]);
  let ap = 0;
  for (let i = 1; i < n + 2; i++) if (recall[i] !== recall[i - 1]) ap += (recall[i] - recall[i - 1]) * precision[i];
  return ap;
}

export interface AvaScoreInput {
  groundTruth: readonly AvaGroundTruthBox[];
  detections: readonly AvaDetection[];
  /** The evaluated classes (the label map); other classes are ignored on both sides. */
  labelMap: ReadonlyMap<number, unknown>;
  /** {@link frameKey}s of keyframes dropped from both sides. */
  excluded?: ReadonlySet<string>;
  iouThreshold?: number;
  /**
   * Detections kept per keyframe, highest scores first (ties: file order). The official evaluator
   * reads predictions with a capacity of 50 per keyframe; 0 keeps all.
   */
  maxDetectionsPerFrame?: number;
}

export interface AvaScore {
  /** Mean AP in percent over the classes with ground truth (NaN if none has any). */
  mAP: number;
  /** AP in percent per label-map class, in label-map order; NaN for a class without ground truth. */
  perClass: Map<number, number>;
  /** Ground-truth boxes per label-map class, after exclusions. */
  positives: Map<number, number>;
}

interface Ranked { d: AvaDetection; frame: string; order: number }

export function scoreAva(input: AvaScoreInput): AvaScore {
  const { groundTruth, detections, labelMap } = input;
  const excluded = input.excluded ?? new Set<string>();
  const threshold = input.iouThreshold ?? 0.5;
  const cap = input.maxDetectionsPerFrame ?? 50;
  if (!(threshold > 0 && threshold <= 1)) throw new RangeError(`IoU threshold must be in (0, 1], got ${threshold}`);
  if (!Number.isInteger(cap) || cap < 0) throw new RangeError(`maxDetectionsPerFrame must be an integer >= 0, got ${cap}`);

  // class -> frame -> boxes
  const truth = new Map<number, Map<string, Box[]>>();
  const positives = new Map<number, number>([...labelMap.keys()].map((c) => [c, 0]));
  for (const g of groundTruth) {
    const frame = frameKey(g.videoId, g.timestamp);
    if (excluded.has(frame)) continue;
    for (const c of new Set(g.labels)) {
      if (!labelMap.has(c)) continue;
      let frames = truth.get(c);
      if (!frames) truth.set(c, (frames = new Map()));
      let boxes = frames.get(frame);
      if (!boxes) frames.set(frame, (boxes = []));
      boxes.push(g);
      positives.set(c, positives.get(c)! + 1);
    }
  }

  const perFrame = new Map<string, Ranked[]>();
  detections.forEach((d, order) => {
    if (!Number.isFinite(d.score)) throw new RangeError(`detection ${order} (${frameKey(d.videoId, d.timestamp)}) has score ${d.score}`);
    if (!labelMap.has(d.label)) return;
    const frame = frameKey(d.videoId, d.timestamp);
    if (excluded.has(frame)) return;
    let list = perFrame.get(frame);
    if (!list) perFrame.set(frame, (list = []));
    list.push({ d, frame, order });
  });
  const perClassDets = new Map<number, Ranked[]>();
  for (let list of perFrame.values()) {
    // The cap counts detections of all classes of a keyframe together, as the official reader does.
    if (cap > 0 && list.length > cap) list = list.sort((a, b) => b.d.score - a.d.score).slice(0, cap);
    for (const r of list) {
      let dets = perClassDets.get(r.d.label);
      if (!dets) perClassDets.set(r.d.label, (dets = []));
      dets.push(r);
    }
  }

  const perClass = new Map<number, number>();
  for (const c of labelMap.keys()) {
    const n = positives.get(c)!;
    const frames = truth.get(c);
    if (n === 0 || !frames) {
      perClass.set(c, NaN);
      continue;
    }
    // Sorting across all keyframes at once gives each keyframe its detections in score order, so
    // greedy matching per keyframe is the official per-image one.
    const dets = (perClassDets.get(c) ?? []).sort((a, b) => b.d.score - a.d.score || a.order - b.order);
    const matched = new Map<string, Uint8Array>();
    const tp = dets.map(({ d, frame }) => {
      const boxes = frames.get(frame);
      if (!boxes) return false;
      let best = 0, bestIou = -1;
      // Strict '>': the first box wins ties, like np.argmax.
      boxes.forEach((b, j) => {
        const o = boxIou(d, b);
        if (o > bestIou) { bestIou = o; best = j; }
      });
      if (bestIou < threshold) return false;
      let m = matched.get(frame);
      if (!m) matched.set(frame, (m = new Uint8Array(boxes.length)));
      if (m[best]) return false; // a duplicate of an already detected box
      m[best] = 1;
      return true;
    });
    perClass.set(c, 100 * averagePrecision(tp, n));
  }

  const defined = [...perClass.values()].filter((ap) => !Number.isNaN(ap));
  const mAP = defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : NaN;
  return { mAP, perClass, positives };
}
