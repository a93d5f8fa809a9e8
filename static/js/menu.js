// A header drop-down: a button that opens a panel below it. Escape closes it and gives
// the focus back to the button; a press anywhere else closes it.

export class Dropdown {
  constructor(button, panel, { onOpen } = {}) {
    this.button = button;
    this.panel = panel;
    this.onOpen = onOpen;
    button.addEventListener('click', () => this.toggle());
    for (const el of [button, panel]) {
      el.addEventListener('keydown', (e) => {
        if (panel.hidden) return;
        e.stopPropagation();  // Delete or Escape here is for the menu, not the graph
        if (e.key === 'Escape') { this.toggle(false); button.focus(); }
      });
    }
    document.addEventListener('pointerdown', (e) => {
      if (!panel.hidden && !panel.contains(e.target) && !button.contains(e.target)) this.toggle(false);
    });
  }

  get isOpen() { return !this.panel.hidden; }

  toggle(open = this.panel.hidden) {
    this.panel.hidden = !open;
    this.button.setAttribute('aria-expanded', String(open));
    if (open && this.onOpen) this.onOpen();
  }
}
