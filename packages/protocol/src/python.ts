import { execFile } from 'node:child_process';

/** The interpreters tried, in order, when none is named: the first `python3` on PATH, Debian's, then `python`. */
export const DEFAULT_PYTHONS: readonly string[] = Object.freeze(['python3', '/usr/bin/python3', 'python']);

/**
 * The interpreters to try: the one named in the environment variable `envVar` alone when it is set
 * (the user's choice is not second-guessed), else {@link DEFAULT_PYTHONS}.
 */
export function pythonCandidates(
  envVar: string,
  env: Record<string, string | undefined> = process.env,
): readonly string[] {
  const named = env[envVar]?.trim();
  return named ? [named] : DEFAULT_PYTHONS;
}

/** An interpreter that imports every module asked for, with their versions; or why none does. */
export type PythonSearch =
  | { readonly found: true; readonly python: string; readonly versions: Readonly<Record<string, string>> }
  | { readonly found: false; readonly reason: string };

/**
 * The first of `candidates` that can import every one of `modules` (e.g. `['numpy']`), tried for
 * real; when none can, one line per candidate saying what went wrong.
 */
export async function findPython(
  modules: readonly string[],
  candidates: readonly string[] = DEFAULT_PYTHONS,
  timeoutMs = 60_000,
): Promise<PythonSearch> {
  const code = `import importlib, json; print(json.dumps({m: getattr(importlib.import_module(m), '__version__', '?') for m in ${JSON.stringify(modules)}}))`;
  const tried: string[] = [];
  for (const python of candidates) {
    const r = await new Promise<{ out: string; err: string; error?: Error }>((resolve) =>
      execFile(python, ['-c', code], { timeout: timeoutMs }, (error, out, err) =>
        resolve({ out, err, ...(error ? { error } : {}) }),
      ),
    );
    if (!r.error)
      try {
        return { found: true, python, versions: JSON.parse(r.out.trim().split('\n').pop()!) };
      } catch {
        // fall through: not the answer expected
      }
    const why = r.err.trim().split('\n').pop() || r.error?.message || `printed ${JSON.stringify(r.out)}`;
    tried.push(`${python}: ${why}`);
  }
  return {
    found: false,
    reason: `no Python interpreter here imports ${modules.join(' and ')} (${tried.join('; ')})`,
  };
}
