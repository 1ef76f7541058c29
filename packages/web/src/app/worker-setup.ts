/**
 * What a Web Worker lacks that the training loop of @backprop/core uses: `setImmediate`, with
 * which `train` gives the event loop a turn between steps (so that a "stop" message is seen).
 * A MessageChannel message is the browser's way to run a callback as soon as the loop is free
 * (setTimeout(0) would wait at least 4 ms each time once nested).
 */
const g = globalThis as { setImmediate?: (fn: () => void) => void };
if (typeof g.setImmediate !== 'function') {
  const channel = new MessageChannel();
  const queue: (() => void)[] = [];
  channel.port1.onmessage = () => queue.shift()?.();
  g.setImmediate = (fn) => {
    queue.push(fn);
    channel.port2.postMessage(null);
  };
}
