// Edit and step requests: what the interaction and the toolbar ask of the server.
// An edit is one change, {type: 'connect', …}; a batch of them goes in one `edit`
// request (the wire's field is `ops`). Nothing here changes the server data: the
// server's `patch`/`step`/`state` broadcasts do.
import { cornerFor } from './geometry.js';
import { refusalText } from './refusal.js';

// Not w or b: they read as a weight and a bias (a new input is asked for its name anyway).
const INPUT_NAMES = ['x', 'y', 'z', 'u', 'v', 's', 't', 'p', 'q'];

export class Actions {
  /** data: the server data (versions, ids); ui: the selection; connection: where requests go. */
  constructor({ data, ui, connection, showError }) {
    this.data = data;
    this.ui = ui;
    this.conn = connection;
    this.showError = showError;
  }

  /** Send an ack'ed request; on refusal show the server's message. Resolves to the ack or null. */
  async send(event, payload) {
    try {
      const ack = await this.conn.request(event, payload);
      if (!ack.ok) { this.showError(refusalText(ack, 'refused by the server')); return null; }
      return ack;
    } catch (err) {
      this.showError(String(err.message || err));
      return null;
    }
  }

  /** Send a batch of edits, made against the version this page has. */
  async edit(edits) {
    if (!edits.length) return null;
    // The data's version moves only with the patches, applied in order (socket.js): an ack
    // can overtake its own patch when they come through different server processes.
    return this.send('edit', { version: this.data.version, ops: edits });
  }

  /** A fresh readable id: inputs get x, y, z, …; ops get mul1, mul2, … */
  newId(op) {
    const taken = this.data.nodes;
    if (op === 'input') {
      const free = INPUT_NAMES.find((n) => !taken.has(n));
      if (free) return free;
    }
    for (let i = 1; ; i++) if (!taken.has(`${op}${i}`)) return `${op}${i}`;
  }

  /** Add an `op` node centred on world point `at` (placement.js checks the point shows first). */
  addNode(op, at, id = this.newId(op)) {
    const node = { id, op };
    const corner = cornerFor(this.data, node, at);
    node.x = Math.round(corner.x);
    node.y = Math.round(corner.y);
    return this.edit([{ type: 'add_node', node }]);
  }

  connect(source, target, port) {
    return this.edit([{ type: 'connect', source, target, port }]);
  }

  moveNodes(moves) {
    return this.edit(moves.map(({ id, x, y }) => ({ type: 'move_node', id, x: Math.round(x), y: Math.round(y) })));
  }

  /** Delete the selected nodes, or disconnect the selected edge. */
  deleteSelection() {
    const sel = this.ui.selection;
    if (sel.edge) {
      const e = this.data.edgeByKey(sel.edge);
      if (e) return this.edit([{ type: 'disconnect', target: e.target, port: e.port }]);
    }
    const ids = [...sel.nodes].filter((id) => this.data.nodes.has(id));
    return this.edit(ids.map((id) => ({ type: 'remove_node', id })));
  }

  /** Commit an inline edit: {label?, value?, params?} for node `id`; only what changed is sent. */
  changeNode(id, { label, value, params }) {
    const node = this.data.nodes.get(id);
    if (!node) return null;
    const edits = [];
    if (label !== undefined && (label || null) !== (node.label || null)) edits.push({ type: 'set_label', id, label: label || null });
    if (value !== undefined && value !== node.value) edits.push({ type: 'set_value', id, value });
    if (params && Object.keys(params).length) edits.push({ type: 'set_params', id, params });
    return this.edit(edits);
  }

  setOutput(id) { return this.edit([{ type: 'set_output', id }]); }

  step(direction, count = 1) { return this.send('step', { direction, count }); }

  reset() { return this.send('reset', {}); }

  /** `count` gradient-descent steps of the trainable inputs, done by the server as one edit (socket event `update`). */
  train(count = 1) { return this.send('update', { count }); }

  // -- #16 train --
  /** The dataset's next batch into x and t, without an update (socket event `next_batch`). */
  nextBatch() { return this.send('next_batch', {}); }
  // -- end #16 train --
}

/** Read what a person typed as a number; anything else is sent as typed so the server explains. */
export function parseNumber(text) {
  const t = text.trim().replace(/\u2212/g, '-');
  const n = t === '' ? NaN : Number(t);
  return Number.isFinite(n) ? n : text;
}
