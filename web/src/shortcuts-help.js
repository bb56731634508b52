// The keyboard shortcuts help: a modal dialog (native <dialog>, as share.js and confirm.js:
// the focus stays in it, Esc closes it) opened by `?` when the focus is not in editable text,
// or by Ctrl/Cmd+/ anywhere. It lists what the editor actually binds: the rich toolbar's own
// definitions (toolbar.js), find, undo, the Comment shortcut, and the page's keys.
import { toolbarShortcuts } from './toolbar.js'
import { commentKeyLabel } from './comment-key.js'

const MAC = /Mac|iPhone|iPad/.test(navigator.platform)
const MOD = MAC ? '⌘' : 'Ctrl+'
const ALT = MAC ? '⌥' : 'Alt+'
export const HELP_KEY_LABEL = `? or ${MOD}/`

function el (tag, attrs = {}, text) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value)
  if (text !== undefined) node.textContent = text
  return node
}

/** The sections of the help for a document of `kind`: [[title, [[label, keys], …]], …]. */
export function shortcutSections (kind, { write, comment }) {
  const sections = []
  if (kind === 'rich') {
    const tools = toolbarShortcuts().filter((t) => /[+⌘⌥]/.test(t.shortcut))
    const isHistory = (t) => t.name === 'undo' || t.name === 'redo'
    if (write) sections.push(['Formatting', tools.filter((t) => !isHistory(t)).map((t) => [t.label, t.shortcut])])
    sections.push(['Find', [
      ['Find', `${MOD}F`], ['Next match', 'Enter'], ['Previous match', 'Shift+Enter'], ['Close the find bar', 'Esc']
    ]])
    if (write) sections.push(['Editing', tools.filter(isHistory).map((t) => [t.label, t.shortcut])])
  } else {
    sections.push(['Find', [
      [write ? 'Find and replace' : 'Find', `${MOD}F`], ['Next match', 'Enter or F3'], ['Previous match', 'Shift+Enter or Shift+F3'],
      ['Select all matches', `${MOD}Shift+L`], ['Select the next occurrence', `${MOD}D`], ['Go to line', `${MOD}${ALT}G`],
      ['Close the find bar', 'Esc']
    ]])
    if (write) {
      sections.push(['Editing', [
        ['Undo your last change', `${MOD}Z`], ['Redo', `${MOD}Shift+Z or ${MOD}Y`],
        ['Indent', 'Tab'], ['Outdent', 'Shift+Tab']
      ]])
    }
  }
  const page = []
  if (comment) page.push(['Comment on the selection', commentKeyLabel()])
  // The mode switch (suggest-mode.js): editors choose Editing or Suggesting, commenters Viewing or Suggesting.
  if (comment) page.push([write ? 'Editing mode' : 'Viewing mode', 'Ctrl+Alt+Shift+Z'], ['Suggesting mode', 'Ctrl+Alt+Shift+X'])
  page.push(['Leave the text (to the header)', 'Esc'], ['Keyboard shortcuts', HELP_KEY_LABEL])
  sections.push(['Document', page])
  return sections
}

function buildDialog (sections) {
  const dialog = el('dialog', { class: 'shortcuts-dialog', id: 'shortcuts-dialog', 'aria-labelledby': 'shortcuts-title' })
  const head = el('div', { class: 'shortcuts-head' })
  const form = el('form', { method: 'dialog' })
  const close = el('button', { class: 'icon-button', 'aria-label': 'Close the keyboard shortcuts', title: 'Close (Esc)' })
  close.innerHTML = '<svg viewBox="0 0 24 24" width="17" height="17" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg>'
  form.append(close)
  head.append(el('h2', { class: 'shortcuts-title', id: 'shortcuts-title' }, 'Keyboard shortcuts'), form)
  dialog.append(head)
  for (const [title, rows] of sections) {
    const id = `shortcuts-${title.toLowerCase()}`
    const section = el('section', { class: 'shortcuts-section', 'aria-labelledby': id })
    section.append(el('h3', { id }, title))
    const list = el('dl', { class: 'shortcuts-list' })
    for (const [label, keys] of rows) {
      const row = el('div', { class: 'shortcuts-row' })
      const dd = el('dd')
      dd.append(el('kbd', {}, keys))
      row.append(el('dt', {}, label), dd)
      list.append(row)
    }
    section.append(list)
    dialog.append(section)
  }
  return { dialog, close }
}

/** Is `target` somewhere typing a `?` writes it (a field, or editable text)? */
function typesText (target) {
  if (!(target instanceof Element)) return false
  if (target.closest('input, textarea, select')) return true
  return target.isContentEditable
}

/** Bind `?` and Ctrl/Cmd+/ to the help for a document of `kind`; returns {open, close}. */
export function bindShortcutsHelp (kind, can) {
  const { dialog, close } = buildDialog(shortcutSections(kind, can))
  document.body.append(dialog)
  let before = null
  const open = () => {
    if (dialog.open) return
    before = document.activeElement
    dialog.showModal()
    close.focus()
  }
  // Tab and Shift+Tab go round the dialog's controls (a modal <dialog> would let the focus out
  // to the browser's own bar after the last one).
  dialog.addEventListener('keydown', (event) => {
    if (event.key !== 'Tab') return
    const controls = [...dialog.querySelectorAll('button, [href], input, select, textarea, [tabindex]:not([tabindex="-1"])')]
    const at = controls.indexOf(document.activeElement)
    const next = controls[(at + (event.shiftKey ? -1 : 1) + controls.length) % controls.length]
    event.preventDefault()
    next.focus()
  })
  dialog.addEventListener('close', () => {
    if (before && before.isConnected) before.focus()
    before = null
  })
  // Captured before the editors see it: CodeMirror would take Ctrl+/ as "toggle comment".
  window.addEventListener('keydown', (event) => {
    const mod = event.ctrlKey || event.metaKey
    const slash = mod && !event.altKey && (event.key === '/' || event.code === 'Slash')
    const question = event.key === '?' && !mod && !event.altKey && !typesText(event.target)
    if (!slash && !question) return
    // Another modal dialog (Share, a confirmation) keeps the keyboard.
    if (!dialog.open && document.querySelector('dialog[open]')) return
    event.preventDefault()
    event.stopPropagation()
    if (dialog.open && slash) dialog.close()
    else open()
  }, true)
  return { open, close: () => dialog.open && dialog.close(), dialog }
}
