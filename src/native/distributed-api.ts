/** The addon's c10d functions (native/ops_distributed.cc); part of NativeAddon. */
import { type Handle as H } from './addon.js';

/** Opaque handle to a c10d process group (a rendezvous store plus a Gloo or NCCL group). */
export interface GroupHandle {
  readonly __nativeProcessGroup: unique symbol;
}

export interface NativeDistributed {
  /** Gloo's CPU groups were built in (c10d with Gloo's headers). */
  distributedAvailable: boolean;
  /** NCCL's GPU groups were built in (a CUDA libtorch with ProcessGroupNCCL). */
  ncclAvailable: boolean;
  /** cudaDevice set: NCCL on that GPU; else Gloo on CPU. Every collective runs on the group's own thread. */
  initProcessGroup(rank: number, worldSize: number, masterAddr: string, masterPort: number, timeoutMs: number, storeFile?: string, cudaDevice?: number): Promise<GroupHandle>;
  allReduce(g: GroupHandle, ts: H[]): Promise<void>;
  allReduceSumSync(g: GroupHandle, t: H): H;
  broadcast(g: GroupHandle, ts: H[], root: number): Promise<void>;
  allGather(g: GroupHandle, t: H): Promise<H>;
  barrier(g: GroupHandle): Promise<void>;
  destroyProcessGroup(g: GroupHandle): void;
}
