// Tensors on the canvas (issue 16): an edge that carries a matrix or a vector shows its
// shape as a badge on the line, e.g. "(4, 3)", its value as a small heat map in a black
// frame above the line and its gradient as one in a gray frame below it, with the backward
// arrow beside it, as numbers are shown for scalars. The colours are the server's numbers
// drawn (display, not maths): each map is scaled by its own largest magnitude, red for
// positive, blue for negative, white for 0. A map shows at most MAX_CELLS × MAX_CELLS
// entries; a cut side of its frame is dashed. In the "symbols" label mode the server's
// symbols take the maps' places ("both" keeps the maps). The whole matrix, in numbers, opens with a click
// (tensordialog.js). The renderer calls drawTensorLabels; hit tests and the snapshot use
// tensorLayout and tensorAt.
import { G, FONT, bezierAt, bezierTangent, cssFont, edgeGeometry, outputStub, textWidth } from './geometry.js';

const COLORS = G.COLORS;
export const MAX_CELLS = 12;       // rows and columns drawn at most; the dialog has the rest
const MAP_W = 52, MAP_H = 22;      // a map's largest size (world px)
const CELL_MIN = 1.8, CELL_W_MAX = 10, CELL_H_MAX = 8;
const BADGE_H = 15, BADGE_PAD = 5, GAP = 3, ARROW = 12;
const badgeFont = `600 11px ${FONT}`;
const zeroFont = `600 8px ${FONT}`;
const valueFont = cssFont(G.FONTS.VALUE);
const gradFont = cssFont(G.FONTS.GRAD);
const POS = [178, 24, 43], NEG = [33, 102, 172];  // RdBu's ends

// -- heat maps from the server's nested lists --------------------------------------------------
const cellsOf = new WeakMap();     // nested list (replaced whenever the numbers change) → its cells

/** The colour of v / peak in [−1, 1]: white through red (positive) or blue (negative). */
function colour(v, peak) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return COLORS.error;  // "NaN", "Infinity" from the wire
  const t = peak > 0 ? Math.min(1, Math.abs(v) / peak) : 0;
  const [r, g, b] = v < 0 ? NEG : POS;
  const mix = (c) => Math.round(255 + (c - 255) * t);
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

/** {rows, cols, R, C, colors} of a nested list (a vector is one row); null for a number or nothing. */
export function heatCells(value) {
  if (!Array.isArray(value)) return null;
  let m = cellsOf.get(value);
  if (m) return m;
  const rows = Array.isArray(value[0]) ? value : [value];
  const R = rows.length, C = R ? rows[0].length : 0;
  const r = Math.min(R, MAX_CELLS), c = Math.min(C, MAX_CELLS);
  let peak = 0;
  for (const row of rows) for (const v of row) if (typeof v === 'number' && Math.abs(v) > peak) peak = Math.abs(v);
  const colors = [];
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) colors.push(colour(rows[i][j], peak));
  const cw = Math.max(CELL_MIN, Math.min(CELL_W_MAX, MAP_W / Math.max(1, c)));
  const ch = Math.max(CELL_MIN, Math.min(CELL_H_MAX, MAP_H / Math.max(1, r)));
  m = Object.freeze({ rows: r, cols: c, R, C, colors, cw, ch, w: cw * c, h: ch * r, zero: peak === 0 });
  cellsOf.set(value, m);
  return m;
}

// -- layout -----------------------------------------------------------------------------------
/**
 * What a tensor edge shows and where (world coordinates): the badge on the curve's midpoint,
 * the value above it and the gradient below it, each pushed along the normal until it clears
 * the badge. An item is {kind: 'map', cells} or {kind: 'text', text}, with its box (cx, cy, w, h).
 */
