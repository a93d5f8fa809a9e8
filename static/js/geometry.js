// Shapes in world coordinates: node sizes, ports, edge curves, and hit tests.
// Shared by the renderer, the interaction state machine and the snapshot, so
// what is drawn is exactly what is clicked. A node's (x, y) is its top-left corner
// (docs/format.md); `nodeExtent` gives its centre (cx, cy) and half sizes.

export const OP_RADIUS = 26;
export const INPUT_H = 52;
export const INPUT_MIN_W = 84;
export const STUB = 80;            // length of the output node's outgoing arrow
export const FONT = '"Noto Sans CJK KR", "Noto Sans", system-ui, sans-serif';
const PORT_ANGLE = (38 * Math.PI) / 180;
const SIBLING_GAP = 64;           // spread of edges sharing source and target

let measureCtx = null;
const widths = new Map();

/** Width in world px of `text` in the given CSS font (cached). */
export function textWidth(text, font) {
  const key = font + '|' + text;
  let w = widths.get(key);
  if (w === undefined) {
    measureCtx ??= document.createElement('canvas').getContext('2d');
    measureCtx.font = font;
    w = measureCtx.measureText(text).width;
    if (widths.size > 5000) widths.clear();
    widths.set(key, w);
  }
  return w;
}

export const inputNameFont = `600 14px ${FONT}`;
export const inputValueFont = `13px ${FONT}`;

/** Half sizes of a node's shape (circle or box) and its centre. */
export function nodeExtent(model, node) {
  if (!model.isInput(node)) {
    return { hw: OP_RADIUS, hh: OP_RADIUS, circle: true, cx: node.x + OP_RADIUS, cy: node.y + OP_RADIUS };
  }
  const name = model.name(node);
  const valueText = model.shown.inputText[node.id] ?? '';
  const w = Math.max(INPUT_MIN_W, textWidth(name, inputNameFont) + 24, textWidth(valueText, inputValueFont) + 24);
  return { hw: w / 2, hh: INPUT_H / 2, circle: false, cx: node.x + w / 2, cy: node.y + INPUT_H / 2 };
}

/** The top-left corner that puts a new node's centre at `p`. */
export function cornerFor(model, node, p) {
  const { hw, hh } = nodeExtent(model, node);
  return { x: p.x - hw, y: p.y - hh };
}

export function outputPort(model, node) {
  const { hw, cx, cy } = nodeExtent(model, node);
  return { x: cx + hw, y: cy };
}

/** Input port `port` (0-based): on the left side, port 0 above port 1. */
export function inputPort(model, node, port) {
  const n = model.arity(node.op);
  const { cx, cy } = nodeExtent(model, node);
  if (n <= 1) return { x: cx - OP_RADIUS, y: cy };
  const spread = 2 * PORT_ANGLE;
  const a = -PORT_ANGLE + (spread * port) / (n - 1);   // from above to below
  return { x: cx - OP_RADIUS * Math.cos(a), y: cy + OP_RADIUS * Math.sin(a) };
}

export function inputPorts(model, node) {
  return Array.from({ length: model.arity(node.op) }, (_, p) => inputPort(model, node, p));
}

/** The cubic Bézier of an edge: [p0, c1, c2, p3]. */
export function edgeCurve(model, edge) {
  const s = model.nodes.get(edge.source);
  const t = model.nodes.get(edge.target);
  if (!s || !t) return null;
  const p0 = outputPort(model, s);
  const p3 = inputPort(model, t, edge.port);
  const sibs = model.siblings(edge);
  const i = sibs.indexOf(edge);
  const bend = sibs.length > 1 ? (i - (sibs.length - 1) / 2) * SIBLING_GAP : 0;
  const dx = Math.max(40, Math.abs(p3.x - p0.x) * 0.45);
  return [p0, { x: p0.x + dx, y: p0.y + bend }, { x: p3.x - dx, y: p3.y + bend }, p3];
}

export function bezierAt([p0, c1, c2, p3], t) {
  const u = 1 - t;
  const a = u * u * u, b = 3 * u * u * t, c = 3 * u * t * t, d = t * t * t;
  return { x: a * p0.x + b * c1.x + c * c2.x + d * p3.x, y: a * p0.y + b * c1.y + c * c2.y + d * p3.y };
}

