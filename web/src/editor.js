// The editor page: the room's document over y-websocket, in the editor its kind needs:
// CodeMirror 6 on a Y.Text "content" (text.js) or Tiptap on an XmlFragment "content" (rich.js).
// Presence, status, the offline cache, the saved indicator and history are the same for both.
import './theme.css'
import './editor.css'
import './states.css'
import './documents.css'
import './people.css'
import './comments.css'
import './rich-tables.css'
import './print.css'
import './rich-images.css'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import { IndexeddbPersistence } from 'y-indexeddb'
import { colorFor, loadIdentity } from './identity.js'
import { loadMe } from './session.js'
import { bindNamePrompt } from './name-prompt.js'
import { bindPresence, bindRemoteFlags } from './presence.js'
import { bindRoomColours } from './room-colours.js'
import { bindScrollPadding } from './scroll-margin.js'
import { bindStatus } from './status.js'
import { SaveTracker } from './saved.js'
import { bindHistory } from './history.js'
import { bindComments } from './comments.js'
import { abilities, authHeaders, loadAccess, socketProtocols, tokenFromHash } from './auth.js'
import { bindReconnect } from './reconnect.js'
import { contentKind, reopenAs, takeKindHint } from './kind.js'
import { bindEvents, bindNotice } from './events.js'
import { bindView } from './screen.js'
import { bindKeyboardExit } from './keyboard.js'
import { bindShare } from './share.js'
import { bindTitle } from './title.js'
import { bindDocumentMenu } from './transfer.js'
import { bindDocTools } from './doc-tools.js'

const SAVED_LABELS = { saved: 'All changes saved', saving: 'Saving…', delayed: 'Saving is delayed…', unsaved: 'Unsaved changes' }
// How long the page waits for the browser's copy before choosing the editor without it.
const CACHE_WAIT = 1500
// How long the page waits for the server to create a new document before opening it anyway.
const CREATE_WAIT = 3000

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

