// The Socket.IO client: acked requests, join and re-join, patches in version order,
// edits queued while offline, presence. `window.io` comes from /static/vendor/socket.io.min.js.
//
// Patches carry the graph's version. Through several server processes they can
// arrive out of order, so one that is ahead waits here until the gap fills; a gap
// still open after GAP_WAIT_MS means a patch was lost, and the client re-joins
// with `since` to get what it missed.
//
// What arrives is told through the one Store mechanism: subscribe((kind, detail) => …),
// then open(). Kinds: join (the ack), patch, step, state (messages in order), status
// ({status, detail}), error (text), history, presence, presence_leave, deleted,
// queue (how many edits wait), queued_refused ({edit, error}).
import { language, t } from './i18n.js';
import { Store } from './store.js';
import { refusalText } from './refusal.js';

const ACK_TIMEOUT_MS = 15000;
const GAP_WAIT_MS = 2000;
const CLIENT_KEY = 'gradcanvas.client';
const RATE_RETRIES = 5;
// -- #17 lecture: lecture mode's broadcasts, told under their own names --
const LECTURE_EVENTS = ['lecture', 'lecture_view', 'lecture_question', 'lecture_tally', 'lecture_result', 'lecture_mine'];   // a queued edit refused for the rate limit is tried again, a second later

/** This browser's persistent client id (8–64 chars): undo history survives a reload with it. */
export function clientId() {
  try {
    let id = localStorage.getItem(CLIENT_KEY);
    if (!id || id.length < 8 || id.length > 64) {
      id = newId();
      localStorage.setItem(CLIENT_KEY, id);
    }
    return id;
  } catch {
    return newId();  // storage disabled: this page's own id
  }
}

function newId() {
  if (window.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));  // randomUUID needs a secure context
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const jsonBytes = (value) => new TextEncoder().encode(JSON.stringify(value)).length;

export class Connection extends Store {
  /**
   * options: {token, name}: the page's token (edit or view) and a display name.
   * status is 'connecting' | 'connected' | 'reconnecting' (offline, or joining again) | 'deleted'.
   */
  constructor(graphId, { token = '', name = null, draft = null } = {}) {
    super();
    this.graphId = graphId;
    this.draft = draft;        // an example not stored yet: its id comes with the join, and its first edit stores it
    this.token = token;
    this.name = name;
    this.client = clientId();
    this.joined = false;       // the room is joined and the version is known
    this.version = null;       // the last version applied, in order
    this.ahead = new Map();    // version → patch that came before its predecessor
    this.gapTimer = null;
    this.heldState = null;     // a `state` (after reset) that is ahead of the patches we have
    this.queue = [];           // edit batches made while offline: [{ops, version}] (the wire's names)
    this.flushing = false;
    this.resync = false;       // an offline edit was refused: re-join for the whole graph afterwards
    this.limits = null;        // from the join ack
    this.role = null;
    this.me = null;
    this.gone = false;         // the graph was deleted: stop
    this.socket = null;
  }

  /** Open the socket: after everyone who listens has subscribed. */
  open() {
    this.socket = window.io({ transports: ['websocket'] });
    const s = this.socket;
    s.on('connect', () => this.join());
    s.on('disconnect', () => {
      this.joined = false;
      if (this.leaving) return;
      // A draft lives only as long as its connection: the next join makes a fresh one.
      if (this.draft) { this.graphId = ''; this.version = null; }
      this.status(this.gone ? 'deleted' : 'reconnecting');
    });
    s.on('connect_error', () => this.status('reconnecting'));
    s.on('patch', (msg) => this.mine(msg) && this.patch(msg));
    s.on('step', (msg) => this.mine(msg) && this.joined && this.notify('step', msg));
    s.on('state', (msg) => this.mine(msg) && this.state_(msg));
    s.on('presence', (msg) => this.mine(msg) && this.notify('presence', msg));
    s.on('presence_leave', (msg) => this.mine(msg) && this.notify('presence_leave', msg));
    s.on('deleted', (msg) => this.mine(msg) && this.deleted(msg));
    // -- #17 lecture: lecture mode's broadcasts (lecture.js) --
    for (const ev of LECTURE_EVENTS) s.on(ev, (msg) => this.mine(msg) && this.joined && this.notify(ev, msg));
    // The server's message queue was down: broadcasts may have been missed, so catch up from the store.
    s.on('resync', (msg) => (msg.graph_id == null || this.mine(msg)) && this.joined && this.join());
    this.status(s.connected ? 'connected' : 'connecting');
    return this;
  }

