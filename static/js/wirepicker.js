// The keyboard's wire (W on a focused node): a small listbox of the free input ports the
// node can feed ("× (mul1) · y"), chosen with the arrows and Enter, Esc to cancel. The wire
// being chosen is drawn as the mouse's is (ui.wire), and the choice is the mouse's edit
// (actions.connect). Ports already wired, and ports whose node feeds this one (a cycle,
// which the server would refuse), are not offered.
import { el } from './dom.js';
import { t } from './i18n.js';
import { inputPorts, nodeBounds, outputPort } from './geometry.js';
import { nodeOrder } from './nodeorder.js';

/** The nodes `source` depends on (a wire into any of them would close a cycle), itself included. */
function upstream(model, source) {
  const into = new Map();
  for (const e of model.edges) {
    if (!into.has(e.target)) into.set(e.target, []);
    into.get(e.target).push(e.source);
  }
  const seen = new Set([source]);
  const todo = [source];
  while (todo.length) for (const s of into.get(todo.pop()) || []) if (!seen.has(s)) { seen.add(s); todo.push(s); }
  return seen;
}

/** [{node, port, text}] for every free input port `source` may be wired into, in topological order. */
export function freeTargets(model, source) {
  const banned = upstream(model, source.id);
  const out = [];
  for (const id of nodeOrder(model)) {
    if (banned.has(id)) continue;
    const node = model.nodes.get(id);
    const spec = model.spec(node.op);
    const symbol = model.shown.symbols[id] || (spec && spec.symbol) || node.op;
    for (let port = 0; port < model.arity(node.op); port++) {
      if (model.edgeInto(id, port)) continue;
      const portName = (spec && spec.ports && spec.ports[port]) || String(port);
      out.push({ node, port, text: `${symbol} (${model.name(node)}) · ${portName}` });
    }
  }
  return out;
}

export class WirePicker {
  /** done(): where the focus goes back to (the canvas) once a port is chosen or not. */
  constructor({ host, scene, ui, camera, actions, showError, done }) {
    Object.assign(this, { host, scene, ui, camera, actions, showError, done });
    this.box = null;
  }

  open(source) {
    this.close();
    const targets = freeTargets(this.scene, source);
    if (!targets.length) { this.showError(t('keys.wire.none', { name: this.scene.name(source) })); return; }
    let active = 0;
    const titleId = 'wire-picker-title';
    const list = el('ul', { role: 'listbox', tabindex: '-1', 'aria-labelledby': titleId, testid: 'wire-ports' });
    const options = targets.map((tg, i) => {
      const li = el('li', { role: 'option', id: `wire-port-${i}`, dataset: { target: tg.node.id, port: String(tg.port) } }, tg.text);
      li.addEventListener('pointerdown', (e) => { e.preventDefault(); finish(tg); });
      return li;
    });
    list.append(...options);
    const box = el('div', { class: 'wire-picker', testid: 'wire-picker' },
      el('p', { class: 'wire-picker-title', id: titleId }, t('keys.wire.title', { name: this.scene.name(source) })),
      list, el('p', { class: 'hint' }, t('keys.wire.hint')));
    const show = () => {
      options.forEach((li, i) => li.setAttribute('aria-selected', String(i === active)));
      list.setAttribute('aria-activedescendant', options[active].id);
      options[active].scrollIntoView({ block: 'nearest' });
      const tg = targets[active];
      // the wire as the mouse would draw it, to the port it would land on
      this.ui.setWire({ source: source.id, from: outputPort(this.scene, source),
        to: inputPorts(this.scene, tg.node)[tg.port], target: { node: tg.node, kind: 'input', port: tg.port } });
    };
    const finish = (tg) => {
      this.close();
      this.done();
      if (tg) this.actions.connect(source.id, tg.node.id, tg.port);
    };
    list.addEventListener('keydown', (e) => {
      e.stopPropagation();  // these keys are the list's, not the canvas's or the page's
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        active = Math.max(0, Math.min(targets.length - 1, active + (e.key === 'ArrowDown' ? 1 : -1)));
        show();
      } else if (e.key === 'Home' || e.key === 'End') {
        active = e.key === 'Home' ? 0 : targets.length - 1;
        show();
      } else if (e.key === 'Enter' || e.key === ' ') {
        finish(targets[active]);
      } else if (e.key === 'Escape' || e.key === 'Tab') {
        finish(null);
      } else {
        return;
      }
      e.preventDefault();
    });
    box.addEventListener('focusout', (e) => { if (this.box === box && !box.contains(e.relatedTarget)) this.close(); });
    this.place(box, source);
    this.host.append(box);
    this.box = box;
    show();
    list.focus();
  }

  /** Under the source node, kept inside the canvas: the wire to the right stays in sight. */
  place(box, source) {
    const b = nodeBounds(this.scene, source);
    const p = this.camera.toScreen({ x: b.minX, y: b.maxY });
    const w = this.host.clientWidth, h = this.host.clientHeight;
    box.style.left = `${Math.max(4, Math.min(p.x, w - 260))}px`;
    box.style.top = `${Math.max(4, Math.min(p.y + 10, h - 160))}px`;
  }

  close() {
    if (!this.box) return;
    const box = this.box;
    this.box = null;
    box.remove();
    this.ui.setWire(null);
  }
}
