// The REST calls of the home page: list, create, import (web/README.md "Home page"). Each goes
// through session.js, so a signed-in person's changes carry the CSRF header.
import { problemDetail, sessionFetch } from './session.js'

/** The problem's message of a failed answer (problem JSON `detail`), or a generic one. */
export const problemText = problemDetail

/** `fetch`, for the answer of a success: a failure throws an Error saying what went wrong
 * (the problem's detail, or that the server cannot be reached). */
export async function call (url, init = {}) {
  let res
  try {
    res = await sessionFetch(url, init)
  } catch {
    throw new Error('the server cannot be reached; check your connection and try again')
  }
  if (!res.ok) throw new Error(await problemText(res))
  return res
}

async function send (url, init) {
  return (await call(url, init)).json()
}

/** A page of rooms: {items, next_cursor}; `scope` (all, mine, shared, recent) for a person. */
export function listRooms ({ q = '', sort = 'edited', cursor = null, limit = 50, scope = null } = {}) {
  const params = new URLSearchParams({ limit: String(limit), sort })
  if (scope) params.set('scope', scope)
  if (q) params.set('q', q)
  if (cursor) params.set('cursor', cursor)
  return send(`/api/rooms?${params}`, { method: 'GET' })
}

/** A new empty document named after `title`; the room. */
export function createRoom (title, kind) {
  return send('/api/rooms', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title, kind })
  })
}

// What each file ending is imported as (.collab: `collab export --format collab`, with comments).
const FORMATS = { txt: 'text', text: 'text', md: 'markdown', markdown: 'markdown', json: 'json', yjs: 'yjs', collab: 'collab' }

/** {title, format} of a file to import, or null when its ending is not one collab reads. */
export function importPlan (fileName) {
  const dot = fileName.lastIndexOf('.')
  const ending = dot > 0 ? fileName.slice(dot + 1).toLowerCase() : ''
  const format = FORMATS[ending]
  if (!format) return null
  const title = fileName.slice(0, dot).trim() || 'Imported document'
  return { title: title.slice(0, 200), format }
}

/** A new document holding `file`; the room. */
export async function importFile (file, { title, format }) {
  const params = new URLSearchParams({ title, format })
  return send(`/api/imports?${params}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: await file.arrayBuffer()
  })
}

// Set by the editor page after a delete, shown once on the home page (with the days the
// deleted document stays in the trash, 0: erased at once).
export const DELETED_KEY = 'collab:deleted'
export const TRASH_DAYS_KEY = 'collab:trash-days'
