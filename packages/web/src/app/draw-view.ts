import { createReferenceBackend, type Model, ModelFileError, parseModel } from '@backprop/core';
import { DigitImageError, MNIST_SIDE, toMnistImage } from '@backprop/data';
import { byId } from './download.js';
import { drawNetwork } from './network-view.js';

/**
 * The Draw view: a pad to draw a digit on with the mouse or a finger (pointer events), the image
 * the network is shown (made by @backprop/data's `toMnistImage`, as `backprop predict` makes
 * it from a picture), the answer, the ten outputs, and the network's activations.
 */
export class DrawView {
  private model: Model | undefined;
  private readonly pad = byId<HTMLCanvasElement>('pad');
  private readonly ctx = this.pad.getContext('2d', { willReadFrequently: true })!;
  private drawing = false;
  private last: [number, number] | undefined;
  private pending = false;

  constructor() {
    this.clear();
    this.pad.addEventListener('pointerdown', (e) => {
      this.pad.setPointerCapture(e.pointerId);
      this.drawing = true;
      this.last = this.at(e);
      this.stroke(this.last, this.last);
    });
    this.pad.addEventListener('pointermove', (e) => {
      if (!this.drawing) return;
      const p = this.at(e);
      this.stroke(this.last!, p);
      this.last = p;
      this.schedule();
    });
    const end = () => {
      if (!this.drawing) return;
      this.drawing = false;
      this.predict();
    };
    this.pad.addEventListener('pointerup', end);
    this.pad.addEventListener('pointercancel', end);
    byId('pad-clear').addEventListener('click', () => this.clear());
    byId<HTMLInputElement>('model-file').addEventListener('change', async (e) => {
      const file = (e.target as HTMLInputElement).files?.[0];
      if (file) this.load(await file.text(), `loaded from ${file.name}`, file.name);
    });
  }

  /** Use the model in `text` (a model file's JSON), checked as `loadModel` checks a file. */
  load(text: string, label: string, source = 'model file'): void {
    const status = byId('model-status');
    try {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw new ModelFileError(
          `${source} is not JSON (${(e as Error).message}); is it a model file written by 'backprop train'?`,
        );
      }
      const model = parseModel(json, source);
      const { sizes } = model.spec;
      if (sizes[0] !== MNIST_SIDE * MNIST_SIDE)
        throw new ModelFileError(
          `${source}: its input layer has ${sizes[0]} neurons; a digit drawn here is 28×28 = 784 pixels`,
        );
      this.model = model;
      status.textContent = `model ${sizes.join('-')} ${model.spec.activation}/${model.spec.cost}, ${label}`;
      status.dataset.state = 'ready';
      this.predict();
    } catch (e) {
      status.textContent = (e as Error).message;
      status.dataset.state = 'error';
    }
  }

  private at(e: PointerEvent): [number, number] {
    const r = this.pad.getBoundingClientRect();
    return [
      ((e.clientX - r.left) * this.pad.width) / r.width,
      ((e.clientY - r.top) * this.pad.height) / r.height,
    ];
  }

  private stroke(a: [number, number], b: [number, number]): void {
    const c = this.ctx;
    c.strokeStyle = '#000';
    c.lineWidth = this.pad.width / 14; // MNIST's strokes are about 2 of its 28 pixels wide
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(...a);
    c.lineTo(...b);
    c.stroke();
  }

  private clear(): void {
    this.ctx.fillStyle = '#fff';
    this.ctx.fillRect(0, 0, this.pad.width, this.pad.height);
    byId('answer').textContent = '–';
    delete byId('answer').dataset.digit;
    byId('outputs').replaceChildren();
    byId<HTMLCanvasElement>('seen').getContext('2d')!.clearRect(0, 0, MNIST_SIDE, MNIST_SIDE);
    byId<SVGSVGElement>('network').replaceChildren();
  }

  /** While drawing, predict at most once a frame. */
  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.predict();
    });
  }

  private async predict(): Promise<void> {
    const { width, height, data } = this.ctx.getImageData(0, 0, this.pad.width, this.pad.height);
    let pixels: Uint8Array;
    try {
      pixels = toMnistImage({ width, height, data, channels: 4 }).pixels;
    } catch (e) {
      if (e instanceof DigitImageError) return; // nothing drawn yet
      throw e;
    }
    const seen = byId<HTMLCanvasElement>('seen');
    const img = new ImageData(MNIST_SIDE, MNIST_SIDE);
    pixels.forEach((v, i) => {
      img.data.set([v, v, v, 255], i * 4);
    });
    seen.getContext('2d')!.putImageData(img, 0, 0);
    seen.dataset.pixels = Array.from(pixels).join(',');
    if (!this.model) return;
    const { spec, params } = this.model;
    const net = createReferenceBackend(spec, params);
    const x = Float64Array.from(pixels, (p) => p / 255); // a⁰, as MNIST's bytes are scaled
    const trace = await net.forward(x, 1);
    await net.dispose();
    const out = trace.activations[trace.activations.length - 1]!;
    const answer = out.indexOf(Math.max(...out));
    const a = byId('answer');
    a.textContent = String(answer);
    a.dataset.digit = String(answer);
    a.dataset.outputs = Array.from(out).join(',');
    const top = Math.max(...out, 1e-12);
    byId('outputs').replaceChildren(
      ...Array.from(out, (v, j) => {
        const bar = document.createElement('div');
        bar.className = j === answer ? 'bar best' : 'bar';
        bar.innerHTML = `<span>${j}</span><span class="fill" style="width:${(150 * v) / top}px"></span><span>${v.toFixed(4)}</span>`;
        return bar;
      }),
    );
    drawNetwork(byId<SVGSVGElement>('network'), spec.sizes, params, trace);
  }
}
