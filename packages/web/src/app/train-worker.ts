/// <reference lib="webworker" />
/**
 * The training worker: MNIST fetched from the page's server, a backend from the registry (the
 * float64 reference, or TF.js), and @backprop/core's `train` — the loop `backprop train` runs —
 * with its events posted to the page. At the end, the run file and the model file.
 */
import './worker-setup.js';
import {
  DivergenceError,
  type EpochPoint,
  initParams,
  type NetworkSpec,
  openBackend,
  parseModel,
  type StepPoint,
  serializeModel,
  TrainingStopped,
  train,
} from '@backprop/core';
import { splitMnist } from '@backprop/data';
import { backendStatuses, registerPageBackends } from './backends.js';
import type { TrainEvent, TrainRequest } from './messages.js';
import { fetchMnist } from './mnist.js';
import { PAGE_DATA_SOURCE, pageRunFile } from './run-file.js';

registerPageBackends();
const post = (e: TrainEvent) => postMessage(e);
let stopRequested = false;
let running = false;

async function run(config: Extract<TrainRequest, { type: 'train' }>['config']): Promise<void> {
  post({ type: 'status', text: 'loading MNIST from the page’s server…' });
  const mnist = await fetchMnist();
  const {
    train: trainSet,
    validation,
    test,
  } = splitMnist(mnist, {
    trainCount: config.trainCount,
    validationCount: config.validationCount,
  });
  const spec: NetworkSpec = { sizes: config.sizes, activation: config.activation, cost: config.cost };
  const backend = await openBackend(config.backend, spec, initParams(spec, config.seed, config.init));
  const started = new Date();
  const steps: StepPoint[] = [];
  const epochs: EpochPoint[] = [];
  const stepsPerEpoch = Math.ceil(trainSet.count / config.batchSize);
  const info = { name: backend.name, dtype: backend.dtype, device: backend.device };
  post({ type: 'start', backend: info, stepsPerEpoch });
  const counts = { train: trainSet.count, validation: validation.count, test: test.count };
  let lastPost = 0;
  try {
    const result = await train(backend, trainSet, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      eta: config.eta,
      seed: config.seed,
      logEvery: config.logEvery,
      ...(validation.count > 0 ? { validation } : {}),
      test,
      shouldStop: () => stopRequested,
      onStep: (e) => {
        const now = performance.now();
        if (now - lastPost < 100 && e.stepInEpoch !== e.stepsInEpoch) return; // ten a second is plenty
        lastPost = now;
        post({ type: 'step', ...e });
      },
      onPoint: (p) => {
        steps.push(p);
        post({ type: 'point', point: p });
      },
      onEpoch: (p) => {
        epochs.push(p);
        post({ type: 'epoch', point: p });
      },
    });
    const final = result.final!;
    const model = serializeModel({
      spec,
      params: await backend.getParams(),
      provenance: {
        createdAt: new Date().toISOString(),
        init: config.init,
        seed: config.seed,
        epochs: config.epochs,
        batchSize: config.batchSize,
        eta: config.eta,
        momentum: 0,
        weightDecay: 0,
        backend: `${info.name} (${info.dtype}, ${info.device})`,
        data: PAGE_DATA_SOURCE,
        testAccuracy: final.accuracy,
        runFile: `${config.name}.run.json`,
      },
    });
    parseModel(JSON.parse(model), 'the page’s model file'); // the checks saveModel makes
    const runFile = pageRunFile({
      config,
      backend: info,
      started,
      counts,
      steps: result.steps,
      epochs: result.epochs,
      final: { test: final, seconds: result.seconds },
      error: null,
      modelFile: `${config.name}.model.json`,
    });
    post({ type: 'done', run: runFile, model });
  } catch (e) {
    if (e instanceof DivergenceError) {
      const runFile = pageRunFile({
        config,
        backend: info,
        started,
        counts,
        steps: e.partial.steps,
        epochs: e.partial.epochs,
        final: null,
        error: e.message,
        modelFile: null,
      });
      post({ type: 'done', run: runFile, model: null, note: e.message });
    } else if (e instanceof TrainingStopped) {
      post({
        type: 'error',
        message: `stopped at step ${e.state.step}: no run file for a run that did not finish`,
      });
    } else throw e;
  } finally {
    await backend.dispose();
  }
}

self.onmessage = async (ev: MessageEvent<TrainRequest>) => {
  const msg = ev.data;
  try {
    if (msg.type === 'stop') stopRequested = true;
    else if (msg.type === 'list') post({ type: 'backends', list: await backendStatuses() });
    else if (msg.type === 'train') {
      if (running) return post({ type: 'error', message: 'a run is already going on: stop it first' });
      running = true;
      stopRequested = false;
      try {
        await run(msg.config);
      } finally {
        running = false;
      }
    }
  } catch (e) {
    post({ type: 'error', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
};
