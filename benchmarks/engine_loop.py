"""One epoch of a protocol engine's own network class, in process: no protocol, no Node.

The engines benchmark (engines.bench.mjs) times the Python engines through the engine protocol,
one request per mini-batch, as the suite reaches them. This script times the same network class
(torch_engine.TorchNetwork, numpy_network.Network) doing the same steps in its own process, so
the table can show how much of an epoch is the engine and how much the transport.

    python3 engine_loop.py --engine torch|numpy [--dtype float32] [--threads N] --dir DIR --round R --params FILE

DIR holds what the benchmark wrote: images.u8 (count x 784 bytes), labels.u8, order-R.u32 (the
round's shuffle, little-endian uint32); FILE is {"sizes", "weights", "biases", "eta",
"batch_size", "scale"} (flat float64 lists; scale: the pixels' feature scale, 1/255). The
mini-batches are consecutive slices of the order, the last one shorter, as in core's
epochBatches. Each step gets its rows as float64 (pixel × scale) and one-hot targets, as a
protocol request would carry them. The parameters after the epoch are written back to FILE, so
the next round goes on from them, as the in-process engines do.
Prints one JSON line: {"seconds": the step loop's wall time, "mean_cost": the mean step cost}.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
sys.path.insert(0, os.path.join(root, "packages", "protocol", "python"))
sys.path.insert(0, os.path.join(root, "packages", "protocol", "python", "examples"))
sys.path.insert(0, os.path.join(root, "packages", "torch", "python"))

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--engine", choices=["torch", "numpy"], required=True)
parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--dir", required=True)
parser.add_argument("--round", type=int, required=True)
parser.add_argument("--params", required=True)
args = parser.parse_args()

with open(args.params) as f:
    p = json.load(f)
sizes = p["sizes"]
weights = [np.array(w, dtype=np.float64).reshape(sizes[l + 1], sizes[l]) for l, w in enumerate(p["weights"])]
biases = [np.array(b, dtype=np.float64) for b in p["biases"]]
spec = {"sizes": sizes, "activation": "sigmoid", "cost": "quadratic"}

if args.engine == "torch":
    import torch
    import torch_engine

    torch_engine.DTYPE = torch.float64 if args.dtype == "float64" else torch.float32
    torch.set_num_threads(args.threads)
    net = torch_engine.TorchNetwork(spec, weights, biases)
else:
    import numpy_network

    net = numpy_network.Network(spec, weights, biases)

images = np.fromfile(os.path.join(args.dir, "images.u8"), dtype=np.uint8).reshape(-1, sizes[0])
labels = np.fromfile(os.path.join(args.dir, "labels.u8"), dtype=np.uint8)
order = np.fromfile(os.path.join(args.dir, f"order-{args.round}.u32"), dtype="<u4")
eye = np.eye(sizes[-1])
B = p["batch_size"]

costs = []
t = time.perf_counter()
for k in range(0, len(order), B):
    rows = order[k : k + B]
    x = images[rows] * p["scale"]  # float64, as core's fillInputs computes it
    y = eye[labels[rows]]
    costs.append(float(net.step(x, y, p["eta"])))
seconds = time.perf_counter() - t

w, b = net.get_params()
p["weights"] = [np.asarray(v, dtype=np.float64).ravel().tolist() for v in w]
p["biases"] = [np.asarray(v, dtype=np.float64).ravel().tolist() for v in b]
with open(args.params, "w") as f:
    json.dump(p, f)
print(json.dumps({"seconds": seconds, "mean_cost": sum(costs) / len(costs)}))
