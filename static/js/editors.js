// Floating HTML editors over the canvas: the inline node editor (value, label,
// params) and the node search box (double-click on empty canvas).
import { nodeExtent } from './geometry.js';
import { parseNumber } from './actions.js';
import { el } from './dom.js';
import { t } from './i18n.js';
import { localName } from './localname.js';

export class Editors {
  /** model: the server data as drawn (ui.js sceneView): a dragged node's editor opens where it is shown. */
  constructor({ host, model, camera, actions, focusCanvas }) {
    Object.assign(this, { host, model, camera, actions, focusCanvas });
    this.open = null;   // the element showing, if any
  }

  close() {
    if (this.open) { this.open.remove(); this.open = null; }
  }

  /**
   * Put `elm` (already in the host) at `screen`, kept whole on screen by its measured
   * size: near the bottom edge it opens above the point, near the right edge to its left.
   */
  place(elm, screen) {
    const w = this.host.clientWidth, h = this.host.clientHeight;
    elm.style.maxHeight = `${Math.max(80, h - 8)}px`;
    const ew = elm.offsetWidth, eh = elm.offsetHeight;
    const x = screen.x + ew > w - 4 ? screen.x - ew : screen.x;
    const y = screen.y + eh > h - 4 ? screen.y - eh : screen.y;
    elm.style.left = `${Math.max(4, Math.min(x, w - ew - 4))}px`;
    elm.style.top = `${Math.max(4, Math.min(y, h - eh - 4))}px`;
  }

  /**
   * Double-click on a node: inputs edit value and label; ops edit label and params.
   * `fresh`: an input just placed, asked for its name first, then its value.
   */
  openNodeEditor(node, { fresh = false } = {}) {
    this.close();
    const isInput = this.model.isInput(node);
    const fields = [];
    const labelIn = el('input', { type: 'text', value: node.label || '', placeholder: node.id, testid: 'edit-label' });
    let valueIn = null;
    if (isInput) {
      valueIn = el('input', { type: 'text', inputmode: 'decimal', value: node.value == null ? '' : String(node.value), testid: 'edit-value' });
      fields.push(el('label', {}, t('editors.value'), valueIn));
    }
    fields.splice(fresh ? 0 : fields.length, 0, el('label', {}, t(fresh ? 'layout.input_name' : 'editors.label'), labelIn));
    if (fresh) fields.unshift(el('p', { class: 'hint' }, t('layout.input_prompt')));
    const paramIns = {};
    for (const [name, v] of Object.entries(node.params || {})) {
      paramIns[name] = el('input', { type: 'text', value: String(v), testid: `edit-param-${name}` });
      fields.push(el('label', {}, localName(`param.${name}`, name), paramIns[name]));
    }
    const box = el('form', { class: 'inline-editor', testid: 'inline-editor' },
      ...fields, el('p', { class: 'hint' }, t('editors.hint')));
    const { hh } = nodeExtent(this.model, node);
    const commit = () => {
      const change = { label: labelIn.value.trim() };
      if (valueIn) change.value = parseNumber(valueIn.value);
      const params = {};
      for (const [name, input] of Object.entries(paramIns)) {
        const v = parseNumber(input.value);
        if (v !== node.params[name]) params[name] = v;
      }
      change.params = params;
      this.close();
      this.focusCanvas();
      this.actions.changeNode(node.id, change);
    };
    box.addEventListener('submit', (e) => { e.preventDefault(); commit(); });
    box.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { e.preventDefault(); commit(); }
      else if (e.key === 'Escape') { e.preventDefault(); this.close(); this.focusCanvas(); }
    });
    this.host.append(box);
    this.place(box, this.camera.toScreen({ x: node.x, y: node.y + 2 * hh + 6 }));
    this.open = box;
    const first = fresh ? labelIn : valueIn || labelIn;
    first.focus();
    first.select();
  }

  /** Double-click on empty canvas: a search box listing the ops; Enter adds the chosen one there. */
  openSearch(screen, world) {
    this.close();
    const ops = [...this.model.ops.values()].map((o) => ({ ...o, shown: localName(`op.${o.name}`, o.title) }));
    const input = el('input', { type: 'search', placeholder: t('editors.search'), testid: 'node-search-input' });
    const list = el('ul', { role: 'listbox' });
    const box = el('div', { class: 'node-search', testid: 'node-search' }, input, list);
    let matches = [], active = 0;
    const render = () => {
      const q = input.value.trim().toLowerCase();
      matches = ops.filter((o) => !q || o.name.includes(q) || o.title.toLowerCase().includes(q)
        || o.shown.toLowerCase().includes(q) || (o.symbol || '').includes(q));
      active = Math.min(active, Math.max(0, matches.length - 1));
      list.replaceChildren(...matches.map((o, i) => {
        const li = el('li', { role: 'option', dataset: { op: o.name, testid: `node-search-op-${o.name}` } },
          el('span', { class: 'sym' }, o.symbol || '▭'), o.shown);
        li.setAttribute('aria-selected', String(i === active));
        li.addEventListener('pointerdown', (e) => { e.preventDefault(); choose(o); });
        return li;
      }));
    };
    const choose = (o) => {
      this.close();
      this.focusCanvas();
      if (o) this.actions.addNode(o.name, world);
    };
    input.addEventListener('input', () => { active = 0; render(); });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown') { active = Math.min(active + 1, matches.length - 1); render(); e.preventDefault(); }
      else if (e.key === 'ArrowUp') { active = Math.max(active - 1, 0); render(); e.preventDefault(); }
      else if (e.key === 'Enter') { e.preventDefault(); choose(matches[active]); }
      else if (e.key === 'Escape') { e.preventDefault(); choose(null); }
    });
    render();
    this.host.append(box);
    this.place(box, screen);
    this.open = box;
    input.focus();
  }
}
