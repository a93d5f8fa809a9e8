// Fill-in practice (issue 17): one person's own session, kept in this page only. The
// blanks, their answers, display strings and hints come from the server once
// (GET /api/graphs/<id>/practice, server/teaching/practice.py); this module keeps which
// blanks are open, what was typed and how often, and compares a typed number with the
// server's answer. It computes no value: the comparison is all it does with a number.
import { t, language } from './i18n.js';
import { Store } from './store.js';

export const MODES = ['values', 'grads', 'both'];
export const ORDERS = ['steps', 'any'];   // in the passes' order, or any order
const KINDS = { values: ['value'], grads: ['grad'], both: ['value', 'grad'] };
const REL = 1e-6;                          // a typed number this close to the answer is right
export const BLANK_TEXT = '\u2007'.repeat(7);  // what the canvas lays a blank out as: seven figure spaces

/** The typed text, tidied: a typographic minus is a minus, spaces go. */
const tidy = (s) => String(s).trim().replace(/[\u2212\u2013\u2012]/g, '-').replace(/\s+/g, '');
const NON_FINITE = { '∞': ['inf', '+inf', 'infinity', '∞'], '-∞': ['-inf', '-infinity', '-∞'], NaN: ['nan'] };

/**
 * Whether `typed` is the blank's answer: the server's number to a relative 1e−6, or the
 * number its display string says (the rounding the learner sees everywhere else), or the
 * display string itself (NaN, ∞).
 */
export function accepts(blank, typed) {
  const text = tidy(typed), shown = tidy(blank.answer_text);
  if (text === '') return false;
  if (text === shown) return true;
  if (blank.answer == null) return (NON_FINITE[shown] || []).includes(text.toLowerCase());
  const n = Number(text);
  if (!Number.isFinite(n)) return false;
  if (Math.abs(n - blank.answer) <= REL * Math.abs(blank.answer)) return true;
  const d = Number(shown);
  return Number.isFinite(d) && n === d;
}

/** The mode and order asked for in the address (`?practice=grads&order=any`), or null. */
export function askedInUrl() {
  const q = new URLSearchParams(window.location.search);
  const mode = q.get('practice');
  if (!MODES.includes(mode)) return null;
  return { mode, order: ORDERS.includes(q.get('order')) ? q.get('order') : 'steps' };
}

export class Practice extends Store {
  constructor() {
    super();
    this.payload = null;   // the server's answer for this graph version
    this.mode = null;      // null: not practising
    this.order = 'steps';
    this.blanks = [];      // this mode's blanks, in step order
    this.byId = new Map();
    this.results = new Map();  // id → {typed, tries, wrong: [texts], right, revealed}
    this.last = null;      // the blank last answered wrongly: its hint is shown
  }

  get active() { return this.mode !== null && this.payload !== null; }

  /** Start (again) with the server's payload, in a mode and an order. */
  start(payload, mode = this.mode || 'both', order = this.order) {
    this.payload = payload;
    this.mode = MODES.includes(mode) ? mode : 'both';
    this.order = ORDERS.includes(order) ? order : 'steps';
    const kinds = KINDS[this.mode];
    this.blanks = payload.blanks.filter((b) => kinds.includes(b.kind));
    this.byId = new Map(this.blanks.map((b) => [b.id, b]));
    this.results = new Map(this.blanks.map((b) => [b.id, { typed: '', tries: 0, wrong: [], right: false, revealed: false }]));
    this.last = null;
    this.notify('start');
  }

  again() { if (this.payload) this.start(this.payload); }

  stop() {
    this.mode = null;
    this.payload = null;
    this.blanks = [];
    this.byId = new Map();
    this.results = new Map();
    this.last = null;
    this.notify('stop');
  }

  setOrder(order) {
    if (!ORDERS.includes(order) || order === this.order) return;
    this.order = order;
    this.notify('order');
  }

