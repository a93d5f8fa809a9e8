// Drawing, on two stacked canvases as Excalidraw does: the scene layer (the graph
// as the book draws it) and the overlay layer (selection box, wire being dragged,
// hover, moving tokens, others' pointers: overlay.js). Both are scaled by
// devicePixelRatio. Reads the model only.
import {
  FONT, G, OP_RADIUS, bezierAt, bezierTangent, cssFont, inputNameFont, inputValueFont,
  intersects, nodeExtent, outputStub, sceneIndex, textWidth,
} from './geometry.js';
import { drawTensorLabels, edgeTensorLayout, stubTensorLayout } from './tensorview.js';

export const COLORS = G.COLORS;  // geometry.json, shared with the SVG export
const TEXT_MIN_SCALE = 0.35;
const valueFont = cssFont(G.FONTS.VALUE);
const gradFont = cssFont(G.FONTS.GRAD);
const opLabelFont = cssFont(G.FONTS.LABEL);
const LABEL_REACH = 30;  // how far an edge's labels may stand off its curve (world px)
export const NODE_REACH = 24;   // how far ports, outlines and an op's label stick out of its bounds
const CROWDED = 300;     // more edges on screen than this, and they are drawn one CSS pixel wide
const SPRITE_MAX_SCALE = 0.75;  // below this zoom, plain op nodes are stamped from sprites

/** One canvas sized in CSS pixels × devicePixelRatio. */
export class Layer {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.w = 0; this.h = 0; this.dpr = 1;
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
    if (w === this.w && h === this.h && dpr === this.dpr) return false;
    this.w = w; this.h = h; this.dpr = dpr;
    this.canvas.width = Math.max(1, Math.round(w * dpr));
    this.canvas.height = Math.max(1, Math.round(h * dpr));
    return true;
  }

  /** Clear, then set a transform that draws in world coordinates. */
  begin(camera) {
    const { ctx, dpr } = this;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.w, this.h);
    const k = dpr * camera.scale;
    ctx.setTransform(k, 0, 0, k, k * camera.offset.x, k * camera.offset.y);
    return ctx;
  }
}

export const grow = (b, d) => ({ minX: b.minX - d, minY: b.minY - d, maxX: b.maxX + d, maxY: b.maxY + d });

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
function clipFor(view, thin) {
  const c = grow(view, 8 * thin);
  c.size = Math.max(c.maxX - c.minX, c.maxY - c.minY);
  return c;
}

/**
 * Stroke `curves` (cut to `clip`) in the current style. A stroke at most one device
 * pixel wide is a hairline to the canvas: cheap, and cheapest as one path. Wider ones
 * are stroked one by one; as one path they cost several times more.
 */
