import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The HTML page of `backprop compare` in a real browser (Chromium, headless, offline: the page
 * is opened as a file): Vega draws the chart, hovering a point shows its values, the mouse
 * wheel zooms the x axis (issue 15, item 9). A probe script appended to the page does what a
 * user's mouse does and writes what happened into the DOM, which Chromium prints.
 */
const bin = resolve(import.meta.dirname, '../dist/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'backprop-page-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

const cli = (args: readonly string[]) =>
  new Promise<{ code: number | null; output: string }>((done) =>
    execFile(process.execPath, [bin, ...args], { cwd: dir, timeout: 60_000 }, (error, stdout, stderr) =>
      done({
        code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
        output: `${stdout}${stderr}`,
      }),
    ),
  );

const PROBE = `<script>
(async () => {
  for (let i = 0; i < 400 && !window.backpropView; i++) await new Promise((r) => setTimeout(r, 25));
  const view = window.backpropView;
  const out = { rendered: !!view };
  if (view) {
    const svg = document.querySelector('#chart svg');
    const sym = [...svg.querySelectorAll('.mark-symbol path')].find((p) => p.getBoundingClientRect().width > 0);
    const r = sym.getBoundingClientRect();
    const at = { clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true };
    for (const type of ['pointermove', 'mousemove', 'mouseover']) sym.dispatchEvent(new MouseEvent(type, at));
    await new Promise((r) => setTimeout(r, 100));
    out.title = svg.getAttribute('title') ?? document.querySelector('#chart').getAttribute('title');
    out.before = view.signal('zoom1');
    sym.dispatchEvent(new WheelEvent('wheel', { ...at, deltaY: -300, cancelable: true }));
    await new Promise((r) => setTimeout(r, 100));
    out.after = view.signal('zoom1');
  }
  document.body.setAttribute('data-probe', JSON.stringify(out));
})();
</script>`;

beforeAll(async () => {
  for (const seed of ['1', '2']) {
    const r = await cli([
      'train',
      '--epochs',
      '3',
      '--train-count',
      '2000',
      '--validation-count',
      '500',
      '--seed',
      seed,
      '--out',
      `s${seed}`,
      '--quiet',
    ]);
    expect(r.code, r.output).toBe(0);
  }
}, 120_000);

describe('backprop compare --out page.html in Chromium', () => {
  it('draws the chart offline; hover shows a point’s values; the wheel zooms the x axis', async () => {
    expect(CHROMIUM, 'Chromium is needed for this test (CI installs it)').toBeDefined();
    const r = await cli(['compare', join('s1', 'run.json'), join('s2', 'run.json'), '--out', 'page.html']);
    expect(r.code, r.output).toBe(0);
    const page = readFileSync(join(dir, 'page.html'), 'utf8');
    writeFileSync(join(dir, 'probed.html'), page.replace('</body></html>', `${PROBE}</body></html>`));
    const c = spawnSync(
      CHROMIUM!,
      [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--virtual-time-budget=15000',
        '--dump-dom',
        `file://${join(dir, 'probed.html')}`,
      ],
      { encoding: 'utf8', timeout: 90_000, env: { ...process.env, HOME: dir } },
    );
    const m = /data-probe="([^"]*)"/.exec(c.stdout);
    expect(m, c.stderr.slice(-2000)).not.toBeNull();
    const probe = JSON.parse(m![1]!.replaceAll('&quot;', '"').replaceAll('&amp;', '&'));
    expect(probe.rendered).toBe(true);
    // The values of the hovered point: its run (labelled by what differs), step, cost, seconds.
    expect(probe.title).toMatch(/^run: reference · seed [12]\nstep: \d+\ncost: \d\.\d{5}\nseconds: [\d.]+$/);
    expect(probe.before).toEqual({});
    expect(probe.after.step).toHaveLength(2); // zoomed: an x interval on the step axis
    expect(probe.after.step[1] - probe.after.step[0]).toBeGreaterThan(0);
  }, 120_000);
});
