// The overlay layer: hover, the wire being dragged, the selection box, moving
// tokens, and the other people here (their pointers and selections). Redrawn
// often, so it stays small; the scene layer is in renderer.js.
import { FONT, bezierAt, inputPorts, intersects, nodeExtent, outputPort, sceneIndex, textWidth } from './geometry.js';
import { COLORS, NODE_REACH, grow, shapePath, strokeCurve } from './renderer.js';

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
    const index = sceneIndex(model);
    for (const i of index.nodesIn(camera.visibleWorld({ w: layer.w, h: layer.h }), NODE_REACH)) {
      const n = index.nodes[i];
      if (n.id === ui.wire.source) continue;
      index.exts[i].ins.forEach((p, port) => {
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

const CURSOR_ARROW = [[0, 0], [0, 17], [4.6, 13], [7.6, 19.6], [10.6, 18.3], [7.7, 11.8], [13, 11.8]];
const tagFont = `600 12px ${FONT}`;

/**
 * Everyone else on this graph (presence), over the overlay: a ring in each one's
 * colour around every node they have selected (rings of several people nest), then
 * their pointer as an arrow with a name tag, the same size at every zoom. `peers`:
 * [{name, colour, x, y, selection}] with x, y in world coordinates (null: not over the canvas).
 */
export function drawPresence(layer, model, camera, peers) {
  if (!peers.length) return;
  const { ctx, dpr } = layer;
  const k = dpr * camera.scale;
  ctx.setTransform(k, 0, 0, k, k * camera.offset.x, k * camera.offset.y);
  const thin = 1 / camera.scale;
  const view = grow(camera.visibleWorld({ w: layer.w, h: layer.h }), NODE_REACH + 20);
  const rings = new Map();  // node id → rings drawn around it so far
  ctx.lineWidth = Math.max(2.5, 2 * thin);
  for (const p of peers) {
    ctx.strokeStyle = p.colour;
    for (const id of p.selection) {
      const n = model.nodes.get(id);
      if (!n) continue;
      const x = nodeExtent(model, n);
      if (!intersects(x, view)) continue;
      const k2 = rings.get(id) || 0;
      rings.set(id, k2 + 1);
      ctx.beginPath();
      shapePath(ctx, x, 6 + 5 * k2 * Math.max(1, thin));
      ctx.stroke();
    }
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);  // cursors: CSS pixels
  ctx.font = tagFont;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  for (const p of peers) {
    if (typeof p.x !== 'number' || typeof p.y !== 'number') continue;
    const s = camera.toScreen(p);
    if (s.x < -20 || s.y < -20 || s.x > layer.w + 20 || s.y > layer.h + 20) continue;
    ctx.beginPath();
    CURSOR_ARROW.forEach(([dx, dy], i) => (i ? ctx.lineTo(s.x + dx, s.y + dy) : ctx.moveTo(s.x + dx, s.y + dy)));
    ctx.closePath();
    ctx.fillStyle = p.colour;
    ctx.fill();
    ctx.strokeStyle = COLORS.paper;
    ctx.lineWidth = 1.5;
    ctx.stroke();
    const w = textWidth(p.name, tagFont) + 12;
    const tx = s.x + 10, ty = s.y + 20;
    ctx.beginPath();
    ctx.roundRect(tx, ty, w, 18, 9);
    ctx.fillStyle = p.colour;
    ctx.fill();
    ctx.fillStyle = COLORS.paper;
    ctx.fillText(p.name, tx + 6, ty + 9.5);
  }
}
