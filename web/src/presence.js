// "Who is here": one avatar per person in the room's awareness, yourself first.
import { initials } from './identity.js'

// Avatars shown before "+N": fewer on a phone, where the header also holds the title.
const maxShown = () => (window.matchMedia('(max-width: 480px)').matches ? 2 : 5)

/** People currently in the room, one entry per person id (several tabs count once). */
export function people (awareness) {
  const me = awareness.clientID
  const byId = new Map()
  for (const [clientID, state] of awareness.getStates()) {
    const user = state && state.user
    if (!user || !user.name) continue
    const key = user.id || `client:${clientID}`
    const self = clientID === me
    if (!byId.has(key) || self) byId.set(key, { ...user, self })
  }
  return [...byId.values()].sort((a, b) => (b.self - a.self) || a.name.localeCompare(b.name))
}

/** A person's name as the list tells it: an agent (its state's `user.agent`) is marked as one,
 * with what it is doing ("Scribe (for Ada), agent, working"). */
export function label (person) {
  if (!person.agent) return person.name
  return `${person.name}, agent${person.status ? `, ${person.status}` : ''}`
}

function avatar (person, onSelf) {
  const li = document.createElement('li')
  li.className = person.self ? 'avatar avatar-self' : 'avatar'
  li.style.setProperty('--avatar-color', person.color || '#888')
  li.title = person.self ? `${person.name} (you)` : label(person)
  li.dataset.name = person.name
  if (person.agent) {
    li.classList.add('avatar-agent')
    li.dataset.status = person.status || ''
  }
  if (person.self && onSelf) {
    const button = document.createElement('button')
    button.type = 'button'
    button.textContent = initials(person.name)
    // The accessible name starts with the visible initials (WCAG 2.5.3, label in name).
    button.setAttribute('aria-label', `${initials(person.name)}: you, ${person.name}. Change your name`)
    button.addEventListener('click', onSelf)
    li.append(button)
  } else {
    li.textContent = initials(person.name)
  }
  return li
}

/** Keep `list` (a <ul>) in sync with the awareness states. */
export function bindPresence (list, awareness, onSelf) {
  const render = () => {
    const all = people(awareness)
    const max = maxShown()
    const shown = all.slice(0, max)
    const items = shown.map((p) => avatar(p, onSelf))
    if (all.length > max) {
      const more = document.createElement('li')
      more.className = 'avatar avatar-more'
      more.textContent = `+${all.length - max}`
      more.title = all.slice(max).map(label).join('; ')
      items.push(more)
    }
    list.replaceChildren(...items)
    list.setAttribute('aria-label', `Here now: ${all.map(label).join('; ')}`)
  }
  awareness.on('change', render)
  window.matchMedia('(max-width: 480px)').addEventListener('change', render)
  render()
}

// How long other people's name flags stay up after they type or move.
const FLAG_SHOWN_MS = 2500

/**
 * Show the name flags on other people's carets while they type or move (`.remote-active` on
 * `editorEl` for a moment after each of their changes); on hover otherwise (editor.css).
 */
export function bindRemoteFlags (editorEl, ydoc, provider) {
  let timer = null
  const flash = () => {
    editorEl.classList.add('remote-active')
    clearTimeout(timer)
    timer = setTimeout(() => editorEl.classList.remove('remote-active'), FLAG_SHOWN_MS)
  }
  ydoc.on('update', (update, origin) => { if (origin === provider) flash() })
  provider.awareness.on('change', ({ updated }, origin) => {
    if (origin !== 'local' && updated.some((id) => id !== provider.awareness.clientID)) flash()
  })
}
