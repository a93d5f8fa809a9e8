// The fill-in practice on the page (issue 17): the Practice button beside Table, the
// practice panel (mode, order, progress, hint, score, worksheet links) and the blanks, one
// text field over the canvas where each hidden number would be drawn. The state is
// practice.js's; the numbers and hints are the server's; the canvas draws the rest of
// the figure from the same payload (edgelabels.js asks `scene.practice` for an edge's texts).
import { el } from './dom.js';
import { fitOptions } from './camera.js';
import { edgeCurve, graphBounds, outputStub } from './geometry.js';
import { onLanguageChange, t } from './i18n.js';
import { MODES, ORDERS, Practice, askedInUrl } from './practice.js';
import { responseRefusal } from './refusal.js';
import { labelLayout } from './renderer.js';

export class PracticeView {
  /**
   * stage: the canvas's section; bar: the narration bar (the button goes before Table); scene: the data as drawn;
   * graphId(): the graph's id (a draft's comes with its join); changed(): redraw everything.
   */
  constructor({ stage, bar, scene, camera, graphId, changed, showError }) {
    Object.assign(this, { stage, scene, camera, graphId, changed, showError });
    this.practice = new Practice();
    this.fetchedVersion = null;
    this.loading = null;
    this.notice = '';
    this.inputs = new Map();  // blank id → its <input>
    this.coarse = window.matchMedia('(pointer: coarse)');
    this.button = el('button', { type: 'button', class: 'table-toggle practice-toggle', testid: 'practice',
      'aria-expanded': 'false', 'aria-controls': 'practice-panel' });
    this.button.addEventListener('click', () => (this.practice.mode ? this.close() : this.open()));
    bar.insertBefore(this.button, bar.querySelector('.table-toggle'));  // beside Table: another way to see the graph
    this.layer = el('div', { class: 'practice-blanks', testid: 'practice-blanks' });
    this.panel = el('section', { class: 'practice-panel', id: 'practice-panel', testid: 'practice-panel',
      'aria-labelledby': 'practice-heading', hidden: true });
    stage.append(this.layer, this.panel);
    this.practice.subscribe((kind) => { this.render(kind); this.changed(); });
    scene.subscribe((kind) => {  // an edit while practising: the blanks are asked again
      if (this.practice.mode && kind !== 'state' && scene.version !== this.fetchedVersion) this.fetch(true);
    });
    onLanguageChange(() => this.render('language'));
    this.asked = askedInUrl();
    this.render('init');
  }

  /** What the renderer draws while practising (null: the editor as ever). */
  get texts() { return this.practice.active ? this.practice : null; }

  /** Start practising once the graph is here: the page's ?practice= does so by itself. */
  joined() {
    if (this.asked) { const { mode, order } = this.asked; this.asked = null; this.open(mode, order); }
  }

  open(mode = this.practice.mode || 'both', order = this.practice.order) {
    this.practice.mode = mode;  // practising (the blanks come with the fetch)
    this.practice.order = order;
    this.panel.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    this.fetch(false);
  }

  close() {
    this.practice.stop();
    this.panel.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    this.remember(null);
  }

  async fetch(changed) {
    const id = this.graphId();
    if (!id) return;  // a draft not joined yet: joined() opens it
    const version = this.scene.version;
    const ask = this.loading = fetch(`/api/graphs/${encodeURIComponent(id)}/practice`, { headers: { Accept: 'application/json' } });
    try {
      const res = await ask;
      if (ask !== this.loading || !this.practice.mode) return;
      if (!res.ok) { this.notice = await responseRefusal(res); this.practice.stop(); this.render('refused'); return; }
      const payload = await res.json();
      if (ask !== this.loading || !this.practice.mode) return;
      this.fetchedVersion = version;
      this.notice = changed ? t('practice.changed') : '';
      const first = !this.practice.active;
      this.practice.start(payload, this.practice.mode, this.practice.order);
      this.remember(this.practice.mode);
      if (first) this.fitBeside();
    } catch (err) {
      if (ask === this.loading) this.showError(t('practice.failed', { error: err.message }));
    }
  }

  /** Fit the graph in the part of the canvas the panel leaves free: its left, or above it on a phone. */
  fitBeside() {
    const b = graphBounds(this.scene);
    const w = this.stage.clientWidth, h = this.stage.clientHeight;
    if (!b || !w || !h) return;
    const sheet = this.panel.offsetWidth > w / 2;  // a phone's sheet along the bottom
    const view = sheet ? { w, h: Math.max(120, h - Math.max(this.panel.offsetHeight, 0.45 * h) - 8) }
      : { w: Math.max(160, w - this.panel.offsetWidth - 16), h };
    const options = fitOptions(view, this.coarse.matches);  // the whole figure, legible or not: it is a worksheet
    this.camera.fit(b, view, { ...options, minScale: Math.min(options.minScale, 0.5) });
  }

