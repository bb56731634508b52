// One document of the home page's list, drawn from the REST listing's room.

const KIND_LABELS = { rich: 'Rich text', text: 'Plain text' }

/** "just now", "5 minutes ago", "2 days ago" */
export function ago (iso, now = Date.now()) {
  const seconds = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000))
  for (const [unit, size] of [['day', 86400], ['hour', 3600], ['minute', 60]]) {
    if (seconds >= size) {
      const count = Math.floor(seconds / size)
      return `${count} ${unit}${count > 1 ? 's' : ''} ago`
    }
  }
  return 'just now'
}

/** "Ada", "Ada and Grace", "Ada, Grace and 2 others" */
export function people (names) {
  if (names.length <= 2) return names.join(' and ')
  const others = names.length - 2
  return `${names[0]}, ${names[1]} and ${others} other${others > 1 ? 's' : ''}`
}

function el (tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

/** The list item of `room` (an /api/rooms item). */
export function roomItem (room) {
  const item = el('li', 'room-item')
  item.dataset.kind = room.kind
  item.dataset.room = room.name
  const main = el('span', 'room-main')
  const link = el('a', 'room-name', room.title || room.name)
  link.href = `/d/${encodeURIComponent(room.name)}`
  const sub = [room.name]
  if (room.editors.length) sub.push(`edited by ${people(room.editors)}`)
  main.append(link, el('span', 'room-sub', sub.join(' · ')))
  item.append(main)
  if (room.present.length) {
    const here = el('span', 'room-here')
    here.title = `In this document now: ${room.present.join(', ')}`
    here.append(el('span', 'here-dot'), el('span', 'here-names', `${people(room.present)} here now`))
    item.append(here)
  }
  const time = el('time', 'room-time', ago(room.updated_at))
  time.dateTime = room.updated_at
  time.title = `Last edited ${new Date(room.updated_at).toLocaleString()}`
  item.append(el('span', 'room-kind', KIND_LABELS[room.kind] || room.kind), time)
  return item
}

/** The line shown instead of documents: none yet, or none matching the search. */
export function emptyItem (query) {
  const text = query
    ? `No documents match “${query}”. Try another word, or create it above.`
    : 'No documents yet. Give one a title above to start writing.'
  return el('li', 'room-empty', text)
}

/** The line shown when the list could not be read, with a way to try again. */
export function failedItem (retry) {
  const item = el('li', 'room-empty room-failed', 'The documents could not be listed. ')
  const again = el('button', 'link-button', 'Try again')
  again.type = 'button'
  again.addEventListener('click', retry)
  item.append(again)
  return item
}
