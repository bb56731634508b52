// Durability tracking: "All changes saved" only once the server acknowledged our updates.
//
// With ?ack=1 the server sends [100, varuint N] once the first N update-carrying messages
// (sync step 2 or update) received on this socket are committed. We count what we send on
// each socket by wrapping WebSocket.send; see web/README.md "Saved indicator".
import * as decoding from 'lib0/decoding'

export const MESSAGE_DURABLE = 100
/** How long changes may wait for the server's acknowledgement before "saving is delayed". */
export const DELAYED_AFTER_MS = 5000

/** True when a binary frame is a sync step 2 (0,1) or a sync update (0,2). */
export function carriesUpdate (data) {
  if (typeof data === 'string') return false
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data.buffer ?? data)
  return bytes.length >= 2 && bytes[0] === 0 && (bytes[1] === 1 || bytes[1] === 2)
}

export class SaveTracker {
  /**
   * @param {string} room used for the localStorage key that survives reloads
   * @param {(state: 'saved'|'saving'|'delayed'|'unsaved') => void} onChange
   */
  constructor (room, onChange) {
    this.key = `collab:unsaved:${room}`
    this.onChange = onChange
    this.socket = null
    this.sent = 0
    this.acked = 0
    // Local changes that no message on the current socket carries yet.
    this.pending = readFlag(this.key)
    this.state = null
    // Since when the open socket has carried changes the server has not acknowledged.
    this.waitingSince = null
    this.delayTimer = null
  }

  /** A WebSocket class for WebsocketProvider's WebSocketPolyfill option that counts sends. */
  webSocketClass () {
    const tracker = this
    return class CountingWebSocket extends WebSocket {
      constructor (url, protocols) {
        super(url, protocols)
        tracker.onSocket(this)
      }

      send (data) {
        super.send(data)
        if (carriesUpdate(data)) tracker.onSent(this, data)
      }
    }
  }

  /** Wire the tracker to the provider and the doc (call after creating the provider). */
  attach (provider, doc, ignoredOrigins = []) {
    provider.messageHandlers[MESSAGE_DURABLE] = (_encoder, decoder) => {
      this.onAck(decoding.readVarUint(decoder))
    }
    provider.on('connection-close', () => this.onClose())
    provider.on('status', () => this.update())
    // Registered after the provider's own listener: a local update sent over an open
    // socket is already counted when this runs.
    doc.on('update', (_update, origin) => {
      if (origin === provider || ignoredOrigins.includes(origin)) return
      if (!this.isOpen()) this.pending = true
      this.update()
    })
    this.update()
  }

  isOpen () {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN
  }

  onSocket (socket) {
    if (this.socket && this.acked < this.sent) this.pending = true
    this.socket = socket
    this.sent = 0
    this.acked = 0
    this.update()
  }

  onSent (socket, data) {
    if (socket !== this.socket) return
    this.sent++
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data)
    // A sync step 2 answers the server's step 1 with everything the server lacks.
    if (bytes[1] === 1) this.pending = false
    this.update()
  }

  onAck (n) {
    this.acked = Math.max(this.acked, n)
    this.update()
  }

  onClose () {
    if (this.acked < this.sent) this.pending = true
    this.socket = null
    this.sent = 0
    this.acked = 0
    this.update()
  }

  get saved () {
    return !this.pending && this.acked >= this.sent
  }

  update () {
    let state = this.saved ? 'saved' : this.isOpen() ? 'saving' : 'unsaved'
    if (state === 'saving') {
      // Connected, yet the server has not confirmed for a while: its database is slow or down
      // (it pauses acknowledgements rather than lose anything). Say so.
      this.waitingSince ??= Date.now()
      const left = this.waitingSince + DELAYED_AFTER_MS - Date.now()
      if (left <= 0) state = 'delayed'
      else if (this.delayTimer === null) {
        this.delayTimer = setTimeout(() => { this.delayTimer = null; this.update() }, left)
      }
    } else {
      this.waitingSince = null
    }
    if (state === this.state) return
    this.state = state
    writeFlag(this.key, state !== 'saved')
    this.onChange(state)
  }
}

function readFlag (key) {
  try { return localStorage.getItem(key) === '1' } catch { return false }
}

function writeFlag (key, on) {
  try {
    if (on) localStorage.setItem(key, '1')
    else localStorage.removeItem(key)
  } catch { /* private mode */ }
}
