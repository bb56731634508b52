// Who is signed in (GET /api/me), signing in and out, and the CSRF header every state-changing
// request made with the session cookie sends (docs: "People", web/README.md "Signing in").
// Every page reads the session through this module only.

export const CSRF_HEADER = 'x-csrf-token'
// How long a page waits for /api/me before going on as if nobody were signed in.
const ME_WAIT = 5000

// What /api/me says when it cannot be read (an older server, offline): nobody signed in.
const NOBODY = Object.freeze({
  development: false,
  signed_in: false,
  person: null,
  name: null,
  csrf_token: null,
  sign_in: { password: false, oidc: null },
  unknown: true
})

let current = null
let pending = null

/** The problem's `detail` of a failed answer, or a sentence saying what the server answered. */
export async function problemDetail (res) {
  try {
    const body = await res.json()
    if (body && typeof body.detail === 'string' && body.detail) return body.detail
  } catch {}
  return `the server answered ${res.status}`
}

function remember (me) {
  current = {
    ...NOBODY,
    ...me,
    sign_in: { ...NOBODY.sign_in, ...(me && me.sign_in) },
    unknown: false
  }
  return current
}

/**
 * This browser's session: {development, signed_in, person: {id, name, email, admin} | null,
 * name, csrf_token, sign_in: {password, oidc}, unknown}. Read once per page (`fresh` reads it
 * again); `unknown` is true when the server could not be asked.
 */
export function loadMe ({ fresh = false } = {}) {
  if (pending && !fresh) return pending
  pending = (async () => {
    try {
      const res = await fetch('/api/me', {
        headers: { accept: 'application/json' },
        cache: 'no-store',
        credentials: 'same-origin',
        signal: AbortSignal.timeout(ME_WAIT)
      })
      if (!res.ok) return (current = NOBODY)
      return remember(await res.json())
    } catch {
      return (current = NOBODY)
    }
  })()
  return pending
}

/** The session read last (NOBODY before loadMe resolves). */
export function me () {
  return current || NOBODY
}

/** The CSRF header of the signed-in session ({} when nobody is signed in). */
export function csrfHeaders () {
  const token = current && current.csrf_token
  return token ? { [CSRF_HEADER]: token } : {}
}

/**
 * `fetch` with the session: JSON accepted, and the CSRF header on every method that changes
 * state. Resolves to the Response (whatever its status); rejects only when the server cannot
 * be reached.
 */
export function sessionFetch (url, init = {}) {
  const method = (init.method || 'GET').toUpperCase()
  const changes = !['GET', 'HEAD', 'OPTIONS'].includes(method)
  const headers = { accept: 'application/json', ...(changes ? csrfHeaders() : {}), ...init.headers }
  return fetch(url, { credentials: 'same-origin', ...init, method, headers })
}

/**
 * JSON in and out with the session: resolves to the answer's JSON (null for 204), throws an
 * Error with the problem's detail (`status` and `retryAfter` on it) otherwise.
 */
export async function sessionJson (url, { method = 'GET', body, headers = {} } = {}) {
  let res
  try {
    res = await sessionFetch(url, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
  } catch {
    throw new Error('the server cannot be reached; check your connection and try again')
  }
  if (!res.ok) {
    const error = new Error(await problemDetail(res))
    error.status = res.status
    const retry = Number(res.headers.get('retry-after'))
    if (Number.isFinite(retry) && retry > 0) error.retryAfter = retry
    throw error
  }
  if (res.status === 204) return null
  return res.json().catch(() => null)
}

/** Sign in with a built-in account; resolves to the new session (as loadMe). */
export async function signIn (email, password) {
  const body = await sessionJson('/api/session', { method: 'POST', body: { email, password } })
  pending = Promise.resolve(remember(body))
  return current
}

/** End this browser's session (the cookie goes with it). */
export async function signOut () {
  await sessionJson('/api/session', { method: 'DELETE' })
  pending = Promise.resolve((current = { ...NOBODY, unknown: false }))
}

/** `next` when it is a path on this server ("/d/notes"), else "/": never another origin. */
export function localPath (next) {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/'
  try {
    const url = new URL(next, 'http://x.invalid')
    return url.origin === 'http://x.invalid' ? url.pathname + url.search + url.hash : '/'
  } catch {
    return '/'
  }
}

/** The sign-in page's address, coming back to `next` (default: this page). */
export function signInUrl (next = location.pathname + location.search) {
  const path = localPath(next)
  return path === '/' ? '/signin' : `/signin?next=${encodeURIComponent(path)}`
}
