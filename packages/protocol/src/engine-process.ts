import { type ChildProcess, spawn } from 'node:child_process';
import { basename } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { type Hello, type Op, PROTOCOL_VERSION, parseHello } from './messages.js';
import { ProtocolError } from './wire.js';

/** How long each request may take before the engine is stopped, in ms. */
export interface EngineTimeouts {
  /** The handshake, which includes the engine's start-up (importing a framework): default 60 s. */
  readonly hello?: number;
  /** `train_epoch` and `load_data` (a whole training set on the wire): default 10 min. */
  readonly train_epoch?: number;
  /** Every other request: default 60 s. */
  readonly request?: number;
}

/** How to start and talk to an engine. */
export interface EngineProcessOptions {
  readonly cwd?: string;
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeouts?: EngineTimeouts;
  /** Called with every message sent (`'out'`) and received (`'in'`), parsed: for tracing and tests. */
  readonly onMessage?: (direction: 'out' | 'in', message: unknown) => void;
}

/** The default time limits (ms). */
export const DEFAULT_TIMEOUTS: Required<EngineTimeouts> = Object.freeze({
  hello: 60_000,
  train_epoch: 600_000,
  request: 60_000,
});

/** The most a reply line may hold (a protocol violation beyond it). */
export const MAX_LINE_BYTES = 256 * 1024 * 1024;
const STDERR_KEEP = 16 * 1024;
const SHUTDOWN_GRACE_MS = 2_000;

/**
 * A request that failed: the engine answered with an error, broke the protocol, crashed, or ran
 * out of time. The message names the engine, the request and, when the engine wrote any, the
 * tail of its standard error.
 */
export class EngineError extends Error {
  override readonly name = 'EngineError';
  constructor(
    message: string,
    /** The request that failed. */
    readonly op: Op,
    /** Its id, or undefined when it was never sent (the engine had already stopped). */
    readonly requestId: number | undefined,
    /** The last lines the engine wrote to its standard error. */
    readonly stderrTail: string,
  ) {
    super(message);
  }
}

/** Every live engine, killed when this process exits however it exits (normally or by an uncaught error). */
const live = new Set<ChildProcess>();
let exitHook = false;
function track(child: ChildProcess): void {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/**
 * Split a command line into words as a POSIX shell would for plain words: whitespace separates,
 * '…' quotes literally, "…" quotes with \\ escaping \\ and ", and \\ outside quotes escapes one
 * character. No variables, globs or pipes: the first word is the program to run.
 */
export function parseCommand(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new SyntaxError(`unclosed ' in the command ${line}`);
      word += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      i++;
      for (; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) i++;
        word += line[i];
      }
      if (i >= line.length) throw new SyntaxError(`unclosed " in the command ${line}`);
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  if (words.length === 0) throw new SyntaxError('the engine command is empty');
  return words;
}

interface Pending {
  readonly id: number;
  readonly op: Op;
  readonly read: (result: Record<string, unknown>) => unknown;
  readonly resolve: (result: unknown) => void;
  readonly reject: (e: EngineError) => void;
  readonly timer: NodeJS.Timeout;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A short, printable excerpt of what an engine wrote. */
function excerpt(s: string, n = 200): string {
  const t = JSON.stringify(s.length > n ? `${s.slice(0, n)}…` : s);
  return `${t}${s.length > n ? ` (${s.length} characters)` : ''}`;
}

/**
 * One engine process speaking the protocol on its standard input and output: JSON lines, one
 * request at a time, each with a time limit. Whatever the engine does (crash, hang, garbage, a
 * truncated line, a wrong version) the request in progress fails with an {@link EngineError} and
 * the process is killed; this side never hangs and never throws outside the promise it returned.
 */
export class EngineProcess {
  private readonly child: ChildProcess;
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';
  private stderr = '';
  private nextId = 1;
  private pending: Pending | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private stopped: string | undefined;
  private exited: Promise<void>;
  private hello_: Hello | undefined;
  /** What the engine is called in messages: its command until the handshake, then its own name. */
  label: string;

