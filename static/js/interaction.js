// Pointer gestures → edit requests, as an explicit state machine over Pointer Events:
//   idle → pressed → (panning | draggingNodes | boxSelecting) → idle
//   idle → wiring (press on an output port) → idle
//   any  → pinching (a second pointer) → idle
// A press becomes a drag only after DRAG_THRESHOLD CSS pixels of movement.
// Read-only (a view link): no gesture edits; dragging anywhere pans, clicks still select.
import { edgeAt, inputPorts, nodeAt, nodesInRect, outputPort, portAt } from './geometry.js';
import { edgeKey } from './state.js';

export const DRAG_THRESHOLD = 4;
const CURSORS = { idle: 'default', pressed: 'default', panning: 'grabbing', draggingNodes: 'move', wiring: 'crosshair', boxSelecting: 'crosshair', pinching: 'grabbing' };

const isTyping = (el) => el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));

export class Interaction {
  /** view: {rect} with the canvas's cached client rect; editors: {openNodeEditor, openSearch, close}. */
  constructor({ canvas, model, camera, actions, view, editors }) {
    Object.assign(this, { canvas, model, camera, actions, view, editors });
    this.mode = { name: 'idle' };
    this.pointers = new Map();     // pointerId → screen point
    this.spaceHeld = false;
    this.readOnly = false;         // set for viewers: the server would refuse every edit anyway
    this.ui = { hoverNode: null, hoverPort: null, wire: null, box: null };  // read by the overlay renderer
    this.bind();
  }

  bind() {
    const c = this.canvas;
    c.addEventListener('pointerdown', (e) => this.down(e));
    c.addEventListener('pointermove', (e) => this.move(e));
    c.addEventListener('pointerup', (e) => this.up(e, false));
    c.addEventListener('pointercancel', (e) => this.up(e, true));
    c.addEventListener('pointerleave', () => this.setHover(null, null));
    c.addEventListener('dblclick', (e) => this.dblclick(e));
    c.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    c.addEventListener('contextmenu', (e) => e.preventDefault());
    window.addEventListener('keydown', (e) => this.keydown(e));
    window.addEventListener('keyup', (e) => { if (e.key === ' ') this.spaceHeld = false; });
    window.addEventListener('blur', () => { this.spaceHeld = false; });
  }

  setMode(mode) {
    this.mode = mode;
    this.canvas.style.cursor = this.spaceHeld && mode.name === 'idle' ? 'grab' : CURSORS[mode.name];
    this.model.markDirty('overlay');
  }

  screen(e) { return { x: e.clientX - this.view.rect.left, y: e.clientY - this.view.rect.top }; }

  tol(px) { return px / this.camera.scale; }

  // -- pointer events ------------------------------------------------------------------
  down(e) {
    this.canvas.focus({ preventScroll: true });
    this.editors.close();
    const s = this.screen(e);
    this.pointers.set(e.pointerId, s);
    try { this.canvas.setPointerCapture(e.pointerId); } catch { /* a pointer that is already gone */ }
    if (this.pointers.size === 2) { this.startPinch(); return; }
    if (this.pointers.size > 2 || this.mode.name !== 'idle') return;

    if (e.button === 1 || (e.button === 0 && this.spaceHeld)) {
      this.setMode({ name: 'panning', last: s });
      return;
    }
    if (e.button !== 0) return;
    const w = this.camera.toWorld(s);
    const port = this.readOnly ? null : portAt(this.model, w, this.tol(9), ['output']);
    if (port) {
      const from = outputPort(this.model, port.node);
      this.ui.wire = { source: port.node.id, from, to: w, target: null };
      this.setMode({ name: 'wiring' });
      return;
    }
    const node = nodeAt(this.model, w);
    const edge = node ? null : edgeAt(this.model, w, this.tol(6));
    const kind = node ? 'node' : edge ? 'edge' : 'background';
    this.setMode({ name: 'pressed', kind, node, edge, start: s, shift: e.shiftKey });
  }

