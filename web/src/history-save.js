// "Save version": waits for the person's latest edits to reach the server, then names a version.

import { versionTitle } from './history-words.js'

const SAVE_WAIT = 10000

/** The save form of the panel `h` (history.js). */
export function savePart (h) {
  const { $, state } = h
  const saveForm = $('save-version')
  const labelInput = $('version-label')
  saveForm.hidden = !h.can.saveVersion
  for (const control of saveForm.elements) control.disabled = !h.can.saveVersion

  async function waitSaved () {
    const deadline = Date.now() + SAVE_WAIT
    while (!h.isSaved()) {
      if (Date.now() > deadline) return false
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return true
  }

  async function save (label) {
    if (!h.isSaved()) {
      h.say('Waiting for your latest edits to reach the server…')
      if (!(await waitSaved())) {
        h.say('Your latest edits have not reached the server yet. Try again when the page says "All changes saved".', 'error')
        return
      }
    }
    const version = await h.api.save(label, h.displayName())
    labelInput.value = ''
    state.highlight = new Set([version.id])
    h.say(version.label === label && version.kind === 'named'
      ? `Saved “${label}”.`
      : `Saved as “${versionTitle(version)}”.`, 'ok')
    await h.loadList()
  }

  saveForm.addEventListener('submit', async (event) => {
    event.preventDefault()
    const label = labelInput.value.replace(/\s+/g, ' ').trim()
    if (!label || state.busy || !h.can.saveVersion) return
    state.busy = true
    saveForm.classList.add('is-busy')
    saveForm.setAttribute('aria-busy', 'true')
    try {
      await save(label)
    } catch (err) {
      h.say(`Could not save the version. ${err.message}`, 'error')
    } finally {
      state.busy = false
      saveForm.classList.remove('is-busy')
      saveForm.removeAttribute('aria-busy')
    }
  })

  /** Show the form again (back from a preview), if this person may save. */
  const showForm = (shown) => { saveForm.hidden = !shown || !h.can.saveVersion }
  return { showForm }
}
