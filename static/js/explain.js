// The explanation panel (the current step's arithmetic, as the server wrote it)
// and the dismissable error message for refused requests.
//
// Each line of maths is the server's: its LaTeX is typeset by KaTeX (loaded once,
// lazily, from static/vendor/katex/) and its plain text stays beside it for screen
// readers, and in view if KaTeX cannot load. Nothing here computes or builds maths.
import { el } from './dom.js';
import { language, t } from './i18n.js';
import { refusalText } from './refusal.js';

const KATEX_JS = '/static/vendor/katex/katex.min.js';
const KATEX_CSS = '/static/vendor/katex/katex.min.css';
const COPIED_MS = 1500;

/** A server string shown in English as the server sent it, and from the catalogue in other languages. */
function localized(key, english, vars) {
  if (language() === 'en' || !english) return english;
  const text = t(key, vars);
  return text === key ? english : text;
}

// -- KaTeX, loaded on first use --------------------------------------------------------------
let katexLoad = null;        // the promise of window.katex
let katexState = 'none';     // 'none' | 'loading' | 'ready' | 'failed'
const typeset = new Map();   // latex → KaTeX's HTML (a step's few lines are typeset once)

/** Inject KaTeX's stylesheet and script once; resolves to window.katex. */
export function loadKatex() {
  if (window.katex) { katexState = 'ready'; return Promise.resolve(window.katex); }
  if (!katexLoad) {
    katexState = 'loading';
    katexLoad = new Promise((resolve, reject) => {
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = KATEX_CSS;
      document.head.append(link);
      const script = document.createElement('script');
      script.src = KATEX_JS;
      script.async = true;
      script.onload = () => (window.katex ? resolve(window.katex) : reject(new Error('KaTeX did not define window.katex')));
      script.onerror = () => reject(new Error(`cannot load ${KATEX_JS}`));
      document.head.append(script);
    }).then((katex) => { katexState = 'ready'; return katex; },
      (err) => { katexState = 'failed'; console.warn('gradcanvas: maths stays plain text:', err.message); throw err; });
  }
  return katexLoad;
}

/** KaTeX's HTML for `latex`, or null when KaTeX is not (yet) there. */
function katexHtml(latex) {
  if (katexState !== 'ready' || !latex) return null;
  let html = typeset.get(latex);
  if (html === undefined) {
    try {
      // display-size fractions, but inline, so a long line may break after an = sign
      html = window.katex.renderToString(`\\displaystyle ${latex}`, { throwOnError: false, output: 'html' });
    } catch (err) {
      html = null;
      console.warn('gradcanvas: KaTeX failed on', latex, err);
    }
    if (typeset.size > 500) typeset.clear();
    typeset.set(latex, html);
  }
  return html;
}