  move(e) {
    const s = this.screen(e);
    if (this.pointers.has(e.pointerId)) this.pointers.set(e.pointerId, s);
    const m = this.mode;
    const w = this.camera.toWorld(s);
    switch (m.name) {
      case 'idle': this.hover(w); break;
      case 'pressed':
        if (Math.hypot(s.x - m.start.x, s.y - m.start.y) >= DRAG_THRESHOLD) this.startDrag(m, s);
        break;
      case 'panning':
        this.camera.panBy(s.x - m.last.x, s.y - m.last.y);
        m.last = s;
        this.model.markDirty('scene', 'overlay');
        break;
      case 'draggingNodes': this.dragNodes(m, w); break;
      case 'wiring': this.dragWire(w); break;
      case 'boxSelecting':
        this.ui.box.x1 = w.x; this.ui.box.y1 = w.y;
        this.model.markDirty('overlay');
        break;
      case 'pinching': this.pinch(); break;
      default: break;
    }
  }

  up(e, cancelled) {
    if (!this.pointers.has(e.pointerId)) return;
    this.pointers.delete(e.pointerId);
    if (this.canvas.hasPointerCapture(e.pointerId)) this.canvas.releasePointerCapture(e.pointerId);
    const m = this.mode;
    if (m.name === 'pinching') {
      if (this.pointers.size === 0) this.setMode({ name: 'idle' });
      return;
    }
    if (cancelled) { this.abort(); return; }
    switch (m.name) {
      case 'pressed': this.click(m); break;
      case 'draggingNodes': this.dropNodes(m); break;
      case 'wiring': this.dropWire(); break;
      case 'boxSelecting': {
        const hits = nodesInRect(this.model, this.ui.box).map((n) => n.id);
        this.model.select(hits, { add: true });
        this.ui.box = null;
        break;
      }
      default: break;
    }
    this.setMode({ name: 'idle' });
  }

  /** Leave any gesture without sending anything; dragged nodes go back. */
  abort() {
    const m = this.mode;
    if (m.name === 'draggingNodes') {
      for (const [id, o] of m.origins) this.model.withNode(id, (n) => { n.x = o.x; n.y = o.y; });
      this.model.markDirty('scene');
    }
    this.ui.wire = null; this.ui.box = null;
    this.setMode({ name: 'idle' });
  }

  // -- transitions ----------------------------------------------------------------------
  startDrag(m, s) {
    const startWorld = this.camera.toWorld(m.start);
    if (m.kind === 'node' && !this.readOnly) {
      const sel = this.model.selection.nodes;
      if (!sel.has(m.node.id)) this.model.select([m.node.id], { add: m.shift });
      const origins = new Map([...sel].map((id) => {
        const n = this.model.nodes.get(id);
        return [id, { x: n.x, y: n.y }];
      }));
      this.setMode({ name: 'draggingNodes', origins, startWorld });
      this.dragNodes(this.mode, this.camera.toWorld(s));
    } else if (m.kind === 'background' && m.shift) {
      this.ui.box = { x0: startWorld.x, y0: startWorld.y, x1: startWorld.x, y1: startWorld.y };
      this.setMode({ name: 'boxSelecting' });
    } else {
      this.setMode({ name: 'panning', last: m.start });
      this.move({ pointerId: -1, clientX: s.x + this.view.rect.left, clientY: s.y + this.view.rect.top });
    }
  }

  click(m) {
    if (m.kind === 'node') {
      if (m.shift) this.model.toggle(m.node.id); else this.model.select([m.node.id]);
    } else if (m.kind === 'edge') {
      this.model.selectEdge(edgeKey(m.edge.target, m.edge.port));
    } else if (!m.shift) {
      this.model.clearSelection();
    }
  }

  dragNodes(m, w) {
    const dx = w.x - m.startWorld.x, dy = w.y - m.startWorld.y;
    for (const [id, o] of m.origins) this.model.withNode(id, (n) => { n.x = o.x + dx; n.y = o.y + dy; });
    this.model.markDirty('scene', 'overlay');
  }

  async dropNodes(m) {
    const moves = [];
    for (const [id, o] of m.origins) {
      const n = this.model.nodes.get(id);
      if (n && (n.x !== o.x || n.y !== o.y)) moves.push({ id, x: n.x, y: n.y });
    }
    if (!moves.length) return;
    const ack = await this.actions.moveNodes(moves);
    if (!ack) {  // refused: put them back where the server has them
      for (const [id, o] of m.origins) this.model.withNode(id, (n) => { n.x = o.x; n.y = o.y; });
      this.model.markDirty('scene');
    }
  }

