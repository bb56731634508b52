// "Who is here": one avatar per person in the room's awareness, yourself first.
import { initials } from './identity.js'

const MAX_SHOWN = 5

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

function avatar (person, onSelf) {
  const li = document.createElement('li')
  li.className = person.self ? 'avatar avatar-self' : 'avatar'
  li.style.setProperty('--avatar-color', person.color || '#888')
  li.title = person.self ? `${person.name} (you)` : person.name
  li.dataset.name = person.name
  if (person.self && onSelf) {
    const button = document.createElement('button')
    button.type = 'button'
    button.textContent = initials(person.name)
    button.setAttribute('aria-label', `You: ${person.name}. Change your name`)
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
    const shown = all.slice(0, MAX_SHOWN)
    const items = shown.map((p) => avatar(p, onSelf))
    if (all.length > MAX_SHOWN) {
      const more = document.createElement('li')
      more.className = 'avatar avatar-more'
      more.textContent = `+${all.length - MAX_SHOWN}`
      more.title = all.slice(MAX_SHOWN).map((p) => p.name).join(', ')
      items.push(more)
    }
    list.replaceChildren(...items)
    list.setAttribute('aria-label', `Here now: ${all.map((p) => p.name).join(', ')}`)
  }
  awareness.on('change', render)
  render()
}