/** Put `text` on the clipboard; a hidden textarea and execCommand when the Clipboard API is refused. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = el('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.cssText = 'position:fixed;left:-9999px;top:0;opacity:0';
    document.body.append(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    area.remove();
    return ok;
  }
}

export class ExplainPanel {
  /** model: the server data as drawn, with the selection and the step shown (ui.js sceneView). */
  constructor(root, model) {
    this.root = root;
    this.heading = root.querySelector('h2');
    this.body = root.querySelector('.explain-body');
    this.model = model;
    this.copied = null;        // {latex, ok} of the line last copied, while its confirmation shows
    this.copiedTimer = null;
    this.openTensor = null;    // (node, of) → the whole matrix (tensordialog.js; set by main.js, #16 view)
    this.body.addEventListener('click', (e) => {
      const button = e.target.closest('[data-testid="copy-latex"]');
      if (button) this.copy(button.closest('.line').dataset.latex);
      const matrix = e.target.closest('[data-tensor-node]');
      if (matrix && this.openTensor) {
        const d = matrix.dataset;
        this.openTensor(d.tensorNode, d.tensorOf, d.tensorTarget ? { target: d.tensorTarget, port: Number(d.tensorPort) } : null);
      }
    });
  }

  refresh() {
    const m = this.model;
    if (this.heading) this.heading.textContent = t('explain.heading');
    const parts = [];
    const cur = m.current;
    if (cur && cur.event) parts.push(...this.step(cur.event));
    else parts.push(...this.idle());
    for (const id of m.selection.nodes) {
      const node = m.nodes.get(id);
      if (node) parts.push(...this.nodeInfo(node));
    }
    if (m.outputError) parts.push(el('p', { class: 'node-error' }, refusalText(m.outputProblem, m.outputError)));
    this.body.replaceChildren(...parts);
  }

  async copy(latex) {
    if (!latex) return;
    const ok = await copyText(latex);
    this.copied = { latex, ok };
    clearTimeout(this.copiedTimer);
    this.copiedTimer = setTimeout(() => { this.copied = null; this.refresh(); }, COPIED_MS);
    this.refresh();
  }

  idle() {
    const m = this.model;
    const { phase } = m.shown.cursor;
    if (!m.nodes.size) return [el('p', { class: 'note' }, t('explain.empty'))];
    if (phase === 'idle') return [el('p', { class: 'note' }, t('explain.idle'))];
    return [];
  }

  /**
   * One line of maths: KaTeX from `latex` (the plain `text` kept for screen readers),
   * or the plain text when KaTeX is unavailable; then `extra` nodes and a copy button.
   */
  line(latex, text, ...extra) {
    const line = el('span', { class: 'rule line' });
    line.dataset.testid = 'explain-line';
    const math = el('span', { class: 'math' });
    const html = katexHtml(latex);
    if (html) {
      const typeset = el('span', { class: 'typeset' });
      typeset.setAttribute('aria-hidden', 'true');
      typeset.innerHTML = html;      // KaTeX's own markup for the server's LaTeX (names are escaped there)
      math.append(typeset, el('span', { class: 'plain sr-only' }, text));
      line.classList.add('katex-line');
    } else {
      math.append(el('span', { class: 'plain' }, text));
      if (latex && katexState === 'none') loadKatex().then(() => this.refresh(), () => {});
    }
    line.append(math, ...extra.filter(Boolean));
    if (latex) {
      line.dataset.latex = latex;
      const copied = this.copied && this.copied.latex === latex;
      const button = el('button', { class: 'copy-latex' }, copied ? t(this.copied.ok ? 'explain.copied' : 'explain.copy_failed') : t('explain.copy_latex'));
      button.type = 'button';
      button.dataset.testid = 'copy-latex';
      button.title = t('explain.copy_latex.title');
      if (copied) button.classList.add('done');
      line.append(button);
    }
    return line;
  }

  headNote(ev) {
    const h = ev.head;
    const m = this.model;
    if (!h || !h.note) return null;
    let words = h.note;
    if (h.kind === 'output') words = t('explain.head.output');
    else if (h.kind === 'sum') words = t('explain.head.sum', { n: h.terms.length, name: h.of });
    else if (h.kind === 'arriving') {
      const from = ev.dout_terms && ev.dout_terms[0] && m.nodes.get(ev.dout_terms[0].target);
      if (from) words = t('explain.head.arriving', { name: m.name(from) });
    }
    return el('span', { class: 'note' }, ` (${words})`);
  }

  step(ev) {
    const m = this.model;
    const node = m.nodes.get(ev.node);
    const spec = m.spec(ev.op);
    const who = node ? m.name(node) : ev.node;
    const wrap = el('div', { class: ev.phase });
    wrap.dataset.phase = ev.phase;
    const phase = t(ev.phase === 'forward' ? 'explain.forward' : 'explain.backward');
    wrap.append(el('p', { class: `step-title phase-${ev.phase}` },
      `${phase} ${ev.index} / ${ev.total} · ${who}${spec && spec.symbol ? ` (${spec.symbol})` : ''}`));
    const box = el('div', { class: 'formula' });
    box.dataset.testid = 'explain-formula';
    if (ev.phase === 'forward') {
      box.append(this.line(ev.latex, ev.text));
      wrap.append(box);
    } else {
      const rules = ev.rules || [];
      const ruleTexts = new Set(rules.map((r) => r.text));
      const note = spec && spec.note;
      if (ev.head) {
        box.append(this.line(ev.head.latex, ev.head.text, this.headNote(ev)));
      } else {  // an event without its head's maths: its text lines as they are
        for (const line of String(ev.text || '').split('\n')) {
          if (line && !ruleTexts.has(line) && line !== note) box.append(el('span', { class: 'rule' }, line));
        }
      }
      rules.forEach((r) => {
        const src = node && m.edgeInto(node.id, r.port);
        const srcNode = src && m.nodes.get(src.source);
        const via = srcNode && m.name(srcNode) !== r.port_name ? ` (${r.port_name}: ${m.name(srcNode)})` : '';
        // numbers is null where the arithmetic would not be true (a failed node, NaN in): why says so
        let text = r.numbers == null ? `∂L/∂${r.port_name} = ${r.grad_text}` : `∂L/∂${r.port_name} = ${r.rule} = ${r.numbers}`;
        if (r.numbers != null && r.grad_text != null && r.grad_text !== r.numbers) text += ` = ${r.grad_text}`;
        if (r.shapes != null) text = `∂L/∂${r.port_name} = ${r.rule} : ${r.shapes}`;  // a tensor rule: its latex has the shapes (#16)
        const notes = [via, r.why ? ` (${r.why})` : ''].join('');
        const matrix = r.shapes != null && src ? this.matrixButton(src.source, 'grad', 'tensor-open-rule', src) : null;
        const line = this.line(r.latex, text, notes ? el('span', { class: 'note' }, notes) : null, matrix);
        if (r.shapes != null) line.dataset.shapes = r.shapes;
        box.append(line);
      });
      wrap.append(box);
      if (note) wrap.append(el('p', { class: 'note' }, localized(`note.${ev.op}`, note)));
    }
    if (ev.fault) wrap.append(el('p', { class: 'node-error' }, ev.fault));
    return [wrap];
  }

  /** A button that opens `node`'s whole value or gradient (#16 view). */
  matrixButton(node, of, testid, edge = null) {
    const b = el('button', { type: 'button', class: 'matrix-button', testid }, t(of === 'grad' ? 'tensor.open_grad' : 'tensor.open_value'));
    b.dataset.tensorNode = node;
    b.dataset.tensorOf = of;
    if (edge) { b.dataset.tensorTarget = edge.target; b.dataset.tensorPort = String(edge.port); }  // that edge's gradient
    return b;
  }

  nodeInfo(node) {
    const m = this.model;
    const spec = m.spec(node.op);
    const out = [];
    const dl = el('dl');
    const row = (k, v) => { if (v != null && v !== '') dl.append(el('dt', {}, t(`explain.row.${k}`)), el('dd', {}, v)); };
    row('node', m.name(node));
    row('op', spec ? localized(`op.${node.op}`, spec.title) : node.op);
    if (spec) spec.rule.forEach((r) => row('rule', r));
    // a number shown as 0 for being cancellation noise: its exact value beside it
    const exact = (text, ex) => (ex != null && text != null ? `${text} (${ex})` : text);
    row('value', m.isInput(node) ? m.shown.inputText[node.id] : exact(m.shown.valueText[node.id], m.shown.valueExact[node.id]));
    row('grad', exact(m.shown.gradText[node.id], m.shown.gradExact[node.id]));
    const shape = m.shown.shapes[node.id];  // a tensor (#16 view): its shape and its whole matrices
    row('shape', shape);
    out.push(dl);
    if (shape != null) {
      out.push(el('p', { class: 'tensor-open' }, this.matrixButton(node.id, 'value', 'tensor-open-value'),
        m.shown.gradText[node.id] != null ? this.matrixButton(node.id, 'grad', 'tensor-open-grad') : null));
    }
    if (m.errors[node.id]) out.push(el('p', { class: 'node-error' }, m.errors[node.id]));
    else if (m.affected.has(node.id)) out.push(el('p', { class: 'node-error' }, t('explain.affected')));
    return out;
  }
}

export class ErrorMessage {
  constructor(root) {
    this.root = root;
    this.text = root.querySelector('.error-text');
    this.timer = null;
    root.querySelector('.error-close').addEventListener('click', () => this.hide());
  }

  show(message) {
    this.text.textContent = message;
    this.root.hidden = false;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.hide(), 15000);
  }

  hide() {
    clearTimeout(this.timer);
    this.root.hidden = true;
  }
}
