// The versions API of one room, as the History panel calls it: list, save, diff, full text,
// restore. Errors carry the server's problem `detail` and the HTTP status.

const PAGE_SIZE = 50

/** A small JSON client for /api/rooms/{room}/versions; errors carry the problem `detail`. */
export function versionsApi (room, fetchImpl = (...args) => fetch(...args), authHeaders = () => ({})) {
  const base = `/api/rooms/${encodeURIComponent(room)}/versions`
  async function call (method, path = '', { body, headers = {} } = {}) {
    // Authorization: Bearer <token> on every call (no header in development mode without a token).
    const init = { method, cache: 'no-store', headers: { accept: 'application/json', ...authHeaders(), ...headers } }
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    let res
    try {
      res = await fetchImpl(base + path, init)
    } catch {
      throw new Error('The server could not be reached.')
    }
    let data = null
    try { data = await res.json() } catch { /* no body */ }
    if (!res.ok) {
      const error = new Error((data && data.detail) || `The server answered ${res.status}.`)
      error.status = res.status
      throw error
    }
    return data
  }
  /** A text body (a rendered version); errors as for JSON calls. */
  async function text (url) {
    let res
    try {
      res = await fetchImpl(url, { cache: 'no-store', headers: { ...authHeaders() } })
    } catch {
      throw new Error('The server could not be reached.')
    }
    if (!res.ok) {
      let data = null
      try { data = await res.json() } catch { /* no body */ }
      const error = new Error((data && data.detail) || `The server answered ${res.status}.`)
      error.status = res.status
      throw error
    }
    return res.text()
  }
  return {
    list: (cursor) => call('GET', `?limit=${PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
    save: (label, author) => call('POST', '', { body: author ? { label, author } : { label } }),
    diff: (id, against) => call('GET', `/${id}/diff${against ? `?against=${encodeURIComponent(against)}` : ''}`),
    full: (id, format) => text(`/api/rooms/${encodeURIComponent(room)}/snapshot?version=${encodeURIComponent(id)}&format=${format}`),
    restore: (id, author) => call('POST', `/${id}/restore`, { headers: authorHeader(author) })
  }
}

/** X-Collab-Author, when the name can travel in an HTTP header (ISO-8859-1 only). */
function authorHeader (name) {
  return name && /^[\x20-\x7e\xa0-\xff]+$/.test(name) ? { 'x-collab-author': name } : {}
}
