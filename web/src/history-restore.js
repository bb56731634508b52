// "Restore this version": ask first, then restore (the current text is kept as a version).

/** The restore controls of the panel `h` (history.js): hideConfirm, confirmShown. */
export function restorePart (h) {
  const { $, state } = h
  const restoreButton = $('restore-button')
  const confirmBox = $('restore-confirm')
  $('restore-box').hidden = !h.can.restore
  restoreButton.disabled = !h.can.restore

  function hideConfirm () {
    confirmBox.hidden = true
    restoreButton.hidden = false
  }

  async function restore (version) {
    const result = await h.api.restore(version.id, h.displayName())
    state.lastRestore = result
    state.highlight = new Set([result.restored.id, result.safety.id])
    h.showList()
    h.say(result.changed
      ? `Restored “${h.titleOf(version)}”. The text from before is kept in the history too.`
      : `The text already matched “${h.titleOf(version)}”; nothing changed.`, 'ok')
    await h.loadList()
  }

  restoreButton.addEventListener('click', () => {
    if (!state.selected || !h.can.restore) return
    $('restore-confirm-text').textContent =
      `Everyone's text becomes “${h.titleOf(state.selected)}” again. ` +
      'The current text is kept as a version first, so you can go back.'
    restoreButton.hidden = true
    confirmBox.hidden = false
    $('restore-yes').focus()
  })
  $('restore-no').addEventListener('click', () => {
    hideConfirm()
    restoreButton.focus()
  })
  $('restore-yes').addEventListener('click', async () => {
    const version = state.selected
    if (!version || state.busy || !h.can.restore) return
    state.busy = true
    confirmBox.classList.add('is-busy')
    confirmBox.setAttribute('aria-busy', 'true')
    try {
      await restore(version)
    } catch (err) {
      h.say(`Could not restore. ${err.message}`, 'error')
      hideConfirm()
    } finally {
      state.busy = false
      confirmBox.classList.remove('is-busy')
      confirmBox.removeAttribute('aria-busy')
    }
  })

  return {
    hideConfirm,
    confirmShown: () => !confirmBox.hidden,
    /** The diff is shown: restoring it is possible again (for those who may). */
    enableRestore: () => { restoreButton.disabled = !h.can.restore }
  }
}
