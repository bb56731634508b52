// The Share dialog: who has access (signed-in people: share-people.js) and, for admins, share
// links: make a viewer, commenter or editor link to this document with an expiry, copy
// it, and list and revoke the links already given. The server mints and keeps the links
// (README "Sharing", /api/rooms/{room}/links); a link's token is shown once, when it is made.
import { authHeaders } from './auth.js'
import { bindSharePeople } from './share-people.js'

/** The expiry choices of the dialog, in seconds (null: never). */
export const EXPIRY_CHOICES = [
  { label: 'in 1 hour', seconds: 3600 },
  { label: 'in 1 day', seconds: 86400 },
  { label: 'in 7 days', seconds: 7 * 86400 },
  { label: 'in 30 days', seconds: 30 * 86400 },
  { label: 'never', seconds: null }
]

const ROLE_WORDS = { viewer: 'Can view', commenter: 'Can comment', editor: 'Can edit' }

/** Only admins share, and only where links can be signed (not in development mode). */
export function canShare (role, devMode) {
  return role === 'admin' && !devMode
}

/** "expires in 3 days", "expires 12 Jan 2027, 10:00", "never expires". */
export function expiryText (expiresAt, now = Date.now()) {
  if (!expiresAt) return 'never expires'
  const left = new Date(expiresAt).getTime() - now
  if (left <= 0) return 'expired'
  const hours = left / 3600000
  if (hours < 1) return `expires in ${Math.max(1, Math.round(left / 60000))} min`
  if (hours < 48) return `expires in ${Math.round(hours)} h`
  if (hours < 24 * 45) return `expires in ${Math.round(hours / 24)} days`
  return `expires ${new Date(expiresAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}`
}

/** The REST calls of the dialog; each resolves to the JSON answer or throws with its detail. */
function linksApi (room, token) {
  const base = `/api/rooms/${encodeURIComponent(room)}/links`
  const call = async (path, init = {}) => {
    const res = await fetch(base + path, {
      ...init,
      headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}), ...authHeaders(token) }
    })
    const data = await res.json().catch(() => ({}))
    if (!res.ok) throw new Error(data.detail || `the server answered ${res.status}`)
    return data
  }
  return {
    list: () => call('').then((data) => data.items),
    create: (body) => call('', { method: 'POST', body: JSON.stringify(body) }),
    revoke: (id) => call(`/${encodeURIComponent(id)}`, { method: 'DELETE' })
  }
}

/** Copy `input`'s value: the clipboard API, else the text selected for Ctrl+C. */
async function copyFrom (input) {
  try {
    await navigator.clipboard.writeText(input.value)
    return 'Link copied.'
  } catch {
    input.focus()
    input.select()
    return 'Press Ctrl+C (⌘C) to copy the selected link.'
  }
}

