/**
 * cvrl: self-supervised video representation learning (CVRL) for TypeScript and Node.js.
 *
 * @example
 * ```ts
 * import { torch, nn, optim } from 'cvrl';
 * const net = new nn.Sequential(new nn.Conv3d(3, 8, 3), new nn.ReLU());
 * const y = torch.tidy(() => net.forward(torch.randn([1, 3, 8, 32, 32])).mean());
 * ```
 */
export * as torch from './torch/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as models from './models/index.js';
export * as video from './video/index.js';
export { createModel } from './models/registry.js';
export { Tensor } from './torch/tensor.js';
export { Module } from './nn/module.js';
export { renderReport, writeReport, ReportError, type ReportOptions, type Report } from './report/index.js';
