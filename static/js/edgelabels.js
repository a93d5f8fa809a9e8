// Edges' labels: the text an edge shows in the current label mode, where its value and
// gradient go beside its curve (cached per curve), and drawing them all in a few passes.
// The SVG export lays them out alike (server/export/scene.py).
import { G, bezierAt, bezierTangent, cssFont, textWidth } from './geometry.js';
import { arrowPath } from './curves.js';

const COLORS = G.COLORS;
export const valueFont = cssFont(G.FONTS.VALUE);
export const gradFont = cssFont(G.FONTS.GRAD);

/** Where an edge's labels are anchored: the curve's midpoint and its direction. */
export function labelAnchor(curve) {
  return { mid: bezierAt(curve, 0.5), dir: bezierTangent(curve, 0.5) };
}

const { VALUE_H, GRAD_H, ARROW_GAP, ARROW_HALF } = G;

/**
 * Where an edge's texts go (world coordinates): the value's box above the midpoint,
 * the gradient's arrow and box below it. Each box is pushed along the normal until
 * it clears the line, so steep edges never run through their numbers.
 */
export function labelLayout(curve, valueText, gradText) {
  const { mid, dir } = labelAnchor(curve);
  let n = { x: dir.y, y: -dir.x };                 // a normal; make it point up
  if (n.y > 0 || (n.y === 0 && n.x > 0)) n = { x: -n.x, y: -n.y };
  const reach = (w, h) => (w / 2) * Math.abs(n.x) + (h / 2) * Math.abs(n.y);
  const out = { mid, dir, value: null, grad: null };
  if (valueText != null) {
    const w = textWidth(valueText, valueFont);
    const d = reach(w, VALUE_H) + 3;
    out.value = { text: valueText, cx: mid.x + n.x * d, cy: mid.y + n.y * d, w, h: VALUE_H };
  }
  if (gradText != null) {
    const w = textWidth(gradText, gradFont);
    const d = ARROW_GAP + 4 + reach(w, GRAD_H);
    const a = { x: mid.x - n.x * ARROW_GAP, y: mid.y - n.y * ARROW_GAP };
    out.grad = { text: gradText, cx: mid.x - n.x * d, cy: mid.y - n.y * d, w, h: GRAD_H, arrow: a,
      from: { x: a.x + dir.x * ARROW_HALF, y: a.y + dir.y * ARROW_HALF },   // the backward arrow
      to: { x: a.x - dir.x * ARROW_HALF, y: a.y - dir.y * ARROW_HALF }, back: { x: -dir.x, y: -dir.y } };
  }
  return out;
}

/**
 * The text an edge shows in a label mode (the UI state's `labels`), from the server's
 * two strings: the number ("2.2"), the symbol ("∂L/∂z · y"), or both joined
 * ("∂L/∂z · y = 2.2"), as server/export/figure.py writes them. Null until revealed.
 */
export function labelText(mode, symbol, number) {
  if (number == null) return null;
  if (mode === 'symbols') return symbol ?? number;
  if (mode === 'both' && symbol != null) return `${symbol} = ${number}`;
  return number;
}

/** An edge's value and gradient texts as drawn in the model's label mode. */
export function edgeTexts(model, e) {
  if (model.practice) return model.practice.edgeTexts(e);  // -- #17 practice: blanks and the full figure (practice.js)
  const mode = model.labels;
  return { value: labelText(mode, e.valueSymbol, e.valueText), grad: labelText(mode, e.gradSymbol, e.gradText) };
}

/** The output's own arrow's texts: its value (an input's own) above, its gradient below. */
export function outputTexts(model) {
  if (model.practice) return model.practice.outputTexts();  // -- #17 practice
  const id = model.output;
  const node = id && model.nodes.get(id);
  if (!node) return { value: null, grad: null };
  const s = model.shown, mode = model.labels;
  const number = (model.isInput(node) ? (s.values[id] != null ? s.inputText[id] : null) : s.valueText[id]) ?? null;
  return { value: labelText(mode, s.valueSymbol[id], number), grad: labelText(mode, s.gradSymbol[id], s.gradText[id]) };
}

// Per curve (curves are cached and frozen by geometry.js, so they key a WeakMap):
// the arrowhead's direction, and the label layout for the texts it was made for.
const curveExtras = new WeakMap();

export function extrasFor(curve) {
  let x = curveExtras.get(curve);
  if (x === undefined) curveExtras.set(curve, x = { head: bezierTangent(curve, 1), texts: null, layout: null });
  return x;
}

export function layoutFor(x, curve, valueText, gradText) {
  const t = x.texts;
  if (t === null || t.v !== valueText || t.g !== gradText) {
    x.texts = { v: valueText, g: gradText };
    x.layout = labelLayout(curve, valueText, gradText);
  }
  return x.layout;
}

/** Values in black above their edges; gradients in gray below, each with a backward arrow. */
export function drawEdgeLabels(ctx, values, grads, k) {
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.font = valueFont;
  ctx.fillStyle = COLORS.value;
  for (const v of values) ctx.fillText(v.text, v.cx, v.cy + 1);
  ctx.strokeStyle = COLORS.grad;
  ctx.fillStyle = COLORS.grad;
  ctx.lineWidth = 1.2;
  const hairline = 1.2 * k <= 1;  // one path for hairlines, else one stroke per arrow
  if (hairline) ctx.beginPath();
  for (const g of grads) {
    if (!hairline) ctx.beginPath();
    ctx.moveTo(g.from.x, g.from.y);
    ctx.lineTo(g.to.x, g.to.y);
    if (!hairline) ctx.stroke();
  }
  if (hairline) ctx.stroke();
  ctx.beginPath();
  for (const g of grads) arrowPath(ctx, g.to, g.back, 6);
  ctx.fill();
  ctx.font = gradFont;
  for (const g of grads) ctx.fillText(g.text, g.cx, g.cy + 1);
}
