// Connection status: the pill (connecting, connected, reconnecting, offline, or after a final
// close denied / closed) and, while the page retries or the browser is offline, one line under
// the header that says why and what happens to your changes. Final closes are drawn by screen.js.
import { finalState, OFFLINE, passingState } from './states.js'

const LABELS = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline'
}

/** The status for a provider; `everConnected` tells first connect from reconnect. */
export function connectionStatus (provider, everConnected, attempts = 0) {
  if (!navigator.onLine) return 'offline'
  if (provider.wsconnected && provider.synced) return 'connected'
  return everConnected || attempts > 0 || provider.wsUnsuccessfulReconnects > 0 ? 'reconnecting' : 'connecting'
}

/** The passing state for a status, or null when there is nothing to say. */
function passingFor (status, reconnect) {
  if (status === 'offline') return OFFLINE
  if (status !== 'reconnecting') return null
  // Since the last sync: a restart (1012) or "busy" (1013) is followed by refused connections
  // (1006) until the server is back; the reason stays the one the server gave.
  const since = reconnect ? reconnect.state.closes.slice(-Math.max(1, reconnect.state.attempt)) : []
  const told = since.filter((close) => close.code !== 1006).at(-1)
  return passingState(told ? told.code : 1006)
}

/**
 * Show the provider's status in `pill` and, while retrying or offline, in `banner`.
 * `reconnect` is the controller from reconnect.js (its `state.final` stops everything).
 * Returns `render`, for the controller's onChange.
 */
export function bindStatus (pill, provider, { banner, reconnect } = {}) {
  let everConnected = false
  const text = pill.querySelector('.status-text')
  const render = () => {
    if (provider.wsconnected && provider.synced) everConnected = true
    const final = reconnect && reconnect.state.final
    if (final) {
      const state = finalState(final.code, final.reason, final)
      Object.assign(pill.dataset, { status: state.status, code: String(final.code) })
      text.textContent = pill.title = state.label
      if (banner) banner.hidden = true
      return
    }
    delete pill.dataset.code
    const status = connectionStatus(provider, everConnected, reconnect ? reconnect.state.attempt : 0)
    pill.dataset.status = status
    text.textContent = LABELS[status]
    pill.title = status === 'reconnecting' ? 'Connection lost; retrying. Your edits are kept.' : LABELS[status]
    if (banner) showPassing(banner, passingFor(status, reconnect))
  }
  provider.on('status', render)
  provider.on('sync', render)
  provider.on('connection-close', () => queueMicrotask(render))
  window.addEventListener('offline', render)
  window.addEventListener('online', render)
  render()
  return render
}

function showPassing (banner, state) {
  banner.hidden = !state
  if (!state) return
  banner.dataset.state = state.id
  banner.querySelector('.banner-text').textContent = state.text
  // Retrying now can help a server that is back; it cannot help a browser without a network.
  banner.querySelector('#banner-retry').hidden = state.id === 'offline'
}
