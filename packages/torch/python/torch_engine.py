"""PyTorch as a backprop engine, through the engine protocol (backprop_engine.serve).

    python3 torch_engine.py [--dtype float64|float32] [--threads N]

Gradients come from autograd of the batch's MEAN cost; δ^l = ∂C_x/∂z^l from z^l.retain_grad(),
times m (autograd of the mean gives δ/m for each example's row). Steps are torch.optim.SGD
(momentum and weight decay its own; decay on the weights only, through a parameter group);
an epoch is the engine's own loop over torch.randperm with a seeded torch.Generator, run in the
parts the host asks for (start_step, steps: the protocol's train-epoch-range), the same shuffle
each time, so a resumed epoch takes the steps of an uninterrupted one.
"""

import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

try:
    import backprop_engine
except ImportError:  # beside @backprop/protocol's python/ folder, or on PYTHONPATH
    raise SystemExit("torch_engine.py needs backprop_engine.py on PYTHONPATH (it ships in @backprop/protocol/python)")

DTYPE = torch.float64

ACTIVATIONS = {"sigmoid": torch.sigmoid, "relu": torch.relu, "identity": lambda z: z}


class TorchNetwork:
    def __init__(self, spec, weights, biases):
        self.activation = ACTIVATIONS[spec["activation"]]
        self.cost = spec["cost"]
        self.set_params(weights, biases)

    def set_params(self, weights, biases):
        self.W = [torch.tensor(w, dtype=DTYPE, requires_grad=True) for w in weights]
        self.b = [torch.tensor(b, dtype=DTYPE, requires_grad=True) for b in biases]
        self.optimizer = None  # momentum starts again from zero
        self.settings = None

    def get_params(self):
        return [w.detach().numpy() for w in self.W], [b.detach().numpy() for b in self.b]

    def _forward(self, x):
        a = torch.tensor(x, dtype=DTYPE)
        zs, activations = [], [a]
        for l, (W, b) in enumerate(zip(self.W, self.b), start=1):
            z = F.linear(a, W, b)  # z = a Wᵀ + b, one example per row
            a = torch.softmax(z, dim=1) if l == len(self.W) and self.cost == "cross-entropy" else self.activation(z)
            zs.append(z)
            activations.append(a)
        return zs, activations

    def _cost(self, a, z, y):
        if self.cost == "quadratic":
            return 0.5 * ((a - y) ** 2).sum(dim=1).mean()
        if self.cost == "squared-error":
            return ((a - y) ** 2).sum(dim=1).mean()
        return -(y * torch.log_softmax(z, dim=1)).sum(dim=1).mean()

    def forward(self, x):
        with torch.no_grad():
            zs, activations = self._forward(x)
        return [z.numpy() for z in zs], [a.numpy() for a in activations]

    def backprop(self, x, y):
        y = torch.tensor(y, dtype=DTYPE)
        m = y.shape[0]
        for p in self.W + self.b:
            p.grad = None
        zs, activations = self._forward(x)
        for z in zs:
            z.retain_grad()
        cost = self._cost(activations[-1], zs[-1], y)
        cost.backward()
        return {
            "cost": cost.item(),
            "grad_w": [W.grad.numpy() for W in self.W],
            "grad_b": [b.grad.numpy() for b in self.b],
            "zs": [z.detach().numpy() for z in zs],
            "activations": [a.detach().numpy() for a in activations],
            "deltas": [(z.grad * m).numpy() for z in zs],  # ∂(mean C)/∂z = δ/m per row
        }

    def step(self, x, y, eta, momentum=0.0, weight_decay=0.0):
        settings = (eta, momentum, weight_decay)
        if self.optimizer is None:
            self.optimizer = torch.optim.SGD(
                [{"params": self.W, "weight_decay": weight_decay}, {"params": self.b, "weight_decay": 0.0}],
                lr=eta,
                momentum=momentum,
            )
        elif settings != self.settings:  # the same optimizer (and momentum buffers), new settings
            for group in self.optimizer.param_groups:
                group["lr"] = eta
                group["momentum"] = momentum
            self.optimizer.param_groups[0]["weight_decay"] = weight_decay
        self.settings = settings
        y = torch.tensor(y, dtype=DTYPE)
        self.optimizer.zero_grad()
        zs, activations = self._forward(x)
        cost = self._cost(activations[-1], zs[-1], y)
        cost.backward()
        self.optimizer.step()
        return cost.item()

    def train_epoch(self, x, y, batch_size, seed, eta, momentum=0.0, weight_decay=0.0, last_batch="keep", start_step=0, steps=None):
        generator = torch.Generator().manual_seed(seed)
        order = torch.randperm(len(x), generator=generator).numpy()
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
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BACKPROP_TORCH_THREADS", "1")),
                        help="torch.set_num_threads (default 1: these networks are small)")
    args = parser.parse_args()
    DTYPE = torch.float64 if args.dtype == "float64" else torch.float32
    torch.set_num_threads(args.threads)
    backprop_engine.serve(
        TorchNetwork,
        name="torch" if args.dtype == "float64" else "torch-float32",
        version=f"{torch.__version__} (NumPy {np.__version__}, Python {sys.version.split()[0]})",
        dtype=args.dtype,
        device="cpu",
        capabilities=["forward", "deltas", "gradients", "step", "momentum", "weight-decay", "train-epoch"],
    )