  mine(msg) { return msg && msg.graph_id === this.graphId; }

  status(status, detail) { this.notify('status', { status, detail }); }

  /**
   * Join the graph's room. The first time, the ack carries the whole graph; on a
   * re-join it carries the patches missed since our version (or the whole graph if
   * too far behind). Patches that raced the ack are applied after it, in order.
   */
  async join() {
    if (this.gone) return;
    this.joined = false;
    const payload = this.draft && !this.graphId ? { draft: this.draft, client: this.client, lang: language() }
      : { token: this.token, client: this.client };
    if (this.name) payload.name = this.name;
    if (this.version !== null) payload.since = this.version;
    this.status(this.version === null ? 'connecting' : 'reconnecting');
    let ack;
    try {
      ack = await this.send('join', payload);
    } catch (err) {
      this.status('reconnecting', String(err.message || err));
      return;
    }
    if (!ack.ok) { this.status('reconnecting', ack.error); this.notify('error', refusalText(ack)); return; }
    if (ack.draft) this.graphId = ack.graph_id;
    this.limits = ack.limits || this.limits;
    this.role = ack.role || this.role;
    this.me = ack.me || this.me;
    this.version = ack.version;
    this.joined = true;
    this.heldState = null;
    this.clearGap();
    this.notify('join', ack);  // (its history was told in send)
    this.drain();
    this.status('connected');
    this.flush();
  }

  /** A patch: applied if it is the next version, kept if it is ahead, dropped if already had. */
  patch(msg) {
    if (!this.joined || this.version === null) {  // joining: keep it for after the ack
      this.ahead.set(msg.version, msg);
      return;
    }
    if (msg.version <= this.version) return;
    this.ahead.set(msg.version, msg);
    this.drain();
  }

  /** Apply the kept patches that follow on; watch for a gap that does not fill. */
  drain() {
    for (const v of [...this.ahead.keys()]) if (v <= this.version) this.ahead.delete(v);
    let next;
    while (this.joined && (next = this.ahead.get(this.version + 1))) {
      this.ahead.delete(next.version);
      this.version = next.version;
      this.notify('patch', next);
    }
    const held = this.heldState;
    if (held && held.version <= this.version) { this.heldState = null; this.state_(held); }
    if (!this.ahead.size) { this.clearGap(); return; }
    if (!this.gapTimer) {
      this.gapTimer = setTimeout(() => {
        this.gapTimer = null;
        if (this.ahead.size && this.joined) this.join();  // a patch was lost: ask for what we missed
      }, GAP_WAIT_MS);
    }
  }

  /** A `state` broadcast (after reset): applied in its place among the patches. */
  state_(msg) {
    if (!this.joined) return;  // the join ack brings a newer one
    if (typeof msg.version === 'number' && msg.version > this.version) { this.heldState = msg; return; }
    if (typeof msg.version === 'number' && msg.version < this.version) return;  // newer patches carry it
    this.notify('state', msg);
  }

  /** What is shown does not fit a delta (another process's step raced it): start again from the whole graph. */
  resync() {
    if (!this.joined) return;
    this.joined = false;   // patches that arrive meanwhile wait for the join
    this.version = null;
    this.join();
  }

  clearGap() {
    if (this.gapTimer) { clearTimeout(this.gapTimer); this.gapTimer = null; }
  }

