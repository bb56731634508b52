// The People page (/people, server admins): everyone who can sign in, searched by name or
// email, with Deactivate / Reactivate and Make admin / Remove admin (PATCH /api/people/{id}).
import { confirmDialog } from './confirm.js'
import { ago } from './home-list.js'
import { colorFor, initials } from './identity.js'
import { loadMe, sessionJson, signInUrl } from './session.js'

const SEARCH_WAIT = 200
const LIMIT = 200
const SIGN_IN_WORDS = { password: 'Password', provider: 'Organisation', both: 'Password, organisation', none: 'No way in yet' }

function el (tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

function say (text, tone = 'info') {
  const box = document.getElementById('people-message')
  box.textContent = text
  box.dataset.tone = tone
  box.setAttribute('role', tone === 'error' ? 'alert' : 'status')
  box.hidden = !text
}

function button (label, className, aria) {
  const node = el('button', className, label)
  node.type = 'button'
  if (aria) node.setAttribute('aria-label', aria)
  return node
}

/** One person's row; `self` (the admin looking) gets no buttons (the server refuses them). */
function personRow (person, { self, oidcName, onChange }) {
  const row = el('tr', person.active ? 'person-row' : 'person-row is-inactive')
  row.dataset.personId = person.id
  row.dataset.email = person.email
  const who = el('td', 'person-who')
  const avatar = el('span', 'account-avatar', initials(person.name))
  avatar.setAttribute('aria-hidden', 'true')
  avatar.style.setProperty('--avatar-color', colorFor(person.id))
  const names = el('span', 'person-names')
  const name = el('span', 'person-name', person.name)
  if (self) name.append(el('span', 'person-you', ' (you)'))
  names.append(name, el('span', 'person-email', person.email))
  who.append(avatar, names)
  const status = el('td', 'person-status')
  status.append(el('span', `chip ${person.active ? 'chip-ok' : 'chip-off'}`, person.active ? 'Active' : 'Deactivated'))
  if (person.admin) status.append(el('span', 'chip chip-admin', 'Admin'))
  const seen = el('td', 'person-seen')
  if (person.last_seen_at) {
    const time = el('time', '', ago(person.last_seen_at))
    time.dateTime = person.last_seen_at
    time.title = new Date(person.last_seen_at).toLocaleString()
    seen.append(time)
  } else {
    seen.textContent = 'Never'
  }
  const owned = el('td', 'people-num', String(person.documents_owned ?? 0))
  const words = { ...SIGN_IN_WORDS, provider: oidcName || SIGN_IN_WORDS.provider }
  if (oidcName) words.both = `Password, ${oidcName}`
  const way = el('td', 'person-way', words[person.sign_in] || person.sign_in || '')
  const actions = el('td', 'person-actions')
  if (!self) {
    const active = button(person.active ? 'Deactivate' : 'Reactivate',
      `secondary-button ${person.active ? 'person-deactivate' : 'person-reactivate'}`,
      `${person.active ? 'Deactivate' : 'Reactivate'} ${person.name}`)
    active.addEventListener('click', () => onChange(person, { active: !person.active }, active))
    const admin = button(person.admin ? 'Remove admin' : 'Make admin',
      `secondary-button ${person.admin ? 'person-unadmin' : 'person-admin'}`,
      `${person.admin ? 'Remove admin from' : 'Make admin:'} ${person.name}`)
    admin.addEventListener('click', () => onChange(person, { admin: !person.admin }, admin))
    actions.append(active, admin)
  }
  row.append(who, status, seen, owned, way, actions)
  return row
}

/** What to ask before a change, or null when it needs no question. */
function question (person, change) {
  if (change.active === false) {
    return {
      title: `Deactivate ${person.name}?`,
      text: `${person.name} is signed out everywhere at once and the documents they have open close. Their documents and what they wrote stay. You can reactivate them later.`,
      yes: 'Deactivate',
      danger: true
    }
  }
  if (change.admin === true) {
    return {
      title: `Make ${person.name} an admin?`,
      text: 'Admins see everyone on this server, can open every document and can deactivate people.',
      yes: 'Make admin'
    }
  }
  return null
}

function bindTable (me) {
  const search = document.getElementById('people-search')
  const rows = document.getElementById('people-rows')
  const table = document.getElementById('people-table')
  const empty = document.getElementById('people-empty')
  const oidcName = me.sign_in.oidc && me.sign_in.oidc.name
  let generation = 0
  const load = async () => {
    const mine = ++generation
    table.setAttribute('aria-busy', 'true')
    try {
      const params = new URLSearchParams({ limit: String(LIMIT) })
      if (search.value.trim()) params.set('q', search.value.trim())
      const { items } = await sessionJson(`/api/people?${params}`)
      if (mine !== generation) return
      rows.replaceChildren(...items.map((person) => personRow(person, { self: person.id === me.person.id, oidcName, onChange: change })))
      empty.textContent = search.value.trim() ? `Nobody matches “${search.value.trim()}”.` : 'Nobody has an account yet.'
      empty.hidden = items.length > 0
    } catch (err) {
      if (mine === generation) say(`The people could not be listed: ${err.message}.`, 'error')
    } finally {
      if (mine === generation) table.setAttribute('aria-busy', 'false')
    }
  }
  const change = async (person, values, pressed) => {
    const ask = question(person, values)
    if (ask && !(await confirmDialog({ ...ask, id: 'person-confirm' }))) {
      pressed.focus()
      return
    }
    pressed.disabled = true
    try {
      const updated = await sessionJson(`/api/people/${encodeURIComponent(person.id)}`, { method: 'PATCH', body: values })
      const what = 'active' in values
        ? `${updated.name} is ${updated.active ? 'active again' : 'deactivated'}.`
        : `${updated.name} is ${updated.admin ? 'now an admin' : 'no longer an admin'}.`
      say(what)
      await load()
      // The focus goes back to the same kind of button on that person's row.
      const row = rows.querySelector(`[data-person-id="${CSS.escape(person.id)}"]`)
      const again = row && row.querySelector('active' in values ? '.person-deactivate, .person-reactivate' : '.person-admin, .person-unadmin')
      if (again) again.focus()
    } catch (err) {
      pressed.disabled = false
      say(`${person.name} could not be changed: ${err.message}.`, 'error')
    }
  }
  let timer = null
  search.addEventListener('input', () => {
    clearTimeout(timer)
    timer = setTimeout(load, SEARCH_WAIT)
  })
  return load
}

async function main () {
  const me = await loadMe()
  if (me.development) {
    say('This server runs in development mode: there are no accounts, everyone is an admin.')
    return
  }
  if (!me.signed_in || !me.person) {
    location.replace(signInUrl('/people'))
    return
  }
  document.getElementById('account-name').textContent = me.person.name
  const avatar = document.getElementById('account-avatar')
  avatar.textContent = initials(me.person.name)
  avatar.style.setProperty('--avatar-color', colorFor(me.person.id))
  document.getElementById('account').hidden = false
  if (!me.person.admin) {
    document.getElementById('people-intro').hidden = true
    say('Only the server’s admins can see everyone who signs in here.', 'error')
    return
  }
  document.getElementById('people-browser').hidden = false
  await bindTable(me)()
}

main()
