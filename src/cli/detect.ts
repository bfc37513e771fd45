/** `cvrl detect score`: frame-level AVA mAP of a prediction CSV against AVA annotations. */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { readAvaAnnotations, readAvaExclusions, readAvaLabelMap, readAvaPredictions } from '../eval/detection/ava-csv.js';
import { scoreAva, type AvaScore } from '../eval/detection/ava-map.js';
import { maxOf } from '../util/array.js';

function countArg(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`--max-per-frame must be an integer >= 0, got '${v}'`);
  return n;
}

const fixed = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(2));

/** Per-class AP, ground-truth count and name, then the mAP line. */
export function scoreTable(s: AvaScore, names: ReadonlyMap<number, string>): string {
  const rows = [...s.perClass].map(([id, ap]) => [String(id), fixed(ap), String(s.positives.get(id) ?? 0), names.get(id) ?? '']);
  const head = ['id', 'AP', 'gt', 'class'];
  const w = [0, 1, 2].map((i) => maxOf(rows.map((r) => r[i].length), head[i].length));
  const line = (r: string[]) => `${r.slice(0, 3).map((c, i) => c.padStart(w[i])).join('  ')}  ${r[3]}`.trimEnd();
  const scored = rows.filter((r) => r[1] !== '-').length;
  return [line(head), ...rows.map(line), `mAP ${fixed(s.mAP)} over ${scored} of ${rows.length} classes (classes without ground truth are left out)`].join('\n');
}

/** The --json shape: percent values, NaN as null. */
export function scoreJson(s: AvaScore): { mAP: number | null; per_class: Record<string, number | null> } {
  const num = (x: number) => (Number.isNaN(x) ? null : x);
  return { mAP: num(s.mAP), per_class: Object.fromEntries([...s.perClass].map(([id, ap]) => [String(id), num(ap)])) };
}

export function registerDetect(program: Command): void {
  const detect = program.command('detect').description('person action detection in the AVA format');
  detect
    .command('score')
    .description('frame-level mAP at IoU 0.5 of AVA-format predictions against AVA annotations (the ActivityNet evaluator\'s rules)')
    .requiredOption('--annotations <csv>', 'ground truth: video_id,timestamp,x1,y1,x2,y2,action_id,person_id')
    .requiredOption('--predictions <csv>', 'detections: video_id,timestamp,x1,y1,x2,y2,action_id,score')
    .requiredOption('--label-map <pbtxt>', 'the evaluated classes, e.g. ava_action_list_v2.2_for_activitynet_2019.pbtxt')
    .option('--exclusions <csv>', 'keyframes left out on both sides: video_id,timestamp')
    .option('--max-per-frame <n>', 'detections kept per keyframe, highest scores first (the official evaluator keeps 50; 0: all)', countArg, 50)
    .option('--json', 'print {"mAP": ..., "per_class": {"<id>": ...}} (percent; null for classes without ground truth)')
    .action(async (o: { annotations: string; predictions: string; labelMap: string; exclusions?: string; maxPerFrame: number; json?: boolean }) => {
      const labelMap = await readAvaLabelMap(o.labelMap);
      const [groundTruth, detections, excluded] = await Promise.all([
        readAvaAnnotations(o.annotations, { classes: labelMap }),
        readAvaPredictions(o.predictions, { classes: labelMap }),
        o.exclusions ? readAvaExclusions(o.exclusions) : new Set<string>(),
      ]);
      const s = scoreAva({ groundTruth, detections, labelMap, excluded, maxDetectionsPerFrame: o.maxPerFrame });
      console.log(o.json ? JSON.stringify(scoreJson(s)) : scoreTable(s, labelMap));
    });
}
