// One document of the home page's list, drawn from the REST listing's room.

const KIND_LABELS = { rich: 'Rich text', text: 'Plain text' }
// What a signed-in person may do in a document, as its list item says it.
const ROLE_LABELS = { owner: 'Owner', admin: 'Can manage', editor: 'Can edit', commenter: 'Can comment', viewer: 'Can view' }

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

/** 'owner' when `person` owns `room`, else the room's role for the caller (or null). */
export function myRole (room, person) {
  if (person && room.owner && room.owner.id === person.id) return 'owner'
  return room.role || null
}

/** The list item of `room` (an /api/rooms item); `person` (signed in) adds owner and role. */
export function roomItem (room, person = null) {
  const item = el('li', 'room-item')
  item.dataset.kind = room.kind
  item.dataset.room = room.name
  const main = el('span', 'room-main')
  const link = el('a', 'room-name', room.title || room.name)
  link.href = `/d/${encodeURIComponent(room.name)}`
  const sub = [room.name]
  const role = person ? myRole(room, person) : null
  if (person) {
    item.dataset.role = role || ''
    if (room.owner) item.dataset.owner = room.owner.name
    if (role === 'owner') sub.push('owned by you')
    else if (room.owner) sub.push(`owned by ${room.owner.name}`)
  }
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
  if (role) item.append(el('span', `room-role role-${role}`, ROLE_LABELS[role] || role))
  item.append(el('span', 'room-kind', KIND_LABELS[room.kind] || room.kind), time)
  return item
}

// What an empty list says, by scope (a person's tabs; `all` is also the open server's list).
const EMPTY = {
  all: 'No documents yet. Give one a title above to start writing.',
  mine: 'You own no documents yet. Give one a title above to start writing.',
  shared: 'Nobody has shared a document with you yet. Documents others share with you show here.',
  recent: 'You have not opened any documents yet. The ones you open show here.'
}

/** The line shown instead of documents: none yet, or none matching the search. */
export function emptyItem (query, scope = 'all') {
  const text = query
    ? `No documents match “${query}”. Try another word, or create it above.`
    : EMPTY[scope] || EMPTY.all
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
