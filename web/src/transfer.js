// The editor's Document menu: download as PDF or Word (made by the server, for printing or
// editing elsewhere), text, Markdown, HTML (rich documents), JSON, Yjs or a collab file (the
// document with its comment threads, for an import);
// duplicate (asking the copy's title and whether its comments go along); delete (admins, after
// a confirmation). Its button and dialogs are made here.
import { DELETED_KEY, TRASH_DAYS_KEY, call } from './home-api.js'

const DOWNLOADS = [
  { format: 'pdf', label: 'PDF document (.pdf)', ending: 'pdf' },
  { format: 'docx', label: 'Word document (.docx)', ending: 'docx' },
  { format: 'text', label: 'Text (.txt)', ending: 'txt' },
  { format: 'markdown', label: 'Markdown (.md)', ending: 'md' },
  // A page of its own (doctype, charset, title, styles), not the fragment the History panel shows.
  { format: 'html', label: 'HTML (.html)', ending: 'html', rich: true, query: '&standalone=true' },
  { format: 'json', label: 'JSON (.json)', ending: 'json' },
  { format: 'yjs', label: 'Yjs update (.yjs)', ending: 'yjs' },
  { format: 'collab', label: 'With comments (.collab)', ending: 'collab' }
]
const MENU_ICON = '<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><circle cx="5" cy="12" r="1.8" fill="currentColor"/><circle cx="12" cy="12" r="1.8" fill="currentColor"/><circle cx="19" cy="12" r="1.8" fill="currentColor"/></svg>'

/** A file name from a title: what file systems refuse becomes '-'. */
export function fileName (title, ending) {
  // eslint-disable-next-line no-control-regex
  const base = title.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]+/g, '-').replace(/^[\s.-]+|[\s.]+$/g, '').slice(0, 120)
  return `${base || 'document'}.${ending}`
}

function el (tag, attrs = {}, text) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value)
  if (text !== undefined) node.textContent = text
  return node
}

function request (url, init, authHeaders) {
  return call(url, { ...init, headers: { accept: '*/*', ...init.headers, ...authHeaders() } })
}

/** The menu: a button, then a list of items that opens under it; arrows move, Esc closes. */
function buildMenu (items) {
  const wrap = el('div', { class: 'doc-menu' })
  const button = el('button', { type: 'button', class: 'side-toggle doc-menu-button', id: 'doc-menu-button', 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-controls': 'doc-menu', title: 'Document', 'aria-label': 'Document: download, duplicate, delete' })
  button.innerHTML = MENU_ICON
  const menu = el('div', { class: 'doc-menu-list', id: 'doc-menu', role: 'menu', 'aria-label': 'Document' })
  menu.hidden = true
  for (const item of items) {
    if (item.heading) { menu.append(el('div', { class: 'doc-menu-heading', role: 'presentation' }, item.heading)); continue }
    if (item.separator) { menu.append(el('hr', { role: 'separator' })); continue }
    const entry = el('button', { type: 'button', role: 'menuitem', tabindex: '-1', class: `doc-menu-item${item.danger ? ' is-danger' : ''}`, 'data-action': item.id }, item.label)
    entry.addEventListener('click', () => { close(false); item.run() })
    menu.append(entry)
  }
  const entries = () => [...menu.querySelectorAll('[role="menuitem"]')]
  const open = () => { menu.hidden = false; button.setAttribute('aria-expanded', 'true'); entries()[0].focus() }
  function close (refocus = true) {
    if (menu.hidden) return
    menu.hidden = true
    button.setAttribute('aria-expanded', 'false')
    if (refocus) button.focus()
  }
  button.addEventListener('click', () => (menu.hidden ? open() : close()))
  menu.addEventListener('keydown', (event) => {
    const list = entries()
    const at = list.indexOf(document.activeElement)
    const moves = { ArrowDown: 1, ArrowUp: -1 }
    if (event.key in moves) list[(at + moves[event.key] + list.length) % list.length].focus()
    else if (event.key === 'Home') list[0].focus()
    else if (event.key === 'End') list[list.length - 1].focus()
    else if (event.key === 'Escape' || event.key === 'Tab') close(event.key === 'Escape')
    else return
    event.preventDefault()
    event.stopPropagation()
  })
  document.addEventListener('pointerdown', (event) => { if (!wrap.contains(event.target)) close(false) })
  wrap.append(button, menu)
  return wrap
}

/** The "Delete …?" dialog; resolves true when the person confirms. */
function confirmDelete (title, trashDays) {
  const kept = trashDays > 0
  const days = trashDays >= 1 ? `${Math.round(trashDays)} day${Math.round(trashDays) === 1 ? '' : 's'}` : `${Math.max(1, Math.round(trashDays * 24))} hours`
  const text = kept
    ? `It moves to the Trash for everyone, with its whole history. People who have it open are told it was deleted. Its owner or an admin can restore it from the Trash on the home page for ${days}; then it is erased for good.`
    : 'It is deleted for everyone, with its whole history. People who have it open are told it was deleted. This cannot be undone.'
  const dialog = el('dialog', { class: 'confirm-dialog', 'aria-labelledby': 'delete-title', 'aria-describedby': 'delete-text' })
  dialog.append(
    el('h2', { id: 'delete-title' }, `Delete “${title}”?`),
    el('p', { id: 'delete-text' }, text)
  )
  const actions = el('div', { class: 'dialog-actions' })
  const cancel = el('button', { type: 'button', class: 'secondary-button', autofocus: '' }, 'Cancel')
  const yes = el('button', { type: 'button', class: 'danger-button', id: 'delete-confirm' }, kept ? 'Move to Trash' : 'Delete for everyone')
  actions.append(cancel, yes)
  dialog.append(actions)
  document.body.append(dialog)
  return new Promise((resolve) => {
    cancel.addEventListener('click', () => dialog.close('cancel'))
    yes.addEventListener('click', () => dialog.close('delete'))
    dialog.addEventListener('close', () => { dialog.remove(); resolve(dialog.returnValue === 'delete') })
    dialog.showModal()
    cancel.focus()
  })
}

/** A checkbox with its label, for a dialog: {row, input}. */
function option (id, text, extra = '') {
  const row = el('label', { class: `copy-option${extra}`, for: id })
  const input = el('input', { type: 'checkbox', id })
  row.append(input, document.createTextNode(text))
  return { row, input }
}

/**
 * The "Make a copy" dialog, as shared office documents ask: the copy's title, and whether its
 * comments go along (not unless asked; the resolved ones only when asked as well). Resolves with
 * {title, comments, resolved}, or null when the person cancels.
 */
export function askCopy (title) {
  const dialog = el('dialog', { class: 'confirm-dialog copy-dialog', 'aria-labelledby': 'copy-heading' })
  const form = el('form', { method: 'dialog', id: 'copy-form' })
  const name = el('input', { type: 'text', id: 'copy-name', class: 'copy-name', required: '', maxlength: '200', autocomplete: 'off', spellcheck: 'false' })
  name.value = `Copy of ${title}`
  const comments = option('copy-comments', 'Copy comments')
  const resolved = option('copy-resolved', 'Include resolved comments', ' is-nested')
  resolved.input.disabled = true
  comments.input.addEventListener('change', () => {
    resolved.input.disabled = !comments.input.checked
    if (!comments.input.checked) resolved.input.checked = false
  })
  const actions = el('div', { class: 'dialog-actions' })
  const cancel = el('button', { type: 'button', class: 'secondary-button' }, 'Cancel')
  const yes = el('button', { type: 'submit', class: 'primary-button', id: 'copy-confirm' }, 'Make a copy')
  actions.append(cancel, yes)
  form.append(
    el('h2', { id: 'copy-heading' }, 'Make a copy'),
    el('label', { for: 'copy-name', class: 'copy-label' }, 'Name'),
    name,
    comments.row,
    resolved.row,
    actions
  )
  dialog.append(form)
  document.body.append(dialog)
  return new Promise((resolve) => {
    let chosen = null
    cancel.addEventListener('click', () => dialog.close('cancel'))
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      const typed = name.value.trim()
      if (!typed) { name.focus(); return }
      chosen = { title: typed, comments: comments.input.checked, resolved: resolved.input.checked }
      dialog.close('copy')
    })
    dialog.addEventListener('close', () => { dialog.remove(); resolve(chosen) })
    dialog.showModal()
    name.focus()
    name.select()
  })
}

