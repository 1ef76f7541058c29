// Check your own network, in Python: the NumPy network of @backprop/protocol (written as a student
// following the lesson would, network.py style) through the engine protocol, then the same network
// with the classic BP2 slip (⊙σ′ forgotten), which the suite catches and locates.
//   node examples/check-python-network.mjs                       # the NumPy example, right and wrong
//   node examples/check-python-network.mjs "python3 my_net.py"   # your own engine (see docs/protocol.md)
// The CLI does the same: backprop conformance --engine "python3 my_net.py"
import { join } from 'node:path';
import { engineEntry, formatTable, runConformance } from '@backprop/conformance';
import { findPython, PYTHON_DIR } from '@backprop/protocol';

const own = process.argv[2];
if (own) {
  const report = await runConformance(await engineEntry(own), { required: true });
  console.log(formatTable([report]));
  process.exit(report.passed ? 0 : 1);
}

const python = await findPython(['numpy']);
if (!python.found) {
  console.error(python.reason);
  process.exit(1);
}
const script = join(PYTHON_DIR, 'examples', 'numpy_network.py');
const right = await runConformance(await engineEntry([python.python, script]), { required: true });
console.log(formatTable([right]));
const wrong = await runConformance(await engineEntry([python.python, script, '--bug', 'bp2']), {
  required: true,
});
console.log(`\nThe same network with BP2 written without ⊙σ′(z^l) (--bug bp2):\n\n${formatTable([wrong])}`);
// The example succeeds when the suite passes the right network and fails the wrong one at bp2.
const bp2 = wrong.results.find((r) => r.id === 'bp2');
process.exitCode = right.passed && !wrong.passed && bp2?.status === 'fail' ? 0 : 1;