/** Unit tangent of the curve at t. */
export function bezierTangent([p0, c1, c2, p3], t) {
  const u = 1 - t;
  const x = 3 * u * u * (c1.x - p0.x) + 6 * u * t * (c2.x - c1.x) + 3 * t * t * (p3.x - c2.x);
  const y = 3 * u * u * (c1.y - p0.y) + 6 * u * t * (c2.y - c1.y) + 3 * t * t * (p3.y - c2.y);
  const len = Math.hypot(x, y) || 1;
  return { x: x / len, y: y / len };
}

/** The straight arrow leaving the output node, where its value and "1" are written. */
export function outputStub(model) {
  const node = model.output && model.nodes.get(model.output);
  if (!node) return null;
  const p0 = outputPort(model, node);
  const p3 = { x: p0.x + STUB, y: p0.y };
  return [p0, { x: p0.x + STUB / 3, y: p0.y }, { x: p0.x + (2 * STUB) / 3, y: p0.y }, p3];
}

export function nodeBounds(model, node) {
  const { hw, hh } = nodeExtent(model, node);
  return { minX: node.x, minY: node.y, maxX: node.x + 2 * hw, maxY: node.y + 2 * hh };
}

/** World bounds of the whole graph (with room for edge labels), or null if empty. */
export function graphBounds(model) {
  let b = null;
  for (const n of model.nodes.values()) {
    const nb = nodeBounds(model, n);
    nb.maxX += n.id === model.output ? STUB + 20 : 0;
    b = b ? { minX: Math.min(b.minX, nb.minX), minY: Math.min(b.minY, nb.minY),
      maxX: Math.max(b.maxX, nb.maxX), maxY: Math.max(b.maxY, nb.maxY) } : nb;
  }
  if (b) { b.minY -= 24; b.maxY += 30; }
  return b;
}

export function intersects(a, b) {
  return a.minX <= b.maxX && a.maxX >= b.minX && a.minY <= b.maxY && a.maxY >= b.minY;
}

export function curveBounds(curve, pad = 30) {
  const xs = curve.map((p) => p.x), ys = curve.map((p) => p.y);
  return { minX: Math.min(...xs) - pad, minY: Math.min(...ys) - pad, maxX: Math.max(...xs) + pad, maxY: Math.max(...ys) + pad };
}

// -- hit tests (world coordinates; `tol` in world px) ---------------------------------

export function nodeAt(model, p) {
  const nodes = [...model.nodes.values()];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    const { hw, hh, circle, cx, cy } = nodeExtent(model, n);
    if (circle ? Math.hypot(p.x - cx, p.y - cy) <= hw + 1 : Math.abs(p.x - cx) <= hw && Math.abs(p.y - cy) <= hh) return n;
  }
  return null;
}

/** {node, kind: 'output'|'input', port} of the nearest port within `tol`, or null. */
export function portAt(model, p, tol, kinds = ['output', 'input']) {
  let best = null, bestD = tol;
  for (const n of model.nodes.values()) {
    if (kinds.includes('output')) {
      const o = outputPort(model, n);
      const d = Math.hypot(p.x - o.x, p.y - o.y);
      if (d <= bestD) { best = { node: n, kind: 'output', port: 0 }; bestD = d; }
    }
    if (kinds.includes('input')) {
      inputPorts(model, n).forEach((q, port) => {
        const d = Math.hypot(p.x - q.x, p.y - q.y);
        if (d <= bestD) { best = { node: n, kind: 'input', port }; bestD = d; }
      });
    }
  }
  return best;
}

function segDist(p, a, b) {
  const dx = b.x - a.x, dy = b.y - a.y;
  const len2 = dx * dx + dy * dy || 1;
  const t = Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2));
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

export function edgeAt(model, p, tol) {
  let best = null, bestD = tol;
  for (const e of model.edges) {
    const c = edgeCurve(model, e);
    if (!c) continue;
    let prev = c[0];
    for (let i = 1; i <= 24; i++) {
      const q = bezierAt(c, i / 24);
      const d = segDist(p, prev, q);
      if (d <= bestD) { best = e; bestD = d; }
      prev = q;
    }
  }
  return best;
}

export function nodesInRect(model, r) {
  const box = { minX: Math.min(r.x0, r.x1), minY: Math.min(r.y0, r.y1), maxX: Math.max(r.x0, r.x1), maxY: Math.max(r.y0, r.y1) };
  return [...model.nodes.values()].filter((n) => intersects(box, nodeBounds(model, n)));
}