function element (tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

/** One live link of the list, with its Revoke button and an inline confirmation. */
function linkItem (link, onRevoke) {
  const item = element('li', 'share-item')
  item.dataset.linkId = link.id
  const about = element('div', 'share-item-about')
  about.append(element('span', 'share-item-role', ROLE_WORDS[link.role] || link.role))
  if (link.label) about.append(element('span', 'share-item-label', link.label))
  about.append(element('span', 'share-item-expiry', expiryText(link.expires_at)))
  const revoke = element('button', 'secondary-button share-revoke', 'Revoke')
  revoke.type = 'button'
  revoke.setAttribute('aria-label', `Revoke the link${link.label ? ` “${link.label}”` : ''} (${(ROLE_WORDS[link.role] || link.role).toLowerCase()})`)
  const confirm = element('div', 'share-confirm')
  confirm.setAttribute('role', 'group')
  confirm.setAttribute('aria-label', 'Confirm revoking')
  confirm.hidden = true
  const question = element('span', 'share-confirm-text', 'Revoke? Whoever has it loses access now.')
  const yes = element('button', 'primary-button share-revoke-yes', 'Revoke link')
  const no = element('button', 'secondary-button share-revoke-no', 'Keep')
  yes.type = no.type = 'button'
  confirm.append(question, yes, no)
  revoke.addEventListener('click', () => { revoke.hidden = true; confirm.hidden = false; no.focus() })
  no.addEventListener('click', () => { confirm.hidden = true; revoke.hidden = false; revoke.focus() })
  yes.addEventListener('click', () => onRevoke(link, yes))
  item.append(about, revoke, confirm)
  return item
}

/** The dialog's elements, by role. */
function shareElements () {
  const $ = (id) => document.getElementById(id)
  return {
    button: $('share-button'),
    dialog: $('share-dialog'),
    form: $('share-form'),
    role: $('share-role'),
    expiry: $('share-expiry'),
    label: $('share-label'),
    result: $('share-result'),
    url: $('share-url'),
    copy: $('share-copy'),
    copied: $('share-copied'),
    message: $('share-message'),
    list: $('share-list'),
    none: $('share-none')
  }
}

/** The list of live links; returns {refresh, say}. */
function bindLinkList (api, ui) {
  const say = (text) => { ui.message.textContent = text; ui.message.hidden = !text }
  const refresh = async () => {
    try {
      const live = (await api.list()).filter((link) => link.status === 'live')
      ui.list.replaceChildren(...live.map((link) => linkItem(link, revoke)))
      ui.none.hidden = live.length > 0
    } catch (err) {
      say(`The links could not be listed: ${err.message}`)
    }
  }
  const revoke = async (link, yes) => {
    yes.disabled = true
    try {
      await api.revoke(link.id)
      say('Link revoked: whoever had it has lost access.')
      await refresh()
      ui.form.querySelector('button[type="submit"]').focus()
    } catch (err) {
      yes.disabled = false
      say(`The link could not be revoked: ${err.message}`)
    }
  }
  return { refresh, say }
}

/** The form that makes a link, then shows it (selected) to copy. */
function bindCreateForm (api, ui, { refresh, say }) {
  ui.expiry.replaceChildren(...EXPIRY_CHOICES.map((choice, index) => {
    const option = element('option', '', choice.label)
    option.value = String(index)
    option.selected = choice.seconds === 7 * 86400
    return option
  }))
  ui.form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const submit = ui.form.querySelector('button[type="submit"]')
    submit.disabled = true
    say('')
    try {
      const label = ui.label.value.trim()
      const expiresIn = EXPIRY_CHOICES[Number(ui.expiry.value)].seconds
      const link = await api.create({ role: ui.role.value, expires_in: expiresIn, ...(label ? { label } : {}) })
      showLink(ui, link.url)
      await refresh()
    } catch (err) {
      say(`The link could not be made: ${err.message}`)
    } finally {
      submit.disabled = false
    }
  })
  ui.copy.addEventListener('click', async () => { ui.copied.textContent = await copyFrom(ui.url) })
}

function showLink (ui, url) {
  ui.url.value = url
  ui.copied.textContent = ''
  ui.result.hidden = false
  ui.label.value = ''
  ui.url.focus()
  ui.url.select()
}

/**
 * Wire the Share button and dialog of the editor page: "People with access" for a signed-in
 * `person` (share-people.js), share links for admins. Does nothing (the button stays hidden)
 * when neither applies. `title()` is the document's current title. Returns {dialog, refresh},
 * or null.
 */
export function bindShare ({ room, token, role, devMode, person = null, title = () => room }) {
  const ui = shareElements()
  const links = canShare(role, devMode)
  if (!ui.button || !ui.dialog || devMode || (!links && !person)) return null
  let list = null
  if (links) {
    const api = linksApi(room, token)
    list = bindLinkList(api, ui)
    bindCreateForm(api, ui, list)
    document.getElementById('share-links').hidden = false
  }
  const people = person ? bindSharePeople({ room, me: person, title }) : null
  ui.button.hidden = false
  ui.button.addEventListener('click', () => {
    if (list) list.say('')
    ui.result.hidden = true
    ui.dialog.showModal()
    const first = list ? ui.role : ui.dialog.querySelector('button, select, input')
    first.focus()
    if (list) list.refresh()
    // Once the server says who may manage: the "Add people" field, unless the focus moved on.
    if (people) {
      people.refresh().then(() => {
        const target = people.focusTarget()
        if (target && ui.dialog.open && document.activeElement === first) target.focus()
      })
    }
  })
  const refresh = () => Promise.all([people && people.refresh(), list && list.refresh()])
  return { dialog: ui.dialog, refresh }
}
