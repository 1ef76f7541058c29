import { signalExitCode } from './exit-codes.js';

/**
 * SIGINT and SIGTERM, handled in one place. A command that must finish something first
 * (`backprop train` writes a last checkpoint) registers a handler with {@link onInterrupt};
 * otherwise the process exits at once with 130 or 143, through `process.exit`, so that 'exit'
 * listeners (the progress bar's, which shows the cursor again) still run: a terminal is never
 * left with its cursor hidden.
 */

type Handler = (signal: NodeJS.Signals) => void;

const handlers: Handler[] = [];
let installed = false;
let permanent = false;

function listener(signal: NodeJS.Signals): void {
  const top = handlers.at(-1);
  if (top) top(signal);
  else process.exit(signalExitCode(signal));
}

function install(): void {
  if (installed) return;
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  installed = true;
}

/** For a program's bin: SIGINT and SIGTERM exit through `process.exit` (130, 143) unless a command handles them. */
export function installInterrupts(): void {
  permanent = true;
  install();
}

/**
 * Handle SIGINT and SIGTERM with `handler` until the returned function is called (the latest
 * handler registered gets them). Outside a bin (a test calling `main`), the process's own
 * signal behaviour comes back once no handler is left.
 */
export function onInterrupt(handler: Handler): () => void {
  handlers.push(handler);
  install();
  return () => {
    const i = handlers.lastIndexOf(handler);
    if (i >= 0) handlers.splice(i, 1);
    if (handlers.length === 0 && !permanent && installed) {
      process.off('SIGINT', listener);
      process.off('SIGTERM', listener);
      installed = false;
    }
  };
}
