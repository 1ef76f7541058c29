import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';

/**
 * Node placement: which execution provider ran each node of a session, read from ONNX Runtime's
 * own profiler (the `enableProfiling` session option records every node's `provider`). GPU
 * sessions already forbid CPU fallback; this is the evidence, per graph, that a report can show.
 *
 * Turned on from the environment, so that it reaches every session (conformance, train, probe)
 * without a flag on each command:
 * - `BACKPROP_VERIFY_PLACEMENT=1`: after a session's first run, check that every node ran on
 *   the requested provider; a node elsewhere fails that run with a {@link PlacementError}.
 * - `BACKPROP_PLACEMENT_LOG=FILE`: the same check, and one JSON line ({@link Placement}) per
 *   session appended to FILE.
 *
 * Only the first run of a session is profiled (placement is fixed when the session is created:
 * our graphs have no control flow, so one run executes every node); later runs cost nothing.
 */

/** The provider names as they appear in ONNX Runtime's profiles. */
export const EP_NAMES = Object.freeze({
  cpu: 'CPUExecutionProvider',
  webgpu: 'WebGpuExecutionProvider',
  cuda: 'CUDAExecutionProvider',
} as const);

/** An execution provider the backends run on (the keys of {@link EP_NAMES}). */
export type PlacedProvider = keyof typeof EP_NAMES;

/** Where the nodes of one session ran (one line of the placement log). */
export interface Placement {
  /** The graph (the backend's session key, e.g. `steps:32`, or `probe`). */
  readonly graph: string;
  /** The provider asked for. */
  readonly provider: PlacedProvider;
  /** Nodes that ran in the profiled run (after ONNX Runtime's graph optimisations). */
  readonly nodes: number;
  /** Node count per provider name, as the profile reports it. */
  readonly byProvider: Readonly<Record<string, number>>;
  /** Nodes that ran elsewhere than on `provider`, as `name (Provider)`; empty when all is well. */
  readonly elsewhere: readonly string[];
  /** Whether every node ran on `provider` (and at least one ran). */
  readonly ok: boolean;
}

/** A node ran on another provider than the one the session was created for. */
export class PlacementError extends Error {
  override name = 'PlacementError';
}

/** What the environment asks for: `undefined` when placement is not checked. */
export function placementSettings(env: NodeJS.ProcessEnv = process.env): { log?: string } | undefined {
  const log = env.BACKPROP_PLACEMENT_LOG;
  const verify = env.BACKPROP_VERIFY_PLACEMENT;
  if (log) return { log };
  if (verify && verify !== '0') return {};
  return undefined;
}

/** Node name → provider name, from the events of an ONNX Runtime profile (its JSON array). */
export function nodeProviders(profile: unknown): Map<string, string> {
  if (!Array.isArray(profile)) throw new TypeError('an ONNX Runtime profile is a JSON array of events');
  const nodes = new Map<string, string>();
  for (const e of profile as { cat?: unknown; name?: unknown; args?: { provider?: unknown } }[]) {
    // Each node's kernel is one "Node" event named NODE_kernel_time (fence events carry no provider).
    if (e?.cat !== 'Node' || typeof e.name !== 'string' || !e.name.endsWith('_kernel_time')) continue;
    const provider = e.args?.provider;
    if (typeof provider === 'string') nodes.set(e.name.slice(0, -'_kernel_time'.length), provider);
  }
  return nodes;
}

/** Summarise a profile of `graph` run on `provider`. */
export function placementOf(graph: string, provider: PlacedProvider, profile: unknown): Placement {
  const nodes = nodeProviders(profile);
  const byProvider: Record<string, number> = {};
  const elsewhere: string[] = [];
  for (const [name, ep] of nodes) {
    byProvider[ep] = (byProvider[ep] ?? 0) + 1;
    if (ep !== EP_NAMES[provider]) elsewhere.push(`${name} (${ep})`);
  }
  return {
    graph,
    provider,
    nodes: nodes.size,
    byProvider,
    elsewhere,
    ok: nodes.size > 0 && elsewhere.length === 0,
  };
}

/** The session options that make ONNX Runtime write a profile into a fresh folder. */
export function profilingOptions(): { dir: string; options: ort.InferenceSession.SessionOptions } {
  const dir = mkdtempSync(join(tmpdir(), 'backprop-profile-'));
  return { dir, options: { enableProfiling: true, profileFilePrefix: join(dir, 'profile') } };
}

/**
 * Check `session` (created with {@link profilingOptions}' `dir`) after its first run: end the
 * profile, read it, log and verify where every node ran. Returns the same session object.
 */
export function watchPlacement(
  session: ort.InferenceSession,
  provider: PlacedProvider,
  graph: string,
  dir: string,
  settings: { log?: string },
): ort.InferenceSession {
  const run = session.run.bind(session) as (...a: unknown[]) => Promise<ort.InferenceSession.ReturnType>;
  const release = session.release.bind(session);
  let pending = true;
  const finish = (): Placement => {
    pending = false;
    session.endProfiling(); // writes the profile and stops profiling this session
    try {
      const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
      if (files.length !== 1)
        throw new PlacementError(
          `${graph}: expected one ONNX Runtime profile in ${dir}, found ${files.length}`,
        );
      return placementOf(graph, provider, JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const patched = session as { run: (...a: unknown[]) => Promise<ort.InferenceSession.ReturnType> };
  patched.run = async (...args: unknown[]) => {
    const out = await run(...args);
    if (!pending) return out;
    const p = finish();
    if (settings.log) appendFileSync(settings.log, `${JSON.stringify(p)}\n`);
    if (!p.ok)
      throw new PlacementError(
        p.nodes === 0
          ? `${graph}: the ONNX Runtime profile recorded no nodes, so placement on ${EP_NAMES[provider]} cannot be shown`
          : `${graph}: ${p.elsewhere.length} of ${p.nodes} nodes did not run on ${EP_NAMES[provider]}: ${p.elsewhere.slice(0, 5).join(', ')}${p.elsewhere.length > 5 ? ', …' : ''}`,
      );
    return out;
  };
  session.release = async () => {
    if (pending) {
      // Never run: nothing to check, but end the profile so that no file is left behind.
      pending = false;
      session.endProfiling();
      rmSync(dir, { recursive: true, force: true });
    }
    return release();
  };
  return session;
}
