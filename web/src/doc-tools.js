// The bar under the text: the Outline toggle (outline.js), the word and character counts
// (counts.js), the Authors toggle (blame.js) and the keyboard shortcuts help
// (shortcuts-help.js). Sticky at the bottom of the
// window, so it is in sight for every role and both editors (viewers have no toolbar).
import { readerFor } from './doc-reader.js'
import { bindOutline } from './outline.js'
import { countsLabel } from './counts.js'
import { HELP_KEY_LABEL, bindShortcutsHelp } from './shortcuts-help.js'
import { bindBlame } from './blame.js'
import './doc-tools.css'

const OUTLINE_ICON = '<svg viewBox="0 0 24 24" width="17" height="17" aria-hidden="true"><path d="M4 6h16M8 12h12M8 18h12M4 12h.01M4 18h.01" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg>'
const AUTHORS_ICON = '<svg viewBox="0 0 24 24" width="17" height="17" aria-hidden="true"><path d="M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM2 21v-1a7 7 0 0 1 14 0v1M16 3.5a4 4 0 0 1 0 7M22 21v-1a7 7 0 0 0-4-6.3" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>'
const KEYS_ICON = '<svg viewBox="0 0 24 24" width="17" height="17" aria-hidden="true"><path d="M3 7h18v10H3zM7 11h.01M11 11h.01M15 11h.01M8 14h8" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>'
// How long the counts wait for typing to pause before counting again.
const COUNT_DELAY = 150

function el (tag, attrs = {}, text) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value)
  if (text !== undefined) node.textContent = text
  return node
}

/** Build the bar under `surface`'s text; returns {outline, help, counts(), blame}. With `room`
 * and `authHeaders`, the Authors toggle too (people present shown in their `awareness` colour). */
export function bindDocTools (surface, { kind, can, room, authHeaders, awareness }) {
  const reader = readerFor(surface)
  const bar = el('div', { class: 'doc-status', role: 'group', 'aria-label': 'Document tools' })
  const toggle = el('button', { type: 'button', class: 'status-button', id: 'outline-toggle', 'aria-expanded': 'false' })
  toggle.innerHTML = OUTLINE_ICON
  toggle.append(' Outline')
  const counts = el('p', { class: 'doc-counts', id: 'doc-counts' })
  const keys = el('button', { type: 'button', class: 'status-button', id: 'shortcuts-button', 'aria-haspopup': 'dialog', title: `Keyboard shortcuts (${HELP_KEY_LABEL})` })
  keys.innerHTML = KEYS_ICON
  keys.append(el('span', { class: 'status-button-text' }, ' Shortcuts'))
  keys.setAttribute('aria-label', 'Keyboard shortcuts')
  bar.append(toggle, counts)
  let blame = null
  if (surface.blame && room) {
    const authors = el('button', { type: 'button', class: 'status-button', id: 'blame-toggle', 'aria-pressed': 'false', title: 'Colour the text by who wrote it' })
    authors.innerHTML = AUTHORS_ICON
    authors.append(el('span', { class: 'status-button-text' }, ' Authors'))
    authors.setAttribute('aria-label', 'Show authors')
    const legend = el('ul', { class: 'blame-legend', id: 'blame-legend', 'aria-label': 'Authors' })
    legend.hidden = true
    bar.append(authors, legend)
    blame = bindBlame({ room, surface, authHeaders, button: authors, legend, awareness })
  }
  bar.append(keys)
  document.getElementById('editor').after(bar)

  const outline = bindOutline(reader, { workspace: document.querySelector('.workspace'), toggle })
  const help = bindShortcutsHelp(kind, can)
  keys.addEventListener('click', help.open)

  let timer = 0
  const count = () => { counts.textContent = countsLabel(reader.text(), reader.selectedText()) }
  const later = () => {
    clearTimeout(timer)
    timer = setTimeout(count, COUNT_DELAY)
  }
  reader.onChange(later)
  reader.onSelection(later)
  count()
  return { outline, help, counts: () => counts.textContent, blame }
}
