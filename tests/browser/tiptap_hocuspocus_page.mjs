// A stock Tiptap editor (@tiptap/core, StarterKit, Collaboration with no `field` option, so it
// binds the root fragment Tiptap calls `default`, and CollaborationCaret) on a collab room,
// connected through HocuspocusProvider (npm @hocuspocus/provider 4.x, installed in
// tests/interop/ as hocuspocus-provider-4) to collab's /hocuspocus with a token. Test-only,
// bundled by tiptap_hocuspocus_e2e.mjs. The #editor element's data-room, data-name and
// data-token choose the room, the person and their token.
import { Editor } from '@tiptap/core'
import StarterKit from '@tiptap/starter-kit'
import Collaboration from '@tiptap/extension-collaboration'
import CollaborationCaret from '@tiptap/extension-collaboration-caret'
import { HocuspocusProvider } from 'hocuspocus-provider-4'
import * as Y from 'yjs'

const element = document.getElementById('editor')
const { room, name, token } = element.dataset
const doc = new Y.Doc()
const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
const state = { doc, synced: false, authenticated: null, denied: null }
const provider = new HocuspocusProvider({
  url: `${scheme}://${location.host}/hocuspocus`,
  name: room,
  document: doc,
  token,
  onAuthenticated: ({ scope }) => { state.authenticated = scope },
  onAuthenticationFailed: ({ reason }) => { state.denied = reason },
  onSynced: () => { state.synced = true }
})
const editor = new Editor({
  element,
  extensions: [
    // Collaboration brings its own undo. No trailing-paragraph plugin: each page would append
    // its own empty paragraph after a heading or list, and the scenario types at the end.
    StarterKit.configure({ undoRedo: false, trailingNode: false }),
    Collaboration.configure({ document: doc }),
    CollaborationCaret.configure({
      provider,
      user: { name, color: name === 'Alice' ? '#b3261e' : '#0b57d0' }
    })
  ]
})
Object.assign(state, { editor, provider })
window.tiptap = state
