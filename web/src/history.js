// The History panel: the room's versions (time, label, people), a preview of one version with
// the changes since then, "Save version" and "Restore this version". Server strings are only
// ever put into the page with textContent.
//
// Each part of the panel is a module of its own, given the panel `h`: what they share (the
// API, the state, how to speak and show loading) and what each part adds to it:
//   history-list.js     the list of versions        history-save.js     "Save version"
//   history-preview.js  one version, compared       history-changes.js  its changes
//   history-full.js     one version in full         history-restore.js  "Restore this version"
// history-api.js calls the server; history-words.js and history-diff.js are pure.

import { agentsPart } from './history-agents.js'
import { versionsApi } from './history-api.js'
import { changesPart } from './history-changes.js'
import { fullPart } from './history-full.js'
import { listPart } from './history-list.js'
import { previewPart } from './history-preview.js'
import { restorePart } from './history-restore.js'
import { savePart } from './history-save.js'
import { displayTitle } from './history-words.js'

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
  const h = sharedPanel({ room, displayName, isSaved, ydoc, authHeaders, can, kind })
  // Roles: viewers only read the history; editors also save versions; admins also restore.
  for (const part of [listPart, savePart, restorePart, changesPart, fullPart, previewPart, agentsPart]) {
    Object.assign(h, part(h))
  }
  const { open, close } = bindOpening(h)
  return { open, close, refresh: () => refresh(h), state: h.state, onEvent: (event) => onEvent(h, event) }
}

/** What every part of the panel shares. */
function sharedPanel (options) {
  const $ = (id) => document.getElementById(id)
  const state = {
    versions: [], cursor: null, selected: null, against: null, loading: 0, busy: false, highlight: new Set(), lastRestore: null
  }
  const panel = $('side-panel')
  const message = $('history-message')
  return {
    ...options,
    $,
    el,
    state,
    panel,
    message,
    api: versionsApi(options.room, undefined, options.authHeaders),
    say (text, tone = 'info') {
      message.textContent = text
      message.dataset.tone = tone
      message.hidden = !text
    },
    setLoading (delta) {
      state.loading += delta
      panel.classList.toggle('is-loading', state.loading > 0)
    },
    /** The title of a version as this list shows it. */
    titleOf: (version) => displayTitle(version, new Map(state.versions.map((v) => [v.id, v])))
  }
}

/** The panel's toggle, its close and refresh buttons, and Escape. */
function bindOpening (h) {
  const { $, panel } = h
  const toggle = $('side-toggle')
  let clockTimer = null

  function open () {
    panel.hidden = false
    toggle.setAttribute('aria-expanded', 'true')
    document.body.classList.add('history-open')
    clockTimer = setInterval(h.renderTimes, 30000)
    refresh(h)
  }

  function close () {
    panel.hidden = true
    toggle.setAttribute('aria-expanded', 'false')
    document.body.classList.remove('history-open')
    clearInterval(clockTimer)
    clockTimer = null
    h.hideConfirm()
    toggle.focus()
  }

  toggle.disabled = false
  toggle.title = 'History'
  toggle.setAttribute('aria-label', 'History')
  toggle.addEventListener('click', () => (panel.hidden ? open() : close()))
  $('history-close').addEventListener('click', close)
  $('history-refresh').addEventListener('click', () => refresh(h))
  panel.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return
    if (h.confirmShown()) h.hideConfirm()
    else if (h.previewShown()) h.showList()
    else close()
  })
  return { open, close }
}

/** Reload the list, and the preview open (if any) with it. */
async function refresh (h) {
  const { state } = h
  h.loadAgents()
  await h.loadList()
  if (state.selected) {
    const fresh = state.versions.find((v) => v.id === state.selected.id)
    if (fresh) state.selected = fresh
    h.renderPreviewHead()
    h.loadDiff()
  }
}

/**
 * A room event (events.js): a version recorded by anyone, or a restore, appears at once.
 * Versions are merged by id (a named save may name an automatic version: same id).
 */
function onEvent (h, event) {
  const { state } = h
  if (event.type === 'version' && event.version && typeof event.version.id === 'number') {
    const version = event.version
    const others = state.versions.filter((v) => v.id !== version.id)
    const known = others.length !== state.versions.length
    if (!known && state.cursor && state.versions.length && version.id < state.versions[state.versions.length - 1].id) return
    state.versions = [...others, version].sort((a, b) => b.id - a.id)
    if (!known) state.highlight.add(version.id)
    if (state.selected && state.selected.id === version.id) {
      state.selected = version
      h.renderPreviewHead()
    }
    if (h.previewShown()) h.renderCompare()
    else h.renderList()
  } else if (event.type === 'restore' && state.selected && !state.against) {
    h.loadDiff()
  }
}
