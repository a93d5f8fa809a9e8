// The list of keys: a modal dialog opened by "?" (keyboard.js) or by the small "?" button at
// the canvas's bottom right. Esc or Close shuts it and the focus goes back where it was.
import { el } from './dom.js';
import { onLanguageChange, t } from './i18n.js';

const MAC = /Mac|iPhone|iPad/.test(navigator.platform || '');

/** [group key, [[keys, description key], …]]; keys are shown as typed, words are translated. */
export const KEYS = [
  ['keys.group.palette', [
    [['Tab'], 'keys.palette.reach'],
    [['Enter', 'Space'], 'keys.palette.add'],
  ]],
  ['keys.group.canvas', [
    [['Tab', 'Shift+Tab'], 'keys.canvas.tab'],
    [['←', '↑', '→', '↓', 'Home', 'End'], 'keys.canvas.arrows'],
    [['Enter'], 'keys.canvas.edit'],
    [['W'], 'keys.canvas.wire'],
    [['O'], 'keys.canvas.output'],
    [['Delete', 'Backspace'], 'keys.canvas.delete'],
    [['Esc'], 'keys.canvas.leave'],
    [['+', '-', '0'], 'keys.canvas.zoom'],
  ]],
  ['keys.group.steps', [
    [['F'], 'keys.steps.forward'],
    [['B'], 'keys.steps.backward'],
    [['Shift+F'], 'keys.steps.run_forward'],
    [['Shift+B'], 'keys.steps.run_backward'],
    [['Shift+R'], 'keys.steps.reset'],
  ]],
  ['keys.group.edits', [
    [[MAC ? '⌘Z' : 'Ctrl+Z'], 'keys.edits.undo'],
    [[MAC ? '⇧⌘Z' : 'Ctrl+Y'], 'keys.edits.redo'],
    [['Enter'], 'keys.edits.title'],
  ]],
  ['keys.group.help', [
    [['?'], 'keys.help.open'],
    [['Esc'], 'keys.help.close'],
  ]],
];

export class KeyHelp {
  /** stage: where the "?" button floats. */
  constructor(stage) {
    this.returnTo = null;
    this.button = el('button', { type: 'button', class: 'keys-help-button', testid: 'keys-help-button',
      'aria-haspopup': 'dialog' }, '?');
    this.button.addEventListener('click', () => this.open());
    stage.append(this.button);
    this.dialog = el('dialog', { class: 'keys-help', testid: 'keys-help', 'aria-labelledby': 'keys-help-title' });
    this.dialog.addEventListener('keydown', (e) => e.stopPropagation());  // its Esc is not the canvas's
    this.dialog.addEventListener('close', () => this.restore());
    this.dialog.addEventListener('click', (e) => { if (e.target === this.dialog) this.close(); });  // the backdrop
    document.body.append(this.dialog);
    this.render();
    onLanguageChange(() => this.render());
  }

  render() {
    this.button.title = t('keys.help.button');
    this.button.setAttribute('aria-label', t('keys.help.button'));
    const groups = KEYS.map(([group, rows]) => el('section', { class: 'keys-group' },
      el('h3', {}, t(group)),
      el('dl', {}, ...rows.flatMap(([keys, what]) => [
        el('dt', {}, ...keys.flatMap((k, i) => [i ? ' ' : null, el('kbd', {}, k)])),
        el('dd', { dataset: { key: what } }, t(what)),
      ]))));
    const close = el('button', { type: 'button', class: 'keys-help-close', testid: 'keys-help-close' }, t('keys.help.close_button'));
    close.addEventListener('click', () => this.close());
    this.dialog.replaceChildren(
      el('h2', { id: 'keys-help-title' }, t('keys.help.title')),
      el('div', { class: 'keys-groups' }, ...groups),
      close);
  }

  get isOpen() { return this.dialog.open; }

  open() {
    if (this.dialog.open) return;
    this.returnTo = document.activeElement;
    this.dialog.showModal();
    this.dialog.querySelector('.keys-help-close').focus();
  }

  close() { if (this.dialog.open) this.dialog.close(); }

  restore() {
    const back = this.returnTo;
    this.returnTo = null;
    if (back && back !== document.body && back.isConnected) back.focus({ preventScroll: true });
  }
}