  /** Filled: answered right, or its answer shown. */
  filled(id) {
    const r = this.results.get(id);
    return !!r && (r.right || r.revealed);
  }

  /** Whether a blank may be answered now: any blank in any order, else once every earlier step is filled. */
  isOpen(blank) {
    if (this.filled(blank.id)) return false;
    if (this.order === 'any') return true;
    return this.blanks.every((b) => b.step >= blank.step || this.filled(b.id));
  }

  /** The blanks to fill next (in order: those of the first step not filled). */
  next() { return this.blanks.filter((b) => this.isOpen(b)); }

  get done() { return this.blanks.length > 0 && this.blanks.every((b) => this.filled(b.id)); }

  /** Check a typed answer: 'right', 'wrong', or 'closed' (not open, or nothing typed). */
  answer(id, typed) {
    const blank = this.byId.get(id), r = this.results.get(id);
    if (!blank || !this.isOpen(blank) || tidy(typed) === '') return 'closed';
    const text = String(typed).trim();
    if (r.wrong.length && r.wrong[r.wrong.length - 1] === text && r.typed === text) return 'wrong';  // Enter, then its change event
    r.typed = text;
    r.tries++;
    if (accepts(blank, typed)) {
      r.right = true;
      if (this.last === id) this.last = null;
    } else {
      r.wrong.push(text);
      this.last = id;
    }
    this.notify('answer', { id });
    return r.right ? 'right' : 'wrong';
  }

  /** Show a blank's answer (it counts as missed). */
  reveal(id) {
    const r = this.results.get(id);
    if (!r || this.filled(id)) return;
    r.revealed = true;
    if (this.last === id) this.last = null;
    this.notify('answer', { id });
  }

  /** Right on the first try, out of all; and the blanks missed (a wrong try, or shown). */
  score() {
    const missed = this.blanks.filter((b) => { const r = this.results.get(b.id); return r.revealed || r.wrong.length > 0; });
    return { right: this.blanks.length - missed.length, total: this.blanks.length, missed };
  }

  /** A blank's hint in the UI's language; a number that comes from a blank not yet filled is "?". */
  hintText(blank) {
    const h = blank.hint;
    const numbers = h.parts.map((p) => ((p.needs || []).some((id) => this.byId.has(id) && !this.filled(id)) ? '?' : p.text)).join('');
    const rule = h.kind === 'grad' ? h.words.replace(/\{(\w+)\}/g, (m, w) => t(`practice.word.${w}`)) : h.rule;
    return t(`practice.hint.${h.kind}`, { op: h.op, rule, numbers });
  }

  /** The op's note for a learner (the server's English, or the catalogue's note.<op>). */
  noteText(blank) {
    const h = blank.hint;
    if (!h.note || language() === 'en') return h.note;
    const said = t(`note.${h.op}`);
    return said === `note.${h.op}` ? h.note : said;
  }

  // -- what the canvas draws while practising (edgelabels.js asks through the scene) ---------
  /** An edge's texts: a blank is laid out as BLANK_TEXT (its input sits there); the rest as the full figure. */
  edgeTexts(e) {
    const shown = this.edgeIndex().get(`${e.target}\u0000${e.port}`);
    const value = this.byId.has(`v:${e.target}:${e.port}`) ? BLANK_TEXT : shown?.value_text ?? null;
    const grad = this.byId.has(`g:${e.target}:${e.port}`) ? BLANK_TEXT : shown?.grad_text ?? null;
    return { value, grad };
  }

  outputTexts() {
    const o = this.payload.output;
    if (!o) return { value: null, grad: null };
    return { value: this.byId.has('v:output') ? BLANK_TEXT : o.value_text ?? null, grad: o.grad_text ?? null };
  }

  edgeIndex() {
    if (this.edgesFor !== this.payload) {
      this.edgesFor = this.payload;
      this.edges = new Map(this.payload.edges.map((e) => [`${e.target}\u0000${e.port}`, e]));
    }
    return this.edges;
  }
}
