// The header: the title, step buttons, speed, the label mode, step counter, connection
// state, fit, tidy, delete, set output. refresh() shows the data and UI state; main.js
// calls it when dirty.
import { byTestId as $ } from './dom.js';
import { t } from './i18n.js';

const STATUSES = ['connected', 'reconnecting', 'connecting'];

export class Toolbar {
  constructor(root, { actions, data, ui, fitView }) {
    this.root = root;
    this.data = data;
    this.ui = ui;
    this.title = $('graph-title', root);
    this.speedInput = $('speed', root);
    this.counter = $('step-counter', root);
    this.connection = $('connection-state', root);
    this.deleteBtn = $('delete-selected', root);
    this.outputBtn = $('set-output', root);
    this.labels = $('labels', root);
    this.labels.value = ui.labels;
    this.labels.addEventListener('change', () => ui.setLabels(this.labels.value));
    const on = (id, fn) => $(id, root).addEventListener('click', fn);
    on('step-forward', () => actions.step('forward', 1));
    on('step-backward', () => actions.step('backward', 1));
    on('run-forward', () => actions.step('forward', 'all'));
    on('run-backward', () => actions.step('backward', 'all'));
    on('reset', () => actions.reset());
    on('fit-view', () => fitView());
    on('tidy', async () => {
      // One edit batch of move_node edits; its patch comes before this ack, so the view fits the new layout.
      if (await actions.send('tidy', {})) fitView();
    });
    on('delete-selected', () => actions.deleteSelection());
    on('set-output', () => {
      const [id] = ui.selection.nodes;
      if (id) actions.setOutput(id);
    });
  }

  get speed() { return Number(this.speedInput.value); }

  /** The connection's state (ui.status), in words. */
  showConnection() {
    const status = this.ui.status;
    this.connection.dataset.state = status;
    this.connection.textContent = STATUSES.includes(status) ? t(`connection.${status}`)
      : status === 'deleted' ? t('collab.deleted_status') : status;
  }

  /** The graph's title in the header and the tab (untitled: the catalogue's word). */
  showTitle() {
    const title = this.data.title;
    if (title) { delete this.title.dataset.i18n; this.title.textContent = title; } else { this.title.dataset.i18n = 'header.untitled'; this.title.textContent = t('header.untitled'); }
    document.title = `${title || t('header.untitled')} · gradcanvas`;
  }

  /** The counter ("forward 3 / 7") and the selection buttons. */
  refresh() {
    // While a step animates, count it already: the counter matches the explanation.
    const playing = this.ui.playing;
    const { phase, step, total } = (playing && playing.cursor) || this.data.shown.cursor;
    this.counter.textContent = phase === 'idle' ? t('toolbar.idle') : t(`toolbar.counter.${phase}`, { step, total });
    this.counter.dataset.phase = phase;
    this.labels.value = this.ui.labels;
    const sel = this.ui.selection;
    this.deleteBtn.disabled = !sel.nodes.size && !sel.edge;
    this.outputBtn.disabled = sel.nodes.size !== 1;
    const [id] = sel.nodes;
    this.outputBtn.textContent = t(id && id === this.data.output ? 'toolbar.is_output' : 'toolbar.set_output');
  }
}
