// The composition root. Everything is made in dependency order, nothing is referenced
// before it exists, and the socket opens last, once every listener is in place:
//   1. three stores: the server data (state.js), the UI state (ui.js), the view (camera.js);
//   2. the connection and the requests sent through it;
//   3. the panels, canvas interaction and header pieces, which read the stores;
//   4. the server's messages routed into the stores, the stores' changes into dirty flags;
//   5. the one requestAnimationFrame loop, window.gradcanvas, and then the socket.
import { Actions } from './actions.js';
import { Animator, startLoop } from './animation.js';
import { createCamera, fitOptions } from './camera.js';
import { byTestId } from './dom.js';
import { Editors } from './editors.js';
import { ErrorMessage, ExplainPanel } from './explain.js';
import { Files } from './files.js';
import { FormulaBox } from './formula.js';
import { Gallery } from './gallery.js';
import { graphBounds } from './geometry.js';
import { CheckPanel } from './gradcheck.js';
import { History } from './history.js';
import { onLanguageChange, t } from './i18n.js';
import { inspector } from './inspect.js';
import { Interaction } from './interaction.js';
import { Keyboard } from './keyboard.js';
import { LearnPanel } from './learn.js';
import { Lecture } from './lecture.js';  // #17 lecture
import { LecturePanel } from './lecturepanel.js';  // #17 lecture
import { languageSwitch } from './language.js';
import { Palette, fetchOps } from './palette.js';
import { Drawers } from './drawers.js';
import { Placement } from './placement.js';
import { Presence } from './presence.js';
import { PracticeView } from './practiceview.js';  // -- #17 practice
import { drawOverlay, drawPresence } from './overlay.js';
import { Narration } from './narration.js';
import { sceneDrawer } from './pancache.js';
import { Layer, drawFocusRing } from './renderer.js';
import { Share } from './share.js';
import { Connection } from './socket.js';
import { GraphModel } from './state.js';
import { TableView } from './table.js';
import { TensorDialog } from './tensordialog.js';
import { TitleEditor } from './titleedit.js';
import { Toolbar } from './toolbar.js';
import { UiState, initialLabels, sceneView } from './ui.js';

const { graphId, role, token, draft } = document.body.dataset;
const topbar = document.querySelector('.topbar');
const stage = byTestId('stage');
const canvas = byTestId('graph-canvas');

// -- 1. the three stores ---------------------------------------------------------------------
const data = new GraphModel(graphId);          // changed only by the server's messages
const ui = new UiState({ role, labels: initialLabels() });  // selection, hover, step shown, read-only, labels
const camera = createCamera();                 // the view
const scene = sceneView(data, ui);             // the data as drawn: what renderers and hit tests read
data.subscribe((kind, detail) => {             // the UI state follows the server's word first
  ui.follow(data);
  if (kind === 'load') ui.dropPreview();
  else if (kind === 'patch') ui.dropPreview(detail.edits.filter((e) => e.type === 'move_node').map((e) => e.id));
});

// -- 2. the connection and the requests ----------------------------------------------------
const errorMessage = new ErrorMessage(byTestId('error-message'));
const showError = (msg) => errorMessage.show(msg);
// The name others see (presence, a lecture's hand-over list and its answers): ?name=, else the one
// this browser last gave (lecturepanel.js keeps it).
const givenName = new URLSearchParams(window.location.search).get('name') || localStorage.getItem('gradcanvas.name');
const connection = new Connection(graphId, { token: token || '', draft: draft || null, name: givenName || null });
const currentGraph = () => connection.graphId;  // a draft's id arrives with its join
const actions = new Actions({ data, ui, connection, showError });

