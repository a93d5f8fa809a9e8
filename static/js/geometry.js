// Shapes in world coordinates: node sizes, ports, edge curves, and hit tests.
// Shared by the renderer, the interaction state machine and the snapshot, so
// what is drawn is exactly what is clicked. A node's (x, y) is its top-left corner
// (docs/format.md); `nodeExtent` gives its centre (cx, cy) and half sizes.

// The numbers are shared with the SVG export (server/export/style.py) through one file.
import G from './geometry.json' with { type: 'json' };

export { G };
export const OP_RADIUS = G.OP_RADIUS;
export const INPUT_H = G.INPUT_H;
export const INPUT_MIN_W = G.INPUT_MIN_W;
export const STUB = G.STUB;            // length of the output node's outgoing arrow
export const FONT = G.FONT;
const PORT_ANGLE = (G.PORT_ANGLE_DEG * Math.PI) / 180;
const SIBLING_GAP = G.SIBLING_GAP;     // spread of edges sharing source and target
/** The CSS font for a [weight, size] of geometry.json. */
export const cssFont = ([weight, size]) => `${weight} ${size}px ${FONT}`;

let measureCtx = null;
const widths = new Map();         // font → (text → width)

/** Width in world px of `text` in the given CSS font (measured once per font and text). */
export function textWidth(text, font) {
  let byText = widths.get(font);
  if (byText === undefined) widths.set(font, byText = new Map());
  let w = byText.get(text);
  if (w === undefined) {
    measureCtx ??= document.createElement('canvas').getContext('2d');
    if (measureCtx.font !== font) measureCtx.font = font;
    w = measureCtx.measureText(text).width;
    if (byText.size > 5000) byText.clear();
    byText.set(text, w);
  }
  return w;
}

export const inputNameFont = cssFont(G.FONTS.INPUT_NAME);
export const inputValueFont = cssFont(G.FONTS.INPUT_VALUE);

// -- cached shapes --------------------------------------------------------------------
// A node's shape is recomputed only when a field it is computed from changes, and an
// edge's curve only when one of its ends' shapes or its bend does. The keys are the
// fields themselves, not a version number: the drag preview (ui.js sceneView) moves
// its copies of dragged nodes by setting x and y directly. Cached shapes are frozen;
// they are shared with every caller.
const extents = new WeakMap();    // node object → its extent
const curves = new WeakMap();     // edge object → {s, t, bend, list, curve, box}

/** What an input's box shows under its name: its value, or a tensor's shape "(2, 10)" (#16 view). */
export const inputBoxText = (model, id) => model.shown.shapes?.[id] ?? model.shown.inputText[id] ?? '';

/** True while `ext` (from nodeExtent) still describes `node`. */
function extentFresh(model, node, ext) {
  return ext.x === node.x && ext.y === node.y && ext.op === node.op && ext.ops === model.ops
    && (ext.circle || (ext.label === node.label && ext.text === inputBoxText(model, node.id)));
}

/**
 * A node's shape: half sizes (hw, hh) and centre (cx, cy) of its circle or box, its
 * bounds (minX, minY, maxX, maxY) and its ports (out, ins).
 */
export function nodeExtent(model, node) {
  const cached = extents.get(node);
  if (cached !== undefined && extentFresh(model, node, cached)) return cached;
  const circle = !model.isInput(node);
  let hw = OP_RADIUS, hh = OP_RADIUS, text = '';
  if (!circle) {
    text = inputBoxText(model, node.id);
    const w = Math.max(INPUT_MIN_W, textWidth(model.name(node), inputNameFont) + 24, textWidth(text, inputValueFont) + 24);
    hw = w / 2; hh = INPUT_H / 2;
  }
  const cx = node.x + hw, cy = node.y + hh;
  const arity = model.arity(node.op);
  const ins = [];
  for (let p = 0; p < arity; p++) ins.push(Object.freeze(portPosition(cx, cy, arity, p)));
  const ext = Object.freeze({
    hw, hh, circle, cx, cy,
    minX: node.x, minY: node.y, maxX: node.x + 2 * hw, maxY: node.y + 2 * hh,
    out: Object.freeze({ x: cx + hw, y: cy }), ins: Object.freeze(ins),
    x: node.x, y: node.y, op: node.op, ops: model.ops, label: node.label, text,  // the key
  });
  extents.set(node, ext);
  return ext;
}

/** The top-left corner that puts a new node's centre at `p`. */
export function cornerFor(model, node, p) {
  const { hw, hh } = nodeExtent(model, node);
  return { x: p.x - hw, y: p.y - hh };
}

