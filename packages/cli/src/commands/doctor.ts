import { existsSync, readdirSync } from 'node:fs';
import { bindingDir, bindingLibraries, ortVersion, type Provider, probeProvider } from '@backprop/gpu';
import { paint } from '../colour.js';
import type { Command } from '../command.js';
import { helpText, parseFlags, toggle } from '../flags.js';

/** The flags of `backprop doctor`. */
const FLAGS = {
  json: toggle({
    section: 'Flags',
    help: 'print one JSON object: node, onnxruntime, binding, libraries, Vulkan drivers, and per provider whether a session ran and on what (or why not)',
  }),
} as const;

const HELP = helpText(
  {
    usage: 'backprop doctor [--json]',
    description: `Report what this machine can run: Node, the ONNX Runtime version and where its native binding
lives, which provider libraries sit beside it, and for each execution provider (cpu, webgpu,
cuda) the result of really creating and running a session on it (CPU fallback forbidden for
GPU providers), one line each, with how to enable an unavailable one.
Exit code 0 when the CPU provider works, 1 otherwise.`,
  },
  FLAGS,
);

const PROVIDERS: readonly Provider[] = ['cpu', 'webgpu', 'cuda'];

/** `backprop doctor`. */
export const command: Command = {
  help: HELP,
  flags: FLAGS,
  async run(argv) {
    const { values } = parseFlags(argv, FLAGS);
    const libs = bindingLibraries();
    const providerLibs = libs.filter((f) => f.startsWith('libonnxruntime_providers_'));
    // Dawn runs WebGPU over Vulkan: list the Vulkan drivers (ICDs) it can find.
    const icdDirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d'].filter((d) => existsSync(d));
    const icds = icdDirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.json')));
    const probes = [];
    for (const p of PROVIDERS) probes.push({ provider: p, ...(await probeProvider(p)) });
    const cpuOk = probes.some((a) => a.provider === 'cpu' && a.available);
    if (values.json) {
      console.log(
        JSON.stringify({
          node: process.version,
          platform: `${process.platform}-${process.arch}`,
          onnxruntime: ortVersion(),
          binding: bindingDir(),
          libraries: libs,
          providerLibraries: providerLibs,
          xdgRuntimeDir: process.env.XDG_RUNTIME_DIR ?? null,
          vulkanIcds: icds,
          providers: probes.map((a) => ({
            name: `onnx-${a.provider}`,
            available: a.available,
            ...(a.available ? { device: a.device } : { reason: a.reason }),
          })),
        }),
      );
      return cpuOk ? 0 : 1;
    }
    console.log(`node          ${process.version} (${process.platform}-${process.arch})`);
    console.log(`onnxruntime   onnxruntime-node ${ortVersion()}`);
    console.log(`binding       ${bindingDir()}`);
    console.log(`libraries     ${libs.join(', ') || '(none)'}`);
    console.log(
      `provider libs ${providerLibs.length > 0 ? providerLibs.join(', ') : '(none: CPU and WebGPU are built into libonnxruntime)'}`,
    );
    console.log(
      `XDG_RUNTIME_DIR ${process.env.XDG_RUNTIME_DIR ?? '(unset: WebGPU sessions create /tmp/xdg-runtime-UID and use it)'}`,
    );
    console.log(
      `vulkan ICDs   ${icds.length > 0 ? icds.join(', ') : '(none found: WebGPU needs a Vulkan driver, e.g. mesa-vulkan-drivers)'}`,
    );
    const c = paint(process.stdout);
    for (const a of probes)
      console.log(
        a.available
          ? `onnx-${a.provider.padEnd(7)} ${c.green('available')}: a session ran on the ${a.device} execution provider`
          : `onnx-${a.provider.padEnd(7)} ${c.yellow('unavailable')}: ${a.reason}`,
      );
    return cpuOk ? 0 : 1;
  },
};
