import { existsSync, readdirSync } from 'node:fs';
import { bindingDir, bindingLibraries, ortVersion, type Provider, probeProvider } from '@backprop/gpu';
import type { Command } from '../command.js';
import { helpText, parseFlags } from '../flags.js';

const HELP = helpText(
  {
    usage: 'backprop doctor',
    description: `Report what this machine can run: Node, the ONNX Runtime version and where its native binding
lives, which provider libraries sit beside it, and for each execution provider (cpu, webgpu,
cuda) the result of really creating and running a session on it (CPU fallback forbidden for
GPU providers), one line each, with how to enable an unavailable one.
Exit code 0 when the CPU provider works, 1 otherwise.`,
  },
  {},
);

const PROVIDERS: readonly Provider[] = ['cpu', 'webgpu', 'cuda'];

/** `backprop doctor`. */
export const command: Command = {
  summary: 'ONNX Runtime version, binding path, provider libraries; probe cpu/webgpu/cuda for real',
  help: HELP,
  flags: {},
  async run(argv) {
    parseFlags(argv, {});
    console.log(`node          ${process.version} (${process.platform}-${process.arch})`);
    console.log(`onnxruntime   onnxruntime-node ${ortVersion()}`);
    console.log(`binding       ${bindingDir()}`);
    const libs = bindingLibraries();
    const providers = libs.filter((f) => f.startsWith('libonnxruntime_providers_'));
    console.log(`libraries     ${libs.join(', ') || '(none)'}`);
    console.log(
      `provider libs ${providers.length > 0 ? providers.join(', ') : '(none: CPU and WebGPU are built into libonnxruntime)'}`,
    );
    console.log(
      `XDG_RUNTIME_DIR ${process.env.XDG_RUNTIME_DIR ?? '(unset: WebGPU sessions create /tmp/xdg-runtime-UID and use it)'}`,
    );
    // Dawn runs WebGPU over Vulkan: list the Vulkan drivers (ICDs) it can find.
    const icdDirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d'].filter((d) => existsSync(d));
    const icds = icdDirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.json')));
    console.log(
      `vulkan ICDs   ${icds.length > 0 ? icds.join(', ') : '(none found: WebGPU needs a Vulkan driver, e.g. mesa-vulkan-drivers)'}`,
    );
    let cpuOk = false;
    for (const p of PROVIDERS) {
      const a = await probeProvider(p);
      if (p === 'cpu') cpuOk = a.available;
      console.log(
        a.available
          ? `onnx-${p.padEnd(7)} available: a session ran on the ${a.device} execution provider`
          : `onnx-${p.padEnd(7)} unavailable: ${a.reason}`,
      );
    }
    return cpuOk ? 0 : 1;
  },
};
