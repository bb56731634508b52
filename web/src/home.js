// The home page: create a document from a title, import a file, search and sort the list, which
// says who is in each document and who edited it (web/README.md "Home page"). On an open
// server (development) for everyone; on a server with a secret for a signed-in person, with
// their tabs (all, owned, shared, recent), who they are and Sign out; else a way to sign in.
// Both have a Trash tab (home-trash.js): deleted documents to restore or delete forever.
import { DELETED_KEY, TRASH_DAYS_KEY, createRoom, importFile, importPlan, listRooms } from './home-api.js'
import { emptyItem, failedItem, roomItem } from './home-list.js'
import { confirmForever, deleteForever, emptyTrash, listTrash, period, restoreFromTrash, trashItem } from './home-trash.js'
import { colorFor, initials } from './identity.js'
import { loadMe, signInUrl, signOut } from './session.js'

// How often the list is read again while the page is visible (who is in changes).
const REFRESH = 15000
const SEARCH_WAIT = 200
const SCOPE_TITLES = { all: 'All documents', mine: 'Owned by me', shared: 'Shared with me', recent: 'Recently opened', trash: 'Trash' }

function showMessage (text, tone = 'info') {
  const box = document.getElementById('home-message')
  box.textContent = text
  box.dataset.tone = tone
  box.setAttribute('role', tone === 'error' ? 'alert' : 'status')
  box.hidden = !text
}

/** On a narrow screen the tabs scroll sideways: keep the chosen one (Trash, last) in view. */
function keepInView (tab) {
  const bar = tab.parentElement
  const left = tab.offsetLeft - bar.offsetLeft
  if (left < bar.scrollLeft) bar.scrollLeft = left
  else if (left + tab.offsetWidth > bar.scrollLeft + bar.clientWidth) bar.scrollLeft = left + tab.offsetWidth - bar.clientWidth
}

/**
 * The tabs of the lists (a tablist: arrows, Home and End move and choose): all documents and
 * the trash, and a signed-in person's owned, shared and recent ones. `onChange()` runs after
 * the chosen scope changes; returns {scope()}.
 */
function bindScopeTabs (initial, onChange, person) {
  if (!person) for (const tab of document.querySelectorAll('#scope-tabs .person-tab')) tab.remove()
  const tabs = [...document.querySelectorAll('#scope-tabs [role="tab"]')]
  const panel = document.getElementById('room-panel')
  panel.setAttribute('role', 'tabpanel')
  let scope = tabs.some((tab) => tab.dataset.scope === initial) ? initial : 'all'
  const select = (tab, focus) => {
    scope = tab.dataset.scope
    document.querySelector('.room-browser').classList.toggle('is-trash', scope === 'trash')
    for (const other of tabs) {
      const on = other === tab
      other.setAttribute('aria-selected', String(on))
      other.tabIndex = on ? 0 : -1
    }
    panel.setAttribute('aria-labelledby', tab.id)
    keepInView(tab)
    document.getElementById('rooms-title').textContent = SCOPE_TITLES[scope]
    if (focus) tab.focus()
  }
  select(tabs.find((tab) => tab.dataset.scope === scope), false)
  window.addEventListener('resize', () => keepInView(tabs.find((tab) => tab.dataset.scope === scope)))
  for (const tab of tabs) {
    tab.addEventListener('click', () => {
      if (tab.dataset.scope === scope) return
      select(tab, false)
      onChange()
    })
    tab.addEventListener('keydown', (event) => {
      const at = tabs.indexOf(tab)
      const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[event.key]
      if (to === undefined) return
      event.preventDefault()
      select(tabs[(to + tabs.length) % tabs.length], true)
      onChange()
    })
  }
  document.getElementById('scope-tabs').hidden = false
  return { scope: () => scope }
}

