// The stepper's private cursor (issue 17, "the stepper anywhere"): the embed, the single
// HTML file and the notebook step through steps the server computed ahead of time
// (server/export/stepper_data.py), for this page alone. Nothing is computed here: each step
// is one of the server's `step` events, played into the editor's own GraphModel exactly as
// a room's viewer plays the room's broadcasts, so every position shows what the editor shows.
// The rules are the server's cursor's (server/service/cursor.py): forward after backward
// starts over, backward first finishes the forward pass, reset hides everything.

/** `step=` in the URL: 'idle', 'forward:3', 'forward:all', 'backward:2', 'backward:all' (also 'end'). */
export function parseStepOption(text) {
  if (!text) return null;
  const s = String(text).trim().toLowerCase();
  if (s === 'idle' || s === 'start') return { phase: 'idle', count: 0 };
  if (s === 'end') return { phase: 'backward', count: 'all' };
  const m = /^(forward|backward)(?::(all|\d+))?$/.exec(s);
  if (!m) return null;
  const count = m[2] === undefined || m[2] === 'all' ? 'all' : Number(m[2]);
  return { phase: m[1], count };
}

export class LocalSteps {
  /** steps: the server's payload ({forward, backward, backward_refusal, state}). */
  constructor(steps) {
    this.fwd = steps.forward || [];
    this.bwd = steps.backward || [];
    this.refusal = steps.backward_refusal || null;
    this.idleState = steps.state;
    this.at = { phase: 'idle', step: 0, total: this.fwd.length };
  }

  /**
   * The events to play for a step request, the cursor moved past them; as the server's
   * StepCursor.step. Throws the server's refusal ({error, reason, params}) when stepping
   * backward has nothing to step.
   */
  step(direction, count = 1) {
    const c = this.at;
    const out = [];
    if (direction === 'backward' && !this.bwd.length) {
      throw this.refusal || { error: 'cannot step backward' };
    }
    const limit = count === 'all' ? Infinity : count;
    if (direction === 'forward' && c.phase === 'backward') { c.phase = 'idle'; c.step = 0; }
    if (c.phase === 'idle') Object.assign(c, { phase: 'forward', step: 0, total: this.fwd.length });
    if (direction === 'backward' && c.phase === 'forward') {
      while (c.step < this.fwd.length) out.push(this.reveal(this.fwd));  // backward needs every value
      Object.assign(c, { phase: 'backward', step: 0, total: this.bwd.length });
    }
    const events = direction === 'forward' ? this.fwd : this.bwd;
    for (let taken = 0; taken < limit && c.step < events.length; taken++) out.push(this.reveal(events));
    return out;
  }

  reveal(events) {
    const c = this.at;
    const event = events[c.step];
    c.step += 1;
    c.total = events.length;
    return { ...event, cursor: { ...c } };
  }

  reset() { this.at = { phase: 'idle', step: 0, total: this.fwd.length }; }

  /** The events that lead from idle to the `step=` option's position (clamped to what there is). */
  seek(option) {
    this.reset();
    if (!option || option.phase === 'idle') return [];
    if (option.phase === 'backward' && !this.bwd.length) return this.step('forward', 'all');
    if (option.count !== 'all' && option.count < 1) {  // forward:0 is idle; backward:0 is forward's end
      return option.phase === 'forward' ? [] : this.step('forward', 'all');
    }
    if (option.phase === 'backward') return [...this.step('forward', 'all'), ...this.step('backward', option.count)];
    return this.step('forward', option.count);
  }
}
