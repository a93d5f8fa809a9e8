// Lecture mode's controls (docs/lecture.md): the step bar's "Start lecture", the lecture bar (who
// presents and who has control; Follow/Exploring; hand control over and take it back; ask; end),
// and the card over the canvas: a participant's prompt and own result, the presenter's live
// histogram of the answers and the reveal. It reads the Lecture store (lecture.js) and the UI state.
import { byTestId, el } from './dom.js';
import { onLanguageChange, t } from './i18n.js';
import { histogram } from './histogram.js';

export class LecturePanel {
  /** lecture: the Lecture store; ui: selection, me and peers; scene: node labels. */
  constructor({ lecture, ui, scene }) {
    Object.assign(this, { lecture, ui, scene });
    this.startBtn = byTestId('lecture-start');
    this.bar = byTestId('lecture-bar');
    this.card = byTestId('lecture-card');
    this.cardKey = null;
    this.folded = false;  // the presenter's card shows its first lines only
    this.startBtn.addEventListener('click', () => lecture.start());
    lecture.subscribe(() => this.render());
    ui.subscribe((kind) => { if (kind === 'peers' || kind === 'selection' || kind === 'access') this.renderBar(); });
    onLanguageChange(() => { this.cardKey = null; this.render(); });
    this.render();
  }

  nodeName(id) {
    const n = this.scene.nodes.get(id);
    return (n && n.label) || id;
  }

  question(q) {
    return t(`lecture.question.${q.kind === 'grad' ? 'grad' : 'value'}`, { node: this.nodeName(q.node), round: q.round });
  }

  render() {
    const L = this.lecture;
    document.body.dataset.lecture = !L.active ? 'off' : L.controlling ? 'control' : 'follow';
    this.startBtn.hidden = L.active;
    this.renderBar();
    this.renderCard();
  }

  // -- the lecture bar ----------------------------------------------------------------------
  renderBar() {
    const L = this.lecture;
    this.bar.hidden = !L.active;
    if (!L.active) { this.bar.replaceChildren(); return; }
    const s = L.state;
    const button = (testid, text, onclick, extra = {}) => {
      const b = el('button', { type: 'button', testid, ...extra }, text);
      b.addEventListener('click', onclick);
      return b;
    };
    const parts = [el('span', { class: 'lecture-status', testid: 'lecture-status' },
      el('strong', {}, t('lecture.on')), ' ',
      t('lecture.presenter', { name: s.presenter.name }),
      s.controller.sid !== s.presenter.sid ? ` · ${t('lecture.controller', { name: s.controller.name })}` : '')];
    if (!L.controlling) {
      parts.push(L.following
        ? button('lecture-follow', t('lecture.following'), () => L.explore(), { 'aria-pressed': 'true', title: t('lecture.following.title'), class: 'lecture-following' })
        : button('lecture-follow', t('lecture.exploring'), () => L.follow(), { 'aria-pressed': 'false', title: t('lecture.exploring.title'), class: 'lecture-exploring' }));
    }
    if (L.presenting) {
      const others = [...this.ui.peers.values()].filter((p) => p.sid !== s.controller.sid);
      if (others.length) {
        const select = el('select', { testid: 'lecture-hand-to', 'aria-label': t('lecture.hand_to') },
          ...others.map((p) => el('option', { value: p.sid }, p.name)));
        parts.push(el('span', { class: 'lecture-hand' }, select,
          button('lecture-hand', t('lecture.hand'), () => L.hand(select.value), { title: t('lecture.hand.title') })));
      }
      if (!L.controlling) parts.push(button('lecture-take-back', t('lecture.take_back'), () => L.hand(s.presenter.sid)));
      const one = this.ui.selection.nodes.size === 1;
      const open = !!L.question;
      const ask = (kind) => button(`lecture-ask-${kind}`, t(`lecture.ask.${kind}`), () => L.ask(kind),
        { disabled: !one || open, title: t('lecture.ask.title') });
      parts.push(ask('value'), ask('grad'));
      parts.push(button('lecture-stop', t('lecture.stop'), () => L.stop()));
    } else if (!this.ui.readOnly) {  // an editor may take over a lecture whose presenter is gone
      parts.push(button('lecture-take-over', t('lecture.take_over'), () => L.takeOver(), { title: t('lecture.take_over.title') }));
    }
    if (!L.presenting) {  // who answers: a name instead of "guest N", for the presenter's list and the CSV
      const name = el('input', { type: 'text', testid: 'lecture-name', class: 'lecture-name', maxlength: '40',
        autocomplete: 'nickname', 'aria-label': t('lecture.name'), placeholder: t('lecture.name'),
        value: this.lecture.connection.name || '' });
      name.addEventListener('change', () => L.rename(name.value));
      parts.push(name);
    }
    this.bar.replaceChildren(el('div', { class: 'toolbar lecture-tools' }, ...parts));
  }

