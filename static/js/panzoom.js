// The stepper's canvas gestures (embed, single HTML file, notebook): nothing is edited there,
// so a press and drag pans, two fingers pinch, the wheel zooms, and a tap on a node selects it
// (the explanation panel then shows its value and gradient, as in the editor). One Pointer
// Events path for mouse, touch and pen; the canvas's rect is read fresh at each gesture.
import { nodeAt } from './geometry.js';

const TAP = 6;  // CSS px a press may move and still be a tap

export class PanZoom {
  /** onUser(): the reader moved the view (the page stops fitting the graph on resize). */
  constructor({ canvas, scene, ui, camera, onUser }) {
    Object.assign(this, { canvas, scene, ui, camera, onUser });
    this.pointers = new Map();   // pointerId → {x, y}
    this.start = null;           // {x, y, moved} of a one-pointer press
    this.pinch = null;           // {dist, mid} of the last two-pointer frame
    canvas.style.touchAction = 'none';
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    for (const type of ['pointerup', 'pointercancel']) canvas.addEventListener(type, (e) => this.up(e));
    canvas.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
  }

  point(e) {
    const r = this.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  down(e) {
    this.canvas.setPointerCapture?.(e.pointerId);
    this.pointers.set(e.pointerId, this.point(e));
    if (this.pointers.size === 1) this.start = { ...this.point(e), moved: false };
    else { this.start = null; this.pinch = this.geometry(); }
  }

  move(e) {
    if (!this.pointers.has(e.pointerId)) return;
    const before = this.pointers.get(e.pointerId);
    const p = this.point(e);
    this.pointers.set(e.pointerId, p);
    if (this.pointers.size >= 2 && this.pinch) {
      const g = this.geometry();
      this.camera.panBy(g.mid.x - this.pinch.mid.x, g.mid.y - this.pinch.mid.y);
      this.camera.zoomAt(g.mid, g.dist / this.pinch.dist);
      this.pinch = g;
      this.onUser();
    } else if (this.start) {
      if (!this.start.moved && Math.hypot(p.x - this.start.x, p.y - this.start.y) < TAP) return;
      this.start.moved = true;
      this.camera.panBy(p.x - before.x, p.y - before.y);
      this.onUser();
    }
  }

  up(e) {
    if (!this.pointers.delete(e.pointerId)) return;
    if (this.start && !this.start.moved && e.type === 'pointerup') {
      const node = nodeAt(this.scene, this.camera.toWorld(this.point(e)));
      if (node) this.ui.select([node.id]); else this.ui.clearSelection();
    }
    this.start = null;
    if (this.pointers.size < 2) this.pinch = null;
  }

  geometry() {
    const [a, b] = [...this.pointers.values()];
    return { dist: Math.hypot(a.x - b.x, a.y - b.y) || 1, mid: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 } };
  }

  wheel(e) {
    e.preventDefault();
    this.camera.zoomAt(this.point(e), Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015)));
    this.onUser();
  }
}
