// The learning panel: which inputs are trainable parameters, the learning rate,
// the Update buttons (train: socket `update`, p ← p − lr·grad, done by the server) and
// the loss after each training step, as text and as a small chart. Every number shown
// is the server's (state.learning); the chart only places those numbers on a plot.
import { parseNumber } from './actions.js';
import { el } from './dom.js';
import { language, t } from './i18n.js';

const PAD = { left: 30, right: 12, top: 12, bottom: 30 };
const INK = '#111', PAPER = '#fff', MUTED = '#777', LINE = '#d0d0d0', ACCENT = '#1f6feb';
const ACCURACY = '#c2410c';  // #16 train: the accuracy curve, on its own axis (0–100 %) at the right
const FONT = '11px "Noto Sans CJK KR", "Noto Sans", system-ui, sans-serif';

export class LearnPanel {
  /** model: the server data as drawn, with the selection (ui.js sceneView). */
  constructor(root, { model, actions }) {
    this.root = root;
    this.model = model;
    this.actions = actions;
    this.busy = false;            // a training request is on its way
    this.hadTrainable = null;     // open the details when parameters appear, close them when none are left
    this.chartKey = '';           // what the chart was last drawn from

    this.heading = el('h2');
    this.toggleInput = el('input', { type: 'checkbox', testid: 'trainable-toggle' });
    this.toggleText = el('span');
    this.toggleName = el('span', { class: 'learn-which' });
    this.toggle = el('label', { class: 'learn-toggle', testid: 'trainable-label' }, this.toggleInput, ' ', this.toggleText, this.toggleName);
    this.hint = el('p', { class: 'learn-hint note' });
    this.summary = el('summary');
    this.rule = el('p', { class: 'learn-rule' });
    this.params = el('ul', { class: 'learn-params', testid: 'trainable-list' });
    this.rateLabel = el('span');
    this.rate = el('input', { type: 'text', inputmode: 'decimal', size: '8', spellcheck: 'false', testid: 'learning-rate' });
    this.trainOne = el('button', { type: 'button', testid: 'update' });
    this.trainMany = el('button', { type: 'button', testid: 'update-20' }, '×20');
    this.lossLabel = el('span');
    this.loss = el('output', { class: 'learn-loss', testid: 'loss' });
    this.chart = el('canvas', { class: 'loss-chart', testid: 'loss-chart', 'data-points': '0', role: 'img' });
    // -- #16 train: the dataset, its next batch and the accuracy --
    this.dataset = el('p', { class: 'learn-dataset note', testid: 'dataset' });
    this.nextBatchButton = el('button', { type: 'button', testid: 'next-batch' });
    this.accuracyLabel = el('span');
    this.accuracy = el('output', { class: 'learn-loss learn-accuracy', testid: 'accuracy' });
    this.accuracyOf = el('span', { class: 'note' });
    this.accuracyRow = el('p', { class: 'learn-row' }, this.accuracyLabel, ' ', this.accuracy, ' ', this.accuracyOf);
    // -- end #16 train --
    this.details = el('details', { class: 'learn-details', testid: 'learn-details' },
      this.summary, this.rule, this.dataset, this.params,
      el('div', { class: 'learn-row' }, el('label', {}, this.rateLabel, ' ', this.rate)),
      el('div', { class: 'learn-row learn-buttons' }, this.trainOne, this.trainMany, this.nextBatchButton),
      el('p', { class: 'learn-row' }, this.lossLabel, ' ', this.loss), this.accuracyRow,
      this.chart);
    root.replaceChildren(this.heading, this.toggle, this.hint, this.details);

    this.toggleInput.addEventListener('change', () => this.setTrainable(this.toggleInput.checked));
    this.rate.addEventListener('change', () => this.setRate());
    this.rate.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { e.preventDefault(); this.setRate(); }
      if (e.key === 'Escape') { this.rate.value = this.model.learning.learningRateText ?? ''; this.rate.blur(); }
    });
    this.trainOne.addEventListener('click', () => this.train(1));
    this.trainMany.addEventListener('click', () => this.train(20));
    this.nextBatchButton.addEventListener('click', () => this.nextBatch());  // #16 train
    this.details.addEventListener('toggle', () => this.drawChart());
    new ResizeObserver(() => { this.chartKey = ''; this.drawChart(); }).observe(this.chart);
  }

  /** The one selected input node, if exactly one node is selected and it is an input. */
  selectedInput() {
    const m = this.model;
    if (m.selection.nodes.size !== 1) return null;
    const node = m.nodes.get([...m.selection.nodes][0]);
    return node && m.isInput(node) ? node : null;
  }

  async setTrainable(on) {
    const node = this.selectedInput();
    if (!node) return;
    await this.actions.edit([{ type: 'set_trainable', id: node.id, trainable: on }]);
    this.refresh();  // a refusal leaves the box as the server has it
  }

  async setRate() {
    const text = this.rate.value.trim();
    const shown = this.model.learning.learningRateText ?? '';
    if (text === shown) return;
    const value = text === '' ? null : parseNumber(text);  // empty: back to the default
    await this.actions.edit([{ type: 'set_learning_rate', value }]);
    if (document.activeElement !== this.rate) this.rate.value = this.model.learning.learningRateText ?? '';
  }

  /** `count` gradient-descent steps, done by the server. */
  async train(count) {
    if (this.busy) return;
    this.busy = true;
    this.refresh();
    try {
      await this.actions.train(count);
    } finally {
      this.busy = false;
      this.refresh();
    }
  }

  /** #16 train: the next mini-batch into x and t, loaded by the server (no update). */
  async nextBatch() {
    if (this.busy) return;
    this.busy = true;
    this.refresh();
    try {
      await this.actions.nextBatch();
    } finally {
      this.busy = false;
      this.refresh();
    }
  }

  refresh() {
    const m = this.model;
    const L = m.learning;
    const params = L.trainable.map((id) => m.nodes.get(id)).filter(Boolean);
    const has = params.length > 0;
    if (this.hadTrainable !== has) { this.details.open = has; this.hadTrainable = has; }
    this.root.dataset.trainable = String(params.length);

    this.heading.textContent = t('learn.heading');
    const input = this.selectedInput();
    this.toggle.hidden = !input;
    if (input) {
      this.toggleText.textContent = t('learn.trainable');
      this.toggleName.textContent = ` (${m.name(input)})`;
      this.toggleInput.checked = !!input.trainable;
      this.toggle.title = t('learn.trainable.title');
    }
    this.hint.hidden = has;
    this.hint.textContent = t(input ? 'learn.hint_selected' : 'learn.hint');

    this.summary.textContent = t('learn.summary');
    // -- #16 train --
    const ds = L.dataset;
    this.root.dataset.dataset = ds ? ds.name : '';
    this.rule.textContent = t(ds ? 'learn.batch.rule' : 'learn.rule');
    this.dataset.hidden = !ds;
    this.nextBatchButton.hidden = !ds;
    this.accuracyRow.hidden = !ds;
    if (ds) {
      const name = t(`learn.dataset.${ds.name}`);
      this.dataset.textContent = ds.available
        ? t('learn.dataset', { name, size: ds.size, batch: ds.batch, seed: ds.seed, drawn: ds.drawn })
        : t('learn.dataset.missing', { name });
      this.nextBatchButton.textContent = t('learn.batch.next');
      this.nextBatchButton.title = t('learn.batch.next.title');
      this.nextBatchButton.disabled = this.busy || !ds.available;
      this.accuracyLabel.textContent = t('learn.accuracy');
      this.accuracy.textContent = L.accuracyText ?? '—';
      this.accuracyOf.textContent = ds.available ? t(`learn.accuracy.${ds.eval_of}`, { n: ds.eval_size }) : '';
    }
    // -- end #16 train --
    this.params.replaceChildren(...params.map((n) => {
      const grad = m.shown.gradText[n.id];
      const li = el('li', {}, el('b', {}, m.name(n)), ` = ${m.shown.inputText[n.id] ?? ''}`);
      if (grad != null) li.append(el('span', { class: 'learn-grad' }, `  ${t('learn.grad')} ${grad}`));
      return li;
    }));
    if (!has) this.params.append(el('li', { class: 'note' }, t('learn.none')));
    this.rateLabel.textContent = t('learn.rate');
    this.rate.title = t('learn.rate.title');
    if (document.activeElement !== this.rate) this.rate.value = L.learningRateText ?? '';
    this.trainOne.textContent = t('learn.update');
    this.trainOne.title = t('learn.update.title');
    this.trainMany.title = t('learn.update20.title');
    this.trainOne.disabled = this.trainMany.disabled = this.busy;
    this.lossLabel.textContent = t('learn.loss');
    this.loss.textContent = L.lossText ?? '—';
    this.chart.setAttribute('aria-label', t(L.dataset ? 'learn.chart.label_both' : 'learn.chart.label'));
    this.drawChart();
  }

  /** The loss after each training step, one point per entry of state.learning.losses. */
  drawChart() {
    const c = this.chart;
    const w = c.clientWidth, h = c.clientHeight;
    if (!w || !h || !this.details.open) return;
    const dpr = window.devicePixelRatio || 1;
    const losses = this.model.learning.losses;
    const acc = this.model.learning.accuracy;  // #16 train
    const key = `${language()}|${w}|${dpr}|${this.model.learning.lossText}|${losses.length}|${losses[losses.length - 1]}|${losses[0]}|${acc.length}|${acc[acc.length - 1]}`;
    if (key === this.chartKey) return;
    this.chartKey = key;
    c.width = Math.round(w * dpr);
    c.height = Math.round(h * dpr);
    const ctx = c.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    // #16 train: room for the accuracy axis's 100% at the right and the legend above the plot
    const right = acc.length ? 32 : PAD.right, top = acc.length ? 26 : PAD.top;
    const x0 = PAD.left, x1 = w - right, y0 = top, y1 = h - PAD.bottom;

    const finite = losses.filter((v) => Number.isFinite(v));
    const log = finite.length > 1 && finite.every((v) => v > 0) && Math.max(...finite) / Math.min(...finite) >= 20;
    const f = log ? Math.log10 : (v) => v;
    const ys = finite.map(f);
    let lo = Math.min(...ys), hi = Math.max(...ys);
    if (!(hi > lo)) { lo -= 1; hi += 1; }
    const n = losses.length;
    const px = (i) => (n > 1 ? x0 + ((x1 - x0) * i) / (n - 1) : (x0 + x1) / 2);
    const py = (v) => y1 - ((y1 - y0) * (f(v) - lo)) / (hi - lo);

    // axes and their labels
    ctx.strokeStyle = LINE;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(x0 + 0.5, y0); ctx.lineTo(x0 + 0.5, y1 + 0.5); ctx.lineTo(x1, y1 + 0.5);
    ctx.stroke();
    ctx.font = FONT;
    ctx.fillStyle = MUTED;
    ctx.textBaseline = 'top';
    ctx.textAlign = 'center';
    ctx.fillText(t('learn.chart.x'), (x0 + x1) / 2, y1 + 14);
    if (n > 1) {
      ctx.textAlign = 'left';
      ctx.fillText('0', x0, y1 + 3);
      ctx.textAlign = 'right';
      ctx.fillText(String(n - 1), x1, y1 + 3);   // how many training steps: a count, not a computed value
    }
    ctx.save();
    ctx.translate(11, (y0 + y1) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(t(log ? 'learn.chart.y_log' : 'learn.chart.y'), 0, 0);
    ctx.restore();

    let drawn = 0;
    if (!finite.length) {
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(t('learn.chart.empty'), (x0 + x1) / 2, (y0 + y1) / 2);
    } else {
      ctx.strokeStyle = ACCENT;
      ctx.lineWidth = 1.6;
      ctx.lineJoin = 'round';
      ctx.beginPath();
      let pen = false;
      losses.forEach((v, i) => {
        if (!Number.isFinite(v)) { pen = false; return; }
        if (pen) ctx.lineTo(px(i), py(v)); else ctx.moveTo(px(i), py(v));
        pen = true;
      });
      ctx.stroke();
      ctx.fillStyle = ACCENT;
      ctx.beginPath();
      const r = n > 60 ? 1.2 : 2.4;
      losses.forEach((v, i) => {
        if (!Number.isFinite(v)) return;
        ctx.moveTo(px(i) + r, py(v));
        ctx.arc(px(i), py(v), r, 0, Math.PI * 2);
        drawn++;
      });
      ctx.fill();
      const last = losses[n - 1];
      const text = this.model.learning.lossText;
      if (text != null && Number.isFinite(last)) {   // the server's text for the last loss, beside its point
        // in the corner of the plot the curve is furthest from: the top when it ends low
        const low = py(last) > (y0 + y1) / 2;
        ctx.textAlign = 'right';
        ctx.textBaseline = low ? 'top' : 'bottom';
        const ty = low ? y0 : y1 - 3;
        ctx.lineWidth = 3;
        ctx.strokeStyle = PAPER;    // a halo keeps the text legible over the curve
        ctx.strokeText(text, x1, ty);
        ctx.fillStyle = INK;
        ctx.fillText(text, x1, ty);
      }
    }
    c.dataset.points = String(drawn);
    c.dataset.scale = log ? 'log' : 'linear';
    c.dataset.accuracyPoints = String(this.drawAccuracy(ctx, acc, { x0, x1, y0, y1, px }));  // #16 train
  }

  /** #16 train: the accuracy after each update (state.learning.accuracy, 0–1), on an axis of its
   * own at the right (0 to 100 %), with a legend naming both curves; the number of points drawn. */
  drawAccuracy(ctx, acc, { x0, x1, y0, y1, px }) {
    if (!acc.length) return 0;
    const py = (v) => y1 - (y1 - y0) * v;
    ctx.font = FONT;
    ctx.fillStyle = ACCURACY;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    ctx.fillText('100%', x1 + 2, y0);
    ctx.fillText('0%', x1 + 2, y1);
    ctx.strokeStyle = ACCURACY;
    ctx.lineWidth = 1.6;
    ctx.setLineDash([5, 3]);  // told apart from the loss by its dashes too, not by colour alone
    ctx.beginPath();
    let pen = false, drawn = 0;
    acc.forEach((v, i) => {
      if (v == null || !Number.isFinite(v)) { pen = false; return; }
      if (pen) ctx.lineTo(px(i), py(v)); else ctx.moveTo(px(i), py(v));
      pen = true;
      drawn++;
    });
    ctx.stroke();
    ctx.setLineDash([]);
    // the legend, above the plot
    const items = [[ACCENT, [], t('learn.chart.y')], [ACCURACY, [5, 3], t('learn.chart.accuracy')]];
    let x = x0;
    const y = y0 - 15;
    ctx.textBaseline = 'middle';
    for (const [colour, dash, label] of items) {
      ctx.strokeStyle = colour;
      ctx.setLineDash(dash);
      ctx.beginPath();
      ctx.moveTo(x, y); ctx.lineTo(x + 16, y);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = INK;
      ctx.fillText(label, x + 20, y);
      x += 28 + ctx.measureText(label).width;
    }
    const text = this.model.learning.accuracyText;
    if (text != null) {   // the server's text for the last accuracy, at the right end of its curve
      const last = acc[acc.length - 1];
      if (last != null && Number.isFinite(last)) {
        ctx.textAlign = 'right';
        ctx.textBaseline = last > 0.5 ? 'top' : 'bottom';
        const ty = py(last) + (last > 0.5 ? 4 : -4);
        ctx.lineWidth = 3;
        ctx.strokeStyle = PAPER;
        ctx.strokeText(text, x1 - 4, ty);
        ctx.fillStyle = ACCURACY;
        ctx.fillText(text, x1 - 4, ty);
      }
    }
    return drawn;
  }
}