/**
 * Add the Document menu to the header. `title()` is the current title; `notify(message)`
 * reports failures; `can.restore` (admins) offers Delete, to the trash for `trashDays` days
 * (0: erased at once).
 */
export function bindDocumentMenu ({ room, kind, title, can, authHeaders, notify, trashDays = 0 }) {
  const path = `/api/rooms/${encodeURIComponent(room)}`
  const download = async ({ format, ending, query = '' }) => {
    try {
      const res = await request(`${path}/snapshot?format=${format}${query}`, { method: 'GET' }, authHeaders)
      const link = el('a', { href: URL.createObjectURL(await res.blob()), download: fileName(title(), ending) })
      document.body.append(link)
      link.click()
      link.remove()
      setTimeout(() => URL.revokeObjectURL(link.href), 10000)
    } catch (err) {
      notify(`The download failed: ${err.message}.`)
    }
  }
  const duplicate = async () => {
    const choice = await askCopy(title())
    if (!choice) return
    try {
      const body = { title: choice.title, comments: choice.comments, resolved_comments: choice.resolved }
      const res = await request(`${path}/copy`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, authHeaders)
      location.assign(`/d/${encodeURIComponent((await res.json()).name)}`)
    } catch (err) {
      notify(`The copy could not be made: ${err.message}.`)
    }
  }
  const remove = async () => {
    if (!(await confirmDelete(title(), trashDays))) return
    try {
      await request(path, { method: 'DELETE' }, authHeaders)
      sessionStorage.setItem(DELETED_KEY, title())
      sessionStorage.setItem(TRASH_DAYS_KEY, String(trashDays))
      location.assign('/')
    } catch (err) {
      notify(`The document could not be deleted: ${err.message}.`)
    }
  }
  const items = [{ heading: 'Download as' }]
  for (const choice of DOWNLOADS) {
    if (!choice.rich || kind === 'rich') items.push({ id: `download-${choice.format}`, label: choice.label, run: () => download(choice) })
  }
  items.push({ separator: true })
  if (can.write) items.push({ id: 'duplicate', label: 'Make a copy…', run: duplicate })
  if (can.restore) items.push({ id: 'delete', label: 'Delete…', danger: true, run: remove })
  if (items[items.length - 1].separator) items.pop()
  document.querySelector('.header-tools').append(buildMenu(items))
}
