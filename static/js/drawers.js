// Small screens (editor.css's @media rules): the palette and the right-hand panels
// (explanation, learning) are drawers, opened by the header's open-palette and
// open-panels buttons and closed by their × , Escape, the button again, or a press on
// the canvas. On a phone the header's "more" button shows the header's other items.
// Whether a drawer is a drawer at all is the stylesheet's decision: here it is only
// a class on the aside (.open) and aria-expanded on its button.
import { byTestId } from './dom.js';

const SMALL = '(max-width: 1099px), (max-height: 500px)';  // as in editor.css

export class Drawers {
  constructor({ canvas }) {
    this.pairs = [
      { button: byTestId('open-palette'), drawer: document.getElementById('palette-drawer'), close: byTestId('close-palette') },
      { button: byTestId('open-panels'), drawer: document.getElementById('panels-drawer'), close: byTestId('close-panels') },
    ];
    for (const p of this.pairs) {
      p.button.addEventListener('click', () => this.toggle(p, !p.drawer.classList.contains('open')));
      p.close.addEventListener('click', () => { this.toggle(p, false); p.button.focus(); });
      p.drawer.addEventListener('keydown', (e) => {
        if (e.key === 'Escape' && p.drawer.classList.contains('open')) { e.stopPropagation(); this.toggle(p, false); p.button.focus(); }
      });
    }
    canvas.addEventListener('pointerdown', () => this.closeAll());
    const topbar = document.querySelector('.topbar');
    const more = byTestId('header-more');
    more.addEventListener('click', () => {
      const open = !topbar.classList.contains('more-open');
      topbar.classList.toggle('more-open', open);
      more.setAttribute('aria-expanded', String(open));
    });
  }

  /** True when the palette and panels are drawers (a small screen). */
  get small() { return window.matchMedia(SMALL).matches; }

  toggle(pair, open) {
    if (open) for (const p of this.pairs) if (p !== pair) this.toggle(p, false);
    pair.drawer.classList.toggle('open', open);
    pair.button.setAttribute('aria-expanded', String(open));
  }

  closePalette() { this.toggle(this.pairs[0], false); }

  closeAll() { for (const p of this.pairs) if (p.drawer.classList.contains('open')) this.toggle(p, false); }
}
