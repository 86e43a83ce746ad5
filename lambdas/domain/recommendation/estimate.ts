// The estimation model behind the recommender: how much memory a workload needs, how many
// floating-point operations it performs, and what fraction of a GPU's peak it sustains. Every
// constant is an assumption a reviewer can check; sources are listed here and in
// docs/recommendation.md.
//
// Hardware figures come from the catalogue (config), which follows the NVIDIA datasheets:
//  - H200 SXM: 141 GB HBM3e, 4.8 TB/s; dense FP64 Tensor 67, TF32 494, BF16/FP16 989, FP8 1,979 TFLOPS
//    (the datasheet's 989/1,979/3,958 figures for TF32/BF16/FP8 are with 2:4 sparsity; we use half).
//  - B200 (HGX B200, per GPU): 192 GB HBM3e (180 GB usable per GPU in HGX); dense FP64 37, TF32 1,100,
//    BF16 2,250, FP8 4,500 TFLOPS (HGX B200 datasheet figures divided by 8 GPUs and by 2 for sparsity).
//  - GH200 Grace Hopper Superchip: 96 GB HBM3 (4 TB/s) plus up to 480 GB LPDDR5X (up to 512 GB/s) that
//    the GPU reaches coherently over NVLink-C2C (900 GB/s); Hopper tensor rates as for H100/H200.
import type { Resource } from '../catalogue';
import type { InterconnectNeed, Precision, WorkloadProfile } from './schema';

export const ASSUMPTIONS = {
  /** Share of HBM a job can use: the rest goes to the CUDA context, NCCL buffers and fragmentation. */
  usableHbmFraction: 0.9,
  /** Below this share of usable HBM a fit has headroom; above it the memory score falls (to 0.7 at 100%). */
  comfortableHbmUtilisation: 0.85,
  /** With no deadline, the GPU count is chosen so the compute finishes within this many hours (30 days). */
  planningHorizonHours: 720,
  /** Share of GH200's coherent LPDDR5X a job can use (the Grace CPU and OS keep the rest). */
  usableCoherentFraction: 0.9,
  /**
   * Mixed-precision training with Adam keeps 16 bytes per parameter: 16-bit weights (2) and
   * gradients (2), an fp32 master copy (4) and two fp32 Adam moments (8) (Rajbhandari et al. 2020,
   * ZeRO, sec. 3.1: "16 Psi"). Sharded across all GPUs (ZeRO-3 / FSDP), it divides by the GPU count.
   * fp64 training doubles everything (32 bytes).
   */
  trainingStateBytesPerParam: 16,
  /**
   * Activations and temporary buffers with activation checkpointing (Korthikanti et al. 2022), as a
   * planning allowance per parameter: it takes the total to the 18 bytes/param rule of thumb.
   */
  trainingActivationBytesPerParam: 2,
  /** The part of the training state that can live off-GPU (ZeRO-Offload, Ren et al. 2021): fp32 master weights and Adam moments. */
  trainingOffloadableBytesPerParam: 12,
  /** LoRA/adapters (Hu et al. 2021): frozen base weights in the working precision plus this much per parameter for adapters, their optimizer state and activations. */
  loraExtraBytesPerParam: 0.5,
  /** QLoRA (Dettmers et al. 2023): 4-bit NF4 base weights. */
  qloraBaseBytesPerParam: 0.5,
  /** Inference: weights plus 10% for activations, the runtime and the CUDA graph pool. */
  inferenceWeightOverhead: 1.1,
  /**
   * KV cache bytes per token at 16-bit, fitted to Llama 3 8B (131,072 B/token: 32 layers x 8 KV
   * heads x 128 x 2 x 2 B) and 70B (327,680 B/token: 80 layers): 9.1 x parameters^0.42. Grouped-query
   * attention is assumed; a model without it needs several times more (see docs).
   */
  kvCacheBytesPerTokenCoefficient: 9.1,
  kvCacheBytesPerTokenExponent: 0.42,
  defaultContextLength: 4096,
  defaultConcurrentSequences: 16,
  /**
   * Model FLOPs utilisation (PaLM's MFU, Chowdhery et al. 2022): useful FLOPs / peak FLOPs.
   * Training at 16-bit: 0.40, within the 38-43% Meta reports for Llama 3 405B in BF16 on H100
   * (Dubey et al. 2024, table 4). FP8 training realises ~1.4x the BF16 throughput rather than 2x,
   * so 0.28 of the FP8 peak. Inference: 0.25 (batched decode is bound by memory bandwidth).
   */
  mfu: { training: 0.4, trainingFp8: 0.28, inference: 0.25, inferenceFp8: 0.18 },
  /** HPC codes sustain far less than peak: 0.2 by default (HPL reaches ~0.7; stencil and CFD codes ~0.05-0.3). */
  hpcEfficiency: 0.2,
  /** Throughput kept when part of the state lives in GH200's LPDDR5X (NVLink-C2C 900 GB/s vs HBM3 4 TB/s). */
  offloadThroughputFactor: 0.75,
  /** Network bandwidth per GPU a multi-node job needs to scale without loss, by interconnect need (Gbit/s). */
  requiredGbpsPerGpu: { none: 0, moderate: 100, high: 400 } satisfies Record<InterconnectNeed, number>,
  /** Throughput lost, at most, when a multi-node job has none of the bandwidth it needs (linear in the shortfall). */
  maxInterconnectLoss: 0.5,
  /** Sustained bandwidth of one bulk transfer between the two sites, Gbit/s (a planning figure; see docs). */
  interSiteGbps: 10,
  /** Score kept by a resource away from the data before transfer time is counted (staging, a second copy, access approval). */
  remoteDataFactor: 0.8,
  /** Weights of the criteria in the total score; they sum to 1. */
  weights: { memory: 0.2, compute: 0.2, cost: 0.2, dataLocality: 0.15, queue: 0.15, capacity: 0.1 },
} as const;

