#!/usr/bin/env node
// Prints FFmpeg build settings for binding.gyp: `node scripts/ffmpeg-config.mjs include|libs`.
// Default: the system's shared libraries through pkg-config (Debian's lib*-dev packages).
// CVRL_FFMPEG_PREFIX=/path links a static FFmpeg installed there instead (include/, lib/*.a built
// with --enable-pic), as scripts/gpu-bundle.sh builds for machines without FFmpeg's libraries.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const LIBS = ['libavformat', 'libavcodec', 'libswscale', 'libavutil'];

function settings() {
  const prefix = process.env.CVRL_FFMPEG_PREFIX;
  if (prefix) {
    const archives = [...LIBS, 'libswresample'].map((l) => join(prefix, 'lib', `${l}.a`)).filter(existsSync);
    if (!existsSync(join(prefix, 'include', 'libavformat', 'avformat.h')) || archives.length < LIBS.length) {
      throw new Error(`CVRL_FFMPEG_PREFIX=${prefix}: expected include/libavformat/avformat.h and lib/{${LIBS.join(',')}}.a there`);
    }
    // Hidden, so that FFmpeg's symbols cannot clash with another copy loaded in the same process.
    return { include: [join(prefix, 'include')], libs: ['-Wl,--exclude-libs,ALL', ...archives, '-lm', '-pthread'] };
  }
  const pc = (flag) => execFileSync('pkg-config', [flag, ...LIBS], { encoding: 'utf8' }).trim().split(/\s+/).filter(Boolean);
  return { include: pc('--cflags-only-I').map((f) => f.replace(/^-I/, '')), libs: pc('--libs') };
}

const what = process.argv[2];
const s = settings();
if (what === 'include') console.log(s.include.join(' '));
else if (what === 'libs') console.log(s.libs.join(' '));
else throw new Error(`unknown query ${what}: use include or libs`);