// -- 3. what reads the stores ----------------------------------------------------------------
const layers = { scene: new Layer(stage.querySelector('.layer-scene')), overlay: new Layer(canvas) };
const drawSceneLayer = sceneDrawer(layers.scene);
const fitView = () => {
  const b = graphBounds(scene);
  const view = { w: layers.overlay.w || canvas.clientWidth, h: layers.overlay.h || canvas.clientHeight };
  if (b) camera.fit(b, view, fitOptions(view, navigator.maxTouchPoints > 0));
};
const toolbar = new Toolbar(document.body, { actions, data, ui, fitView });  // the header and the step bar
new Files({ topbar, stage, model: scene, graphId: currentGraph, showError });
languageSwitch(byTestId('language'));
new FormulaBox(byTestId('formula-form'), { showError });
new Gallery(topbar, { showError });
new CheckPanel(byTestId('check-panel'), { button: byTestId('check-gradients'), model: data, graphId: currentGraph });
const explain = new ExplainPanel(byTestId('explain-panel'), scene);
const learn = new LearnPanel(byTestId('learn-panel'), { model: scene, actions });
const narration = new Narration(byTestId('narration'), scene);
const table = new TableView({ button: byTestId('table-view'), panel: byTestId('graph-table-panel'), model: scene });
const focusCanvas = () => canvas.focus({ preventScroll: true });
const editors = new Editors({ host: byTestId('floating'), model: scene, camera, actions, focusCanvas });
const drawers = new Drawers({ canvas });
// -- #16 view: the whole matrix, opened from the canvas, the keyboard and the explanation --
const tensorDialog = new TensorDialog({ graphId: currentGraph, model: scene });
const openTensor = (node, of, edge = null) => tensorDialog.open(node, of, edge);
explain.openTensor = openTensor;
// -- #16 view end --
// placement.addAt(op, world): the one way to add a node (refused where it would not show)
const placement = new Placement({ canvas, stage, layer: layers.overlay, camera, ui, data: scene, actions, editors, showError });
new Interaction({ canvas, scene, ui, camera, actions, editors, placement, openTensor });
const palette = new Palette(byTestId('palette'), {
  dropAt: (op, x, y) => placement.addAtClient(op, x, y),
  addAtCentre: (op) => placement.addAtCentre(op),
  arm(op, item) { placement.arm(op, item); if (placement.armed) drawers.closePalette(); },
  press() { editors.close(); },
});
const keyboard = new Keyboard({  // palette, node focus, wires and steps by keyboard (issue 14)
  canvas, palette: byTestId('palette'), scene, ui, camera, actions, editors, showError, fitView, placement,
  host: byTestId('floating'), viewSize: () => ({ w: layers.overlay.w, h: layers.overlay.h }), openTensor,
});
new TitleEditor(byTestId('graph-title'), { data, ui, actions });
const presence = new Presence({ connection, data, ui, camera, canvas });
const history = new History({ ui, actions, showError });
new Share({ graphId: currentGraph, ui });
const animator = new Animator({ scene, data, ui, getSpeed: () => toolbar.speed });
// -- #17 practice: fill-in blanks of this page only; the canvas draws its texts while practising --
const practice = new PracticeView({
  stage, bar: document.querySelector('.narration-bar'), scene, camera, graphId: currentGraph,
  changed: () => mark('scene', 'overlay', 'panels'), showError,
});
Object.defineProperty(scene, 'practice', { get: () => practice.texts });
// -- end #17 practice --
// -- #17 lecture: follow the one in control; predict, then reveal --
const lecture = new Lecture({ connection, ui, camera, showError,
  viewSize: () => ({ w: layers.overlay.w || canvas.clientWidth, h: layers.overlay.h || canvas.clientHeight }) });
new LecturePanel({ lecture, ui, scene });
// -- end #17 lecture --