export type Assumptions = typeof ASSUMPTIONS;

export const BYTES_PER_VALUE: Record<Precision, number> = { fp64: 8, tf32: 4, bf16: 2, fp16: 2, fp8: 1 };

/** Which peak the precision runs at: fp16 and bf16 share the 16-bit tensor rate on Hopper and Blackwell. */
export function peakTflops(resource: Resource, precision: Precision): number {
  switch (precision) {
    case 'fp64':
      return resource.peakTflops.fp64;
    case 'tf32':
      return resource.peakTflops.tf32;
    case 'bf16':
    case 'fp16':
      return resource.peakTflops.bf16;
    case 'fp8':
      return resource.peakTflops.fp8;
  }
}

export interface WorkloadDemand {
  /** Floating-point operations of the whole workload. */
  flops: number;
  /** Fraction of peak sustained. */
  utilisation: number;
  /** Memory the workload needs in total, GB, before it is split across GPUs. */
  memoryGB: number;
  /** Of which may live in coherent CPU memory (GH200) at lower bandwidth, GB. */
  offloadableGB: number;
  /** The per-GPU figure the user stated, which replaces memoryGB / GPUs. */
  memoryPerGpuOverrideGB?: number;
  /** How memory and compute were estimated, in words. */
  basis: string[];
}

