// Connection status pill: connecting, connected, reconnecting, offline, or (after a final close
// code, when nothing retries any more) denied / closed, with a banner that says why.
import { describeFinal } from './reconnect.js'

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

/**
 * Show the provider's status in `pill`, and a final close's reason in `banner`.
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
      const about = describeFinal(final.code, final.reason)
      pill.dataset.status = about.status
      pill.dataset.code = String(final.code)
      text.textContent = about.label
      pill.title = about.title
      if (banner) showBanner(banner, about, final)
      return
    }
    delete pill.dataset.code
    if (banner) banner.hidden = true
    const attempts = reconnect ? reconnect.state.attempt : 0
    const status = connectionStatus(provider, everConnected, attempts)
    pill.dataset.status = status
    text.textContent = LABELS[status]
    pill.title = status === 'reconnecting'
      ? 'Connection lost; retrying. Your edits are kept.'
      : LABELS[status]
  }
  provider.on('status', render)
  provider.on('sync', render)
  provider.on('connection-close', () => queueMicrotask(render))
  window.addEventListener('offline', render)
  window.addEventListener('online', render)
  render()
  return render
}

function showBanner (banner, about, final) {
  banner.dataset.code = String(final.code)
  banner.querySelector('.banner-title').textContent = about.title
  banner.querySelector('.banner-text').textContent = about.text
  const reason = banner.querySelector('.banner-reason')
  reason.textContent = final.reason ? `Server: ${final.reason} (code ${final.code})` : `Code ${final.code}`
  const discard = banner.querySelector('#banner-discard')
  if (discard) discard.hidden = !about.discard
  // Trying again would send the same refused edits: the only way on is the server's copy.
  const retry = banner.querySelector('#banner-retry')
  if (retry) retry.hidden = Boolean(about.discard)
  banner.hidden = false
}
