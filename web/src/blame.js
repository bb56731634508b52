// The "Authors" toggle under the text: colours the text by who wrote it, from the server's blame
// (GET /api/rooms/{room}/blame), with a legend of the authors and each part's author and time on
// hover. While on, it asks again once edits pause (others' included), and when toggled on again.
// Both editors: blame-marks.js (plain text) and rich-blame-marks.js (rich text) draw the runs.
const REFRESH_DELAY = 800
// Asked again this many times when the answer does not spell the page's text yet.
const RETRIES = 5
// A long text is asked for in parts of what the server gives at once (20,000 characters).
const PARTS = 10
// Author colours, as numbered classes (doc-tools.css), in order of first appearance.
const COLOURS = 8

function el (tag, attrs = {}, text) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value)
  if (text !== undefined) node.textContent = text
  return node
}

function when (at) {
  if (!at) return ''
  return new Date(at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

/** The colour each person present has in the room (awareness `user.name` -> `user.color`):
 * blame shows an author in the colour of their caret and avatar while they are here. */
export function presenceColours (awareness) {
  const found = new Map()
  if (!awareness) return found
  for (const state of awareness.getStates().values()) {
    const user = state && state.user
    if (user && typeof user.name === 'string' && /^#[0-9a-f]{6}$/i.test(user.color || '')) {
      if (!found.has(user.name)) found.set(user.name, user.color)
    }
  }
  return found
}

/** The runs with their colour and hover title; the authors in order, with theirs. A colour is
 * a person's presence colour when `present` has one for them ({color}), else a number of the
 * palette (doc-tools.css), in order of first appearance. */
export function coloured (runs, present = new Map()) {
  const colours = new Map()
  let numbered = 0
  const shown = runs.map((run) => {
    const author = run.author || 'Unknown'
    if (!colours.has(author)) {
      colours.set(author, present.has(author) ? { color: present.get(author) } : numbered++ % COLOURS)
    }
    const title = run.at ? `${author} · ${when(run.at)}` : author
    return { text: run.text, author, colour: colours.get(author), title }
  })
  return { runs: shown, authors: [...colours] }
}

/** The class and style that draw `colour` (a palette number or {color}). */
export function colourAttrs (colour) {
  if (typeof colour === 'number') return { class: `cm-blame-${colour}`, style: '' }
  return { class: 'cm-blame-person', style: `--blame-person: ${colour.color}` }
}

/** Bind `button` (in the bar under the text) to `surface.blame`; `legend` lists the authors. */
export function bindBlame ({ room, surface, authHeaders, button, legend, awareness }) {
  let on = false
  let timer = 0
  let asked = 0
  let retries = 0
  const url = `/api/rooms/${encodeURIComponent(room)}/blame`

  /** The runs of the whole text, asked in parts (the server bounds each), at most PARTS. */
  async function fetchRuns () {
    const runs = []
    let index = 0
    for (let part = 0; part < PARTS; part++) {
      const res = await fetch(`${url}?index=${index}`, { headers: { accept: 'application/json', ...authHeaders() }, credentials: 'same-origin' })
      if (!res.ok) throw new Error(`blame: ${res.status}`)
      const body = await res.json()
      runs.push(...body.runs)
      index = body.index + body.length
      if (index >= body.total || body.length === 0) break
    }
    return runs
  }

  async function refresh () {
    const ask = ++asked
    let found
    try {
      found = await fetchRuns()
    } catch (err) {
      console.warn('collab:', err)
      return
    }
    if (!on || ask !== asked) return
    const { runs, authors } = coloured(found, presenceColours(awareness))
    // Runs that do not spell this page's text: its edits are not committed yet; ask again soon.
    if (!surface.blame.show(runs)) {
      if (retries++ < RETRIES) later()
      return
    }
    retries = 0
    legend.replaceChildren(...authors.map(([name, colour]) => {
      const item = el('li', { class: 'blame-author' })
      const look = colourAttrs(colour)
      const swatch = el('span', { class: `blame-swatch ${look.class}`, 'aria-hidden': 'true' })
      if (look.style) swatch.setAttribute('style', look.style)
      item.append(swatch, name)
      return item
    }))
    legend.hidden = false
  }

  function later () {
    clearTimeout(timer)
    if (on) timer = setTimeout(refresh, REFRESH_DELAY)
  }

  function set (next) {
    on = next
    button.setAttribute('aria-pressed', String(on))
    clearTimeout(timer)
    if (on) refresh()
    else {
      asked++
      surface.blame.clear()
      legend.hidden = true
      legend.replaceChildren()
    }
  }

  const edited = () => { retries = 0; later() }
  button.addEventListener('click', () => set(!on))
  if (surface.ytext) surface.ytext.observe(edited)
  else surface.fragment.observeDeep(edited)
  return { toggle: set, refresh }
}