/** FLOPs, utilisation and memory of a workload, independent of where it runs. */
export function workloadDemand(profile: WorkloadProfile): WorkloadDemand {
  const A = ASSUMPTIONS;
  const bytes = BYTES_PER_VALUE[profile.precision];
  const fp8 = profile.precision === 'fp8';
  const fp64 = profile.precision === 'fp64';
  const demand = ((): WorkloadDemand => {
    const training = (parameters: number, tokens: number, method: 'full' | 'lora' | 'qlora'): WorkloadDemand => {
      const scale = fp64 ? 2 : 1;
      if (method === 'full') {
        const perParam = (A.trainingStateBytesPerParam + A.trainingActivationBytesPerParam) * scale;
        return {
          flops: 6 * parameters * tokens,
          utilisation: fp8 ? A.mfu.trainingFp8 : A.mfu.training,
          memoryGB: (parameters * perParam) / 1e9,
          offloadableGB: (parameters * A.trainingOffloadableBytesPerParam * scale) / 1e9,
          basis: [
            `compute 6 x ${fmtCount(parameters)} parameters x ${fmtCount(tokens)} tokens = ${fmtFlops(6 * parameters * tokens)} (Kaplan et al. 2020)`,
            `memory ${perParam} bytes/parameter (weights, gradients, fp32 master and Adam moments, activations), sharded across GPUs`,
          ],
        };
      }
      const base = method === 'qlora' ? A.qloraBaseBytesPerParam : bytes;
      const perParam = base + A.loraExtraBytesPerParam;
      return {
        // The frozen base still runs forward and propagates activation gradients, but computes no
        // weight gradients: about 4 of the 6 FLOPs per parameter and token.
        flops: 4 * parameters * tokens,
        utilisation: fp8 ? A.mfu.trainingFp8 : A.mfu.training,
        memoryGB: (parameters * perParam) / 1e9,
        offloadableGB: 0,
        basis: [
          `compute 4 x ${fmtCount(parameters)} parameters x ${fmtCount(tokens)} tokens = ${fmtFlops(4 * parameters * tokens)} (${method}: no weight gradients for the frozen base)`,
          `memory ${perParam} bytes/parameter (${method === 'qlora' ? '4-bit' : profile.precision} frozen base plus adapters)`,
        ],
      };
    };
    const campaign = (totalPflop: number, workingSetGB: number | undefined, efficiency: number | undefined): WorkloadDemand => ({
      flops: totalPflop * 1e15,
      utilisation: efficiency ?? A.hpcEfficiency,
      memoryGB: workingSetGB ?? 0,
      // Unified memory lets an oversubscribed working set spill to GH200's LPDDR5X.
      offloadableGB: workingSetGB ?? 0,
      basis: [
        `compute ${fmtCount(totalPflop)} PFLOP at ${Math.round((efficiency ?? A.hpcEfficiency) * 100)}% of the ${profile.precision} peak`,
        workingSetGB === undefined ? 'memory not stated' : `memory ${fmtCount(workingSetGB)} GB working set across all GPUs`,
      ],
    });
    switch (profile.workload) {
      case 'pretraining':
        return training(profile.parameters, profile.trainingTokens, 'full');
      case 'fine-tuning':
        return training(profile.parameters, profile.trainingTokens, profile.method ?? 'full');
      case 'inference': {
        const context = profile.contextLength ?? A.defaultContextLength;
        const sequences = profile.concurrentSequences ?? A.defaultConcurrentSequences;
        const kvBytesPerToken = A.kvCacheBytesPerTokenCoefficient * profile.parameters ** A.kvCacheBytesPerTokenExponent * (fp8 ? 0.5 : 1);
        const kvGB = (kvBytesPerToken * context * sequences) / 1e9;
        const weightsGB = (profile.parameters * bytes * A.inferenceWeightOverhead) / 1e9;
        return {
          flops: 2 * profile.parameters * profile.inferenceTokens,
          utilisation: fp8 ? A.mfu.inferenceFp8 : A.mfu.inference,
          memoryGB: weightsGB + kvGB,
          // A serving engine can swap KV blocks to CPU memory (vLLM's swap space, Kwon et al. 2023).
          offloadableGB: kvGB,
          basis: [
            `compute 2 x ${fmtCount(profile.parameters)} parameters x ${fmtCount(profile.inferenceTokens)} tokens = ${fmtFlops(2 * profile.parameters * profile.inferenceTokens)} (Kaplan et al. 2020)`,
            `memory ${fmtGB(weightsGB)} weights (${bytes} bytes/parameter + 10%) and ${fmtGB(kvGB)} KV cache (${sequences} x ${context} tokens)`,
          ],
        };
      }
      case 'hpc-simulation':
        return campaign(profile.totalPflop, profile.workingSetGB, profile.efficiency);
      case 'ai-for-science': {
        const parts: WorkloadDemand[] = [];
        if (profile.parameters !== undefined && profile.trainingTokens !== undefined) parts.push(training(profile.parameters, profile.trainingTokens, 'full'));
        if (profile.totalPflop !== undefined) parts.push(campaign(profile.totalPflop, profile.workingSetGB, profile.efficiency));
        // Both: the phases run one after the other on the same allocation; time adds up, memory is the larger phase's.
        if (parts.length === 1) return parts[0];
        const [t, c] = parts;
        const seconds = (d: WorkloadDemand) => d.flops / d.utilisation;
        return {
          flops: t.flops + c.flops,
          utilisation: (t.flops + c.flops) / (seconds(t) + seconds(c)),
          memoryGB: Math.max(t.memoryGB, c.memoryGB),
          offloadableGB: t.memoryGB >= c.memoryGB ? t.offloadableGB : c.offloadableGB,
          basis: [...t.basis, ...c.basis, 'the training and compute phases run one after the other'],
        };
      }
    }
  })();
  if (profile.memoryPerGpuGB !== undefined) {
    demand.memoryPerGpuOverrideGB = profile.memoryPerGpuGB;
    demand.basis = [...demand.basis, `memory per GPU stated as ${fmtGB(profile.memoryPerGpuGB)}`];
  }
  return demand;
}

