// A bitmap cache for panning a big graph (issue 15). When a full draw of the scene takes
// most of a frame, a pan draws the scene once into a canvas a margin larger than the
// screen and then only copies that bitmap at the new offset, until the pan leaves the
// margin. A change of the scene, the zoom or the canvas size draws directly again.
// Small graphs never use it: they are drawn directly, every frame, as before.
import { Layer, drawScene } from './renderer.js';

const SLOW_MS = 10;   // a full draw slower than this (most of a 16 ms frame) makes panning cached
const MARGIN = 320;   // CSS px around the screen, on every side, that a cached bitmap covers

/** A drawer for `layer`: draw(model, camera, changed); `changed`: the scene itself changed. */
export function sceneDrawer(layer) {
  let slow = false;
  let always = false;  // tests: cache every pan, however fast the graph draws
  let cache = null;  // { canvas, ctx, scale, dpr, w, h, x, y }: (x, y) the camera offset drawn at

  function direct(model, camera) {
    const t0 = performance.now();
    drawScene(layer, model, camera);
    slow = performance.now() - t0 > SLOW_MS;
    cache = null;
  }

  function fill(model, camera) {
    const { w, h, dpr } = layer, s = camera.scale;
    const canvas = cache?.canvas ?? document.createElement('canvas');
    canvas.width = Math.round((w + 2 * MARGIN) * dpr);
    canvas.height = Math.round((h + 2 * MARGIN) * dpr);
    const big = Object.assign(Object.create(Layer.prototype),
      { canvas, ctx: canvas.getContext('2d'), w: w + 2 * MARGIN, h: h + 2 * MARGIN, dpr });
    // the camera moved MARGIN px right and down, so the screen sits in the middle of the bitmap
    const offset = { x: camera.offset.x + MARGIN / s, y: camera.offset.y + MARGIN / s };
    const shifted = {
      scale: s, offset,
      visibleWorld: (v) => ({ minX: -offset.x, minY: -offset.y, maxX: v.w / s - offset.x, maxY: v.h / s - offset.y }),
    };
    drawScene(big, model, shifted);
    cache = { canvas, scale: s, dpr, w, h, x: camera.offset.x, y: camera.offset.y };
  }

  /** Where the cached bitmap's corner goes on screen now (CSS px), or null if it no longer covers it. */
  function placement(camera) {
    if (!cache || cache.scale !== camera.scale || cache.dpr !== layer.dpr || cache.w !== layer.w || cache.h !== layer.h) {
      return null;
    }
    const dx = (camera.offset.x - cache.x) * camera.scale, dy = (camera.offset.y - cache.y) * camera.scale;
    if (Math.abs(dx) > MARGIN || Math.abs(dy) > MARGIN) return null;
    return { x: dx - MARGIN, y: dy - MARGIN };
  }

  function draw(model, camera, changed) {
    if (changed || !(slow || always)) {
      direct(model, camera);
      return;
    }
    let at = placement(camera);
    if (!at) {
      fill(model, camera);
      at = placement(camera);
    }
    const { ctx, dpr } = layer;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, layer.canvas.width, layer.canvas.height);
    // whole device pixels: a copy, not a resampling (at most half a pixel off while panning)
    ctx.drawImage(cache.canvas, Math.round(at.x * dpr), Math.round(at.y * dpr));
  }
  draw.always = (on) => { always = on; };
  draw.cached = () => cache !== null;  // the last pan frame was copied from a bitmap
  return draw;
}
