// Drawing, on two stacked canvases as Excalidraw does: the scene layer (the graph
// as the book draws it) and the overlay layer (selection box, wire being dragged,
// hover, moving tokens, others' pointers: overlay.js). Both are scaled by
// devicePixelRatio. Reads the model only.
//
// This module is the scene layer's frame: it culls with the scene index and runs the
// passes, each drawn by a module of its own: curves.js (edges' curves and arrowheads),
// edgelabels.js (their texts), nodedraw.js (nodes' shapes and ports), nodetext.js (nodes'
// texts) and sprites.js (plain op nodes stamped whole when zoomed out). The rest of the
// editor imports its drawing from here.
import { G, OP_RADIUS, grow, intersects, nodeExtent, outputStub, sceneIndex } from './geometry.js';
import { drawTensorLabels, edgeTensorLayout, stubTensorLayout } from './tensorview.js';
import { arrowHead, arrowPath, boxShows, clipFor, pointShows, strokeCurves } from './curves.js';
import { drawEdgeLabels, edgeTexts, extrasFor, layoutFor, outputTexts } from './edgelabels.js';
import { drawNodeShape, drawParameterMarks, drawPorts, marked, shapePath } from './nodedraw.js';
import { drawNodeTexts } from './nodetext.js';
import { opSprite, spriteFor, stamp } from './sprites.js';

export { grow } from './geometry.js';
export { strokeCurve } from './curves.js';
export { edgeTexts, labelAnchor, labelLayout, labelText, outputTexts } from './edgelabels.js';
export { shapePath } from './nodedraw.js';

export const COLORS = G.COLORS;  // geometry.json, shared with the SVG export
const TEXT_MIN_SCALE = 0.35;
const LABEL_REACH = 30;  // how far an edge's labels may stand off its curve (world px)
export const NODE_REACH = 24;   // how far ports, outlines and an op's label stick out of its bounds
const CROWDED = 300;     // more edges on screen than this, and they are drawn one CSS pixel wide
const SPRITE_MAX_SCALE = 0.75;  // below this zoom, plain op nodes are stamped from sprites
const { ARROW_HALF } = G;

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
