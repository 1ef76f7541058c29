"""backprop_engine: put your network under the backprop conformance suite.

Write a class with a few methods, hand it to serve(), and run the file as an engine:

    backprop conformance --engine "python3 my_net.py"

This module speaks the backprop engine protocol (version 1, docs/protocol.md) on stdin and
stdout: JSON lines, float arrays exact as base64 of little-endian float64. It needs only the
standard library and NumPy. Anything your code prints goes to stderr, so it cannot corrupt the
protocol.

The class (one instance per network the suite creates):

    class MyNet:
        def __init__(self, spec, weights, biases): ...
            # spec: {"sizes": [784, 16, 16, 10], "activation": "sigmoid"|"relu"|"identity",
            #        "cost": "quadratic"|"squared-error"|"cross-entropy"}
            # weights[l-1]: W^l, shape (n_l, n_{l-1}); biases[l-1]: b^l, shape (n_l,)
        def set_params(self, weights, biases): ...      # and reset momentum
        def get_params(self): return weights, biases
        def forward(self, x): return zs, activations     # x: (m, n_0), one example per row;
                                                         # zs[l-1] = z^l (m, n_l); activations[l] = a^l, a^0 = x
        def backprop(self, x, y):                        # y: (m, n_L) one-hot
            return dict(cost=..., grad_w=[...], grad_b=[...],  # of the batch's MEAN cost
                        zs=[...], activations=[...],           # with capability "forward"
                        deltas=[...])                          # δ^l = ∂C_x/∂z^l per example, (m, n_l)
        def step(self, x, y, eta, momentum=0.0, weight_decay=0.0): return cost  # cost before the step
        def train_epoch(self, x, y, batch_size, seed, eta, momentum=0.0, weight_decay=0.0,
                        last_batch="keep", start_step=0, steps=None):
            return batches, costs  # your own seeded shuffle: ALL the epoch's batches, and the
                                   # costs of steps start_step … start_step + steps − 1 only

    serve(MyNet, name="my-net", version="1.0", dtype="float64",
          capabilities=["forward", "deltas", "gradients", "step", "train-epoch"])

Declare only what you implement: a clause needing anything else is reported "not applicable".

Extensions of protocol 1 (announced in the handshake's "extensions"; a host that does not know
them ignores them): "load-data" always with "train-epoch" (this module keeps the training set
for the session, so it crosses the pipe once); "train-epoch-range" when train_epoch takes
start_step and steps (then the host can resume an epoch and pause inside it, for checkpoints;
without them it runs whole epochs only). The same seed must give the same batches every time.
"""

import base64
import inspect
import json
import os
import sys
import traceback

import numpy as np

PROTOCOL_VERSION = 1

CAPABILITIES = ("forward", "deltas", "gradients", "step", "momentum", "weight-decay", "train-epoch")

# The method each capability needs.
_METHOD = {
    "forward": "forward",
    "deltas": "backprop",
    "gradients": "backprop",
    "step": "step",
    "momentum": "step",
    "weight-decay": "step",
    "train-epoch": "train_epoch",
}


# Additions to version 1 this module speaks (docs/protocol.md, "Extensions").
EXTENSIONS = ("train-epoch-range", "load-data")


class EngineError(Exception):
    """A request the engine refuses; the message is sent to the host and shown in its report."""


def encode_array(a):
    """A NumPy array (any float dtype) on the wire: shape and base64 of little-endian float64."""
    a = np.ascontiguousarray(np.asarray(a, dtype="<f8"))
    return {"dtype": "float64", "shape": list(a.shape), "data": base64.b64encode(a.tobytes()).decode("ascii")}


def decode_array(v, what="array"):
    """An array from the wire, as a float64 NumPy array of its shape."""
    if not isinstance(v, dict) or v.get("dtype") != "float64":
        raise EngineError(f"{what} is not a float64 array object")
    shape = tuple(v["shape"])
    a = np.frombuffer(base64.b64decode(v["data"], validate=True), dtype="<f8")
    if a.size != int(np.prod(shape, dtype=np.int64)):
        raise EngineError(f"{what}: {a.size} values do not fill shape {list(shape)}")
    return a.reshape(shape).astype(np.float64)


