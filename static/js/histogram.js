// The live histogram of a prediction round: one bar per distinct answer (the server's counts, by
// its display strings, smallest answer first), its count above it and the answer under it. After the
// reveal the right answers' bars are green and the others gray. An SVG: crisp at any zoom, testable.
import { t } from './i18n.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 280, H = 130, TOP = 16, BOTTOM = 22, MAX_BARS = 12;

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text != null) node.textContent = text;
  return node;
}

/**
 * counts: [{answer, value, count, right?}] from the server (`right` after the reveal); truth: the
 * right answer's display string after the reveal, else null. More than MAX_BARS answers: the most given ones are drawn.
 */
export function histogram(counts, truth = null) {
  let shown = counts;
  if (shown.length > MAX_BARS) {
    const top = new Set([...shown].sort((a, b) => b.count - a.count).slice(0, MAX_BARS));
    shown = shown.filter((c) => top.has(c));
  }
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'lecture-histogram', role: 'img',
    'aria-label': t('lecture.histogram', { n: counts.reduce((s, c) => s + c.count, 0) }) });
  root.dataset.testid = 'lecture-histogram';
  root.append(svg('line', { x1: 4, x2: W - 4, y1: H - BOTTOM, y2: H - BOTTOM, class: 'axis' }));
  if (!shown.length) {
    root.append(svg('text', { x: W / 2, y: (H - BOTTOM) / 2 + 6, 'text-anchor': 'middle', class: 'empty' }, t('lecture.no_answers')));
    return root;
  }
  const most = Math.max(...shown.map((c) => c.count));
  const slot = (W - 8) / shown.length;
  const bar = Math.min(40, slot * 0.7);
  shown.forEach((c, i) => {
    const x = 4 + slot * i + (slot - bar) / 2;
    const h = Math.max(2, ((H - TOP - BOTTOM) * c.count) / most);
    const y = H - BOTTOM - h;
    const kind = truth == null ? 'open' : c.right ? 'right' : 'wrong';
    const g = svg('g', { class: `bar ${kind}` });
    g.dataset.answer = c.answer;
    g.dataset.count = String(c.count);
    g.append(svg('rect', { x, y, width: bar, height: h, rx: 2 }),
      svg('text', { x: x + bar / 2, y: y - 3, 'text-anchor': 'middle', class: 'count' }, String(c.count)),
      svg('text', { x: x + bar / 2, y: H - 6, 'text-anchor': 'middle', class: 'answer' }, c.answer));
    root.append(g);
  });
  return root;
}