export function tensorLayout(curve, shape, value, grad) {
  const mid = bezierAt(curve, 0.5), dir = bezierTangent(curve, 0.5);
  let n = { x: dir.y, y: -dir.x };                 // a normal, pointing up
  if (n.y > 0 || (n.y === 0 && n.x > 0)) n = { x: -n.x, y: -n.y };
  const reach = (w, h) => (w / 2) * Math.abs(n.x) + (h / 2) * Math.abs(n.y);
  const bw = textWidth(shape, badgeFont) + 2 * BADGE_PAD;
  const badge = { text: shape, cx: mid.x, cy: mid.y, w: bw, h: BADGE_H };
  const clear = reach(bw, BADGE_H) + GAP;
  const place = (item, sign) => {
    if (!item) return null;
    const d = clear + reach(item.w, item.h);
    return { ...item, cx: mid.x + sign * n.x * d, cy: mid.y + sign * n.y * d };
  };
  const out = { mid, dir, badge, value: place(value, 1), grad: place(grad, -1) };
  if (out.grad) {  // the backward arrow, beside the gradient on the side it points to
    const g = out.grad, back = { x: -dir.x, y: -dir.y };
    const side = back.x <= 0 ? -1 : 1;
    const c = { x: g.cx + side * (g.w / 2 + 4 + (ARROW / 2) * Math.abs(back.x)), y: g.cy };
    g.arrow = { from: { x: c.x - back.x * ARROW / 2, y: c.y - back.y * ARROW / 2 },
      to: { x: c.x + back.x * ARROW / 2, y: c.y + back.y * ARROW / 2 }, back };
  }
  return out;
}

/** An item for one side of an edge: a heat map of the numbers, or in the symbols mode the symbol. */
function item(mode, symbol, numbers, text, font, h) {
  if (text == null) return null;  // not revealed yet
  const cells = mode === 'symbols' ? null : heatCells(numbers);
  if (cells) return { kind: 'map', cells, w: cells.w, h: cells.h };
  const shown = mode === 'symbols' ? (symbol ?? text) : text;  // a number: a loss's, a sum's
  return { kind: 'text', text: shown, w: textWidth(shown, font), h };
}

/** The layout of edge `e` (null for a scalar edge or one without a curve). */
export function edgeTensorLayout(model, e, curve = null) {
  if (e.shape == null) return null;
  const c = curve || edgeGeometry(model, e)?.curve;
  if (!c) return null;
  const mode = model.labels;
  return tensorLayout(c, e.shape,
    item(mode, e.valueSymbol, e.value, e.valueText, valueFont, G.VALUE_H),
    item(mode, e.gradSymbol, e.grad, e.gradText, gradFont, G.GRAD_H));
}

/** The output's own arrow, when the output is a tensor: {curve, layout, node} or null. */
export function stubTensorLayout(model) {
  const id = model.output, shape = id && model.shown.shapes[id];
  const stub = shape && outputStub(model);
  if (!stub) return null;
  const s = model.shown, mode = model.labels;
  return {
    curve: stub, node: id,
    layout: tensorLayout(stub, shape,
      item(mode, s.valueSymbol[id], s.values[id], s.valueText[id], valueFont, G.VALUE_H),
      item(mode, s.gradSymbol[id], s.grads[id], s.gradText[id], gradFont, G.GRAD_H)),
  };
}

// -- hit test ---------------------------------------------------------------------------------
const inside = (b, p, pad) => b && Math.abs(p.x - b.cx) <= b.w / 2 + pad && Math.abs(p.y - b.cy) <= b.h / 2 + pad;

/** The tensor label under world point `p`: {node, of, edge} (edge null for the output's arrow), or null. */
export function tensorAt(model, p, pad = 2) {
  const hit = (l) => (inside(l.grad, p, pad) ? 'grad' : inside(l.value, p, pad) || inside(l.badge, p, pad) ? 'value' : null);
  for (const e of model.edges) {
    if (e.shape == null) continue;
    const l = edgeTensorLayout(model, e);
    const of = l && hit(l);
    if (of) return { node: e.source, of, edge: e };
  }
  const stub = stubTensorLayout(model);
  const of = stub && hit(stub.layout);
  return of ? { node: stub.node, of, edge: null } : null;
}

