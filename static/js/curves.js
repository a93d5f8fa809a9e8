// Edges' strokes on the scene layer (renderer.js): Bézier curves cut to what the screen
// shows, stroked as hairlines in one path or one by one, and arrowheads added to a batch.
// Also the tests of whether a point or a label's box is on screen at all.
import { grow } from './geometry.js';

export function strokeCurve(ctx, [p0, c1, c2, p3]) {
  ctx.beginPath();
  ctx.moveTo(p0.x, p0.y);
  ctx.bezierCurveTo(c1.x, c1.y, c2.x, c2.y, p3.x, p3.y);
  ctx.stroke();
}

let penX = NaN, penY = NaN;  // where the path being built ends

/**
 * Add the Bézier (x0, y0) … (x3, y3) to the current path, without the parts that lie
 * outside `clip`: a curve far bigger than the screen (a long edge crossing it) is
 * halved until each half is small or outside, and the outside halves are dropped (a
 * curve lies within its control points' bounds). The kept halves join without a break.
 */
function curveIn(ctx, clip, x0, y0, x1, y1, x2, y2, x3, y3, depth = 16) {
  const minX = Math.min(x0, x1, x2, x3), maxX = Math.max(x0, x1, x2, x3);
  const minY = Math.min(y0, y1, y2, y3), maxY = Math.max(y0, y1, y2, y3);
  if (maxX < clip.minX || minX > clip.maxX || maxY < clip.minY || minY > clip.maxY) return;
  if (depth === 0 || !(maxX - minX > clip.size || maxY - minY > clip.size)) {
    if (x0 !== penX || y0 !== penY) ctx.moveTo(x0, y0);
    ctx.bezierCurveTo(x1, y1, x2, y2, x3, y3);
    penX = x3; penY = y3;
    return;
  }
  const ax = (x0 + x1) / 2, ay = (y0 + y1) / 2, bx = (x1 + x2) / 2, by = (y1 + y2) / 2;
  const cx = (x2 + x3) / 2, cy = (y2 + y3) / 2, dx = (ax + bx) / 2, dy = (ay + by) / 2;
  const ex = (bx + cx) / 2, ey = (by + cy) / 2, mx = (dx + ex) / 2, my = (dy + ey) / 2;
  curveIn(ctx, clip, x0, y0, ax, ay, dx, dy, mx, my, depth - 1);
  curveIn(ctx, clip, mx, my, ex, ey, cx, cy, x3, y3, depth - 1);
}

/** The region curves are cut to: the view and a margin, and the size of piece kept whole. */
export function clipFor(view, thin) {
  const c = grow(view, 8 * thin);
  c.size = Math.max(c.maxX - c.minX, c.maxY - c.minY);
  return c;
}

/**
 * Stroke `curves` (cut to `clip`) in the current style. A stroke at most one device
 * pixel wide is a hairline to the canvas: cheap, and cheapest as one path. Wider ones
 * are stroked one by one; as one path they cost several times more.
 */
export function strokeCurves(ctx, curves, clip, hairline) {
  if (hairline) ctx.beginPath();
  for (const [p0, c1, c2, p3] of curves) {
    if (!hairline) ctx.beginPath();
    penX = NaN;
    curveIn(ctx, clip, p0.x, p0.y, c1.x, c1.y, c2.x, c2.y, p3.x, p3.y);
    if (!hairline) ctx.stroke();
  }
  if (hairline) ctx.stroke();
}

/**
 * Add a triangular arrowhead to the current path, to be filled with its batch. Left
 * open: fill() closes it, and closePath() costs time linear in the path's length here.
 */
export function arrowPath(ctx, tip, dir, size) {
  const nx = -dir.y, ny = dir.x;
  ctx.moveTo(tip.x, tip.y);
  ctx.lineTo(tip.x - dir.x * size + nx * size * 0.45, tip.y - dir.y * size + ny * size * 0.45);
  ctx.lineTo(tip.x - dir.x * size - nx * size * 0.45, tip.y - dir.y * size - ny * size * 0.45);
}

export function arrowHead(ctx, tip, dir, size = 8) {
  ctx.beginPath();
  arrowPath(ctx, tip, dir, size);
  ctx.fill();
}

/** Whether point `p` is within `reach` of the view. */
export function pointShows(p, view, reach) {
  return p.x >= view.minX - reach && p.x <= view.maxX + reach && p.y >= view.minY - reach && p.y <= view.maxY + reach;
}

/** Whether a label's box, grown by `reach`, is on screen. */
export function boxShows({ cx, cy, w, h }, view, reach) {
  const rx = w / 2 + reach, ry = h / 2 + reach;
  return cx + rx >= view.minX && cx - rx <= view.maxX && cy + ry >= view.minY && cy - ry <= view.maxY;
}
