// A BlockNote editor (npm @blocknote/core, no React) on a collab room, for the test-only page of
// blocknote_e2e.mjs: bundled by esbuild from tests/interop/node_modules, it binds the room's
// `document-store` fragment (where BlockNote keeps its blocks) through y-websocket's
// WebsocketProvider on collab's /ws/{room}. The #editor element's data-room and data-name
// choose the room and the person.
import { BlockNoteEditor } from '@blocknote/core'
import { withCollaboration } from '@blocknote/core/yjs'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

const mountPoint = document.getElementById('editor')
const { room, name } = mountPoint.dataset
const doc = new Y.Doc()
const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
const provider = new WebsocketProvider(`${scheme}://${location.host}/ws`, room, doc)
const editor = BlockNoteEditor.create(withCollaboration({
  collaboration: {
    fragment: doc.getXmlFragment('document-store'),
    provider,
    user: { name, color: name === 'Alice' ? '#b3261e' : '#0b57d0' }
  }
}))
editor.mount(mountPoint)

const state = { editor, doc, provider, synced: false }
provider.on('sync', (synced) => { state.synced = synced })
window.blocknote = state
