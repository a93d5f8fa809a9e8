// The Socket.IO client: acked requests, join and re-join, connection state.
// `window.io` comes from /static/vendor/socket.io.min.js (a classic script).

const ACK_TIMEOUT_MS = 15000;

export class Connection {
  /**
   * handlers: {onJoin(ack), onPatch(msg), onStep(msg), onState(msg), onStatus(status, detail)}
   * status is 'connecting' | 'connected' | 'reconnecting'.
   */
  constructor(graphId, handlers) {
    this.graphId = graphId;
    this.h = handlers;
    this.joined = false;
    this.socket = window.io({ transports: ['websocket'] });
    const s = this.socket;
    s.on('connect', () => this.join());
    s.on('disconnect', () => { this.joined = false; this.h.onStatus('reconnecting'); });
    s.on('connect_error', () => this.h.onStatus('reconnecting'));
    s.on('patch', (msg) => this.mine(msg) && this.h.onPatch(msg));
    s.on('step', (msg) => this.mine(msg) && this.h.onStep(msg));
    s.on('state', (msg) => this.mine(msg) && this.h.onState(msg));
    this.h.onStatus('connecting');
  }

  mine(msg) { return msg && msg.graph_id === this.graphId; }

  /** Join the graph's room; the ack carries the whole graph and state (a resync). */
  async join() {
    try {
      const ack = await this.request('join', {});
      if (!ack.ok) { this.h.onStatus('reconnecting', ack.error); this.h.onError(ack.error); return; }
      this.joined = true;
      this.h.onJoin(ack);
      this.h.onStatus('connected');
    } catch (err) {
      this.h.onStatus('reconnecting', String(err.message || err));
    }
  }

  /** Emit `event` with the graph id added; resolves with the server's ack. */
  request(event, payload = {}) {
    return new Promise((resolve, reject) => {
      if (!this.socket.connected) { reject(new Error('not connected to the server')); return; }
      this.socket.timeout(ACK_TIMEOUT_MS).emit(event, { graph_id: this.graphId, ...payload }, (err, ack) => {
        if (err) reject(new Error(`no reply from the server to '${event}'`));
        else resolve(ack || { ok: false, error: 'empty reply from the server' });
      });
    });
  }
}