function strokeCurves(ctx, curves, clip, hairline) {
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
function arrowPath(ctx, tip, dir, size) {
  const nx = -dir.y, ny = dir.x;
  ctx.moveTo(tip.x, tip.y);
  ctx.lineTo(tip.x - dir.x * size + nx * size * 0.45, tip.y - dir.y * size + ny * size * 0.45);
  ctx.lineTo(tip.x - dir.x * size - nx * size * 0.45, tip.y - dir.y * size - ny * size * 0.45);
}

function arrowHead(ctx, tip, dir, size = 8) {
  ctx.beginPath();
  arrowPath(ctx, tip, dir, size);
  ctx.fill();
}

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

function extrasFor(curve) {
  let x = curveExtras.get(curve);
  if (x === undefined) curveExtras.set(curve, x = { head: bezierTangent(curve, 1), texts: null, layout: null });
  return x;
}

function layoutFor(x, curve, valueText, gradText) {
  const t = x.texts;
  if (t === null || t.v !== valueText || t.g !== gradText) {
    x.texts = { v: valueText, g: gradText };
    x.layout = labelLayout(curve, valueText, gradText);
  }
  return x.layout;
}

function opSymbol(model, node) {
  const spec = model.spec(node.op);
  const sym = spec ? spec.symbol : node.op;
  return model.shown.symbols[node.id] ?? (sym || node.op);  // the server writes "^2" for pow
}

const SYMBOL_FONTS = G.FONTS.SYMBOL.map(cssFont);
const symbolFont = (sym) => (sym.length <= 1 ? 0 : sym.length <= 3 ? 1 : 2);  // into SYMBOL_FONTS
// A long hyphenated symbol (Softmax-with-Loss) is written on lines broken after its hyphens,
// smaller, so it fits its disc as the exported figures write it.
const LINES_FONT = cssFont([600, 10]);
const symbolLines = (sym) => (sym.length > 8 && sym.includes('-') ? sym.split(/(?<=-)/) : null);
function fillSymbol(ctx, sym, x, y) {
  const lines = symbolLines(sym);
  if (!lines) { ctx.fillText(sym, x, y); return; }
  const font = ctx.font;
  ctx.font = LINES_FONT;
  lines.forEach((line, i) => ctx.fillText(line, x, y + (i - (lines.length - 1) / 2) * 11));
  ctx.font = font;
}

/** Nodes drawn one by one, over the batch: selected, failed, affected, or the output. */
function marked(model, n) {
  return n.id === model.output || model.selection.nodes.has(n.id) || n.id in model.errors || model.affected.has(n.id);
}

/** Add a node's outline (circle or box) to the current path. */
export function shapePath(ctx, { hw, hh, circle, cx, cy }, grow = 0, round = true) {
  if (circle) {
    ctx.moveTo(cx + hw + grow, cy);
    ctx.arc(cx, cy, hw + grow, 0, Math.PI * 2);
  } else if (round) {
    ctx.roundRect(cx - hw - grow, cy - hh - grow, 2 * (hw + grow), 2 * (hh + grow), 8 + grow);
  } else {
    ctx.rect(cx - hw, cy - hh, 2 * hw, 2 * hh);
  }
}

// -- node sprites -----------------------------------------------------------------------
// Zoomed out, an op node is a few pixels wide, and drawing its disc, outline, ports and
// symbol as paths and text costs about five times more than copying a picture of it.
// So each look of a plain op node (symbol, wired ports) is drawn once per zoom into a
// small canvas and stamped at whole device pixels: at most half a device pixel off, which
// cannot be seen at these sizes. At normal zoom nodes are drawn exactly, as paths.

const sprites = { k: 0, thin: 0, byKey: new Map() };

/** The sprite for `key` at this zoom, made by `draw(ctx)` (world units, node centre at 0, 0). */
function spriteFor(key, k, thin, draw) {
  if (sprites.k !== k || sprites.thin !== thin) {
    sprites.k = k; sprites.thin = thin; sprites.byKey.clear();
  }
  let sprite = sprites.byKey.get(key);
  if (sprite === undefined) {
    const reach = OP_RADIUS + 4 + 2 * Math.max(1.6, thin);  // disc, ports, outlines (world px)
    const size = Math.ceil(2 * reach * k) + 2;
    const canvas = document.createElement('canvas');
    canvas.width = size; canvas.height = size;
    const c = size / 2;
    const sctx = canvas.getContext('2d');
    sctx.setTransform(k, 0, 0, k, c, c);
    draw(sctx);
    sprite = { canvas, c };
    sprites.byKey.set(key, sprite);
  }
  return sprite;
}

/** Stamp `sprite` with its centre nearest the world point (x, y), in device pixels. */
function stamp(ctx, sprite, x, y, cam) {
  ctx.drawImage(sprite.canvas, Math.round(cam.k * x + cam.x - sprite.c), Math.round(cam.k * y + cam.y - sprite.c));
}

/** A plain op node's sprite: disc, outline, ports (filled when wired) and symbol. */
function opSprite(model, n, x, k, thin) {
  const sym = opSymbol(model, n);
  let wired = '';
  for (let i = 0; i < x.ins.length; i++) wired += model.edgeInto(n.id, i) ? '1' : '0';
  return spriteFor(`${sym}\u0000${wired}`, k, thin, (ctx) => {
    const at = (p) => ({ x: p.x - x.cx, y: p.y - x.cy });
    ctx.beginPath();
    shapePath(ctx, { hw: x.hw, hh: x.hh, circle: true, cx: 0, cy: 0 });
    ctx.fillStyle = COLORS.paper;
    ctx.fill();
    ctx.lineWidth = Math.max(1.6, thin);
    ctx.strokeStyle = COLORS.ink;
    ctx.stroke();
    ctx.lineWidth = Math.max(1, thin);
    ctx.strokeStyle = COLORS.port;
    const ports = [...x.ins.map((p, i) => [at(p), wired[i] === '1' ? COLORS.port : COLORS.paper]), [at(x.out), COLORS.paper]];
    for (const [p, fill] of ports) {
      ctx.beginPath();
      ctx.arc(p.x, p.y, 3.5, 0, Math.PI * 2);
      ctx.fillStyle = fill;
      ctx.fill();
      ctx.stroke();
    }
    ctx.fillStyle = COLORS.ink;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.font = SYMBOL_FONTS[symbolFont(sym)];
    fillSymbol(ctx, sym, 0, 1);
  });
}

/** Where the layer's transform puts world (0, 0), and its scale: device = k · world + (x, y). */
function deviceOf(layer, camera) {
  const k = layer.dpr * camera.scale;
  return { k, x: k * camera.offset.x, y: k * camera.offset.y };
}

/** Zoomed far out: no text, no ports, no arrowheads. The edges are hairlines in one path,
 * the inputs plain boxes in another and the ops stamped discs. */
function drawSceneCoarse(ctx, model, index, view, thin, dev) {
  const clip = clipFor(view, thin);
  const curves = [];
  for (const j of index.edgesIn(view)) if (index.geoms[j] !== null) curves.push(index.geoms[j].curve);
  ctx.strokeStyle = COLORS.edge;
  ctx.lineWidth = Math.max(1.2, thin);
  strokeCurves(ctx, curves, clip, ctx.lineWidth * dev.k <= 1);
  const shown = index.nodesIn(view);
  ctx.beginPath();                       // inputs: plain boxes in one path
  for (const i of shown) if (!index.exts[i].circle) shapePath(ctx, index.exts[i], 0, false);
  ctx.fillStyle = COLORS.paper;
  ctx.fill();
  ctx.strokeStyle = COLORS.ink;
  ctx.lineWidth = Math.max(1.6, thin);
  ctx.stroke();
  const disc = spriteFor('disc', dev.k, thin, (sctx) => {  // ops: stamped discs
    sctx.beginPath();
    sctx.arc(0, 0, OP_RADIUS, 0, Math.PI * 2);
    sctx.fillStyle = COLORS.paper;
    sctx.fill();
    sctx.strokeStyle = COLORS.ink;
    sctx.lineWidth = Math.max(1.6, thin);
    sctx.stroke();
  });
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  for (const i of shown) if (index.exts[i].circle) stamp(ctx, disc, index.exts[i].cx, index.exts[i].cy, dev);
  ctx.setTransform(dev.k, 0, 0, dev.k, dev.x, dev.y);
  // errors, selection and the output stay visible: a handful of nodes, looked up by id
  const ids = new Set([...model.selection.nodes, ...Object.keys(model.errors), ...model.affected]);
  if (model.output) ids.add(model.output);
  const near = grow(view, NODE_REACH);
  for (const id of ids) {
    const n = model.nodes.get(id);
    if (!n) continue;
    const x = nodeExtent(model, n);
    if (!intersects(x, near)) continue;
    drawNodeShape(ctx, model, n, x, thin);
    drawPorts(ctx, model, [n], [x], thin);
  }
}

/**
 * The scene layer: the graph as the book draws it. What is off screen is culled with
 * the scene index, and everything drawn is drawn in passes that share one style each.
 */
export function drawScene(layer, model, camera) {
  const ctx = layer.begin(camera);
  const view = camera.visibleWorld({ w: layer.w, h: layer.h });
  const thin = 1 / camera.scale;          // one CSS pixel, in world units
  const dev = deviceOf(layer, camera);    // world → device pixels
  const k = dev.k;
  const index = sceneIndex(model);
  if (camera.scale < TEXT_MIN_SCALE) {
    drawSceneCoarse(ctx, model, index, view, thin, dev);
    return;
  }

  // the current step's node glows behind everything
  const cur = model.current && model.nodes.get(model.current.node);
  if (cur) {
    const x = nodeExtent(model, cur);
    if (intersects(x, grow(view, 9))) {
      ctx.fillStyle = COLORS.current;
      ctx.beginPath();
      if (x.circle) ctx.arc(x.cx, x.cy, x.hw + 9, 0, Math.PI * 2);
      else ctx.roundRect(x.cx - x.hw - 9, x.cy - x.hh - 9, 2 * x.hw + 18, 2 * x.hh + 18, 14);
      ctx.fill();
    }
  }

  // Edges in passes: the curves, their arrowheads, then all labels. Each pass sets the
  // colour and font once; the labels end up above every curve and below every node.
  // Only what shows is drawn: a long edge is cut to the screen, and a label or an
  // arrowhead is skipped when it is off screen even though its edge is not.
  const clip = clipFor(view, thin);
  const selKey = model.selection.edge;
  const selEdge = selKey ? model.edgeByKey(selKey) : null;
  const curves = [], heads = [], values = [], grads = [], tensors = [];
  let selected = null;
  const add = (curve, valueText, gradText) => {
    const x = extrasFor(curve);
    if (curve !== selected && pointShows(curve[3], view, 10)) heads.push(curve);
    if (valueText == null && gradText == null) return;
    const { value, grad } = layoutFor(x, curve, valueText, gradText);
    if (value && boxShows(value, view, 2)) values.push(value);
    if (grad && (boxShows(grad, view, 2) || pointShows(grad.arrow, view, ARROW_HALF + 6))) grads.push(grad);
  };
  for (const j of index.edgesIn(view, LABEL_REACH)) {
    const e = index.edges[j], g = index.geoms[j];
    if (g === null) continue;
    if (e === selEdge) selected = g.curve; else curves.push(g.curve);
    if (e.shape != null) {  // a tensor: badge and heat maps (tensorview.js)
      add(g.curve, null, null);
      tensors.push(edgeTensorLayout(model, e, g.curve));
      continue;
    }
    const texts = edgeTexts(model, e);
    add(g.curve, texts.value, texts.grad);
  }
  // the output's own arrow: its value above, the starting gradient 1 below
  const stub = outputStub(model);
  if (stub && intersects({ minX: stub[0].x, minY: stub[0].y, maxX: stub[3].x, maxY: stub[3].y }, grow(view, LABEL_REACH))) {
    curves.push(stub);
    const tensor = stubTensorLayout(model);
    if (tensor) { add(stub, null, null); tensors.push(tensor.layout); } else {
      const texts = outputTexts(model);
      add(stub, texts.value, texts.grad);
    }
  }

  // a screen crowded with edges gets them one CSS pixel wide: hairlines, far cheaper
  ctx.strokeStyle = COLORS.edge;
  ctx.fillStyle = COLORS.edge;
  ctx.lineWidth = curves.length > CROWDED ? thin : Math.max(1.5, thin);
  strokeCurves(ctx, curves, clip, ctx.lineWidth * k <= 1);
  ctx.beginPath();
  for (const c of heads) arrowPath(ctx, c[3], extrasFor(c).head, 9);
  ctx.fill();
  if (selected) {
    ctx.strokeStyle = COLORS.accent;
    ctx.fillStyle = COLORS.accent;
    ctx.lineWidth = Math.max(3, thin);
    strokeCurves(ctx, [selected], clip, false);
    arrowHead(ctx, selected[3], extrasFor(selected).head, 9);
  }
  drawEdgeLabels(ctx, values, grads, k);
  drawTensorLabels(ctx, tensors, thin);

  // Nodes: the plain ones first, each filled then outlined with one shared style (one
  // path for all would cost more to fill), or zoomed out stamped whole from sprites;
  // the marked ones above them with their own styles; then the ports and texts of all
  // but the stamped ones, grouped by style and font.
  const shown = index.nodesIn(view, NODE_REACH);
  const nodes = shown.map((i) => index.nodes[i]), exts = shown.map((i) => index.exts[i]);
  const sprited = camera.scale < SPRITE_MAX_SCALE;
  const stamped = nodes.map((n, i) => sprited && exts[i].circle && !marked(model, n));
  ctx.fillStyle = COLORS.paper;
  ctx.strokeStyle = COLORS.ink;
  ctx.lineWidth = Math.max(1.6, thin);
  const special = [];
  for (let i = 0; i < nodes.length; i++) {
    if (stamped[i]) continue;
    if (marked(model, nodes[i])) { special.push(i); continue; }
    ctx.beginPath();
    shapePath(ctx, exts[i]);
    ctx.fill();
    ctx.stroke();
  }
  if (sprited) {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    for (let i = 0; i < nodes.length; i++) {
      if (stamped[i]) stamp(ctx, opSprite(model, nodes[i], exts[i], k, thin), exts[i].cx, exts[i].cy, dev);
    }
    ctx.setTransform(k, 0, 0, k, dev.x, dev.y);
  }
  for (const i of special) drawNodeShape(ctx, model, nodes[i], exts[i], thin);
  const rest = (list) => list.filter((_, i) => !stamped[i]);
  drawPorts(ctx, model, rest(nodes), rest(exts), thin);
  drawNodeTexts(ctx, model, nodes, exts, stamped);
  drawParameterMarks(ctx, nodes, exts, thin);
}

const BADGE_R = 8;
const badgeFont = `italic 600 11px ${FONT}`;

/**
 * Trainable inputs (parameters that an update changes): a dashed accent ring and a
 * small θ badge on the top-right corner. One path per style for all of them; far out
 * (the coarse scene) they are not drawn.
 */
function drawParameterMarks(ctx, nodes, exts, thin) {
  const marks = [];
  for (let i = 0; i < nodes.length; i++) if (nodes[i].trainable && !exts[i].circle) marks.push(exts[i]);
  if (!marks.length) return;
  ctx.beginPath();
  for (const x of marks) ctx.roundRect(x.cx - x.hw - 5, x.cy - x.hh - 5, 2 * x.hw + 10, 2 * x.hh + 10, 12);
  ctx.strokeStyle = COLORS.accent;
  ctx.lineWidth = Math.max(1.4, thin);
  ctx.setLineDash([5, 3]);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.beginPath();
  for (const x of marks) {
    const bx = x.cx + x.hw, by = x.cy - x.hh;
    ctx.moveTo(bx + BADGE_R, by);
    ctx.arc(bx, by, BADGE_R, 0, Math.PI * 2);
  }
  ctx.fillStyle = COLORS.accent;
  ctx.fill();
  ctx.font = badgeFont;
  ctx.fillStyle = COLORS.paper;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (const x of marks) ctx.fillText('θ', x.cx + x.hw, x.cy - x.hh + 0.5);
}

/** Whether point `p` is within `reach` of the view. */
function pointShows(p, view, reach) {
  return p.x >= view.minX - reach && p.x <= view.maxX + reach && p.y >= view.minY - reach && p.y <= view.maxY + reach;
}

/** Whether a label's box, grown by `reach`, is on screen. */
function boxShows({ cx, cy, w, h }, view, reach) {
  const rx = w / 2 + reach, ry = h / 2 + reach;
  return cx + rx >= view.minX && cx - rx <= view.maxX && cy + ry >= view.minY && cy - ry <= view.maxY;
}

/** Values in black above their edges; gradients in gray below, each with a backward arrow. */
function drawEdgeLabels(ctx, values, grads, k) {
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

/** A node's outline drawn on its own: selection, errors, the output's second ring. */
function drawNodeShape(ctx, model, n, x, thin) {
  const selected = model.selection.nodes.has(n.id);
  const failed = n.id in model.errors;
  const affected = model.affected.has(n.id);
  ctx.beginPath();
  shapePath(ctx, x);
  ctx.fillStyle = COLORS.paper;
  ctx.fill();
  ctx.lineWidth = Math.max(selected ? 2.5 : 1.6, thin);
  ctx.strokeStyle = failed || affected ? COLORS.error : selected ? COLORS.accent : COLORS.ink;
  if (affected && !failed) ctx.setLineDash([5, 3]);
  ctx.stroke();
  if (affected && !failed) ctx.setLineDash([]);
  if (failed) { ctx.lineWidth = Math.max(1, thin); ctx.beginPath(); shapePath(ctx, x, 3); ctx.stroke(); }
  if (n.id === model.output) {  // marked subtly: a thin second outline
    ctx.strokeStyle = failed ? COLORS.error : COLORS.muted;
    ctx.lineWidth = Math.max(0.8, thin);
    ctx.beginPath(); shapePath(ctx, x, 4); ctx.stroke();
  }
}

/** Ports: small circles, filled when wired. Two fills and one outline for all of them. */
function drawPorts(ctx, model, nodes, exts, thin) {
  const port = (p) => { ctx.moveTo(p.x + 3.5, p.y); ctx.arc(p.x, p.y, 3.5, 0, Math.PI * 2); };
  const wired = nodes.map((n, k) => exts[k].ins.map((_, i) => model.edgeInto(n.id, i) !== null));
  ctx.beginPath();                                   // free inputs and outputs: paper
  exts.forEach((x, k) => {
    x.ins.forEach((p, i) => { if (!wired[k][i]) port(p); });
    port(x.out);
  });
  ctx.fillStyle = COLORS.paper;
  ctx.fill();
  ctx.beginPath();                                   // wired inputs: gray
  exts.forEach((x, k) => x.ins.forEach((p, i) => { if (wired[k][i]) port(p); }));
  ctx.fillStyle = COLORS.port;
  ctx.fill();
  ctx.beginPath();
  for (const x of exts) {
    for (const p of x.ins) port(p);
    port(x.out);
  }
  ctx.lineWidth = Math.max(1, thin);
  ctx.strokeStyle = COLORS.port;
  ctx.stroke();
}

/** Op symbols (but those stamped with their sprites), op labels, input names and values: one font at a time. */
function drawNodeTexts(ctx, model, nodes, exts, stamped) {
  const symbols = SYMBOL_FONTS.map(() => []);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillStyle = COLORS.ink;
  nodes.forEach((n, k) => {
    const x = exts[k];
    if (x.circle && !stamped[k]) {
      const sym = opSymbol(model, n);
      symbols[symbolFont(sym)].push(sym, x.cx, x.cy + 1);
    }
  });
  symbols.forEach((list, f) => {
    if (!list.length) return;
    ctx.font = SYMBOL_FONTS[f];
    for (let k = 0; k < list.length; k += 3) fillSymbol(ctx, list[k], list[k + 1], list[k + 2]);
  });
  ctx.font = inputNameFont;
  nodes.forEach((n, k) => { const x = exts[k]; if (!x.circle) ctx.fillText(model.name(n), x.cx, x.cy - 10); });
  ctx.font = inputValueFont;
  for (const x of exts) if (!x.circle) ctx.fillText(x.text, x.cx, x.cy + 11);
  ctx.font = opLabelFont;
  ctx.fillStyle = COLORS.muted;
  ctx.textBaseline = 'top';
  nodes.forEach((n, k) => { const x = exts[k]; if (x.circle && n.label) ctx.fillText(n.label, x.cx, x.cy + OP_RADIUS + 6); });
  // symbolic: a fan-out's gradient as the sum of its terms, under it (as the exports write it)
  if (model.labels === 'numbers') return;
  ctx.font = gradFont;
  ctx.fillStyle = COLORS.grad;
  nodes.forEach((n, k) => {
    const text = model.shown.gradSum[n.id], x = exts[k];
    if (text == null) return;
    if (x.circle) {
      ctx.textAlign = 'center';
      ctx.fillText(text, x.cx, x.cy + x.hh + (n.label ? 24 : 8));
    } else {  // an input: below it, from its left edge (inputs sit at the left of the view)
      ctx.textAlign = 'left';
      ctx.fillText(text, x.cx - x.hw, x.cy + x.hh + 12);
    }
  });
}

/**
 * The keyboard's focus ring (keyboard.js) around node `id`, over the overlay layer once it
 * is drawn: a white halo under a thick accent line, both a fixed width on screen, outside the
 * selection and output outlines. One node, one path: cheap enough for every overlay frame.
 */
export function drawFocusRing(layer, model, camera, id) {
  const n = id && model.nodes.get(id);
  if (!n) return;
  const { ctx, dpr } = layer;
  const k = dpr * camera.scale;
  ctx.setTransform(k, 0, 0, k, k * camera.offset.x, k * camera.offset.y);
  const thin = 1 / camera.scale;
  const x = nodeExtent(model, n);
  ctx.beginPath();
  shapePath(ctx, x, Math.max(7, 8 * thin));
  ctx.strokeStyle = COLORS.paper; ctx.lineWidth = 6 * thin; ctx.stroke();
  ctx.strokeStyle = COLORS.accent; ctx.lineWidth = 3 * thin; ctx.stroke();
}
