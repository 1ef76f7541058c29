"""The document's network trained by PyTorch, for a side-by-side with `backprop train`.

784-16-16-10, sigmoid neurons, the quadratic cost C = 1/2 sum_j (a_j - y_j)^2 averaged over the
mini-batch, plain SGD (theta <- theta - eta * grad, what torch.optim.SGD(lr=eta) does), float32,
on MNIST read from the IDX files (plain or .gz) with pixels / 255: the first TRAIN_COUNT training
images for training, the last VALIDATION_COUNT for validation, the 10,000 test images for the test.
The whole data set is resident on the device; each step gathers its rows with index_select.

Modes (--mode, comma-separated):
  eager  the step as ordinary PyTorch code, one Python iteration per mini-batch.
  graph  the whole step captured once in a CUDA graph (torch.cuda.graphs) and replayed: the
         batch's indices, forward, backward, SGD update and the step's cost all run on the GPU
         from a device-side step counter, so a step costs one graph replay. Needs CUDA.
Gradients (--grad, comma-separated):
  autograd  PyTorch's autograd (torch.autograd.grad of the cost).
  manual    backprop written out as docs/spec.md's four equations (BP1-BP4, grad.mean).

Same start as `backprop train --seed S`: --init takes a model file (format backprop-model) with
the initial parameters, and --orders a file with each epoch's shuffle (format backprop-orders),
both written by the GPU kit's tools from the CLI's own seeded RNG, so that PyTorch visits the
same mini-batches from the same parameters. Without them PyTorch draws its own.

Each (mode, grad, batch size) writes a run file (format backprop-run, version 1, the input of
`backprop compare`) to OUT_DIR/pytorch-MODE-GRAD-bB.json, and --summary FILE gets one JSON
line per configuration: written, skipped (with why) or failed (with the error). Runs on
PyTorch 1.13 (CPU) and 2.x (CUDA).

    python3 benchmarks/torch_train.py --data-dir DIR --device cpu --mode eager --batch-size 32 --epochs 1
"""
import argparse
import datetime
import gzip
import json
import os
import platform
import sys
import time
import traceback

import torch

CLASSES = 10


