// Pointer gestures → edit requests, as an explicit state machine over Pointer Events:
//   idle → pressed → (panning | draggingNodes | boxSelecting) → idle
//   idle → wiring (press on an output port) → idle
//   any  → pinching (a second pointer) → idle
// A press becomes a drag only after DRAG_THRESHOLD CSS pixels of movement.
// Read-only (a view link): no gesture edits; dragging anywhere pans, clicks still select.
// Gestures change only the UI state (selection, hover, wire, box, the drag preview) and
// the camera; edits go to the server through `actions`. Screen points are read against
// the canvas's getBoundingClientRect() taken fresh at each press, double-click, wheel and
// hover move (a cached rect goes stale when the header changes height).
import { isTyping } from './dom.js';
import { edgeAt, inputPorts, nodeAt, nodesInRect, outputPort, portAt } from './geometry.js';
import { edgeKey } from './state.js';
import { tensorAt } from './tensorview.js';

export const DRAG_THRESHOLD = 4;
// How near a port a press starts a wire (CSS px, a radius): within 12 px of it by mouse
// (ahead of the node under it), a 32 px target by touch or pen. Ports are drawn 7 px wide.
export const PORT_REACH = 13;
export const PORT_REACH_TOUCH = 16;
const CURSORS = { idle: 'default', pressed: 'default', panning: 'grabbing', draggingNodes: 'move', wiring: 'crosshair', boxSelecting: 'crosshair', pinching: 'grabbing' };

export class Interaction {
  /**
   * scene: the server data as drawn (ui.js sceneView), for hit tests; ui: the UI state;
   * editors: {openNodeEditor, openSearch, close}; placement: a palette item armed by a
   * tap is placed by the next tap here (placement.js). openTensor(node, of): the whole matrix
   * (tensordialog.js), for a click on a tensor edge or its labels, a double-click on a tensor node.
   */
  constructor({ canvas, scene, ui, camera, actions, editors, placement = null, openTensor = null }) {
    Object.assign(this, { canvas, scene, ui, camera, actions, editors, placement, openTensor });
    this.mode = { name: 'idle' };
    this.pointers = new Map();     // pointerId → screen point
    this.spaceHeld = false;
    this.rect = canvas.getBoundingClientRect();  // refreshed at each press, double-click, wheel, hover
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
  }

  /** The event's point in canvas CSS pixels; `fresh` reads where the canvas is now. */
  screen(e, fresh = false) {
    if (fresh) this.rect = this.canvas.getBoundingClientRect();
    return { x: e.clientX - this.rect.left, y: e.clientY - this.rect.top };
  }

  tol(px) { return px / this.camera.scale; }

  // -- pointer events ------------------------------------------------------------------
  down(e) {
    this.canvas.focus({ preventScroll: true });
    this.editors.close();
    const s = this.screen(e, true);
    this.pointers.set(e.pointerId, s);
    try { this.canvas.setPointerCapture(e.pointerId); } catch { /* a pointer that is already gone */ }
    if (this.pointers.size === 2) { this.startPinch(); return; }
    if (this.pointers.size > 2 || this.mode.name !== 'idle') return;

    if (e.button === 1 || (e.button === 0 && this.spaceHeld)) {
      this.setMode({ name: 'panning', last: s });
      return;
    }
    if (e.button !== 0) return;
    if (this.placement?.armed) {  // a tap places the armed op; a drag still pans
      this.setMode({ name: 'pressed', kind: 'place', start: s, shift: false });
      return;
    }
    const w = this.camera.toWorld(s);
    const reach = e.pointerType === 'mouse' ? PORT_REACH : PORT_REACH_TOUCH;
    const port = this.ui.readOnly ? null : portAt(this.scene, w, this.tol(reach), ['output']);
    if (port) {
      const from = outputPort(this.scene, port.node);
      this.ui.setWire({ source: port.node.id, from, to: w, target: null });
      this.setMode({ name: 'wiring' });
      return;
    }
    const node = nodeAt(this.scene, w);
    const tensor = node ? null : tensorAt(this.scene, w, this.tol(2));  // a badge or heat map (#16 view)
    const edge = node ? null : tensor ? tensor.edge : edgeAt(this.scene, w, this.tol(6));
    const kind = node ? 'node' : edge || tensor ? 'edge' : 'background';
    this.setMode({ name: 'pressed', kind, node, edge, tensor, start: s, shift: e.shiftKey });
  }