export function outputPort(model, node) {
  return nodeExtent(model, node).out;
}

function portPosition(cx, cy, n, port) {
  if (n <= 1) return { x: cx - OP_RADIUS, y: cy };
  const spread = 2 * PORT_ANGLE;
  const a = -PORT_ANGLE + (spread * port) / (n - 1);   // from above to below
  return { x: cx - OP_RADIUS * Math.cos(a), y: cy + OP_RADIUS * Math.sin(a) };
}

/** Input port `port` (0-based): on the left side, port 0 above port 1. */
export function inputPort(model, node, port) {
  const ext = nodeExtent(model, node);
  return ext.ins[port] ?? portPosition(ext.cx, ext.cy, model.arity(node.op), port);
}

/** Every input port of `node`, in port order (a shared, frozen array). */
export function inputPorts(model, node) {
  return nodeExtent(model, node).ins;
}

function edgeBend(model, edge) {
  const sibs = model.siblings(edge);
  return sibs.length > 1 ? (sibs.indexOf(edge) - (sibs.length - 1) / 2) * SIBLING_GAP : 0;
}

/**
 * An edge's cached shape: {curve, box}, the cubic Bézier [p0, c1, c2, p3] and its
 * bounds without padding; null if an end is missing.
 */
export function edgeGeometry(model, edge) {
  const s = model.nodes.get(edge.source);
  const t = model.nodes.get(edge.target);
  if (!s || !t) return null;
  const se = nodeExtent(model, s), te = nodeExtent(model, t);
  const list = model.edges;     // replaced, never mutated, whenever edges change
  let g = curves.get(edge);
  if (g !== undefined && g.s === se && g.t === te) {
    if (g.list === list) return g;
    const bend = edgeBend(model, edge);
    if (g.bend === bend) { g.list = list; return g; }
  }
  const bend = edgeBend(model, edge);
  const p0 = se.out;
  const p3 = te.ins[edge.port] ?? portPosition(te.cx, te.cy, model.arity(t.op), edge.port);
  const dx = Math.max(40, Math.abs(p3.x - p0.x) * 0.45);
  const curve = Object.freeze([p0, Object.freeze({ x: p0.x + dx, y: p0.y + bend }),
    Object.freeze({ x: p3.x - dx, y: p3.y + bend }), p3]);
  g = { s: se, t: te, bend, list, curve, box: Object.freeze(curveBounds(curve, 0)) };
  curves.set(edge, g);
  return g;
}

// -- the scene index ------------------------------------------------------------------
// What a frame needs to cull thousands of items: every node's and edge's shape in
// parallel arrays, their bounds in flat typed arrays. Checked once a frame by comparing
// each node with the fields its shape was made from (the drag preview moves its node copies
// without notifying); only the moved nodes and their edges are recomputed. A new edge
// list, op table or node set rebuilds it.

class SceneIndex {
  constructor() {
    this.edgeList = null; this.ops = null; this.nodeMap = null;
    this.nodes = []; this.exts = []; this.nodeBox = new Float64Array(0);
    this.edges = []; this.geoms = []; this.edgeBox = new Float64Array(0);
    this.touching = [];  // node index → indexes of its edges
  }

  refresh(model) {
    if (model.edges !== this.edgeList || model.ops !== this.ops || model.nodes !== this.nodeMap
        || model.nodes.size !== this.nodes.length) return this.rebuild(model);
    const { nodes, exts } = this;
    let i = 0;
    for (const n of model.nodes.values()) {
      if (n !== nodes[i]) return this.rebuild(model);
      if (!extentFresh(model, n, exts[i])) {
        this.setNode(i, nodeExtent(model, n));
        for (const j of this.touching[i]) this.setEdge(j, edgeGeometry(model, this.edges[j]));
      }
      i++;
    }
    return this;
  }

  rebuild(model) {
    this.edgeList = model.edges; this.ops = model.ops; this.nodeMap = model.nodes;
    this.nodes = [...model.nodes.values()];
    this.exts = new Array(this.nodes.length);
    this.nodeBox = new Float64Array(4 * this.nodes.length);
    const at = new Map();
    this.nodes.forEach((n, i) => { at.set(n.id, i); this.setNode(i, nodeExtent(model, n)); });
    this.edges = model.edges;
    this.geoms = new Array(this.edges.length);
    this.edgeBox = new Float64Array(4 * this.edges.length);
    this.touching = this.nodes.map(() => []);
    this.edges.forEach((e, j) => {
      this.setEdge(j, edgeGeometry(model, e));
      const s = at.get(e.source), t = at.get(e.target);
      if (s !== undefined) this.touching[s].push(j);
      if (t !== undefined && t !== s) this.touching[t].push(j);
    });
    return this;
  }

