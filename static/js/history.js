// Undo and redo of this page's own edits (buttons at the canvas's bottom left and
// Ctrl/⌘+Z, Ctrl/⌘+Shift+Z, Ctrl+Y), and the note of edits waiting while offline.
// The server keeps the history; its acks say what can be undone (ui.history).
import { byTestId, isTyping } from './dom.js';
import { onLanguageChange, t } from './i18n.js';

const MAC = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

/** A short description of a batch of edits for messages: "move_node m1, add_node mul1 …". */
export function describeEdits(edits) {
  const one = (edit) => {
    const what = edit.id ?? edit.node?.id ?? (edit.target != null ? `${edit.source ?? ''}→${edit.target}:${edit.port}` : '');
    return `${edit.type}${what === '' ? '' : ` ${what}`}`;
  };
  const shown = edits.slice(0, 2).map(one).join(', ');
  return edits.length > 2 ? `${shown} …` : shown;
}

export class History {
  constructor({ ui, actions, showError }) {
    Object.assign(this, { ui, actions, showError });
    this.undoBtn = byTestId('undo');
    this.redoBtn = byTestId('redo');
    this.bar = this.undoBtn.closest('nav');
    this.queueNote = byTestId('offline-queue');
    this.undoBtn.addEventListener('click', () => this.ask('undo'));
    this.redoBtn.addEventListener('click', () => this.ask('redo'));
    window.addEventListener('keydown', (e) => this.keydown(e));
    ui.subscribe((kind) => {
      if (kind === 'history') this.showHistory();
      else if (kind === 'queued' || kind === 'status') this.showQueue();
      else if (kind === 'access') this.bar.hidden = ui.readOnly;
    });
    onLanguageChange(() => { this.relabel(); this.showQueue(); });
    this.relabel();
    this.bar.hidden = ui.readOnly;
  }

  relabel() {
    const key = MAC ? '⌘' : 'Ctrl';
    this.undoBtn.title = t('collab.undo.title', { key });
    this.redoBtn.title = t('collab.redo.title', { key });
  }

  keydown(e) {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || isTyping(e.target)) return;
    const key = e.key.toLowerCase();
    const redo = (key === 'z' && e.shiftKey) || (key === 'y' && !e.shiftKey);
    const undo = key === 'z' && !e.shiftKey;
    if (!undo && !redo) return;
    e.preventDefault();
    this.ask(undo ? 'undo' : 'redo');
  }

  async ask(kind) {
    if (this.ui.readOnly) return;
    await this.actions.send(kind, {});  // the change comes back as a patch; the ack's history updates the buttons
  }

  showHistory() {
    this.undoBtn.disabled = !this.ui.history.can_undo;
    this.redoBtn.disabled = !this.ui.history.can_redo;
  }

  /** 'offline: 3 edits waiting', or 'sending …' once the connection is back. */
  showQueue() {
    const n = this.ui.queued;
    const online = this.ui.status === 'connected';
    this.queueNote.hidden = n === 0;
    this.queueNote.dataset.count = String(n);
    this.queueNote.textContent = online ? t('collab.queue.sending', { n })
      : n === 1 ? t('collab.queue.one') : t('collab.queue.many', { n });
  }

  /** A batch made offline that the server refused once it was sent. */
  refused({ edit, error }) {
    this.showError(t('collab.offline_refused', { what: describeEdits(edit.ops), error }));
  }
}
