/// <reference lib="webworker" />
/**
 * The training worker: MNIST fetched from the page's server, a backend from the registry (the
 * float64 reference, or TF.js), and @backprop/core's `train` — the loop `backprop train` runs —
 * with its events posted to the page. At the end, the run file and the model file.
 */
import './worker-setup.js';
import {
  DivergenceError,
  initParams,
  modelProvenance,
  type NetworkSpec,
  openBackend,
  parseModel,
  serializeModel,
  TrainingStopped,
  train,
} from '@backprop/core';
import { splitMnist } from '@backprop/data';
import { backendStatuses, registerPageBackends } from './backends.js';
import type { PageTrainConfig, TrainEvent, TrainRequest } from './messages.js';
import { fetchMnist } from './mnist.js';
import { pageRunFile } from './run-file.js';

registerPageBackends();
const post = (e: TrainEvent) => postMessage(e);
let stopRequested = false;
let running = false;

async function run(config: PageTrainConfig): Promise<void> {
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
  const { settings } = config;
  const spec: NetworkSpec = { ...settings.spec, sizes: [...settings.spec.sizes] };
  const backend = await openBackend(config.backend, spec, initParams(spec, settings.seed, settings.init));
  const started = new Date();
  const stepsPerEpoch = Math.ceil(trainSet.count / settings.batchSize);
  const info = { name: backend.name, dtype: backend.dtype, device: backend.device };
  post({ type: 'start', backend: info, stepsPerEpoch });
  const run = {
    config,
    backend: info,
    started,
    counts: { train: trainSet.count, validation: validation.count, test: test.count },
  };
  let lastPost = 0;
  try {
    // The loop of `backprop train`, with the same settings.
    const result = await train(backend, trainSet, {
      ...settings,
      ...(validation.count > 0 ? { validation } : {}),
      test,
      shouldStop: () => stopRequested,
      onStep: (e) => {
        const now = performance.now();
        if (now - lastPost < 100 && e.stepInEpoch !== e.stepsInEpoch) return; // ten a second is plenty
        lastPost = now;
        post({ type: 'step', ...e });
      },
      onPoint: (p) => post({ type: 'point', point: p }),
      onEpoch: (p) => post({ type: 'epoch', point: p }),
    });
    const final = result.final!;
    const runFile = pageRunFile({
      ...run,
      steps: result.steps,
      epochs: result.epochs,
      final: { test: final, seconds: result.seconds },
      error: null,
      modelFile: `${config.name}.model.json`,
    });
    const model = serializeModel({
      spec,
      params: await backend.getParams(),
      provenance: modelProvenance(runFile, final.accuracy, `${config.name}.run.json`),
    });
    parseModel(JSON.parse(model), 'the page’s model file'); // the checks saveModel makes
    post({ type: 'done', run: runFile, model });
  } catch (e) {
    if (e instanceof DivergenceError) {
      const runFile = pageRunFile({
        ...run,
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
