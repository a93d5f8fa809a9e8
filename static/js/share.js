// Who may do what here. Editors get the Share panel (the edit and view links, with Copy);
// viewers the View-only badge; everyone the notice when the graph is deleted while open.
// body[data-role] mirrors ui.role for the stylesheet (it hides editing controls).
import { byTestId, el } from './dom.js';
import { onLanguageChange, t } from './i18n.js';
import { refusalText } from './refusal.js';

const COPIED_MS = 1500;

export class Share {
  constructor({ graphId, ui }) {
    Object.assign(this, { graphId, ui });
    this.button = byTestId('share');
    this.panel = byTestId('share-panel');
    this.bar = this.button.closest('nav');
    this.badge = byTestId('view-only');
    this.deletedNote = byTestId('graph-deleted');
    this.button.addEventListener('click', () => (this.panel.hidden ? this.open() : this.close()));
    document.addEventListener('pointerdown', (e) => {
      if (!this.panel.hidden && !this.bar.contains(e.target)) this.close();
    });
    ui.subscribe((kind) => { if (kind === 'access') this.showAccess(); });
    onLanguageChange(() => {
      if (!this.panel.hidden) this.open();
      if (ui.deleted) this.showDeleted();
    });
    this.showAccess();
  }

  showAccess() {
    const { role, readOnly, deleted } = this.ui;
    document.body.dataset.role = role;
    this.badge.hidden = role !== 'view';
    this.bar.hidden = role !== 'edit';
    if (readOnly) this.close();
    if (deleted) this.showDeleted();
  }

  showDeleted() {
    this.deletedNote.replaceChildren(t('collab.deleted'), ' ',
      el('a', { href: '/library', testid: 'deleted-library-link' }, t('collab.library')));
    this.deletedNote.hidden = false;
  }

  async open() {
    this.panel.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    this.panel.replaceChildren(el('p', { class: 'share-note' }, '…'));
    let links;
    try {
      const res = await fetch(`/api/graphs/${encodeURIComponent(this.graphId())}/links`, { credentials: 'same-origin' });
      links = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(refusalText(links, `${res.status} ${res.statusText}`));
    } catch (err) {
      this.panel.replaceChildren(el('p', { class: 'share-note share-error' }, t('collab.share.failed', { error: err.message })));
      return;
    }
    if (this.panel.hidden) return;
    const row = (kind, url) => {
      const input = el('input', { type: 'text', readonly: true, value: new URL(url, window.location.href).href, testid: `share-${kind}-url`, spellcheck: 'false' });
      input.addEventListener('focus', () => input.select());
      const copy = el('button', { type: 'button', class: 'share-copy', testid: `copy-${kind}-url` }, t('collab.share.copy'));
      copy.addEventListener('click', () => this.copy(input, copy));
      return el('div', { class: 'share-row' },
        el('label', { class: 'share-label' }, el('strong', {}, t(`collab.share.${kind}`)), ' ',
          el('span', { class: 'share-note' }, t(`collab.share.${kind}.note`))),
        el('div', { class: 'share-field' }, input, copy));
    };
    this.panel.replaceChildren(row('edit', links.edit_url), row('view', links.view_url), this.embedRow(links.embed_url));
  }

  // -- #17 the stepper anywhere: the view link as an <iframe> for a blog or a course page --
  embedRow(url) {
    const code = embedSnippet(new URL(url, window.location.href).href);
    const area = el('textarea', { readonly: true, rows: 3, testid: 'share-embed-code', spellcheck: 'false', class: 'share-code' });
    area.value = code;
    area.addEventListener('focus', () => area.select());
    const copy = el('button', { type: 'button', class: 'share-copy', testid: 'copy-embed-code' }, t('collab.share.copy'));
    copy.addEventListener('click', () => this.copy(area, copy));
    return el('div', { class: 'share-row' },
      el('label', { class: 'share-label' }, el('strong', {}, t('collab.share.embed')), ' ',
        el('span', { class: 'share-note' }, t('collab.share.embed.note'))),
      el('div', { class: 'share-field' }, area, copy));
  }
  // -- (end of the stepper anywhere) --

  close() {
    this.panel.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
  }

  async copy(input, button) {
    let ok = false;
    try {
      await navigator.clipboard.writeText(input.value);
      ok = true;
    } catch {
      input.select();
      try { ok = document.execCommand('copy'); } catch { ok = false; }
    }
    button.textContent = t(ok ? 'collab.share.copied' : 'collab.share.copy_failed');
    button.dataset.copied = ok ? 'yes' : 'no';
    setTimeout(() => { button.textContent = t('collab.share.copy'); delete button.dataset.copied; }, COPIED_MS);
  }
}

/** The <iframe> to paste into a page: the read-only stepper at `url` (/embed/<id>?view=…). */
export function embedSnippet(url) {
  const attr = (v) => String(v).replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  return `<iframe src="${attr(url)}" title="gradcanvas: step the graph forward and backward" width="100%" height="480" `
    + 'style="border:1px solid #ddd;border-radius:6px" loading="lazy"></iframe>';
}
