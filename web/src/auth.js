// Access tokens: read from the link's #token=..., kept per room in localStorage, decoded for the
// role and the display name. The page never verifies a token; the server does. Decoding here
// only decides what the UI offers (a forged role gets refused by the server anyway).

import { csrfHeaders } from './session.js'

export const TOKEN_PROTOCOL = 'collab'
export const TOKEN_PROTOCOL_PREFIX = 'collab.token.'
const ROLES = { viewer: 1, commenter: 2, editor: 3, admin: 4 }

export function tokenKey (room) {
  return `collab:token:${room}`
}

function load (key) {
  try { return localStorage.getItem(key) } catch { return null }
}

function store (key, value) {
  try { localStorage.setItem(key, value) } catch { /* not kept: fine */ }
}

/** The JWT payload as an object, or null when `token` is not a decodable JWT. */
export function decodeClaims (token) {
  if (typeof token !== 'string') return null
  const parts = token.split('.')
  if (parts.length !== 3) return null
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/')
    const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4)
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0))
    const claims = JSON.parse(new TextDecoder().decode(bytes))
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? claims : null
  } catch {
    return null
  }
}

/** The highest role the `rooms` claim grants on `room` ('viewer'|'commenter'|'editor'|'admin'), or null. */
export function roleFor (claims, room) {
  const rooms = claims && claims.rooms
  if (!rooms || typeof rooms !== 'object') return null
  let best = null
  for (const [pattern, role] of Object.entries(rooms)) {
    const matches = pattern.endsWith('*') ? room.startsWith(pattern.slice(0, -1)) : room === pattern
    const rank = ROLES[String(role).toLowerCase()]
    if (matches && rank && (!best || rank > ROLES[best])) best = String(role).toLowerCase()
  }
  return best
}

/** What a role may do in the page. */
export function abilities (role) {
  const rank = ROLES[role] || 0
  return { write: rank >= ROLES.editor, comment: rank >= ROLES.commenter, saveVersion: rank >= ROLES.editor, restore: rank >= ROLES.admin }
}

/**
 * The token of a fragment such as "#token=JWT" (other fragment parameters are allowed), or null.
 * Returns {token, rest}: `rest` is the fragment without the token ('' when nothing is left).
 */
export function tokenFromHash (hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ''))
  const token = params.get('token')
  if (!token) return { token: null, rest: hash }
  params.delete('token')
  const rest = params.toString()
  return { token, rest: rest ? `#${rest}` : '' }
}

/**
 * This page's access: the token from the address fragment (then removed from the address bar and
 * stored for the room) or the one stored by an earlier visit.
 * Returns {token, claims, role, name, expired}; in dev mode the role is always 'admin'.
 */
export function loadAccess (room, { devMode = false, loc = location, hist = history } = {}) {
  const { token: fresh, rest } = tokenFromHash(loc.hash || '')
  if (fresh) {
    // Off the address bar (and out of bookmarks, screenshots and the Referer) at once.
    try { hist.replaceState(hist.state, '', loc.pathname + loc.search + rest) } catch { /* ignore */ }
  }
  let token = fresh || load(tokenKey(room))
  let claims = decodeClaims(token)
  if (fresh && claims) {
    store(tokenKey(room), fresh)
  } else if (fresh && !claims) {
    // Not a token at all; fall back to a stored one, if any.
    token = load(tokenKey(room))
    claims = decodeClaims(token)
  }
  const expired = !!(claims && typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now())
  const role = devMode ? 'admin' : roleFor(claims, room)
  const name = claims && typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim() : null
  return { token: token || null, claims, role, name, expired, fromLink: !!fresh }
}

/** The subprotocols to offer: the token travels in Sec-WebSocket-Protocol, never in the URL. */
export function socketProtocols (token) {
  return token ? [TOKEN_PROTOCOL, TOKEN_PROTOCOL_PREFIX + token] : []
}

/** Headers for /api calls: the bearer token, and the session's CSRF header when someone is
 * signed in (the cookie goes along with every same-origin request). */
export function authHeaders (token) {
  return { ...csrfHeaders(), ...(token ? { authorization: `Bearer ${token}` } : {}) }
}
