/** Parameter grouping helpers. */
import { Parameter } from '../nn/parameter.js';

/**
 * Splits named parameters into a group with weight decay (conv and linear kernels: 2+ dims) and one
 * without (biases and normalisation parameters), as CVRL and SimCLR configure decay.
 */
export function weightDecayGroups<H>(named: Iterable<[string, Parameter]>, weightDecay: number): { params: Parameter[]; options: Partial<H> & { weightDecay: number } }[] {
  const decay: Parameter[] = [];
  const noDecay: Parameter[] = [];
  for (const [, p] of named) (p.ndim > 1 ? decay : noDecay).push(p);
  const groups = [{ params: decay, options: { weightDecay } as Partial<H> & { weightDecay: number } }];
  if (noDecay.length) groups.push({ params: noDecay, options: { weightDecay: 0 } as Partial<H> & { weightDecay: number } });
  return groups.filter((g) => g.params.length > 0);
}