  move(e) {
    const s = this.screen(e, this.mode.name === 'idle');
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
        break;
      case 'draggingNodes': this.dragNodes(m, w); break;
      case 'wiring': this.dragWire(w); break;
      case 'boxSelecting': this.ui.setBox({ ...this.ui.box, x1: w.x, y1: w.y }); break;
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
        const hits = nodesInRect(this.scene, this.ui.box).map((n) => n.id);
        this.ui.setBox(null);
        this.ui.select(hits, { add: true });
        break;
      }
      default: break;
    }
    this.setMode({ name: 'idle' });
  }

  /** Leave any gesture without sending anything; dragged nodes go back. */
  abort() {
    const m = this.mode;
    if (m.name === 'draggingNodes') this.ui.dropPreview([...m.origins.keys()]);
    if (this.ui.wire) this.ui.setWire(null);
    if (this.ui.box) this.ui.setBox(null);
    this.setMode({ name: 'idle' });
  }

  // -- transitions ----------------------------------------------------------------------
  startDrag(m, s) {
    const startWorld = this.camera.toWorld(m.start);
    if (m.kind === 'node' && !this.ui.readOnly) {
      const sel = this.ui.selection.nodes;
      if (!sel.has(m.node.id)) this.ui.select([m.node.id], { add: m.shift });
      const origins = new Map([...sel].filter((id) => this.scene.nodes.has(id)).map((id) => {
        const n = this.scene.nodes.get(id);
        return [id, { x: n.x, y: n.y }];
      }));
      this.setMode({ name: 'draggingNodes', origins, startWorld });
      this.dragNodes(this.mode, this.camera.toWorld(s));
    } else if (m.kind === 'background' && m.shift) {
      this.ui.setBox({ x0: startWorld.x, y0: startWorld.y, x1: startWorld.x, y1: startWorld.y });
      this.setMode({ name: 'boxSelecting' });
    } else {
      this.setMode({ name: 'panning', last: m.start });
      this.move({ pointerId: -1, clientX: s.x + this.rect.left, clientY: s.y + this.rect.top });
    }
  }

  click(m) {
    if (m.kind === 'place') {
      if (this.placement?.armed) this.placement.placeAt(m.start);
    } else if (m.kind === 'node') {
      if (m.shift) this.ui.toggle(m.node.id); else this.ui.select([m.node.id]);
    } else if (m.kind === 'edge') {
      if (m.edge) this.ui.selectEdge(edgeKey(m.edge.target, m.edge.port));
      // a tensor edge: its whole matrix, the gradient's when its gray map was clicked (#16 view)
      const tensor = m.tensor || (m.edge && m.edge.shape != null ? { node: m.edge.source, of: 'value', edge: m.edge } : null);
      if (tensor && this.openTensor) this.openTensor(tensor.node, tensor.of, tensor.edge);
    } else if (!m.shift) {
      this.ui.clearSelection();
    }
  }

  /** The dragged nodes are shown where the pointer puts them (the UI's drag preview). */
  dragNodes(m, w) {
    const dx = w.x - m.startWorld.x, dy = w.y - m.startWorld.y;
    this.ui.preview(new Map([...m.origins].map(([id, o]) => [id, { x: o.x + dx, y: o.y + dy }])));
  }

  /** Send the move; the preview stays until the server's patch moves them (or refuses). */
  async dropNodes(m) {
    const moves = [];
    for (const [id, o] of m.origins) {
      const p = this.ui.moved.get(id);
      if (p && (p.x !== o.x || p.y !== o.y)) moves.push({ id, x: Math.round(p.x), y: Math.round(p.y) });
    }
    const ids = [...m.origins.keys()];
    if (!moves.length) { this.ui.dropPreview(ids); return; }
    this.ui.preview(new Map(moves.map((p) => [p.id, p])));  // where the server will put them
    const ack = await this.actions.moveNodes(moves);
    // refused: back where the server has them; done and its patch already here (or none came): the server's
    if (!ack || (!ack.queued && this.scene.version >= ack.version)) this.ui.dropPreview(ids);
  }

  dragWire(w) {
    const wire = { ...this.ui.wire, to: w };
    let target = portAt(this.scene, w, this.tol(14), ['input']);
    if (target && target.node.id === wire.source) target = null;
    if (!target) {  // over a node's body: its nearest input port
      const n = nodeAt(this.scene, w);
      if (n && n.id !== wire.source) {
        const ports = inputPorts(this.scene, n);
        let best = -1, bestD = Infinity;
        ports.forEach((p, i) => { const d = Math.hypot(p.x - w.x, p.y - w.y); if (d < bestD) { bestD = d; best = i; } });
        if (best >= 0) target = { node: n, kind: 'input', port: best };
      }
    }
    wire.target = target;
    this.ui.setWire(wire);
  }

  dropWire() {
    const { source, target } = this.ui.wire;
    this.ui.setWire(null);
    if (target) this.actions.connect(source, target.node.id, target.port);
  }

  // -- hover, pinch, wheel, keys, double-click ---------------------------------------------
  hover(w) {
    const port = this.ui.readOnly ? null : portAt(this.scene, w, this.tol(PORT_REACH));
    const node = port ? null : nodeAt(this.scene, w);
    this.setHover(node, port);
  }

  setHover(node, port) {
    const samePort = (a, b) => a === b || (a && b && a.node === b.node && a.kind === b.kind && a.port === b.port);
    if (this.ui.hoverNode === node && samePort(this.ui.hoverPort, port)) return;
    this.ui.setHover(node, port);
    this.canvas.style.cursor = port ? 'crosshair' : node ? 'pointer' : (this.spaceHeld ? 'grab' : 'default');
  }

  pinchGeometry() {
    const [a, b] = [...this.pointers.values()];
    return { dist: Math.hypot(a.x - b.x, a.y - b.y) || 1, mid: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 } };
  }

  startPinch() {
    if (this.mode.name !== 'idle' && this.mode.name !== 'pressed') this.abort();
    this.setMode({ name: 'pinching', ...this.pinchGeometry() });
  }

  pinch() {
    if (this.pointers.size < 2) return;
    const m = this.mode;
    const g = this.pinchGeometry();
    this.camera.panBy(g.mid.x - m.mid.x, g.mid.y - m.mid.y);
    this.camera.zoomAt(g.mid, g.dist / m.dist);
    m.dist = g.dist; m.mid = g.mid;
  }

  wheel(e) {
    e.preventDefault();
    const s = this.screen(e, true);
    const k = e.deltaMode === 1 ? 16 : 1;  // lines → pixels
    this.camera.zoomAt(s, Math.exp(-e.deltaY * k * (e.ctrlKey ? 0.01 : 0.0015)));
  }

  keydown(e) {
    if (isTyping(e.target)) return;
    if (e.key === ' ') {
      if (e.target === this.canvas || e.target === document.body) e.preventDefault();
      if (!this.spaceHeld) { this.spaceHeld = true; if (this.mode.name === 'idle') this.canvas.style.cursor = 'grab'; }
    } else if ((e.key === 'Delete' || e.key === 'Backspace') && !this.ui.readOnly) {
      e.preventDefault();
      this.actions.deleteSelection();
    } else if (e.key === 'Escape') {
      if (this.mode.name !== 'idle') this.abort(); else this.ui.clearSelection();
    }
  }

  dblclick(e) {
    if (this.ui.readOnly) return;
    const s = this.screen(e, true);
    const w = this.camera.toWorld(s);
    const node = nodeAt(this.scene, w);
    if (node && this.scene.shown.shapes[node.id] != null && this.openTensor) {  // a tensor: its matrix (#16 view)
      this.ui.select([node.id]);
      this.openTensor(node.id, 'value');
      return;
    }
    if (node) { this.ui.select([node.id]); this.editors.openNodeEditor(node); return; }
    if (edgeAt(this.scene, w, this.tol(6))) return;
    this.editors.openSearch(s, w);
  }
}
