// Renaming the graph in the header: a click on the title, or Enter on it, puts a text field in
// its place; Enter (or leaving the field) commits a `set_title` edit, which every editor and
// viewer then sees in its header; Esc cancels. A view link cannot rename.
import { el } from './dom.js';
import { onLanguageChange, t } from './i18n.js';

const MAX = 500;  // as the server's set_title allows

export class TitleEditor {
  /** title: the header's title element; data: the server data (its title); ui: read-only. */
  constructor(title, { data, ui, actions }) {
    Object.assign(this, { title, data, ui, actions });
    this.input = null;
    title.addEventListener('click', () => this.open());
    title.addEventListener('keydown', (e) => {
      if ((e.key === 'Enter' || e.key === ' ') && !e.isComposing) { e.preventDefault(); this.open(); }
    });
    ui.subscribe((kind) => { if (kind === 'access') this.refresh(); });
    onLanguageChange(() => this.refresh());
    this.refresh();
  }

  /** Focusable and labelled as renamable only where renaming is allowed. */
  refresh() {
    const can = !this.ui.readOnly;
    this.title.classList.toggle('renamable', can);
    if (can) {
      this.title.tabIndex = 0;
      this.title.title = t('keys.title.rename');
      this.title.setAttribute('aria-description', t('keys.title.rename'));
    } else {
      this.title.removeAttribute('tabindex');
      this.title.removeAttribute('title');
      this.title.removeAttribute('aria-description');
      this.cancel();
    }
  }

  open() {
    if (this.ui.readOnly || this.input) return;
    const input = el('input', { type: 'text', class: 'title-input', testid: 'graph-title-input',
      maxlength: String(MAX), value: this.data.title, 'aria-label': t('keys.title.label'), spellcheck: 'false' });
    input.addEventListener('keydown', (e) => {
      e.stopPropagation();  // typing a title is not a command
      if (e.isComposing) return;  // an IME's Enter only finishes the syllable
      if (e.key === 'Enter') { e.preventDefault(); this.commit(); }
      else if (e.key === 'Escape') { e.preventDefault(); this.cancel(); }
    });
    input.addEventListener('blur', () => this.commit());
    this.title.hidden = true;
    this.title.after(input);
    this.input = input;
    input.focus();
    input.select();
  }

  /** Send the new title, trimmed, if it changed; the header shows it when the server's patch comes. */
  commit() {
    if (!this.input) return;
    const text = this.input.value.trim();
    this.cancel();
    if (text !== this.data.title) this.actions.edit([{ type: 'set_title', title: text }]);
  }

  cancel() {
    if (!this.input) return;
    const input = this.input;
    this.input = null;
    const hadFocus = document.activeElement === input;
    input.remove();
    this.title.hidden = false;
    if (hadFocus && !this.ui.readOnly) this.title.focus({ preventScroll: true });
  }
}
