/**
 * Collective communication between processes: PyTorch's c10d process groups (Gloo on CPU, NCCL on CUDA) reached
 * through the addon. Every collective returns a promise and runs on the group's own thread (not
 * libuv's pool, which decodes video), so the event loop stays free (signals, timers, the data
 * loader) while a rank waits for its peers, and a peer that dies or stalls surfaces as a rejected
 * promise after `timeoutMs` instead of a frozen process. Await each call before the next: all ranks
 * must issue the same collectives in the same order (the usual c10d contract).
 */
import { native, type GroupHandle } from '../native/addon.js';
import { Tensor, wrap } from './tensor.js';

export interface ProcessGroupOptions {
  /** This process's index, 0..worldSize-1. Rank 0 hosts the TCPStore rendezvous server (unless storeFile). */
  rank: number;
  worldSize: number;
  /** Address of rank 0's machine (torchrun's MASTER_ADDR). */
  masterAddr: string;
  /** Free TCP port on rank 0's machine (torchrun's MASTER_PORT). */
  masterPort: number;
  /** Rendezvous and per-collective timeout (default 30 minutes, as in PyTorch). */
  timeoutMs?: number;
  /**
   * Rendezvous through this file (c10d's FileStore) instead of a TCPStore: for ranks on one machine,
   * so that nothing listens on the network. It must not exist yet, in a directory only this user
   * can write; every rank passes the same path. masterAddr still picks Gloo's network device.
   */
  storeFile?: string;
  /** Use NCCL on this GPU (LOCAL_RANK's, as a rule) instead of Gloo on the CPU. */
  cudaDevice?: number;
}

/** True when the addon was built with c10d/Gloo (Debian: libgloo-dev installed at build time). */
export function distributedAvailable(): boolean {
  return native.distributedAvailable;
}

export class ProcessGroup {
  #handle: GroupHandle | null;
  private constructor(handle: GroupHandle, readonly rank: number, readonly worldSize: number, readonly device: string) {
    this.#handle = handle;
  }

  /** Rendezvous with the other ranks (blocks until all `worldSize` of them have joined or the timeout passes). */
  static async init(o: ProcessGroupOptions): Promise<ProcessGroup> {
    const h = await native.initProcessGroup(o.rank, o.worldSize, o.masterAddr, o.masterPort, o.timeoutMs ?? 30 * 60 * 1000, o.storeFile, o.cudaDevice);
    return new ProcessGroup(h, o.rank, o.worldSize, o.cudaDevice === undefined ? 'cpu' : `cuda:${o.cudaDevice}`);
  }

  get #h(): GroupHandle {
    if (this.#handle === null) throw new Error('process group used after destroy()');
    return this.#handle;
  }

  /**
   * In place: every tensor becomes the element-wise SUM of that tensor over all ranks. Tensors of
   * one dtype are packed into flat buffers of up to 64 MiB, one collective per buffer. Tensors must
   * be contiguous and not be used by other code until the promise settles.
   */
  async allReduce(tensors: readonly Tensor[]): Promise<void> {
    if (tensors.length === 0) return;
    await native.allReduce(this.#h, tensors.map((t) => t.handle));
  }

  /**
   * The element-wise SUM of `t` over all ranks as a new tensor, with a gradient (whose backward sums
   * the incoming gradients over ranks likewise): for statistics inside a forward pass, such as
   * synchronised BatchNorm. Synchronous: it blocks this thread until every rank has called it.
   */
  sumOverRanks(t: Tensor): Tensor {
    return wrap(native.allReduceSumSync(this.#h, t.handle));
  }

  /** In place: every rank's tensors take `root`'s values (packed into flat buffers like allReduce). */
  async broadcast(tensors: readonly Tensor[], root = 0): Promise<void> {
    if (tensors.length === 0) return;
    await native.broadcast(this.#h, tensors.map((t) => t.handle), root);
  }

  /**
   * The concatenation along dim 0 of every rank's `t`, in rank order: [sum of every rank's dim 0, ...].
   * Dimensions after the first must agree across ranks (checked). The result carries no gradient.
   */
  async allGather(t: Tensor): Promise<Tensor> {
    return wrap(await native.allGather(this.#h, t.handle));
  }

  /** Resolves once every rank has reached the barrier. */
  async barrier(): Promise<void> {
    await native.barrier(this.#h);
  }

  /** Closes the group and its store; idempotent. Rank 0 should destroy last (it hosts the store). */
  destroy(): void {
    if (this.#handle === null) return;
    native.destroyProcessGroup(this.#handle);
    this.#handle = null;
  }
}