// -- drawing ----------------------------------------------------------------------------------
function drawMap(ctx, it, frame, thin) {
  const { cells, cx, cy, w, h } = it;
  const x0 = cx - w / 2, y0 = cy - h / 2;
  ctx.fillStyle = COLORS.paper;
  ctx.fillRect(x0 - 1.5, y0 - 1.5, w + 3, h + 3);
  let k = 0;
  for (let i = 0; i < cells.rows; i++) {
    for (let j = 0; j < cells.cols; j++) {
      ctx.fillStyle = cells.colors[k++];
      ctx.fillRect(x0 + j * cells.cw, y0 + i * cells.ch, cells.cw + 0.02, cells.ch + 0.02);  // no seams
    }
  }
  ctx.strokeStyle = frame;
  ctx.lineWidth = Math.max(1.1, thin);
  const side = (ax, ay, bx, by, cut) => {
    ctx.setLineDash(cut ? [2, 2] : []);
    ctx.beginPath(); ctx.moveTo(ax, ay); ctx.lineTo(bx, by); ctx.stroke();
  };
  side(x0, y0, x0 + w, y0, false);
  side(x0, y0, x0, y0 + h, false);
  side(x0 + w, y0, x0 + w, y0 + h, cells.C > cells.cols);   // more columns than drawn
  side(x0, y0 + h, x0 + w, y0 + h, cells.R > cells.rows);   // more rows than drawn
  ctx.setLineDash([]);
  if (cells.zero) {  // all zeros: white cells, and a 0 so that the map does not look empty
    ctx.font = zeroFont;
    ctx.fillStyle = frame;
    ctx.fillText('0', cx, cy + 0.5);
  }
}

function drawItem(ctx, it, font, colour, frame, thin) {
  if (!it) return;
  if (it.kind === 'map') { drawMap(ctx, it, frame, thin); return; }
  ctx.font = font;
  ctx.fillStyle = colour;
  ctx.fillText(it.text, it.cx, it.cy + 1);
}

/** Draw the labels of tensor edges: `items` is [{layout}], each from edgeTensorLayout. */
export function drawTensorLabels(ctx, layouts, thin) {
  if (!layouts.length) return;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (const l of layouts) {
    const b = l.badge;
    ctx.beginPath();
    ctx.roundRect(b.cx - b.w / 2, b.cy - b.h / 2, b.w, b.h, b.h / 2);
    ctx.fillStyle = COLORS.paper;
    ctx.fill();
    ctx.strokeStyle = COLORS.muted;
    ctx.lineWidth = Math.max(1, thin);
    ctx.stroke();
    ctx.font = badgeFont;
    ctx.fillStyle = COLORS.ink;
    ctx.fillText(b.text, b.cx, b.cy + 0.5);
    drawItem(ctx, l.value, valueFont, COLORS.value, COLORS.ink, thin);
    drawItem(ctx, l.grad, gradFont, COLORS.grad, COLORS.grad, thin);
    const a = l.grad && l.grad.arrow;
    if (a) {
      ctx.strokeStyle = COLORS.grad;
      ctx.fillStyle = COLORS.grad;
      ctx.lineWidth = 1.2;
      ctx.beginPath(); ctx.moveTo(a.from.x, a.from.y); ctx.lineTo(a.to.x, a.to.y); ctx.stroke();
      const nx = -a.back.y, ny = a.back.x;
      ctx.beginPath();
      ctx.moveTo(a.to.x, a.to.y);
      ctx.lineTo(a.to.x - a.back.x * 6 + nx * 2.7, a.to.y - a.back.y * 6 + ny * 2.7);
      ctx.lineTo(a.to.x - a.back.x * 6 - nx * 2.7, a.to.y - a.back.y * 6 - ny * 2.7);
      ctx.fill();
    }
  }
}
