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

/** The runs with their colour number and hover title; the authors in order, with theirs. */
export function coloured (runs) {
  const colours = new Map()
  const shown = runs.map((run) => {
    const author = run.author || 'Unknown'
    if (!colours.has(author)) colours.set(author, colours.size % COLOURS)
    const title = run.at ? `${author} · ${when(run.at)}` : author
    return { text: run.text, author, colour: colours.get(author), title }
  })
  return { runs: shown, authors: [...colours] }
}

/** Bind `button` (in the bar under the text) to `surface.blame`; `legend` lists the authors. */
export function bindBlame ({ room, surface, authHeaders, button, legend }) {
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
    const { runs, authors } = coloured(found)
    // Runs that do not spell this page's text: its edits are not committed yet; ask again soon.
    if (!surface.blame.show(runs)) {
      if (retries++ < RETRIES) later()
      return
    }
    retries = 0
    legend.replaceChildren(...authors.map(([name, colour]) => {
      const item = el('li', { class: 'blame-author' })
      item.append(el('span', { class: `blame-swatch cm-blame-${colour}`, 'aria-hidden': 'true' }), name)
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
