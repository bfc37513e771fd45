// Files that must fail fast and alone: FIFOs and stalled reads (case 2 of issue 14), playlists,
// URLs and non-video containers (case 5), and symbolic links (case 11: followed, errors name the target).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { mkdirSync, openSync, closeSync, symlinkSync, writeFileSync, constants } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { probeVideo, decodeClips, openDataset, VideoLoader, type VideoDataset } from '../../src/video/index.js';
import { makeVideo } from '../helpers/videos.js';
import { tempDir } from '../helpers/python.js';
import { ffmpeg, ffmpegAvailable } from '../helpers/ffmpeg-cli.js';

const dir = tempDir('cvrl-robust-');

function mkfifo(path: string): boolean {
  return spawnSync('mkfifo', [path]).status === 0;
}

/**
 * Settles `p` within `ms` or fails. A FIFO read blocked in open(2) would hold a libuv thread (and
 * this test process) forever: opening the FIFO's write end then releases it.
 */
async function within<T>(p: Promise<T>, ms: number, fifo?: string): Promise<PromiseSettledResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), ms); });
  const r = await Promise.race([p.then((value) => ({ status: 'fulfilled', value }) as const, (reason) => ({ status: 'rejected', reason }) as const), late]);
  clearTimeout(timer);
  if (r === 'late') {
    if (fifo) closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    await p.catch(() => undefined);
    assert.fail(`still pending after ${ms} ms`);
  }
  return r;
}

function rejected<T>(r: PromiseSettledResult<T>, what: string): Error {
  if (r.status === 'fulfilled') assert.fail(`${what}: resolved, expected an error`);
  return r.reason as Error;
}

test('a FIFO named .mp4 is refused at once with an error naming it (probe, decode, loader), never blocks', async (t) => {
  const fifo = join(dir, 'fifo.mp4');
  if (!mkfifo(fifo)) return t.skip('mkfifo is not available');
  for (const [what, call] of [['probe', () => probeVideo(fifo)], ['decode', () => decodeClips(fifo, { starts: [0], frames: 2, stride: 1 })]] as const) {
    const t0 = performance.now();
    const e = rejected(await within<unknown>(call(), 3000, fifo), what);
    assert.ok(e.message.startsWith(fifo) && /is a FIFO, not a regular file/.test(e.message), `${what}: ${e.message}`);
    assert.ok(performance.now() - t0 < 2000, `${what} took ${performance.now() - t0} ms`);
  }
  // The loader reports it as a bad file and goes on with the others.
  const root = join(dir, 'fifo-data');
  mkdirSync(root);
  for (let i = 0; i < 3; i++) await makeVideo(root, `v${i}.mp4`, { frames: 12 });
  const pipe = join(root, 'pipe.mp4');
  mkfifo(pipe);
  const ds = openDataset({ data: root, format: 'folder' });
  assert.ok(ds.items.some((i) => i.path === pipe), 'the folder dataset lists the FIFO (it has a video extension)');
  const bad: [string, string][] = [];
  const loader = new VideoLoader({ dataset: ds, mode: 'train', batchSize: 2, frames: 4, stride: 1, size: 24, parallelism: 2, onBadVideo: (p, r) => bad.push([p, r]) });
  const epoch = (async () => {
    let n = 0;
    for await (const b of loader) {
      b.views.forEach((v) => v.dispose());
      n++;
    }
    return n;
  })();
  const r = await within(epoch, 20000, pipe);
  assert.equal(r.status, 'fulfilled');
  assert.equal((r as PromiseFulfilledResult<number>).value, 2);
  assert.deepEqual(bad.map(([p]) => p), [pipe]);
  assert.match(bad[0][1], /is a FIFO/);
});

test('every call has a deadline (timeoutMs): a decode that takes longer fails as timed out, not retried', async () => {
  // Many small frames: indexing alone takes well over a millisecond.
  const path = await makeVideo(dir, 'long.mp4', { frames: 2000, height: 32, width: 32, gop: 250 });
  const p = rejected(await within(probeVideo(path, { timeoutMs: 1 }), 10000), 'probe');
  assert.ok(p.message.startsWith(path) && /timed out after 1 ms/.test(p.message), p.message);
  const e = rejected(await within(decodeClips(path, { starts: [0], frames: 2000, stride: 1, seek: false, timeoutMs: 1 }), 10000), 'decode');
  assert.ok(e.message.startsWith(path) && /timed out after 1 ms/.test(e.message), e.message);
  assert.doesNotMatch(e.message, /retry from the start/);
  const ok = await decodeClips(path, { starts: [0, 1500], frames: 8, stride: 1, timeoutMs: 60000 });
  ok.frames.dispose();
});

