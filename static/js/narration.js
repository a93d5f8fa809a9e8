// The spoken narration: one sentence for the step on show, in an aria-live region, so a
// screen reader says each step as it plays (whoever in the room stepped) and everyone can
// read it under the step bar. "Backward 2 of 5: the multiply node m1 receives 1.1 and sends
// 1.1 × 2 = 2.2 to doughnut and 1.1 × 100 = 110 to count."
//
// Every number and every bit of arithmetic is the server's string from the step event
// (numbers, value_text, grad_text, rules[].numbers); only the sentence around them comes
// from the catalogue (narration.* keys), so each language words it its own way.
import { language, t } from './i18n.js';
import { localName } from './localname.js';

/** The op in words, for "the {op} node": "multiply", "ReLU", "곱셈". */
function opWord(model, op) {
  const spec = model.spec(op);
  const word = localName(`op.${op}`, spec ? spec.title : op);
  // English titles are capitalised ("Multiply"); mid-sentence they are not, unless an acronym
  return language() === 'en' && /^[A-Z][^A-Z]*$/.test(word) ? word[0].toLowerCase() + word.slice(1) : word;
}

/** A list in the language's way: "a, b and c". */
function list(parts) {
  if (parts.length < 2) return parts.join('');
  return `${parts.slice(0, -1).join(t('narration.comma'))}${t('narration.and')}${parts[parts.length - 1]}`;
}

function nameOf(model, id) {
  const node = model.nodes.get(id);
  return node ? model.name(node) : id;
}

/** A tensor's shape written as the server writes it, "(12, 10)" or "(10,)"; null for a number. */
function shapeOf(v) {
  if (!Array.isArray(v)) return null;
  const dims = [];
  for (let x = v; Array.isArray(x); x = x[0]) dims.push(x.length);
  return dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
}

/** A number's text, or for a tensor "a (12, 10) matrix": a sentence cannot hold its entries. */
function said(raw, text) {
  const shape = shapeOf(raw);
  return shape ? t('narration.tensor', { shape }) : text;
}

/** The sentence for one step event, as the server sent it. */
export function stepSentence(model, ev) {
  const vars = { index: ev.index, total: ev.total, name: nameOf(model, ev.node), op: opWord(model, ev.op) };
  const input = model.arity(ev.op) === 0;
  if (ev.phase === 'forward') {
    const value = said(ev.value, ev.value_text);
    if (input) return t('narration.forward.input', { ...vars, value });
    if (ev.numbers == null || shapeOf(ev.value)) return t('narration.forward.value', { ...vars, value });
    return t('narration.forward.op', { ...vars, numbers: ev.numbers, value: ev.value_text });
  }
  // what arrived: a fan-out's sum is said with its terms, as the explanation's first line writes it
  const h = ev.head;
  const grad = shapeOf(ev.grad) ? said(ev.grad)
    : h && h.kind === 'sum' && h.terms.length > 1 ? `${h.terms.join(' + ')} = ${h.result}` : ev.grad_text;
  if (input || !(ev.rules && ev.rules.length)) return t('narration.backward.input', { ...vars, grad });
  const sent = ev.rules.map((r) => {
    const edge = (ev.edges || []).find((e) => e.port === r.port);
    const numbers = shapeOf(r.grad) ? said(r.grad) : r.numbers == null ? r.grad_text
      : (r.grad_text != null && r.grad_text !== r.numbers ? `${r.numbers} = ${r.grad_text}` : r.numbers);
    return t('narration.backward.part', { numbers, target: edge ? nameOf(model, edge.source) : r.port_name });
  });
  return t('narration.backward.op', { ...vars, grad, parts: list(sent) });
}

/**
 * The sentence for what the model shows now, and a key that changes only when that does
 * (so the live region is written, and spoken, once per step, and again if its numbers change).
 */
export function narrate(model) {
  const cur = model.current && model.current.event;
  if (cur) {  // the same step with new numbers (a value edited mid-run) is said again
    const text = stepSentence(model, cur);
    return { key: `step ${text}`, text };
  }
  const c = model.shown.cursor;
  if (c.phase !== 'idle') {  // stepped, but the event is not here (it will be, with the next step)
    const text = t(`narration.cursor.${c.phase}`, { index: c.step, total: c.total });
    return { key: `${c.phase} ${c.step}/${c.total}`, text };
  }
  return { key: 'idle', text: t('narration.idle') };
}

export class Narration {
  /** root: the aria-live element; model: the scene view (server data, with the step shown). */
  constructor(root, model) {
    this.root = root;
    this.model = model;
    this.key = null;
    this.lang = null;
  }

  refresh() {
    let { key, text } = narrate(this.model);
    if (key === 'idle' && this.key && this.key !== 'idle') {  // back to idle after stepping: a reset
      key = 'reset';
      text = t('narration.reset');
    }
    if (key === this.key && this.lang === language()) return;  // the same words: not said again
    this.key = key;
    this.lang = language();
    this.root.textContent = text;
  }
}
