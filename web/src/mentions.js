// Mentions in comments (issue 23). A comment's stored body names a person by a token, `<@ID>`
// (their id); the API lists each one's name in the comment's `mentions`, and the panel shows
// "@Name" (text, never markup). A comment's text area shows "@Name" too: typing @ and letters
// lists the people who can read the document (GET /api/rooms/{room}/people), arrows and Enter
// or the mouse pick one, Escape closes the list; what was picked is kept per text area (the
// label "@Name" -> the id) and turned into tokens when the comment is sent.
import { colorFor, initials } from './identity.js'
import { problemDetail } from './session.js'

const TOKEN = /<@([A-Za-z0-9_-]{1,64})>/g
const SHOWN = 8
const WAIT = 120
// "@" then the query, up to the caret: at the start or after a space or an opening mark, on
// one line, at most 40 characters and two spaces (names have spaces: "@Grace Ho").
const QUERY = /(?:^|[\s([{"'“‘])@([^@\n]{0,40})$/u
const SOMEONE = 'Someone'

function el (tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

/**
 * Append `body` to `node` as text, each `<@ID>` as "@Name" (a <bdi class="mention">, its name
 * from `mentions`, [{person_id, name}]): never parsed as markup.
 */
export function showBody (node, body, mentions = []) {
  const names = new Map(mentions.map((m) => [m.person_id, m.name]))
  let last = 0
  for (const match of body.matchAll(TOKEN)) {
    if (match.index > last) node.append(body.slice(last, match.index))
    const mention = el('bdi', 'mention', `@${names.get(match[1]) || SOMEONE}`)
    mention.dataset.personId = match[1]
    node.append(mention)
    last = match.index + match[0].length
  }
  if (last < body.length) node.append(body.slice(last))
}

/** `text` with each picked label ("@Name" -> id, longest first, whole words) as `<@id>`. */
export function toTokens (text, picked) {
  const labels = [...picked.keys()].sort((a, b) => b.length - a.length)
  if (!labels.length) return text
  const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const any = new RegExp(`(${labels.map(escape).join('|')})(?![\\p{L}\\p{N}_])`, 'gu')
  return text.replace(any, (label) => `<@${picked.get(label)}>`)
}

/** A stored body as its text area shows it: each token as its label; the labels go in `picked`. */
export function toLabels (body, mentions, picked) {
  const names = new Map(mentions.map((m) => [m.person_id, m.name]))
  return body.replace(TOKEN, (_, id) => labelFor({ id, name: names.get(id) || SOMEONE }, picked))
}

/** The label "@Name" for `person`, made unique among `picked` (another person of that name). */
function labelFor (person, picked) {
  let label = `@${person.name}`
  if (picked.has(label) && picked.get(label) !== person.id) {
    label = `@${person.name} (${person.email || person.id.slice(0, 6)})`
  }
  picked.set(label, person.id)
  return label
}

/** The room's people who may be mentioned, matching `q` (names and, for people, emails). */
function peopleApi (room, authHeaders) {
  const base = `/api/rooms/${encodeURIComponent(room)}/people`
  return async (q) => {
    const res = await fetch(`${base}?${new URLSearchParams({ q, limit: String(SHOWN) })}`, {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { accept: 'application/json', ...authHeaders() }
    })
    if (!res.ok) throw new Error(await problemDetail(res))
    return (await res.json()).items
  }
}

/**
 * Mentions for the comment forms of one room. `attach(area, key)` gives a text area the @ list
 * (before the area's own key handlers, so Enter and Escape pick and close it first); the picks
 * are kept by `key` across re-renders until `forget(key)`. `body(key, text)` is the text to
 * send; `editable(key, body, mentions)` the text to edit a stored body in.
 */
export function bindMentions ({ room, authHeaders }) {
  const search = peopleApi(room, authHeaders)
  const picks = new Map()
  let serial = 0
  const pickedFor = (key) => {
    if (!picks.has(key)) picks.set(key, new Map())
    return picks.get(key)
  }

  function attach (area, key) {
    const id = `mention-list-${++serial}`
    const list = el('ul', 'mention-list')
    list.id = id
    list.hidden = true
    list.setAttribute('role', 'listbox')
    list.setAttribute('aria-label', 'People to mention')
    const status = el('span', 'visually-hidden')
    status.setAttribute('role', 'status')
    area.after(list, status)
    area.setAttribute('aria-autocomplete', 'list')
    area.setAttribute('aria-controls', id)
    let items = []
    let active = -1
    let at = -1
    let timer = null
    let generation = 0

    const close = () => {
      list.hidden = true
      list.replaceChildren()
      area.removeAttribute('aria-activedescendant')
      items = []
      active = -1
      generation++
    }
    const highlight = (index) => {
      active = index
      const options = [...list.children]
      options.forEach((option, i) => option.setAttribute('aria-selected', String(i === index)))
      if (options[index]) {
        area.setAttribute('aria-activedescendant', options[index].id)
        options[index].scrollIntoView({ block: 'nearest' })
      }
    }
    const pick = (person) => {
      const picked = pickedFor(key)
      const label = labelFor(person, picked)
      const caret = area.selectionStart
      area.setRangeText(`${label} `, at, caret, 'end')
      close()
      status.textContent = `${person.name} mentioned`
      area.dispatchEvent(new Event('input', { bubbles: true })) // the form keeps its draft
      area.focus()
    }
    const show = (people) => {
      items = people
      list.replaceChildren(...people.map((person, i) => {
        const option = el('li', 'mention-option')
        option.id = `${id}-${i}`
        option.setAttribute('role', 'option')
        option.setAttribute('aria-selected', 'false')
        const face = el('span', 'account-avatar mention-avatar', initials(person.name))
        face.setAttribute('aria-hidden', 'true')
        face.style.setProperty('--avatar-color', colorFor(person.id))
        const names = el('span', 'mention-names')
        const name = el('bdi', 'mention-name', person.name)
        names.append(name)
        if (person.email) names.append(el('bdi', 'mention-email', person.email))
        option.append(face, names)
        // pointerdown, not click: the text area keeps the focus and its caret.
        option.addEventListener('pointerdown', (event) => { event.preventDefault(); pick(person) })
        return option
      }))
      list.hidden = !people.length
      status.textContent = people.length
        ? `${people.length} ${people.length === 1 ? 'person' : 'people'} to mention: up and down arrows to choose, Enter to pick`
        : 'Nobody to mention by that name'
      if (people.length) highlight(0)
    }
    /** The query being typed ("@" then letters up to the caret), or null. */
    const query = () => {
      const caret = area.selectionStart
      if (caret !== area.selectionEnd) return null
      const before = area.value.slice(0, caret)
      const found = QUERY.exec(before)
      if (!found) return null
      const start = caret - found[1].length - 1
      const q = found[1]
      if ((q.match(/ /g) || []).length > 2 || /^\s/.test(q)) return null
      // Just after a mention already picked: not a new query.
      for (const label of pickedFor(key).keys()) if (area.value.startsWith(label, start)) return null
      return { start, q }
    }
    const update = () => {
      clearTimeout(timer)
      const found = query()
      if (!found) { close(); return }
      const mine = ++generation
      timer = setTimeout(async () => {
        try {
          const people = await search(found.q.trim())
          if (mine !== generation) return
          at = found.start
          show(people)
        } catch {
          if (mine === generation) close() // the list is a help; the comment still posts
        }
      }, WAIT)
    }
    area.addEventListener('input', update)
    area.addEventListener('click', update)
    area.addEventListener('keyup', (event) => {
      if (event.key === 'ArrowLeft' || event.key === 'ArrowRight' || event.key === 'Home' || event.key === 'End') update()
    })
    area.addEventListener('blur', close)
    area.addEventListener('keydown', (event) => {
      if (list.hidden || !items.length) return
      const stop = () => { event.preventDefault(); event.stopImmediatePropagation() }
      if (event.key === 'ArrowDown') { stop(); highlight(active + 1 < items.length ? active + 1 : 0) }
      else if (event.key === 'ArrowUp') { stop(); highlight(active > 0 ? active - 1 : items.length - 1) }
      else if ((event.key === 'Enter' || event.key === 'Tab') && !event.ctrlKey && !event.metaKey && !event.shiftKey && active >= 0) { stop(); pick(items[active]) }
      else if (event.key === 'Escape') { stop(); close() }
    })
  }

  return {
    attach,
    body: (key, text) => toTokens(text, pickedFor(key)),
    editable: (key, body, mentions) => toLabels(body, mentions || [], pickedFor(key)),
    forget: (key) => picks.delete(key)
  }
}
