// The palette: one entry per op from GET /api/ops (never a list in JS), each a focusable
// button. Dragged onto the canvas, it adds a node at the drop point; clicked with a mouse,
// at the view's centre; tapped (touch, pen), it is armed and the next tap on the canvas
// places it (placement.js, which also refuses a point that does not show).
import { onLanguageChange } from './i18n.js';
import { DRAG_THRESHOLD } from './interaction.js';
import { localName } from './localname.js';

export async function fetchOps() {
  const res = await fetch('/api/ops', { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET /api/ops: ${res.status}`);
  return res.json();
}

export class Palette {
  /**
   * dropAt(op, clientX, clientY) adds a node if the point is over the canvas;
   * addAtCentre(op) at the view's centre; arm(op, item) after a tap; press() before any gesture.
   */
  constructor(list, { dropAt, addAtCentre, arm, press = () => {} }) {
    this.list = list;
    Object.assign(this, { dropAt, addAtCentre, arm, pressed: press });
    this.ops = null;
    onLanguageChange(() => { if (this.ops) this.render(this.ops); });
  }

  render(ops) {
    this.ops = ops;
    const count = new Map();
    for (const o of ops) count.set(o.symbol, (count.get(o.symbol) || 0) + 1);
    this.list.replaceChildren(...ops.map((spec) => {
      const li = document.createElement('li');
      li.append(this.entry(spec, count.get(spec.symbol) > 1));
      return li;
    }));
  }

  /**
   * The icon's text: the op's symbol, or, when another op shares it (subtract and negate
   * are both −), the symbol with its operands as the op is written: x−y, −x.
   */
  static icon(spec, shared) {
    const sym = spec.symbol || 'x';
    if (!shared || !spec.ports.length) return sym;
    if (spec.notation === 'infix' && spec.ports.length === 2) return `${spec.ports[0]}${sym}${spec.ports[1]}`;
    if (spec.notation === 'prefix') return `${sym}${spec.ports.join('')}`;
    return `${sym}(${spec.ports.join(',')})`;
  }

  entry(spec, shared) {
    const item = document.createElement('button');
    item.type = 'button';
    item.className = 'palette-item';
    item.dataset.op = spec.name;
    item.dataset.testid = `palette-${spec.name}`;
    item.title = [spec.title, ...(spec.rule || []), spec.note].filter(Boolean).join('\n');
    const sym = document.createElement('span');
    sym.className = 'palette-symbol';
    sym.textContent = Palette.icon(spec, shared);
    if (sym.textContent.length > 2) sym.classList.add('long');
    const name = document.createElement('span');
    name.textContent = localName(`op.${spec.name}`, spec.title);
    item.append(sym, name);
    item.addEventListener('pointerdown', (e) => this.press(e, item, spec));
    return item;
  }

  /** Pointer-driven drag: a ghost follows the pointer; releasing over the canvas adds the op. */
  press(e, li, spec) {
    if (e.button !== 0) return;
    e.preventDefault();
    this.pressed();
    li.setPointerCapture(e.pointerId);
    const start = { x: e.clientX, y: e.clientY };
    let ghost = null;
    const move = (ev) => {
      if (!ghost && Math.hypot(ev.clientX - start.x, ev.clientY - start.y) < DRAG_THRESHOLD) return;
      if (!ghost) {
        ghost = li.cloneNode(true);
        ghost.classList.add('palette-ghost');
        ghost.removeAttribute('data-testid');
        document.body.append(ghost);
      }
      ghost.style.left = `${ev.clientX}px`;
      ghost.style.top = `${ev.clientY}px`;
    };
    const end = (ev, cancelled) => {
      li.removeEventListener('pointermove', move);
      li.removeEventListener('pointerup', up);
      li.removeEventListener('pointercancel', cancel);
      if (li.hasPointerCapture(ev.pointerId)) li.releasePointerCapture(ev.pointerId);
      if (ghost) {
        ghost.remove();
        if (!cancelled) this.dropAt(spec.name, ev.clientX, ev.clientY);
      } else if (!cancelled && ev.pointerType === 'mouse') {
        this.addAtCentre(spec.name);  // a click: add it in the middle of the view
      } else if (!cancelled) {
        this.arm(spec.name, li);      // a tap: the next tap on the canvas places it
      }
    };
    const up = (ev) => end(ev, false);
    const cancel = (ev) => end(ev, true);
    li.addEventListener('pointermove', move);
    li.addEventListener('pointerup', up);
    li.addEventListener('pointercancel', cancel);
  }
}