  /** The address says the mode, so a reload (or a link) practises the same way. */
  remember(mode) {
    const url = new URL(window.location.href);
    if (mode) { url.searchParams.set('practice', mode); url.searchParams.set('order', this.practice.order); }
    else { url.searchParams.delete('practice'); url.searchParams.delete('order'); }
    window.history.replaceState(window.history.state, '', url);
  }

  // -- the panel ---------------------------------------------------------------------------------
  render(kind) {
    this.button.textContent = t('practice.button');
    this.button.title = t('practice.button.title');
    if (kind === 'start' || kind === 'stop' || kind === 'init' || kind === 'refused') this.buildBlanks();
    this.updateBlanks();
    if (this.panel.hidden) return;
    const p = this.practice;
    const head = el('header', { class: 'practice-head' },
      el('h2', { id: 'practice-heading' }, t('practice.heading')),
      this.closeButton());
    const choose = (testid, label, values, current, pick) => {
      const select = el('select', { testid },
        ...values.map((v) => el('option', { value: v, selected: v === current }, t(`practice.${testid.slice(9)}.${v}`))));
      select.value = current;
      select.addEventListener('change', () => pick(select.value));
      return el('label', {}, el('span', {}, t(label)), select);
    };
    const controls = el('div', { class: 'practice-controls' },
      choose('practice-mode', 'practice.mode', MODES, p.mode || 'both', (m) => this.open(m, p.order)),
      choose('practice-order', 'practice.order', ORDERS, p.order, (o) => { p.setOrder(o); this.remember(p.mode); }));
    const body = [head, controls];
    if (this.notice) body.push(el('p', { class: 'practice-notice', testid: 'practice-notice' }, this.notice));
    if (p.active) {
      body.push(p.done ? this.scoreView() : this.progressView());
      body.push(this.worksheetLinks());
    } else if (!this.notice) {
      body.push(el('p', { class: 'hint' }, t('practice.loading')));
    }
    this.panel.replaceChildren(...body);
  }

  closeButton() {
    const b = el('button', { type: 'button', class: 'practice-close', testid: 'practice-close', 'aria-label': t('practice.close') }, '×');
    b.addEventListener('click', () => { this.close(); this.button.focus(); });
    return b;
  }

  progressView() {
    const p = this.practice;
    const filled = p.blanks.filter((b) => p.filled(b.id)).length;
    const parts = [el('p', { class: 'practice-progress', testid: 'practice-progress' },
      t('practice.progress', { filled, total: p.blanks.length }))];
    const last = p.last && p.byId.get(p.last);
    if (!last) parts.push(el('p', { class: 'hint' }, t(p.order === 'any' ? 'practice.how_any' : 'practice.how_steps')));
    if (last) {
      const r = p.results.get(last.id);
      const reveal = el('button', { type: 'button', testid: 'practice-reveal' }, t('practice.reveal'));
      reveal.addEventListener('click', () => { p.reveal(last.id); this.focusNext(); });
      parts.push(el('div', { class: 'practice-hint', testid: 'practice-hint', role: 'status' },
        el('p', { class: 'practice-wrong' }, t('practice.wrong', { name: last.name, typed: r.wrong[r.wrong.length - 1] })),
        el('p', { class: 'practice-rule', testid: 'practice-hint-text' }, p.hintText(last)),
        p.noteText(last) ? el('p', { class: 'hint' }, p.noteText(last)) : null,
        reveal));
    }
    return el('div', {}, ...parts);
  }

  scoreView() {
    const p = this.practice;
    const { right, total, missed } = p.score();
    const again = el('button', { type: 'button', testid: 'practice-again' }, t('practice.again'));
    again.addEventListener('click', () => { p.again(); this.notice = ''; this.render('again'); this.focusNext(); });
    const list = el('ul', { class: 'practice-missed', testid: 'practice-missed' },
      ...missed.map((b) => {
        const r = p.results.get(b.id);
        const said = [r.wrong.length ? t('practice.missed.typed', { typed: r.wrong.join(', ') }) : null,
          r.revealed ? t('practice.missed.shown') : null].filter(Boolean).join(' ');
        return el('li', { dataset: { blank: b.id } }, el('b', {}, b.name), ` = ${b.answer_text} `, el('span', { class: 'hint' }, said));
      }));
    return el('div', { class: 'practice-score', testid: 'practice-score', role: 'status' },
      el('p', { class: 'practice-total', testid: 'practice-total' }, t('practice.score', { right, total })),
      missed.length ? el('p', {}, t('practice.missed')) : el('p', {}, t('practice.perfect')),
      missed.length ? list : null, again);
  }

