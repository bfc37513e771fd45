/** `cvrl detect`: score (frame-level AVA mAP of a prediction CSV against AVA annotations), train and eval (detect-run.ts). */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { readAvaAnnotations, readAvaExclusions, readAvaLabelMap, readAvaPredictions } from '../eval/detection/ava-csv.js';
import { scoreAva } from '../eval/detection/ava-map.js';
import { scoreJson, scoreTable } from '../eval/detection/ava-score-format.js';
import { registerDetectRun } from './detect-run.js';

function countArg(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`--max-per-frame must be an integer >= 0, got '${v}'`);
  return n;
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
  registerDetectRun(detect);
}
