// The read-only stepper's composition root (issue 17, "the stepper anywhere"): the embed
// (/embed/<id>), the single HTML file (export format=html) and the notebook's show() all
// run this page. It is the editor's own drawing and explaining (state.js's GraphModel,
// ui.js, camera.js, renderer.js, overlay.js, animation.js, explain.js, inspect.js) fed by
// steps the server computed ahead of time (server/export/stepper_data.py) instead of a
// socket: each reader steps privately (localsteps.js), and nothing is computed here.
//
// Options come from the page (the server's or the export's choice: body[data-*]) and, over
// them, from the URL: step=forward:3|forward:all|backward:2|backward:all|idle, labels=numbers|
// symbols|both, controls=0 (no step bar), theme=light|dark, speed=1…10, lang=en|ko|ja
// (read by i18n.js). docs/anywhere.md describes them.
import { Animator, startLoop } from './animation.js';
import { createCamera, fitOptions } from './camera.js';
import { byTestId, isTyping } from './dom.js';
import { ExplainPanel } from './explain.js';
import { graphBounds } from './geometry.js';
import { language, onLanguageChange, setLanguage, t, translate } from './i18n.js';
import { inspector } from './inspect.js';
import { LocalSteps, parseStepOption } from './localsteps.js';
import { sceneDrawer } from './pancache.js';
import { PanZoom } from './panzoom.js';
import { drawOverlay } from './overlay.js';
import { refusalText } from './refusal.js';
import { Layer } from './renderer.js';
import { GraphModel } from './state.js';
import { LABELS, UiState, sceneView } from './ui.js';

const payload = JSON.parse(document.getElementById('gradcanvas-steps').textContent);
const defaults = document.body.dataset;
const query = new URLSearchParams(window.location.search);
const option = (name) => query.get(name) ?? defaults[name] ?? null;
const off = (v) => ['0', 'false', 'no', 'off', 'none'].includes(String(v).toLowerCase());

// -- the options ------------------------------------------------------------------------------
if (!query.get('lang') && defaults.lang) setLanguage(defaults.lang);
translate();
document.documentElement.lang = language();
const labels = LABELS.includes(option('labels')) ? option('labels') : 'numbers';
document.body.dataset.theme = option('theme') === 'dark' ? 'dark' : 'light';
const speed = Math.min(10, Math.max(1, Number(option('speed')) || 4));
const bar = byTestId('step-bar');
bar.hidden = option('controls') !== null && off(option('controls'));

// -- the stores: the server data, the UI state (read-only), the view ------------------------------
const stage = byTestId('stage');
const canvas = byTestId('graph-canvas');
const data = new GraphModel(payload.graph_id || '');
const ui = new UiState({ role: 'view', labels });
ui.status = 'local';  // no connection: the steps came with the page
const camera = createCamera();
const scene = sceneView(data, ui);
data.subscribe(() => ui.follow(data));
data.setOps(payload.ops || []);
data.load({ graph: payload.graph, version: 0, state: payload.state });

const local = new LocalSteps(payload);
const animator = new Animator({ scene, data, ui, getSpeed: () => speed });
const layers = { scene: new Layer(stage.querySelector('.layer-scene')), overlay: new Layer(canvas) };
const drawSceneLayer = sceneDrawer(layers.scene);
const explain = new ExplainPanel(byTestId('explain-panel'), scene);
const counter = byTestId('step-counter');
const errorBox = byTestId('error-message');
let userMoved = false;
const fitView = () => {
  const b = graphBounds(scene);
  const view = { w: layers.overlay.w || canvas.clientWidth, h: layers.overlay.h || canvas.clientHeight };
  if (b) camera.fit(b, view, fitOptions(view, navigator.maxTouchPoints > 0));
};
new PanZoom({ canvas, scene, ui, camera, onUser: () => { userMoved = true; } });

// -- the steps: this reader's own, played as the room's broadcasts are ---------------------------
function showError(message) {
  errorBox.querySelector('.error-text').textContent = message;
  errorBox.hidden = false;
}
errorBox.querySelector('.error-close').addEventListener('click', () => { errorBox.hidden = true; });

function play(direction, count) {
  errorBox.hidden = true;
  let events;
  try { events = local.step(direction, count); } catch (refusal) { showError(refusalText(refusal, String(refusal))); return; }
  for (const ev of events) animator.enqueue(ev);
}

function reset() {
  errorBox.hidden = true;
  animator.clear();
  local.reset();
  data.applyState({ state: payload.state });
}

const on = (id, fn) => byTestId(id).addEventListener('click', fn);
on('step-forward', () => play('forward', 1));
on('step-backward', () => play('backward', 1));
on('run-forward', () => play('forward', 'all'));
on('run-backward', () => play('backward', 'all'));
on('reset', reset);
on('fit-view', () => { userMoved = false; fitView(); });
// The editor's step keys (docs/keyboard.md): F/B a step, Shift+F/B a pass, Shift+R reset.
window.addEventListener('keydown', (e) => {
  if (bar.hidden || e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
  const key = e.key.toLowerCase();
  if (key === 'f' || key === 'b') play(key === 'f' ? 'forward' : 'backward', e.shiftKey ? 'all' : 1);
  else if (key === 'r' && e.shiftKey) reset();
  else return;
  e.preventDefault();
});

// The start position (step=…): shown at once, as a page that joins a room mid-run shows it.
const start = local.seek(parseStepOption(option('step')));
for (const ev of start) data.applyStep(ev);
if (start.length) ui.showStep(start[start.length - 1]);

// -- dirty flags and the one loop ------------------------------------------------------------------
const dirty = { scene: true, view: true, overlay: true, panels: true };
const mark = (...names) => { for (const n of names) dirty[n] = true; };
data.subscribe(() => mark('scene', 'overlay', 'panels'));
ui.subscribe(() => mark('scene', 'overlay', 'panels'));
camera.subscribe(() => mark('view', 'overlay'));
onLanguageChange(() => mark('scene', 'overlay', 'panels'));

function refreshPanels() {
  dirty.panels = false;
  const { phase, step, total } = (ui.playing && ui.playing.cursor) || data.shown.cursor;
  counter.textContent = phase === 'idle' ? t('toolbar.idle') : t(`toolbar.counter.${phase}`, { step, total });
  counter.dataset.phase = phase;
  explain.refresh();
}

function resize() {
  layers.scene.resize();
  layers.overlay.resize();
  if (!userMoved) fitView();
  mark('scene', 'overlay');
}
new ResizeObserver(resize).observe(stage);
resize();
fitView();

startLoop((now) => {
  if (animator.tick(now)) mark('overlay');
  if (window.devicePixelRatio !== layers.scene.dpr) resize();
  if (dirty.scene || dirty.view) {
    drawSceneLayer(scene, camera, dirty.scene);
    dirty.scene = dirty.view = false;
  }
  if (dirty.overlay) {
    dirty.overlay = false;
    drawOverlay(layers.overlay, scene, camera, ui, animator.tokens(now));
  }
  if (dirty.panels) refreshPanels();
});

// window.gradcanvas as the editor has it (snapshot, timeRedraw …), with no socket behind it.
const inspect = inspector({
  scene, ui, camera, canvas, layers, animator, fitView, drawSceneLayer,
  presence: { snapshot: () => [] },
  connection: { graphId: payload.graph_id || null, send: () => { throw new Error('the stepper has no server'); } },
});
window.gradcanvas = Object.freeze({
  ...inspect,
  snapshot: () => ({ ...inspect.snapshot(), stepper: true, cursor: { ...local.at } }),
});
document.body.dataset.ready = 'true';
