// Drawing, on two stacked canvases as Excalidraw does: the scene layer (the graph
// as the book draws it) and the overlay layer (selection box, wire being dragged,
// hover, moving tokens). Both are scaled by devicePixelRatio. Reads the model only.
import {
  FONT, OP_RADIUS, bezierAt, bezierTangent, curveBounds, edgeCurve, inputNameFont, inputPorts,
  inputValueFont, intersects, nodeBounds, nodeExtent, outputPort, outputStub, textWidth,
} from './geometry.js';
import { edgeKey } from './state.js';

export const COLORS = {
  ink: '#111', value: '#111', grad: '#8a8a8a', edge: '#222', muted: '#777', accent: '#1f6feb',
  error: '#c62828', current: 'rgba(255, 196, 0, 0.38)', paper: '#fff', port: '#999', ok: '#1e9e4a',
};
const TEXT_MIN_SCALE = 0.35;
const valueFont = `500 14px ${FONT}`;
const gradFont = `13px ${FONT}`;

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

function strokeCurve(ctx, [p0, c1, c2, p3]) {
  ctx.beginPath();
  ctx.moveTo(p0.x, p0.y);
  ctx.bezierCurveTo(c1.x, c1.y, c2.x, c2.y, p3.x, p3.y);
  ctx.stroke();
}

function arrowHead(ctx, tip, dir, size = 8) {
  const nx = -dir.y, ny = dir.x;
  ctx.beginPath();
  ctx.moveTo(tip.x, tip.y);
  ctx.lineTo(tip.x - dir.x * size + nx * size * 0.45, tip.y - dir.y * size + ny * size * 0.45);
  ctx.lineTo(tip.x - dir.x * size - nx * size * 0.45, tip.y - dir.y * size - ny * size * 0.45);
  ctx.closePath();
  ctx.fill();
}

/** Where an edge's labels are anchored: the curve's midpoint and its direction. */
export function labelAnchor(curve) {
  return { mid: bezierAt(curve, 0.5), dir: bezierTangent(curve, 0.5) };
}

const VALUE_H = 16, GRAD_H = 15, ARROW_GAP = 7, ARROW_HALF = 12;

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
    out.grad = { text: gradText, cx: mid.x - n.x * d, cy: mid.y - n.y * d, w, h: GRAD_H,
      arrow: { x: mid.x - n.x * ARROW_GAP, y: mid.y - n.y * ARROW_GAP } };
  }
  return out;
}

/** Forward value in black above the middle; gradient in gray below, with a backward arrow. */
function edgeLabels(ctx, curve, valueText, gradText) {
  const { dir, value, grad } = labelLayout(curve, valueText, gradText);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  if (value) {
    ctx.font = valueFont;
    ctx.fillStyle = COLORS.value;
    ctx.fillText(value.text, value.cx, value.cy + 1);
  }
  if (grad) {
    const a = grad.arrow;
    const from = { x: a.x + dir.x * ARROW_HALF, y: a.y + dir.y * ARROW_HALF };
    const to = { x: a.x - dir.x * ARROW_HALF, y: a.y - dir.y * ARROW_HALF };
    ctx.strokeStyle = COLORS.grad;
    ctx.fillStyle = COLORS.grad;
    ctx.lineWidth = 1.2;
    ctx.beginPath(); ctx.moveTo(from.x, from.y); ctx.lineTo(to.x, to.y); ctx.stroke();
    arrowHead(ctx, to, { x: -dir.x, y: -dir.y }, 6);
    ctx.font = gradFont;
    ctx.fillText(grad.text, grad.cx, grad.cy + 1);
  }
}

function opSymbol(model, node) {
  const spec = model.spec(node.op);
  const sym = spec ? spec.symbol : node.op;
  return model.shown.symbols[node.id] ?? (sym || node.op);  // the server writes "^2" for pow
}

function symbolFont(sym) {
  const size = sym.length <= 1 ? 22 : sym.length <= 3 ? 15 : 12;
  return `${sym.length <= 1 ? 400 : 600} ${size}px ${FONT}`;
}