  private constructor(
    readonly argv: readonly string[],
    private readonly options: EngineProcessOptions,
  ) {
    this.label = `engine '${basename(argv[0]!)}'`;
    this.child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    track(this.child);
    this.exited = new Promise((resolve) => this.child.once('close', () => resolve()));
    this.child.once('error', (e) => this.stop(`could not be started (${argv.join(' ')}): ${e.message}`));
    this.child.stdin!.on('error', () => {}); // EPIPE after a crash: the close handler reports it
    this.child.stdout!.on('data', (chunk: Buffer) => this.onData(this.decoder.write(chunk)));
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
    });
    this.child.once('close', (code, signal) => {
      const rest = this.buffer + this.decoder.end();
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      this.stop(
        rest.length > 0
          ? `${how} in the middle of a reply (it wrote ${excerpt(rest)} with no end of line)`
          : `${how}`,
      );
    });
    this.setRef(false);
  }

  /**
   * Start `argv` and shake hands: the engine must answer `hello` with this protocol version within
   * the `hello` time limit. Rejects with an {@link EngineError} saying why it could not start.
   */
  static async start(argv: readonly string[], options: EngineProcessOptions = {}): Promise<EngineProcess> {
    if (argv.length === 0) throw new SyntaxError('the engine command is empty');
    const p = new EngineProcess(argv, options);
    p.hello_ = await p.request(
      'hello',
      { protocol: PROTOCOL_VERSION, host: '@backprop/protocol' },
      parseHello,
    );
    p.label = `engine '${p.hello_.engine.name}'`;
    return p;
  }

  /** The engine's process id (undefined if it could not be spawned). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** What the engine said about itself. */
  get hello(): Hello {
    if (!this.hello_) throw new Error('the handshake has not completed');
    return this.hello_;
  }

  /** Why the engine is stopped (it exited, or was killed after breaking the protocol), or undefined while it runs. */
  get stoppedReason(): string | undefined {
    return this.stopped;
  }

  /** The last lines of the engine's standard error (at most 10 lines, 2,000 characters). */
  stderrTail(): string {
    const lines = this.stderr.trimEnd().split('\n').slice(-10).join('\n');
    return lines.length > 2000 ? `…${lines.slice(-2000)}` : lines;
  }

  private error(op: Op, id: number | undefined, message: string): EngineError {
    const tail = this.stderrTail();
    const full =
      tail.length > 0
        ? `${message}\n  engine stderr (last lines):\n    ${tail.split('\n').join('\n    ')}`
        : message;
    return new EngineError(full, op, id, tail);
  }

  /** Keep this process alive only while a request is in flight, so an undisposed engine never holds Node open. */
  private setRef(on: boolean): void {
    const handles = [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as unknown as {
      ref?: () => void;
      unref?: () => void;
    }[];
    for (const h of handles) (on ? h?.ref : h?.unref)?.call(h);
  }

  /**
   * Send one request and resolve to `read(result)` (the result itself by default). Requests are
   * sent one at a time, in call order; each has its time limit from when it is sent. A
   * {@link ProtocolError} thrown by `read` (a wrong shape, a missing field) is a protocol violation:
   * the engine is stopped and the request fails naming it.
   */
  request<T = Record<string, unknown>>(
    op: Op,
    args: Record<string, unknown> = {},
    read: (result: Record<string, unknown>) => T = (r) => r as T,
    timeoutMs?: number,
  ): Promise<T> {
    const run = this.chain.then(() => this.send(op, args, read, timeoutMs));
    this.chain = run.catch(() => {});
    return run;
  }

  private send<T>(
    op: Op,
    args: Record<string, unknown>,
    read: (result: Record<string, unknown>) => T,
    timeoutMs?: number,
  ): Promise<T> {
    if (this.stopped)
      return Promise.reject(
        this.error(op, undefined, `${this.label}: cannot send ${op}: it ${this.stopped}`),
      );
    const id = this.nextId++;
    const limit =
      timeoutMs ??
      (op === 'hello' ? this.options.timeouts?.hello : undefined) ??
      (op === 'train_epoch' || op === 'load_data' ? this.options.timeouts?.train_epoch : undefined) ??
      this.options.timeouts?.request ??
      (op === 'hello'
        ? DEFAULT_TIMEOUTS.hello
        : op === 'train_epoch' || op === 'load_data'
          ? DEFAULT_TIMEOUTS.train_epoch
          : DEFAULT_TIMEOUTS.request);
    const message = { id, op, ...args };
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.stop(`did not answer ${op} (request ${id}) within ${limit} ms and was stopped`);
      }, limit);
      this.pending = { id, op, read, resolve: resolve as (r: unknown) => void, reject, timer };
      this.setRef(true);
      this.options.onMessage?.('out', message);
      this.child.stdin!.write(`${JSON.stringify(message)}\n`);
    });
  }

  private settle(): Pending | undefined {
    const p = this.pending;
    if (p) {
      clearTimeout(p.timer);
      this.pending = undefined;
      this.setRef(false);
    }
    return p;
  }

  private onData(text: string): void {
    this.buffer += text;
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0 && !this.stopped) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      if (line.trim().length > 0) this.onLine(line);
      nl = this.buffer.indexOf('\n');
    }
    if (!this.stopped && this.buffer.length > MAX_LINE_BYTES)
      this.stop(`wrote a line longer than ${MAX_LINE_BYTES} bytes`);
  }

  private onLine(line: string): void {
    const p = this.pending;
    const during = p ? ` in its answer to ${p.op} (request ${p.id})` : ' while no request was in progress';
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      return void this.stop(
        `wrote ${excerpt(line)}${during}, which is not a JSON line (anything an engine prints must go to stderr)`,
      );
    }
    this.options.onMessage?.('in', msg);
    if (!p) return void this.stop(`wrote ${excerpt(line)}${during}`);
    if (!isRecord(msg) || msg.id !== p.id)
      return void this.stop(
        `answered with ${excerpt(line)}${during}: a reply must be an object with "id": ${p.id}`,
      );
    if (msg.ok === true && isRecord(msg.result)) {
      let value: unknown;
      try {
        value = p.read(msg.result);
      } catch (e) {
        if (e instanceof ProtocolError)
          return void this.stop(`broke the protocol in its answer: ${e.message}`);
        this.settle()!.reject(
          this.error(p.op, p.id, `${this.label}: ${p.op} (request ${p.id}) failed: ${(e as Error).message}`),
        );
        return;
      }
      this.settle()!.resolve(value);
      return;
    }
    if (msg.ok === false && isRecord(msg.error) && typeof msg.error.message === 'string') {
      // The engine refused or failed this request and said why: it stays up for the next one.
      this.settle()!.reject(
        this.error(p.op, p.id, `${this.label} failed ${p.op} (request ${p.id}): ${msg.error.message}`),
      );
      return;
    }
    this.stop(
      `answered with ${excerpt(line)}${during}: a reply is {"id", "ok": true, "result": {…}} or {"id", "ok": false, "error": {"message"}}`,
    );
  }

  /**
   * Stop the engine because of `reason` (a protocol violation, a time limit, an exit): the
   * request in progress fails with it, later ones fail at once, and the process is killed.
   */
  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = reason;
    const p = this.settle();
    this.setRef(false);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    if (p) {
      // Let the stderr of a crash arrive before the message is written (bounded: the pipe closes).
      const fail = () =>
        p.reject(this.error(p.op, p.id, `${this.label}: ${p.op} (request ${p.id}) failed: it ${reason}`));
      Promise.race([this.exited, new Promise((r) => setTimeout(r, 500).unref())]).then(fail, fail);
    }
  }

  /**
   * Ask the engine to exit (`shutdown`), then kill it if it has not exited within a short grace
   * period. Resolves when the process is gone; never rejects.
   */
  async close(): Promise<void> {
    if (!this.stopped) {
      await this.request('shutdown', {}, undefined, SHUTDOWN_GRACE_MS).catch(() => {});
      this.child.stdin!.end();
      const grace = setTimeout(() => this.stop('was stopped after shutdown'), SHUTDOWN_GRACE_MS);
      await this.exited;
      clearTimeout(grace);
      this.stopped ??= 'was shut down';
    }
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
