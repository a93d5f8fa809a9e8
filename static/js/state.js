// The server data: the graph as the server says it, changed ONLY by the server's
// messages (the join ack, patches, `state` broadcasts and played `step` events) and
// the op table it serves. It keeps the wire's names. Selection, hover, the step being
// shown and read-only are the UI state's (ui.js); the camera is the view's (camera.js).
// Values and gradients live ON the edge objects (like LiteGraph's link.data).
import { Store } from './store.js';

const IDLE = Object.freeze({ phase: 'idle', step: 0, total: 0 });

const numberOrNull = (v) => (v == null ? null : Number(v));  // #16 train: an accuracy the graph could not give is null
const emptyLearning = () => ({ learningRate: null, learningRateText: null, trainable: [], losses: [], lossText: null,
  accuracy: [], accuracyText: null, dataset: null });  // #16 train: the accuracy curve and the dataset

export const edgeKey = (target, port) => `${target}\u0000${port}`;

// A state delta's map paths (docs/protocol.md, "State deltas") → the `shown` map each changes.
const SHOWN_MAPS = {
  values: 'values', grads: 'grads',
  'display.values': 'valueText', 'display.grads': 'gradText', 'display.inputs': 'inputText',
  'display.symbols': 'symbols', 'display.value_symbols': 'valueSymbol', 'display.grad_symbols': 'gradSymbol',
  'display.grad_sums': 'gradSum', 'display.exact.values': 'valueExact', 'display.exact.grads': 'gradExact',
  'display.shapes': 'shapes',  // #16 view: a tensor node's shape, "(4, 3)"
};

/** A map's change {set, unset}, made to `map` in place. */
function patchMap(map, { set = {}, unset = [] }) {
  for (const k of unset) delete map[k];
  Object.assign(map, set);
}

/** A list's change {at, cut, put}: a new list. */
const splice = (list, { at, cut, put }) => [...list.slice(0, at), ...put, ...list.slice(at + cut)];

/** An edge of the state ({value, value_text, …}) into our edge object's fields. */
function fillEdge(e, se) {
  e.value = se.value; e.grad = se.grad;
  e.valueText = se.value_text ?? null; e.gradText = se.grad_text ?? null;
  e.valueExact = se.value_exact ?? null; e.gradExact = se.grad_exact ?? null;
  e.valueSymbol = se.value_symbol ?? null; e.gradSymbol = se.grad_symbol ?? null;
  e.shape = se.shape ?? null;  // #16 view: "(4, 3)" on an edge from a tensor node (structure: every step)
  return e;
}

function newEdge(source, target, port) {
  return {
    source, target, port, value: null, grad: null, valueText: null, gradText: null, valueSymbol: null, gradSymbol: null,
    shape: null,
  };
}

export class GraphModel extends Store {
  constructor(graphId) {
    super();
    this.graphId = graphId;
    this.title = '';
    this.version = 0;
    this.ops = new Map();        // op name → spec from GET /api/ops
    this.nodes = new Map();      // id → {id, op, label, value, params, x, y}
    this.edges = [];             // [{source, target, port, value, grad, valueText, gradText, valueSymbol, gradSymbol, shape}]
    this._index = null;          // cached lookups over `edges`
    this.shown = this.emptyShown();
    this.errors = {};            // node id → message
    this.affected = new Set();   // downstream of a numerical fault
    this.output = null;          // the output node (explicit or the single sink)
    this.outputError = null;
    this.outputProblem = null;
    this.totals = { forward: 0, backward: 0 };
    this.order = [];             // computable node ids in topological (forward) order, the server's
    this.learning = emptyLearning();  // state.learning: rate, trainable ids, loss curve (server's)
  }

  emptyShown() {
    return {
      cursor: { ...IDLE },
      values: {}, grads: {},          // node id → raw number (revealed)
      valueText: {}, gradText: {},    // node id → display string from the server
      valueExact: {}, gradExact: {},  // node id → the exact number's string, where noise shows as 0
      valueSymbol: {}, gradSymbol: {},  // node id → its name ("z") / its gradient's ("∂L/∂z"), when revealed
      gradSum: {},                    // fan-out id → its gradient as the sum of its terms, when revealed
      inputText: {},                  // input id → its own value's display string
      symbols: {},                    // op id → its symbol when params shape it ("^2")
      shapes: {},                     // tensor node id → its value's shape "(4, 3)", at every step (#16)
    };
  }

  // -- reading -----------------------------------------------------------------
  spec(op) { return this.ops.get(op); }

