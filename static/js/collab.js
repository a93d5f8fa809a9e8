// Working together on one graph: undo/redo of one's own edits, who else is here
// (presence: their pointers and selections), the View-only badge, Share links,
// the count of edits waiting while offline, and a deleted graph's notice.
// The server decides everything; this module only shows it and asks.
import { onLanguageChange, t } from './i18n.js';

const SEND_MS = 60;          // presence at most this often (the server drops more than 20 a second)
const HEARTBEAT_MS = 4000;   // and at least this often, so others know we are still here
const SILENCE_MS = 10000;    // someone not heard from for this long has gone
const COPIED_MS = 1500;

const MAC = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
const isTyping = (el) => el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'testid') node.dataset.testid = v;
    else if (k === 'class') node.className = v;
    else if (k === 'i18n') node.dataset.i18n = v;
    else if (k === 'i18nTitle') node.dataset.i18nTitle = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

/** A short description of an edit batch for messages: "move_node m1, add_node mul1 …". */
export function describeOps(ops) {
  const one = (op) => {
    const what = op.id ?? op.node?.id ?? (op.target != null ? `${op.source ?? ''}→${op.target}:${op.port}` : '');
    return `${op.type}${what === '' ? '' : ` ${what}`}`;
  };
  const shown = ops.slice(0, 2).map(one).join(', ');
  return ops.length > 2 ? `${shown} …` : shown;
}

export class Collab {
  /**
   * topbar: the header; stage: the canvas's section; canvas: the overlay canvas;
   * view: {rect} (the canvas's cached client rect); interaction: for read-only;
   * actions: to send undo/redo; role: the page's role ('edit' | 'view').
   */
  constructor({ graphId, topbar, stage, canvas, view, model, camera, actions, interaction, showError, role }) {
    Object.assign(this, { graphId, topbar, stage, canvas, view, model, camera, actions, interaction, showError });
    this.connection = null;
    this.history = { can_undo: false, can_redo: false };
    this.me = null;
    this.peers = new Map();      // sid → {sid, client, name, colour, x, y, selection, at}
    this.pointer = null;         // our pointer in world coordinates, or null off the canvas
    this.sentKey = null;         // what the last presence message said
    this.sentAt = 0;
    this.sendTimer = null;
    this.queued = 0;
    this.gone = false;
    this.buildHeader();
    this.setRole(role);
    this.bind();
    onLanguageChange(() => this.relabel());
    this.relabel();
  }

  // -- the header's pieces -----------------------------------------------------------------
  buildHeader() {
    const $ = (id) => this.topbar.querySelector(`[data-testid="${id}"]`);
    this.library = el('a', { href: '/library', class: 'library-link', testid: 'library-link', i18n: 'collab.library', i18nTitle: 'collab.library.title' });
    this.badge = el('span', { class: 'view-only', testid: 'view-only', i18n: 'collab.view_only', i18nTitle: 'collab.view_only.title', hidden: '' });
    this.queueNote = el('output', { class: 'offline-queue', testid: 'offline-queue', i18nTitle: 'collab.queue.title', hidden: '' });
    this.people = el('ul', { class: 'presence-list', testid: 'presence-list' });
    const title = $('graph-title');
    title.before(this.library);
    ($('connection-state') || title).after(this.badge, this.queueNote, this.people);

    // Undo and Redo float at the canvas's bottom left, as in Excalidraw: the header rows are full
    this.undoBtn = el('button', { type: 'button', testid: 'undo', disabled: '' });
    this.redoBtn = el('button', { type: 'button', testid: 'redo', disabled: '' });
    this.editBar = el('nav', { class: 'toolbar collab-edit' }, this.undoBtn, this.redoBtn);
    this.stage.append(this.editBar);

    this.shareBtn = el('button', { type: 'button', testid: 'share', 'aria-expanded': 'false', 'aria-controls': 'share-panel', i18n: 'collab.share', i18nTitle: 'collab.share.title' });
    this.sharePanel = el('div', { class: 'menu share-panel', id: 'share-panel', testid: 'share-panel', hidden: '' });
    this.shareBar = el('nav', { class: 'toolbar sharebar' }, el('div', { class: 'menu-wrap' }, this.shareBtn, this.sharePanel));
    const files = this.topbar.querySelector('.toolbar.filebar');
    if (files) files.after(this.shareBar); else this.topbar.append(this.shareBar);

    this.deletedNote = el('div', { class: 'deleted-note', testid: 'graph-deleted', role: 'alert', hidden: '' });
    this.stage.append(this.deletedNote);
  }

