// The keyboard way out of the editor (web/README.md "Keyboard"): Esc, when nothing in the
// editor uses it (the search panel, a selection of other people's names), moves the focus to
// the header's History button, or to "All documents" when History is not available; Tab and
// Shift-Tab go on from there. The "Skip to the document" link brings the focus back.

/** Bind Esc in the editor to leave it, and the skip link to come back. */
export function bindKeyboardExit (surface, historyButton) {
  const editor = document.getElementById('editor')
  editor.addEventListener('keydown', (event) => {
    // Tiptap marks every Esc in its text as handled (it only blurs): leaving is what it means.
    const handled = event.defaultPrevented && !event.target.classList.contains('ProseMirror')
    if (event.key !== 'Escape' || handled) return
    if (event.target.closest('.toolbar-wrap')) return // the link form closes itself
    event.preventDefault()
    const target = historyButton && !historyButton.disabled ? historyButton : document.querySelector('.home-link')
    target.focus()
  })
  const skip = document.querySelector('.skip-link')
  if (skip) {
    skip.addEventListener('click', (event) => {
      event.preventDefault()
      surface.focus()
    })
  }
}
