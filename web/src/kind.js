// Which editor a document needs: "rich" (an XmlFragment at "content": Tiptap) or "text" (a
// Y.Text: CodeMirror). Read off the document's own items, without typing its root (a root can
// be typed once only: the wrong guess would break the page until a reload).
import * as Y from 'yjs'
import { CONTENT } from './contract.js'

const HINT_KEY = (room) => `collab:kind-hint:${room}`

/** "rich", "text" or null (nothing in "content" yet). */
export function contentKind (ydoc) {
  const type = ydoc.share.get(CONTENT)
  for (let item = type ? type._start : null; item; item = item.right) {
    if (item.deleted) continue
    const content = item.content
    if (content instanceof Y.ContentType) {
      const child = content.type
      if (child instanceof Y.XmlElement || child instanceof Y.XmlText || child instanceof Y.XmlHook) return 'rich'
    }
    if (content instanceof Y.ContentString || content instanceof Y.ContentEmbed) return 'text'
  }
  return null
}

/** The kind a previous load of this page found the document to be, once. */
export function takeKindHint (room) {
  try {
    const hint = sessionStorage.getItem(HINT_KEY(room))
    sessionStorage.removeItem(HINT_KEY(room))
    return hint === 'rich' || hint === 'text' ? hint : null
  } catch { return null }
}

/** Open the page again in the editor the document needs. */
export function reopenAs (room, kind) {
  try { sessionStorage.setItem(HINT_KEY(room), kind) } catch { /* the server's kind then */ }
  location.reload()
}
