"""Reference for bench/decode.ts: the PyTorchVideo recipe (PyAV decode + torch transforms).

Usage: decode_ref.py FILE CLIPS THREADS MODE (decode|augment) SEED
Prints one JSON object: clips per second (decode) or batches of 8 per second (augment)."""
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import av
import numpy as np
import torch
import torchvision.transforms as T

path, clips, threads, mode, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
torch.set_num_threads(1)
FRAMES, STRIDE = 16, 2

with av.open(path) as c:
    s = c.streams.video[0]
    n_frames = s.frames or sum(1 for _ in c.demux(s))
rng = np.random.default_rng(seed)
starts = rng.integers(0, max(1, n_frames - (FRAMES - 1) * STRIDE), size=clips).tolist()


def decode(start):
    """Seek to the keyframe before the first frame, decode forward, keep every STRIDE-th frame."""
    with av.open(path) as c:
        s = c.streams.video[0]
        s.codec_context.thread_count = 1
        fps = float(s.average_rate)
        tb = float(s.time_base)
        first = start
        c.seek(int(first / fps / tb), stream=s, backward=True, any_frame=False)
        wanted = set(range(first, first + FRAMES * STRIDE, STRIDE))
        out = []
        for f in c.decode(s):
            idx = int(round(f.pts * tb * fps)) if f.pts is not None else None
            if idx is None or idx < first:
                continue
            if idx in wanted:
                size = (112, 112) if mode == 'decode' else (128, 171)
                out.append(f.to_ndarray(format='rgb24', height=size[0], width=size[1]))
            if len(out) == FRAMES or idx >= max(wanted):
                break
        while len(out) < FRAMES:
            out.append(out[-1] if out else np.zeros((112, 112, 3), np.uint8))
        return torch.from_numpy(np.stack(out))


view = T.Compose([
    T.RandomResizedCrop(112, scale=(0.3, 1.0), ratio=(0.5, 2.0)),
    T.RandomHorizontalFlip(),
    T.RandomApply([T.ColorJitter(0.8, 0.8, 0.8, 0.2)], p=0.8),
    T.RandomGrayscale(p=0.2),
    T.GaussianBlur(11, sigma=(0.1, 2.0)),
])
mean = torch.tensor([0.45, 0.45, 0.45]).view(1, 3, 1, 1)
std = torch.tensor([0.225, 0.225, 0.225]).view(1, 3, 1, 1)


def work(start):
    x = decode(start)
    if mode == 'decode':
        return x
    x = x.permute(0, 3, 1, 2).float().div(255)  # [T, 3, H, W], one parameter draw for the clip
    x = (view(x) - mean) / std
    return x.permute(1, 0, 2, 3)


t0 = time.perf_counter()
with ThreadPoolExecutor(threads) as pool:
    results = list(pool.map(work, starts))
if mode == 'augment':
    batches = [torch.stack(results[i:i + 8]) for i in range(0, len(results) - 7, 8)]
elapsed = time.perf_counter() - t0
rate = clips / elapsed if mode == 'decode' else (clips // 8) / elapsed
print(json.dumps({'impl': 'pyav+torch', 'mode': mode, 'threads': threads, 'clips': clips, 'seconds': round(elapsed, 3),
                  ('clips_per_s' if mode == 'decode' else 'batches_per_s'): round(rate, 2)}))
