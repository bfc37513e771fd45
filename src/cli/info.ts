/** `cvrl info [--json]`: libtorch version, threads, CUDA and build facts. */
import type { Command } from 'commander';
import { info, setNumThreads } from '../torch/runtime.js';
import { native } from '../native/addon.js';
import { positiveInt } from './parse.js';
import { packageVersion } from '../util/package-root.js';

export interface InfoReport {
  cvrlVersion: string;
  node: string;
  libtorchVersion: string;
  threads: number;
  interopThreads: number;
  cuda: { available: boolean; deviceCount: number; compiled: boolean };
  /** This CPU has bfloat16 convolutions (what `--precision bf16` and `auto` need). */
  bf16Convolutions: boolean;
  distributed: { gloo: boolean; nccl: boolean };
  build: { mkldnn: boolean; oneDnnLayers: boolean; openmp: boolean; mkl: boolean; cxx11Abi: boolean; jemalloc: boolean; config: string; parallel: string };
}

export function infoReport(): InfoReport {
  const i = info();
  return {
    cvrlVersion: packageVersion(),
    node: process.version,
    libtorchVersion: i.libtorchVersion,
    threads: i.threads,
    interopThreads: i.interopThreads,
    cuda: { available: i.cudaAvailable, deviceCount: i.cudaDeviceCount, compiled: i.cudaCompiled },
    bf16Convolutions: i.bf16Convolutions,
    distributed: { gloo: native.distributedAvailable, nccl: native.ncclAvailable },
    build: {
      mkldnn: i.mkldnn, oneDnnLayers: i.oneDnnLayers, openmp: i.openmp, mkl: i.mkl, cxx11Abi: i.cxx11Abi,
      jemalloc: (process.env.LD_PRELOAD ?? '').includes('jemalloc'),
      config: i.buildConfig.trim(), parallel: i.parallelInfo.trim(),
    },
  };
}

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('report the libtorch version, threads, CUDA availability and build flags')
    .option('--json', 'print one JSON object')
    .option('--threads <n>', 'set the intra-op thread count first', positiveInt('--threads'))
    .action((o: { json?: boolean; threads?: number }) => {
      if (o.threads !== undefined) setNumThreads(o.threads);
      const r = infoReport();
      if (o.json) {
        console.log(JSON.stringify(r));
        return;
      }
      console.log(`cvrl ${r.cvrlVersion} on Node ${r.node}`);
      console.log(`libtorch ${r.libtorchVersion}: ${r.threads} intra-op / ${r.interopThreads} inter-op threads`);
      console.log(`CUDA: ${r.cuda.available ? `${r.cuda.deviceCount} device(s)` : r.cuda.compiled ? 'compiled, no device' : 'not available'}`);
      console.log(`bfloat16 convolutions on this CPU: ${r.bf16Convolutions ? 'yes' : 'no (oneDNN has them from AVX-512 on)'}`);
      console.log(`process groups: Gloo ${r.distributed.gloo ? 'yes' : 'no'}, NCCL ${r.distributed.nccl ? 'yes' : 'no'}`);
      console.log(`mkldnn ${r.build.mkldnn}, channels-last oneDNN layers ${r.build.oneDnnLayers}, openmp ${r.build.openmp}, mkl ${r.build.mkl}, jemalloc ${r.build.jemalloc}`);
    });
}