def read_idx(path):
    """An IDX file (plain, or gzip when it ends in .gz) as a uint8 tensor of its shape."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f'{path}: not an IDX file of unsigned bytes')
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    count = 1
    for d in dims:
        count *= d
    body = data[4 + 4 * ndim:]
    if len(body) != count:
        raise ValueError(f'{path}: header says {dims} ({count} bytes) but {len(body)} bytes follow')
    return torch.frombuffer(bytearray(body), dtype=torch.uint8).reshape(dims)


def locate(data_dir, name):
    for candidate in (name, name + '.gz'):
        path = os.path.join(data_dir, candidate)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f'{os.path.join(data_dir, name)} (nor .gz): the MNIST directory needs the four IDX files')


def load_mnist(data_dir, train_count, validation_count):
    images = read_idx(locate(data_dir, 'train-images-idx3-ubyte'))
    labels = read_idx(locate(data_dir, 'train-labels-idx1-ubyte'))
    test_images = read_idx(locate(data_dir, 't10k-images-idx3-ubyte'))
    test_labels = read_idx(locate(data_dir, 't10k-labels-idx1-ubyte'))
    n = images.shape[0]
    if train_count + validation_count > n:
        raise ValueError(f'--train-count {train_count} + --validation-count {validation_count} > the {n} training images')

    def split(x, y, start, end):
        return x[start:end].reshape(end - start, -1), y[start:end]

    return {
        'train': split(images, labels, 0, train_count),
        # Validation is the LAST images of the training file, as in `backprop train`.
        'validation': split(images, labels, n - validation_count, n) if validation_count > 0 else None,
        'test': split(test_images, test_labels, 0, test_images.shape[0]),
        'inputSize': images.shape[1] * images.shape[2],
    }


def to_device(pair, device):
    x, y = pair
    xs = x.to(device=device, dtype=torch.float32) / 255.0
    ys = torch.zeros(x.shape[0], CLASSES, device=device)
    ys[torch.arange(x.shape[0]), y.long()] = 1.0
    return xs, ys, y.to(device).long()


def load_init(path, sizes):
    with open(path) as f:
        m = json.load(f)
    if m.get('format') != 'backprop-model':
        raise ValueError(f'{path}: not a backprop model file (format {m.get("format")!r})')
    if m['spec']['sizes'] != sizes:
        raise ValueError(f'{path}: sizes {m["spec"]["sizes"]} but this run trains {sizes}')
    return m['params']['weights'], m['params']['biases']


def load_orders(path, count, epochs):
    with open(path) as f:
        o = json.load(f)
    if o.get('format') != 'backprop-orders':
        raise ValueError(f'{path}: not an orders file (format {o.get("format")!r})')
    if o['count'] != count or len(o['orders']) < epochs:
        raise ValueError(f'{path}: {len(o["orders"])} epochs of {o["count"]} examples, but this run needs {epochs} of {count}')
    return o


class Net:
    """Parameters W^l (n_l x n_{l-1}) and b^l as float32 leaf tensors on the device."""

    def __init__(self, sizes, device, init, seed):
        if init is not None:
            ws, bs = init
            self.W = [torch.tensor(w, dtype=torch.float64).reshape(sizes[l + 1], sizes[l]) for l, w in enumerate(ws)]
            self.b = [torch.tensor(b, dtype=torch.float64) for b in bs]
        else:
            g = torch.Generator().manual_seed(seed)
            self.W = [torch.randn(sizes[l + 1], sizes[l], generator=g, dtype=torch.float64) for l in range(len(sizes) - 1)]
            self.b = [torch.randn(sizes[l + 1], generator=g, dtype=torch.float64) for l in range(len(sizes) - 1)]
        self.W = [w.to(device=device, dtype=torch.float32).requires_grad_() for w in self.W]
        self.b = [b.to(device=device, dtype=torch.float32).requires_grad_() for b in self.b]
        self.params = [*self.W, *self.b]

    def forward(self, x):
        """Every z^l and a^l; z^l = a^{l-1} W^l^T + b^l (fwd.affine), a^l = sigmoid(z^l) (fwd.act)."""
        zs, acts = [], [x]
        for W, b in zip(self.W, self.b):
            z = torch.addmm(b, acts[-1], W.t())
            zs.append(z)
            acts.append(torch.sigmoid(z))
        return zs, acts


def quadratic(a, y):
    """cost.quadratic averaged over the batch: (1/m) sum_x 1/2 sum_j (a_j - y_j)^2."""
    return 0.5 * (a - y).pow(2).sum(1).mean()


def make_step(net, eta, grad):
    """One SGD step on rows (x, y); returns the cost before the step (a 0-d tensor on the device)."""
    params = net.params

    def autograd_step(x, y):
        _, acts = net.forward(x)
        cost = quadratic(acts[-1], y)
        grads = torch.autograd.grad(cost, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p.sub_(g, alpha=eta)  # sgd.step
        return cost.detach()

    def manual_step(x, y):
        with torch.no_grad():
            zs, acts = net.forward(x)
            m = x.shape[0]
            a = acts[-1]
            cost = quadratic(a, y)
            delta = (a - y) * a * (1 - a)  # bp1: grad_a C * sigma'(z^L), sigma' = a(1 - a)
            L = len(net.W)
            gW, gb = [None] * L, [None] * L
            for l in range(L - 1, -1, -1):
                gb[l] = delta.sum(0) / m  # bp3 + grad.mean
                gW[l] = delta.t().mm(acts[l]) / m  # bp4 + grad.mean
                if l > 0:
                    s = acts[l]
                    delta = delta.mm(net.W[l]) * s * (1 - s)  # bp2
            for l in range(L):
                net.W[l].sub_(gW[l], alpha=eta)  # sgd.step
                net.b[l].sub_(gb[l], alpha=eta)
            return cost

    return autograd_step if grad == 'autograd' else manual_step


def evaluate(net, xs, ys, labels):
    with torch.no_grad():
        correct, cost_sum = 0, 0.0
        confusion = torch.zeros(CLASSES, CLASSES, dtype=torch.long)
        for s in range(0, xs.shape[0], 10000):
            _, acts = net.forward(xs[s:s + 10000])
            a = acts[-1]
            cost_sum += float(0.5 * (a - ys[s:s + 10000]).pow(2).sum())
            pred = a.argmax(1)
            lab = labels[s:s + 10000]
            correct += int((pred == lab).sum())
            confusion += torch.bincount(lab * CLASSES + pred, minlength=CLASSES * CLASSES).reshape(CLASSES, CLASSES).cpu()
        n = xs.shape[0]
        return {'accuracy': correct / n, 'cost': cost_sum / n, 'confusion': confusion.tolist()}


class Emulated:
    """Stands in for a captured graph on the CPU (--emulate-graph): replay() runs the step body eagerly."""

    def __init__(self, body):
        self.replay = body


class GraphStep:
    """The whole step, batch selection and cost logging included, captured in a CUDA graph per batch size.

    With emulate=True (CPU, for tests) the same body runs eagerly instead of being captured, so the
    device-side indexing, the remainder batch, the cost buffer and the warm-up restore are checked
    without a GPU; only the capture itself is not.
    """

    def __init__(self, net, step, count, batch, steps_per_epoch, device, emulate=False):
        self.order = torch.zeros(count, dtype=torch.long, device=device)  # this epoch's permutation
        self.counter = torch.zeros(1, dtype=torch.long, device=device)  # steps done this epoch
        self.costs = torch.zeros(steps_per_epoch, dtype=torch.float32, device=device)
        self.batch = batch
        self.net, self.step = net, step
        self.graphs = {}
        self.rem = count % batch
        self.emulate = emulate

    def capture(self, xs, ys, size):
        ar = torch.arange(size, device=xs.device)

        def body():
            idx = self.order.index_select(0, self.counter * self.batch + ar)
            cost = self.step(xs.index_select(0, idx), ys.index_select(0, idx))
            self.costs.index_copy_(0, self.counter, cost.reshape(1))
            self.counter.add_(1)

        saved = [p.detach().clone() for p in self.net.params]
        if self.emulate:
            for _ in range(3):  # the warm-up steps, undone below, as on CUDA
                self.counter.zero_()
                body()
            self.restore(saved)
            self.graphs[size] = Emulated(body)
            return
        # Warm up on a side stream before capture (PyTorch's rule), then undo the warm-up steps.
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for _ in range(3):
                self.counter.zero_()
                body()
        torch.cuda.current_stream().wait_stream(s)
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            body()
        self.restore(saved)
        self.graphs[size] = g

    def restore(self, saved):
        with torch.no_grad():
            for p, v in zip(self.net.params, saved):
                p.copy_(v)
        self.counter.zero_()
        self.costs.zero_()

    def epoch(self, order, full):
        self.order.copy_(order)
        self.counter.zero_()
        g = self.graphs[self.batch]
        for _ in range(full):
            g.replay()
        if self.rem:
            self.graphs[self.rem].replay()
        return self.costs


def run_one(args, data, mode, grad, batch, device, init, orders):
    sizes = [data['inputSize'], 16, 16, CLASSES] if args.layers is None else args.layers
    xs, ys, _ = data['train_dev']
    count = xs.shape[0]
    if batch > count:
        raise ValueError(f'batch size {batch} is larger than the {count} training images')
    full, rem = count // batch, count % batch
    steps_per_epoch = full + (1 if rem else 0)
    net = Net(sizes, device, init, args.seed)
    step = make_step(net, args.eta, grad)
    cuda = device.type == 'cuda'
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    if orders is not None:
        epoch_orders = [torch.tensor(o, dtype=torch.long, device=device) for o in orders['orders'][:args.epochs]]
    else:
        g = torch.Generator().manual_seed(args.seed + 1)
        epoch_orders = [torch.randperm(count, generator=g).to(device) for _ in range(args.epochs)]
    graph = None
    capture_seconds = 0.0
    if mode == 'graph':
        t = time.perf_counter()
        graph = GraphStep(net, step, count, batch, steps_per_epoch, device, emulate=args.emulate_graph)
        graph.capture(xs, ys, batch)
        if rem:
            graph.capture(xs, ys, rem)
        sync()
        capture_seconds = time.perf_counter() - t
    costs_eager = torch.zeros(steps_per_epoch, dtype=torch.float32, device=device)
    started = datetime.datetime.now(datetime.timezone.utc)
    t0 = time.perf_counter()
    steps, epochs = [], []
    step_no, point_sum, point_n = 0, 0.0, 0
    val = data['validation_dev']
    test = data['test_dev']
    train_seconds = 0.0
    for e in range(1, args.epochs + 1):
        order = epoch_orders[e - 1]
        sync()
        e0 = time.perf_counter()
        if graph is not None:
            costs = graph.epoch(order, full)
        else:
            for s in range(steps_per_epoch):
                idx = order[s * batch:(s + 1) * batch]
                costs_eager[s] = step(xs.index_select(0, idx), ys.index_select(0, idx))
            costs = costs_eager
        sync()
        epoch_seconds = time.perf_counter() - e0
        train_seconds += epoch_seconds
        cs = costs.double().cpu().tolist()
        if not all(c == c and abs(c) != float('inf') for c in cs):
            raise FloatingPointError(f'the cost became NaN or infinite in epoch {e}')
        for c in cs:
            step_no += 1
            point_sum += c
            point_n += 1
            if step_no % args.log_every == 0:
                steps.append({'step': step_no, 'epoch': e, 'cost': point_sum / point_n, 'seconds': time.perf_counter() - t0})
                point_sum, point_n = 0.0, 0
        v = evaluate(net, *val) if val is not None else None
        te = evaluate(net, *test)
        epochs.append({
            'epoch': e, 'step': step_no, 'seconds': time.perf_counter() - t0, 'epochSeconds': epoch_seconds,
            'trainCost': sum(cs) / len(cs),
            'validation': None if v is None else {'accuracy': v['accuracy'], 'cost': v['cost']},
            'test': {'accuracy': te['accuracy'], 'cost': te['cost']},
        })
        vtext = '-' if v is None else f'{100 * v["accuracy"]:.2f}%'
        print(f'  {mode}/{grad} batch {batch} epoch {e}/{args.epochs}: {epoch_seconds:.3f} s, '
              f'validation {vtext}, test {100 * te["accuracy"]:.2f}%', flush=True)
    if point_n:
        steps.append({'step': step_no, 'epoch': args.epochs, 'cost': point_sum / point_n, 'seconds': time.perf_counter() - t0})
    final = evaluate(net, *test)
    total = time.perf_counter() - t0
    name = f'pytorch-{mode}-{grad}' + ('-emulated' if mode == 'graph' and args.emulate_graph else '')
    dev_name = torch.cuda.get_device_name(device) if cuda else 'cpu'
    return {
        'format': 'backprop-run', 'version': 1,
        'name': f'{name}-b{batch}', 'status': 'completed', 'error': None,
        'config': {
            'spec': {'sizes': sizes, 'activation': 'sigmoid', 'cost': 'quadratic'},
            'init': 'normal',
            'parameterCount': sum(sizes[l + 1] * (sizes[l] + 1) for l in range(len(sizes) - 1)),
            'epochs': args.epochs, 'batchSize': batch, 'eta': args.eta, 'momentum': 0, 'weightDecay': 0,
            'seed': args.seed, 'lastBatch': 'keep', 'logEvery': args.log_every,
            'data': {
                'source': f'IDX files in {os.path.abspath(args.data_dir)}', 'dir': os.path.abspath(args.data_dir),
                'trainCount': count, 'validationCount': 0 if val is None else val[0].shape[0],
                'testCount': test[0].shape[0], 'inputSize': sizes[0], 'classes': CLASSES,
            },
        },
        'backend': {'name': name, 'dtype': 'float32', 'device': 'cuda' if cuda else 'cpu'},
        'environment': {
            # The run-file format names Node's version here; this run had none, so say what ran instead.
            'node': f'none (Python {platform.python_version()}, PyTorch {torch.__version__}, {dev_name})',
            'platform': sys.platform, 'arch': platform.machine(),
            'cpu': platform.processor() or platform.machine(), 'cpuCount': os.cpu_count() or 0,
            'onnxruntime': None, 'time': started.isoformat().replace('+00:00', 'Z'),
        },
        'curve': {'steps': steps, 'epochs': epochs},
        'final': {
            'test': {'count': test[0].shape[0], 'accuracy': final['accuracy'], 'cost': final['cost'], 'confusion': final['confusion']},
            'totalSeconds': total, 'trainSeconds': train_seconds,
        },
        'modelFile': None,
        # Extra fields (ignored by readers of the format): how this run was made.
        'pytorch': {
            'version': torch.__version__, 'device': dev_name, 'mode': mode, 'grad': grad,
            'captureSeconds': capture_seconds, 'emulatedGraph': mode == 'graph' and args.emulate_graph, 'sameInit': init is not None, 'sameOrders': orders is not None,
            'threads': torch.get_num_threads(),
        },
    }


def csv(kind):
    def parse(text):
        items = [t.strip() for t in text.split(',') if t.strip()]
        return [kind(t) for t in items]
    return parse


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data-dir', required=True, help='directory of the four MNIST IDX files (plain or .gz)')
    p.add_argument('--device', default='auto', choices=['auto', 'cpu', 'cuda'], help='auto: cuda when available')
    p.add_argument('--mode', type=csv(str), default=['eager', 'graph'], help='eager,graph')
    p.add_argument('--grad', type=csv(str), default=['autograd'], help='autograd,manual')
    p.add_argument('--batch-size', type=csv(int), default=[32, 256])
    p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--eta', type=float, default=3.0)
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--layers', type=csv(int), default=None, help='default 784,16,16,10')
    p.add_argument('--init', help='model file with the initial parameters (backprop-model)')
    p.add_argument('--orders', help="each epoch's shuffle (backprop-orders)")
    p.add_argument('--train-count', type=int, default=50000)
    p.add_argument('--validation-count', type=int, default=10000)
    p.add_argument('--log-every', type=int, default=100)
    p.add_argument('--threads', type=int, help='torch.set_num_threads (CPU)')
    p.add_argument('--out-dir', required=True)
    p.add_argument('--summary', help='append one JSON line per configuration here')
    p.add_argument('--emulate-graph', action='store_true',
                   help='test only: on the CPU, run graph mode\'s step body eagerly instead of capturing it')
    args = p.parse_args(argv)
    for m in args.mode:
        if m not in ('eager', 'graph'):
            p.error(f'--mode: {m!r} is not eager or graph')
    for g in args.grad:
        if g not in ('autograd', 'manual'):
            p.error(f'--grad: {g!r} is not autograd or manual')
    if args.epochs < 1 or args.log_every < 1 or any(b < 1 for b in args.batch_size):
        p.error('--epochs, --log-every and batch sizes must be positive')
    if args.threads:
        torch.set_num_threads(args.threads)
    cuda_ok = torch.cuda.is_available()
    if args.device == 'cuda' and not cuda_ok:
        p.error('--device cuda: torch.cuda.is_available() is False')
    device = torch.device('cuda' if (args.device == 'cuda' or (args.device == 'auto' and cuda_ok)) else 'cpu')
    if args.emulate_graph and device.type == 'cuda':
        p.error('--emulate-graph is for the CPU; on CUDA graph mode captures the step for real')
    os.makedirs(args.out_dir, exist_ok=True)
    print(f'torch_train: PyTorch {torch.__version__} on {torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"}'
          f', {torch.get_num_threads()} threads', flush=True)
    t = time.perf_counter()
    mnist = load_mnist(args.data_dir, args.train_count, args.validation_count)
    sizes = args.layers or [mnist['inputSize'], 16, 16, CLASSES]
    args.layers = sizes
    data = {
        'inputSize': mnist['inputSize'],
        'train_dev': to_device(mnist['train'], device),
        'validation_dev': to_device(mnist['validation'], device) if mnist['validation'] is not None else None,
        'test_dev': to_device(mnist['test'], device),
    }
    init = load_init(args.init, sizes) if args.init else None
    orders = load_orders(args.orders, args.train_count, args.epochs) if args.orders else None
    print(f'torch_train: data on {device.type} in {time.perf_counter() - t:.1f} s', flush=True)

    failures = 0
    for mode in args.mode:
        for grad in args.grad:
            for batch in args.batch_size:
                record = {'mode': mode, 'grad': grad, 'batchSize': batch, 'device': device.type}
                path = os.path.join(args.out_dir, f'pytorch-{mode}-{grad}-b{batch}.json')
                if mode == 'graph' and device.type != 'cuda' and not args.emulate_graph:
                    record.update(status='skipped', reason='CUDA graphs need a CUDA device')
                    print(f'  {mode}/{grad} batch {batch}: skipped ({record["reason"]})', flush=True)
                else:
                    try:
                        run = run_one(args, data, mode, grad, batch, device, init, orders)
                        tmp = path + '.tmp'
                        with open(tmp, 'w') as f:
                            json.dump(run, f, indent=1)
                            f.write('\n')
                        os.replace(tmp, path)
                        eps = [e['epochSeconds'] for e in run['curve']['epochs']]
                        record.update(status='written', file=path, epochSeconds=eps,
                                      testAccuracy=run['final']['test']['accuracy'],
                                      captureSeconds=run['pytorch']['captureSeconds'])
                    except Exception as ex:  # keep going: one failed configuration must not cost the others
                        failures += 1
                        record.update(status='failed', error=f'{type(ex).__name__}: {ex}')
                        print(f'  {mode}/{grad} batch {batch}: FAILED {record["error"]}', flush=True)
                        traceback.print_exc()
                if args.summary:
                    with open(args.summary, 'a') as f:
                        f.write(json.dumps(record) + '\n')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