  relabel() {
    const key = MAC ? '⌘' : 'Ctrl';
    this.undoBtn.replaceChildren(el('span', { 'aria-hidden': 'true', class: 'icon' }, '↶'), ' ', t('collab.undo'));
    this.undoBtn.title = t('collab.undo.title', { key });
    this.redoBtn.replaceChildren(el('span', { 'aria-hidden': 'true', class: 'icon' }, '↷'), ' ', t('collab.redo'));
    this.redoBtn.title = t('collab.redo.title', { key });
    this.editBar.setAttribute('aria-label', t('collab.history'));
    for (const node of [this.library, this.badge, this.shareBtn]) {
      node.textContent = t(node.dataset.i18n);
      node.title = t(node.dataset.i18nTitle);
    }
    this.people.setAttribute('aria-label', t('collab.presence'));
    this.queueNote.title = t('collab.queue.title');
    this.showQueue(this.queued);
    this.renderPeople(true);
    if (!this.sharePanel.hidden) this.openShare();
    if (this.gone) this.showDeleted();
  }

  /** 'edit' or 'view': a viewer gets no editing gestures, buttons or palette (the server refuses them anyway). */
  setRole(role) {
    this.role = role === 'view' ? 'view' : 'edit';
    document.body.dataset.role = this.role;
    const readOnly = this.role === 'view' || this.gone;
    if (this.interaction) this.interaction.readOnly = readOnly;
    this.badge.hidden = this.role !== 'view';
    this.editBar.hidden = readOnly;
    this.shareBar.hidden = this.role !== 'edit';
    if (readOnly) this.closeShare();
  }

  get readOnly() { return this.role === 'view' || this.gone; }

  bind() {
    this.undoBtn.addEventListener('click', () => this.undoRedo('undo'));
    this.redoBtn.addEventListener('click', () => this.undoRedo('redo'));
    window.addEventListener('keydown', (e) => this.keydown(e));
    this.shareBtn.addEventListener('click', () => (this.sharePanel.hidden ? this.openShare() : this.closeShare()));
    document.addEventListener('pointerdown', (e) => {
      if (!this.sharePanel.hidden && !this.shareBar.contains(e.target)) this.closeShare();
    });
    // presence: the pointer over the canvas (in world coordinates) and the selection
    this.canvas.addEventListener('pointermove', (e) => {
      const r = this.view.rect;
      this.pointer = this.camera.toWorld({ x: e.clientX - r.left, y: e.clientY - r.top });
      this.sendPresence();
    });
    this.canvas.addEventListener('pointerleave', () => { this.pointer = null; this.sendPresence(); });
    this.model.onChange((kind) => {
      if (kind === 'selection' || kind === 'patch' || kind === 'load') this.sendPresence();
      if (kind === 'title' || kind === 'load') this.showTitle();
    });
    setInterval(() => this.tick(), 1000);
  }

