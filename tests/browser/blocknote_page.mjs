// A BlockNote editor (npm @blocknote/core, no React) on a collab room, for the test-only page of
// blocknote_e2e.mjs: bundled by esbuild from tests/interop/node_modules, it binds the room's
// `document-store` fragment (where BlockNote keeps its blocks) through y-websocket's
// WebsocketProvider on collab's /ws/{room}, or through HocuspocusProvider (npm
// @hocuspocus/provider 4.x, installed there as hocuspocus-provider-4) on /hocuspocus. The
// #editor element's data-room and data-name choose the room and the person, data-transport
// ("ws" or "hocuspocus") the provider, data-token the token it presents (none if empty).
import { BlockNoteEditor } from '@blocknote/core'
import { withCollaboration } from '@blocknote/core/yjs'
import { HocuspocusProvider } from 'hocuspocus-provider-4'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

const mountPoint = document.getElementById('editor')
const { room, name, transport, token } = mountPoint.dataset
const doc = new Y.Doc()
const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
const state = { doc, synced: false, authenticated: null, denied: null }
let provider
let mounted
if (transport === 'hocuspocus') {
  // The editor is made once the document has come: BlockNote writes its first, empty block into
  // an empty fragment, and a page that does so before the server's state arrives (the Auth
  // message's round trip comes first here) adds a second first block to the one already there.
  provider = new HocuspocusProvider({
    url: `${scheme}://${location.host}/hocuspocus`,
    name: room,
    document: doc,
    token: token || undefined,
    onAuthenticated: ({ scope }) => { state.authenticated = scope },
    onAuthenticationFailed: ({ reason }) => { state.denied = reason },
    onSynced: () => { mounted ||= mount(); state.synced = true }
  })
} else {
  const params = token ? { token } : {}
  provider = new WebsocketProvider(`${scheme}://${location.host}/ws`, room, doc, { params })
  provider.on('sync', (synced) => { state.synced = synced })
  mounted = mount()
}
state.provider = provider
window.blocknote = state

function mount () {
  const editor = BlockNoteEditor.create(withCollaboration({
    collaboration: {
      fragment: doc.getXmlFragment('document-store'),
      provider,
      user: { name, color: name === 'Alice' ? '#b3261e' : '#0b57d0' }
    }
  }))
  editor.mount(mountPoint)
  state.editor = editor
  return true
}
