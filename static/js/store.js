// The one way the editor's state tells others it changed: a store keeps a set of
// listeners, and notify(kind, detail) calls each with (kind, detail). The server data
// (state.js), the UI state (ui.js), the view (camera.js), the connection (socket.js)
// and the language (i18n.js) all notify this way; the rAF loop's dirty flags are set
// from here too (main.js).

export class Store {
  constructor() { this.listeners = new Set(); }

  /** Call `fn(kind, detail)` after every change; returns the function that stops it. */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  notify(kind, detail) {
    for (const fn of [...this.listeners]) fn(kind, detail);
  }
}
