"""Reference for bench/decode.ts: PyAV decode + torch transforms.

Usage: decode_ref.py FILE CLIPS THREADS MODE SEED RECIPE [STARTS.json]
  CLIPS   clips to time (in pairs mode the first CLIPS starts of STARTS.json)
  MODE    decode (clips of 16 frames at stride 2, 112x112), augment (CVRL-style batches of 8) or
          pairs (decode, two clips per video as CVRL samples them: STARTS.json lists the starts,
          pair by pair; the pytorchvideo recipe decodes each clip by its own call, as
          EncodedVideo.get_clip does)
  RECIPE  pytorchvideo: PyTorchVideo's EncodedVideoPyAV and transforms. Seek 1024 pts before the
          clip, decode, convert every frame whose pts lies in [start, end] to full-size RGB
          (frame.to_rgb().to_ndarray()), float, UniformTemporalSubsample, then resize (decode) or
          RandomResizedCrop and the colour transforms (augment) in torch.
          tuned: stronger than that recipe. Only the wanted frames are converted, and PyAV's
          swscale scales them to the output size (112x112, or 128x171 before augmenting) with the
          area filter ours uses as it converts them; in pairs mode, clips at most a second apart
          share one decoding pass.
THREADS > 1 uses worker processes, as PyTorch's DataLoader does. They are started and warmed up
before the clock starts, and they keep their clips, so no transfer cost is counted.
Prints one JSON object: clips per second (decode) or batches of 8 per second (augment)."""
import json
import math
import multiprocessing
import sys
import time

import av
import numpy as np
import torch
import torch.nn.functional as F
import torchvision.transforms as T

path, clips, threads, mode, seed, recipe = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), sys.argv[6]
if mode not in ('decode', 'augment', 'pairs') or recipe not in ('pytorchvideo', 'tuned'):
    sys.exit(f'decode_ref.py: bad MODE {mode!r} or RECIPE {recipe!r}')
torch.set_num_threads(1)
FRAMES, STRIDE, SIZE = 16, 2, 112

with av.open(path) as c:
    s = c.streams.video[0]
    n_frames = s.frames or sum(1 for _ in c.demux(s))
if mode == 'pairs':
    with open(sys.argv[7]) as f:
        starts = json.load(f)[:clips]
else:
    starts = np.random.default_rng(seed).integers(0, max(1, n_frames - (FRAMES - 1) * STRIDE), size=clips).tolist()


def open_video():
    c = av.open(path)
    s = c.streams.video[0]
    s.codec_context.thread_count = 1
    return c, s, float(s.average_rate), float(s.time_base), s.start_time or 0


def decode_pytorchvideo(start):
    """EncodedVideoPyAV.get_clip + UniformTemporalSubsample: float [3, 16, H, W] in 0..255."""
    c, s, fps, tb, t0 = open_video()
    with c:
        start_pts = t0 + math.ceil(start / fps / tb)
        end_pts = t0 + math.ceil((start + FRAMES * STRIDE) / fps / tb)
        c.seek(max(start_pts - 1024, 0), any_frame=False, backward=True, stream=s)
        window = {}
        for f in c.decode(s):
            if f.pts is None:
                continue
            if f.pts > end_pts:
                break
            if f.pts >= start_pts:
                window[f.pts] = f
        frames = [torch.from_numpy(window[p].to_rgb().to_ndarray()) for p in sorted(window)]
    # get_clip keeps pts < end; the [start, end] window above is what it decodes and converts.
    frames = [f for p, f in zip(sorted(window), frames) if p < end_pts]
    video = torch.stack(frames).permute(3, 0, 1, 2).to(torch.float32)  # thwc_to_cthw
    idx = torch.linspace(0, video.shape[1] - 1, FRAMES).clamp(0, video.shape[1] - 1).long()
    return torch.index_select(video, 1, idx)


