// The formula box: `price = doughnut * count * tax` becomes a new graph (POST /api/formula).
// Enter submits, Shift+Enter starts a new line (`;` separates statements too). A refusal
// shows the server's message, with its line and column, and the caret goes there.
import { t } from './i18n.js';
import { createAndOpen } from './newgraph.js';

const MAX_ROWS = 6;

export class FormulaBox {
  constructor(form, { showError }) {
    this.form = form;
    this.input = form.querySelector('textarea');
    this.button = form.querySelector('button[type="submit"]');
    this.showError = showError;
    this.busy = false;
    form.addEventListener('submit', (e) => { e.preventDefault(); this.submit(); });
    this.input.addEventListener('keydown', (e) => {
      // Not while an IME (Hangul) is composing: that Enter only finishes the syllable.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); this.submit(); }
    });
    this.input.addEventListener('input', () => {
      this.input.removeAttribute('aria-invalid');
      this.fit();
    });
  }

  /** One row per line typed, up to MAX_ROWS (then it scrolls). */
  fit() {
    this.input.rows = Math.min(MAX_ROWS, this.input.value.split('\n').length);
  }

  async submit() {
    if (this.busy) return;
    this.busy = true;
    this.button.disabled = true;
    try {
      await createAndOpen('/api/formula', { text: this.input.value });
    } catch (err) {
      this.input.setAttribute('aria-invalid', 'true');
      this.showError(t('formula.failed', { error: err.message || String(err) }));
      this.caretTo(err.message || '', err.reply && err.reply.params);
      this.input.focus();
    } finally {
      this.busy = false;
      this.button.disabled = false;
    }
  }

  /** Put the caret where the refusal's line and column point (its params, else its English "line L, column C: …"). */
  caretTo(message, params) {
    const m = params && params.line ? [null, params.line, params.column || 1]
      : /^line (\d+), column (\d+)/.exec(message);
    if (!m) return;
    const lines = this.input.value.split('\n');
    const line = Math.min(Number(m[1]), lines.length) - 1;
    let at = 0;
    for (let i = 0; i < line; i++) at += lines[i].length + 1;
    at += Math.min(Math.max(0, Number(m[2]) - 1), lines[line].length);
    this.input.setSelectionRange(at, at);
  }
}