  worksheetLinks() {
    const id = this.graphId();
    const blank = this.practice.mode;
    const href = (answers) => `/api/graphs/${encodeURIComponent(id)}/export?format=svg&state=all&blank=${blank}${answers ? '&answers=1' : ''}`;
    return el('p', { class: 'practice-links' }, t('practice.print'), ' ',
      el('a', { href: href(false), testid: 'practice-worksheet', download: '' }, t('practice.worksheet')), ' · ',
      el('a', { href: href(true), testid: 'practice-answer-key', download: '' }, t('practice.answer_key')));
  }

  // -- the blanks over the canvas ------------------------------------------------------------------
  buildBlanks() {
    this.layer.replaceChildren();
    this.inputs.clear();
    for (const b of this.practice.blanks) {  // in step order: Tab goes through them as the passes do
      const input = el('input', { type: 'text', class: `practice-blank ${b.kind}`, testid: 'practice-blank',
        dataset: { blank: b.id, kind: b.kind }, autocomplete: 'off', spellcheck: 'false', enterkeyhint: 'done',
        inputmode: b.answer == null || b.answer < 0 ? 'text' : 'decimal', 'aria-label': b.name });
      input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') { e.preventDefault(); this.check(b.id, input, true); }
        else if (e.key === 'Escape') { e.preventDefault(); input.blur(); }
      });
      input.addEventListener('change', () => this.check(b.id, input, false));
      this.layer.append(input);
      this.inputs.set(b.id, input);
    }
    this.place();
  }

  check(id, input, enter) {
    const said = this.practice.answer(id, input.value);
    if (said === 'right' && enter) this.focusNext();
    else if (said === 'wrong' && enter) input.select();
  }

  /** Focus the first blank open now, if any. */
  focusNext() {
    const next = this.practice.next()[0];
    const input = next && this.inputs.get(next.id);
    if (input) input.focus({ preventScroll: true });
  }

  updateBlanks() {
    const p = this.practice;
    for (const [id, input] of this.inputs) {
      const b = p.byId.get(id), r = p.results.get(id);
      if (!b || !r) continue;
      const state = r.right ? 'right' : r.revealed ? 'shown' : r.wrong.length && !p.filled(id) && input.value ? 'wrong' : 'empty';
      const open = p.isOpen(b);
      input.dataset.state = state;
      input.dataset.open = String(open);
      if (p.filled(id)) input.value = b.answer_text;
      else if (state === 'empty' && !r.typed && document.activeElement !== input) input.value = '';
      input.readOnly = p.filled(id);
      input.disabled = !open && !p.filled(id);
      input.tabIndex = open ? 0 : -1;
    }
  }

  /** Put each blank's field where its number would be drawn (after every scene or camera change). */
  place() {
    if (!this.inputs.size) return;
    const s = this.camera.scale;
    // a phone types at 16 px (smaller, and it zooms the page to type); else the canvas's size, legible
    const font = this.coarse.matches ? 16 : Math.min(16, Math.max(11, 13 * s));
    const w = this.stage.clientWidth, h = this.stage.clientHeight;
    const layouts = new Map();
    for (const [id, input] of this.inputs) {
      const b = this.practice.byId.get(id);
      let box = null;
      if (b) {
        const key = b.target === null ? 'output' : `${b.target}\u0000${b.port}`;
        if (!layouts.has(key)) layouts.set(key, this.layoutOf(b));
        const l = layouts.get(key);
        box = l && (b.kind === 'value' ? l.value : l.grad);
      }
      if (!box) { input.hidden = true; continue; }
      const c = this.camera.toScreen({ x: box.cx, y: box.cy });
      const bw = Math.max(44, box.w * s + 8), bh = Math.max(font + 10, box.h * s + 6);
      const off = c.x + bw / 2 < 0 || c.x - bw / 2 > w || c.y + bh / 2 < 0 || c.y - bh / 2 > h;
      input.hidden = off;
      if (off) continue;
      input.style.cssText = `left:${c.x - bw / 2}px;top:${c.y - bh / 2}px;width:${bw}px;height:${bh}px;font-size:${font}px`;
    }
  }

  layoutOf(b) {
    const p = this.practice;
    if (b.target === null) {
      const stub = outputStub(this.scene);
      const texts = p.outputTexts();
      return stub && labelLayout(stub, texts.value, texts.grad);
    }
    const edge = this.scene.edgeInto(b.target, b.port);
    const curve = edge && edgeCurve(this.scene, edge);
    if (!curve) return null;
    const texts = p.edgeTexts(edge);
    return labelLayout(curve, texts.value, texts.grad);
  }
}