  keydown(e) {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || isTyping(e.target)) return;
    const key = e.key.toLowerCase();
    const redo = (key === 'z' && e.shiftKey) || (key === 'y' && !e.shiftKey);
    const undo = key === 'z' && !e.shiftKey;
    if (!undo && !redo) return;
    e.preventDefault();
    if (!this.readOnly) this.undoRedo(undo ? 'undo' : 'redo');
  }

  async undoRedo(kind) {
    if (this.readOnly) return;
    await this.actions.send(kind, {});  // the change comes back as a patch; the ack's history updates the buttons
  }

  // -- from the connection -------------------------------------------------------------------
  attach(connection) { this.connection = connection; }

  joined(ack) {
    this.me = ack.me || this.me;
    if (ack.role) this.setRole(ack.role);
    this.sentKey = null;  // tell the room we are here (again)
    this.sendPresence();
    this.renderPeople(true);
  }

  setHistory(history) {
    this.history = { can_undo: !!history.can_undo, can_redo: !!history.can_redo };
    this.undoBtn.disabled = !this.history.can_undo;
    this.redoBtn.disabled = !this.history.can_redo;
  }

  showQueue(n) {
    this.queued = n;
    const online = this.connection && this.connection.joined;
    this.queueNote.hidden = n === 0;
    this.queueNote.dataset.count = String(n);
    this.queueNote.textContent = online ? t('collab.queue.sending', { n })
      : n === 1 ? t('collab.queue.one') : t('collab.queue.many', { n });
  }

  queuedRefused(edit, error) {
    this.showError(t('collab.offline_refused', { what: describeOps(edit.ops), error }));
  }

  showDeleted() {
    this.deletedNote.replaceChildren(t('collab.deleted'), ' ',
      el('a', { href: '/library', testid: 'deleted-library-link' }, t('collab.library')));
    this.deletedNote.hidden = false;
  }

  deleted() {
    this.gone = true;
    this.setRole(this.role);
    this.peers.clear();
    this.renderPeople(true);
    this.showDeleted();
    this.model.markDirty('overlay');
  }

  showTitle() {
    const title = this.model.title;
    const h1 = this.topbar.querySelector('[data-testid="graph-title"]');
    if (title) { delete h1.dataset.i18n; h1.textContent = title; } else { h1.dataset.i18n = 'header.untitled'; h1.textContent = t('header.untitled'); }
    document.title = `${title || t('header.untitled')} · gradcanvas`;
  }

  // -- presence -------------------------------------------------------------------------------
  /** Send where our pointer is and what we have selected: when it changed, at most every SEND_MS. */
  sendPresence(force = false) {
    const c = this.connection;
    if (!c || !c.joined || this.gone) return;
    const round = (v) => Math.round(v * 10) / 10;
    const msg = {
      graph_id: this.graphId,
      x: this.pointer ? round(this.pointer.x) : null,
      y: this.pointer ? round(this.pointer.y) : null,
      selection: [...this.model.selection.nodes],
    };
    const key = JSON.stringify(msg);
    if (key === this.sentKey && !force) return;
    const wait = this.sentAt + SEND_MS - performance.now();
    if (wait > 0) {
      if (!this.sendTimer) this.sendTimer = setTimeout(() => { this.sendTimer = null; this.sendPresence(force); }, wait);
      return;
    }
    this.sentKey = key;
    this.sentAt = performance.now();
    c.socket.emit('presence', msg);
  }

  presence(msg) {
    if (this.me && msg.sid === this.me.sid) return;
    const known = this.peers.has(msg.sid);
    const p = this.peers.get(msg.sid) || {};
    Object.assign(p, {
      sid: msg.sid, client: msg.client, name: msg.name, colour: msg.colour,
      x: typeof msg.x === 'number' ? msg.x : null, y: typeof msg.y === 'number' ? msg.y : null,
      selection: Array.isArray(msg.selection) ? msg.selection : [], at: performance.now(),
    });
    this.peers.set(msg.sid, p);
    if (!known) { this.renderPeople(); this.sendPresence(true); }  // a newcomer: say we are here too
    this.model.markDirty('overlay');
  }

  presenceLeave(msg) {
    if (this.peers.delete(msg.sid)) { this.renderPeople(); this.model.markDirty('overlay'); }
  }

  tick() {
    const now = performance.now();
    let gone = false;
    for (const [sid, p] of this.peers) if (now - p.at > SILENCE_MS) { this.peers.delete(sid); gone = true; }
    if (gone) { this.renderPeople(); this.model.markDirty('overlay'); }
    if (now - this.sentAt > HEARTBEAT_MS) this.sendPresence(true);
  }

  /** The others, for the overlay renderer. */
  others() { return [...this.peers.values()]; }

  /**
   * Who is here: our own colour dot (our name on hover), then everyone else's dot and
   * name; with two others or more only their dots (names on hover): the header is full.
   */
  renderPeople(always = false) {
    const list = [...(this.me ? [{ ...this.me, you: true }] : []), ...this.peers.values()];
    const key = list.map((p) => `${p.sid}\u0000${p.name}\u0000${p.colour}`).join('\u0001') + (this.gone ? 'x' : '');
    if (key === this.peopleKey && !always) return;
    this.peopleKey = key;
    const shown = this.gone ? [] : list;
    this.people.replaceChildren(...shown.map((p) => {
      const name = p.you ? t('collab.you', { name: p.name }) : p.name;
      const dot = el('span', { class: 'presence-dot', 'aria-hidden': 'true' });
      dot.style.background = p.colour;
      const li = el('li', { class: 'presence-item', testid: 'presence-item', title: name },
        dot, el('span', { class: p.you ? 'presence-name sr-only' : 'presence-name' }, name));
      li.dataset.sid = p.sid;
      if (p.you) li.dataset.you = '';
      return li;
    }));
    this.people.title = `${t('collab.presence')}: ${shown.map((p) => (p.you ? t('collab.you', { name: p.name }) : p.name)).join(', ')}`;
    this.people.classList.toggle('compact', shown.length > 2);  // three or more: dots, names on hover
  }

  // -- share -------------------------------------------------------------------------------------
  async openShare() {
    this.sharePanel.hidden = false;
    this.shareBtn.setAttribute('aria-expanded', 'true');
    this.sharePanel.replaceChildren(el('p', { class: 'share-note' }, '…'));
    let links;
    try {
      const res = await fetch(`/api/graphs/${encodeURIComponent(this.graphId)}/links`, { credentials: 'same-origin' });
      links = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(links.error || `${res.status} ${res.statusText}`);
    } catch (err) {
      this.sharePanel.replaceChildren(el('p', { class: 'share-note share-error' }, t('collab.share.failed', { error: err.message })));
      return;
    }
    if (this.sharePanel.hidden) return;
    const row = (kind, url) => {
      const input = el('input', { type: 'text', readonly: '', value: new URL(url, window.location.href).href, testid: `share-${kind}-url`, spellcheck: 'false' });
      input.addEventListener('focus', () => input.select());
      const copy = el('button', { type: 'button', class: 'share-copy', testid: `copy-${kind}-url` }, t('collab.share.copy'));
      copy.addEventListener('click', () => this.copy(input, copy));
      return el('div', { class: 'share-row' },
        el('label', { class: 'share-label' }, el('strong', {}, t(`collab.share.${kind}`)), ' ',
          el('span', { class: 'share-note' }, t(`collab.share.${kind}.note`))),
        el('div', { class: 'share-field' }, input, copy));
    };
    this.sharePanel.replaceChildren(row('edit', links.edit_url), row('view', links.view_url));
  }

  closeShare() {
    this.sharePanel.hidden = true;
    this.shareBtn.setAttribute('aria-expanded', 'false');
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

  // -- for window.gradcanvas.snapshot() --------------------------------------------------------------
  snapshot() {
    const r = this.view.rect;
    return {
      role: this.role, deleted: this.gone, me: this.me ? { ...this.me } : null,
      history: { ...this.history }, queued: this.queued,
      presence: this.others().map((p) => {
        const s = p.x == null ? null : this.camera.toScreen(p);
        return {
          sid: p.sid, client: p.client, name: p.name, colour: p.colour, x: p.x, y: p.y,
          selection: [...p.selection], screen: s && { x: r.left + s.x, y: r.top + s.y },
        };
      }),
    };
  }
}
