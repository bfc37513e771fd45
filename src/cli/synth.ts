/** `cvrl synth`: writes a synthetic motion-defined video dataset with its annotation files. */
import type { Command } from 'commander';
import { synthesizeDataset, MOTION_CLASSES } from '../video/synth.js';
import { DATASET_FORMATS, type DatasetFormat } from '../video/dataset.js';
import { type VideoCodec } from '../video/io.js';
import { positiveInt } from './parse.js';

export function registerSynth(program: Command): void {
  program
    .command('synth')
    .description(`render a dataset whose classes differ only in motion (${MOTION_CLASSES.join(', ')})`)
    .requiredOption('--out <dir>', 'output folder (the data root)')
    .option('--format <fmt>', `layout and annotation files: ${DATASET_FORMATS.join('|')}`, 'ucf101')
    .option('--classes <n>', `number of motion classes (2-${MOTION_CLASSES.length})`, positiveInt('--classes'), 6)
    .option('--videos-per-class <n>', 'videos per class', positiveInt('--videos-per-class'), 12)
    .option('--frames <n>', 'frames per video', positiveInt('--frames'), 40)
    .option('--size <n>', 'frame side in pixels (even)', positiveInt('--size'), 64)
    .option('--fps <n>', 'frame rate', positiveInt('--fps'), 25)
    .option('--codec <c>', 'h264|mpeg4|mjpeg|vp9 (default: mpeg4 .avi for ucf101/hmdb51, h264 .mp4 otherwise)')
    .option('--seed <n>', 'random seed', (v) => Number.parseInt(v, 10), 0)
    .action(async (o: { out: string; format: string; classes: number; videosPerClass: number; frames: number; size: number; fps: number; codec?: string; seed: number }) => {
      if (!DATASET_FORMATS.includes(o.format as DatasetFormat)) throw new Error(`--format must be one of ${DATASET_FORMATS.join(', ')}, got '${o.format}'`);
      if (o.codec && !['h264', 'mpeg4', 'mjpeg', 'vp9'].includes(o.codec)) throw new Error(`--codec must be h264, mpeg4, mjpeg or vp9, got '${o.codec}'`);
      const tty = process.stderr.isTTY;
      const r = await synthesizeDataset({
        ...o, format: o.format as DatasetFormat, codec: o.codec as VideoCodec | undefined,
        onVideo: (done, total) => {
          if (tty) process.stderr.write(`\rsynth: ${done}/${total} videos`);
          else if (done === total || done % 50 === 0) console.error(`synth: ${done}/${total} videos`);
        },
      });
      if (tty) process.stderr.write('\n');
      console.log(`wrote ${r.videos} videos of ${r.classes.length} classes to ${o.out} (annotations: ${r.annotations})`);
    });
}