  setNode(i, x) {
    this.exts[i] = x;
    const b = this.nodeBox;
    b[4 * i] = x.minX; b[4 * i + 1] = x.minY; b[4 * i + 2] = x.maxX; b[4 * i + 3] = x.maxY;
  }

  setEdge(j, g) {
    this.geoms[j] = g;
    const b = this.edgeBox;
    if (g === null) { b[4 * j] = b[4 * j + 1] = Infinity; b[4 * j + 2] = b[4 * j + 3] = -Infinity; return; }
    b[4 * j] = g.box.minX; b[4 * j + 1] = g.box.minY; b[4 * j + 2] = g.box.maxX; b[4 * j + 3] = g.box.maxY;
  }

  /** Indexes of the nodes whose bounds meet `r` grown by `pad`. */
  nodesIn(r, pad = 0) { return within(this.nodeBox, r, pad); }

  /** Indexes of the edges whose curve's bounds meet `r` grown by `pad`. */
  edgesIn(r, pad = 0) { return within(this.edgeBox, r, pad); }
}

function within(box, r, pad) {
  const minX = r.minX - pad, minY = r.minY - pad, maxX = r.maxX + pad, maxY = r.maxY + pad;
  const out = [];
  for (let i = 0, k = 0; k < box.length; i++, k += 4) {
    if (box[k] <= maxX && box[k + 2] >= minX && box[k + 1] <= maxY && box[k + 3] >= minY) out.push(i);
  }
  return out;
}

const indexes = new WeakMap();  // model → its SceneIndex

/**
 * The model's scene index, brought up to date: {nodes, exts, edges, geoms} in parallel
 * arrays (exts from nodeExtent, geoms from edgeGeometry) and nodesIn / edgesIn queries.
 */
export function sceneIndex(model) {
  let index = indexes.get(model);
  if (index === undefined) indexes.set(model, index = new SceneIndex());
  return index.refresh(model);
}

/** The cubic Bézier of an edge: [p0, c1, c2, p3] (shared and frozen), or null. */
export function edgeCurve(model, edge) {
  const g = edgeGeometry(model, edge);
  return g && g.curve;
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

let stubCache = { ext: null, curve: null };

/** The straight arrow leaving the output node, where its value and "1" are written. */
export function outputStub(model) {
  const node = model.output && model.nodes.get(model.output);
  if (!node) return null;
  const ext = nodeExtent(model, node);
  if (stubCache.ext !== ext) {
    const p0 = ext.out;
    const p3 = Object.freeze({ x: p0.x + STUB, y: p0.y });
    stubCache = { ext, curve: Object.freeze([p0, Object.freeze({ x: p0.x + STUB / 3, y: p0.y }),
      Object.freeze({ x: p0.x + (2 * STUB) / 3, y: p0.y }), p3]) };
  }
  return stubCache.curve;
}

export function nodeBounds(model, node) {
  const { minX, minY, maxX, maxY } = nodeExtent(model, node);
  return { minX, minY, maxX, maxY };
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

/** Box `b` grown by `d` on every side. */
export const grow = (b, d) => ({ minX: b.minX - d, minY: b.minY - d, maxX: b.maxX + d, maxY: b.maxY + d });

export function intersects(a, b) {
  return a.minX <= b.maxX && a.maxX >= b.minX && a.minY <= b.maxY && a.maxY >= b.minY;
}

export function curveBounds(curve, pad = 30) {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const p of curve) {
    if (p.x < minX) minX = p.x;
    if (p.x > maxX) maxX = p.x;
    if (p.y < minY) minY = p.y;
    if (p.y > maxY) maxY = p.y;
  }
  return { minX: minX - pad, minY: minY - pad, maxX: maxX + pad, maxY: maxY + pad };
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
    const g = edgeGeometry(model, e);
    if (!g) continue;
    const { curve: c, box } = g;  // a Bézier lies inside its control points' bounds
    if (p.x < box.minX - bestD || p.x > box.maxX + bestD || p.y < box.minY - bestD || p.y > box.maxY + bestD) continue;
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
  return [...model.nodes.values()].filter((n) => intersects(box, nodeExtent(model, n)));
}
