// The whole matrix (issue 16): a modal dialog with a node's value or gradient as a table,
// opened by a click on a tensor edge's labels, a double-click or Enter on a tensor node, or
// the explanation panel's buttons. The numbers are the server's (GET /api/graphs/<id>/tensor/
// <node>?of=value|grad, each entry by display.fmt); the route answers only what the steps
// have revealed, and its refusal is shown in the dialog. A big matrix shows its first
// MAX_ROWS rows and MAX_COLS columns with a note and its shape. Read when opened: a step
// taken while it is open does not change it (it says which step it shows).
import { el } from './dom.js';
import { t } from './i18n.js';
import { refusalText } from './refusal.js';

export const MAX_ROWS = 60, MAX_COLS = 24;

const shapeText = (shape) => (shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`);

export class TensorDialog {
  /** graphId(): the graph's id (a draft's arrives with its join); model: the scene view, for names. */
  constructor({ graphId, model }) {
    Object.assign(this, { graphId, model });
    this.returnTo = null;
    this.asked = 0;  // the latest request: an older answer arriving late is dropped
    this.dialog = el('dialog', { class: 'tensor-view', testid: 'tensor-view', 'aria-labelledby': 'tensor-view-title' });
    this.dialog.addEventListener('keydown', (e) => e.stopPropagation());  // its Esc is not the canvas's
    this.dialog.addEventListener('close', () => { this.returnTo?.focus?.({ preventScroll: true }); this.returnTo = null; });
    this.dialog.addEventListener('click', (e) => { if (e.target === this.dialog) this.close(); });  // the backdrop
    document.body.append(this.dialog);
  }

  get isOpen() { return this.dialog.open; }

  close() { if (this.dialog.open) this.dialog.close(); }

  /** Whether the page shows it yet: if not, the route would refuse it, and is not asked. */
  shown(node, of, edge) {
    const m = this.model, s = m.shown, n = m.nodes.get(node);
    const e = edge && m.edgeInto(edge.target, edge.port);
    if (e) return (of === 'grad' ? e.grad : e.value) != null;
    if (of === 'grad') return s.grads[node] != null;
    return (n && m.isInput(n)) || s.values[node] != null;
  }

  /**
   * Open the dialog on `node`'s value (of = 'value') or gradient ('grad'); with `edge`
   * ({target, port}, an edge from it), the gradient that edge carries back.
   */
  async open(node, of, edge = null) {
    const ask = ++this.asked;
    const m = this.model, n = m.nodes.get(node);
    const name = n ? m.name(n) : node;
    const title = t(of === 'grad' ? 'tensor.title_grad' : 'tensor.title_value', { name });
    if (!this.shown(node, of, edge)) {  // said here, as the server would say it
      const p = el('p', { class: 'node-error' }, t('refusal.not_revealed', { node: name, of: t(`tensor.of_${of}`) }));
      p.dataset.testid = 'tensor-refused';
      this.render(title, [p]);
      if (!this.dialog.open) { this.returnTo = document.activeElement; this.dialog.showModal(); }
      this.dialog.querySelector('.tensor-view-close').focus();
      return;
    }
    this.render(title, [el('p', { class: 'note' }, t('tensor.loading'))]);
    if (!this.dialog.open) {
      this.returnTo = document.activeElement;
      this.dialog.showModal();
    }
    this.dialog.querySelector('.tensor-view-close').focus();
    let body;
    try {
      const via = edge && of === 'grad' ? `&target=${encodeURIComponent(edge.target)}&port=${edge.port}` : '';
      const r = await fetch(`/api/graphs/${encodeURIComponent(this.graphId())}/tensor/${encodeURIComponent(node)}?of=${of}${via}`);
      body = await r.json();
      if (!r.ok) body = { refused: body };
    } catch (err) {
      body = { refused: { error: err.message } };
    }
    if (ask !== this.asked || !this.dialog.open) return;
    if (body.refused) {
      const p = el('p', { class: 'node-error' }, refusalText(body.refused, body.refused.error));
      p.dataset.testid = 'tensor-refused';
      this.render(title, [p]);
      return;
    }
    this.render(title, this.table(body), body);
  }

  /** The table of `rows` (strings), cut to MAX_ROWS × MAX_COLS, with its shape and a note when cut. */
  table({ shape, rows }) {
    const R = rows.length, C = R ? rows[0].length : 0;
    const r = Math.min(R, MAX_ROWS), c = Math.min(C, MAX_COLS);
    const head = el('tr', {}, el('th', { scope: 'col' }, ''),
      ...Array.from({ length: c }, (_, j) => el('th', { scope: 'col' }, String(j))),
      C > c ? el('th', { scope: 'col' }, '…') : null);
    const body = rows.slice(0, r).map((row, i) => el('tr', {}, el('th', { scope: 'row' }, String(i)),
      ...row.slice(0, c).map((v) => el('td', {}, v)), C > c ? el('td', { class: 'more' }, '…') : null));
    if (R > r) body.push(el('tr', {}, el('th', { scope: 'row' }, '⋮'), el('td', { class: 'more', colspan: String(c + (C > c ? 1 : 0)) }, '⋮')));
    const table = el('table', { testid: 'tensor-table' }, el('thead', {}, head), el('tbody', {}, ...body));
    table.dataset.rows = String(r);
    table.dataset.cols = String(c);
    const parts = [el('p', { class: 'tensor-shape', testid: 'tensor-shape' }, t('tensor.shape', { shape: shapeText(shape) }))];
    if (R > r || C > c) parts.push(el('p', { class: 'note', testid: 'tensor-cut' }, t('tensor.cut', { rows: r, R, cols: c, C })));
    parts.push(el('div', { class: 'tensor-scroll' }, table));
    return parts;
  }

  render(title, parts, body = null) {
    const close = el('button', { type: 'button', class: 'tensor-view-close' }, t('tensor.close'));
    close.addEventListener('click', () => this.close());
    const { phase, step, total } = this.model.shown.cursor;
    const at = phase === 'idle' ? '' : t(`tensor.at_${phase}`, { step, total });
    this.dialog.replaceChildren(
      el('h2', { id: 'tensor-view-title' }, title), at ? el('p', { class: 'note' }, at) : null, ...parts, close);
    if (body) { this.dialog.dataset.node = body.node; this.dialog.dataset.of = body.of; }
  }
}