export function drawScene(layer, model, camera) {
  const ctx = layer.begin(camera);
  const view = camera.visibleWorld({ w: layer.w, h: layer.h });
  const text = camera.scale >= TEXT_MIN_SCALE;
  const thin = 1 / camera.scale;  // one CSS pixel, in world units

  // the current step's node glows behind everything
  const cur = model.current && model.nodes.get(model.current.node);
  if (cur && intersects(nodeBounds(model, cur), view)) {
    const { hw, hh, circle, cx, cy } = nodeExtent(model, cur);
    ctx.fillStyle = COLORS.current;
    ctx.beginPath();
    if (circle) ctx.arc(cx, cy, hw + 9, 0, Math.PI * 2);
    else ctx.roundRect(cx - hw - 9, cy - hh - 9, 2 * hw + 18, 2 * hh + 18, 14);
    ctx.fill();
  }

  // edges
  for (const e of model.edges) {
    const c = edgeCurve(model, e);
    if (!c || !intersects(curveBounds(c), view)) continue;
    const selected = model.selection.edge === edgeKey(e.target, e.port);
    ctx.strokeStyle = selected ? COLORS.accent : COLORS.edge;
    ctx.fillStyle = ctx.strokeStyle;
    ctx.lineWidth = Math.max(selected ? 3 : 1.5, thin);
    strokeCurve(ctx, c);
    arrowHead(ctx, c[3], bezierTangent(c, 1), 9);
    if (text) edgeLabels(ctx, c, e.valueText, e.gradText);
  }

  // the output's own arrow: its value above, the starting gradient 1 below
  const stub = outputStub(model);
  if (stub && intersects(curveBounds(stub), view)) {
    ctx.strokeStyle = COLORS.edge; ctx.fillStyle = COLORS.edge; ctx.lineWidth = Math.max(1.5, thin);
    strokeCurve(ctx, stub);
    arrowHead(ctx, stub[3], { x: 1, y: 0 }, 9);
    const id = model.output;
    const node = model.nodes.get(id);
    const valueText = model.isInput(node) ? (model.shown.values[id] != null ? model.shown.inputText[id] : null) : model.shown.valueText[id];
    if (text) edgeLabels(ctx, stub, valueText ?? null, model.shown.gradText[id] ?? null);
  }

  // nodes
  for (const n of model.nodes.values()) {
    if (!intersects(nodeBounds(model, n), view)) continue;
    drawNode(ctx, model, n, text, thin);
  }
}

function drawNode(ctx, model, n, text, thin) {
  const { hw, hh, circle, cx, cy } = nodeExtent(model, n);
  const selected = model.selection.nodes.has(n.id);
  const failed = n.id in model.errors;
  const affected = model.affected.has(n.id);

  const shape = (grow = 0) => {
    ctx.beginPath();
    if (circle) ctx.arc(cx, cy, hw + grow, 0, Math.PI * 2);
    else ctx.roundRect(cx - hw - grow, cy - hh - grow, 2 * (hw + grow), 2 * (hh + grow), 8 + grow);
  };

  ctx.fillStyle = COLORS.paper;
  shape(); ctx.fill();
  ctx.lineWidth = Math.max(selected ? 2.5 : 1.6, thin);
  ctx.strokeStyle = failed || affected ? COLORS.error : selected ? COLORS.accent : COLORS.ink;
  ctx.setLineDash(affected && !failed ? [5, 3] : []);
  shape(); ctx.stroke();
  ctx.setLineDash([]);
  if (failed) { ctx.lineWidth = Math.max(1, thin); shape(3); ctx.stroke(); }
  if (n.id === model.output) {  // marked subtly: a thin second outline
    ctx.strokeStyle = failed ? COLORS.error : COLORS.muted;
    ctx.lineWidth = Math.max(0.8, thin);
    shape(4); ctx.stroke();
  }

  if (text) {
    ctx.fillStyle = COLORS.ink;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    if (circle) {
      const sym = opSymbol(model, n);
      ctx.font = symbolFont(sym);
      ctx.fillText(sym, cx, cy + 1);
      if (n.label) {
        ctx.font = `12px ${FONT}`; ctx.fillStyle = COLORS.muted; ctx.textBaseline = 'top';
        ctx.fillText(n.label, cx, cy + OP_RADIUS + 6);
      }
    } else {
      ctx.font = inputNameFont;
      ctx.fillText(model.name(n), cx, cy - 10);
      ctx.font = inputValueFont;
      ctx.fillText(model.shown.inputText[n.id] ?? '', cx, cy + 11);
    }
  }

  // ports: small circles; filled when wired
  ctx.lineWidth = Math.max(1, thin);
  ctx.strokeStyle = COLORS.port;
  inputPorts(model, n).forEach((p, port) => {
    ctx.beginPath(); ctx.arc(p.x, p.y, 3.5, 0, Math.PI * 2);
    ctx.fillStyle = model.edgeInto(n.id, port) ? COLORS.port : COLORS.paper;
    ctx.fill(); ctx.stroke();
  });
  const o = outputPort(model, n);
  ctx.beginPath(); ctx.arc(o.x, o.y, 3.5, 0, Math.PI * 2);
  ctx.fillStyle = COLORS.paper; ctx.fill(); ctx.stroke();
}

