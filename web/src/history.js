// The History panel: the room's versions (time, label, people), a preview of one version with
// the changes since then, "Save version" and "Restore this version". Server strings are only
// ever put into the page with textContent.

const PAGE_SIZE = 50
const SAVE_WAIT = 10000
/** Unchanged runs longer than this are shortened to CONTEXT characters on each side. */
const LONG_EQUAL = 600
const CONTEXT = 160

const KIND_LABELS = { named: 'Named', auto: 'Auto', restore: 'Restored' }
const DEFAULT_TITLES = { named: 'Named version', auto: 'Automatic version', restore: 'Restored version' }

/** A small JSON client for /api/rooms/{room}/versions; errors carry the problem `detail`. */
export function versionsApi (room, fetchImpl = (...args) => fetch(...args), authHeaders = () => ({})) {
  const base = `/api/rooms/${encodeURIComponent(room)}/versions`
  async function call (method, path = '', { body, headers = {} } = {}) {
    // Authorization: Bearer <token> on every call (no header in development mode without a token).
    const init = { method, cache: 'no-store', headers: { accept: 'application/json', ...authHeaders(), ...headers } }
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    let res
    try {
      res = await fetchImpl(base + path, init)
    } catch {
      throw new Error('The server could not be reached.')
    }
    let data = null
    try { data = await res.json() } catch { /* no body */ }
    if (!res.ok) {
      const error = new Error((data && data.detail) || `The server answered ${res.status}.`)
      error.status = res.status
      throw error
    }
    return data
  }
  /** A text body (a rendered version); errors as for JSON calls. */
  async function text (url) {
    let res
    try {
      res = await fetchImpl(url, { cache: 'no-store', headers: { ...authHeaders() } })
    } catch {
      throw new Error('The server could not be reached.')
    }
    if (!res.ok) {
      let data = null
      try { data = await res.json() } catch { /* no body */ }
      const error = new Error((data && data.detail) || `The server answered ${res.status}.`)
      error.status = res.status
      throw error
    }
    return res.text()
  }
  return {
    list: (cursor) => call('GET', `?limit=${PAGE_SIZE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
    save: (label, author) => call('POST', '', { body: author ? { label, author } : { label } }),
    diff: (id, against) => call('GET', `/${id}/diff${against ? `?against=${encodeURIComponent(against)}` : ''}`),
    full: (id, format) => text(`/api/rooms/${encodeURIComponent(room)}/snapshot?version=${encodeURIComponent(id)}&format=${format}`),
    restore: (id, author) => call('POST', `/${id}/restore`, { headers: authorHeader(author) })
  }
}

/** X-Collab-Author, when the name can travel in an HTTP header (ISO-8859-1 only). */
function authorHeader (name) {
  return name && /^[\x20-\x7e\xa0-\xff]+$/.test(name) ? { 'x-collab-author': name } : {}
}

/** "First draft", or a readable stand-in for versions without a label. */
export function versionTitle (version) {
  return version.label || DEFAULT_TITLES[version.kind] || 'Version'
}

/**
 * The title to show: the server's "Restored version 7" / "Before restoring version 7" become
 * Restored “First draft” / Before restoring “First draft” when `byId` (id -> version) knows 7.
 */
export function displayTitle (version, byId = new Map()) {
  const match = /^(Restored version|Before restoring version) (\d+)$/.exec(version.label || '')
  const target = match && byId.get(Number(match[2]))
  if (!target || !target.label || target.id === version.id) return versionTitle(version)
  return `${match[1] === 'Restored version' ? 'Restored' : 'Before restoring'} “${target.label}”`
}

/** "Alice", "Alice and Bob", "Alice, Bob and Carol", "Alice, Bob and 3 others". */
export function nameList (names) {
  const unique = [...new Set(names.filter(Boolean))]
  if (unique.length <= 1) return unique.join('')
  if (unique.length <= 3) return `${unique.slice(0, -1).join(', ')} and ${unique[unique.length - 1]}`
  return `${unique.slice(0, 2).join(', ')} and ${unique.length - 2} others`
}

/** Who is behind a version, as one line: "Saved by Alice · edits by Alice and Bob". */
export function peopleLine (version) {
  const parts = []
  if (version.author) {
    const verb = version.kind === 'restore' ? 'Restored' : version.kind === 'named' ? 'Saved' : 'Recorded'
    parts.push(`${verb} by ${version.author}`)
  }
  const authors = nameList(version.authors || [])
  if (authors) parts.push(`${parts.length ? 'edits' : 'Edits'} by ${authors}`)
  return parts.join(' · ')
}

const pad = (n) => String(n).padStart(2, '0')

/** "just now", "4 min ago", "Today, 14:03", "Yesterday, 09:12", "3 Nov, 18:40", "3 Nov 2024, 18:40". */
export function formatTime (iso, now = new Date()) {
  const when = new Date(iso)
  if (Number.isNaN(when.getTime())) return iso
  const seconds = (now - when) / 1000
  if (seconds >= -30 && seconds < 45) return 'just now'
  if (seconds >= 0 && seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min ago`
  const clock = `${pad(when.getHours())}:${pad(when.getMinutes())}`
  const day = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime()
  const days = Math.round((day(now) - day(when)) / 86400000)
  if (days === 0) return `Today, ${clock}`
  if (days === 1) return `Yesterday, ${clock}`
  const opts = { day: 'numeric', month: 'short' }
  if (when.getFullYear() !== now.getFullYear()) opts.year = 'numeric'
  return `${when.toLocaleDateString(undefined, opts)}, ${clock}`
}

function shortTime (iso) {
  const when = new Date(iso)
  return Number.isNaN(when.getTime()) ? iso : when.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

function fullTime (iso) {
  const when = new Date(iso)
  return Number.isNaN(when.getTime()) ? iso : when.toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'medium' })
}

const WORD_END = /[\p{L}\p{N}_]+$/u
const WORD_START = /^[\p{L}\p{N}_]+/u
const STARTS_WORD = /^[\p{L}\p{N}_]/u
const ENDS_WORD = /[\p{L}\p{N}_]$/u

/**
 * Make a character diff readable: edits separated only by part of a word (or one space)
 * become one edit, and edits grow to whole words ("S[till h]ip" becomes "[Ship]→[Still]").
 * Returns [{op, text}] where each change is one delete then one insert; the texts still spell
 * the old text (equal + delete) and the new text (equal + insert).
 */
export function wordDiff (ops) {
  const out = []
  let region = null
  const flush = () => {
    if (!region) return
    if (region.del) out.push({ op: 'delete', text: region.del })
    if (region.ins) out.push({ op: 'insert', text: region.ins })
    region = null
  }
  ops.forEach((op, i) => {
    if (!op.text) return
    if (op.op !== 'equal') {
      region = region || { del: '', ins: '' }
      if (op.op === 'delete') region.del += op.text
      else region.ins += op.text
      return
    }
    const between = region && i < ops.length - 1
    if (between && (op.text === ' ' || (op.text.length <= 12 && !/\s/.test(op.text)))) {
      region.del += op.text
      region.ins += op.text
      return
    }
    flush()
    out.push({ op: 'equal', text: op.text })
  })
  flush()
  // Grow every change to word boundaries, borrowing from the unchanged text around it.
  for (let i = 0; i < out.length; i++) {
    if (out[i].op === 'equal') continue
    let end = i
    while (end + 1 < out.length && out[end + 1].op !== 'equal') end++
    const del = out[i].op === 'delete' ? out[i] : null
    const ins = out[end].op === 'insert' ? out[end] : null
    const texts = [del && del.text, ins && ins.text].filter(Boolean)
    const before = out[i - 1]
    const head = before && ENDS_WORD.test(before.text) && texts.some((t) => STARTS_WORD.test(t))
      ? before.text.match(WORD_END)[0] : ''
    const after = out[end + 1]
    const tail = after && STARTS_WORD.test(after.text) && texts.some((t) => ENDS_WORD.test(t))
      ? after.text.match(WORD_START)[0] : ''
    if (!head && !tail) {
      i = end
      continue
    }
    const oldText = head + (del ? del.text : '') + tail
    const newText = head + (ins ? ins.text : '') + tail
    const change = []
    if (oldText) change.push({ op: 'delete', text: oldText })
    if (newText) change.push({ op: 'insert', text: newText })
    if (head) before.text = before.text.slice(0, -head.length)
    if (tail) after.text = after.text.slice(tail.length)
    out.splice(i, end - i + 1, ...change)
    i += change.length - 1
  }
  return out.filter((op) => op.text)
}

/**
 * Turn diff ops into preview pieces; long unchanged runs are cut to their edges.
 * Returns [{op: 'equal'|'insert'|'delete'|'skip', text}] (skip: text is the number of characters left out).
 */
export function previewPieces (ops) {
  const pieces = []
  ops.forEach((op, i) => {
    if (op.op !== 'equal' || op.text.length <= LONG_EQUAL) {
      pieces.push({ op: op.op, text: op.text })
      return
    }
    const first = i === 0
    const last = i === ops.length - 1
    if (first && last) {
      pieces.push({ op: 'equal', text: op.text })
      return
    }
    const head = first ? '' : op.text.slice(0, CONTEXT)
    const tail = last ? '' : op.text.slice(-CONTEXT)
    if (head) pieces.push({ op: 'equal', text: head })
    pieces.push({ op: 'skip', text: String(op.text.length - head.length - tail.length) })
    if (tail) pieces.push({ op: 'equal', text: tail })
  })
  return pieces
}

function el (tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

/**
 * Wire the History panel.
 * @param {object} options
 * @param {string} options.room
 * @param {() => string} options.displayName who is saving or restoring
 * @param {() => boolean} options.isSaved true when the server has all local edits
 * @param {import('yjs').Doc} options.ydoc to refresh an open preview when the text changes
 * @param {() => object} [options.authHeaders] extra headers for every API call (the bearer token)
 * @param {{saveVersion: boolean, restore: boolean}} [options.can] what this person's role allows;
 *   the controls for the rest are removed from the panel
 * @param {'text'|'rich'} [options.kind] the document's kind (how a version is shown in full)
 */
export function bindHistory ({ room, displayName, isSaved, ydoc, authHeaders, can = { saveVersion: true, restore: true }, kind = 'text' }) {
  const $ = (id) => document.getElementById(id)
  const panel = $('side-panel')
  const toggle = $('side-toggle')
  const list = $('version-list')
  const more = $('history-more')
  const message = $('history-message')
  const listView = $('history-list-view')
  const preview = $('version-preview')
  const diffView = $('diff-view')
  const restoreButton = $('restore-button')
  const confirmBox = $('restore-confirm')
  const saveForm = $('save-version')
  const labelInput = $('version-label')
  const api = versionsApi(room, undefined, authHeaders)
  // Roles: viewers only read the history; editors also save versions; admins also restore.
  saveForm.hidden = !can.saveVersion
  $('restore-box').hidden = !can.restore
  for (const control of saveForm.elements) control.disabled = !can.saveVersion
  restoreButton.disabled = !can.restore

  const state = {
    versions: [], cursor: null, selected: null, against: null, loading: 0, busy: false, highlight: new Set(), lastRestore: null
  }
  const compare = $('compare-with')
  const fullView = $('full-view')
  const tabs = { changes: $('tab-changes'), full: $('tab-full') }
  let clockTimer = null
  let refreshTimer = null
  let diffRequest = 0

  function say (text, tone = 'info') {
    message.textContent = text
    message.dataset.tone = tone
    message.hidden = !text
  }

  function setLoading (delta) {
    state.loading += delta
    panel.classList.toggle('is-loading', state.loading > 0)
  }

  // ---------- open / close ----------
  function open () {
    panel.hidden = false
    toggle.setAttribute('aria-expanded', 'true')
    document.body.classList.add('history-open')
    clockTimer = setInterval(renderTimes, 30000)
    refresh()
  }

  function close () {
    panel.hidden = true
    toggle.setAttribute('aria-expanded', 'false')
    document.body.classList.remove('history-open')
    clearInterval(clockTimer)
    clockTimer = null
    hideConfirm()
    toggle.focus()
  }

  toggle.disabled = false
  toggle.title = 'History'
  toggle.setAttribute('aria-label', 'History')
  toggle.addEventListener('click', () => (panel.hidden ? open() : close()))
  $('history-close').addEventListener('click', close)
  $('history-refresh').addEventListener('click', () => refresh())
  panel.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return
    if (!confirmBox.hidden) hideConfirm()
    else if (!preview.hidden) showList()
    else close()
  })

  // ---------- the list ----------
  async function refresh () {
    await loadList()
    if (state.selected) {
      const fresh = state.versions.find((v) => v.id === state.selected.id)
      if (fresh) state.selected = fresh
      renderPreviewHead()
      loadDiff()
    }
  }

  async function loadList (append = false) {
    setLoading(1)
    try {
      const page = await api.list(append ? state.cursor : null)
      state.versions = append ? [...state.versions, ...page.items] : page.items
      state.cursor = page.next_cursor
      renderList()
      if (message.dataset.tone === 'error') say('')
    } catch (err) {
      if (err.status === 404 && !append) {
        state.versions = []
        state.cursor = null
        renderList()
      } else {
        say(`Could not load the history. ${err.message}`, 'error')
      }
    } finally {
      setLoading(-1)
    }
  }

  /** The title of a version as this list shows it. */
  const titleOf = (version) => displayTitle(version, new Map(state.versions.map((v) => [v.id, v])))

  function renderList () {
    const byId = new Map(state.versions.map((v) => [v.id, v]))
    const items = state.versions.map((version) => {
      const li = el('li')
      const button = el('button', 'version-item')
      button.type = 'button'
      button.dataset.versionId = String(version.id)
      button.dataset.kind = version.kind
      if (state.highlight.has(version.id)) button.classList.add('is-new')
      if (state.selected && state.selected.id === version.id) button.setAttribute('aria-current', 'true')
      const top = el('span', 'version-top')
      top.append(el('span', 'version-label', displayTitle(version, byId)),
        el('span', `version-kind kind-${version.kind}`, KIND_LABELS[version.kind] || version.kind))
      const time = el('time', 'version-time', formatTime(version.created_at))
      time.dateTime = version.created_at
      time.title = fullTime(version.created_at)
      button.append(top, time)
      const people = peopleLine(version)
      if (people) button.append(el('span', 'version-people', people))
      button.addEventListener('click', () => select(version))
      li.append(button)
      return li
    })
    if (!items.length) {
      items.push(el('li', 'version-empty', can.saveVersion
        ? 'No versions yet. Versions are kept automatically as you write, or save one above with a name.'
        : 'No versions yet. Versions are kept automatically as people write.'))
    }
    list.replaceChildren(...items)
    more.hidden = !state.cursor
  }

  function renderTimes () {
    for (const time of list.querySelectorAll('time[datetime]')) time.textContent = formatTime(time.dateTime)
  }

  more.addEventListener('click', () => loadList(true))

  // ---------- saving ----------
  async function waitSaved () {
    const deadline = Date.now() + SAVE_WAIT
    while (!isSaved()) {
      if (Date.now() > deadline) return false
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return true
  }

  saveForm.addEventListener('submit', async (event) => {
    event.preventDefault()
    const label = labelInput.value.replace(/\s+/g, ' ').trim()
    if (!label || state.busy || !can.saveVersion) return
    state.busy = true
    saveForm.classList.add('is-busy')
    try {
      if (!isSaved()) {
        say('Waiting for your latest edits to reach the server…')
        if (!(await waitSaved())) {
          say('Your latest edits have not reached the server yet. Try again when the page says "All changes saved".', 'error')
          return
        }
      }
      const version = await api.save(label, displayName())
      labelInput.value = ''
      state.highlight = new Set([version.id])
      say(version.label === label && version.kind === 'named'
        ? `Saved “${label}”.`
        : `Saved as “${versionTitle(version)}”.`, 'ok')
      await loadList()
    } catch (err) {
      say(`Could not save the version. ${err.message}`, 'error')
    } finally {
      state.busy = false
      saveForm.classList.remove('is-busy')
    }
  })

  // ---------- the preview ----------
  function select (version) {
    state.selected = version
    state.highlight.clear()
    say('')
    for (const item of list.querySelectorAll('.version-item')) {
      item.toggleAttribute('aria-current', item.dataset.versionId === String(version.id))
    }
    listView.hidden = true
    saveForm.hidden = true
    preview.hidden = false
    panel.classList.add('is-previewing')
    hideConfirm()
    renderPreviewHead()
    diffView.replaceChildren(el('p', 'diff-placeholder', 'Loading the changes…'))
    $('diff-stats').textContent = ''
    state.against = null
    renderCompare()
    showTab('changes')
    loadDiff()
    $('preview-back').focus()
  }

  /** "Compare with": the current document, or any other loaded version. */
  function renderCompare () {
    const options = [el('option', '', 'the current document')]
    options[0].value = ''
    for (const version of state.versions) {
      if (!state.selected || version.id === state.selected.id) continue
      const option = el('option', '', `${titleOf(version)} · ${shortTime(version.created_at)}`)
      option.value = String(version.id)
      option.selected = state.against === version.id
      options.push(option)
    }
    compare.replaceChildren(...options)
    const against = state.against && state.versions.find((v) => v.id === state.against)
    $('diff-caption-title').textContent = against
      ? `From this version to “${titleOf(against)}”`
      : 'Changes since this version'
    $('restore-legend').hidden = !!against
    diffView.setAttribute('aria-label', against ? `This version compared with “${titleOf(against)}”` : 'This version compared with the current text')
  }

  compare.addEventListener('change', () => {
    state.against = compare.value ? Number(compare.value) : null
    renderCompare()
    loadDiff()
  })

  function showTab (name) {
    for (const [key, tab] of Object.entries(tabs)) tab.setAttribute('aria-selected', String(key === name))
    $('changes-view').hidden = name !== 'changes'
    fullView.hidden = name !== 'full'
    if (name === 'full') loadFull()
  }

  tabs.changes.addEventListener('click', () => showTab('changes'))
  tabs.full.addEventListener('click', () => showTab('full'))

  /** The selected version as it was, read-only: its text, or a rich document rendered. */
  async function loadFull () {
    const version = state.selected
    if (!version) return
    fullView.replaceChildren(el('p', 'diff-placeholder', 'Loading this version…'))
    try {
      const body = await api.full(version.id, kind === 'rich' ? 'html' : 'text')
      if (state.selected !== version) return
      if (kind !== 'rich') {
        fullView.replaceChildren(body ? el('pre', 'full-text', body) : el('p', 'diff-placeholder', 'This version is empty.'))
        return
      }
      // The server escapes every text and attribute; a sandbox without scripts holds it anyway.
      const frame = el('iframe', 'full-rich')
      frame.title = `${titleOf(version)}, in full`
      frame.setAttribute('sandbox', '')
      frame.srcdoc = `<!doctype html><meta charset="utf-8"><style>${FULL_STYLE}</style><body>${body}</body>`
      fullView.replaceChildren(frame)
    } catch (err) {
      if (state.selected === version) fullView.replaceChildren(el('p', 'diff-placeholder is-error', `Could not load this version. ${err.message}`))
    }
  }

  function showList () {
    state.selected = null
    preview.hidden = true
    listView.hidden = false
    saveForm.hidden = !can.saveVersion
    panel.classList.remove('is-previewing')
    hideConfirm()
    renderList()
  }

  $('preview-back').addEventListener('click', showList)

  function renderPreviewHead () {
    const version = state.selected
    if (!version) return
    $('preview-title').textContent = titleOf(version)
    const kind = $('preview-kind')
    kind.textContent = KIND_LABELS[version.kind] || version.kind
    kind.className = `version-kind kind-${version.kind}`
    const time = $('preview-time')
    time.textContent = shortTime(version.created_at)
    time.dateTime = version.created_at
    time.title = fullTime(version.created_at)
    const people = peopleLine(version)
    $('preview-people').textContent = people
    $('preview-people').hidden = !people
  }

  async function loadDiff () {
    const version = state.selected
    if (!version) return
    const request = ++diffRequest
    setLoading(1)
    try {
      const diff = await api.diff(version.id, state.against)
      if (request !== diffRequest || state.selected !== version) return
      renderDiff(diff)
    } catch (err) {
      if (request !== diffRequest) return
      diffView.replaceChildren(el('p', 'diff-placeholder is-error', `Could not load the changes. ${err.message}`))
    } finally {
      setLoading(-1)
    }
  }

  function renderDiff (diff) {
    const { inserted_chars: added = 0, deleted_chars: removed = 0 } = diff.stats || {}
    const stats = $('diff-stats')
    stats.replaceChildren()
    if (!added && !removed) {
      stats.append(el('span', 'stat-same', 'Same as the current text'))
    } else {
      stats.append(el('span', 'stat-added', `+${added} added`), el('span', 'stat-removed', `−${removed} removed`))
    }
    const nodes = previewPieces(wordDiff(diff.chars || [])).map((piece) => {
      if (piece.op === 'insert') return el('ins', 'diff-insert', piece.text)
      if (piece.op === 'delete') return el('del', 'diff-delete', piece.text)
      if (piece.op === 'skip') return el('span', 'diff-skip', `… ${Number(piece.text).toLocaleString()} unchanged characters …`)
      return document.createTextNode(piece.text)
    })
    if (!nodes.length) nodes.push(el('p', 'diff-placeholder', 'Both texts are empty.'))
    diffView.replaceChildren(...nodes)
    restoreButton.disabled = !can.restore
  }

  // The preview compares with the current text: keep it current while people type.
  ydoc.on('update', () => {
    if (panel.hidden || !state.selected || state.against) return
    clearTimeout(refreshTimer)
    refreshTimer = setTimeout(loadDiff, 1200)
  })

  // ---------- restoring ----------
  function hideConfirm () {
    confirmBox.hidden = true
    restoreButton.hidden = false
  }

  restoreButton.addEventListener('click', () => {
    if (!state.selected || !can.restore) return
    $('restore-confirm-text').textContent =
      `Everyone's text becomes “${titleOf(state.selected)}” again. ` +
      'The current text is kept as a version first, so you can go back.'
    restoreButton.hidden = true
    confirmBox.hidden = false
    $('restore-yes').focus()
  })
  $('restore-no').addEventListener('click', () => {
    hideConfirm()
    restoreButton.focus()
  })
  $('restore-yes').addEventListener('click', async () => {
    const version = state.selected
    if (!version || state.busy || !can.restore) return
    state.busy = true
    confirmBox.classList.add('is-busy')
    try {
      const result = await api.restore(version.id, displayName())
      state.lastRestore = result
      state.highlight = new Set([result.restored.id, result.safety.id])
      showList()
      say(result.changed
        ? `Restored “${titleOf(version)}”. The text from before is kept in the history too.`
        : `The text already matched “${titleOf(version)}”; nothing changed.`, 'ok')
      await loadList()
    } catch (err) {
      say(`Could not restore. ${err.message}`, 'error')
      hideConfirm()
    } finally {
      state.busy = false
      confirmBox.classList.remove('is-busy')
    }
  })

  /**
   * A room event (events.js): a version recorded by anyone, or a restore, appears at once.
   * Versions are merged by id (a named save may name an automatic version: same id).
   */
  function onEvent (event) {
    if (event.type === 'version' && event.version && typeof event.version.id === 'number') {
      const version = event.version
      const others = state.versions.filter((v) => v.id !== version.id)
      const known = others.length !== state.versions.length
      if (!known && state.cursor && state.versions.length && version.id < state.versions[state.versions.length - 1].id) return
      state.versions = [...others, version].sort((a, b) => b.id - a.id)
      if (!known) state.highlight.add(version.id)
      if (state.selected && state.selected.id === version.id) {
        state.selected = version
        renderPreviewHead()
      }
      if (preview.hidden) renderList()
      else renderCompare()
    } else if (event.type === 'restore' && state.selected && !state.against) {
      loadDiff()
    }
  }

  return { open, close, refresh, state, onEvent }
}

/** Styles of a rich version shown in full (inside its sandboxed frame). */
const FULL_STYLE = 'body{margin:0;padding:14px 16px;font:14.5px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2024}' +
  'h1,h2,h3{line-height:1.25;margin:.9em 0 .3em}h1{font-size:1.6em}h2{font-size:1.3em}h3{font-size:1.1em}' +
  'p{margin:0 0 .6em}ul,ol{padding-left:1.4em;margin:0 0 .6em}blockquote{margin:0 0 .6em;padding-left:12px;border-left:3px solid #e3e6ea;color:#646b75}' +
  'pre{background:#1c2024;color:#eef0f3;padding:10px 12px;border-radius:6px;overflow:auto}code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}' +
  'hr{border:0;border-top:2px solid #e3e6ea}a{color:#3e63dd}li>p{margin:0}'
