/** `cvrl probe FILE... [--json]`: container, codec, size, fps, frame count, duration, rotation. */
import type { Command } from 'commander';
import { probeVideo } from '../video/io.js';

export function registerProbe(program: Command): void {
  program
    .command('probe')
    .description('describe video files (unreadable files are reported, not fatal)')
    .argument('<files...>', 'video files')
    .option('--json', 'one JSON object per line: path, container, codec, width, height, fps, frames, duration, rotation (or path and error)')
    .action(async (files: string[], o: { json?: boolean }) => {
      let failed = 0;
      for (const path of files) {
        try {
          const i = await probeVideo(path);
          if (o.json) console.log(JSON.stringify(i));
          else console.log(`${path}: ${i.codec} ${i.width}x${i.height} ${i.fps.toFixed(3)} fps, ${i.frames} frames, ${i.duration.toFixed(2)} s (${i.container}${i.rotation ? `, rotated ${i.rotation}` : ''})`);
        } catch (e) {
          failed++;
          const error = (e as Error).message.replace(`${path}: `, '');
          if (o.json) console.log(JSON.stringify({ path, error }));
          else console.log(`${path}: error: ${error}`);
        }
      }
      if (failed) process.exitCode = 1;
    });
}
