// Nodes' texts on the scene layer: op symbols (in one of three sizes, a long hyphenated
// one on several lines), op labels, input names and values, and a fan-out's gradient sum,
// batched so that each font is set once.
import { G, OP_RADIUS, cssFont, inputNameFont, inputValueFont } from './geometry.js';
import { gradFont } from './edgelabels.js';

const COLORS = G.COLORS;
const opLabelFont = cssFont(G.FONTS.LABEL);

export function opSymbol(model, node) {
  const spec = model.spec(node.op);
  const sym = spec ? spec.symbol : node.op;
  return model.shown.symbols[node.id] ?? (sym || node.op);  // the server writes "^2" for pow
}

export const SYMBOL_FONTS = G.FONTS.SYMBOL.map(cssFont);
export const symbolFont = (sym) => (sym.length <= 1 ? 0 : sym.length <= 3 ? 1 : 2);  // into SYMBOL_FONTS
// A long hyphenated symbol (Softmax-with-Loss) is written on lines broken after its hyphens,
// smaller, so it fits its disc as the exported figures write it.
const LINES_FONT = cssFont([600, 10]);
const symbolLines = (sym) => (sym.length > 8 && sym.includes('-') ? sym.split(/(?<=-)/) : null);
export function fillSymbol(ctx, sym, x, y) {
  const lines = symbolLines(sym);
  if (!lines) { ctx.fillText(sym, x, y); return; }
  const font = ctx.font;
  ctx.font = LINES_FONT;
  lines.forEach((line, i) => ctx.fillText(line, x, y + (i - (lines.length - 1) / 2) * 11));
  ctx.font = font;
}

/** Op symbols (but those stamped with their sprites), op labels, input names and values: one font at a time. */
export function drawNodeTexts(ctx, model, nodes, exts, stamped) {
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
