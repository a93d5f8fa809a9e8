// Lecture mode (docs/lecture.md): what the server says of the room's lecture, and following it.
// The server decides who presents, who has control and which question is open; this store keeps
// its word (`lecture`, `lecture_question`, `lecture_tally`, `lecture_result`, `lecture_mine`) and
// one choice of this page's own: following the one in control, or exploring alone.
//
// Following: the controller's camera (the world rectangle it shows) and highlighted node arrive as
// `lecture_view`; a follower shows the same rectangle, fitted to its own canvas, and selects the
// node. A pan, zoom or selection of one's own while following turns following off (exploring);
// follow() turns it back on and jumps to the controller's last view. The controller sends its own
// view when it changes, at most every VIEW_MS. The step cursor needs nothing here: it is the room's.
import { MAX_SCALE, fitOptions } from './camera.js';
import { refusalText } from './refusal.js';
import { Store } from './store.js';

const VIEW_MS = 60;  // the controller's camera at most ~16 times a second (the server relays 20 a second)

export class Lecture extends Store {
  /** connection: requests; ui: selection and me; camera: the view; viewSize(): the canvas's {w, h}. */
  constructor({ connection, ui, camera, viewSize, showError }) {
    super();
    Object.assign(this, { connection, ui, camera, viewSize, showError });
    this.state = null;        // {active, presenter, controller, question} from the server, or null
    this.following = true;    // this page's choice: follow the one in control, or explore
    this.view = null;         // the controller's last {camera, node}
    this.tally = null;        // {round, counts: [{answer, value, count}], total}: the open round's answers
    this.result = null;       // {round, node, kind, truth, counts, right, wrong, total} after a reveal
    this.mine = null;         // {round, answer, truth, correct}: this person's own result
    this.sent = null;         // {round, answer}: the answer this page sent to the open round
    this.applying = false;    // a view being applied: the camera's and selection's changes are not ours
    this.sendTimer = null;
    this.sentAt = 0;
    camera.subscribe(() => this.viewChanged());
    ui.subscribe((kind) => { if (kind === 'selection') this.viewChanged(); });
  }

  // -- who is who ------------------------------------------------------------------------
  get active() { return !!this.state; }
  get mySid() { return this.ui.me ? this.ui.me.sid : null; }
  get presenting() { return this.active && this.state.presenter.sid === this.mySid; }
  get controlling() { return this.active && this.state.controller.sid === this.mySid; }
  /** Whether this page shows what the controller shows now. */
  get followingNow() { return this.active && !this.controlling && this.following; }
  get question() { return this.active ? this.state.question : null; }

  // -- the server's word -----------------------------------------------------------------
  /** The join ack (a page joining mid-lecture), or a `lecture` broadcast. */
  set(lecture) {
    const was = this.state;
    this.state = lecture && lecture.active ? lecture : null;
    if (!this.state) { this.tally = null; this.sent = null; }
    if (!was && this.state) this.following = true;  // a new lecture: everyone starts following
    if (lecture && lecture.view) this.view = lecture.view;
    const q = this.question;
    if (!q || (this.sent && this.sent.round !== q.round)) this.sent = null;
    if (q && this.tally && this.tally.round !== q.round) this.tally = null;
    if (this.controlling) this.sendView(true);
    else if (this.followingNow && this.view) this.apply(this.view);
    this.notify('lecture');
  }

  joined(ack) { this.set(ack.lecture || null); }

  heard(kind, msg) {
    switch (kind) {
      case 'lecture': this.set(msg.lecture); break;
      case 'lecture_view':
        this.view = { camera: msg.camera, node: msg.node };
        if (this.followingNow) this.apply(this.view);
        break;
      case 'lecture_question':
        this.result = null; this.mine = null; this.sent = null;
        this.tally = { round: msg.round, counts: [], total: 0 };
        if (this.state) this.state = { ...this.state, question: { round: msg.round, node: msg.node, kind: msg.kind } };
        this.notify('lecture');
        break;
      case 'lecture_tally': this.tally = msg; this.notify('lecture'); break;
      case 'lecture_result': this.result = msg; this.tally = null; this.notify('lecture'); break;
      case 'lecture_mine': this.mine = msg; this.notify('lecture'); break;
      default: break;
    }
  }

  // -- following ---------------------------------------------------------------------------
  /** Show the controller's world rectangle, fitted to this canvas (centred), and select its node. */
  apply(view) {
    const c = view.camera, v = this.viewSize();
    this.applying = true;
    try {
      if (c && v.w > 0 && v.h > 0) {
        const cam = this.camera;
        // a phone follows the middle of the rectangle at a legible zoom, as its own Fit would (camera.js)
        const least = fitOptions(v, navigator.maxTouchPoints > 0).minScale;
        cam.scale = Math.min(MAX_SCALE, Math.max(least, Math.min(v.w / c.w, v.h / c.h)));
        cam.offset.x = v.w / 2 / cam.scale - c.cx;
        cam.offset.y = v.h / 2 / cam.scale - c.cy;
        cam.notify('camera');
      }
      if (view.node) this.ui.select([view.node]); else this.ui.clearSelection();
    } finally {
      this.applying = false;
    }
  }

