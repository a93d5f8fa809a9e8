// The camera: world ↔ screen (CSS pixels of the canvas), like LiteGraph's DragAndScale.
// screen = (world + offset) * scale
// The view store: panBy, zoomAt and fit notify ('camera') through the one Store mechanism.
import { Store } from './store.js';

export const MIN_SCALE = 0.1;
export const MAX_SCALE = 4;
// The least zoom at which edge numbers (13–14 px fonts, geometry.json) are still legible,
// at 9 CSS px and more: a phone's or tablet's Fit stops here and pinch zoom shows the rest.
export const LEGIBLE_SCALE = 0.7;

/**
 * How Fit frames a graph in a canvas of `viewport` {w, h}: a small canvas (a phone) gets
 * a narrow margin, and a small or touch screen a legible least zoom (LEGIBLE_SCALE), so
 * it shows the numbers of the middle of a wide graph rather than all of it without text.
 */
export function fitOptions(viewport, touch) {
  const small = Math.min(viewport.w, viewport.h) < 600;
  return { margin: small ? 20 : 60, minScale: small || touch ? LEGIBLE_SCALE : MIN_SCALE };
}

export function createCamera() {
  const cam = Object.assign(new Store(), {
    offset: { x: 0, y: 0 },
    scale: 1,

    toScreen(p) {
      return { x: (p.x + cam.offset.x) * cam.scale, y: (p.y + cam.offset.y) * cam.scale };
    },

    toWorld(p) {
      return { x: p.x / cam.scale - cam.offset.x, y: p.y / cam.scale - cam.offset.y };
    },

    /** Pan by a screen-space delta. */
    panBy(dx, dy) {
      cam.offset.x += dx / cam.scale;
      cam.offset.y += dy / cam.scale;
      cam.notify('camera');
    },

    /** Zoom by `factor`, keeping the world point under `screenPt` where it is. */
    zoomAt(screenPt, factor) {
      const before = cam.toWorld(screenPt);
      cam.scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, cam.scale * factor));
      const after = cam.toWorld(screenPt);
      cam.offset.x += after.x - before.x;
      cam.offset.y += after.y - before.y;
      cam.notify('camera');
    },

    /**
     * Show world `bounds` {minX, minY, maxX, maxY} inside `viewport` {w, h} with a margin,
     * centred, zoomed no further out than `minScale` (then it shows the middle part).
     */
    fit(bounds, viewport, { margin = 60, minScale = MIN_SCALE } = {}) {
      if (!bounds || viewport.w <= 0 || viewport.h <= 0) return;
      const bw = Math.max(1, bounds.maxX - bounds.minX);
      const bh = Math.max(1, bounds.maxY - bounds.minY);
      const sx = (viewport.w - 2 * margin) / bw;
      const sy = (viewport.h - 2 * margin) / bh;
      cam.scale = Math.min(1.5, Math.max(minScale, MIN_SCALE, Math.min(sx, sy)));
      const cx = (bounds.minX + bounds.maxX) / 2;
      const cy = (bounds.minY + bounds.maxY) / 2;
      cam.offset.x = viewport.w / 2 / cam.scale - cx;
      cam.offset.y = viewport.h / 2 / cam.scale - cy;
      cam.notify('camera');
    },

    /** The world rectangle visible in a viewport {w, h}. */
    visibleWorld(viewport) {
      const a = cam.toWorld({ x: 0, y: 0 });
      const b = cam.toWorld({ x: viewport.w, y: viewport.h });
      return { minX: a.x, minY: a.y, maxX: b.x, maxY: b.y };
    },
  });
  return cam;
}