  deleted(msg) {
    this.gone = true;
    this.joined = false;
    this.queue = [];
    this.notify('queue', 0);
    this.socket.disconnect();
    this.notify('deleted', msg);
  }

  /**
   * The first edit of a draft stored it as this browser's own graph: open that graph, which
   * already holds the edit (and the stepping), at its own address.
   */
  promoted({ url }) {
    this.leaving = true;  // nothing more goes to the draft; leaving the page closes its socket
    window.location.replace(url);
  }

  /** Refuse before sending what the server would refuse for its size (it closes the connection). */
  tooBig(payload) {
    const max = this.limits && this.limits.max_message_bytes;
    if (!max) return null;
    const bytes = jsonBytes(payload);
    if (bytes <= max) return null;
    return t('collab.too_big', { bytes: bytes.toLocaleString('en'), max: max.toLocaleString('en') });
  }

  /** Emit `event` with the graph id added; resolves with the server's ack. */
  send(event, payload) {
    const body = this.draft && !this.graphId ? payload : { graph_id: this.graphId, ...payload };
    return new Promise((resolve, reject) => {
      const big = this.tooBig(body);
      if (big) { reject(new Error(big)); return; }
      if (!this.socket || !this.socket.connected) { reject(new Error('not connected to the server')); return; }
      this.socket.timeout(ACK_TIMEOUT_MS).emit(event, body, (err, ack) => {
        if (err) reject(new Error(`no reply from the server to '${event}'`));
        else {
          const reply = ack || { ok: false, error: 'empty reply from the server' };
          if (reply.history) this.notify('history', reply.history);
          if (reply.promoted) this.promoted(reply.promoted);
          resolve(reply);
        }
      });
    });
  }

  /** An acked request. Offline, only edits wait (see `edit`); everything else is refused at once. */
  request(event, payload = {}) {
    if (this.gone) return Promise.reject(new Error(t('collab.deleted_refused')));
    if (!this.joined && event !== 'edit') {
      const what = ['step', 'reset', 'tidy', 'update', 'undo', 'redo'].includes(event) ? t(`collab.what.${event}`) : event;
      return Promise.reject(new Error(t('collab.offline', { what })));
    }
    if (event === 'edit') return this.edit(payload);
    return this.send(event, payload);
  }

  /**
   * A batch of edits made against `version` (the wire calls them `ops`). Offline it is
   * queued, and sent in order after the re-join; the promise then resolves to
   * {ok: true, queued: true} at once.
   */
  edit({ ops: edits, version }) {
    const big = this.tooBig({ graph_id: this.graphId, ops: edits, version });
    if (big) return Promise.reject(new Error(big));
    if (this.joined && !this.queue.length) return this.send('edit', { version, ops: edits });
    this.queue.push({ ops: edits, version });
    this.notify('queue', this.queue.length);
    if (this.joined) this.flush();
    return Promise.resolve({ ok: true, queued: true });
  }

  /** Send the queued edits, in order, each with the version it was made against. */
  async flush() {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length && this.joined) {
        const q = this.queue[0];
        let ack;
        for (let tries = 0; ; tries++) {
          try {
            ack = await this.send('edit', { version: q.version, ops: q.ops });
          } catch (err) {
            if (!this.socket.connected) return;  // offline again: it stays first in the queue
            ack = { ok: false, error: String(err.message || err) };
          }
          if (ack.ok || !/^too many edits/.test(ack.error || '') || tries >= RATE_RETRIES) break;
          await new Promise((r) => setTimeout(r, 1000));
        }
        this.queue.shift();
        this.notify('queue', this.queue.length);
        if (!ack.ok) { this.resync = true; this.notify('queued_refused', { edit: q, error: refusalText(ack) }); }
      }
    } finally {
      this.flushing = false;
    }
    // What was shown while offline (a dragged node) may differ from the server's: start again from its word.
    if (this.resync && this.joined && !this.queue.length) { this.resync = false; this.version = null; this.join(); }
  }
}
