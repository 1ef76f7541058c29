// An engine that speaks the protocol correctly until `backprop` (or the handshake), then misbehaves
// as argv[2] says. Used by the robustness tests; `ok` is the well-behaved control (zero traces).
//   node misbehave.mjs MODE
import { createInterface } from 'node:readline';

const mode = process.argv[2] ?? 'ok';
const nets = new Map();

const zeros = (shape) => ({
  dtype: 'float64',
  shape,
  data: Buffer.alloc(8 * shape.reduce((a, b) => a * b, 1)).toString('base64'),
});
const send = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);

function backprop(sizes, m) {
  const L = sizes.length - 1;
  const layers = Array.from({ length: L }, (_, i) => i + 1);
  return {
    cost: 0,
    zs: layers.map((l) => zeros([m, sizes[l]])),
    activations: [0, ...layers].map((l) => zeros([m, sizes[l]])),
    deltas: layers.map((l) => zeros([m, sizes[l]])),
    gradients: {
      weights: layers.map((l) => zeros([sizes[l], sizes[l - 1]])),
      biases: layers.map((l) => zeros([sizes[l]])),
    },
  };
}

function misbehave(req, sizes) {
  const m = req.x.shape[0];
  switch (mode) {
    case 'garbage':
      return process.stdout.write('Traceback? no: this is not JSON\n');
    case 'slow':
      return; // never answers
    case 'truncated': // half a reply, then exit as if the pipe broke
      process.stdout.write(JSON.stringify({ id: req.id, ok: true, result: backprop(sizes, m) }).slice(0, 60));
      return process.exit(0);
    case 'crash': // a crash in the middle of writing the reply, with a traceback on stderr
      process.stdout.write('{"id": ');
      process.stderr.write(
        'Traceback (most recent call last):\n  File "net.py", line 42, in backprop\nZeroDivisionError: boom\n',
      );
      return process.exit(3);
    case 'shapes': {
      const r = backprop(sizes, m);
      r.zs[0] = zeros([m, sizes[1] + 1]);
      return send({ id: req.id, ok: true, result: r });
    }
    case 'short-data': {
      const r = backprop(sizes, m);
      r.deltas[0] = { ...r.deltas[0], data: r.deltas[0].data.slice(0, -16) };
      return send({ id: req.id, ok: true, result: r });
    }
    case 'wrong-id':
      return send({ id: req.id + 1, ok: true, result: backprop(sizes, m) });
    case 'no-result':
      return send({ id: req.id, ok: true });
    case 'bad-cost':
      return send({ id: req.id, ok: true, result: { ...backprop(sizes, m), cost: 'lots' } });
    case 'error':
      return send({ id: req.id, ok: false, error: { message: 'backprop is not implemented yet' } });
    case 'chatty': // a stray print on stdout after the reply
      send({ id: req.id, ok: true, result: backprop(sizes, m) });
      return process.stdout.write('debug: done\n');
    default:
      return send({ id: req.id, ok: true, result: backprop(sizes, m) });
  }
}

if (mode === 'exit-at-start') {
  process.stderr.write("ModuleNotFoundError: No module named 'torch'\n");
  process.exit(1);
}

if (mode === 'stubborn') setInterval(() => {}, 1000); // outlives its stdin and ignores shutdown

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const req = JSON.parse(line);
  switch (req.op) {
    case 'hello':
      if (mode === 'silent-start') return;
      return send({
        id: req.id,
        ok: true,
        result: {
          protocol: mode === 'version' ? 2 : 1,
          engine: { name: `misbehave-${mode}`, version: '0' },
          dtype: 'float64',
          device: 'cpu',
          capabilities:
            mode === 'bad-capability' ? ['forward', 'telepathy'] : ['forward', 'deltas', 'gradients'],
        },
      });
    case 'create':
      nets.set(req.net, { sizes: req.spec.sizes, params: req.params });
      return send({ id: req.id, ok: true, result: {} });
    case 'set_params':
      nets.get(req.net).params = req.params;
      return send({ id: req.id, ok: true, result: {} });
    case 'get_params':
      return send({ id: req.id, ok: true, result: { params: nets.get(req.net).params } });
    case 'backprop':
      return misbehave(req, nets.get(req.net).sizes);
    case 'dispose':
      nets.delete(req.net);
      return send({ id: req.id, ok: true, result: {} });
    case 'shutdown':
      send({ id: req.id, ok: true, result: {} });
      if (mode === 'stubborn') return;
      return process.exit(0);
    default:
      return send({ id: req.id, ok: false, error: { message: `no ${req.op}` } });
  }
});
