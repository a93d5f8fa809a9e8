// Building with the keyboard alone (issue 14). Nothing here computes a value or a gradient:
// keys become the same edits and requests the mouse makes (actions.js), and the focus is
// UI state (ui.focusNode), drawn as a ring by renderer.js's drawFocusRing.
//   palette: every item is reachable by Tab; Enter or Space adds its op at the view's centre;
//   canvas:  Tab / Shift+Tab and the arrows move a node focus in topological order (the node
//            is selected as a click would select it); Enter edits it, W wires it, O makes it the
//            output, Delete deletes it; Esc leaves the nodes so that Tab leaves the canvas;
//   page:    F / B step forward / backward, Shift+F / Shift+B run, Shift+R resets,
//            + / - / 0 zoom and fit, ? opens the list of keys.
import { el, isTyping } from './dom.js';
import { intersects, nodeBounds, nodeExtent } from './geometry.js';
import { onLanguageChange, t } from './i18n.js';
import { KeyHelp } from './keyhelp.js';
import { localName } from './localname.js';
import { nodeOrder } from './nodeorder.js';
import { WirePicker } from './wirepicker.js';

const PAGE_KEYS = {   // key (with Shift when upper case) → what it does
  f: (k) => k.actions.step('forward', 1),
  b: (k) => k.actions.step('backward', 1),
  F: (k) => k.actions.step('forward', 'all'),
  B: (k) => k.actions.step('backward', 'all'),
  R: (k) => k.actions.reset(),
};

export class Keyboard {
  /**
   * canvas: the overlay canvas (focusable); palette: the palette's list; scene: the data as drawn;
   * viewSize(): the canvas's CSS size; editors: {openNodeEditor}; host: where popups go;
   * fitView(): the Fit button's action.
   */
  constructor({ canvas, palette, scene, ui, camera, viewSize, actions, editors, host, fitView, showError, placement, openTensor = null }) {
    Object.assign(this, { canvas, palette, scene, ui, camera, viewSize, actions, editors, fitView, showError, placement, openTensor });
    this.tabOut = false;       // after Esc: the next Tab leaves the canvas
    this.followDelete = null;  // the node to move to once the focused one is deleted
    this.help = new KeyHelp(host.closest('[data-testid="stage"]') || document.body);
    this.picker = new WirePicker({ host, scene, ui, camera, actions, showError, done: () => this.focusCanvas() });
    this.bindPalette();
    canvas.addEventListener('keydown', (e) => this.canvasKey(e));
    canvas.addEventListener('focus', () => ui.setFocusNode(ui.focusNode));   // the ring shows
    canvas.addEventListener('blur', () => { this.tabOut = false; ui.setFocusNode(ui.focusNode); });
    window.addEventListener('keydown', (e) => this.pageKey(e));
    // what the focus is on, for a screen reader: the canvas itself is one element to it
    this.status = el('div', { class: 'sr-only', role: 'status', testid: 'keyboard-status' });
    canvas.after(this.status);
    const describe = () => canvas.setAttribute('aria-description', t('keys.canvas.description'));
    describe();
    onLanguageChange(describe);
    ui.subscribe((kind) => {  // a click elsewhere (or Esc) moves the selection off the focused node
      if (kind === 'selection' && ui.focusNode && !ui.selection.nodes.has(ui.focusNode)) ui.setFocusNode(null);
    });
  }

  /** The ring is drawn only while the canvas itself has the focus. */
  get ringed() { return document.activeElement === this.canvas ? this.ui.focusNode : null; }

  focusCanvas() { this.canvas.focus({ preventScroll: true }); }

