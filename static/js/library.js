// The library page: this browser's graphs with thumbnails; new, rename, duplicate, delete (with undo), open.
import { LANGUAGES, language, onLanguageChange, setLanguage, t, translate } from './i18n.js';
import { exampleTitle } from './localname.js';
import { refusalText } from './refusal.js';

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
const UNDO_WINDOW_MS = 10000;

async function api(method, url, body) {
  const res = await fetch(url, {
    method, credentials: 'same-origin',
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(refusalText(data, `${res.status} ${res.statusText}`));
  return data;
}

function status(text, action) {
  const el = $('library-status');
  el.replaceChildren(text);
  if (action) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = action.label;
    b.dataset.testid = action.testid;
    b.addEventListener('click', action.run);
    el.append(' ', b);
  }
}

function ago(seconds) {
  const d = Date.now() / 1000 - seconds;
  const fmt = new Intl.RelativeTimeFormat(language(), { numeric: 'auto' });
  if (d < 60) return fmt.format(-Math.round(d), 'second');
  if (d < 3600) return fmt.format(-Math.round(d / 60), 'minute');
  if (d < 86400) return fmt.format(-Math.round(d / 3600), 'hour');
  return fmt.format(-Math.round(d / 86400), 'day');
}

let graphs = [];

function card(g) {
  const li = document.createElement('li');
  li.className = 'lib-card';
  li.dataset.testid = 'library-item';
  li.dataset.id = g.id;
  const open = document.createElement('a');
  open.href = g.url;
  open.className = 'lib-thumb';
  open.dataset.testid = 'open-graph';
  const img = document.createElement('img');
  img.src = g.thumbnail;
  img.alt = '';
  img.loading = 'lazy';
  open.append(img);
  const title = document.createElement('a');
  title.href = g.url;
  title.className = 'lib-title';
  title.dataset.testid = 'graph-title';
  title.textContent = g.title || t('library.untitled');
  const meta = document.createElement('p');
  meta.className = 'lib-meta';
  meta.textContent = t('library.meta', { nodes: g.nodes, when: ago(g.updated_at) });
  const actions = document.createElement('div');
  actions.className = 'lib-actions';
  const button = (key, testid, run) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = t(key);
    b.dataset.testid = testid;
    b.addEventListener('click', run);
    actions.append(b);
  };
  button('library.rename', 'rename', () => rename(g));
  button('library.duplicate', 'duplicate', () => duplicate(g));
  button('library.delete', 'delete', () => remove(g));
  li.append(open, title, meta, actions);
  return li;
}

function render() {
  $('library-list').replaceChildren(...graphs.map(card));
  $('library-empty').hidden = graphs.length > 0;
}

async function refresh() {
  try {
    graphs = await api('GET', '/api/graphs');
    render();
  } catch (err) { status(err.message); }
}

async function rename(g) {
  const title = window.prompt(t('library.renamePrompt'), g.title);
  if (title == null) return;
  try {
    await api('PATCH', `/api/graphs/${g.id}`, { title });
    status(t('library.renamed', { title }));
    refresh();
  } catch (err) { status(err.message); }
}

async function duplicate(g) {
  try {
    await api('POST', `/api/graphs/${g.id}/duplicate`);
    status(t('library.duplicated', { title: g.title || t('library.untitled') }));
    refresh();
  } catch (err) { status(err.message); }
}

async function remove(g) {
  try {
    const { restore } = await api('DELETE', `/api/graphs/${g.id}`);
    graphs = graphs.filter((x) => x.id !== g.id);
    render();
    const timer = setTimeout(() => status(''), UNDO_WINDOW_MS);
    status(t('library.deleted', { title: g.title || t('library.untitled') }), {
      label: t('library.undo'), testid: 'undo-delete',
      run: async () => {
        clearTimeout(timer);
        try { await api('POST', restore); status(t('library.restored')); refresh(); } catch (err) { status(err.message); }
      },
    });
  } catch (err) { status(err.message); }
}

// `query`: what the editor reads once on opening, e.g. {labels: 'symbols'} for a seed figure
const open = (made, query = {}) => {
  const search = new URLSearchParams(query).toString();
  window.location.href = made.url + (search ? `?${search}` : '');
};

async function createFrom(method, url, body, query) {
  try { open(await api(method, url, body), query); } catch (err) { status(err.message); }
}

function setup() {
  const lang = $('language');
  for (const [code, name] of Object.entries(LANGUAGES)) lang.append(new Option(name, code, false, code === language()));
  lang.addEventListener('change', () => setLanguage(lang.value));
  onLanguageChange(() => { document.title = `${t('library.title')} · gradcanvas`; render(); });
  document.documentElement.lang = language();
  translate();
  document.title = `${t('library.title')} · gradcanvas`;

  $('new-empty').addEventListener('click', () => createFrom('POST', '/api/graphs',
    { format: 'gradcanvas', version: 1, title: '', nodes: [], edges: [] }));
  const examples = $('new-example');
  const labels = new Map();  // example name → the labels it is drawn with (seed figures: symbols)
  fetch('/api/examples').then((r) => r.json()).then((list) => {
    for (const ex of list) {
      examples.append(new Option(exampleTitle(ex), ex.name));
      labels.set(ex.name, ex.labels);
    }
  });
  examples.addEventListener('change', () => {
    const name = examples.value;
    if (!name) return;
    const l = labels.get(name);
    createFrom('POST', `/api/examples/${encodeURIComponent(name)}?lang=${language()}`, undefined, l && l !== 'numbers' ? { labels: l } : {});
  });
  $('new-formula-form').addEventListener('submit', (e) => {
    e.preventDefault();
    createFrom('POST', '/api/formula', { text: $('new-formula').value });
  });
  refresh();
}

setup();
