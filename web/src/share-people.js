// The Share dialog's "People with access" (signed-in people): the owner, each person with their
// role, "Anyone in the organisation with the link", adding someone by email or by picking them
// from suggestions (GET /api/people?q=), and transferring ownership. Only those the server says
// `can_manage` get the controls; everyone else reads the list (/api/rooms/{room}/access).
import { confirmDialog } from './confirm.js'
import { colorFor, initials } from './identity.js'
import { sessionJson } from './session.js'

export const ROLE_WORDS = { viewer: 'Can view', commenter: 'Can comment', editor: 'Can edit', admin: 'Can manage' }
const SUGGEST_WAIT = 200
const SUGGESTIONS = 8

/** The REST calls; each resolves to the access body ({owner, people, organisation, can_manage}). */
export function accessApi (room) {
  const base = `/api/rooms/${encodeURIComponent(room)}`
  return {
    get: () => sessionJson(`${base}/access`),
    add: (email, role) => sessionJson(`${base}/access`, { method: 'POST', body: { email, role } }),
    setRole: (id, role) => sessionJson(`${base}/access/${encodeURIComponent(id)}`, { method: 'PATCH', body: { role } }),
    remove: (id) => sessionJson(`${base}/access/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    organisation: (role) => sessionJson(`${base}/organisation`, { method: 'PUT', body: { role } }),
    transfer: (id) => sessionJson(`${base}/owner`, { method: 'POST', body: { person_id: id } }),
    suggest: (q) => sessionJson(`/api/people?${new URLSearchParams({ q, limit: String(SUGGESTIONS) })}`).then((data) => data.items)
  }
}

function el (tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

function avatar (person) {
  const node = el('span', 'account-avatar', initials(person.name))
  node.setAttribute('aria-hidden', 'true')
  node.style.setProperty('--avatar-color', colorFor(person.id))
  return node
}

function who (person, me) {
  const names = el('span', 'access-names')
  const name = el('span', 'access-name', person.name)
  if (me && person.id === me.id) name.append(el('span', 'access-you', ' (you)'))
  names.append(name)
  if (person.email) names.append(el('span', 'access-email', person.email))
  return names
}

function roleSelect (value, label) {
  const select = el('select', 'access-role')
  select.setAttribute('aria-label', label)
  for (const [role, words] of Object.entries(ROLE_WORDS)) {
    const option = el('option', '', words)
    option.value = role
    option.selected = role === value
    select.append(option)
  }
  return select
}

/** The owner's line. */
function ownerItem (owner, me) {
  const item = el('li', 'access-item is-owner')
  item.dataset.personId = owner.id
  item.dataset.role = 'owner'
  item.append(avatar(owner), who(owner, me), el('span', 'access-role-text', 'Owner'))
  return item
}

/** One person's line: their role (a select for managers) and Remove. */
function personItem ({ person, role }, { me, manage, onRole, onRemove }) {
  const item = el('li', 'access-item')
  item.dataset.personId = person.id
  item.dataset.email = person.email || ''
  item.dataset.role = role
  item.append(avatar(person), who(person, me))
  if (!manage) {
    item.append(el('span', 'access-role-text', ROLE_WORDS[role] || role))
    return item
  }
  const select = roleSelect(role, `Role of ${person.name}`)
  select.addEventListener('change', () => onRole(person, select.value, select))
  const remove = el('button', 'secondary-button access-remove', 'Remove')
  remove.type = 'button'
  remove.setAttribute('aria-label', `Remove ${person.name}`)
  remove.addEventListener('click', () => onRemove(person, remove))
  item.append(select, remove)
  return item
}

/**
 * The suggestions under the "Add people" field (a combobox: arrows move, Enter picks, Esc
 * closes the list only). `exclude()` is the ids already on the list; `onPick(person)`.
 */
function bindSuggestions (api, ui, { exclude, onPick }) {
  let items = []
  let active = -1
  let timer = null
  let generation = 0
  const close = () => {
    ui.suggestions.hidden = true
    ui.person.setAttribute('aria-expanded', 'false')
    ui.person.removeAttribute('aria-activedescendant')
    active = -1
  }
  const highlight = (index) => {
    active = index
    const options = [...ui.suggestions.children]
    options.forEach((option, i) => option.setAttribute('aria-selected', String(i === index)))
    if (options[index]) {
      ui.person.setAttribute('aria-activedescendant', options[index].id)
      options[index].scrollIntoView({ block: 'nearest' })
    } else {
      ui.person.removeAttribute('aria-activedescendant')
    }
  }
  const pick = (person) => {
    close()
    onPick(person)
  }
  const show = (people) => {
    items = people
    ui.suggestions.replaceChildren(...people.map((person, i) => {
      const option = el('li', 'share-suggestion')
      option.id = `share-suggestion-${i}`
      option.setAttribute('role', 'option')
      option.setAttribute('aria-selected', 'false')
      option.dataset.email = person.email
      option.append(avatar(person), who(person))
      // pointerdown, not click: the field keeps the focus.
      option.addEventListener('pointerdown', (event) => { event.preventDefault(); pick(person) })
      return option
    }))
    ui.suggestions.hidden = !people.length
    ui.person.setAttribute('aria-expanded', String(people.length > 0))
    active = -1
  }
  const suggest = async () => {
    const q = ui.person.value.trim()
    const mine = ++generation
    if (!q) { close(); return }
    try {
      const taken = exclude()
      const found = (await api.suggest(q)).filter((person) => !taken.has(person.id))
      if (mine === generation) show(found)
    } catch {
      if (mine === generation) close() // suggestions are a help; typing an email still works
    }
  }
  ui.person.addEventListener('input', () => {
    clearTimeout(timer)
    timer = setTimeout(suggest, SUGGEST_WAIT)
  })
  ui.person.addEventListener('keydown', (event) => {
    const open = !ui.suggestions.hidden
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      if (!open) return
      event.preventDefault()
      if (event.key === 'ArrowDown') highlight(active + 1 < items.length ? active + 1 : 0)
      else highlight(active > 0 ? active - 1 : items.length - 1)
    } else if (event.key === 'Enter' && open && active >= 0) {
      event.preventDefault()
      pick(items[active])
    } else if (event.key === 'Escape' && open) {
      // Closes the list, not the dialog.
      event.preventDefault()
      event.stopPropagation()
      close()
    }
  })
  ui.person.addEventListener('blur', close)
  return { close, items: () => items }
}

/** The "Transfer ownership" dialog: pick one of the people with access; resolves to an id. */
async function askTransfer (access, title) {
  const body = el('div', 'transfer-field')
  const label = el('label', '', 'New owner')
  label.htmlFor = 'transfer-to'
  const select = el('select', 'transfer-select')
  select.id = 'transfer-to'
  for (const { person } of access.people) {
    const option = el('option', '', `${person.name}${person.email ? ` (${person.email})` : ''}`)
    option.value = person.id
    select.append(option)
  }
  body.append(label, select)
  const yes = await confirmDialog({
    id: 'transfer-confirm',
    title: `Transfer ownership of “${title}”?`,
    text: 'The new owner decides who has access from now on. You stay on as an editor.',
    yes: 'Transfer ownership',
    body
  })
  return yes ? select.value : null
}

/**
 * Bind the People section of the Share dialog for the signed-in `me` (person).
 * `title()` is the document's current title. Returns {refresh()} (the dialog calls it on open)
 * and `focusTarget()`: the field to focus when the dialog opens.
 */
export function bindSharePeople ({ room, me, title }) {
  const $ = (id) => document.getElementById(id)
  const ui = {
    section: $('share-people'),
    form: $('share-add'),
    person: $('share-person'),
    role: $('share-person-role'),
    suggestions: $('share-suggestions'),
    message: $('share-people-message'),
    list: $('access-list'),
    org: $('share-org'),
    orgText: $('share-org-text'),
    transfer: $('share-transfer'),
    copyAddress: $('share-copy-address'),
    copied: $('share-address-copied')
  }
  const api = accessApi(room)
  let access = null
  const say = (text, tone = 'info') => {
    ui.message.textContent = text
    ui.message.dataset.tone = tone
    ui.message.hidden = !text
  }
  const render = (body) => {
    access = body
    const manage = !!body.can_manage
    ui.form.hidden = !manage
    const items = []
    if (body.owner) items.push(ownerItem(body.owner, me))
    for (const entry of body.people) items.push(personItem(entry, { me, manage, onRole: setRole, onRemove: remove }))
    if (!items.length) items.push(el('li', 'access-empty', 'Nobody has been given access yet.'))
    ui.list.replaceChildren(...items)
    ui.org.value = body.organisation || ''
    ui.org.hidden = !manage
    ui.orgText.hidden = manage
    ui.orgText.textContent = ROLE_WORDS[body.organisation] || 'No access'
    const mayTransfer = manage && body.people.length > 0 && (me.admin || (body.owner && body.owner.id === me.id))
    ui.transfer.hidden = !mayTransfer
  }
  // Answers can arrive out of order (the dialog's read on opening, then a Remove clicked before
  // it answered): an answer to an older request never replaces what a newer one showed.
  let asked = 0
  let shown = 0
  let reading = 0 // reads of the list under way: it is aria-busy until the last one answers
  const latest = async (work) => {
    const mine = ++asked
    const body = await work()
    if (mine < shown) return false
    shown = mine
    render(body)
    return true
  }
  const change = async (work, done, failed) => {
    say('')
    try {
      await latest(work)
      if (done) say(done)
      return true
    } catch (err) {
      say(`${failed}: ${err.message}.`, 'error')
      return false
    }
  }
  async function setRole (person, role, select) {
    select.disabled = true
    const ok = await change(() => api.setRole(person.id, role), `${person.name} ${ROLE_WORDS[role].toLowerCase()} now.`, `${person.name}’s role could not be changed`)
    if (!ok) select.disabled = false
    ui.list.querySelector(`[data-person-id="${CSS.escape(person.id)}"] .access-role`)?.focus()
  }
  async function remove (person, button) {
    button.disabled = true
    const ok = await change(() => api.remove(person.id), `${person.name} no longer has access.`, `${person.name} could not be removed`)
    if (!ok) button.disabled = false
    else (ui.form.hidden ? ui.list : ui.person).focus()
  }
  const suggestions = bindSuggestions(api, ui, {
    exclude: () => new Set([...(access ? access.people.map((entry) => entry.person.id) : []), access?.owner?.id].filter(Boolean)),
    onPick: (person) => { ui.person.value = person.email }
  })
  ui.form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const typed = ui.person.value.trim()
    if (!typed) { ui.person.focus(); return }
    // A name picked by hand: the suggestion of exactly that name, if there is one.
    const named = suggestions.items().filter((person) => person.name.toLowerCase() === typed.toLowerCase())
    const email = typed.includes('@') ? typed : named.length === 1 ? named[0].email : null
    if (!email) {
      say(`Pick “${typed}” from the suggestions, or type their email address.`, 'error')
      return
    }
    const submit = ui.form.querySelector('button[type="submit"]')
    submit.disabled = true
    const role = ui.role.value
    const ok = await change(() => api.add(email, role), `${email} ${ROLE_WORDS[role].toLowerCase()} now.`, 'Not added')
    submit.disabled = false
    if (ok) ui.person.value = ''
    ui.person.focus()
  })
  ui.org.addEventListener('change', () => {
    const role = ui.org.value || null
    const words = role ? `Anyone in the organisation with the link ${ROLE_WORDS[role].toLowerCase()}.` : 'Only the people listed have access.'
    change(() => api.organisation(role), words, 'The organisation’s access could not be changed')
  })
  ui.transfer.addEventListener('click', async () => {
    const to = await askTransfer(access, title())
    if (!to) { ui.transfer.focus(); return }
    const person = access.people.find((entry) => entry.person.id === to)?.person
    await change(() => api.transfer(to), `${person ? person.name : 'They'} own${person ? 's' : ''} this document now.`, 'Ownership could not be transferred')
    ui.list.focus()
  })
  ui.copyAddress.addEventListener('click', async () => {
    const address = `${location.origin}/d/${encodeURIComponent(room)}`
    try {
      await navigator.clipboard.writeText(address)
      ui.copied.textContent = 'Link copied. It opens for the people listed here.'
    } catch {
      ui.copied.textContent = address
    }
  })
  ui.list.tabIndex = -1
  ui.section.hidden = false
  return {
    refresh: async () => {
      say('')
      ui.copied.textContent = ''
      suggestions.close()
      reading++
      ui.list.setAttribute('aria-busy', 'true')
      try {
        await latest(api.get)
      } catch (err) {
        say(`Who has access could not be read: ${err.message}.`, 'error')
      } finally {
        if (--reading === 0) ui.list.removeAttribute('aria-busy')
      }
    },
    focusTarget: () => (ui.form.hidden ? null : ui.person)
  }
}
