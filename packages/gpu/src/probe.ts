// Whether an ONNX Runtime provider really starts: a tiny graph run once and its answer checked.
// Runtime-neutral (onnxruntime-node and onnxruntime-web), so no Node-only imports.
import type { Availability } from '@backprop/core';
import { GraphBuilder } from './onnx/builder.js';
import { type OnnxRuntime, type Provider, runtimeLabel } from './ort.js';

/** A tiny graph (z = Wx + b, a = σ(z)) run once to prove that a provider really starts. */
function probeModel(): Uint8Array {
  const g = new GraphBuilder('probe');
  const x = g.input('x', 'float32', [1, 2]);
  const W = g.constant('W', 'float32', [2, 2], [1, 2, 3, 4]);
  const b = g.constant('b', 'float32', [2], [0.5, -0.5]);
  g.output(
    'a',
    g.op('Sigmoid', [g.op('Gemm', [x, W, b], 'probe/z', { transB: 1 })], 'probe/a'),
    'float32',
    [1, 2],
  );
  return g.encode();
}

/** The first line of an ONNX Runtime error, without the source location and condition it prefixes to a failed check. */
export function ortMessage(e: unknown): string {
  const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
  return msg.replace(/^\/onnxruntime_src\/.* was false\. /, '');
}

/**
 * Create a session on `provider` of `runtime`, run the probe graph and check its answer: available
 * (with the runtime's name and version) when σ(Wx + b) came out right; otherwise one line saying
 * what went wrong, ending with `howToEnable`.
 */
export async function probeRuntime(
  runtime: OnnxRuntime,
  provider: Provider,
  howToEnable: string,
): Promise<Availability> {
  const label = runtimeLabel(runtime);
  if (!runtime.providers.includes(provider))
    return {
      available: false,
      reason: `${label} has no ${provider} execution provider (it has ${runtime.providers.join(', ')}); ${howToEnable}`,
    };
  try {
    const s = await runtime.createSession(probeModel(), provider, {}, 'probe');
    const out = await s.run({ x: new runtime.ort.Tensor('float32', Float32Array.of(1, -1), [1, 2]) });
    await s.release();
    const a = out.a!.data as Float32Array;
    const expected = [1 / (1 + Math.exp(-(1 - 2 + 0.5))), 1 / (1 + Math.exp(-(3 - 4 - 0.5)))];
    if (Math.abs(a[0]! - expected[0]!) > 1e-5 || Math.abs(a[1]! - expected[1]!) > 1e-5)
      return {
        available: false,
        reason: `the probe graph ran on ${label} (${provider}) but computed [${Array.from(a)}] instead of [${expected}]`,
      };
    return { available: true, device: provider, version: label };
  } catch (e) {
    return {
      available: false,
      reason: `cannot create a session on the ${provider} execution provider of ${label} (${ortMessage(e)}); ${howToEnable}`,
    };
  }
}
