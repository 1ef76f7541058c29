import type { ForwardTrace, Params } from '@backprop/core';

const SVG = 'http://www.w3.org/2000/svg';
/** Neurons drawn per layer at most; a wider layer shows its first ones and says how many there are. */
const MAX_SHOWN = 24;
/** Incoming weights drawn per neuron: the strongest by |w|. */
const EDGES_PER_NEURON = 3;

function el(name: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A grey level for an activation in [0, 1]: dark is 0, white is 1, as the lesson lights its neurons. */
const lit = (a: number) => {
  const v = Math.round(255 * Math.min(1, Math.max(0, a)));
  return `rgb(${v},${v},${v})`;
};

/**
 * The network as the lesson draws it: the input image (784 neurons, each a pixel), then each
 * layer's neurons lit by their activation a^l_j, and between layers the strongest weights into
 * each neuron (blue positive, red negative, more opaque the larger |w^l_jk|).
 */
export function drawNetwork(
  svg: SVGSVGElement,
  sizes: readonly number[],
  params: Params,
  trace: ForwardTrace,
): void {
  const W = Number(svg.getAttribute('width'));
  const H = Number(svg.getAttribute('height'));
  svg.replaceChildren();
  const L = sizes.length - 1;
  const cell = Math.min(8, (H - 60) / 28);
  const gx = 20;
  const gy = (H - 28 * cell) / 2;
  const pixelCentre = (k: number) =>
    [gx + ((k % 28) + 0.5) * cell, gy + (Math.floor(k / 28) + 0.5) * cell] as const;
  const x0 = gx + 28 * cell + 120;
  const colX = (l: number) => x0 + ((W - 90 - x0) * (l - 1)) / Math.max(1, L - 1);
  const shown = (l: number) => Math.min(sizes[l]!, MAX_SHOWN);
  const r = Math.min(12, (H - 60) / (2.6 * Math.max(...sizes.slice(1).map((n) => Math.min(n, MAX_SHOWN)))));
  const neuronY = (l: number, j: number) => H / 2 + (j - (shown(l) - 1) / 2) * r * 2.6;
  const edges = el('g', { class: 'edges' });
  const nodes = el('g', { class: 'neurons' });
  svg.append(edges, nodes);

  // a^0: the image.
  const input = trace.activations[0]!;
  for (let k = 0; k < sizes[0]!; k++) {
    const [cx, cy] = pixelCentre(k);
    nodes.append(
      el('rect', {
        x: cx - cell / 2,
        y: cy - cell / 2,
        width: cell - 0.5,
        height: cell - 0.5,
        fill: lit(input[k]!),
      }),
    );
  }
  nodes.append(el('text', { x: gx, y: gy - 10, fill: '#aaa', 'font-size': 12 }, `a⁰: ${sizes[0]} pixels`));

  for (let l = 1; l <= L; l++) {
    const n = sizes[l]!;
    const m = sizes[l - 1]!;
    const w = params.weights[l - 1]!;
    const a = trace.activations[l]!;
    let maxW = 0;
    for (const v of w) maxW = Math.max(maxW, Math.abs(v));
    // The largest activation of a layer without a bound (ReLU) is drawn as white.
    const top = Math.max(1, ...Array.from(a.subarray(0, n)));
    for (let j = 0; j < shown(l); j++) {
      // The strongest incoming weights of neuron j: |w^l_jk| largest over k.
      const row = w.subarray(j * m, (j + 1) * m);
      const strongest = Array.from(row.keys())
        .sort((p, q) => Math.abs(row[q]!) - Math.abs(row[p]!))
        .slice(0, EDGES_PER_NEURON);
      for (const k of strongest) {
        if (l > 1 && k >= shown(l - 1)) continue;
        const [sx, sy] = l === 1 ? pixelCentre(k) : [colX(l - 1), neuronY(l - 1, k)];
        const v = row[k]!;
        edges.append(
          el('line', {
            x1: sx,
            y1: sy,
            x2: colX(l),
            y2: neuronY(l, j),
            stroke: v >= 0 ? '#4a8cff' : '#ff5a4a',
            'stroke-opacity': (0.15 + (0.85 * Math.abs(v)) / (maxW || 1)).toFixed(3),
            'stroke-width': 1.2,
            'data-weight': v,
          }),
        );
      }
      const best = l === L && a.indexOf(Math.max(...a)) === j;
      nodes.append(
        el('circle', {
          cx: colX(l),
          cy: neuronY(l, j),
          r,
          fill: lit(a[j]! / top),
          stroke: best ? '#ffcc33' : '#888',
          'stroke-width': best ? 3 : 1,
          'data-layer': l,
          'data-neuron': j,
          'data-activation': a[j]!,
        }),
      );
      if (l === L)
        nodes.append(
          el(
            'text',
            { x: colX(l) + r + 8, y: neuronY(l, j) + 4, fill: best ? '#ffcc33' : '#ccc', 'font-size': 13 },
            `${j}  ${a[j]!.toFixed(3)}`,
          ),
        );
    }
    nodes.append(
      el(
        'text',
        { x: colX(l) - 20, y: neuronY(l, 0) - r - 10, fill: '#aaa', 'font-size': 12 },
        `a${'¹²³⁴⁵⁶⁷⁸⁹'[l - 1] ?? `^${l}`}: ${n}${n > shown(l) ? ` (first ${shown(l)})` : ''}`,
      ),
    );
  }
}