export type MemoryFit = { fits: true; offloadGBPerGpu: number; needPerGpuGB: number; hbmUsableGB: number; utilisation: number } | { fits: false; needPerGpuGB: number; hbmUsableGB: number; coherentUsableGB: number; reason: string };

/** Whether the workload's memory fits on `gpus` GPUs of `resource`, spilling to coherent memory where it can. */
export function memoryFit(resource: Resource, demand: WorkloadDemand, gpus: number): MemoryFit {
  const A = ASSUMPTIONS;
  const hbm = resource.gpuMemoryGB * A.usableHbmFraction;
  const coherent = (resource.coherentCpuMemoryGB ?? 0) * A.usableCoherentFraction;
  const need = demand.memoryPerGpuOverrideGB ?? demand.memoryGB / gpus;
  const offloadable = demand.memoryPerGpuOverrideGB ?? demand.offloadableGB / gpus;
  if (need <= hbm) return { fits: true, offloadGBPerGpu: 0, needPerGpuGB: need, hbmUsableGB: hbm, utilisation: hbm > 0 ? need / hbm : 0 };
  const spill = need - hbm;
  if (coherent > 0 && spill <= Math.min(offloadable, coherent)) {
    return { fits: true, offloadGBPerGpu: spill, needPerGpuGB: need, hbmUsableGB: hbm, utilisation: 1 };
  }
  return {
    fits: false,
    needPerGpuGB: need,
    hbmUsableGB: hbm,
    coherentUsableGB: coherent,
    reason:
      coherent > 0
        ? `needs ${fmtGB(need)} per GPU on ${gpus} GPUs; ${fmtGB(hbm)} of HBM usable, and only ${fmtGB(Math.min(offloadable, coherent))} of the rest can live in coherent memory`
        : `needs ${fmtGB(need)} per GPU on ${gpus} GPUs; ${fmtGB(hbm)} of HBM usable`,
  };
}

/** Throughput lost by a multi-node job whose network is slower than its interconnect need. */
export function interconnectEfficiency(resource: Resource, nodes: number, need: InterconnectNeed): number {
  if (nodes <= 1) return 1;
  const required = ASSUMPTIONS.requiredGbpsPerGpu[need];
  if (required <= 0) return 1;
  const perGpu = resource.interconnectGbps / resource.gpusPerNode;
  const shortfall = Math.max(0, 1 - perGpu / required);
  return 1 - ASSUMPTIONS.maxInterconnectLoss * shortfall;
}

export function fmtGB(gb: number): string {
  return gb >= 1000 ? `${round(gb / 1000, 2)} TB` : `${round(gb, 1)} GB`;
}

export function fmtCount(x: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [v, u] of units) if (x >= v) return `${round(x / v, 2)}${u}`;
  return String(round(x, 2));
}

export function fmtFlops(x: number): string {
  if (x >= 1e21) return `${round(x / 1e21, 3)} ZFLOP`;
  if (x >= 1e18) return `${round(x / 1e18, 3)} EFLOP`;
  return `${round(x / 1e15, 3)} PFLOP`;
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