// -- 4. the server's messages into the stores; the stores' changes into dirty flags -----------
let fitted = false;
connection.subscribe((kind, msg) => {
  switch (kind) {
    case 'join':
      animator.clear();
      if (msg.missed) data.applyMissed(msg); else data.load(msg);  // a re-join gets what it missed
      ui.showStep(msg.current);  // joined mid-run: the step on show, as those who watched it see it
      if (msg.me) ui.setMe(msg.me);
      if (msg.role) ui.setRole(msg.role);
      presence.joined();
      if (!fitted) { fitted = true; fitView(); }
      practice.joined();  // -- #17 practice: ?practice= starts once the graph is here
      lecture.joined(msg);  // #17 lecture: after the fit, so a follower starts at the presenter's view
      break;
    // A delta is made against where the steps end; one that does not fit what is shown asks for the whole graph.
    case 'patch':
      if (msg.delta) animator.finish(); else animator.clear();
      if (data.applyPatch(msg)) ui.showStep(msg.current); else connection.resync();
      break;
    case 'step': animator.enqueue(msg); break;
    case 'state':
      if (msg.delta) animator.finish(); else animator.clear();
      if (!data.applyState(msg)) connection.resync();
      break;
    case 'status': ui.setStatus(msg.status); break;
    case 'error': showError(msg); break;
    case 'history': ui.setHistory(msg); break;
    case 'presence': presence.heard(msg); break;
    case 'presence_leave': presence.left(msg); break;
    case 'deleted': ui.markDeleted(); break;
    case 'queue': ui.setQueued(msg); break;
    case 'queued_refused': history.refused(msg); break;
    case 'lecture': case 'lecture_view': case 'lecture_question': case 'lecture_tally':  // #17 lecture
    case 'lecture_result': case 'lecture_mine': lecture.heard(kind, msg); break;
    default: break;
  }
});

const dirty = { scene: true, view: true, overlay: true, panels: true };
const mark = (...layerNames) => { for (const l of layerNames) dirty[l] = true; };
const refreshPanels = () => {
  dirty.panels = false; toolbar.refresh(); explain.refresh(); learn.refresh(); narration.refresh(); table.refresh();
};
const ALL = ['scene', 'overlay', 'panels'];
const UI_DIRTY = {
  selection: ALL, step: ALL, access: ALL, labels: ALL, preview: ['scene', 'overlay'],
  hover: ['overlay'], gesture: ['overlay'], peers: ['overlay'], focus: ['overlay'],
};
data.subscribe((kind, detail) => {
  mark(...ALL);
  if (kind === 'load' || detail?.retitled) toolbar.showTitle();
  keyboard.dataChanged();
});
ui.subscribe((kind) => {
  mark(...(UI_DIRTY[kind] || []));
  if (kind === 'status') toolbar.showConnection();
});
camera.subscribe(() => mark('view', 'overlay'));  // a pan or zoom: the scene itself is unchanged
onLanguageChange(() => {  // at once, as the page's static text is: no frame shows two languages
  mark('scene', 'overlay');
  toolbar.showConnection();
  refreshPanels();
});

fetchOps().then((ops) => {
  data.setOps(ops);
  palette.render(ops);
}).catch((err) => showError(t('palette.failed', { error: err.message })));

// -- 5. layout, the one animation loop, window.gradcanvas, the socket --------------------------
function resize() {
  layers.scene.resize();
  layers.overlay.resize();
  mark('scene', 'overlay');
}
new ResizeObserver(resize).observe(stage);
window.addEventListener('resize', resize);
resize();

startLoop((now) => {
  if (animator.tick(now)) mark('overlay');  // a token moving is a reason to redraw
  if (window.devicePixelRatio !== layers.scene.dpr) resize();
  if (dirty.scene || dirty.view) {  // a big graph pans by copying a bitmap (pancache.js)
    drawSceneLayer(scene, camera, dirty.scene);
    practice.place();  // -- #17 practice: the blanks' fields follow the scene and the camera
    dirty.scene = dirty.view = false;
  }
  if (dirty.overlay) {
    dirty.overlay = false;
    drawOverlay(layers.overlay, scene, camera, ui, animator.tokens(now));
    drawPresence(layers.overlay, scene, camera, [...ui.peers.values()]);
    drawFocusRing(layers.overlay, scene, camera, keyboard.ringed);
  }
  if (dirty.panels) refreshPanels();
});

window.gradcanvas = inspector({ scene, ui, camera, canvas, layers, animator, presence, connection, fitView, drawSceneLayer, lecture });
toolbar.showConnection();
connection.open();
