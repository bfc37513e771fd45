"""PyTorch's side of the all-reduce case (bench/run.ts): torch.distributed's Gloo all_reduce (SUM)
between 2 local processes, rendezvous through a file, one flat float32 tensor per size, 1 warm-up
and 3 timed repetitions, as bench/allreduce.ts times cvrl's (which packs 60 tensors per size).
argv: megafloats... Prints {"worldSize", "results": [{"megafloats", "ms"}]} from rank 0."""
import json
import os
import sys
import tempfile
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def worker(rank, world, store, sizes, queue):
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world)
    torch.set_num_threads(1)
    results = []
    for mf in sizes:
        t = torch.ones(round(mf * 1e6))
        dist.all_reduce(t)
        t0 = time.perf_counter()
        for _ in range(3):
            dist.all_reduce(t)
        results.append({"megafloats": mf, "ms": round((time.perf_counter() - t0) / 3 * 1000)})
    dist.barrier()
    dist.destroy_process_group()
    if rank == 0:
        queue.put(results)


if __name__ == "__main__":
    sizes = [float(a) for a in sys.argv[1:]] or [1, 8, 33]
    store = os.path.join(tempfile.mkdtemp(), "store")
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(r, 2, store, sizes, queue)) for r in range(2)]
    for p in procs:
        p.start()
    results = queue.get(timeout=600)
    for p in procs:
        p.join()
    print(json.dumps({"worldSize": 2, "results": results}))
