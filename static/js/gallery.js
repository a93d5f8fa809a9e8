// The Examples menu: every example GET /api/examples lists, opened as a fresh copy
// (POST /api/examples/<name>) in the labels it is drawn with (the seed figures:
// symbols), and a new empty graph (POST /api/graphs).
import { byTestId } from './dom.js';
import { language, onLanguageChange, t } from './i18n.js';
import { exampleTitle } from './localname.js';
import { Dropdown } from './menu.js';
import { createAndOpen } from './newgraph.js';

const EMPTY = { format: 'gradcanvas', version: 1, title: '', nodes: [], edges: [] };

export async function fetchExamples() {
  const res = await fetch('/api/examples', { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET /api/examples: ${res.status}`);
  return res.json();
}

export class Gallery {
  constructor(root, { showError }) {
    this.panel = byTestId('examples-panel', root);
    this.showError = showError;
    this.examples = null;
    this.dropdown = new Dropdown(byTestId('examples-menu', root), this.panel);
    this.render();
    fetchExamples().then((examples) => { this.examples = examples; this.render(); })
      .catch((err) => showError(t('gallery.failed', { error: err.message })));
    onLanguageChange(() => this.render());
  }

  item(testid, text, title, onClick) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'menu-item';
    b.dataset.testid = testid;
    b.textContent = text;
    if (title) b.title = title;
    b.addEventListener('click', () => { this.dropdown.toggle(false); onClick(); });
    return b;
  }

  render() {
    const list = document.createElement('div');
    list.className = 'menu-examples';
    if (this.examples) {
      list.append(...this.examples.map((ex) => {
        const text = exampleTitle(ex);
        const url = `/api/examples/${encodeURIComponent(ex.name)}?lang=${language()}`;  // the copy's title too
        const query = ex.labels && ex.labels !== 'numbers' ? { labels: ex.labels } : {};  // seed figures: symbols
        return this.item(`example-${ex.name}`, text, text === ex.title ? '' : ex.title,
          () => this.open(url, undefined, 'gallery.open_failed', query));
      }));
    } else {
      const p = document.createElement('p');
      p.className = 'menu-note';
      p.textContent = t('gallery.loading');
      list.append(p);
    }
    const fresh = this.item('new-graph', t('gallery.new'), '', () => this.open('/api/graphs', EMPTY, 'gallery.new_failed'));
    this.panel.replaceChildren(list, fresh);
  }

  async open(url, body, failure, query) {
    try {
      await createAndOpen(url, body, query);
    } catch (err) {
      this.showError(t(failure, { error: err.message || String(err) }));
    }
  }
}
