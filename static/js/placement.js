// Adding a node from the palette, one way for every hand: dropped at a pointer (a drag),
// at the view's centre (a mouse click, the keyboard), or armed by a tap on a palette item
// and placed by a tap on the canvas (touch). A node is only ever made where it can be
// seen: at a point of the canvas that shows (not under a drawer, a panel or off screen),
// on a canvas with room to show it. Anything else is refused with a message, and nothing
// is sent. A new input then asks for its name and value in the inline editor.
import { el } from './dom.js';
import { nodeBounds, nodeExtent } from './geometry.js';
import { t } from './i18n.js';
import { localName } from './localname.js';

const MIN_CANVAS = 48;  // CSS px: a canvas smaller than a node has no place to show one
const GRID = { x: 140, y: 80 };  // where nodes added at the centre go when it is taken (world px)
const GAP = 12;                  // the least room between them

export class Placement {
  /**
   * canvas: the overlay canvas (it takes the pointer); stage: its parent, for the hint;
   * layer: the overlay Layer (w, h); data: the server data (a new node arrives in it);
   * editors: the inline editor for the new input's name and value.
   */
  constructor({ canvas, stage, layer, camera, ui, data, actions, editors, showError }) {
    Object.assign(this, { canvas, stage, layer, camera, ui, data, actions, editors, showError });
    this.armed = null;      // {op, item}: the op a tap on the canvas places
    this.hint = null;
    window.addEventListener('keydown', (e) => { if (e.key === 'Escape') this.disarm(); });
  }

  /**
   * Add an `op` node centred on world point `world`, if that point is on the canvas
   * as shown. The one way in for every caller (palette, touch, keyboard). Resolves to
   * the server's ack, or null when refused (with a message) or read-only.
   */
  async addAt(op, world) {
    if (this.ui.readOnly) return null;
    const w = this.layer.w, h = this.layer.h;
    const s = this.camera.toScreen(world);
    if (w < MIN_CANVAS || h < MIN_CANVAS || !(s.x >= 0 && s.x <= w && s.y >= 0 && s.y <= h)) {
      this.showError(t('layout.place_off_canvas'));
      return null;
    }
    const id = this.actions.newId(op);
    const ack = await this.actions.addNode(op, world, id);
    if (ack && op === 'input') this.promptInput(id);
    return ack;
  }

  /** A drop or a tap at page point (x, y): only where the canvas itself is under it. */
  addAtClient(op, x, y) {
    if (document.elementFromPoint(x, y) !== this.canvas) {
      if (!this.ui.readOnly) this.showError(t('layout.place_off_canvas'));
      return Promise.resolve(null);
    }
    const r = this.canvas.getBoundingClientRect();
    return this.addAt(op, this.camera.toWorld({ x: x - r.left, y: y - r.top }));
  }

  /**
   * At the view's centre (a mouse click on a palette item, Enter on one), or at the nearest
   * free place of a grid around it, so that nodes added one after another stand side by
   * side rather than on top of each other.
   */
  addAtCentre(op) {
    const centre = this.camera.toWorld({ x: this.layer.w / 2, y: this.layer.h / 2 });
    const { hw, hh } = nodeExtent(this.data, { id: '', op, x: 0, y: 0 });  // the new node's size
    const taken = [...this.data.nodes.values()].map((n) => nodeBounds(this.data, n));
    const free = (c) => !taken.some((b) => c.x + hw + GAP > b.minX && c.x - hw - GAP < b.maxX
      && c.y + hh + GAP > b.minY && c.y - hh - GAP < b.maxY);
    const places = [];
    for (let i = -3; i <= 3; i++) for (let j = -4; j <= 4; j++) places.push({ x: centre.x + i * GRID.x, y: centre.y + j * GRID.y });
    const d = (p) => Math.hypot(p.x - centre.x, p.y - centre.y);
    places.sort((a, b) => d(a) - d(b) || b.x - a.x || b.y - a.y);  // ties: rightwards, downwards, as a graph reads
    return this.addAt(op, places.find(free) || centre);
  }

  // -- tap to place ---------------------------------------------------------------------
  /** A tap on palette item `item` for `op`: the next tap on the canvas places it; a second tap on it cancels. */
  arm(op, item) {
    const again = this.armed && this.armed.op === op;
    this.disarm();
    if (again || this.ui.readOnly) return;
    this.armed = { op, item };
    item.setAttribute('aria-pressed', 'true');
    const name = localName(`op.${op}`, this.data.ops.get(op)?.title || op);
    const cancel = el('button', { type: 'button', testid: 'place-cancel' }, t('layout.place_cancel'));
    cancel.addEventListener('click', () => this.disarm());
    this.hint = el('div', { class: 'place-hint', testid: 'place-hint', role: 'status' },
      el('span', {}, t('layout.place_hint', { op: name })), cancel);
    this.stage.append(this.hint);
  }

  disarm() {
    if (!this.armed) return;
    this.armed.item.removeAttribute('aria-pressed');
    this.armed = null;
    this.hint?.remove();
    this.hint = null;
  }

  /** A tap on the canvas while armed: place the op there (canvas CSS px). */
  placeAt(screen) {
    const { op } = this.armed;
    this.disarm();
    const r = this.canvas.getBoundingClientRect();
    return this.addAtClient(op, r.left + screen.x, r.top + screen.y);
  }

  // -- a new input's name and value ----------------------------------------------------------
  /** Open the inline editor on input `id` once the server's patch has brought it here. */
  promptInput(id) {
    const open = () => {
      const node = this.data.nodes.get(id);
      if (node) this.editors.openNodeEditor(node, { fresh: true });
      return !!node;
    };
    if (open()) return;
    const timer = setTimeout(() => stop(), 5000);  // the patch never came (refused meanwhile)
    const stop = this.data.subscribe(() => { if (open()) { stop(); clearTimeout(timer); } });
  }
}
