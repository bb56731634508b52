// The outline: the document's headings beside the text (rich text: its heading blocks; plain
// text: its Markdown `#` headings, doc-reader.js), kept up to date as anyone edits. A heading
// clicked puts the caret at its start and scrolls it below the sticky header. On wide screens
// it is a column left of the text, open unless the person closed it; on phones a sheet over the
// text, closed until asked for. The person's choice is remembered in this browser. A window
// narrowed to a phone's width with the outline open closes it (it would cover the text), and
// widened again opens it again; neither is remembered as the person's choice.

const STORE = 'collab:outline'
const WIDE = 1100 // px: from here the outline is a column of its own, open by default

function el (tag, attrs = {}, text) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value)
  if (text !== undefined) node.textContent = text
  return node
}

function remembered () {
  try { return localStorage.getItem(STORE) } catch { return null }
}

function remember (state) {
  try { localStorage.setItem(STORE, state) } catch {}
}

const SHEET = window.matchMedia('(max-width: 720px)')
const isSheet = () => SHEET.matches

/**
 * Build the outline panel at the start of `workspace`, driven by `toggle` (a button that gets
 * aria-expanded). Returns {open, close, refresh}.
 */
export function bindOutline (reader, { workspace, toggle }) {
  const panel = el('nav', { class: 'outline-panel', id: 'outline-panel', 'aria-labelledby': 'outline-title' })
  const head = el('div', { class: 'outline-head' })
  const title = el('h2', { class: 'outline-title', id: 'outline-title' }, 'Outline')
  const close = el('button', { type: 'button', class: 'icon-button', title: 'Close', 'aria-label': 'Close the outline' })
  close.innerHTML = '<svg viewBox="0 0 24 24" width="17" height="17" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg>'
  head.append(title, close)
  const list = el('ol', { class: 'outline-list' })
  const empty = el('p', { class: 'outline-empty' }, 'No headings yet.')
  panel.append(head, list, empty)
  workspace.prepend(panel)
  toggle.setAttribute('aria-controls', panel.id)

  let items = []
  const render = () => {
    const headings = reader.headings()
    const same = headings.length === items.length && headings.every((h, i) => h.text === items[i].text && h.level === items[i].level)
    // Typing above a heading only moves it: the list stays as it is (and keeps the focus).
    items = headings
    if (same) return
    const top = Math.min(...headings.map((h) => h.level))
    list.replaceChildren(...headings.map((h, index) => {
      const li = el('li', { class: 'outline-item', 'data-level': String(h.level) })
      li.style.setProperty('--depth', String(h.level - top))
      const link = el('button', { type: 'button', class: 'outline-link' }, h.text)
      link.addEventListener('click', () => {
        if (isSheet()) setOpen(false, false)
        // Where the heading is now (others may have typed above it since the list was drawn).
        const now = reader.headings()[index]
        reader.goTo(now && now.text === h.text ? now.pos : items[index].pos)
      })
      li.append(link)
      return li
    }))
    empty.hidden = headings.length > 0
  }
  let pending = false
  const refresh = () => {
    if (pending || panel.hidden) return
    pending = true
    requestAnimationFrame(() => { pending = false; render() })
  }
  // Closed because the window narrowed to a sheet (not by the person): opened again when it widens.
  let narrowed = false
  const setOpen = (open, focus) => {
    narrowed = false
    panel.hidden = !open
    toggle.setAttribute('aria-expanded', String(open))
    document.body.classList.toggle('outline-open', open)
    if (open) {
      items = []
      render()
      if (focus && isSheet()) (list.querySelector('button') || close).focus()
    } else if (focus) {
      toggle.focus()
    }
  }
  const saved = remembered()
  // Phones start with the text; wider screens as the person left it (open when wide enough).
  setOpen(!isSheet() && (saved ? saved === 'open' : window.innerWidth >= WIDE), false)
  toggle.addEventListener('click', () => {
    const open = panel.hidden
    remember(open ? 'open' : 'closed')
    setOpen(open, true)
  })
  close.addEventListener('click', () => { remember('closed'); setOpen(false, true) })
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && isSheet()) {
      event.preventDefault()
      setOpen(false, true)
    }
  })
  SHEET.addEventListener('change', () => {
    if (isSheet() && !panel.hidden) {
      // Into a sheet the open outline would cover the text: closed, the focus left where it is
      // unless it was in the outline (then the toggle takes it).
      const inside = panel.contains(document.activeElement)
      setOpen(false, inside)
      narrowed = true
    } else if (!isSheet() && narrowed) {
      setOpen(true, false)
    }
  })
  reader.onChange(refresh)
  return { open: () => setOpen(true, false), close: () => setOpen(false, false), refresh }
}