function showSaved (el, state) {
  el.dataset.state = state
  el.textContent = SAVED_LABELS[state]
  el.title = state === 'delayed'
    ? 'The server has not confirmed your latest changes yet. They are kept in this browser and are sent again until it does.'
    : ''
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

/** What the editor says about another person's version or restore. */
function noticeFor (event) {
  const title = (v) => v && (v.label ? `“${v.label}”` : `the version of ${new Date(v.created_at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}`)
  const who = event.author || 'Someone'
  if (event.type === 'restore' && event.changed) return `${who} restored ${title(event.source)}.`
  if (event.type === 'version' && event.created && event.version && event.version.kind === 'named') {
    return `${event.version.author || 'Someone'} saved the version “${event.version.label}”.`
  }
  return null
}

/**
 * Room events: each version and restore reaches the History panel at once; a restore also
 * clears this page's undo history (undoing an edit the restore already took back would bring
 * its text back twice) and is announced in the editor, as are versions others name.
 */
function bindRoomEvents (provider, { history, surface, identity, heading, comments }) {
  const notify = bindNotice(document.getElementById('notice'))
  bindEvents(provider).on((event) => {
    history.onEvent(event)
    comments?.onEvent(event)
    heading.onEvent(event)
    if (event.type === 'restore') surface.clearHistory()
    const message = noticeFor(event)
    const mine = (event.type === 'restore' ? event.author : event.version?.author) === identity.name
    if (message && !mine) notify(message)
  })
}

/**
 * Reconnecting (reconnect.js), the status pill and the line under the header (status.js) and
 * what the page shows (screen.js), all redrawn on every change. Returns the reconnect controller.
 */
function bindConnectionStates (provider, { ydoc, isUnsaved, onDiscard, onEditor, person }) {
  let render = () => {}
  const reconnect = bindReconnect(provider, { onChange: () => render(), person })
  const renderPill = bindStatus(document.getElementById('status'), provider, {
    banner: document.getElementById('connection-banner'),
    reconnect
  })
  const screen = document.getElementById('state-screen')
  const view = bindView({ provider, reconnect, ydoc, screen, isUnsaved, onDiscard, onEditor })
  render = () => {
    renderPill()
    view.update()
  }
  document.getElementById('banner-retry').addEventListener('click', () => reconnect.retry())
  return reconnect
}

/** Wait for `promise` at most `ms` milliseconds (IndexedDB may be slow or unavailable). */
function settle (promise, ms) {
  return Promise.race([promise.catch(() => {}), new Promise((resolve) => setTimeout(resolve, ms))])
}

/**
 * Create a new document with the kind chosen on the home page (PUT is idempotent: a document
 * someone else just created keeps its kind). Returns the document's kind.
 */
async function createDocument (room, kind, token) {
  try {
    const res = await fetch(`/api/rooms/${encodeURIComponent(room)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...authHeaders(token) },
      body: JSON.stringify({ kind }),
      signal: AbortSignal.timeout(CREATE_WAIT)
    })
    const data = await res.json()
    return res.ok && (data.kind === 'rich' || data.kind === 'text') ? data.kind : kind
  } catch {
    return kind // offline or slow: the first edit creates it; its content then tells its kind
  }
}

/** The editor surface for `kind`, loaded on demand (each is its own chunk). */
async function mountSurface (kind, parent, options) {
  if (kind === 'rich') return (await import('./rich.js')).mountRich(parent, options)
  return (await import('./text.js')).mountText(parent, options)
}

/**
 * If the document turns out to hold the other kind (the browser's guess came before the sync,
 * or another client wrote the other kind into an empty document), open the page again in the
 * editor it needs before anything is typed into the wrong type.
 */
function watchKind (ydoc, room, surface) {
  const check = () => {
    const found = contentKind(ydoc)
    if (!found) return
    ydoc.off('update', check)
    if (found !== surface.kind) {
      surface.setReadOnly?.()
      reopenAs(room, found)
    }
  }
  ydoc.on('update', check)
  check()
}

/** Where a signed-in person's last known role on a room is kept (for an offline reload). */
const roleKey = (room) => `collab:role:${room}`

/**
 * A signed-in person's role on `room` ('viewer'|'commenter'|'editor'|'admin'), from GET /api/rooms/{room};
 * null when the server says the document does not exist or is not theirs; offline, the role
 * it said last time.
 */
async function personRole (room) {
  try {
    const res = await fetch(`/api/rooms/${encodeURIComponent(room)}`, {
      headers: { accept: 'application/json' },
      cache: 'no-store',
      signal: AbortSignal.timeout(CREATE_WAIT)
    })
    if (!res.ok) return null
    const role = (await res.json()).role
    const known = ['viewer', 'commenter', 'editor', 'admin'].includes(role) ? role : null
    try { if (known) localStorage.setItem(roleKey(room), known) } catch {}
    return known
  } catch {
    try { return localStorage.getItem(roleKey(room)) } catch { return null }
  }
}

/**
 * What the server leaves out of the page for whoever it cannot see may read the document (a
 * link's token travels in the fragment, which it never sees): the kind and title, asked of the
 * REST API with the token. Fills `config` in; on any failure it stays as it was.
 */
async function tokenMeta (config, token) {
  try {
    const res = await fetch(`/api/rooms/${encodeURIComponent(config.room)}`, {
      headers: { accept: 'application/json', ...authHeaders(token) },
      cache: 'no-store',
      signal: AbortSignal.timeout(CREATE_WAIT)
    })
    if (res.status === 404) {
      config.exists = false
      return
    }
    if (!res.ok) return
    const room = await res.json()
    if (room.kind === 'rich' || room.kind === 'text') config.kind = room.kind
    config.title = typeof room.title === 'string' ? room.title : null
    config.exists = true
  } catch { /* offline or slow: the page opens without them, as before */ }
}

/** This page's identity as a signed-in person: their name, one colour everywhere. */
function personIdentity (identity, me) {
  const color = colorFor(me.person.id)
  Object.assign(identity, {
    id: `person:${me.person.id}`,
    name: me.name || me.person.name,
    color,
    colorLight: `${color}33`,
    chosen: true,
    fixed: true
  })
}

/**
 * The Comments panel (comments.js) of a document, plain or rich text: one side panel at a time
 * (opening it closes History, and History closes it); threads fetched again on each (re)connect.
 */
function bindCommentsPanel (room, { surface, provider, role, can, historyPanel, token }) {
  if (!surface.comments) return null
  const panel = bindComments({
    room,
    surface,
    can,
    admin: role === 'admin',
    authHeaders: () => authHeaders(token),
    onOpen: () => { if (!document.getElementById('side-panel').hidden) historyPanel.close() }
  })
  document.getElementById('side-toggle').addEventListener('click', () => panel.close(), { capture: true })
  provider.on('sync', (synced) => { if (synced) panel.refresh() })
  if (surface.ytext) surface.ytext.observe(() => panel.onEdit())
  else surface.fragment.observeDeep(() => panel.onEdit())
  return panel
}

/** The title (renamed in place: title.js) and the Document menu (transfer.js). */
function bindDocumentTools (config, { kind, can, authHeaders }) {
  const notify = bindNotice(document.getElementById('notice'))
  const heading = bindTitle({ room: config.room, title: config.title, can, authHeaders, notify })
  bindDocumentMenu({ room: config.room, kind, title: heading.title, can, authHeaders, notify, trashDays: config.trashDays || 0 })
  return heading
}

async function main () {
  const config = readConfig()
  // The token from #token=… (then stored per room and taken off the address bar) or storage.
  const access = loadAccess(config.room, { devMode: config.devMode })
  if (new URLSearchParams(location.search).has('kind')) {
    window.history.replaceState(window.history.state, '', location.pathname + location.hash)
  }
  // Without a link's token, a signed-in person's cookie says who this is (not in development).
  const me = !access.token && !config.devMode ? await loadMe() : null
  const person = me && me.signed_in && me.person ? me.person : null
  if (access.token && !config.devMode && config.exists == null) await tokenMeta(config, access.token)
  const identity = loadIdentity()
  if (person) personIdentity(identity, me)
  if (access.name) {
    // The link names this person; edits are attributed to that name by the server anyway.
    identity.name = access.name
    identity.chosen = true
    identity.fixed = true
  }
  const ydoc = new Y.Doc()
  const saved = document.getElementById('saved')
  // The Comments panel hears of every save state too (comments.js).
  let comments = null
  const tracker = new SaveTracker(config.room, (state) => {
    showSaved(saved, state)
    comments?.onSaved(state)
  })
  const cache = new IndexeddbPersistence(`collab:${config.room}`, ydoc)
  await settle(cache.whenSynced, CACHE_WAIT)
  let kind = takeKindHint(config.room) || contentKind(ydoc) || config.kind
  // Without a usable grant the server decides (4401/4403); until then, offer nothing to edit.
  let role = access.role
  if (person) {
    role = await personRole(config.room)
    if (!role && config.exists === false) {
      kind = await createDocument(config.room, kind, null)
      role = await personRole(config.room)
    }
  } else if (config.exists === false && abilities(role).write) {
    kind = await createDocument(config.room, kind, access.token)
  }
  role = role || 'viewer'
  const can = abilities(role)
  document.body.classList.add(`kind-${kind}`)
  const heading = bindDocumentTools(config, { kind, can, authHeaders: () => authHeaders(access.token) })
  // y-websocket appends the room to the URL as is; the server decodes the path segment.
  const provider = new WebsocketProvider(websocketUrl(config.wsBase), encodeURIComponent(config.room), ydoc, {
    // `name` attributes this connection's edits in the version history (read at each connect).
    // `events` opts into room events (versions, restores: events.js).
    params: { ack: '1', events: '1', name: identity.name },
    // The token travels as a subprotocol ("collab", "collab.token.<jwt>"), never in the URL.
    protocols: socketProtocols(access.token),
    WebSocketPolyfill: tracker.webSocketClass(),
    // Reconnecting is decided by close code in reconnect.js, not by y-websocket.
    shouldReconnect: () => false,
    // Connected below, once the editor, reconnect.js and the status pill listen (the editor
    // chunk loads asynchronously: a close before then would go unheard).
    connect: false
  })
  tracker.attach(provider, ydoc, [cache])
  provider.awareness.setLocalStateField('user', userField(identity))
  const surface = await mountSurface(kind, document.getElementById('editor'), {
    ydoc, provider, awareness: provider.awareness, user: userField(identity), readOnly: !can.write, selectable: can.comment,
    room: config.room, authHeaders: () => authHeaders(access.token)
  })
  watchKind(ydoc, config.room, surface)
  // What the browser scrolls into view lands below the header and toolbar (scroll-margin.js).
  bindScrollPadding()
  // A colour no one else in the room has (room-colours.js): carets and avatars tell people apart.
  bindRoomColours(provider.awareness, identity, () => surface.setUser(userField(identity)))
  const namePrompt = identity.fixed
    ? null
    : bindNamePrompt(identity, (name) => {
      surface.setUser(userField(identity))
      // The server credits this socket's edits to the name in its awareness state from now on;
      // the next (re)connect also sends it as `name`.
      provider.params.name = name
    }, () => { if (can.write) surface.focus() })
  bindPresence(document.getElementById('presence'), provider.awareness, namePrompt && namePrompt.open)
  const reconnect = bindConnectionStates(provider, {
    ydoc,
    isUnsaved: () => can.write && !tracker.saved,
    // The server's copy is the only one this person may have: forget the browser's cached edits.
    onDiscard: async () => {
      await cache.clearData()
      location.reload()
    },
    onEditor: () => {
      if (namePrompt && !identity.chosen) namePrompt.firstVisit()
      else if (can.write) surface.focus()
    },
    person: !!person
  })
  if (person) {
    // A lower role closes the page with 4403 too: with a role still held, open it again as that.
    provider.on('closed', async ({ code }) => {
      if (code !== 4403) return
      const now = await personRole(config.room)
      if (now && now !== role) location.reload()
    })
  }
  bindKeyboardExit(surface, document.getElementById('side-toggle'))
  // Under the text: outline, word count, keyboard shortcuts (doc-tools.js).
  const tools = bindDocTools(surface, { kind: surface.kind, can, room: config.room, authHeaders: () => authHeaders(access.token), awareness: provider.awareness })
  bindRemoteFlags(document.getElementById('editor'), ydoc, provider)
  provider.connect()
  const historyPanel = bindHistory({
    room: config.room,
    displayName: () => identity.name,
    isSaved: () => tracker.saved,
    ydoc,
    authHeaders: () => authHeaders(access.token),
    can,
    kind
  })
  comments = bindCommentsPanel(config.room, { surface, provider, role, can, historyPanel, token: access.token })
  bindRoomEvents(provider, { history: historyPanel, surface, identity, heading, comments })
  bindShare({ room: config.room, token: access.token, role, devMode: config.devMode, person, title: heading.title })
  document.body.classList.add(`role-${role}`)
  if (!can.write) {
    document.getElementById('saved').hidden = true
    const badge = document.getElementById('role-badge')
    if (can.comment) {
      badge.querySelector('.role-badge-text').textContent = 'Can comment'
      badge.title = 'Can comment'
    }
    badge.hidden = false
  }
  window.addEventListener('beforeunload', (event) => {
    if (tracker.saved || !can.write || document.body.dataset.view === 'blocked') return
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
  window.collab = {
    config,
    kind,
    access: { role, name: access.name, claims: access.claims, person },
    ydoc,
    provider,
    cache,
    tracker,
    surface,
    ...(surface.kind === 'text' ? { ytext: surface.ytext, view: surface.view, undoManager: surface.undoManager } : { editor: surface.editor, fragment: surface.fragment }),
    history: historyPanel,
    comments,
    tools,
    reconnect
  }
}

main()
