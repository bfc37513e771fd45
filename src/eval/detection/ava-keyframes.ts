/**
 * The keyframes of an AVA-format set: each annotated (video, timestamp) with its person boxes and
 * their labels, matched to a video file `<video_id>.<ext>` in the videos folder. Boxes are the
 * ground truth (training, or testing on ground-truth boxes) or a person-box CSV's (testing on a
 * detector's boxes). Keyframes of videos without a file and excluded keyframes are left out and
 * counted; each missing video is reported once, naming the annotation file and line of its first row.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { VIDEO_EXTENSIONS } from '../../video/dataset.js';
import { frameKey, readAvaAnnotations, readAvaExclusions, readAvaLabelMap, readAvaPersonBoxes, type AvaLabelMap } from './ava-csv.js';

/** A box on a keyframe: normalised corners, its label-map action ids (empty for a detector's box) and score (1 for ground truth). */
export interface AvaKeyframeBox {
  x1: number; y1: number; x2: number; y2: number;
  labels: number[];
  score: number;
}

export interface AvaKeyframe {
  videoId: string;
  timestamp: number;
  /** The video file. */
  path: string;
  boxes: AvaKeyframeBox[];
  /** `file:line` of the keyframe's first row, for messages. */
  where: string;
}

export interface AvaKeyframeSet {
  keyframes: AvaKeyframe[];
  labelMap: AvaLabelMap;
  /** Label-map ids in file order: column j of a target row is classes[j]. */
  classes: number[];
  /** Where the boxes came from. */
  boxSource: 'ground-truth' | 'person-boxes';
  skipped: { missingVideos: number; missingVideoKeyframes: number; excludedKeyframes: number; lowScoreBoxes: number };
}

export interface AvaKeyframeOptions {
  /** Folder holding the videos, named `<video_id>.<ext>` (e.g. `cvrl synth --format ava`'s OUT/videos). */
  videos: string;
  /** Ground-truth CSV: video_id,timestamp,x1,y1,x2,y2,action_id,person_id. */
  annotations: string;
  /** The action-list pbtxt, or a map already read. */
  labelMap: string | AvaLabelMap;
  /** Excluded keyframes CSV: video_id,timestamp. */
  exclusions?: string;
  /**
   * Test-time boxes: a person-box CSV (video_id,timestamp,x1,y1,x2,y2[,action_id],score) used
   * instead of the ground truth, on the annotated videos only.
   */
  personBoxes?: string;
  /** Person boxes scoring below this are dropped (SlowFast's AVA.DETECTION_SCORE_THRESH: 0.9). */
  minBoxScore?: number;
  /** One message per video without a file (default: a warning on stderr). */
  onSkip?: (message: string) => void;
}

/** video_id -> file for the videos directly in `dir`; with two files of one id, the first by name wins. */
function videoFiles(dir: string): Map<string, string> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`videos folder not found: ${dir}`);
  const files = new Map<string, string>();
  for (const name of readdirSync(dir).sort()) {
    const ext = extname(name);
    if (!VIDEO_EXTENSIONS.has(ext.toLowerCase())) continue;
    const id = name.slice(0, -ext.length);
    if (!files.has(id)) files.set(id, join(dir, name));
  }
  return files;
}

export async function openAvaKeyframes(o: AvaKeyframeOptions): Promise<AvaKeyframeSet> {
  const minScore = o.minBoxScore ?? 0.9;
  if (!(minScore >= 0 && minScore <= 1)) throw new RangeError(`minBoxScore must be in [0, 1], got ${minScore}`);
  const onSkip = o.onSkip ?? ((m: string) => console.warn(`cvrl: ${m}`));
  const labelMap = typeof o.labelMap === 'string' ? await readAvaLabelMap(o.labelMap) : o.labelMap;
  const files = videoFiles(o.videos);
  const [truth, excluded, proposals] = await Promise.all([
    readAvaAnnotations(o.annotations, { classes: labelMap }),
    o.exclusions ? readAvaExclusions(o.exclusions) : new Set<string>(),
    o.personBoxes ? readAvaPersonBoxes(o.personBoxes) : null,
  ]);
  const skipped = { missingVideos: 0, missingVideoKeyframes: 0, excludedKeyframes: 0, lowScoreBoxes: 0 };
  const frames = new Map<string, AvaKeyframe>();
  const missing = new Map<string, { where: string; keyframes: Set<string> }>();
  const add = (videoId: string, timestamp: number, where: string, box: AvaKeyframeBox) => {
    const key = frameKey(videoId, timestamp);
    if (excluded.has(key)) {
      if (!frames.has(key)) frames.set(key, { videoId, timestamp, path: '', boxes: [], where });
      return;
    }
    const path = files.get(videoId);
    if (!path) {
      const m = missing.get(videoId) ?? { where, keyframes: new Set<string>() };
      missing.set(videoId, m);
      m.keyframes.add(key);
      return;
    }
    let kf = frames.get(key);
    if (!kf) frames.set(key, (kf = { videoId, timestamp, path, boxes: [], where }));
    kf.boxes.push(box);
  };
  const annotated = new Set(truth.map((b) => b.videoId));
  if (proposals) {
    for (const p of proposals) {
      // A detector's file may cover more videos than the annotations evaluate.
      if (!annotated.has(p.videoId)) continue;
      if (p.score < minScore) skipped.lowScoreBoxes++;
      else add(p.videoId, p.timestamp, `${o.personBoxes}:${p.line}`, { x1: p.x1, y1: p.y1, x2: p.x2, y2: p.y2, labels: [], score: p.score });
    }
  } else {
    for (const g of truth) add(g.videoId, g.timestamp, `${o.annotations}:${g.line}`, { x1: g.x1, y1: g.y1, x2: g.x2, y2: g.y2, labels: [...g.labels], score: 1 });
  }
  for (const [videoId, m] of missing) {
    skipped.missingVideos++;
    skipped.missingVideoKeyframes += m.keyframes.size;
    onSkip(`${m.where}: no video file for video_id '${videoId}' in ${o.videos}; its ${m.keyframes.size} keyframe(s) are skipped`);
  }
  const keyframes: AvaKeyframe[] = [];
  for (const kf of frames.values()) {
    if (kf.path === '') skipped.excludedKeyframes++;
    else keyframes.push(kf);
  }
  return { keyframes, labelMap, classes: [...labelMap.keys()], boxSource: proposals ? 'person-boxes' : 'ground-truth', skipped };
}

/** Multi-hot targets [boxes x classes] (row-major) of keyframe boxes over the set's classes. */
export function multiHot(boxes: readonly AvaKeyframeBox[], classes: readonly number[]): Float32Array {
  const column = new Map(classes.map((c, j) => [c, j]));
  const out = new Float32Array(boxes.length * classes.length);
  boxes.forEach((b, i) => {
    for (const l of b.labels) {
      const j = column.get(l);
      if (j !== undefined) out[i * classes.length + j] = 1;
    }
  });
  return out;
}