  // -- the palette ----------------------------------------------------------------------
  bindPalette() {
    const list = this.palette;
    const items = () => list.querySelectorAll('[data-op]');
    const focusable = () => {  // whatever palette.js renders, each op is one Tab stop
      for (const item of items()) {
        if (!item.hasAttribute('tabindex')) item.tabIndex = 0;
        if (!item.hasAttribute('role')) item.setAttribute('role', 'button');
      }
    };
    new MutationObserver(focusable).observe(list, { childList: true, subtree: true });
    focusable();
    list.addEventListener('keydown', (e) => {
      const item = e.target.closest && e.target.closest('[data-op]');
      if (!item || !list.contains(item) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        e.stopPropagation();  // Space is not the canvas's pan key here
        this.addAtCentre(item.dataset.op);
      } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        const all = [...items()];
        const next = all[all.indexOf(item) + (e.key === 'ArrowDown' ? 1 : -1)];
        if (next) { e.preventDefault(); next.focus(); }
      }
    });
  }

  /** Add `op` near the view's centre (placement.js: the nearest free place; an input asks its name). */
  addAtCentre(op) {
    return this.placement.addAtCentre(op);
  }

  // -- the canvas -------------------------------------------------------------------------
  canvasKey(e) {
    if (e.target !== this.canvas || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    const order = nodeOrder(this.scene);
    const at = order.indexOf(this.ui.focusNode);
    const leaving = this.tabOut;
    this.tabOut = false;
    this.followDelete = null;
    const moves = e.key === 'Tab' ? !leaving : e.key.startsWith('Arrow');
    const picked = this.target();
    if (moves && at < 0 && picked) {  // a node clicked or selected before: the keys start from it
      e.preventDefault();
      this.focusNode(picked.id);
      return;
    }
    switch (e.key) {
      case 'Tab': {
        if (leaving || !order.length || (at < 0 && e.shiftKey)) return;  // the browser moves on
        const next = at < 0 ? 0 : at + (e.shiftKey ? -1 : 1);
        if (next < 0 || next >= order.length) { this.ui.setFocusNode(null); return; }  // off either end: leave
        e.preventDefault();
        this.focusNode(order[next]);
        break;
      }
      case 'ArrowRight': case 'ArrowDown': case 'ArrowLeft': case 'ArrowUp': {
        if (!order.length) return;
        e.preventDefault();
        const step = e.key === 'ArrowRight' || e.key === 'ArrowDown' ? 1 : -1;
        const next = at < 0 ? (step > 0 ? 0 : order.length - 1) : Math.max(0, Math.min(order.length - 1, at + step));
        this.focusNode(order[next]);
        break;
      }
      case 'Home': case 'End':
        if (!order.length) return;
        e.preventDefault();
        this.focusNode(order[e.key === 'Home' ? 0 : order.length - 1]);
        break;
      case 'Escape':
        // interaction.js clears the selection (and with it the focus) on the window
        this.ui.setFocusNode(null);
        this.tabOut = true;
        break;
      case 'Enter': {
        const node = this.target();
        if (node && this.openTensor && this.scene.shown.shapes[node.id] != null) {  // a tensor: its matrix (#16 view)
          e.preventDefault();
          this.openTensor(node.id, 'value');
          break;
        }
        if (!node || this.ui.readOnly) return;
        e.preventDefault();
        this.editors.openNodeEditor(node);
        break;
      }
      case 'w': case 'W': {
        const node = this.target();
        if (!node || this.ui.readOnly) return;
        e.preventDefault();
        this.picker.open(node);
        break;
      }
      case 'o': case 'O': {
        const node = this.target();
        if (!node || this.ui.readOnly) return;
        e.preventDefault();
        this.actions.setOutput(node.id);
        break;
      }
      case 'Delete': case 'Backspace': {
        // interaction.js deletes the selection (the focused node); the focus then moves on
        if (at >= 0 && !this.ui.readOnly) this.followDelete = { gone: order[at], to: order[at + 1] ?? order[at - 1] ?? null };
        break;
      }
      default: break;
    }
  }

  /** The node the keys act on: the focused one, else the one node selected. */
  target() {
    const id = this.ui.focusNode ?? (this.ui.selection.nodes.size === 1 ? [...this.ui.selection.nodes][0] : null);
    return (id && this.scene.nodes.get(id)) || null;
  }

  /** Focus and select node `id`, and bring it into view if it is off screen. */
  focusNode(id) {
    this.ui.select([id]);
    this.ui.setFocusNode(id);
    this.announce(id);
    const n = this.scene.nodes.get(id);
    const size = this.viewSize();
    if (n && !intersects(nodeBounds(this.scene, n), this.camera.visibleWorld(size))) {
      const c = nodeExtent(this.scene, n);
      const s = this.camera.toScreen({ x: c.cx, y: c.cy });
      this.camera.panBy(size.w / 2 - s.x, size.h / 2 - s.y);
    }
  }

  /** "count: Input, node 2 of 5, value 2", in words; the numbers are the server's texts. */
  announce(id) {
    const m = this.scene, n = m.nodes.get(id);
    if (!n) return;
    const order = nodeOrder(m);
    const spec = m.spec(n.op);
    const parts = [t('keys.focus.node', { name: m.name(n), op: localName(`op.${n.op}`, spec ? spec.title : n.op),
      n: order.indexOf(id) + 1, total: order.length })];
    const s = m.shown;
    const value = m.isInput(n) ? s.inputText[id] : s.valueText[id];
    if (value != null) parts.push(t('keys.focus.value', { value }));
    if (s.gradText[id] != null) parts.push(t('keys.focus.grad', { grad: s.gradText[id] }));
    if (id === m.output) parts.push(t('keys.focus.output'));
    this.status.textContent = parts.join(', ');
  }

  /** After a patch: the focus follows a deleted node's neighbour. */
  dataChanged() {
    const f = this.followDelete;
    if (f && !this.scene.nodes.has(f.gone)) {
      this.followDelete = null;
      if (f.to && this.scene.nodes.has(f.to) && document.activeElement === this.canvas) this.focusNode(f.to);
    }
  }

  // -- keys anywhere on the page -----------------------------------------------------------
  pageKey(e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing || isTyping(e.target)) return;
    if (e.key === '?') { e.preventDefault(); this.help.open(); return; }
    if (e.target.closest && e.target.closest('[role="dialog"], [role="listbox"], .menu')) return;
    if (e.key === '+' || e.key === '=' || e.key === '-') {
      const { w, h } = this.viewSize();
      this.camera.zoomAt({ x: w / 2, y: h / 2 }, e.key === '-' ? 1 / 1.25 : 1.25);
      e.preventDefault();
      return;
    }
    if (e.key === '0') { this.fitView(); e.preventDefault(); return; }
    const action = PAGE_KEYS[e.shiftKey ? e.key.toUpperCase() : e.key.toLowerCase()];  // Caps Lock is not Shift
    if (!action || this.ui.readOnly) return;
    e.preventDefault();
    action(this);
  }
}