async function listen(): Promise<{ server: Server; port: number; connections: () => number }> {
  let n = 0;
  const server = createServer((s) => { n++; s.destroy(); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, port, connections: () => n };
}

test('playlists, URLs and non-video containers are refused without any network access', async () => {
  const { server, port, connections } = await listen();
  try {
    const playlist = `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nhttp://127.0.0.1:${port}/x.ts\n#EXT-X-ENDLIST\n`;
    for (const name of ['playlist.mp4', 'playlist.m3u8']) {
      const p = join(dir, name);
      writeFileSync(p, playlist);
      // One call at a time: a second promise made up front could reject before anything awaits it.
      for (const call of [() => probeVideo(p), () => decodeClips(p, { starts: [0], frames: 2, stride: 1 })]) {
        const e = rejected(await within<unknown>(call(), 10000), name);
        assert.ok(e.message.startsWith(p) && /is a playlist \(#EXTM3U\), not a video file/.test(e.message), e.message);
      }
    }
    // A URL is a file name like any other: there is no such local file.
    const url = `http://127.0.0.1:${port}/x.mp4`;
    const e = rejected(await within(probeVideo(url), 10000), url);
    assert.match(e.message, /No such file/);
    if (ffmpegAvailable()) {
      const png = join(dir, 'image.mp4');
      ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=64x48', '-frames:v', '1', '-c:v', 'png', '-f', 'image2pipe', png]);
      await assert.rejects(probeVideo(png), /image\.mp4: container '\w+' is not a video container that can be read \(mp4\/mov/);
    }
    assert.equal(connections(), 0, 'nothing connected to the loopback server');
  } finally {
    server.close();
  }
});

test('symbolic links are followed, inside the data root or out of it; errors name the target', async (t) => {
  const root = join(dir, 'links');
  const outside = join(dir, 'elsewhere');
  mkdirSync(join(root, 'walk'), { recursive: true });
  mkdirSync(join(outside, 'cls'), { recursive: true });
  const target = await makeVideo(outside, 'real.mp4', { frames: 10 });
  await makeVideo(join(outside, 'cls'), 'inner.mp4', { frames: 10 });
  await makeVideo(join(root, 'walk'), 'own.mp4', { frames: 10 });
  symlinkSync(target, join(root, 'walk', 'linked.mp4'));
  symlinkSync(join(outside, 'cls'), join(root, 'linkdir'));
  symlinkSync(root, join(root, 'walk', 'loop'));
  const linked = join(root, 'walk', 'linked.mp4');
  const info = await probeVideo(linked);
  assert.equal(info.frames, 10);
  const d = await decodeClips(linked, { starts: [0], frames: 2, stride: 1 });
  d.frames.dispose();
  // A folder dataset walks linked files and directories (the loop back to the root only once).
  const ds = openDataset({ data: root, format: 'folder' });
  assert.deepEqual(ds.items.map((i) => i.path.slice(root.length + 1)).sort(), ['linkdir/inner.mp4', 'walk/linked.mp4', 'walk/own.mp4']);
  assert.deepEqual(ds.classes, ['linkdir', 'walk']);
  // A broken link names where it points.
  const broken = join(root, 'broken.mp4');
  symlinkSync(join(outside, 'gone.mp4'), broken);
  const e = rejected(await within(probeVideo(broken), 10000), 'broken link');
  assert.ok(e.message.startsWith(broken) && e.message.includes(`symbolic link to '${join(outside, 'gone.mp4')}' cannot be followed (No such file`), e.message);
  // A link to something unreadable: the error shows both names.
  writeFileSync(join(outside, 'text.txt'), 'not a video\n'.repeat(10));
  symlinkSync(join(outside, 'text.txt'), join(root, 'text.mp4'));
  await assert.rejects(probeVideo(join(root, 'text.mp4')), (err: Error) => err.message.startsWith(`${join(root, 'text.mp4')} (-> ${join(outside, 'text.txt')}): `));
  const fifo = join(outside, 'fifo');
  if (!mkfifo(fifo)) return t.skip('mkfifo is not available');
  symlinkSync(fifo, join(root, 'fifo.mp4'));
  const f = rejected(await within(probeVideo(join(root, 'fifo.mp4')), 3000, fifo), 'link to a FIFO');
  assert.ok(f.message.startsWith(`${join(root, 'fifo.mp4')} (-> ${fifo}): is a FIFO`), f.message);
});

test('the loader reports a dataset mixing every kind of bad file once each, and keeps full batches', async () => {
  const root = join(dir, 'mixed');
  mkdirSync(root);
  const good = await Promise.all([0, 1, 2, 3].map((i) => makeVideo(root, `good${i}.mp4`, { frames: 12 })));
  const bad = ['zero.mp4', 'text.mp4', 'playlist.mp4', 'broken.mp4'].map((n) => join(root, n));
  writeFileSync(bad[0], '');
  writeFileSync(bad[1], 'hello\n');
  writeFileSync(bad[2], '#EXTM3U\n#EXTINF:1,\nhttp://127.0.0.1:1/x.ts\n');
  symlinkSync(join(root, 'nowhere.mp4'), bad[3]);
  const ds: VideoDataset = { root, format: 'folder', classes: [], items: [...good, ...bad].map((path) => ({ path, label: -1 })) };
  const seen: string[] = [];
  const loader = new VideoLoader({ dataset: ds, mode: 'train', batchSize: 2, frames: 4, stride: 1, size: 24, onBadVideo: (p) => seen.push(p) });
  for await (const b of loader) {
    assert.equal(b.views[0].size(0), 2);
    b.views.forEach((v) => v.dispose());
  }
  assert.deepEqual(seen.sort(), [...bad].sort());
});
