// Who else is here: our pointer (in world coordinates) and selection sent to the room,
// at most every SEND_MS and at least every HEARTBEAT_MS; the others' (ui.peers, drawn by
// the overlay) kept until they leave or go silent; and the header's list of people.
import { byTestId, el } from './dom.js';
import { onLanguageChange, t } from './i18n.js';

const SEND_MS = 60;          // presence at most this often (the server drops more than 20 a second)
const HEARTBEAT_MS = 4000;   // and at least this often, so others know we are still here
const SILENCE_MS = 10000;    // someone not heard from for this long has gone

export class Presence {
  /** connection: to send on; data and ui: what changes our selection; canvas: where the pointer is. */
  constructor({ connection, data, ui, camera, canvas }) {
    Object.assign(this, { connection, ui, camera, canvas });
    this.list = byTestId('presence-list');
    this.pointer = null;         // our pointer in world coordinates, or null off the canvas
    this.sentKey = null;         // what the last presence message said
    this.sentAt = 0;
    this.sendTimer = null;
    this.peopleKey = null;
    canvas.addEventListener('pointermove', (e) => {
      const r = canvas.getBoundingClientRect();  // fresh: the header may have changed height
      this.pointer = camera.toWorld({ x: e.clientX - r.left, y: e.clientY - r.top });
      this.send();
    });
    canvas.addEventListener('pointerleave', () => { this.pointer = null; this.send(); });
    ui.subscribe((kind) => {
      if (kind === 'selection') this.send();
      if (kind === 'peers') this.render();
    });
    data.subscribe((kind) => { if (kind === 'load' || kind === 'patch') this.send(); });  // the selection may have shrunk
    onLanguageChange(() => this.render(true));
    setInterval(() => this.tick(), 1000);
  }

  /** The join ack: tell the room we are here (again). */
  joined() {
    this.sentKey = null;
    this.send();
    this.render(true);
  }

  /** A `presence` message from someone else; a newcomer hears from us at once. */
  heard(msg) {
    if (this.ui.me && msg.sid === this.ui.me.sid) return;
    if (this.ui.setPeer(msg)) this.send(true);
  }

  left(msg) { this.ui.dropPeers([msg.sid]); }

  /** Send where our pointer is and what we have selected: when it changed, at most every SEND_MS. */
  send(force = false) {
    const c = this.connection;
    if (!c.joined || this.ui.deleted) return;
    const round = (v) => Math.round(v * 10) / 10;
    const msg = {
      graph_id: this.connection.graphId,
      x: this.pointer ? round(this.pointer.x) : null,
      y: this.pointer ? round(this.pointer.y) : null,
      selection: [...this.ui.selection.nodes],
    };
    const key = JSON.stringify(msg);
    if (key === this.sentKey && !force) return;
    const wait = this.sentAt + SEND_MS - performance.now();
    if (wait > 0) {
      if (!this.sendTimer) this.sendTimer = setTimeout(() => { this.sendTimer = null; this.send(force); }, wait);
      return;
    }
    this.sentKey = key;
    this.sentAt = performance.now();
    c.socket.emit('presence', msg);
  }

  tick() {
    const now = performance.now();
    this.ui.dropPeers([...this.ui.peers.values()].filter((p) => now - p.at > SILENCE_MS).map((p) => p.sid));
    if (now - this.sentAt > HEARTBEAT_MS) this.send(true);
  }

  /**
   * Who is here: our own colour dot (our name on hover), then everyone else's dot and
   * name; with two others or more only their dots (names on hover): the header is full.
   */
  render(always = false) {
    const { me, peers, deleted } = this.ui;
    const list = [...(me ? [{ ...me, you: true }] : []), ...peers.values()];
    const key = list.map((p) => `${p.sid}\u0000${p.name}\u0000${p.colour}`).join('\u0001') + (deleted ? 'x' : '');
    if (key === this.peopleKey && !always) return;
    this.peopleKey = key;
    const shown = deleted ? [] : list;
    const nameOf = (p) => (p.you ? t('collab.you', { name: p.name }) : p.name);
    this.list.replaceChildren(...shown.map((p) => {
      const dot = el('span', { class: 'presence-dot', 'aria-hidden': 'true' });
      dot.style.background = p.colour;
      return el('li', { class: 'presence-item', testid: 'presence-item', title: nameOf(p), dataset: { sid: p.sid, ...(p.you ? { you: '' } : {}) } },
        dot, el('span', { class: p.you ? 'presence-name sr-only' : 'presence-name' }, nameOf(p)));
    }));
    this.list.title = `${t('collab.presence')}: ${shown.map(nameOf).join(', ')}`;
    this.list.classList.toggle('compact', shown.length > 2);  // three or more: dots, names on hover
  }

  /** The others, for window.gradcanvas.snapshot(): where the page draws them. */
  snapshot() {
    const r = this.canvas.getBoundingClientRect();
    return [...this.ui.peers.values()].map((p) => {
      const s = p.x == null ? null : this.camera.toScreen(p);
      return {
        sid: p.sid, client: p.client, name: p.name, colour: p.colour, x: p.x, y: p.y,
        selection: [...p.selection], screen: s && { x: r.left + s.x, y: r.top + s.y },
      };
    });
  }
}
