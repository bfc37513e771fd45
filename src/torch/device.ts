/**
 * Where tensors and models live: 'cpu', 'cuda' (this process's GPU: LOCAL_RANK's in a distributed
 * run, else the first) or 'cuda:N'. A CUDA device needs an addon built against a CUDA libtorch;
 * Debian's libtorch-dev is CPU-only, so on that build every CUDA request names what is missing.
 */
import { native } from '../native/addon.js';
import { type Tensor } from './tensor.js';

/** Checks `spec` ('cpu' | 'cuda' | 'cuda:N') against this build and machine; returns the concrete device. */
export function resolveDevice(spec: string, localRank = 0): string {
  const m = /^(cpu|cuda)(?::(\d+))?$/.exec(spec.trim());
  if (!m || (m[1] === 'cpu' && m[2] !== undefined)) throw new Error(`device must be cpu, cuda or cuda:N, got '${spec}'`);
  if (m[1] === 'cpu') return 'cpu';
  const i = native.info();
  if (!i.cudaCompiled) {
    throw new Error(`device '${spec}': this cvrl addon was built against a libtorch without CUDA (Debian's libtorch-dev is CPU-only); `
      + 'rebuild it against a CUDA libtorch: LIBTORCH=/path/to/libtorch (or a CUDA PyTorch install\'s torch/ directory) npm run build:native');
  }
  if (!i.cudaAvailable || i.cudaDeviceCount === 0) {
    throw new Error(`device '${spec}': this addon has CUDA but no GPU is visible (driver missing or CUDA_VISIBLE_DEVICES=${process.env.CUDA_VISIBLE_DEVICES ?? 'unset'})`);
  }
  const index = m[2] !== undefined ? Number(m[2]) : localRank;
  if (index >= i.cudaDeviceCount) {
    const why = m[2] !== undefined ? '' : ` (LOCAL_RANK ${localRank}: one GPU per process on this machine)`;
    throw new Error(`device '${spec}': cuda:${index} does not exist, this machine shows ${i.cudaDeviceCount} GPU(s)${why}`);
  }
  return `cuda:${index}`;
}

/** Waits until the GPU has run everything queued so far (a no-op for the CPU): for timings. */
export function synchronize(device: string): void {
  if (device !== 'cpu') native.cudaSynchronize();
}

/** The CUDA device index of a resolved device, or undefined for the CPU. */
export function cudaIndex(device: string): number | undefined {
  return device.startsWith('cuda:') ? Number(device.slice(5)) : undefined;
}

/**
 * CPU tensors (a loader's batch) moved to `device`, the originals disposed: through page-locked
 * memory with non-blocking copies on a GPU, so the transfer queues behind the running step instead
 * of waiting for it. Tensors already on `device` are returned as they are.
 */
export function toDeviceBatch(ts: Tensor[], device: string): Tensor[] {
  return ts.map((t) => {
    if (t.device === device) return t;
    const pinned = t.pinMemory();
    t.dispose();
    try {
      return pinned.to(device, { nonBlocking: true });
    } finally {
      pinned.dispose(); // the caching host allocator keeps the block until the copy has finished
    }
  });
}
