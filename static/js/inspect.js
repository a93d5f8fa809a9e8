// window.gradcanvas: a read-only snapshot of the page for tests and tools, timeRedraw
// for benchmarks/render.py, and emit, to send a request past the UI's own checks.
import { byTestId } from './dom.js';
import { edgeCurve, inputPorts, intersects, nodeBounds, outputPort } from './geometry.js';
import { drawOverlay } from './overlay.js';
import { drawScene, edgeTexts, labelAnchor, labelLayout, outputTexts } from './renderer.js';
import { edgeTensorLayout } from './tensorview.js';

/**
 * scene: the server data as drawn (ui.js sceneView); ui: the UI state; layers: {scene, overlay};
 * presence: the others for the snapshot; fitView(): the Fit button's action.
 */
export function inspector({ scene, ui, camera, canvas, layers, animator, presence, connection, fitView, drawSceneLayer, lecture = null }) {
  function snapshot() {
    const model = scene;
    const r = canvas.getBoundingClientRect();
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
        grad_sum: model.labels === 'numbers' ? null : (s.gradSum[n.id] ?? null),  // drawn under a fan-out
        x: n.x, y: n.y, params: n.params ? { ...n.params } : null,
        screen: { x: tl.x, y: tl.y, w: br.x - tl.x, h: br.y - tl.y, cx: (tl.x + br.x) / 2, cy: (tl.y + br.y) / 2 },
        ports: { inputs: inputPorts(model, n).map(page), output: page(outputPort(model, n)) },
        selected: ui.selection.nodes.has(n.id), error: model.errors[n.id] ?? null, trainable: !!n.trainable,
        shape: s.shapes[n.id] ?? null,  // a tensor's "(4, 3)" (#16 view)
      };
    });
    const edges = model.edges.map((e) => {
      const c = edgeCurve(model, e);
      const drawn = edgeTexts(model, e);  // in the label mode: numbers, symbols or both
      const tensor = c && e.shape != null ? edgeTensorLayout(model, e, c) : null;  // badge and maps (#16 view)
      const layout = tensor || (c ? labelLayout(c, drawn.value, drawn.grad) : {});
      const box = (b) => {
        if (!b) return null;
        const p = page({ x: b.cx, y: b.cy });
        const w = b.w * camera.scale, h = b.h * camera.scale;
        return { x: p.x - w / 2, y: p.y - h / 2, w, h };
      };
      return {
        source: e.source, target: e.target, port: e.port, value: e.value, grad: e.grad,
        value_text: e.valueText, grad_text: e.gradText, mid: c ? page(labelAnchor(c).mid) : null,
        value_symbol: e.valueSymbol, grad_symbol: e.gradSymbol, drawn,
        labels: { value: box(layout.value), grad: box(layout.grad) },
        shape: e.shape ?? null,  // (#16 view) and what shows it: the badge's box, the maps' kinds
        tensor: tensor ? { badge: box(tensor.badge), value: tensor.value?.kind ?? null, grad: tensor.grad?.kind ?? null } : null,
      };
    });
    const { phase, step, total } = s.cursor;
    const L = model.learning;
    return {
      graph_id: connection.graphId, version: model.version, phase, step, total, output: model.output,
      labels: ui.labels, output_drawn: outputTexts(model),
      current: ui.current ? ui.current.node : null,
      nodes, edges, selection: { nodes: [...ui.selection.nodes], edge: ui.selection.edge },
      focused_node: ui.focusNode, canvas_focused: document.activeElement === canvas,
      learning: {
        learning_rate: L.learningRate, learning_rate_text: L.learningRateText,
        trainable: [...L.trainable], losses: [...L.losses], loss_text: L.lossText,
        chart_points: Number(byTestId('loss-chart')?.dataset.points ?? 0),
        // -- #16 train --
        accuracy: [...L.accuracy], accuracy_text: L.accuracyText, dataset: L.dataset ? { ...L.dataset } : null,
        accuracy_points: Number(byTestId('loss-chart')?.dataset.accuracyPoints ?? 0),
        // -- end #16 train --
      },
      animating: animator.busy, pending: animator.pending, connected: ui.status === 'connected',
      camera: { scale: camera.scale, offset: { ...camera.offset } }, dpr: window.devicePixelRatio || 1,
      title: model.title,
      role: ui.role, deleted: ui.deleted, me: ui.me ? { ...ui.me } : null,
      history: { ...ui.history }, queued: ui.queued, presence: presence.snapshot(),
      lecture: lecture ? lecture.snapshot() : null,  // #17 lecture
    };
  }

  /**
   * For benchmarks/render.py: time `repeats` full redraws of both layers at a given zoom.
   * The view is fitted, then zoomed to `scale` (if given) about the screen centre; with
   * `busy`, it is then centred on the median node, so big graphs show nodes, not the
   * empty middle of their bounding box.
   */
  function timeRedraw(repeats = 20, scale = null, busy = false) {
    const { scene: sceneLayer, overlay } = layers;
    fitView();
    if (scale != null) {
      const c = { x: overlay.w / 2, y: overlay.h / 2 };
      camera.zoomAt(c, scale / camera.scale);
    }
    if (busy && scene.nodes.size) {
      const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
      const ns = [...scene.nodes.values()];
      const at = camera.toScreen({ x: median(ns.map((n) => n.x)), y: median(ns.map((n) => n.y)) });
      camera.panBy(overlay.w / 2 - at.x, overlay.h / 2 - at.y);
    }
    const times = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      drawScene(sceneLayer, scene, camera);
      drawOverlay(overlay, scene, camera, ui, []);
      sceneLayer.ctx?.getImageData?.(0, 0, 1, 1);  // wait for the GPU/raster work, not just the calls
      times.push(performance.now() - t0);
    }
    camera.notify('camera');  // redraw as the loop would
    const v = camera.visibleWorld({ w: overlay.w, h: overlay.h });
    const visible = [...scene.nodes.values()].filter((n) => intersects(nodeBounds(scene, n), v)).length;
    return { times, scale: camera.scale, nodes: scene.nodes.size, edges: scene.edges.length, visible };
  }

  /**
   * Frames of a pan as the loop draws them (pancache.js): the view set as timeRedraw sets it,
   * one direct draw (the scene changed), then `repeats` pans of (dx, dy) CSS px, each timed.
   */
  function timePan(repeats = 20, scale = null, busy = false, dx = 7, dy = 4) {
    timeRedraw(1, scale, busy);
    drawSceneLayer(scene, camera, true);
    const times = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      camera.panBy(dx, dy);
      drawSceneLayer(scene, camera, false);
      layers.scene.ctx?.getImageData?.(0, 0, 1, 1);  // wait for the raster work, not just the calls
      times.push(performance.now() - t0);
    }
    return { times, scale: camera.scale };
  }

  /**
   * For tests of pancache.js: `always(on)` caches every pan, however fast the graph draws;
   * `compare()` checks the frame on screen against a direct draw of the same view:
   * {cached, differing, inked, total} pixels (differing: a channel off by more than 48).
   */
  const panCache = {
    always: (on) => drawSceneLayer.always(on),
    compare() {
      const { ctx, canvas: c } = layers.scene;
      const cached = drawSceneLayer.cached();
      const shown = ctx.getImageData(0, 0, c.width, c.height).data.slice();
      drawSceneLayer(scene, camera, true);
      const direct = ctx.getImageData(0, 0, c.width, c.height).data;
      let differing = 0, inked = 0;
      for (let i = 0; i < direct.length; i += 4) {
        if (direct[i + 3] > 0) inked++;
        for (let k = 0; k < 4; k++) {
          if (Math.abs(direct[i + k] - shown[i + k]) > 48) { differing++; break; }
        }
      }
      return { cached, differing, inked, total: direct.length / 4 };
    },
  };

  /** Send a request through this page's socket as it is, past the UI's own checks (tests: the server must refuse). */
  const emit = (event, payload = {}) => connection.send(event, payload);

  return Object.freeze({ snapshot, timeRedraw, timePan, panCache, emit });
}