def decode_tuned(clip_starts, size):
    """Clips that share one forward pass from the keyframe before the first: only the wanted frames are
    converted, scaled with the area filter (as ours). Returns [3, T, H, W] uint8 per clip."""
    c, s, fps, tb, t0 = open_video()
    with c:
        first = min(clip_starts)
        c.seek(t0 + int(first / fps / tb), stream=s, backward=True, any_frame=False)
        wanted = {i for st in clip_starts for i in range(st, st + FRAMES * STRIDE, STRIDE)}
        got = {}
        for f in c.decode(s):
            idx = int(round((f.pts - t0) * tb * fps)) if f.pts is not None else None
            if idx is None or idx < first:
                continue
            if idx in wanted:
                got[idx] = f.to_ndarray(format='rgb24', height=size[0], width=size[1], interpolation='AREA')
            if len(got) == len(wanted) or idx >= max(wanted):
                break
    blank = np.zeros((size[0], size[1], 3), np.uint8)
    out = []
    for st in clip_starts:
        frames, last = [], blank
        for i in range(st, st + FRAMES * STRIDE, STRIDE):
            last = got.get(i, last)
            frames.append(last)
        out.append(torch.from_numpy(np.stack(frames)).permute(3, 0, 1, 2))
    return out


def decode_tuned_pair(a, b):
    """Both clips of a video in one pass when they start at most a clip plus 25 frames (a second here) apart, else one seek each."""
    if abs(a - b) <= FRAMES * STRIDE + 25:
        return decode_tuned([a, b], (SIZE, SIZE))
    return decode_tuned([a], (SIZE, SIZE)) + decode_tuned([b], (SIZE, SIZE))


view = T.Compose([
    T.RandomResizedCrop(SIZE, scale=(0.3, 1.0), ratio=(0.5, 2.0)),
    T.RandomHorizontalFlip(),
    T.RandomApply([T.ColorJitter(0.8, 0.8, 0.8, 0.2)], p=0.8),
    T.RandomGrayscale(p=0.2),
    T.GaussianBlur(11, sigma=(0.1, 2.0)),
])
mean = torch.tensor([0.45, 0.45, 0.45]).view(1, 3, 1, 1)
std = torch.tensor([0.225, 0.225, 0.225]).view(1, 3, 1, 1)


def clip(start):
    if mode != 'augment':
        if recipe == 'tuned':
            return decode_tuned([start], (SIZE, SIZE))[0]
        return F.interpolate(decode_pytorchvideo(start), size=(SIZE, SIZE), mode='bilinear', align_corners=False)
    x = decode_tuned([start], (128, 171))[0].float() if recipe == 'tuned' else decode_pytorchvideo(start)
    x = x.div(255).permute(1, 0, 2, 3)  # [T, 3, H, W]: one parameter draw for the whole clip
    x = (view(x) - mean) / std
    return x.permute(1, 0, 2, 3)


def task(chunk):
    """One clip (decode), the two clips of one video (pairs) or one collated batch of 8 (augment), as a DataLoader worker makes them."""
    out = decode_tuned_pair(*chunk) if mode == 'pairs' and recipe == 'tuned' else [clip(s) for s in chunk]
    return tuple(torch.stack(out).shape)


per_chunk = {'decode': 1, 'pairs': 2, 'augment': 8}[mode]
chunks = [starts[i:i + per_chunk] for i in range(0, len(starts) - per_chunk + 1, per_chunk)]
if threads == 1:
    t0 = time.perf_counter()
    results = [task(ch) for ch in chunks]
else:
    with multiprocessing.get_context('fork').Pool(threads) as pool:
        pool.map(task, chunks[:1] * threads, chunksize=1)  # warm-up: imports, codecs, first allocations
        t0 = time.perf_counter()
        results = pool.map(task, chunks, chunksize=1)
elapsed = time.perf_counter() - t0
rate = len(chunks) * (2 if mode == 'pairs' else 1) / elapsed
print(json.dumps({'impl': f'pyav+torch ({recipe})', 'mode': mode, 'threads': threads, 'clips': len(starts), 'seconds': round(elapsed, 3),
                  ('batches_per_s' if mode == 'augment' else 'clips_per_s'): round(rate, 2)}))
