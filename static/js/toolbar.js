// The header: step buttons, speed, step counter, connection state, fit, tidy, delete, set output.
import { onLanguageChange, t } from './i18n.js';

const $ = (root, id) => root.querySelector(`[data-testid="${id}"]`);

export class Toolbar {
  constructor(root, { actions, model, fitView }) {
    this.root = root;
    this.model = model;
    this.speedInput = $(root, 'speed');
    this.counter = $(root, 'step-counter');
    this.connection = $(root, 'connection-state');
    this.deleteBtn = $(root, 'delete-selected');
    this.outputBtn = $(root, 'set-output');
    const on = (id, fn) => $(root, id).addEventListener('click', fn);
    on('step-forward', () => actions.step('forward', 1));
    on('step-backward', () => actions.step('backward', 1));
    on('run-forward', () => actions.step('forward', 'all'));
    on('run-backward', () => actions.step('backward', 'all'));
    on('reset', () => actions.reset());
    on('fit-view', () => fitView());
    on('tidy', async () => {
      // One edit of move_node ops; its patch comes before this ack, so the view fits the new layout.
      if (await actions.send('tidy', {})) fitView();
    });
    on('delete-selected', () => actions.deleteSelection());
    on('set-output', () => {
      const [id] = model.selection.nodes;
      if (id) actions.setOutput(id);
    });
    this.status = 'connecting';
    onLanguageChange(() => { this.setConnection(this.status); this.update(); });
  }

  get speed() { return Number(this.speedInput.value); }

  setConnection(status) {
    this.status = status;
    this.connection.dataset.state = status;
    this.connection.textContent = ['connected', 'reconnecting', 'connecting'].includes(status) ? t(`connection.${status}`) : status;
  }

  /** Refresh from the model: the counter ("forward 3 / 7") and the selection buttons. */
  update() {
    // While a step animates, count it already: the counter matches the explanation.
    const playing = this.model.playing;
    const { phase, step, total } = (playing && playing.cursor) || this.model.shown.cursor;
    this.counter.textContent = phase === 'idle' ? t('toolbar.idle') : t(`toolbar.counter.${phase}`, { step, total });
    this.counter.dataset.phase = phase;
    const sel = this.model.selection;
    this.deleteBtn.disabled = !sel.nodes.size && !sel.edge;
    this.outputBtn.disabled = sel.nodes.size !== 1;
    const [id] = sel.nodes;
    this.outputBtn.textContent = t(id && id === this.model.output ? 'toolbar.is_output' : 'toolbar.set_output');
  }
}
