// Files in and out: the Export menu (every format GET /api/formats lists, the animations
// among them, and the figure's options: style, labels, worksheet), Copy SVG, the editor's
// own 2× PNG, and Open / drag-and-drop import.
// The server writes every file; the one thing drawn here is the PNG, with the
// canvas's own drawScene, so it looks exactly like the editor. The server then
// puts the graph document inside it, so the PNG opens again as a graph.
import { createCamera } from './camera.js';
import { byTestId } from './dom.js';
import { edgeCurve, graphBounds } from './geometry.js';
import { onLanguageChange, t } from './i18n.js';
import { localName } from './localname.js';
import { Dropdown } from './menu.js';
import { Layer, drawScene } from './renderer.js';
import { refusalText, responseRefusal } from './refusal.js';
import { GraphModel } from './state.js';


const PNG_DPR = 2;              // device pixels per CSS pixel in the editor's PNG
const MAX_SIDE = 16384;         // Chromium refuses larger canvases; big graphs get fewer pixels
const MAX_AREA = 120e6;
const FIGURE_PAD = 16;          // as server/export/svg.py frames its viewBox
const STATUS_MS = 2500;
const UPLOAD = { 'X-Requested-With': 'gradcanvas' };  // the server takes uploads only with it (no cross-site form can send it)

