// The document's title in the header: shown in the tab too, and renamed in place by editors
// (PATCH /api/rooms/{room}; the address never changes).
import { call } from './home-api.js'

const MAX_TITLE = 200

/** Show `title` in the header and the tab. */
function showTitle (heading, title) {
  const inner = heading.querySelector('.title-button, .title-text')
  ;(inner || heading).textContent = title
  document.title = `${title} · collab`
}

/**
 * The header's title; for editors a button that turns into a field: Enter or leaving it saves,
 * Esc cancels. `notify(message)` reports a failed rename. Returns {title(): current title,
 * onEvent(event): a room event, of which a `title` event (someone renamed it) is shown}.
 */
export function bindTitle ({ room, title, can, authHeaders, notify }) {
  const heading = document.getElementById('doc-title')
  let current = title || room
  let editing = false
  const onEvent = (event) => {
    if (event.type !== 'title' || !('title' in event)) return
    current = event.title || room
    if (!editing) showTitle(heading, current)
  }
  if (!can.write) {
    // The text in an element of its own: the heading is a flex box, whose text alone would be
    // cut without an ellipsis.
    const text = document.createElement('span')
    text.className = 'title-text'
    heading.replaceChildren(text)
    showTitle(heading, current)
    return { title: () => current, onEvent }
  }
  showTitle(heading, current)
  const button = document.createElement('button')
  button.type = 'button'
  button.className = 'title-button'
  button.title = 'Rename'
  heading.replaceChildren(button)
  showTitle(heading, current)
  const input = document.createElement('input')
  input.className = 'title-input'
  input.maxLength = MAX_TITLE
  input.setAttribute('aria-label', 'Document title')
  const finish = async (save) => {
    if (!editing) return
    editing = false
    const next = input.value.trim()
    heading.replaceChildren(button)
    button.focus()
    if (save && next && next !== current) {
      const before = current
      current = next
      showTitle(heading, current)
      try {
        await call(`/api/rooms/${encodeURIComponent(room)}`, {
          method: 'PATCH',
          headers: { 'content-type': 'application/json', ...authHeaders() },
          body: JSON.stringify({ title: next })
        })
      } catch (err) {
        current = before
        showTitle(heading, current)
        notify(`The title could not be changed: ${err.message.replace(/^body: /, '')}.`)
      }
    }
  }
  button.addEventListener('click', () => {
    editing = true
    input.value = current
    heading.replaceChildren(input)
    input.focus()
    input.select()
  })
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') { event.preventDefault(); finish(true) }
    if (event.key === 'Escape') { event.preventDefault(); event.stopPropagation(); finish(false) }
  })
  input.addEventListener('blur', () => finish(true))
  return { title: () => current, onEvent }
}
