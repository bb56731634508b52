// Connection status pill: connecting, connected, reconnecting, offline, or closed (the server
// refused us with a 44xx close code, so the provider stopped retrying).

const LABELS = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  closed: 'Disconnected'
}

/** The status for a provider; `everConnected` tells first connect from reconnect. */
export function connectionStatus (provider, everConnected) {
  if (!navigator.onLine) return 'offline'
  if (provider.wsconnected && provider.synced) return 'connected'
  return everConnected || provider.wsUnsuccessfulReconnects > 0 ? 'reconnecting' : 'connecting'
}

/**
 * Show the provider's status in `pill`. While the browser says it is offline the provider is
 * paused (its socket is likely dead anyway) and resumed at once when it comes back online.
 */
export function bindStatus (pill, provider) {
  let everConnected = false
  let refusal = null
  const text = pill.querySelector('.status-text')
  const render = () => {
    if (provider.wsconnected && provider.synced) everConnected = true
    if (provider.wsconnected) refusal = null
    const status = refusal && !provider.shouldConnect ? 'closed' : connectionStatus(provider, everConnected)
    pill.dataset.status = status
    text.textContent = LABELS[status]
    pill.title = status === 'reconnecting'
      ? 'Connection lost; retrying. Your edits are kept.'
      : status === 'closed' ? `The server closed the connection: ${refusal}` : LABELS[status]
  }
  provider.on('closed', ({ code, reason }) => {
    refusal = reason || `code ${code}`
    render()
  })
  provider.on('status', render)
  provider.on('sync', render)
  provider.on('connection-close', () => queueMicrotask(render))
  window.addEventListener('offline', () => {
    provider.disconnect()
    render()
  })
  window.addEventListener('online', () => {
    provider.connect()
    render()
  })
  if (!navigator.onLine) provider.disconnect()
  render()
}
