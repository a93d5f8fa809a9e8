// Step playback and the one requestAnimationFrame loop.
// Step events from the server are queued and played one after another at the
// speed control's rate: forward, a black token runs along each outgoing edge and
// then the value stays written above it; backward, a gray token runs against each
// incoming edge and then the gradient stays written below it.
import { edgeCurve, outputStub } from './geometry.js';

/** Milliseconds per step for the speed control's value (1 slow … 10 fast). */
export function stepDuration(speed) {
  return Math.round(2400 * Math.pow(0.68, Math.max(1, Math.min(10, speed)) - 1));
}

export class Animator {
  /** scene: the data as drawn (for the edges' curves); data: revealed at each step's end; ui: the step playing. */
  constructor({ scene, data, ui, getSpeed }) {
    Object.assign(this, { scene, data, ui, getSpeed });
    this.queue = [];
    this.playing = null;     // {event, start, duration}
  }

  get busy() { return this.playing !== null || this.queue.length > 0; }

  get pending() { return this.queue.length + (this.playing ? 1 : 0); }

  enqueue(event) { this.queue.push(event); }

  /** Reveal at once what is playing and queued: a state delta is made against where the steps end. */
  finish() {
    const events = [...(this.playing ? [this.playing.event] : []), ...this.queue];
    this.clear();
    for (const ev of events) this.data.applyStep(ev);
  }

  /** Drop everything queued: a full state from the server supersedes it. */
  clear() {
    this.queue = [];
    this.playing = null;
    if (this.ui.playing) this.ui.setPlaying(null);
  }

  curves(event) {
    const m = this.scene;
    const curves = (event.edges || []).map((se) => {
      const e = m.edgeInto(se.target, se.port);
      return e && edgeCurve(m, e);
    }).filter(Boolean);
    if (event.node === m.output) {
      const stub = outputStub(m);
      if (stub) curves.push(stub);
    }
    return curves;
  }

  /** Advance by the clock; returns true while something moves. */
  tick(now) {
    if (this.playing && now - this.playing.start >= this.playing.duration) {
      const ev = this.playing.event;
      this.playing = null;
      this.data.applyStep(ev);
      this.ui.setPlaying(null);
    }
    if (!this.playing && this.queue.length) {
      const event = this.queue.shift();
      const full = stepDuration(this.getSpeed());
      const duration = this.curves(event).length ? full : full * 0.4;
      this.playing = { event, start: now, duration };
      this.ui.setPlaying(event);
    }
    return this.playing !== null;
  }

  /** The tokens to draw now: [{curve, phase, progress}]. */
  tokens(now) {
    if (!this.playing) return [];
    const { event, start, duration } = this.playing;
    const progress = duration ? Math.min(1, Math.max(0, (now - start) / duration)) : 1;
    return this.curves(event).map((curve) => ({ curve, phase: event.phase, progress }));
  }
}

/** One rAF loop for the page: `frame(now)` is called every frame and draws only what is dirty. */
export function startLoop(frame) {
  const loop = (now) => {
    try { frame(now); } catch (err) { console.error(err); }
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
}
