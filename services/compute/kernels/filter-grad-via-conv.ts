// Convolution gradients through wasm's own (XNNPACK) Conv2D, for when the native addon is not built: much faster than
// JS loops. dW[kh, kw, ci, co] = sum over n, oh, ow of x[n, oh*sh + kh*dh - pt, ow*sw + kw*dw - pl, ci] * dy[n, oh, ow, co]
// is a convolution of x transposed to [ci, H, W, n] (batch ci, channels n) with dy transposed to [oh, ow, n, co] as
// the filter, strides = the dilations, dilations = the strides, and padding chosen so that the output is
// [ci, kh, kw, co]; one more transpose gives [kh, kw, ci, co].

import { getKernel, type KernelFunc, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { ConvGeometry } from './impl.ts';

function run(backend: BackendWasm, name: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm kernel ${name} is not registered`);
  return (kernel.kernelFunc as KernelFunc)({ inputs, backend, attrs }) as TensorInfo;
}

export function conv2dFilterGradViaConv(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, g: ConvGeometry):
  TensorInfo {
  const temps: TensorInfo[] = [];
  try {
    let xt = run(backend, 'Transpose', { x }, { perm: [3, 1, 2, 0] });
    temps.push(xt);
    // Bottom / right padding that makes the output exactly kh x kw; when negative, crop x instead.
    let pb = (g.kh - 1) * g.dh + (g.oh - 1) * g.sh + 1 - g.h - g.pt;
    let pr = (g.kw - 1) * g.dw + (g.ow - 1) * g.sw + 1 - g.w - g.pl;
    if (pb < 0 || pr < 0) {
      xt = run(backend, 'Slice', { x: xt },
        { begin: [0, 0, 0, 0], size: [g.ci, g.h + Math.min(pb, 0), g.w + Math.min(pr, 0), g.n] });
      temps.push(xt);
      pb = Math.max(pb, 0);
      pr = Math.max(pr, 0);
    }
    const filter = run(backend, 'Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    temps.push(filter);
    const conv = run(backend, 'Conv2D', { x: xt, filter }, {
      strides: [g.dh, g.dw], dilations: [g.sh, g.sw], dataFormat: 'NHWC',
      pad: [[0, 0], [g.pt, pb], [g.pl, pr], [0, 0]] as unknown as NamedAttrMap[string],
    });
    temps.push(conv);
    return run(backend, 'Transpose', { x: conv }, { perm: [1, 2, 0, 3] });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/**
 * Conv2DBackpropInput through wasm's XNNPACK Conv2D (wasm's own kernel for it is a naive loop): dy, upsampled by the
 * strides (zeros between pixels), convolved with the filter rotated by 180 degrees and with in / out channels swapped,
 * dilation as in the forward pass, padding chosen so that the output has x's shape.
 */
export function conv2dInputGradViaConv(backend: BackendWasm, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry):
  TensorInfo {
  const temps: TensorInfo[] = [];
  const keep = (t: TensorInfo) => { temps.push(t); return t; };
  try {
    let up = dy;
    let uh = g.oh, uw = g.ow;
    if (g.sh > 1 || g.sw > 1) {
      uh = (g.oh - 1) * g.sh + 1;
      uw = (g.ow - 1) * g.sw + 1;
      const r = keep(run(backend, 'Reshape', { x: dy }, { shape: [g.n, g.oh, 1, g.ow, 1, g.co] }));
      const p = keep(run(backend, 'PadV2', { x: r }, {
        paddings: [[0, 0], [0, 0], [0, g.sh - 1], [0, 0], [0, g.sw - 1], [0, 0]] as unknown as NamedAttrMap[string],
        constantValue: 0,
      }));
      const f = keep(run(backend, 'Reshape', { x: p }, { shape: [g.n, g.oh * g.sh, g.ow * g.sw, g.co] }));
      up = keep(run(backend, 'Slice', { x: f }, { begin: [0, 0, 0, 0], size: [g.n, uh, uw, g.co] }));
    }
    let top = (g.kh - 1) * g.dh - g.pt, left = (g.kw - 1) * g.dw - g.pl;
    let bottom = g.h - uh + g.pt, right = g.w - uw + g.pl;
    if (top < 0 || left < 0 || bottom < 0 || right < 0) {
      const t0 = Math.max(-top, 0), l0 = Math.max(-left, 0);
      const hh = uh - t0 - Math.max(-bottom, 0), ww = uw - l0 - Math.max(-right, 0);
      up = keep(run(backend, 'Slice', { x: up }, { begin: [0, t0, l0, 0], size: [g.n, hh, ww, g.co] }));
      [top, left, bottom, right] = [Math.max(top, 0), Math.max(left, 0), Math.max(bottom, 0), Math.max(right, 0)];
    }
    const rotated = keep(run(backend, 'Reverse', { x: filter }, { dims: [0, 1] }));
    const swapped = keep(run(backend, 'Transpose', { x: rotated }, { perm: [0, 1, 3, 2] }));
    return run(backend, 'Conv2D', { x: up, filter: swapped }, {
      strides: [1, 1], dilations: [g.dh, g.dw], dataFormat: 'NHWC',
      pad: [[0, 0], [top, bottom], [left, right], [0, 0]] as unknown as NamedAttrMap[string],
    });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}
