// Nodes' shapes on the scene layer: the outline path of a disc or a box, the nodes drawn
// one by one with their own styles (selected, failed, affected, the output), the ports of
// all in three passes, and the trainable inputs' marks.
import { FONT, G } from './geometry.js';

const COLORS = G.COLORS;

/** Nodes drawn one by one, over the batch: selected, failed, affected, or the output. */
export function marked(model, n) {
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

const BADGE_R = 8;
const badgeFont = `italic 600 11px ${FONT}`;

/**
 * Trainable inputs (parameters that an update changes): a dashed accent ring and a
 * small θ badge on the top-right corner. One path per style for all of them; far out
 * (the coarse scene) they are not drawn.
 */
export function drawParameterMarks(ctx, nodes, exts, thin) {
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

/** A node's outline drawn on its own: selection, errors, the output's second ring. */
export function drawNodeShape(ctx, model, n, x, thin) {
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
export function drawPorts(ctx, model, nodes, exts, thin) {
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
