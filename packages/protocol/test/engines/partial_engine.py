"""A gradients-only engine through backprop_engine: it prints to stdout (the library sends that to
stderr), reports no traces, and fails on purpose for a 1-1 network (an error in user code)."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import backprop_engine  # noqa: E402


class Net:
    def __init__(self, spec, weights, biases):
        print("creating", spec["sizes"])  # must not reach the protocol's stdout
        self.set_params(weights, biases)

    def set_params(self, weights, biases):
        self.w, self.b = [w.copy() for w in weights], [b.copy() for b in biases]

    def get_params(self):
        return self.w, self.b

    def backprop(self, x, y):
        if x.shape[1] == 1:
            return {"cost": 1 / 0}  # ZeroDivisionError, reported to the host with this line
        a = x
        for w, b in zip(self.w, self.b):
            a = a @ w.T + b
        os.write(1, b"raw write to fd 1\n")  # even a C-level write is diverted
        return {"cost": float("nan"), "grad_w": [np.zeros_like(w) for w in self.w], "grad_b": [np.zeros_like(b) for b in self.b]}


backprop_engine.serve(Net, name="partial", version="0.1", capabilities=["gradients"], activations=["identity"])
