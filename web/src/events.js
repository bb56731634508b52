// Room events from the server (message type 101 EVENT, sent to sockets opened with events=1;
// see docs/protocol.md "Events"): versions recorded, restores and renames, as they happen.
import * as decoding from 'lib0/decoding'

export const MESSAGE_EVENT = 101

/**
 * Listen for room events on `provider` (its params must carry events: '1'). Each event, a JSON
 * object with a `type`, goes to every listener; events of unknown types too (listeners skip
 * them). Returns {on(listener)}.
 */
export function bindEvents (provider) {
  const listeners = []
  provider.messageHandlers[MESSAGE_EVENT] = (_encoder, decoder) => {
    let event
    try {
      event = JSON.parse(decoding.readVarString(decoder))
    } catch {
      return // not ours to understand: the protocol says to ignore it
    }
    if (!event || typeof event !== 'object') return
    for (const listener of listeners) {
      try { listener(event) } catch (err) { console.error('collab: event listener failed', err) }
    }
  }
  return { on: (listener) => listeners.push(listener) }
}

/** The editor's notice line: one message at a time, gone after a while or when dismissed. */
export function bindNotice (box, { duration = 8000 } = {}) {
  const text = box.querySelector('.notice-text')
  let timer = null
  const hide = () => { box.hidden = true }
  box.querySelector('.notice-close').addEventListener('click', hide)
  return (message) => {
    text.textContent = message
    box.hidden = false
    clearTimeout(timer)
    timer = setTimeout(hide, duration)
  }
}
