"""A network written from scratch in NumPy, the way a student following the lesson writes it.

Nielsen's network.py in matrix form: one column per example, each equation one line, with its
clause id (docs/spec.md) beside it. backprop_engine.serve() puts it under the conformance suite:

    backprop conformance --engine "python3 numpy_network.py"

    python3 numpy_network.py --bug bp2   # BP2 without ⊙σ′(z^l): the classic slip; the suite says where

Needs NumPy only (and backprop_engine.py, found beside this folder or on PYTHONPATH).
"""

import argparse
import os
import sys

import numpy as np

try:
    import backprop_engine
except ImportError:  # run from a checkout or the installed package: the library is one folder up
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import backprop_engine

BUG = None  # set by --bug


def sigmoid(z):
    with np.errstate(over="ignore"):  # e^{-z} overflows to inf for z < -709, and σ is then 0
        return 1.0 / (1.0 + np.exp(-z))  # act.sigmoid


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))  # σ′ = σ(1 − σ)


ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(np.float64)),  # act.relu
    "identity": (lambda z: z, lambda z: np.ones_like(z)),
}


def softmax(z):
    e = np.exp(z - z.max(axis=0))  # act.softmax (minus the column maximum: no overflow)
    return e / e.sum(axis=0)


class Network:
    def __init__(self, spec, weights, biases):
        self.sizes = spec["sizes"]
        self.cost = spec["cost"]
        self.act, self.act_prime = ACTIVATIONS[spec["activation"]]
        self.set_params(weights, biases)

    def set_params(self, weights, biases):
        self.weights = [w.copy() for w in weights]  # W^l: n_l × n_{l−1}
        self.biases = [b.reshape(-1, 1).copy() for b in biases]  # b^l: a column
        self.velocity = [np.zeros_like(p) for p in self.weights + self.biases]

    def get_params(self):
        return self.weights, [b.ravel() for b in self.biases]

    def feedforward(self, x):
        """zs and activations of a batch, one column per example."""
        a = x.T  # a^0 = x
        zs, activations = [], [a]
        for l, (w, b) in enumerate(zip(self.weights, self.biases), start=1):
            z = w @ a + b  # fwd.affine: z^l = W^l a^{l−1} + b^l
            a = softmax(z) if l == len(self.weights) and self.cost == "cross-entropy" else self.act(z)  # fwd.act
            zs.append(z)
            activations.append(a)
        return zs, activations

    def total_cost(self, a, y, z):
        if self.cost == "quadratic":
            return 0.5 * np.sum((a - y) ** 2) / y.shape[1]  # cost.quadratic, averaged (cost.mean)
        if self.cost == "squared-error":
            return np.sum((a - y) ** 2) / y.shape[1]  # cost.squared-error
        log_a = z - z.max(axis=0) - np.log(np.sum(np.exp(z - z.max(axis=0)), axis=0))  # ln softmax(z)
        return -np.sum(y * log_a) / y.shape[1]  # cost.cross-entropy

    def cost_derivative(self, a, y):
        return (a - y) if self.cost == "quadratic" else 2 * (a - y)  # ∇_a C_x

    def backprop(self, x, y):
        zs, activations = self.feedforward(x)
        y = y.T
        m = y.shape[1]
        L = len(self.weights)
        deltas = [None] * L
        if self.cost == "cross-entropy":
            deltas[-1] = activations[-1] - y  # bp1 with softmax and cross-entropy
        else:
            deltas[-1] = self.cost_derivative(activations[-1], y) * self.act_prime(zs[-1])  # bp1
        for l in range(2, L + 1):
            if BUG == "bp2":
                deltas[-l] = self.weights[-l + 1].T @ deltas[-l + 1]  # the slip: ⊙σ′(z^l) forgotten
            else:
                deltas[-l] = (self.weights[-l + 1].T @ deltas[-l + 1]) * self.act_prime(zs[-l])  # bp2
        grad_b = [d.sum(axis=1) / m for d in deltas]  # bp3, averaged over the batch (grad.mean)
        grad_w = [d @ a.T / m for d, a in zip(deltas, activations[:-1])]  # bp4, averaged
        return {
            "cost": self.total_cost(activations[-1], y, zs[-1]),
            "grad_w": grad_w,
            "grad_b": grad_b,
            "zs": [z.T for z in zs],
            "activations": [a.T for a in activations],
            "deltas": [d.T for d in deltas],
        }

    def forward(self, x):
        zs, activations = self.feedforward(x)
        return [z.T for z in zs], [a.T for a in activations]

    def step(self, x, y, eta, momentum=0.0, weight_decay=0.0):
        t = self.backprop(x, y)
        params = self.weights + self.biases
        grads = [g + weight_decay * w for g, w in zip(t["grad_w"], self.weights)]  # L2 on weights only
        grads += [g.reshape(-1, 1) for g in t["grad_b"]]
        for p, v, g in zip(params, self.velocity, grads):
            v *= momentum
            v -= eta * g  # v ← μv − η∇C
            p += v  # sgd.step: θ ← θ + v (θ − η∇C without momentum)
        return t["cost"]

    def train_epoch(self, x, y, batch_size, seed, eta, momentum=0.0, weight_decay=0.0, last_batch="keep", start_step=0, steps=None):
        order = np.random.default_rng(seed).permutation(len(x))  # sgd.epoch: a seeded shuffle
        batches = [order[k : k + batch_size] for k in range(0, len(x), batch_size)]
        if last_batch == "drop" and len(batches[-1]) < batch_size:
            batches.pop()
        # The whole shuffle, then only steps start_step … start_step + steps − 1 of it (a resumed
        # or paused epoch: the host asks for consecutive parts, the same seed each time).
        end = len(batches) if steps is None else start_step + steps
        costs = [self.step(x[B], y[B], eta, momentum, weight_decay) for B in batches[start_step:end]]
        return batches, costs


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bug", choices=["bp2"], help="introduce a classic mistake (bp2: BP2 without ⊙σ′)")
    BUG = parser.parse_args().bug
    backprop_engine.serve(
        Network,
        name="numpy-network" if BUG is None else f"numpy-network-bug-{BUG}",
        version="1.0 (NumPy " + np.__version__ + ")",
        dtype="float64",
        device="cpu",
        capabilities=["forward", "deltas", "gradients", "step", "momentum", "weight-decay", "train-epoch"],
    )
