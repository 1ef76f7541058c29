/**
 * The web app: the lesson's network trained in the page (Train), a digit drawn and read by it
 * (Draw a digit), and the conformance suite on each backend the browser offers (Conformance suite).
 */
import { DrawView } from './draw-view.js';
import { SuiteView } from './suite-view.js';
import { TrainView } from './train-view.js';

const draw = new DrawView();
new TrainView((model, label) => draw.load(model, label, 'the model trained in the page'));
new SuiteView();

for (const button of document.querySelectorAll<HTMLButtonElement>('nav button'))
  button.addEventListener('click', () => {
    for (const b of document.querySelectorAll('nav button')) b.classList.toggle('active', b === button);
    for (const v of document.querySelectorAll('.view'))
      v.classList.toggle('active', v.id === `view-${button.dataset.view}`);
  });
