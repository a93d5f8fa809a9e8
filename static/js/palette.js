// The palette: one entry per op from GET /api/ops (never a list in JS), dragged
// onto the canvas with the pointer to add a node at the drop point.
import { onLanguageChange } from './i18n.js';
import { DRAG_THRESHOLD } from './interaction.js';
import { localName } from './localname.js';

export async function fetchOps() {
  const res = await fetch('/api/ops', { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET /api/ops: ${res.status}`);
  return res.json();
}

export class Palette {
  /** dropAt(op, clientX, clientY) adds a node if the point is over the canvas. */
  constructor(list, { dropAt, addAtCentre }) {
    this.list = list;
    this.dropAt = dropAt;
    this.addAtCentre = addAtCentre;
    this.ops = null;
    onLanguageChange(() => { if (this.ops) this.render(this.ops); });
  }

  render(ops) {
    this.ops = ops;
    this.list.replaceChildren(...ops.map((spec) => this.entry(spec)));
  }

  entry(spec) {
    const li = document.createElement('li');
    li.className = 'palette-item';
    li.dataset.op = spec.name;
    li.dataset.testid = `palette-${spec.name}`;
    li.title = [spec.title, ...(spec.rule || []), spec.note].filter(Boolean).join('\n');
    const sym = document.createElement('span');
    sym.className = 'palette-symbol';
    sym.textContent = spec.symbol || 'x';
    if (sym.textContent.length > 2) sym.classList.add('long');
    const name = document.createElement('span');
    name.textContent = localName(`op.${spec.name}`, spec.title);
    li.append(sym, name);
    li.addEventListener('pointerdown', (e) => this.press(e, li, spec));
    return li;
  }

  /** Pointer-driven drag: a ghost follows the pointer; releasing over the canvas adds the op. */
  press(e, li, spec) {
    if (e.button !== 0) return;
    e.preventDefault();
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
      } else if (!cancelled) {
        this.addAtCentre(spec.name);  // a click: add it in the middle of the view
      }
    };
    const up = (ev) => end(ev, false);
    const cancel = (ev) => end(ev, true);
    li.addEventListener('pointermove', move);
    li.addEventListener('pointerup', up);
    li.addEventListener('pointercancel', cancel);
  }
}