  arity(op) {
    const spec = this.ops.get(op);
    return spec ? spec.arity : (op === 'input' ? 0 : 2);
  }

  isInput(node) { return this.arity(node.op) === 0; }

  name(node) { return node.label || node.id; }

  // The edge list is replaced, never mutated in place, so its indexes can be cached.
  get edges() { return this._edges; }

  set edges(list) { this._edges = list; this._index = null; }

  index() {
    if (!this._index || this._index.edges !== this._edges) {  // (a scene view of this model shares it)
      const byKey = new Map(), pairs = new Map();
      for (const e of this._edges) {
        byKey.set(edgeKey(e.target, e.port), e);
        const pair = edgeKey(e.source, e.target);
        if (!pairs.has(pair)) pairs.set(pair, []);
        pairs.get(pair).push(e);
      }
      for (const list of pairs.values()) list.sort((a, b) => a.port - b.port);
      this._index = { edges: this._edges, byKey, pairs };
    }
    return this._index;
  }

  edgeByKey(key) { return this.index().byKey.get(key) || null; }

  edgeInto(target, port) { return this.edgeByKey(edgeKey(target, port)); }

  /** Edges sharing both ends with `edge` (x*x feeds both ports of one mul), sorted by port. */
  siblings(edge) { return this.index().pairs.get(edgeKey(edge.source, edge.target)) || [edge]; }

  // -- server messages: each notifies once, (kind, detail) ---------------------------
  /** GET /api/ops: the op table (op name → spec). */
  setOps(ops) {
    this.ops = new Map(ops.map((o) => [o.name, o]));
    this.notify('ops');
  }

  /** The join ack: {graph, version, state}. Replaces everything. */
  load({ graph, version, state }) {
    const retitled = (graph.title || '') !== this.title;
    this.title = graph.title || '';
    this.version = version;
    this.nodes = new Map(graph.nodes.map((n) => [n.id, { ...n }]));
    this.edges = graph.edges.map((e) => newEdge(e.source, e.target, e.port));
    this.applyVisible(state);
    this.notify('load', { retitled });
  }

  /**
   * A `patch` broadcast: {version, ops, state} or {version, ops, delta, base_cursor}. A delta is
   * made against the state at `base_cursor`: false (nothing applied) if ours is elsewhere.
   */
  applyPatch({ version, ops: edits, state, delta, base_cursor: base }) {
    if (delta && !this.isAt(base)) return false;
    const title = this.title, output = this.output;
    for (const edit of edits) this.applyEdit(edit);
    this.version = Math.max(this.version, version);
    if (delta) { this.output = output; this.applyDelta(delta); } else this.applyVisible(state);
    this.notify('patch', { edits, retitled: this.title !== title });
    return true;
  }

  /** Whether what is shown is at the cursor `base` (a delta's base). */
  isAt(base) {
    const c = this.shown.cursor;
    return !!base && c.phase === base.phase && c.step === base.step;
  }

  /** A re-join's ack: {missed: [{version, ops}], version, state}, the patches missed while away. */
  applyMissed({ missed, version, state }) {
    const title = this.title;
    const edits = missed.flatMap((m) => m.ops);
    for (const edit of edits) this.applyEdit(edit);
    this.version = version;
    this.applyVisible(state);
    this.notify('patch', { edits, retitled: this.title !== title });
  }

  /** One edit of a patch ({type: 'connect', …}), as the server applied it. */
  applyEdit(edit) {
    switch (edit.type) {
      case 'add_node': this.nodes.set(edit.node.id, { ...edit.node }); break;
      case 'remove_node':
        this.nodes.delete(edit.id);
        this.edges = this.edges.filter((e) => e.source !== edit.id && e.target !== edit.id);
        break;
      case 'move_node': this.withNode(edit.id, (n) => { n.x = edit.x; n.y = edit.y; }); break;
      case 'connect':
        this.edges = [...this.edges.filter((e) => !(e.target === edit.target && e.port === edit.port)),
          newEdge(edit.source, edit.target, edit.port)];
        break;
      case 'disconnect':
        this.edges = this.edges.filter((e) => !(e.target === edit.target && e.port === edit.port));
        break;
      case 'set_value': this.withNode(edit.id, (n) => { n.value = edit.value; }); break;
      case 'set_label': this.withNode(edit.id, (n) => { n.label = edit.label || undefined; }); break;
      case 'set_params': this.withNode(edit.id, (n) => { n.params = { ...edit.params }; }); break;
      case 'set_output': this.output = edit.id; break;
      case 'set_trainable':  // the canvas marks parameters: the scene redraws (every change redraws it)
        this.withNode(edit.id, (n) => { if (edit.trainable) n.trainable = true; else delete n.trainable; });
        break;
      case 'set_learning_rate': break;  // the rate shown is the state's learning.learning_rate_text
      case 'set_title': this.title = edit.title || ''; break;  // the page's title follows (a 'title' change)
      case 'set_dataset': break;  // #16 train: shown from the state's learning.dataset
      default: console.warn('gradcanvas: unknown edit in a patch', edit);
    }
  }