  // -- the card: prompt, histogram, results -------------------------------------------------
  renderCard() {
    const L = this.lecture;
    const q = L.question;
    const key = JSON.stringify([L.presenting, q, L.sent, L.mine, L.result && L.result.round]);
    if (!q && !L.result && !L.mine) { this.card.hidden = true; this.cardKey = null; this.card.replaceChildren(); return; }
    this.card.hidden = false;
    if (L.presenting) { this.presenterCard(); return; }
    if (key === this.cardKey) return;  // keep what is being typed
    this.cardKey = key;
    const body = [];
    if (q) {
      body.push(el('p', { class: 'lecture-q', testid: 'lecture-question' }, this.question(q)));
      const input = el('input', { type: 'text', inputmode: 'decimal', autocomplete: 'off', testid: 'lecture-answer-input',
        'aria-label': t('lecture.answer.label'), placeholder: t('lecture.answer.placeholder'), value: L.sent ? L.sent.answer : null });
      const form = el('form', { class: 'lecture-answer' }, input,
        el('button', { type: 'submit', testid: 'lecture-answer-submit' }, t(L.sent ? 'lecture.answer.change' : 'lecture.answer.send')));
      form.addEventListener('submit', (e) => { e.preventDefault(); if (input.value.trim()) L.answer(input.value); });
      body.push(form);
      if (L.sent) body.push(el('p', { class: 'lecture-note', testid: 'lecture-answer-sent' }, t('lecture.answer.sent', { answer: L.sent.answer })));
    } else if (L.mine) {
      const m = L.mine;
      body.push(el('p', { class: `lecture-mine ${m.correct ? 'right' : 'wrong'}`, testid: 'lecture-mine', dataset: { correct: String(m.correct) } },
        t(m.correct ? 'lecture.mine.right' : 'lecture.mine.wrong', { truth: m.truth, answer: m.answer })));
    } else if (L.result) {
      body.push(el('p', { class: 'lecture-note', testid: 'lecture-mine' }, t('lecture.mine.none', { truth: L.result.truth })));
    }
    if (!q) body.push(this.closeButton());
    this.card.replaceChildren(...body);
    if (q) this.card.querySelector('input').focus({ preventScroll: true });
  }

  presenterCard() {
    const L = this.lecture;
    const q = L.question;
    const r = L.result;
    const counts = q ? (L.tally ? L.tally.counts : []) : (r ? r.counts : []);
    const total = q ? (L.tally ? L.tally.total : 0) : (r ? r.total : 0);
    const body = [el('p', { class: 'lecture-q', testid: 'lecture-question' }, this.question(q || r))];
    body.push(el('p', { class: 'lecture-note', testid: 'lecture-answer-count' }, t('lecture.answers', { n: total })));
    // folded to its first lines, so the card covers no node the class should see
    const fold = el('button', { type: 'button', class: 'lecture-fold', testid: 'lecture-card-fold',
      'aria-expanded': String(!this.folded), 'aria-label': t(this.folded ? 'lecture.unfold' : 'lecture.fold') },
    this.folded ? '+' : '−');
    fold.addEventListener('click', () => { this.folded = !this.folded; this.presenterCard(); });
    body.push(fold);
    if (!this.folded) body.push(histogram(counts, r ? r.truth : null));
    if (q) {
      const reveal = el('button', { type: 'button', testid: 'lecture-reveal', class: 'lecture-primary' }, t('lecture.reveal'));
      reveal.addEventListener('click', () => L.reveal());
      body.push(reveal);
    } else {
      body.push(el('p', { class: 'lecture-totals', testid: 'lecture-totals' },
        t('lecture.totals', { truth: r.truth, right: r.right, wrong: r.wrong, total: r.total })));
      body.push(this.closeButton());
      fold.classList.add('beside-close');
    }
    this.card.replaceChildren(...body);
  }

  closeButton() {
    const b = el('button', { type: 'button', class: 'lecture-close', testid: 'lecture-card-close', 'aria-label': t('layout.close') }, '×');
    b.addEventListener('click', () => this.lecture.dismiss());
    return b;
  }
}
