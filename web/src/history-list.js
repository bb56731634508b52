// The History panel's list of versions: load a page (or the next), render it, keep its times fresh.

import { KIND_LABELS, displayTitle, formatTime, fullTime, peopleLine, peopleNodes } from './history-words.js'

/** The list part of the panel `h` (history.js): loadList, renderList, renderTimes. */
export function listPart (h) {
  const { $, el, state } = h
  const list = $('version-list')
  const more = $('history-more')

  async function loadList (append = false) {
    h.setLoading(1)
    try {
      const page = await h.api.list(append ? state.cursor : null)
      state.versions = append ? [...state.versions, ...page.items] : page.items
      state.cursor = page.next_cursor
      renderList()
      if (h.message.dataset.tone === 'error') h.say('')
    } catch (err) {
      if (err.status === 404 && !append) {
        state.versions = []
        state.cursor = null
        renderList()
      } else {
        h.say(`Could not load the history. ${err.message}`, 'error')
      }
    } finally {
      h.setLoading(-1)
    }
  }

  function renderItem (version, byId) {
    const li = el('li')
    const button = el('button', 'version-item')
    button.type = 'button'
    button.dataset.versionId = String(version.id)
    button.dataset.kind = version.kind
    if (state.highlight.has(version.id)) button.classList.add('is-new')
    if (state.selected && state.selected.id === version.id) button.setAttribute('aria-current', 'true')
    const top = el('span', 'version-top')
    top.append(el('span', 'version-label', displayTitle(version, byId)),
      el('span', `version-kind kind-${version.kind}`, KIND_LABELS[version.kind] || version.kind))
    const time = el('time', 'version-time', formatTime(version.created_at))
    time.dateTime = version.created_at
    time.title = fullTime(version.created_at)
    button.append(top, time)
    if (peopleLine(version)) {
      const people = el('span', 'version-people')
      people.append(...peopleNodes(version, el))
      button.append(people)
    }
    button.addEventListener('click', () => h.select(version))
    li.append(button)
    return li
  }

  function renderList () {
    const byId = new Map(state.versions.map((v) => [v.id, v]))
    const items = state.versions.map((version) => renderItem(version, byId))
    if (!items.length) {
      items.push(el('li', 'version-empty', h.can.saveVersion
        ? 'No versions yet. Versions are kept automatically as you write, or save one above with a name.'
        : 'No versions yet. Versions are kept automatically as people write.'))
    }
    list.replaceChildren(...items)
    more.hidden = !state.cursor
  }

  function renderTimes () {
    for (const time of list.querySelectorAll('time[datetime]')) time.textContent = formatTime(time.dateTime)
  }

  /** Mark `version` as the one previewed. */
  function markSelected (version) {
    for (const item of list.querySelectorAll('.version-item')) {
      item.toggleAttribute('aria-current', item.dataset.versionId === String(version.id))
    }
  }

  more.addEventListener('click', () => loadList(true))
  return { loadList, renderList, renderTimes, markSelected }
}
