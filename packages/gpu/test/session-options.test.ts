import { describe, expect, it } from 'vitest';
import { sessionOptions } from '../src/ort.js';

describe('sessionOptions', () => {
  it('forbids CPU fallback on GPU providers only', () => {
    expect(sessionOptions('webgpu').extra).toMatchObject({ session: { disable_cpu_ep_fallback: '1' } });
    expect(sessionOptions('cpu').extra).toMatchObject({ session: { disable_cpu_ep_fallback: '0' } });
  });

  it("keeps the CPU provider's idle intra-op threads from spinning (and leaves other providers alone)", () => {
    const cpu = sessionOptions('cpu').extra as { session: Record<string, unknown> };
    expect(cpu.session.intra_op).toEqual({ allow_spinning: '0' });
    const webgpu = sessionOptions('webgpu').extra as { session: Record<string, unknown> };
    expect(webgpu.session.intra_op).toBeUndefined();
  });

  it('passes the caller’s options through', () => {
    expect(sessionOptions('cpu', { intraOpNumThreads: 1 }).intraOpNumThreads).toBe(1);
  });
});
