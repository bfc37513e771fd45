/**
 * Running a trained detector over AVA keyframes: one sigmoid score per (box, class), as rows of an
 * AVA prediction CSV (the annotation columns with the score in place of person_id), which
 * scoreAva and `cvrl detect score` read.
 */
import { noGrad } from '../../torch/autograd.js';
import { tidy } from '../../torch/scope.js';
import { type ActionDetector } from './action-detector.js';
import { type AvaDetection } from './ava-csv.js';
import { type AvaKeyframeSet } from './ava-keyframes.js';
import { KeyframeLoader, type KeyframeClipOptions } from './ava-loader.js';

export interface PredictOptions extends KeyframeClipOptions {
  batchSize?: number;
  parallelism?: number;
  onSkip?: (message: string) => void;
  /** After each batch: keyframes done so far. */
  onBatch?: (done: number, total: number) => void;
}

export interface Predictions {
  detections: AvaDetection[];
  keyframes: number;
  boxes: number;
  badVideos: number;
  skippedKeyframes: number;
}

export async function predictDetections(model: ActionDetector, set: AvaKeyframeSet, o: PredictOptions): Promise<Predictions> {
  model.eval();
  const loader = new KeyframeLoader(set, { ...o, batchSize: o.batchSize ?? 8, shuffle: false });
  const detections: AvaDetection[] = [];
  let keyframes = 0, boxes = 0;
  for await (const batch of loader) {
    let scores: number[];
    try {
      scores = tidy(() => noGrad(() => model.forward(batch.clips, batch.boxes).sigmoid().toArray()));
    } finally {
      batch.dispose();
    }
    const C = set.classes.length;
    let k = 0;
    for (const kf of batch.keyframes) {
      for (const b of kf.boxes) {
        for (let j = 0; j < C; j++) {
          detections.push({ videoId: kf.videoId, timestamp: kf.timestamp, x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2, label: set.classes[j], score: scores[k * C + j] });
        }
        k++;
      }
    }
    keyframes += batch.keyframes.length;
    boxes += k;
    o.onBatch?.(keyframes, set.keyframes.length);
  }
  return { detections, keyframes, boxes, ...loader.cache.stats };
}

/** One prediction CSV row; timestamps as AVA writes them (at least 4 digits), scores to 6 significant digits. */
export function predictionRow(d: AvaDetection): string {
  return `${d.videoId},${String(d.timestamp).padStart(4, '0')},${d.x1},${d.y1},${d.x2},${d.y2},${d.label},${Number(d.score.toPrecision(6))}`;
}