/** The interactive layer: hover, the wire being dragged, the selection box, tokens. */
export function drawOverlay(layer, model, camera, ui, tokens) {
  const ctx = layer.begin(camera);
  const thin = 1 / camera.scale;

  const live = (n) => n && model.nodes.get(n.id) === n;  // hover may point at a node since removed
  if (ui.hoverPort && live(ui.hoverPort.node)) {
    const { node, kind, port } = ui.hoverPort;
    const p = kind === 'output' ? outputPort(model, node) : inputPorts(model, node)[port];
    ctx.strokeStyle = COLORS.accent; ctx.lineWidth = 2 * thin;
    ctx.beginPath(); ctx.arc(p.x, p.y, 7, 0, Math.PI * 2); ctx.stroke();
  } else if (live(ui.hoverNode) && !model.selection.nodes.has(ui.hoverNode.id)) {
    const n = ui.hoverNode;
    const { hw, hh, circle, cx, cy } = nodeExtent(model, n);
    ctx.strokeStyle = 'rgba(31, 111, 235, 0.45)'; ctx.lineWidth = 3 * thin;
    ctx.beginPath();
    if (circle) ctx.arc(cx, cy, hw + 3, 0, Math.PI * 2);
    else ctx.roundRect(cx - hw - 3, cy - hh - 3, 2 * hw + 6, 2 * hh + 6, 10);
    ctx.stroke();
  }

  if (ui.wire) {
    const { from, to, target } = ui.wire;
    for (const n of model.nodes.values()) {
      if (n.id === ui.wire.source) continue;
      inputPorts(model, n).forEach((p, port) => {
        const free = !model.edgeInto(n.id, port);
        const hot = target && target.node.id === n.id && target.port === port;
        ctx.strokeStyle = free ? COLORS.ok : COLORS.muted;
        ctx.lineWidth = (hot ? 3 : 1.5) * thin;
        ctx.beginPath(); ctx.arc(p.x, p.y, hot ? 9 : 6, 0, Math.PI * 2); ctx.stroke();
      });
    }
    ctx.strokeStyle = COLORS.accent; ctx.lineWidth = 2 * thin;
    ctx.setLineDash([6 * thin, 4 * thin]);
    const dx = Math.max(40, Math.abs(to.x - from.x) * 0.45);
    strokeCurve(ctx, [from, { x: from.x + dx, y: from.y }, { x: to.x - dx, y: to.y }, to]);
    ctx.setLineDash([]);
  }

  if (ui.box) {
    const { x0, y0, x1, y1 } = ui.box;
    ctx.fillStyle = 'rgba(31, 111, 235, 0.08)';
    ctx.strokeStyle = COLORS.accent; ctx.lineWidth = thin;
    ctx.fillRect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
    ctx.strokeRect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
  }

  for (const t of tokens) {  // forward: black dot along the edge; backward: gray dot against it
    const p = bezierAt(t.curve, t.phase === 'forward' ? t.progress : 1 - t.progress);
    ctx.fillStyle = t.phase === 'forward' ? COLORS.ink : COLORS.grad;
    ctx.beginPath(); ctx.arc(p.x, p.y, 5, 0, Math.PI * 2); ctx.fill();
  }
}
