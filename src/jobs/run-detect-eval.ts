/**
 * `cvrl detect eval` as a library call: a trained detector (detect train's OUT or its checkpoint)
 * scores every box of every keyframe (ground-truth boxes, or a person-box CSV's), then the official
 * frame-level mAP is computed against the annotations. OUT gets predictions.csv (AVA prediction
 * rows, which `cvrl detect score` reads), metrics.json (mAP and per-class AP in percent) and summary.md.
 */
import { resolveDevice } from '../torch/device.js';
import { availableParallelism } from 'node:os';
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { setNumThreads } from '../torch/runtime.js';
import { writeEvalOutput } from './output.js';
import { loadActionDetector } from '../eval/detection/action-detector.js';
import { openAvaKeyframes } from '../eval/detection/ava-keyframes.js';
import { readAvaAnnotations, readAvaExclusions, readAvaLabelMap, type AvaDetection } from '../eval/detection/ava-csv.js';
import { scoreAva } from '../eval/detection/ava-map.js';
import { scoreJson, scoreTable } from '../eval/detection/ava-score-format.js';
import { predictDetections, predictionRow } from '../eval/detection/predict-detector.js';

export interface DetectEvalJob {
  /** detect train's output folder (its detector.safetensors) or a detector checkpoint file. */
  model: string;
  /** Default: MODEL/eval (MODEL's folder when MODEL is a file). */
  out?: string;
  videos: string;
  annotations: string;
  labelMap: string;
  exclusions?: string;
  /** Score a detector's person boxes instead of the ground-truth boxes. */
  personBoxes?: string;
  /** Person boxes below this score are dropped (default 0.9, SlowFast's). */
  minBoxScore?: number;
  batchSize?: number;
  threads?: number;
  /** cpu (default), cuda or cuda:N. */
  device?: string;
  parallelism?: number;
  log?: (line: string) => void;
}

export interface DetectEvalResult {
  out: string;
  predictions: string;
  mAP: number;
  metrics: Record<string, unknown>;
}

async function writePredictions(file: string, detections: readonly AvaDetection[]): Promise<void> {
  const w = createWriteStream(file);
  for (const d of detections) if (!w.write(`${predictionRow(d)}\n`)) await once(w, 'drain');
  w.end();
  await once(w, 'finish');
}

export async function runDetectEval(o: DetectEvalJob): Promise<DetectEvalResult> {
  setNumThreads(o.threads ?? availableParallelism());
  const log = o.log ?? (() => undefined);
  const isDir = existsSync(o.model) && statSync(o.model).isDirectory();
  const file = isDir ? join(o.model, 'detector.safetensors') : o.model;
  if (!existsSync(file)) throw new Error(`no detector checkpoint at ${file} (the output folder of detect train, or its detector.safetensors)`);
  const out = o.out ?? join(isDir ? o.model : join(file, '..'), 'eval');
  const device = resolveDevice(o.device ?? 'cpu');
  const { model, meta } = loadActionDetector(file);
  model.to(device);
  const labelMap = await readAvaLabelMap(o.labelMap);
  const unknown = [...labelMap.keys()].filter((c) => !meta.classes.includes(c));
  if (unknown.length) console.warn(`cvrl: detect eval: the detector has no output for class(es) ${unknown.join(', ')} of ${o.labelMap}; their AP will be 0`);
  const set = await openAvaKeyframes({
    videos: o.videos, annotations: o.annotations, labelMap, exclusions: o.exclusions, personBoxes: o.personBoxes, minBoxScore: o.minBoxScore,
  });
  // The detector's classes, not the map's, index its outputs.
  const detSet = { ...set, classes: meta.classes };
  log(`detect eval: ${set.keyframes.length} keyframes, ${set.keyframes.reduce((s, k) => s + k.boxes.length, 0)} boxes (${set.boxSource})`);
  const t0 = performance.now();
  const p = await predictDetections(model, detSet, { ...meta.clip, batchSize: o.batchSize, parallelism: o.parallelism });
  const [groundTruth, excluded] = await Promise.all([
    readAvaAnnotations(o.annotations, { classes: labelMap }),
    o.exclusions ? readAvaExclusions(o.exclusions) : new Set<string>(),
  ]);
  // Ground truth of missing or unreadable videos stays: like the official evaluator, it counts as missed.
  const score = scoreAva({ groundTruth, detections: p.detections, labelMap, excluded });
  mkdirSync(out, { recursive: true });
  const predictions = join(out, 'predictions.csv');
  await writePredictions(predictions, p.detections);
  const metrics = {
    command: 'detect eval', model: file,
    data: { videos: o.videos, annotations: o.annotations, labelMap: o.labelMap, exclusions: o.exclusions ?? null, personBoxes: o.personBoxes ?? null },
    boxSource: set.boxSource, minBoxScore: o.personBoxes ? o.minBoxScore ?? 0.9 : null, clip: meta.clip,
    ...scoreJson(score),
    classNames: Object.fromEntries([...labelMap].map(([id, name]) => [String(id), name])),
    positives: Object.fromEntries([...score.positives].map(([id, n]) => [String(id), n])),
    keyframes: p.keyframes, boxes: p.boxes, detections: p.detections.length,
    skipped: { ...set.skipped, badVideos: p.badVideos, unusableKeyframes: p.skippedKeyframes },
    seconds: (performance.now() - t0) / 1000, predictions,
  };
  const table = scoreTable(score, labelMap);
  writeEvalOutput(out, metrics, `# Action detection (frame-level AP at IoU 0.5, percent)\n\n\`\`\`\n${table}\n\`\`\`\n`);
  log(`\n${table}`);
  return { out, predictions, mAP: score.mAP, metrics };
}