def encode_scalar(x):
    """A float on the wire: NaN and ±Infinity spelled out (JSON has no such numbers)."""
    x = float(x)
    if x != x:
        return "NaN"
    if x == float("inf"):
        return "Infinity"
    if x == float("-inf"):
        return "-Infinity"
    return x


def decode_scalar(v):
    """A wire scalar back to a float."""
    if isinstance(v, str):
        return float({"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}[v])
    return float(v)


def _arrays(values, what, count):
    if values is None:
        raise EngineError(f"{what} is missing")
    values = list(values)
    if len(values) != count:
        raise EngineError(f"{what} has {len(values)} entries; the network needs {count}")
    return [encode_array(v) for v in values]


class _Server:
    def __init__(self, network, hello, out):
        self.network = network
        self.hello = hello
        self.out = out
        self.nets = {}
        self.data = {}  # load_data: id -> (x, y), for the session

    def net(self, req):
        n = self.nets.get(req.get("net"))
        if n is None:
            raise EngineError(f"no network {req.get('net')!r} (create it first)")
        return n

    def handle(self, req):
        op = req.get("op")
        if op == "hello":
            if req.get("protocol") != PROTOCOL_VERSION:
                raise EngineError(f"the host speaks protocol version {req.get('protocol')!r}; this engine speaks {PROTOCOL_VERSION}")
            return self.hello
        if op == "shutdown":
            return {}
        if op == "create":
            spec = req["spec"]
            p = req["params"]
            w = [decode_array(a, f"W{i + 1}") for i, a in enumerate(p["weights"])]
            b = [decode_array(a, f"b{i + 1}") for i, a in enumerate(p["biases"])]
            self.nets[req["net"]] = (self.network(spec, w, b), len(spec["sizes"]) - 1)
            return {}
        if op == "dispose":
            self.nets.pop(req.get("net"), None)
            return {}
        if op == "load_data":
            self.data[req["data"]] = (decode_array(req["x"], "x"), decode_array(req["y"], "y"))
            return {}
        if op == "drop_data":
            self.data.pop(req.get("data"), None)
            return {}
        net, L = self.net(req)
        if op == "set_params":
            p = req["params"]
            net.set_params([decode_array(a) for a in p["weights"]], [decode_array(a) for a in p["biases"]])
            return {}
        if op == "get_params":
            w, b = net.get_params()
            return {"params": {"weights": _arrays(w, "weights", L), "biases": _arrays(b, "biases", L)}}
        if op == "forward":
            zs, acts = net.forward(decode_array(req["x"], "x"))
            return {"zs": _arrays(zs, "zs", L), "activations": _arrays(acts, "activations", L + 1)}
        if op == "backprop":
            t = net.backprop(decode_array(req["x"], "x"), decode_array(req["y"], "y"))
            caps = self.hello["capabilities"]
            r = {
                "cost": encode_scalar(t["cost"]),
                "gradients": {"weights": _arrays(t.get("grad_w"), "grad_w", L), "biases": _arrays(t.get("grad_b"), "grad_b", L)},
            }
            if "forward" in caps:
                r["zs"] = _arrays(t.get("zs"), "zs", L)
                r["activations"] = _arrays(t.get("activations"), "activations", L + 1)
            if "deltas" in caps:
                r["deltas"] = _arrays(t.get("deltas"), "deltas", L)
            return r
        if op == "step":
            cost = net.step(
                decode_array(req["x"], "x"),
                decode_array(req["y"], "y"),
                float(req["eta"]),
                float(req.get("momentum", 0.0)),
                float(req.get("weight_decay", 0.0)),
            )
            return {"cost": encode_scalar(cost)}
        if op == "train_epoch":
            if "data" in req:
                if req["data"] not in self.data:
                    raise EngineError(f"no data set {req['data']!r} (load_data it first)")
                x, y = self.data[req["data"]]
            else:
                x, y = decode_array(req["x"], "x"), decode_array(req["y"], "y")
            span = {}
            if "start_step" in req or "steps" in req:
                if "train-epoch-range" not in self.hello["extensions"]:
                    raise EngineError("this engine's train_epoch runs whole epochs (it takes no start_step and steps)")
                span = {"start_step": int(req.get("start_step", 0)), "steps": None if req.get("steps") is None else int(req["steps"])}
            batches, costs = net.train_epoch(
                x,
                y,
                int(req["batch_size"]),
                int(req["seed"]),
                float(req["eta"]),
                float(req.get("momentum", 0.0)),
                float(req.get("weight_decay", 0.0)),
                req.get("last_batch", "keep"),
                **span,
            )
            return {"batches": [[int(k) for k in B] for B in batches], "costs": encode_array(np.asarray(costs, dtype=np.float64))}
        raise EngineError(f"unknown request {op!r}")

    def reply(self, msg):
        self.out.write(json.dumps(msg, allow_nan=False) + "\n")
        self.out.flush()

    def run(self, stdin):
        for line in stdin:
            line = line.strip()
            if not line:
                continue
            req_id = None
            try:
                req = json.loads(line)
                req_id = req.get("id")
                result = self.handle(req)
                self.reply({"id": req_id, "ok": True, "result": result})
                if req.get("op") == "shutdown":
                    return
            except Exception as e:  # noqa: BLE001 - every failure is reported to the host, which decides
                detail = "".join(traceback.format_exception_only(type(e), e)).strip()
                if not isinstance(e, EngineError):
                    traceback.print_exc(file=sys.stderr)
                    tb = traceback.extract_tb(e.__traceback__)
                    if tb:
                        detail += f" (at {os.path.basename(tb[-1].filename)}:{tb[-1].lineno}: {tb[-1].line})"
                self.reply({"id": req_id, "ok": False, "error": {"message": detail}})


def serve(network, *, name, version="0", dtype="float64", capabilities, device="cpu", activations=None, costs=None,
          extensions=None):
    """Answer the host's requests on stdin/stdout until it shuts the engine down (or stdin closes).

    network: the class (or factory) called as network(spec, weights, biases) for each network.
    capabilities: what it implements, from CAPABILITIES; checked against its methods here.
    activations, costs: the ones it implements, if not all (a network needing another is refused).
    extensions: the EXTENSIONS to announce; default: all that apply (with "train-epoch": "load-data",
      and "train-epoch-range" when train_epoch takes start_step and steps). [] speaks plain version 1.
    """
    unknown = [c for c in capabilities if c not in CAPABILITIES]
    if unknown:
        raise ValueError(f"unknown capabilities {unknown}; known: {', '.join(CAPABILITIES)}")
    missing = sorted({_METHOD[c] for c in capabilities if not callable(getattr(network, _METHOD[c], None))})
    if missing:
        raise ValueError(f"{network.__name__} declares capabilities that need the methods {', '.join(missing)}")
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype must be 'float64' or 'float32', not {dtype!r}")
    ranged = "train-epoch" in capabilities and {"start_step", "steps"} <= set(inspect.signature(network.train_epoch).parameters)
    applicable = [e for e in EXTENSIONS if "train-epoch" in capabilities and (e != "train-epoch-range" or ranged)]
    if extensions is None:
        extensions = applicable
    elif [e for e in extensions if e not in applicable]:
        raise ValueError(f"extensions {[e for e in extensions if e not in applicable]} do not apply; this network can announce {applicable}")
    hello = {
        "protocol": PROTOCOL_VERSION,
        "extensions": list(extensions),
        "engine": {"name": name, "version": str(version)},
        "dtype": dtype,
        "device": device,
        "capabilities": list(capabilities),
    }
    if activations is not None:
        hello["activations"] = list(activations)
    if costs is not None:
        hello["costs"] = list(costs)
    # The protocol owns the real stdout; everything else written to fd 1 (print, C libraries) goes to stderr.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _Server(network, hello, out).run(sys.stdin)
