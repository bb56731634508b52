// The Trash tab of the home page: deleted documents the reader may restore (their own, or
// every one for a server admin), with the days left before each is erased, Restore and Delete
// forever (web/README.md "Home page"; GET /api/trash, POST /api/trash/{room}/restore,
// DELETE /api/trash/{room}).
import { confirmDialog } from './confirm.js'
import { call } from './home-api.js'

const DAY = 86400000

/** The trash as the reader sees it: {items, days}. */
export async function listTrash () {
  return (await call('/api/trash', { method: 'GET' })).json()
}

/** Bring `room` back from the trash; the room. */
export async function restoreFromTrash (room) {
  return (await call(`/api/trash/${encodeURIComponent(room)}/restore`, { method: 'POST' })).json()
}

/** Erase `room`, in the trash, now. */
export async function deleteForever (room) {
  await call(`/api/trash/${encodeURIComponent(room)}`, { method: 'DELETE' })
}

/** "Erased today", "1 day left", "12 days left" */
export function daysLeft (purgeAt, now = Date.now()) {
  const days = Math.ceil((Date.parse(purgeAt) - now) / DAY)
  if (days <= 0) return 'Erased today'
  return `${days} day${days > 1 ? 's' : ''} left`
}

/** "1 day", "30 days", "12 hours" (a fraction of a day shown in hours) */
export function period (days) {
  if (days >= 1 || days <= 0) {
    const whole = Math.round(days)
    return `${whole} day${whole === 1 ? '' : 's'}`
  }
  const hours = Math.max(1, Math.round(days * 24))
  return `${hours} hour${hours === 1 ? '' : 's'}`
}

function el (tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

function button (text, className, run) {
  const node = el('button', className, text)
  node.type = 'button'
  node.addEventListener('click', run)
  return node
}

/** The list item of a trashed document; `actions.restore(doc)` and `actions.forget(doc)`. */
export function trashItem (doc, actions) {
  const item = el('li', 'room-item trash-item')
  item.dataset.room = doc.name
  const main = el('span', 'room-main')
  const title = doc.title || doc.name
  main.append(el('span', 'trash-name', title))
  const sub = [doc.name]
  if (doc.deleted_by) sub.push(`deleted by ${doc.deleted_by}`)
  const when = new Date(doc.deleted_at).toLocaleString()
  const line = el('span', 'room-sub', sub.join(' · '))
  line.title = `Deleted ${when}`
  main.append(line)
  const left = el('time', 'trash-left', daysLeft(doc.purge_at))
  left.dateTime = doc.purge_at
  left.title = `Erased for good ${new Date(doc.purge_at).toLocaleString()}`
  const tools = el('span', 'trash-actions')
  const restore = button('Restore', 'secondary-button trash-restore', () => actions.restore(doc))
  restore.setAttribute('aria-label', `Restore “${title}”`)
  const forget = button('Delete forever', 'link-button trash-forget', () => actions.forget(doc))
  forget.setAttribute('aria-label', `Delete forever “${title}”`)
  tools.append(restore, forget)
  item.append(main, left, tools)
  return item
}

/** What an empty trash says. */
export function emptyTrash (days) {
  const text = days > 0
    ? `The trash is empty. Deleted documents wait here for ${period(days)} before they are erased.`
    : 'The trash is empty: on this server, deleting a document erases it at once.'
  return el('li', 'room-empty', text)
}

/** Ask before erasing `doc` for good. */
export function confirmForever (doc) {
  return confirmDialog({
    title: `Delete “${doc.title || doc.name}” forever?`,
    text: 'Its text, history, comments and sharing are erased now. This cannot be undone.',
    yes: 'Delete forever',
    danger: true,
    id: 'forever'
  })
}
