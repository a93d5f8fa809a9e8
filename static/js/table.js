// The table view: the graph as a real <table> (node, operation, value, gradient, note), in
// the server's topological order, in place of the canvas, for people who cannot use the
// canvas (screen readers) or who want the numbers side by side. Every number is the
// server's display string, as the canvas draws it; a cell changes in place, so someone
// reading the table keeps their place while the room steps or edits.
import { t } from './i18n.js';
import { localName } from './localname.js';

const COLUMNS = ['node', 'op', 'value', 'grad', 'note'];

export class TableView {
  /** button: the toggle; panel: the container it shows over the canvas; model: the scene view. */
  constructor({ button, panel, model }) {
    Object.assign(this, { button, panel, model });
    this.table = panel.querySelector('table');
    this.rows = new Map();   // node id → <tr>
    this.order = '';         // the ids the rows are in, joined
    button.addEventListener('click', () => this.toggle());
    this.setOpen(false);
  }

  get open() { return !this.panel.hidden; }

  toggle() {
    this.setOpen(!this.open);
    if (this.open) this.table.focus({ preventScroll: true });  // a screen reader starts reading it
  }

  setOpen(open) {
    this.panel.hidden = !open;
    this.button.setAttribute('aria-pressed', String(open));
    if (open) this.refresh();
  }

  /** The node ids, computable ones first in the server's order, then the rest as the document has them. */
  ids() {
    const m = this.model;
    const first = (m.order || []).filter((id) => m.nodes.has(id));
    const seen = new Set(first);
    return [...first, ...[...m.nodes.keys()].filter((id) => !seen.has(id))];
  }

  cells(id) {
    const m = this.model;
    const node = m.nodes.get(id);
    const s = m.shown;
    const spec = m.spec(node.op);
    const value = m.isInput(node) ? s.inputText[id] : s.valueText[id];
    const notes = [];
    if (m.output === id) notes.push(t('table.output'));
    if (m.current && m.current.node === id) notes.push(t('table.current'));
    if (m.errors[id]) notes.push(m.errors[id]);
    return {
      node: m.name(node),
      op: spec ? localName(`op.${node.op}`, spec.title) : node.op,
      value: value ?? t('table.not_yet'),
      grad: s.gradText[id] ?? t('table.not_yet'),
      note: notes.join('; '),
    };
  }

  refresh() {
    if (!this.open) return;
    this.caption().textContent = t('table.caption');
    const head = this.table.tHead || this.table.createTHead();
    if (!head.rows.length) {
      const tr = head.insertRow();
      for (const c of COLUMNS) {
        const th = document.createElement('th');
        th.scope = 'col';
        th.dataset.col = c;
        tr.append(th);
      }
    }
    for (const th of head.rows[0].cells) th.textContent = t(`table.${th.dataset.col}`);
    const ids = this.ids();
    const body = this.table.tBodies[0] || this.table.createTBody();
    if (ids.join('\u0000') !== this.order) {  // nodes added, removed or reordered: new rows
      this.order = ids.join('\u0000');
      this.rows = new Map(ids.map((id) => [id, this.row(id)]));
      body.replaceChildren(...this.rows.values());
      if (!ids.length) {
        const tr = body.insertRow();
        const td = tr.insertCell();
        td.colSpan = COLUMNS.length;
        td.textContent = t('table.empty');
      }
    }
    for (const id of ids) {
      const tr = this.rows.get(id);
      const cells = this.cells(id);
      COLUMNS.forEach((c, i) => {
        const cell = tr.cells[i];
        if (cell.textContent !== cells[c]) cell.textContent = cells[c];
      });
      const current = !!(this.model.current && this.model.current.node === id);
      if (current) tr.setAttribute('aria-current', 'step'); else tr.removeAttribute('aria-current');
    }
  }

  caption() {
    return this.table.caption || this.table.createCaption();
  }

  row(id) {
    const tr = document.createElement('tr');
    tr.dataset.node = id;
    const th = document.createElement('th');
    th.scope = 'row';
    tr.append(th);
    for (const c of COLUMNS.slice(1)) {
      const td = document.createElement('td');
      td.dataset.col = c;
      tr.append(td);
    }
    return tr;
  }
}
