// The editor page: CodeMirror 6 bound to the room's Y.Text "content" over y-websocket.
import './editor.css'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { IndexeddbPersistence } from 'y-indexeddb'
import { yCollab, yUndoManagerKeymap } from 'y-codemirror.next'
import { EditorState } from '@codemirror/state'
import {
  EditorView, keymap, drawSelection, dropCursor, highlightActiveLine,
  highlightSpecialChars, placeholder, rectangularSelection
} from '@codemirror/view'
import { defaultKeymap, indentWithTab } from '@codemirror/commands'
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search'
import { loadIdentity, saveName } from './identity.js'
import { bindPresence } from './presence.js'
import { bindStatus } from './status.js'
import { SaveTracker } from './saved.js'
import { bindHistory } from './history.js'
import { abilities, authHeaders, loadAccess, socketProtocols, tokenFromHash } from './auth.js'
import { bindReconnect } from './reconnect.js'

const SAVED_LABELS = { saved: 'All changes saved', saving: 'Saving…', delayed: 'Saving is delayed…', unsaved: 'Unsaved changes' }

/** The page config rendered by the server into <script id="collab-config">. */
function readConfig () {
  const config = JSON.parse(document.getElementById('collab-config').textContent)
  if (typeof config.room !== 'string' || !config.room) throw new Error('collab-config: no room')
  return { wsBase: '/ws', devMode: false, ...config }
}

/** ws(s)://host/wsBase from the page location. */
export function websocketUrl (wsBase, loc = location) {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${scheme}//${loc.host}${wsBase.startsWith('/') ? '' : '/'}${wsBase}`.replace(/\/+$/, '')
}

function createEditor (parent, ytext, awareness, undoManager, { readOnly = false } = {}) {
  const state = EditorState.create({
    doc: ytext.toString(),
    extensions: [
      keymap.of([...yUndoManagerKeymap, ...defaultKeymap, ...searchKeymap, indentWithTab]),
      highlightSpecialChars(),
      drawSelection(),
      dropCursor(),
      rectangularSelection(),
      highlightActiveLine(),
      highlightSelectionMatches(),
      EditorState.allowMultipleSelections.of(true),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ 'aria-label': 'Document text', spellcheck: 'true' }),
      // Viewers: no edits from the keyboard, paste or drop (the server would refuse them, 4403).
      EditorState.readOnly.of(readOnly),
      EditorView.editable.of(!readOnly),
      readOnly ? EditorView.contentAttributes.of({ 'aria-readonly': 'true' }) : [],
      placeholder(readOnly ? 'Nothing here yet.' : 'Start typing…'),
      yCollab(ytext, awareness, { undoManager })
    ]
  })
  return new EditorView({ state, parent })
}

function showSaved (el, state) {
  el.dataset.state = state
  el.textContent = SAVED_LABELS[state]
  el.title = state === 'delayed'
    ? 'The server has not confirmed your latest changes yet. They are kept in this browser and are sent again until it does.'
    : ''
}

/**
 * The inline "Others see you as …" field; shown once, and again from your own avatar.
 * `onRename(name)` runs after a new name is kept.
 */
function bindNamePrompt (identity, awareness, onRename) {
  const box = document.getElementById('name-prompt')
  const form = document.getElementById('name-form')
  const input = document.getElementById('name-input')
  const open = () => {
    input.value = identity.name
    box.hidden = false
    input.focus()
    input.select()
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const name = saveName(input.value)
    if (name) {
      identity.name = name
      awareness.setLocalStateField('user', userField(identity))
      onRename(name)
    }
    box.hidden = true
  })
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') box.hidden = true
  })
  if (!identity.chosen) {
    input.value = identity.name
    box.hidden = false
  }
  return open
}

function userField ({ id, name, color, colorLight }) {
  return { id, name, color, colorLight }
}