/** The list, drawn from the API for the current search, order (and a person's scope). */
function bindList (person = null) {
  const list = document.getElementById('room-list')
  const search = document.getElementById('room-search')
  const sort = document.getElementById('room-sort')
  const more = document.getElementById('room-more')
  const params = new URLSearchParams(location.search)
  search.value = params.get('q') || ''
  if (params.get('sort')) sort.value = params.get('sort')
  let cursor = null
  let generation = 0
  let failed = false
  let tabs = null
  const scope = () => (tabs ? tabs.scope() : 'all')
  const load = async ({ append = false } = {}) => {
    const mine = ++generation
    list.setAttribute('aria-busy', 'true')
    try {
      if (scope() === 'trash') {
        const trash = await listTrash()
        if (mine !== generation) return
        list.replaceChildren(...trash.items.map((doc) => trashItem(doc, trashActions)))
        if (!list.children.length) list.append(emptyTrash(trash.days))
        cursor = null
        more.hidden = true
        if (failed) showMessage('')
        failed = false
        return
      }
      const page = await listRooms({ q: search.value.trim(), sort: sort.value, cursor: append ? cursor : null, scope: person ? scope() : null })
      if (mine !== generation) return
      if (!append) list.replaceChildren()
      list.append(...page.items.map((room) => roomItem(room, person)))
      if (!list.children.length) list.append(emptyItem(search.value.trim(), scope()))
      cursor = page.next_cursor
      more.hidden = !cursor
      if (failed) showMessage('')
      failed = false
    } catch (err) {
      if (mine !== generation) return
      failed = true
      showMessage(`The list could not be loaded: ${err.message}.`, 'error')
      if (!append) list.replaceChildren(failedItem(() => load()))
    } finally {
      if (mine === generation) list.setAttribute('aria-busy', 'false')
    }
  }
  const remember = () => {
    const next = new URLSearchParams()
    if (scope() !== 'all') next.set('scope', scope())
    if (search.value.trim()) next.set('q', search.value.trim())
    if (sort.value !== 'edited') next.set('sort', sort.value)
    history.replaceState(history.state, '', next.size ? `/?${next}` : '/')
  }
  const trashActions = {
    restore: async (doc) => {
      const title = doc.title || doc.name
      try {
        await restoreFromTrash(doc.name)
        showMessage(`“${title}” was restored.`)
      } catch (err) {
        showMessage(`“${title}” could not be restored: ${err.message}.`, 'error')
      }
      load()
    },
    forget: async (doc) => {
      const title = doc.title || doc.name
      if (!(await confirmForever(doc))) return
      try {
        await deleteForever(doc.name)
        showMessage(`“${title}” was deleted forever.`)
      } catch (err) {
        showMessage(`“${title}” could not be deleted: ${err.message}.`, 'error')
      }
      load()
    }
  }
  tabs = bindScopeTabs(params.get('scope'), () => { remember(); load() }, person)
  let timer = null
  search.addEventListener('input', () => {
    clearTimeout(timer)
    timer = setTimeout(() => { remember(); load() }, SEARCH_WAIT)
  })
  sort.addEventListener('change', () => { remember(); load() })
  more.addEventListener('click', () => load({ append: true }))
  setInterval(() => { if (document.visibilityState === 'visible' && !cursor) load() }, REFRESH)
  return load
}

/** Who is signed in, Sign out, and the People page for server admins. */
function bindAccount (me) {
  const person = me.person
  document.getElementById('account-name').textContent = me.name || person.name
  const avatar = document.getElementById('account-avatar')
  avatar.textContent = initials(me.name || person.name)
  avatar.style.setProperty('--avatar-color', colorFor(person.id))
  document.getElementById('people-link').hidden = !person.admin
  const button = document.getElementById('sign-out')
  button.setAttribute('aria-label', `Sign out ${person.name}`)
  button.addEventListener('click', async () => {
    button.disabled = true
    try {
      await signOut()
      location.assign('/signin')
    } catch (err) {
      showMessage(`You could not be signed out: ${err.message}.`, 'error')
      button.disabled = false
    }
  })
  document.getElementById('account').hidden = false
}

function bindCreate () {
  const form = document.getElementById('new-room-form')
  const input = document.getElementById('new-title')
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const title = input.value.trim()
    if (!title) return
    const button = form.querySelector('button[type="submit"]')
    button.disabled = true
    try {
      const room = await createRoom(title, form.elements.kind.value)
      location.assign(`/d/${encodeURIComponent(room.name)}`)
    } catch (err) {
      showMessage(`“${title}” could not be created: ${err.message}.`, 'error')
      button.disabled = false
      input.focus()
    }
  })
}

function bindImport () {
  const button = document.getElementById('import-button')
  const input = document.getElementById('import-file')
  button.addEventListener('click', () => input.click())
  input.addEventListener('change', async () => {
    const file = input.files[0]
    input.value = ''
    if (!file) return
    const plan = importPlan(file.name)
    if (!plan) {
      showMessage(`“${file.name}” cannot be imported: choose a .txt, .md, .json, .yjs or .collab file.`, 'error')
      return
    }
    showMessage(`Importing “${file.name}”…`)
    try {
      const room = await importFile(file, plan)
      location.assign(`/d/${encodeURIComponent(room.name)}`)
    } catch (err) {
      showMessage(`“${file.name}” could not be imported: ${err.message}.`, 'error')
    }
  })
}

function showDeleted () {
  const deleted = sessionStorage.getItem(DELETED_KEY)
  if (deleted) {
    const days = Number(sessionStorage.getItem(TRASH_DAYS_KEY) || 0)
    sessionStorage.removeItem(DELETED_KEY)
    sessionStorage.removeItem(TRASH_DAYS_KEY)
    showMessage(days > 0 ? `“${deleted}” was deleted. It is in the Trash for ${period(days)}.` : `“${deleted}” was deleted.`)
  }
}

/** The page as a person signed in to a server with a secret sees it. */
function startPerson (me) {
  const body = document.body
  body.classList.remove('home-private', 'home-session')
  body.classList.add('home-person')
  bindAccount(me)
  showDeleted()
  bindCreate()
  bindImport()
  bindList(me.person)()
}

async function main () {
  const body = document.body
  if (body.classList.contains('home-open')) {
    showDeleted()
    bindCreate()
    bindImport()
    bindList()()
    return
  }
  const me = await loadMe()
  if (me.signed_in && me.person) {
    startPerson(me)
    return
  }
  body.classList.remove('home-session')
  body.classList.add('home-private')
  document.getElementById('signin-link').href = signInUrl('/')
}

main()
