// Wires the editor together: model, camera, layers, connection, interaction, panels.
import { Actions } from './actions.js';
import { Animator, startLoop } from './animation.js';
import { createCamera } from './camera.js';
import { Collab } from './collab.js';
import { Editors } from './editors.js';
import { ErrorMessage, ExplainPanel } from './explain.js';
import { Files } from './files.js';
import { FormulaBox } from './formula.js';
import { Gallery } from './gallery.js';
import { edgeCurve, graphBounds, inputPorts, intersects, nodeBounds, outputPort } from './geometry.js';
import { CheckPanel } from './gradcheck.js';
import { t } from './i18n.js';
import { Interaction } from './interaction.js';
import { LearnPanel } from './learn.js';
import { languageSwitch } from './language.js';
import { Palette, fetchOps } from './palette.js';
import { drawOverlay, drawPresence } from './overlay.js';
import { Layer, drawScene, labelAnchor, labelLayout } from './renderer.js';
import { Connection } from './socket.js';
import { GraphModel } from './state.js';
import { Toolbar } from './toolbar.js';

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

const graphId = document.body.dataset.graphId;
const model = new GraphModel(graphId);
const camera = createCamera();
const stage = byTestId('stage');
const overlayCanvas = byTestId('graph-canvas');
overlayCanvas.dataset.i18nLabel = 'canvas.label';  // translate() relabels it on a language change
const scene = new Layer(stage.querySelector('.layer-scene'));
const overlay = new Layer(overlayCanvas);
const view = { rect: overlayCanvas.getBoundingClientRect() };

const errorMessage = new ErrorMessage(byTestId('error-message'));
const showError = (msg) => errorMessage.show(msg);

let toolbar = null;
const animator = new Animator(model, () => (toolbar ? toolbar.speed : 4));
let joinedOnce = false;
let connected = false;
let collab = null;  // collab.js: undo/redo, presence, share, view-only, offline edits

const connection = new Connection(graphId, {
  onJoin(ack) {
    animator.clear();
    if (ack.missed) model.applyMissed(ack); else model.load(ack);  // a re-join gets what it missed
    collab?.joined(ack);
    if (!joinedOnce) { joinedOnce = true; fitView(); }
  },
  onPatch(msg) { animator.clear(); model.applyPatch(msg); },
  onStep(msg) { animator.enqueue(msg); },
  onState(msg) { animator.clear(); model.applyState(msg); },
  onStatus(status) {
    connected = status === 'connected';
    toolbar?.setConnection(status === 'deleted' ? t('collab.deleted_status') : status);
    collab?.showQueue(collab.queued);  // 'offline: …' or 'sending …'
  },
  onError: showError,
  onHistory: (history) => collab?.setHistory(history),
  onPresence: (msg) => collab?.presence(msg),
  onPresenceLeave: (msg) => collab?.presenceLeave(msg),
  onDeleted: () => collab?.deleted(),
  onQueue: (n) => collab?.showQueue(n),
  onQueuedRefused: (edit, error) => collab?.queuedRefused(edit, error),
}, { token: document.body.dataset.token || '' });

const actions = new Actions(model, connection, showError);
toolbar = new Toolbar(document.querySelector('.topbar'), { actions, model, fitView });
toolbar.setConnection(connection.socket.connected ? 'connected' : 'connecting');
new Files({ topbar: document.querySelector('.topbar'), stage, model, graphId, showError });
languageSwitch(byTestId('language'));
new FormulaBox(byTestId('formula-form'), { showError });
new Gallery(document.querySelector('.topbar'), { showError });
new CheckPanel(byTestId('check-panel'), { button: byTestId('check-gradients'), model, graphId });
const explain = new ExplainPanel(byTestId('explain-panel'), model);
const learn = new LearnPanel(byTestId('learn-panel'), { model, actions });
const focusCanvas = () => overlayCanvas.focus({ preventScroll: true });
const editors = new Editors({ host: byTestId('floating'), model, camera, actions, focusCanvas });
const interaction = new Interaction({ canvas: overlayCanvas, model, camera, actions, view, editors });
collab = new Collab({ graphId, topbar: document.querySelector('.topbar'), stage, canvas: overlayCanvas, view, model, camera,
  actions, interaction, showError, role: document.body.dataset.role });
collab.attach(connection);

function fitView() {
  const b = graphBounds(model);
  if (b) camera.fit(b, { w: overlay.w || overlayCanvas.clientWidth, h: overlay.h || overlayCanvas.clientHeight });
  model.markDirty('scene', 'overlay');
}

const palette = new Palette(byTestId('palette'), {
  dropAt(op, clientX, clientY) {
    if (collab.readOnly) return;
    const r = overlayCanvas.getBoundingClientRect();
    if (clientX < r.left || clientX > r.right || clientY < r.top || clientY > r.bottom) return;
    actions.addNode(op, camera.toWorld({ x: clientX - r.left, y: clientY - r.top }));
  },
  addAtCentre(op) {
    if (collab.readOnly) return;
    actions.addNode(op, camera.toWorld({ x: overlay.w / 2, y: overlay.h / 2 }));
  },
});
fetchOps().then((ops) => {
  model.ops = new Map(ops.map((o) => [o.name, o]));
  palette.render(ops);
  model.markDirty();
}).catch((err) => showError(t('palette.failed', { error: err.message })));

