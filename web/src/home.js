// The home page (open servers): create a document from a title, import a file, search and sort
// the list, which says who is in each document and who edited it (web/README.md "Home page").
import { DELETED_KEY, createRoom, importFile, importPlan, listRooms } from './home-api.js'
import { emptyItem, failedItem, roomItem } from './home-list.js'

// How often the list is read again while the page is visible (who is in changes).
const REFRESH = 15000
const SEARCH_WAIT = 200

function showMessage (text, tone = 'info') {
  const box = document.getElementById('home-message')
  box.textContent = text
  box.dataset.tone = tone
  box.setAttribute('role', tone === 'error' ? 'alert' : 'status')
  box.hidden = !text
}

/** The list, drawn from the API for the current search and order. */
function bindList () {
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
  const load = async ({ append = false } = {}) => {
    const mine = ++generation
    list.setAttribute('aria-busy', 'true')
    try {
      const page = await listRooms({ q: search.value.trim(), sort: sort.value, cursor: append ? cursor : null })
      if (mine !== generation) return
      if (!append) list.replaceChildren()
      list.append(...page.items.map(roomItem))
      if (!list.children.length) list.append(emptyItem(search.value.trim()))
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
    if (search.value.trim()) next.set('q', search.value.trim())
    if (sort.value !== 'edited') next.set('sort', sort.value)
    history.replaceState(history.state, '', next.size ? `/?${next}` : '/')
  }
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
      showMessage(`“${file.name}” cannot be imported: choose a .txt, .md, .json or .yjs file.`, 'error')
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

function main () {
  if (!document.body.classList.contains('home-open')) return
  const deleted = sessionStorage.getItem(DELETED_KEY)
  if (deleted) {
    sessionStorage.removeItem(DELETED_KEY)
    showMessage(`“${deleted}” was deleted.`)
  }
  bindCreate()
  bindImport()
  bindList()()
}

main()