  withNode(id, fn) {
    const n = this.nodes.get(id);
    if (n) fn(n);
  }

  /** A `state` broadcast (after reset): {version, state} or {version, delta, base_cursor}; false as applyPatch. */
  applyState({ version, state, delta, base_cursor: base }) {
    if (delta && !this.isAt(base)) return false;
    if (typeof version === 'number') this.version = Math.max(this.version, version);
    if (delta) this.applyDelta(delta); else this.applyVisible(state);
    this.notify('state');
    return true;
  }

  /** A state delta (docs/protocol.md, "State deltas"): only what changed, into the same model. */
  applyDelta(delta) {
    for (const [path, change] of Object.entries(delta)) {
      if (path in SHOWN_MAPS) patchMap(this.shown[SHOWN_MAPS[path]], change);
      else if (path === 'errors') { this.errors = { ...this.errors }; patchMap(this.errors, change); }
      else if (path === 'edges') this.applyEdgesDelta(change);
      else if (path === 'order') this.order = splice(this.order, change);
      else if (path === 'affected') this.affected = new Set(splice([...this.affected], change));
      else if (path === 'cursor') this.shown.cursor = { ...IDLE, ...change };
      else if (path === 'output') this.output = change ?? null;
      else if (path === 'output_error') this.outputError = change ?? null;
      else if (path === 'output_problem') this.outputProblem = change ?? null;
      else if (path === 'forward_total') this.totals = { ...this.totals, forward: change ?? 0 };
      else if (path === 'backward_total') this.totals = { ...this.totals, backward: change ?? 0 };
      else if (path.startsWith('learning.')) this.applyLearningDelta(path.slice(9), change);
      else console.warn('gradcanvas: unknown path in a state delta', path);
    }
  }

  applyEdgesDelta({ set = [], unset = [], order }) {
    let list = this.edges, copied = false;
    const own = () => { if (!copied) { list = [...list]; copied = true; } };
    if (unset.length) {
      const gone = new Set(unset.map(([t, p]) => edgeKey(t, p)));
      list = list.filter((e) => !gone.has(edgeKey(e.target, e.port)));
      copied = true;
    }
    // (a value edit: the cached index finds the edges, no map of them all is built)
    const byKey = copied ? new Map(list.map((e) => [edgeKey(e.target, e.port), e])) : this.index().byKey;
    for (const se of set) {
      const e = byKey.get(edgeKey(se.target, se.port));
      if (!e) {
        own(); list.push(fillEdge(newEdge(se.source, se.target, se.port), se));
      } else if (e.source !== se.source) {
        own(); list[list.indexOf(e)] = fillEdge(newEdge(se.source, se.target, se.port), se);
      } else fillEdge(e, se);  // the same edge, new numbers: changed in place
    }
    if (order) {
      const byKey = new Map(list.map((e) => [edgeKey(e.target, e.port), e]));
      list = order.map(([t, p]) => byKey.get(edgeKey(t, p))).filter(Boolean);
      copied = true;
    }
    if (copied) this.edges = list;
  }

  applyLearningDelta(field, change) {
    const l = { ...this.learning };
    if (field === 'learning_rate') l.learningRate = change ?? null;
    else if (field === 'learning_rate_text') l.learningRateText = change ?? null;
    else if (field === 'trainable') l.trainable = splice(l.trainable, change);
    else if (field === 'losses') l.losses = splice(l.losses, { ...change, put: change.put.map(Number) });
    else if (field === 'loss_text') l.lossText = change ?? null;
    // -- #16 train --
    else if (field === 'accuracy') l.accuracy = splice(l.accuracy, { ...change, put: change.put.map(numberOrNull) });
    else if (field === 'accuracy_text') l.accuracyText = change ?? null;
    else if (field === 'dataset') l.dataset = change ?? null;
    // -- end #16 train --
    this.learning = l;
  }

