// The inline "Others see you as …" field (web/README.md "How the page works": Presence).
import { saveName } from './identity.js'

/**
 * The inline "Others see you as …" field: on the first visit once the document shows
 * (`firstVisit()`, which focuses it), and again from your own avatar (`open()`).
 * `onRename(name)` runs after a new name is kept (identity.name is already the new one);
 * `onClosed()` when the field closes and nothing had the focus before it.
 */
export function bindNamePrompt (identity, onRename, onClosed) {
  const box = document.getElementById('name-prompt')
  const form = document.getElementById('name-form')
  const input = document.getElementById('name-input')
  let opener = null
  const open = () => {
    opener = document.activeElement
    input.value = identity.name
    box.hidden = false
    input.focus()
    input.select()
  }
  const close = () => {
    box.hidden = true
    if (opener && opener.isConnected && opener !== document.body) opener.focus()
    else onClosed()
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const name = saveName(input.value)
    if (name) {
      identity.name = name
      onRename(name)
    }
    close()
  })
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') close()
  })
  return { open, firstVisit: () => { if (!identity.chosen) open() } }
}