export async function fetchFormats() {
  const res = await fetch('/api/formats', { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET /api/formats: ${res.status}`);
  return res.json();
}

/** The error text of a refused request, in the UI's language (refusal.js). */
const refusal = responseRefusal;

/** The file name the server chose (Content-Disposition), or `fallback`. */
function fileNameOf(res, fallback) {
  const cd = res.headers.get('Content-Disposition') || '';
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(cd);
  if (star) {
    try { return decodeURIComponent(star[1]); } catch { /* fall through to the plain name */ }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(cd);
  return plain ? plain[1] : fallback;
}

/** Save `href` as a download; an empty name lets the server's Content-Disposition name it. */
function download(href, name = '') {
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
}

/**
 * A copy of the model as drawn (server data seen through the UI state, ui.js sceneView)
 * for export drawing: nothing selected, and values or gradients
 * left out when the options say so. Node objects are shared (read only); edges are
 * copied because their texts live on them.
 */
function exportModel(model, { values, grads }) {
  const m = new GraphModel(model.graphId);
  const s = model.shown;
  m.title = model.title;
  m.ops = model.ops;
  m.nodes = model.nodes;
  m.output = model.output;
  m.errors = model.errors;
  m.affected = model.affected;
  m.current = model.current;
  m.selection = { nodes: new Set(), edge: null };  // a figure shows nothing selected
  m.shown = {
    ...s,
    values: values ? s.values : {}, valueText: values ? s.valueText : {},
    grads: grads ? s.grads : {}, gradText: grads ? s.gradText : {},
  };
  m.edges = model.edges.map((e) => ({
    ...e, valueText: values ? e.valueText : null, gradText: grads ? e.gradText : null,
  }));
  return m;
}

/** The figure's world rectangle, framed as server/export/svg.py frames its viewBox. */
function figureBounds(model) {
  const g = graphBounds(model);
  if (!g) return null;
  const b = { ...g };
  for (const e of model.edges) {
    const c = edgeCurve(model, e);
    if (!c) continue;
    const [p0, c1, , p3] = c;  // c1.y is p0.y plus the sibling bend
    b.minX = Math.min(b.minX, p0.x, p3.x);
    b.maxX = Math.max(b.maxX, p0.x, p3.x);
    b.minY = Math.min(b.minY, p0.y - 30, p3.y - 30, c1.y - 30);
    b.maxY = Math.max(b.maxY, p0.y + 30, p3.y + 30, c1.y + 30);
  }
  return { minX: b.minX - FIGURE_PAD, minY: b.minY - FIGURE_PAD, maxX: b.maxX + FIGURE_PAD, maxY: b.maxY + FIGURE_PAD };
}

/**
 * The whole graph drawn by the canvas renderer on a detached canvas at `dpr` device
 * pixels per CSS pixel (camera scale 1), or null for an empty graph.
 */
export function drawFigure(model, { values = true, grads = true, background = 'white' } = {}, dpr = PNG_DPR) {
  const view = exportModel(model, { values, grads });
  const b = figureBounds(view);
  if (!b) return null;
  const w = Math.ceil(b.maxX - b.minX), h = Math.ceil(b.maxY - b.minY);
  const k = Math.min(dpr, MAX_SIDE / w, MAX_SIDE / h, Math.sqrt(MAX_AREA / (w * h)));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(w * k));
  canvas.height = Math.max(1, Math.round(h * k));
  const layer = new Layer(canvas);
  layer.w = w; layer.h = h; layer.dpr = k;  // set directly: resize() reads the page's DPR and CSS size
  const camera = createCamera();
  camera.offset = { x: -b.minX, y: -b.minY };
  drawScene(layer, view, camera);
  if (background !== 'transparent') {
    const ctx = layer.ctx;
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.globalCompositeOperation = 'destination-over';  // paper behind what is drawn
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.restore();
  }
  return canvas;
}

export class Files {
  /** topbar holds the Open and Export controls; files dropped on `stage` are opened. */
  constructor({ topbar, stage, model, graphId, showError }) {
    this.model = model;
    this.graphId = graphId;  // a function: a draft's id is known only once it has joined
    this.showError = showError;
    this.menuButton = byTestId('export-menu', topbar);
    this.menu = byTestId('export-panel', topbar);
    this.formatList = byTestId('export-formats', this.menu);
    this.status = byTestId('file-status', topbar);
    this.statusTimer = null;
    this.opt = {
      values: byTestId('export-values', this.menu),
      grads: byTestId('export-grads', this.menu),
      transparent: byTestId('export-transparent', this.menu),
      answers: byTestId('export-answers', this.menu),
    };
    // An answer key is a worksheet's: it can be asked for only once something is blanked.
    this.menu.addEventListener('change', () => {
      const worksheet = this.checked('export-blank', 'none') !== 'none';
      this.opt.answers.disabled = !worksheet;
      if (!worksheet) this.opt.answers.checked = false;
    });

    this.dropdown = new Dropdown(this.menuButton, this.menu);
    byTestId('copy-svg', this.menu).addEventListener('click', () => this.copySvg());

    const input = byTestId('open-file-input', topbar);
    byTestId('open-file', topbar).addEventListener('click', () => input.click());
    input.addEventListener('change', () => {
      const [file] = input.files;
      input.value = '';  // choosing the same file again is a new change
      if (file) this.open(file);
    });
    this.dropOn(stage);
    this.formats = [];
    const dropHint = () => { stage.dataset.dropHint = t('files.drop_hint'); };
    dropHint();
    onLanguageChange(() => { dropHint(); this.renderFormats(this.formats); });

    fetchFormats().then((formats) => this.renderFormats(formats))
      .catch((err) => showError(t('files.formats_failed', { error: err.message })));
  }

  renderFormats(formats) {
    this.formats = formats;
    this.formatList.replaceChildren(...formats.map((f) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'menu-item';
      b.dataset.testid = `export-${f.name}`;
      b.dataset.format = f.name;
      const ext = document.createElement('span');
      ext.className = 'ext';
      ext.textContent = `.${f.extension}`;
      b.append(localName(`files.format.${f.name}`, f.title), ext);
      b.addEventListener('click', () => { this.toggleMenu(false); this.export(f.name, f); });
      return b;
    }));
  }

  toggleMenu(open) { this.dropdown.toggle(open); }

  /** The value of the radio group `name` that is checked, or `fallback`. */
  checked(name, fallback) {
    const input = this.menu.querySelector(`input[name="${name}"]:checked`);
    return input ? input.value : fallback;
  }

  /** The menu's options: {values, grads, state, background, style, labels, blank, answers}. */
  get options() {
    return {
      values: this.opt.values.checked,
      grads: this.opt.grads.checked,
      state: this.checked('export-state', 'current'),
      background: this.opt.transparent.checked ? 'transparent' : 'white',
      style: this.checked('export-style', 'book'),
      labels: this.checked('export-labels', 'numbers'),
      blank: this.checked('export-blank', 'none'),
      answers: this.opt.answers.checked,
    };
  }

  exportUrl(format, o = this.options) {
    const q = new URLSearchParams({
      format, values: o.values ? '1' : '0', grads: o.grads ? '1' : '0', state: o.state, background: o.background,
      style: o.style, labels: o.labels, blank: o.blank, answers: o.answers ? '1' : '0',
    });
    return `/api/graphs/${encodeURIComponent(this.graphId())}/export?${q}`;
  }

  /**
   * Download `format`. The PNG as currently stepped in the editor's look, with plain numbers,
   * is drawn here by the canvas; everything else by the server. An animation takes the server
   * some seconds (Chromium draws every step), so the status line says it is coming.
   */
  export(format, spec = {}) {
    const o = this.options;
    const asDrawn = o.style === 'editor' && o.labels === 'numbers' && o.blank === 'none';
    if (format === 'png' && o.state === 'current' && asDrawn) return this.exportPng(o);
    if (spec.steps) this.say(t('files.animating'));
    download(this.exportUrl(format, o));
    return null;
  }

  /**
   * The editor's PNG: the whole graph drawn as the canvas draws it, at 2× device pixels,
   * sent to the server, which embeds the graph document and names the file.
   */
  async exportPng(o) {
    const canvas = drawFigure(this.model, o);
    if (!canvas) { this.showError(t('files.empty')); return; }
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
    if (!blob) { this.showError(t('files.no_png')); return; }
    try {
      const res = await fetch(`/api/graphs/${encodeURIComponent(this.graphId())}/png`, {
        method: 'POST', headers: { 'Content-Type': 'image/png', ...UPLOAD }, body: blob,
      });
      if (!res.ok) { this.showError(t('files.png_failed', { error: await refusal(res) })); return; }
      const png = await res.blob();
      const href = URL.createObjectURL(png);
      download(href, fileNameOf(res, `${this.model.title || 'graph'}.png`));
      setTimeout(() => URL.revokeObjectURL(href), 60_000);
    } catch (err) {
      this.showError(t('files.png_failed', { error: err.message || err }));
    }
  }

  async copySvg() {
    this.toggleMenu(false);
    try {
      const res = await fetch(this.exportUrl('svg'));
      if (!res.ok) { this.showError(t('files.copy_failed', { error: await refusal(res) })); return; }
      await navigator.clipboard.writeText(await res.text());
      this.say(t('files.copied'));
    } catch (err) {
      this.showError(t('files.copy_failed', { error: err.message || err }));
    }
  }

  say(text) {
    this.status.textContent = text;
    clearTimeout(this.statusTimer);
    this.statusTimer = setTimeout(() => { this.status.textContent = ''; }, STATUS_MS);
  }

  /** Open a JSON, SVG or PNG file, or a Python layer script, as a new graph; on refusal say why and stay here. */
  async open(file) {
    const body = new FormData();
    body.append('file', file, file.name);
    this.say(t('files.opening', { name: file.name }));
    let res;
    try {
      res = await fetch('/api/graphs/import', { method: 'POST', headers: UPLOAD, body });
    } catch (err) {
      this.say('');
      this.showError(t('files.open_failed', { name: file.name, error: err.message || err }));
      return;
    }
    const reply = await res.json().catch(() => null);
    if (res.status === 201 && reply && reply.id) {
      window.location.assign(`/g/${encodeURIComponent(reply.id)}`);
      return;
    }
    this.say('');
    const error = refusalText(reply, t('server.answered', { status: res.status }));
    this.showError(t('files.open_failed', { name: file.name, error }));
  }

  /** Files dragged over the canvas area are opened when dropped. */
  dropOn(stage) {
    const hasFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes('Files');
    const over = (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      stage.classList.add('drop-target');
    };
    stage.addEventListener('dragenter', over);
    stage.addEventListener('dragover', over);
    stage.addEventListener('dragleave', (e) => {
      if (!stage.contains(e.relatedTarget)) stage.classList.remove('drop-target');
    });
    stage.addEventListener('drop', (e) => {
      stage.classList.remove('drop-target');
      if (!hasFiles(e)) return;
      e.preventDefault();
      const files = [...e.dataTransfer.files];
      if (files.length > 1) { this.showError(t('files.one_at_a_time')); return; }
      if (files.length) this.open(files[0]);
    });
    // A file dropped anywhere else must not replace the editor with the browser's file view.
    for (const type of ['dragover', 'drop']) {
      window.addEventListener(type, (e) => {
        if (!hasFiles(e) || stage.contains(e.target)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'none';
      });
    }
  }
}
