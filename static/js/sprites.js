// Node sprites for the scene layer (renderer.js).
import { G, OP_RADIUS } from './geometry.js';
import { shapePath } from './nodedraw.js';
import { SYMBOL_FONTS, fillSymbol, opSymbol, symbolFont } from './nodetext.js';

const COLORS = G.COLORS;

// Zoomed out, an op node is a few pixels wide, and drawing its disc, outline, ports and
// symbol as paths and text costs about five times more than copying a picture of it.
// So each look of a plain op node (symbol, wired ports) is drawn once per zoom into a
// small canvas and stamped at whole device pixels: at most half a device pixel off, which
// cannot be seen at these sizes. At normal zoom nodes are drawn exactly, as paths.

const sprites = { k: 0, thin: 0, byKey: new Map() };

/** The sprite for `key` at this zoom, made by `draw(ctx)` (world units, node centre at 0, 0). */
export function spriteFor(key, k, thin, draw) {
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
export function stamp(ctx, sprite, x, y, cam) {
  ctx.drawImage(sprite.canvas, Math.round(cam.k * x + cam.x - sprite.c), Math.round(cam.k * y + cam.y - sprite.c));
}

/** A plain op node's sprite: disc, outline, ports (filled when wired) and symbol. */
export function opSprite(model, n, x, k, thin) {
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
