import { multiplyByPrime } from './activation.js';
import type { BackpropTrace, Batch } from './backend.js';
import { batchCostGradient, meanCost } from './cost.js';
import { forwardInto, traceOf } from './forward.js';
import type { NetworkSpec, Params } from './spec.js';
import { Workspace } from './workspace.js';

/**
 * The forward pass, then backpropagation as the four equations in matrix form over the
 * mini-batch (rows are examples, Δ^l is size × n_l):
 *
 * - BP1  Δ^L = ∇_A C ⊙ σ′(Z^L)                (cross-entropy + softmax: Δ^L = A^L − Y)
 * - BP2  Δ^l = (Δ^{l+1} W^{l+1}) ⊙ σ′(Z^l)
 * - BP3  ∂C/∂b^l = (1/m) Σ_rows Δ^l
 * - BP4  ∂C/∂W^l = (1/m) (Δ^l)ᵀ A^{l−1}
 *
 * The 1/m is clause `grad.mean`: the batch gradient is the mean of the per-example gradients.
 * Results are left in the workspace (`deltas`, `gradW`, `gradB`); returns the batch's mean cost.
 * With `inputsIndexed` the inputs' non-zero entries are already in `ws` and `batch.x` is not read.
 */
export function backpropInto(
  spec: NetworkSpec,
  params: Params,
  batch: Batch,
  ws: Workspace,
  inputsIndexed = false,
  /**
   * False leaves the gradients as sums over the batch, for a caller that applies grad.mean's
   * 1/m itself in the same pass as the update (the reference's epoch loop).
   */
  mean = true,
): number {
  const { sizes } = spec;
  const L = sizes.length - 1;
  const m = batch.size;
  forwardInto(spec, params, batch.x, m, ws, inputsIndexed);
  const nL = sizes[L]!;
  const cost = meanCost(
    spec.cost,
    ws.as[L]!,
    batch.y,
    m,
    nL,
    spec.cost === 'cross-entropy' ? ws.zs[L - 1] : undefined,
  );

  const dL = ws.deltas[L - 1]!;
  batchCostGradient(spec.cost, ws.as[L]!, batch.y, dL, m * nL); // bp1: ∇_a C
  if (spec.cost !== 'cross-entropy') multiplyByPrime(spec.activation, ws.zs[L - 1]!, ws.as[L]!, dL, m * nL); // bp1: ⊙ σ′(z^L)

  for (let l = L; l >= 1; l--) {
    const n = sizes[l]!;
    const k0 = sizes[l - 1]!;
    const d = ws.deltas[l - 1]!;
    const gW = ws.gradW[l - 1]!;
    const gB = ws.gradB[l - 1]!;
    gW.fill(0);
    gB.fill(0);
    for (let r = 0; r < m; r++) for (let j = 0; j < n; j++) gB[j] = gB[j]! + d[r * n + j]!; // bp3
    if (l === 1) {
      // bp4 over the sparse input rows: a zero input adds nothing to ∂C/∂w_jk. Eight neurons j
      // at a time share each (k, x_k); every ∂C/∂w_jk still sums its rows in order.
      const { nzStart, nzIndex, nzValue } = ws;
      for (let r = 0; r < m; r++) {
        const t0 = nzStart[r]!;
        const t1 = nzStart[r + 1]!;
        const dro = r * n;
        let j = 0;
        for (; j + 7 < n; j += 8) {
          const d0 = d[dro + j]!;
          const d1 = d[dro + j + 1]!;
          const d2 = d[dro + j + 2]!;
          const d3 = d[dro + j + 3]!;
          const d4 = d[dro + j + 4]!;
          const d5 = d[dro + j + 5]!;
          const d6 = d[dro + j + 6]!;
          const d7 = d[dro + j + 7]!;
          const w0 = j * k0;
          for (let t = t0; t < t1; t++) {
            const w = w0 + nzIndex[t]!;
            const v = nzValue[t]!;
            gW[w] += d0 * v; // bp4: ∂C/∂w_jk += δ_j a_k
            gW[w + k0] += d1 * v; // bp4
            gW[w + 2 * k0] += d2 * v; // bp4
            gW[w + 3 * k0] += d3 * v; // bp4
            gW[w + 4 * k0] += d4 * v; // bp4
            gW[w + 5 * k0] += d5 * v; // bp4
            gW[w + 6 * k0] += d6 * v; // bp4
            gW[w + 7 * k0] += d7 * v; // bp4
          }
        }
        for (; j + 3 < n; j += 4) {
          const d0 = d[dro + j]!;
          const d1 = d[dro + j + 1]!;
          const d2 = d[dro + j + 2]!;
          const d3 = d[dro + j + 3]!;
          const w0 = j * k0;
          for (let t = t0; t < t1; t++) {
            const w = w0 + nzIndex[t]!;
            const v = nzValue[t]!;
            gW[w] += d0 * v; // bp4: ∂C/∂w_jk += δ_j a_k
            gW[w + k0] += d1 * v; // bp4
            gW[w + 2 * k0] += d2 * v; // bp4
            gW[w + 3 * k0] += d3 * v; // bp4
          }
        }
        for (; j < n; j++) {
          const dj = d[dro + j]!;
          const w0 = j * k0;
          for (let t = t0; t < t1; t++) gW[w0 + nzIndex[t]!] += dj * nzValue[t]!; // bp4
        }
      }
    } else {
      const a = ws.as[l - 1]!;
      const W = params.weights[l - 1]!;
      const dPrev = ws.deltas[l - 2]!;
      for (let r = 0; r < m; r++) {
        const ao = r * k0;
        const dro = r * n;
        let j = 0;
        for (; j + 3 < n; j += 4) {
          const d0 = d[dro + j]!;
          const d1 = d[dro + j + 1]!;
          const d2 = d[dro + j + 2]!;
          const d3 = d[dro + j + 3]!;
          const w0 = j * k0;
          for (let k = 0; k < k0; k++) {
            const v = a[ao + k]!;
            const w = w0 + k;
            gW[w] += d0 * v; // bp4: ∂C/∂w_jk += δ_j a_k
            gW[w + k0] += d1 * v; // bp4
            gW[w + 2 * k0] += d2 * v; // bp4
            gW[w + 3 * k0] += d3 * v; // bp4
          }
        }
        for (; j < n; j++) {
          const dj = d[dro + j]!;
          const w0 = j * k0;
          for (let k = 0; k < k0; k++) gW[w0 + k] += dj * a[ao + k]!; // bp4
        }
        // bp2: (W^l)ᵀ δ^l for this row: (Δ^{l−1})_rk = Σ_j δ_rj w_jk, each sum over j in order,
        // four k at a time so that four independent sums hide the additions' latency.
        let k = 0;
        for (; k + 3 < k0; k += 4) {
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          for (let jj = 0; jj < n; jj++) {
            const dj = d[dro + jj]!;
            const w = jj * k0 + k;
            s0 += dj * W[w]!; // bp2: (W^l)ᵀ δ^l
            s1 += dj * W[w + 1]!; // bp2
            s2 += dj * W[w + 2]!; // bp2
            s3 += dj * W[w + 3]!; // bp2
          }
          dPrev[ao + k] = s0;
          dPrev[ao + k + 1] = s1;
          dPrev[ao + k + 2] = s2;
          dPrev[ao + k + 3] = s3;
        }
        for (; k < k0; k++) {
          let s = 0;
          for (let jj = 0; jj < n; jj++) s += d[dro + jj]! * W[jj * k0 + k]!; // bp2: (W^l)ᵀ δ^l
          dPrev[ao + k] = s;
        }
      }
      multiplyByPrime(spec.activation, ws.zs[l - 2]!, ws.as[l - 1]!, dPrev, m * k0); // bp2: ⊙ σ′(z^{l−1})
    }
    if (!mean) continue;
    const inv = 1 / m;
    for (let i = 0; i < gW.length; i++) gW[i] = gW[i]! * inv; // grad.mean
    for (let i = 0; i < gB.length; i++) gB[i] = gB[i]! * inv; // grad.mean
  }
  return cost;
}

/** Backpropagation as a pure function: the batch's cost, every z^l, a^l, δ^l and both gradients. */
export function backprop(spec: NetworkSpec, params: Params, batch: Batch): BackpropTrace {
  const ws = new Workspace(spec, batch.size);
  return backpropTrace(spec, params, batch, ws);
}

/** Run {@link backpropInto} in `ws` and copy out a trace the caller may keep. */
export function backpropTrace(spec: NetworkSpec, params: Params, batch: Batch, ws: Workspace): BackpropTrace {
  const cost = backpropInto(spec, params, batch, ws);
  const { sizes } = spec;
  const m = batch.size;
  const fwd = traceOf(spec, batch.x, m, ws);
  const deltas: Float64Array[] = [];
  for (let l = 1; l < sizes.length; l++) deltas.push(ws.deltas[l - 1]!.slice(0, m * sizes[l]!));
  return {
    ...fwd,
    cost,
    deltas,
    gradients: { weights: ws.gradW.map((g) => g.slice()), biases: ws.gradB.map((g) => g.slice()) },
  };
}