// -- layout ----------------------------------------------------------------------------
function resize() {
  scene.resize();
  overlay.resize();
  view.rect = overlayCanvas.getBoundingClientRect();
  model.markDirty('scene', 'overlay');
}
new ResizeObserver(resize).observe(stage);
window.addEventListener('resize', resize);
window.addEventListener('scroll', () => { view.rect = overlayCanvas.getBoundingClientRect(); }, true);
resize();

// -- the one animation loop ----------------------------------------------------------------
startLoop((now) => {
  animator.tick(now);
  if (window.devicePixelRatio !== scene.dpr) resize();
  const d = model.dirty;
  if (d.scene) { d.scene = false; drawScene(scene, model, camera); }
  if (d.overlay) {
    d.overlay = false;
    drawOverlay(overlay, model, camera, interaction.ui, animator.tokens(now));
    drawPresence(overlay, model, camera, collab.others());
  }
  if (d.panels) { d.panels = false; toolbar.update(); explain.update(); learn.update(); }
});

// -- read-only view for tests and tools -----------------------------------------------------
function snapshot() {
  const r = overlayCanvas.getBoundingClientRect();
  const page = (p) => { const s = camera.toScreen(p); return { x: r.left + s.x, y: r.top + s.y }; };
  const s = model.shown;
  const nodes = [...model.nodes.values()].map((n) => {
    const b = nodeBounds(model, n);
    const tl = page({ x: b.minX, y: b.minY }), br = page({ x: b.maxX, y: b.maxY });
    const isInput = model.isInput(n);
    return {
      id: n.id, op: n.op, label: n.label ?? null,
      value: isInput ? n.value : (s.values[n.id] ?? null),
      grad: s.grads[n.id] ?? null,
      value_text: isInput ? (s.inputText[n.id] ?? null) : (s.valueText[n.id] ?? null),
      grad_text: s.gradText[n.id] ?? null,
      x: n.x, y: n.y, params: n.params ? { ...n.params } : null,
      screen: { x: tl.x, y: tl.y, w: br.x - tl.x, h: br.y - tl.y, cx: (tl.x + br.x) / 2, cy: (tl.y + br.y) / 2 },
      ports: { inputs: inputPorts(model, n).map(page), output: page(outputPort(model, n)) },
      selected: model.selection.nodes.has(n.id), error: model.errors[n.id] ?? null, trainable: !!n.trainable,
    };
  });
  const edges = model.edges.map((e) => {
    const c = edgeCurve(model, e);
    const layout = c ? labelLayout(c, e.valueText, e.gradText) : {};
    const box = (b) => {
      if (!b) return null;
      const p = page({ x: b.cx, y: b.cy });
      const w = b.w * camera.scale, h = b.h * camera.scale;
      return { x: p.x - w / 2, y: p.y - h / 2, w, h };
    };
    return {
      source: e.source, target: e.target, port: e.port, value: e.value, grad: e.grad,
      value_text: e.valueText, grad_text: e.gradText, mid: c ? page(labelAnchor(c).mid) : null,
      labels: { value: box(layout.value), grad: box(layout.grad) },
    };
  });
  const { phase, step, total } = s.cursor;
  return {
    graph_id: graphId, version: model.version, phase, step, total, output: model.output,
    current: model.current ? model.current.node : null,
    nodes, edges, selection: { nodes: [...model.selection.nodes], edge: model.selection.edge },
    learning: {
      learning_rate: model.learning.learningRate, learning_rate_text: model.learning.learningRateText,
      trainable: [...model.learning.trainable], losses: [...model.learning.losses], loss_text: model.learning.lossText,
      chart_points: Number(byTestId('loss-chart')?.dataset.points ?? 0),
    },
    animating: animator.busy, pending: animator.pending, connected,
    camera: { scale: camera.scale, offset: { ...camera.offset } }, dpr: window.devicePixelRatio || 1,
    title: model.title, ...collab.snapshot(),  // role, deleted, me, history, queued, presence
  };
}

/**
 * For benchmarks/render.py: time `repeats` full redraws of both layers at a given zoom.
 * The view is fitted, then zoomed to `scale` (if given) about the screen centre; with
 * `busy`, it is then centred on the median node, so big graphs show nodes, not the
 * empty middle of their bounding box.
 */
function timeRedraw(repeats = 20, scale = null, busy = false) {
  fitView();
  if (scale != null) {
    const c = { x: overlay.w / 2, y: overlay.h / 2 };
    camera.zoomAt(c, scale / camera.scale);
  }
  if (busy && model.nodes.size) {
    const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
    const ns = [...model.nodes.values()];
    const at = camera.toScreen({ x: median(ns.map((n) => n.x)), y: median(ns.map((n) => n.y)) });
    camera.panBy(overlay.w / 2 - at.x, overlay.h / 2 - at.y);
  }
  const times = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    drawScene(scene, model, camera);
    drawOverlay(overlay, model, camera, interaction.ui, []);
    scene.ctx?.getImageData?.(0, 0, 1, 1);  // wait for the GPU/raster work, not just the calls
    times.push(performance.now() - t0);
  }
  model.markDirty('scene', 'overlay');
  const v = camera.visibleWorld({ w: overlay.w, h: overlay.h });
  const visible = [...model.nodes.values()].filter((n) => intersects(nodeBounds(model, n), v)).length;
  return { times, scale: camera.scale, nodes: model.nodes.size, edges: model.edges.length, visible };
}

/** Send a request through this page's socket as it is, past the UI's own checks (tests: the server must refuse). */
const emit = (event, payload = {}) => connection.send(event, payload);

window.gradcanvas = Object.freeze({ snapshot, timeRedraw, emit });
