"""The NumPy example engine with a train_epoch that takes start_step and steps but gets them wrong,
as argv[1] says: `reseed` shuffles with seed + start_step (another shuffle for each part of the
epoch); `whole` ignores them and runs the whole epoch every time."""
import os
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "python"))
sys.path.insert(0, os.path.join(here, "..", "..", "python", "examples"))
import backprop_engine  # noqa: E402
import numpy_network  # noqa: E402

BUG = sys.argv[1]


class Faulty(numpy_network.Network):
    def train_epoch(self, x, y, batch_size, seed, eta, momentum=0.0, weight_decay=0.0, last_batch="keep",
                    start_step=0, steps=None):
        if BUG == "whole":
            return super().train_epoch(x, y, batch_size, seed, eta, momentum, weight_decay, last_batch)
        order = np.random.default_rng(seed + start_step).permutation(len(x))
        batches = [order[k : k + batch_size] for k in range(0, len(x), batch_size)]
        end = len(batches) if steps is None else start_step + steps
        return batches, [self.step(x[B], y[B], eta, momentum, weight_decay) for B in batches[start_step:end]]


backprop_engine.serve(Faulty, name=f"faulty-{BUG}", version="1", capabilities=["gradients", "step", "momentum", "weight-decay", "train-epoch"])
