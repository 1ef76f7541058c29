"""The NumPy example engine as a plain protocol-1 engine: its train_epoch takes no start_step and
steps (so no "train-epoch-range"), and with --plain it announces no extension at all (the
training set then travels with every train_epoch, as before load_data)."""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "python"))
sys.path.insert(0, os.path.join(here, "..", "..", "python", "examples"))
import backprop_engine  # noqa: E402
import numpy_network  # noqa: E402


class WholeEpochs(numpy_network.Network):
    def train_epoch(self, x, y, batch_size, seed, eta, momentum=0.0, weight_decay=0.0, last_batch="keep"):
        return super().train_epoch(x, y, batch_size, seed, eta, momentum, weight_decay, last_batch)


backprop_engine.serve(
    WholeEpochs,
    name="whole-epochs",
    version="1",
    capabilities=["forward", "deltas", "gradients", "step", "momentum", "weight-decay", "train-epoch"],
    extensions=[] if "--plain" in sys.argv else None,
)
