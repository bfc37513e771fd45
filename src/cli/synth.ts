/** `cvrl synth`: writes a synthetic motion-defined video dataset with its annotation files. */
import type { Command } from 'commander';
import { synthesizeDataset, MOTION_CLASSES, SCENE_MOTIONS, type SceneMotions } from '../video/synth.js';
import { synthesizeAva, AVA_SYNTH_ACTIONS } from '../video/synth-ava.js';
import { DATASET_FORMATS, type DatasetFormat } from '../video/dataset.js';
import { type VideoCodec } from '../video/io.js';
import { positiveInt, nonNegative, nonNegativeInt, UsageError } from './parse.js';

interface SynthFlags {
  out: string; format: string; scene: string; motions?: string; classes?: number; videosPerClass?: number; frames?: number; size: number; fps: number; codec?: string; seed: number;
  width?: number; height?: number; noise?: number; videos?: number; seconds?: number;
}

export function registerSynth(program: Command): void {
  program
    .command('synth')
    .description(`render a dataset whose classes differ only in motion (simple: ${MOTION_CLASSES.join(', ')}; hard --motions mirror: ${SCENE_MOTIONS.mirror.join(', ')}; hard --motions undirected: ${SCENE_MOTIONS.undirected.join(', ')}; hard --motions vertical: ${SCENE_MOTIONS.vertical.join(', ')})`)
    .requiredOption('--out <dir>', 'output folder (the data root)')
    .option('--format <fmt>', `layout and annotation files: ${DATASET_FORMATS.join('|')}, or ava (person action detection: ${AVA_SYNTH_ACTIONS.join(', ')})`, 'ucf101')
    .option('--scene <s>', 'simple (one object, few shared looks) or hard (one look per group of videos with test groups held out, distractors, camera shake, noise)', 'simple')
    .option('--motions <set>', 'hard: mirror (mirror-pair classes, so flips change labels; default, the demo\'s data), undirected (flip-invariant classes, directions drawn per video) or vertical (up vs down, approaching vs receding, motion profiles; a held-out benchmark)')
    .option('--classes <n>', 'number of motion classes (simple: 2-8, default 6; hard: 2-8, default 8)', positiveInt('--classes'))
    .option('--videos-per-class <n>', 'videos per class (default: simple 12, hard 50)', positiveInt('--videos-per-class'))
    .option('--frames <n>', 'frames per video (default: simple 40; hard 50, each video 1-1.5x that)', positiveInt('--frames'))
    .option('--size <n>', 'simple: frame side in pixels (even)', positiveInt('--size'), 64)
    .option('--width <n>', 'hard, ava: frame width (even; default hard 160, ava 96)', positiveInt('--width'))
    .option('--height <n>', 'hard, ava: frame height (even; default hard 120, ava 72)', positiveInt('--height'))
    .option('--videos <n>', 'ava: videos in all, the last quarter for validation (default 32)', positiveInt('--videos'))
    .option('--seconds <n>', 'ava: seconds per video, keyframes at 1 .. seconds-1 (default 5)', positiveInt('--seconds'))
    .option('--distractors <n>', 'hard: drifting distractor objects per video', nonNegative('--distractors'), 2)
    .option('--shake <px>', 'hard: camera shake amplitude in pixels', nonNegative('--shake'), 2)
    .option('--noise <sigma>', 'hard, ava: pixel noise standard deviation (0-255; default hard 6, ava 3)', nonNegative('--noise'))
    .option('--fps <n>', 'frame rate', positiveInt('--fps'), 25)
    .option('--codec <c>', 'h264|mpeg4|mjpeg|vp9 (default: mpeg4 .avi for ucf101/hmdb51, h264 .mp4 otherwise)')
    .option('--seed <n>', 'random seed', nonNegativeInt('--seed'), 0)
    .action(async (o: SynthFlags) => {
      if (o.scene !== 'simple' && o.scene !== 'hard') throw new UsageError(`--scene must be simple or hard, got '${o.scene}'`);
      if (o.motions !== undefined && !(o.scene === 'hard' && Object.hasOwn(SCENE_MOTIONS, o.motions))) throw new UsageError(`--motions must be ${Object.keys(SCENE_MOTIONS).join(', ')}, with --scene hard; got '${o.motions}' with --scene ${o.scene}`);
      if (o.format !== 'ava' && !DATASET_FORMATS.includes(o.format as DatasetFormat)) throw new UsageError(`--format must be one of ${DATASET_FORMATS.join(', ')} or ava, got '${o.format}'`);
      if (o.codec && !['h264', 'mpeg4', 'mjpeg', 'vp9'].includes(o.codec)) throw new UsageError(`--codec must be h264, mpeg4, mjpeg or vp9, got '${o.codec}'`);
      const tty = process.stderr.isTTY;
      const onVideo = (done: number, total: number) => {
        if (tty) process.stderr.write(`\rsynth: ${done}/${total} videos`);
        else if (done === total || done % 50 === 0) console.error(`synth: ${done}/${total} videos`);
      };
      const codec = o.codec as VideoCodec | undefined;
      if (o.format === 'ava') {
        const r = await synthesizeAva({ ...o, codec, onVideo });
        if (tty) process.stderr.write('\n');
        console.log(`wrote ${r.trainVideos} training and ${r.valVideos} validation videos (${r.keyframes.train} + ${r.keyframes.val} keyframes) to ${r.videos}; annotations: ${r.train}, ${r.val}, ${r.labelMap}, ${r.exclusions}, ${r.personBoxes}`);
        return;
      }
      const r = await synthesizeDataset({ ...o, scene: o.scene as 'simple' | 'hard', motions: o.motions as SceneMotions | undefined, format: o.format as DatasetFormat, codec, onVideo });
      if (tty) process.stderr.write('\n');
      console.log(`wrote ${r.videos} videos of ${r.classes.length} classes to ${o.out} (annotations: ${r.annotations})`);
    });
}
