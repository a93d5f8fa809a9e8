// The UI state: what this page shows and does, never sent as the graph and never
// changed by a patch. Selection, hover, the wire and box being dragged, dragged
// nodes' positions until the server has them (the drag preview), the step being
// shown or played, read-only (role and deletion: the one source of truth), the
// connection's status, who else is here, the undo/redo and offline-queue counts, and
// how edges are labelled (numbers, symbols or both: this person's choice, remembered).
// Like Excalidraw's appState beside its elements: the server data is in state.js.
import { Store } from './store.js';

export const LABELS = ['numbers', 'symbols', 'both'];
const LABELS_KEY = 'gradcanvas.labels';

/**
 * The label mode this page starts with: `?labels=` in the URL (the Examples menu opens a
 * symbolic figure so), read once and taken out of the URL, else the person's last choice.
 */
export function initialLabels() {
  const url = new URL(window.location.href);
  const asked = url.searchParams.get('labels');
  if (asked !== null) {
    url.searchParams.delete('labels');
    window.history.replaceState(window.history.state, '', url);
    if (LABELS.includes(asked)) return asked;
  }
  try {
    const saved = localStorage.getItem(LABELS_KEY);
    if (LABELS.includes(saved)) return saved;
  } catch { /* storage may be disabled */ }
  return 'numbers';
}

export class UiState extends Store {
  constructor({ role = 'edit', labels = 'numbers' } = {}) {
    super();
    this.selection = { nodes: new Set(), edge: null };  // edge: edgeKey or null
    this.hoverNode = null;      // the node or port under the pointer (read by the overlay)
    this.hoverPort = null;
    this.wire = null;           // {source, from, to, target} while wiring
    this.box = null;            // {x0, y0, x1, y1} while box-selecting
    this.moved = new Map();     // drag preview: node id → {x, y} shown until the server moves it
    this.movedIds = 0;          // counts changes of moved's set of ids, for the scene view
    this.current = null;        // the step last played or playing: {phase, node, event}
    this.playing = null;        // the step event whose animation is running, if any
    this.role = role === 'view' ? 'view' : 'edit';
    this.deleted = false;       // the graph was deleted while open
    this.status = 'connecting'; // 'connecting' | 'connected' | 'reconnecting' | 'deleted'
    this.me = null;             // {sid, client, name, colour} from the join ack
    this.peers = new Map();     // sid → {sid, client, name, colour, x, y, selection, at}
    this.history = { can_undo: false, can_redo: false };
    this.queued = 0;            // edits waiting to be sent
    this.labels = LABELS.includes(labels) ? labels : 'numbers';  // what edges show: numbers, symbols, both
    this.focusNode = null;      // the node the keyboard is on (keyboard.js), ringed while the canvas has focus
  }

  /** No edits from this page: a view link, or a graph deleted while open. */
  get readOnly() { return this.role === 'view' || this.deleted; }

  // -- selection (local, never sent) --------------------------------------------------
  select(ids, { add = false } = {}) {
    if (!add) this.selection.nodes.clear();
    for (const id of ids) this.selection.nodes.add(id);
    this.selection.edge = null;
    this.notify('selection');
  }

  toggle(id) {
    const s = this.selection.nodes;
    if (s.has(id)) s.delete(id); else s.add(id);
    this.selection.edge = null;
    this.notify('selection');
  }

  selectEdge(key) {
    this.selection.nodes.clear();
    this.selection.edge = key;
    this.notify('selection');
  }

  clearSelection() {
    if (!this.selection.nodes.size && !this.selection.edge) return;
    this.selection.nodes.clear();
    this.selection.edge = null;
    this.notify('selection');
  }

  /** After the server data changed: forget what is no longer there; the step shown follows its cursor. */
  follow(data) {
    const s = this.selection;
    for (const id of [...s.nodes]) if (!data.nodes.has(id)) s.nodes.delete(id);
    if (s.edge && !data.edgeByKey(s.edge)) s.edge = null;
    for (const id of [...this.moved.keys()]) if (!data.nodes.has(id)) { this.moved.delete(id); this.movedIds++; }
    if (this.focusNode && !data.nodes.has(this.focusNode)) this.focusNode = null;
    const cur = data.shown.cursor;
    if (cur.phase === 'idle' || (this.current && this.current.phase !== cur.phase)) this.current = null;
  }

  /** The keyboard's node (an id, or null); notified also when the canvas gains or loses focus. */
  setFocusNode(id) { this.focusNode = id; this.notify('focus'); }

  // -- gestures ------------------------------------------------------------------------
  setHover(node, port) {
    this.hoverNode = node;
    this.hoverPort = port;
    this.notify('hover');
  }

