// The explanation panel (the current step's arithmetic, as the server wrote it)
// and the dismissable error message for refused requests.

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

export class ExplainPanel {
  constructor(root, model) {
    this.body = root.querySelector('.explain-body');
    this.model = model;
  }

  update() {
    const m = this.model;
    const parts = [];
    const cur = m.current;
    if (cur && cur.event) parts.push(...this.step(cur.event));
    else parts.push(...this.idle());
    for (const id of m.selection.nodes) {
      const node = m.nodes.get(id);
      if (node) parts.push(...this.nodeInfo(node));
    }
    if (m.outputError) parts.push(el('p', 'node-error', m.outputError));
    this.body.replaceChildren(...parts);
  }

  idle() {
    const m = this.model;
    const { phase } = m.shown.cursor;
    if (!m.nodes.size) return [el('p', 'note', 'Drag nodes from the palette, then wire an output port (right) to an input port (left).')];
    if (phase === 'idle') return [el('p', 'note', 'Press “Forward step” to compute the graph one node at a time.')];
    return [];
  }

  step(ev) {
    const m = this.model;
    const node = m.nodes.get(ev.node);
    const spec = m.spec(ev.op);
    const who = node ? m.name(node) : ev.node;
    const wrap = el('div', ev.phase);
    wrap.dataset.phase = ev.phase;
    wrap.append(el('p', `step-title phase-${ev.phase}`,
      `${ev.phase === 'forward' ? 'Forward' : 'Backward'} ${ev.index} / ${ev.total} · ${who}${spec && spec.symbol ? ` (${spec.symbol})` : ''}`));
    const box = el('div', 'formula');
    box.dataset.testid = 'explain-formula';
    if (ev.phase === 'forward') {
      box.textContent = ev.text;
      wrap.append(box);
    } else {
      const rules = ev.rules || [];
      const ruleTexts = new Set(rules.map((r) => r.text));
      const note = spec && spec.note;
      for (const line of String(ev.text || '').split('\n')) {
        if (line && !ruleTexts.has(line) && line !== note) box.append(el('span', 'rule', line));
      }
      rules.forEach((r, p) => {
        const line = el('span', 'rule');
        const src = node && m.edgeInto(node.id, p);
        const srcNode = src && m.nodes.get(src.source);
        const via = srcNode && m.name(srcNode) !== r.port ? ` (${r.port}: ${m.name(srcNode)})` : '';
        line.append(`∂L/∂${r.port} = ${r.rule} = ${r.numbers}`);
        if (r.grad_text != null && r.grad_text !== r.numbers) {
          line.append(' = ', el('span', 'result', r.grad_text));
        }
        if (via) line.append(el('span', 'note', via));
        box.append(line);
      });
      wrap.append(box);
      if (note) wrap.append(el('p', 'note', note));
    }
    if (ev.fault) wrap.append(el('p', 'node-error', ev.fault));
    return [wrap];
  }

  nodeInfo(node) {
    const m = this.model;
    const spec = m.spec(node.op);
    const out = [];
    const dl = el('dl');
    const row = (k, v) => { if (v != null && v !== '') dl.append(el('dt', null, k), el('dd', null, v)); };
    row('node', m.name(node));
    row('op', spec ? spec.title : node.op);
    if (spec) spec.rule.forEach((r) => row('rule', r));
    row('value', m.isInput(node) ? m.shown.inputText[node.id] : m.shown.valueText[node.id]);
    row('grad', m.shown.gradText[node.id]);
    out.push(dl);
    if (m.errors[node.id]) out.push(el('p', 'node-error', m.errors[node.id]));
    else if (m.affected.has(node.id)) out.push(el('p', 'node-error', 'downstream of a numerical fault'));
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