  /** Follow the one in control again (one click), at their last view. */
  follow() {
    this.following = true;
    if (this.view && this.followingNow) this.apply(this.view);
    this.notify('lecture');
  }

  explore() {
    if (!this.following) return;
    this.following = false;
    this.notify('lecture');
  }

  /** Our camera or selection changed: a follower's own move means exploring; a controller's is sent. */
  viewChanged() {
    if (this.applying || !this.active) return;
    if (this.controlling) this.sendView();
    else if (this.following) this.explore();
  }

  /** The view this page shows: the world rectangle and the one selected node. */
  ownView() {
    const v = this.viewSize();
    const a = this.camera.toWorld({ x: 0, y: 0 }), b = this.camera.toWorld({ x: v.w, y: v.h });
    const round = (x) => Math.round(x * 10) / 10;
    const nodes = [...this.ui.selection.nodes];
    return {
      camera: { cx: round((a.x + b.x) / 2), cy: round((a.y + b.y) / 2), w: round(b.x - a.x), h: round(b.y - a.y) },
      node: nodes.length === 1 ? nodes[0] : null,
    };
  }

  /** Send our view to the followers, at most every VIEW_MS (the last one always goes). */
  sendView(now = false) {
    if (!this.controlling || !this.connection.joined) return;
    const wait = now ? 0 : this.sentAt + VIEW_MS - performance.now();
    if (wait > 0) {
      if (!this.sendTimer) this.sendTimer = setTimeout(() => { this.sendTimer = null; this.sendView(true); }, wait);
      return;
    }
    const v = this.viewSize();
    if (!(v.w > 0 && v.h > 0)) return;
    this.sentAt = performance.now();
    this.connection.send('lecture_view', this.ownView()).catch(() => {});  // a lost view: the next one follows
  }

  // -- requests ------------------------------------------------------------------------------
  async request(event, payload = {}) {
    try {
      const ack = await this.connection.request(event, payload);
      if (!ack.ok) { this.showError(refusalText(ack, 'refused by the server')); return null; }
      return ack;
    } catch (err) {
      this.showError(String(err.message || err));
      return null;
    }
  }

  async start() {
    const ack = await this.request('lecture_start');
    if (ack) this.set(ack.lecture);
  }

  /** An editor takes over a running lecture (its presenter gone): this page presents it now. */
  async takeOver() {
    const ack = await this.request('lecture_start', { take_over: true });
    if (ack) this.set(ack.lecture);
  }

  stop() { return this.request('lecture_stop'); }

  /** The name this page is shown by: kept by the browser, and told to the server by joining again. */
  rename(name) {
    const clean = String(name || '').trim().slice(0, 40);
    if (!clean || clean === this.connection.name) return;
    localStorage.setItem('gradcanvas.name', clean);
    this.connection.name = clean;
    if (this.connection.joined) this.connection.join();
  }

  hand(sid) { return this.request('lecture_control', { sid }); }

  ask(kind) {
    const nodes = [...this.ui.selection.nodes];
    if (nodes.length !== 1) return null;
    return this.request('lecture_ask', { node: nodes[0], kind });
  }

  async answer(text) {
    const q = this.question;
    if (!q) return;
    const ack = await this.request('lecture_answer', { round: q.round, answer: text });
    if (ack) { this.sent = { round: ack.round, answer: ack.answer }; this.notify('lecture'); }
  }

  reveal() {
    const q = this.question;
    return q ? this.request('lecture_reveal', { round: q.round }) : null;
  }

  dismiss() { this.result = null; this.mine = null; this.notify('lecture'); }

  /** For window.gradcanvas.snapshot(). */
  snapshot() {
    const s = this.state;
    return {
      active: this.active, presenting: this.presenting, controlling: this.controlling,
      following: this.followingNow, exploring: this.active && !this.controlling && !this.following,
      presenter: s ? s.presenter.name : null, controller: s ? s.controller.name : null,
      controller_sid: s ? s.controller.sid : null, question: this.question ? { ...this.question } : null,
      tally: this.tally ? this.tally.counts.map((c) => [c.answer, c.count]) : null,
      result: this.result ? { truth: this.result.truth, right: this.result.right, wrong: this.result.wrong, total: this.result.total } : null,
      mine: this.mine ? { ...this.mine } : null, sent: this.sent ? this.sent.answer : null,
      view: this.view ? { ...this.view } : null,
    };
  }
}