  setWire(wire) { this.wire = wire; this.notify('gesture'); }

  setBox(box) { this.box = box; this.notify('gesture'); }

  /** Show nodes at `positions` (id → {x, y}) until the server's patch moves them. */
  preview(positions) {
    for (const [id, p] of positions) {
      if (!this.moved.has(id)) this.movedIds++;
      this.moved.set(id, { x: p.x, y: p.y });
    }
    this.notify('preview');
  }

  /** Stop showing `ids` (all when not given) where they were dragged. */
  dropPreview(ids = null) {
    if (!this.moved.size) return;
    let any = false;
    for (const id of ids ?? [...this.moved.keys()]) any = this.moved.delete(id) || any;
    if (any) { this.movedIds++; this.notify('preview'); }
  }

  // -- steps -----------------------------------------------------------------------------
  /** A step's animation starts (`event`) or ends (null); the step stays the one shown. */
  setPlaying(event) {
    this.playing = event;
    if (event) this.current = { phase: event.phase, node: event.node, event };
    this.notify('step');
  }

  /** The step on show when joining mid-run (the join ack's `current`): shown, not played. */
  showStep(event) {
    if (!event || this.playing) return;
    this.current = { phase: event.phase, node: event.node, event };
    this.notify('step');
  }

  // -- what the edges show ----------------------------------------------------------------
  /** Numbers, symbols or both on the edges: this person's choice, not the room's, remembered here. */
  setLabels(mode) {
    if (!LABELS.includes(mode) || mode === this.labels) return;
    this.labels = mode;
    try { localStorage.setItem(LABELS_KEY, mode); } catch { /* not remembered */ }
    this.notify('labels');
  }

  // -- the connection and the people on it ------------------------------------------------
  setRole(role) {
    this.role = role === 'view' ? 'view' : 'edit';
    this.notify('access');
  }

  markDeleted() {
    this.deleted = true;
    this.peers.clear();
    this.queued = 0;
    this.notify('access');
    this.notify('peers');
  }

  setStatus(status) { this.status = status; this.notify('status'); }

  setHistory(h) {
    this.history = { can_undo: !!h.can_undo, can_redo: !!h.can_redo };
    this.notify('history');
  }

  setQueued(n) { this.queued = n; this.notify('queued'); }

  setMe(me) { this.me = me; this.notify('peers'); }

  /** A presence message: returns true for someone new. */
  setPeer(msg) {
    const known = this.peers.has(msg.sid);
    const p = this.peers.get(msg.sid) || {};
    Object.assign(p, {
      sid: msg.sid, client: msg.client, name: msg.name, colour: msg.colour,
      x: typeof msg.x === 'number' ? msg.x : null, y: typeof msg.y === 'number' ? msg.y : null,
      selection: Array.isArray(msg.selection) ? msg.selection : [], at: performance.now(),
    });
    this.peers.set(msg.sid, p);
    this.notify('peers', { joined: !known });
    return !known;
  }

  dropPeers(sids) {
    let any = false;
    for (const sid of sids) any = this.peers.delete(sid) || any;
    if (any) this.notify('peers', { left: true });
  }
}

/**
 * What is drawn and hit-tested: the server data seen through the UI state, read-only.
 * It is the data object itself underneath (its methods and fields), with the selection,
 * the step shown and the label mode from the UI state, and dragged nodes at their preview positions
 * (copies: the server's node objects are never moved here).
 */
export function sceneView(data, ui) {
  let map = null, seenData = -1, seenIds = -1, seenMoves = -1;
  let dataChanges = 0, moves = 0;
  data.subscribe(() => { dataChanges++; });
  ui.subscribe((kind) => { if (kind === 'preview') moves++; });
  return Object.create(data, {
    selection: { get: () => ui.selection },
    current: { get: () => ui.current },
    labels: { get: () => ui.labels },
    nodes: {
      get() {
        if (!ui.moved.size) { map = null; return data.nodes; }
        if (map === null || seenData !== dataChanges || seenIds !== ui.movedIds) {
          map = new Map(data.nodes);  // a new map: the scene index rebuilds once
          for (const id of ui.moved.keys()) {
            const n = data.nodes.get(id);
            if (n) map.set(id, { ...n });
          }
          seenData = dataChanges; seenIds = ui.movedIds; seenMoves = -1;
        }
        if (seenMoves !== moves) {  // while dragging: the same copies move (shapes are cached per object)
          for (const [id, p] of ui.moved) {
            const copy = map.get(id);
            if (copy && copy !== data.nodes.get(id)) { copy.x = p.x; copy.y = p.y; }
          }
          seenMoves = moves;
        }
        return map;
      },
    },
  });
}
