// Check your own network, in JavaScript: a network written from scratch (plain arrays, one
// example at a time, as network.py does), exported as a backend for the conformance suite.
//   backprop conformance --load examples/my-network.mjs
//   node examples/my-network.mjs            # the same, through the library: runConformance
// It implements no momentum, weight decay or epoch loop of its own, and says so: the suite
// reports the clauses needing them as "not applicable", never as passed.
import { pathToFileURL } from 'node:url';
import { formatTable, runConformance } from '@backprop/conformance';
import { genericTrainEpoch } from '@backprop/core';

const sigma = { sigmoid: (z) => 1 / (1 + Math.exp(-z)), relu: (z) => Math.max(0, z), identity: (z) => z };
const sigmaPrime = {
  sigmoid: (z) => sigma.sigmoid(z) * (1 - sigma.sigmoid(z)),
  relu: (z) => (z > 0 ? 1 : 0),
  identity: () => 1,
};

class MyNetwork {
  name = 'my-network';
  dtype = 'float64';
  device = 'js';
  capabilities = ['forward', 'deltas', 'gradients', 'step'];

  constructor(spec, params) {
    this.spec = spec;
    this.setParams(params);
  }
  async setParams(p) {
    this.W = p.weights.map((w) => Float64Array.from(w));
    this.b = p.biases.map((b) => Float64Array.from(b));
  }
  async getParams() {
    return {
      weights: this.W.map((w) => Float64Array.from(w)),
      biases: this.b.map((b) => Float64Array.from(b)),
    };
  }

  /** One example: z^l = W^l a^{l−1} + b^l, a^l = σ(z^l) (softmax at the output with cross-entropy). */
  feedforward(x) {
    const { sizes, activation, cost } = this.spec;
    const zs = [];
    const as = [x];
    for (let l = 1; l < sizes.length; l++) {
      const a = as[l - 1];
      const z = this.b[l - 1].map(
        (bj, j) => bj + a.reduce((s, ak, k) => s + this.W[l - 1][j * sizes[l - 1] + k] * ak, 0),
      );
      const last = l === sizes.length - 1 && cost === 'cross-entropy';
      const max = Math.max(...z);
      const e = z.map((v) => Math.exp(v - max));
      const sum = e.reduce((s, v) => s + v, 0);
      zs.push(z);
      as.push(last ? e.map((v) => v / sum) : z.map(sigma[activation]));
    }
    return { zs, as };
  }

  /** One example's cost, δ^l and gradients (the four equations). */
  backpropOne(x, y) {
    const { sizes, activation, cost } = this.spec;
    const L = sizes.length - 1;
    const { zs, as } = this.feedforward(x);
    const aL = as[L];
    const d = new Array(L);
    d[L - 1] =
      cost === 'cross-entropy'
        ? aL.map((a, j) => a - y[j]) // bp1 (softmax with cross-entropy)
        : aL.map(
            (a, j) => (cost === 'quadratic' ? 1 : 2) * (a - y[j]) * sigmaPrime[activation](zs[L - 1][j]),
          ); // bp1
    for (let l = L - 1; l >= 1; l--)
      d[l - 1] = zs[l - 1].map(
        (z, k) =>
          d[l].reduce((s, dj, j) => s + this.W[l][j * sizes[l] + k] * dj, 0) * sigmaPrime[activation](z),
      ); // bp2
    const gw = d.map((dl, i) =>
      Float64Array.from(
        { length: dl.length * sizes[i] },
        (_, jk) => dl[Math.floor(jk / sizes[i])] * as[i][jk % sizes[i]],
      ),
    ); // bp4
    // ln a_j = z_j − ln Σ_k e^{z_k}, from z: −ln a_j itself is ∞ once a_j underflows to 0.
    const zL = zs[L - 1];
    const top = Math.max(...zL);
    const lse = top + Math.log(zL.reduce((s, z) => s + Math.exp(z - top), 0));
    const c =
      cost === 'cross-entropy'
        ? -y.reduce((s, yj, j) => s + (yj === 0 ? 0 : yj * (zL[j] - lse)), 0)
        : (cost === 'quadratic' ? 0.5 : 1) * aL.reduce((s, a, j) => s + (a - y[j]) ** 2, 0);
    return { zs, as, d, gw, gb: d, c }; // bp3: ∂C/∂b = δ
  }

  rows(a, n, m) {
    return Array.from({ length: m }, (_, r) => Array.from(a.subarray(r * n, (r + 1) * n)));
  }

  async forward(x, m) {
    const { sizes } = this.spec;
    const ts = this.rows(x, sizes[0], m).map((xr) => this.feedforward(xr));
    const flat = (k, l) => Float64Array.from(ts.flatMap((t) => Array.from(t[k][l])));
    return {
      zs: sizes.slice(1).map((_, l) => flat('zs', l)),
      activations: sizes.map((_, l) => flat('as', l)),
    };
  }

  async backprop({ size: m, x, y }) {
    const { sizes } = this.spec;
    const L = sizes.length - 1;
    const ys = this.rows(y, sizes[L], m);
    const ts = this.rows(x, sizes[0], m).map((xr, r) => this.backpropOne(xr, ys[r]));
    const flat = (k, l) => Float64Array.from(ts.flatMap((t) => Array.from(t[k][l])));
    const mean = (k, l) =>
      ts.reduce((s, t) => s.map((v, i) => v + t[k][l][i] / m), new Float64Array(ts[0][k][l].length)); // grad.mean
    return {
      cost: ts.reduce((s, t) => s + t.c, 0) / m, // cost.mean
      zs: sizes.slice(1).map((_, l) => flat('zs', l)),
      activations: sizes.map((_, l) => flat('as', l)),
      deltas: sizes.slice(1).map((_, l) => flat('d', l)),
      gradients: {
        weights: sizes.slice(1).map((_, l) => mean('gw', l)),
        biases: sizes.slice(1).map((_, l) => mean('gb', l)),
      },
    };
  }

  async step(batch, { eta, momentum = 0, weightDecay = 0 }) {
    if (momentum !== 0 || weightDecay !== 0) throw new Error('my-network implements plain SGD only');
    const t = await this.backprop(batch);
    for (const [theta, grad] of [
      [this.W, t.gradients.weights],
      [this.b, t.gradients.biases],
    ])
      for (let l = 0; l < theta.length; l++)
        for (let i = 0; i < theta[l].length; i++) theta[l][i] -= eta * grad[l][i]; // sgd.step: θ − η∇C
    return t.cost;
  }

  trainEpoch(data, options) {
    return genericTrainEpoch(this, data, options); // the shared loop (so: no 'train-epoch' capability)
  }

  async dispose() {}
}

/** What `--load` takes: a factory (spec, params) => Backend (a BackendEntry works too). */
export default function myNetwork(spec, params) {
  return new MyNetwork(spec, params);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = await runConformance(myNetwork, { runs: 10 });
  console.log(formatTable([report]));
  process.exitCode = report.passed ? 0 : 1;
}