  dragWire(w) {
    const wire = this.ui.wire;
    wire.to = w;
    let target = portAt(this.model, w, this.tol(14), ['input']);
    if (target && target.node.id === wire.source) target = null;
    if (!target) {  // over a node's body: its nearest input port
      const n = nodeAt(this.model, w);
      if (n && n.id !== wire.source) {
        const ports = inputPorts(this.model, n);
        let best = -1, bestD = Infinity;
        ports.forEach((p, i) => { const d = Math.hypot(p.x - w.x, p.y - w.y); if (d < bestD) { bestD = d; best = i; } });
        if (best >= 0) target = { node: n, kind: 'input', port: best };
      }
    }
    wire.target = target;
    this.model.markDirty('overlay');
  }

  dropWire() {
    const { source, target } = this.ui.wire;
    this.ui.wire = null;
    if (target) this.actions.connect(source, target.node.id, target.port);
  }

  // -- hover, pinch, wheel, keys, double-click ---------------------------------------------
  hover(w) {
    const port = this.readOnly ? null : portAt(this.model, w, this.tol(9));
    const node = port ? null : nodeAt(this.model, w);
    this.setHover(node, port);
  }

  setHover(node, port) {
    const samePort = (a, b) => a === b || (a && b && a.node === b.node && a.kind === b.kind && a.port === b.port);
    if (this.ui.hoverNode === node && samePort(this.ui.hoverPort, port)) return;
    this.ui.hoverNode = node; this.ui.hoverPort = port;
    this.canvas.style.cursor = port ? 'crosshair' : node ? 'pointer' : (this.spaceHeld ? 'grab' : 'default');
    this.model.markDirty('overlay');
  }

  pinchGeometry() {
    const [a, b] = [...this.pointers.values()];
    return { dist: Math.hypot(a.x - b.x, a.y - b.y) || 1, mid: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 } };
  }

  startPinch() {
    if (this.mode.name !== 'idle' && this.mode.name !== 'pressed') this.abort();
    this.ui.wire = null; this.ui.box = null;
    this.setMode({ name: 'pinching', ...this.pinchGeometry() });
  }

  pinch() {
    if (this.pointers.size < 2) return;
    const m = this.mode;
    const g = this.pinchGeometry();
    this.camera.panBy(g.mid.x - m.mid.x, g.mid.y - m.mid.y);
    this.camera.zoomAt(g.mid, g.dist / m.dist);
    m.dist = g.dist; m.mid = g.mid;
    this.model.markDirty('scene', 'overlay');
  }

  wheel(e) {
    e.preventDefault();
    const s = this.screen(e);
    const k = e.deltaMode === 1 ? 16 : 1;  // lines → pixels
    this.camera.zoomAt(s, Math.exp(-e.deltaY * k * (e.ctrlKey ? 0.01 : 0.0015)));
    this.model.markDirty('scene', 'overlay');
  }

  keydown(e) {
    if (isTyping(e.target)) return;
    if (e.key === ' ') {
      if (e.target === this.canvas || e.target === document.body) e.preventDefault();
      if (!this.spaceHeld) { this.spaceHeld = true; if (this.mode.name === 'idle') this.canvas.style.cursor = 'grab'; }
    } else if ((e.key === 'Delete' || e.key === 'Backspace') && !this.readOnly) {
      e.preventDefault();
      this.actions.deleteSelection();
    } else if (e.key === 'Escape') {
      if (this.mode.name !== 'idle') this.abort(); else this.model.clearSelection();
    }
  }

  dblclick(e) {
    if (this.readOnly) return;
    const s = this.screen(e);
    const w = this.camera.toWorld(s);
    const node = nodeAt(this.model, w);
    if (node) { this.model.select([node.id]); this.editors.openNodeEditor(node); return; }
    if (edgeAt(this.model, w, this.tol(6))) return;
    this.editors.openSearch(s, w);
  }
}
