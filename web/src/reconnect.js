// Reconnecting, by close code. y-websocket's own policy (retry every <= 2.5 s after anything but
// 44xx, no jitter) is switched off with `shouldReconnect: () => false`: after every close from
// the server the provider sets `shouldConnect = false`, so the timer it schedules does nothing,
// and emits 'closed' {code, reason}. This module then either stops for good (a final code: the
// reason is shown and nothing retries) or calls `provider.connect()` after a jittered backoff.
// Closes the page makes itself (provider.disconnect(), the provider's 30 s silence watchdog)
// carry no CloseEvent and never reach this module; the watchdog case keeps y-websocket's retry.

// Which codes are final is defined once, in collab/contract.py (generated into contract.js).
import { isFinal } from './contract.js'

export const BACKOFF_BASE = 500
export const BACKOFF_CAP = 30000
const BACKOFF_FLOOR = 100

/** "Full jitter": uniform in [floor, min(cap, base * 2^attempt)]; attempt counts from 0. */
export function backoffDelay (attempt, { base = BACKOFF_BASE, cap = BACKOFF_CAP, random = Math.random } = {}) {
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 30))
  return Math.max(BACKOFF_FLOOR, Math.round(ceiling * random()))
}

/**
 * Drive the provider's reconnects. `onChange()` runs whenever `state` changes:
 * {final: {code, reason} | null, attempt, retryAt (ms timestamp) | null}.
 * While the browser reports offline the provider is paused; `online` connects at once.
 */
export function bindReconnect (provider, { onChange = () => {}, random = Math.random, win = window, person = false } = {}) {
  // closes: the last few server closes and the delay chosen after each (for tests and debugging).
  // everSynced: the document was open (a refusal now takes access away rather than denying it).
  const state = { final: null, attempt: 0, retryAt: null, closes: [], everSynced: false }
  // A final close, with what its screen depends on: a signed-in person's page (no link) and
  // whether the document had been open.
  const finalOf = (code, reason) => ({ code, reason, person, wasOpen: state.everSynced })
  let timer = null

  const cancel = () => {
    clearTimeout(timer)
    timer = null
    state.retryAt = null
  }

  const connectNow = () => {
    cancel()
    if (state.final || !navigator.onLine) return
    provider.connect()
    onChange(state)
  }

  provider.shouldReconnect = () => false
  provider.on('sync', (synced) => {
    if (synced) {
      state.attempt = 0
      state.everSynced = true
      onChange(state)
    }
  })
  provider.on('closed', ({ code, reason }) => {
    cancel()
    state.closes = [...state.closes.slice(-19), { code, reason, delay: null }]
    if (isFinal(code)) {
      state.final = finalOf(code, reason)
      provider.disconnect() // also leaves the cross-tab channel
      onChange(state)
      return
    }
    const delay = backoffDelay(state.attempt++, { random })
    state.closes[state.closes.length - 1].delay = delay
    state.retryAt = Date.now() + delay
    timer = setTimeout(connectNow, delay)
    onChange(state)
  })
  win.addEventListener('offline', () => {
    cancel()
    provider.disconnect()
    onChange(state)
  })
  win.addEventListener('online', () => {
    state.attempt = 0
    connectNow()
  })
  if (!navigator.onLine) provider.disconnect()

  return {
    state,
    /** Try again now (the "Try now" button while retrying; also clears a final close). */
    retry () {
      state.final = null
      state.attempt = 0
      connectNow()
      onChange(state)
    },
    /** Stop for good with a reason of the page's own (not from the server). */
    stop (code, reason) {
      cancel()
      state.final = finalOf(code, reason)
      provider.disconnect()
      onChange(state)
    }
  }
}