/** Let /d/{room} pages reload offline; see web/README.md "Offline". */
function registerServiceWorker () {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return
  navigator.serviceWorker.register('/sw.js', { scope: '/d/' }).then(async () => {
    if (navigator.serviceWorker.controller || !navigator.onLine) return
    // First visit: this page was fetched before the worker existed; keep a copy now.
    const cache = await caches.open('collab-pages')
    await cache.add(location.pathname)
  }).catch((err) => console.warn('collab: no offline support:', err))
}

function main () {
  const config = readConfig()
  // The token from #token=… (then stored per room and taken off the address bar) or storage.
  const access = loadAccess(config.room, { devMode: config.devMode })
  // Without a usable grant the server decides (4401/4403); until then, offer nothing to edit.
  const role = access.role || 'viewer'
  const can = abilities(role)
  const identity = loadIdentity()
  if (access.name) {
    // The link names this person; edits are attributed to that name by the server anyway.
    identity.name = access.name
    identity.chosen = true
    identity.fixed = true
  }
  const ydoc = new Y.Doc()
  const ytext = ydoc.getText('content')
  const saved = document.getElementById('saved')
  const tracker = new SaveTracker(config.room, (state) => showSaved(saved, state))
  const cache = new IndexeddbPersistence(`collab:${config.room}`, ydoc)
  // y-websocket appends the room to the URL as is; the server decodes the path segment.
  const provider = new WebsocketProvider(websocketUrl(config.wsBase), encodeURIComponent(config.room), ydoc, {
    // `name` attributes this connection's edits in the version history (read at each connect).
    params: { ack: '1', name: identity.name },
    // The token travels as a subprotocol ("collab", "collab.token.<jwt>"), never in the URL.
    protocols: socketProtocols(access.token),
    WebSocketPolyfill: tracker.webSocketClass(),
    // Reconnecting is decided by close code in reconnect.js, not by y-websocket.
    shouldReconnect: () => false
  })
  tracker.attach(provider, ydoc, [cache])
  provider.awareness.setLocalStateField('user', userField(identity))
  const undoManager = new Y.UndoManager(ytext)
  const view = createEditor(document.getElementById('editor'), ytext, provider.awareness, undoManager,
    { readOnly: !can.write })
  const openNamePrompt = identity.fixed
    ? null
    : bindNamePrompt(identity, provider.awareness, (name) => {
      // Used from the next (re)connect on; the open socket keeps the name it was opened with.
      provider.params.name = name
    })
  bindPresence(document.getElementById('presence'), provider.awareness, openNamePrompt)
  let renderStatus = () => {}
  const reconnect = bindReconnect(provider, { onChange: () => renderStatus() })
  renderStatus = bindStatus(document.getElementById('status'), provider, {
    banner: document.getElementById('connection-banner'),
    reconnect
  })
  document.getElementById('banner-retry').addEventListener('click', () => reconnect.retry())
  document.getElementById('banner-discard').addEventListener('click', async () => {
    // The server's copy is the only one this person may have: forget the browser's cached edits.
    await cache.clearData()
    location.reload()
  })
  const history = bindHistory({
    room: config.room,
    displayName: () => identity.name,
    isSaved: () => tracker.saved,
    ydoc,
    authHeaders: () => authHeaders(access.token),
    can
  })
  document.body.classList.add(`role-${role}`)
  if (!can.write) {
    document.getElementById('saved').hidden = true
    document.getElementById('role-badge').hidden = false
  }
  window.addEventListener('beforeunload', (event) => {
    if (tracker.saved || !can.write) return
    event.preventDefault()
    event.returnValue = ''
  })
  if (config.devMode) document.body.classList.add('dev-mode')
  registerServiceWorker()
  // A new link opened in this tab only changes the fragment (no page load): take its token and
  // start over with it.
  window.addEventListener('hashchange', () => {
    if (!tokenFromHash(location.hash).token) return
    loadAccess(config.room, { devMode: config.devMode })
    location.reload()
  })
  if (can.write) view.focus()
  window.collab = { config, access: { role, name: access.name, claims: access.claims }, ydoc, ytext, provider, cache, tracker, view, undoManager, history, reconnect }
}

main()