  /** The whole visible state: the server's word on what is revealed. */
  applyVisible(st) {
    const d = st.display || {};
    this.shown = {
      cursor: { ...IDLE, ...st.cursor },
      values: { ...st.values }, grads: { ...st.grads },
      valueText: { ...(d.values || {}) }, gradText: { ...(d.grads || {}) },
      valueExact: { ...((d.exact && d.exact.values) || {}) }, gradExact: { ...((d.exact && d.exact.grads) || {}) },
      valueSymbol: { ...(d.value_symbols || {}) }, gradSymbol: { ...(d.grad_symbols || {}) },
      gradSum: { ...(d.grad_sums || {}) },   // fan-out id → "∂L/∂a = … + …", once its step is shown
      inputText: { ...(d.inputs || {}) },
      symbols: { ...(d.symbols || {}) },
      shapes: { ...(d.shapes || {}) },
    };
    // The state's edge list is complete: keep our edge objects, refresh their data.
    const old = new Map(this.edges.map((e) => [edgeKey(e.target, e.port), e]));
    this.edges = (st.edges || []).map((se) => {
      let e = old.get(edgeKey(se.target, se.port));
      if (!e || e.source !== se.source) e = newEdge(se.source, se.target, se.port);
      return fillEdge(e, se);
    });
    this.errors = { ...(st.errors || {}) };
    this.affected = new Set(st.affected || []);
    this.output = st.output ?? null;
    this.outputError = st.output_error ?? null;
    this.outputProblem = st.output_problem ?? null;  // {reason, params, error}: said by refusal.js
    this.totals = { forward: st.forward_total ?? 0, backward: st.backward_total ?? 0 };
    this.order = [...(st.order || [])];
    const l = st.learning;
    this.learning = l ? {
      learningRate: l.learning_rate ?? null, learningRateText: l.learning_rate_text ?? null,
      trainable: [...(l.trainable || [])], losses: (l.losses || []).map(Number), lossText: l.loss_text ?? null,
      accuracy: (l.accuracy || []).map(numberOrNull), accuracyText: l.accuracy_text ?? null,  // #16 train
      dataset: l.dataset ?? null,
    } : emptyLearning();
  }

  /** Reveal one played `step` event: its node's value or grad, and its edges'. */
  applyStep(ev) {
    const s = this.shown;
    if (ev.phase === 'forward' && (ev.index === 1 || s.cursor.phase === 'backward')) {
      this.clearRevealed({ values: true, grads: true });
    } else if (ev.phase === 'backward' && ev.index === 1) {
      this.clearRevealed({ values: false, grads: true });
    }
    if (ev.phase === 'forward') {
      s.values[ev.node] = ev.value;
      s.valueText[ev.node] = ev.value_text;
      s.valueSymbol[ev.node] = ev.value_symbol ?? null;
      if (ev.shape != null) s.shapes[ev.node] = ev.shape;  // (#16 view) the state has it already
      if (ev.value_exact != null) s.valueExact[ev.node] = ev.value_exact; else delete s.valueExact[ev.node];
      for (const se of ev.edges || []) {
        const e = this.edgeInto(se.target, se.port);
        if (e) {
          e.value = se.value; e.valueText = se.value_text; e.valueExact = se.value_exact ?? null;
          e.valueSymbol = se.value_symbol ?? null;
        }
      }
    } else {
      s.grads[ev.node] = ev.grad;
      s.gradText[ev.node] = ev.grad_text;
      s.gradSymbol[ev.node] = ev.grad_symbol ?? null;
      if (ev.grad_sum != null) s.gradSum[ev.node] = ev.grad_sum;
      if (ev.grad_exact != null) s.gradExact[ev.node] = ev.grad_exact; else delete s.gradExact[ev.node];
      for (const se of ev.edges || []) {
        const e = this.edgeInto(se.target, se.port);
        if (e) {
          e.grad = se.grad; e.gradText = se.grad_text; e.gradExact = se.grad_exact ?? null;
          e.gradSymbol = se.grad_symbol ?? null;
        }
      }
    }
    s.cursor = { ...IDLE, ...(ev.cursor || { phase: ev.phase, step: ev.index, total: ev.total }) };
    this.notify('step', ev);
  }

  clearRevealed({ values, grads }) {
    const s = this.shown;
    if (values) { s.values = {}; s.valueText = {}; s.valueExact = {}; s.valueSymbol = {}; }
    if (grads) { s.grads = {}; s.gradText = {}; s.gradExact = {}; s.gradSymbol = {}; s.gradSum = {}; }
    for (const e of this.edges) {
      if (values) { e.value = null; e.valueText = null; e.valueSymbol = null; }
      if (grads) { e.grad = null; e.gradText = null; e.gradSymbol = null; }
    }
  }
}
