// Web addresses in the plain-text editor: underlined, and Ctrl+click (⌘-click on a Mac) opens
// one in a new tab, as in the rich editor (rich-links.js). A plain click places the caret.
import { Decoration, EditorView, MatchDecorator, ViewPlugin } from '@codemirror/view'
import { OPEN_HINT, openLink, opensLink } from './link-hint.js'

// http(s) addresses, without the punctuation that usually ends the sentence around them.
const URL = /\bhttps?:\/\/[^\s<>"'`]*[^\s<>"'`.,;:!?)\]}]/g

const urlMark = Decoration.mark({ class: 'cm-url', attributes: { title: OPEN_HINT } })
const matcher = new MatchDecorator({ regexp: URL, decoration: () => urlMark })

const underline = ViewPlugin.fromClass(class {
  constructor (view) { this.decorations = matcher.createDeco(view) }
  update (update) { this.decorations = matcher.updateDeco(update, this.decorations) }
}, { decorations: (plugin) => plugin.decorations })

/** The address at document position `pos`, if any. */
function urlAt (view, pos) {
  const line = view.state.doc.lineAt(pos)
  for (const match of line.text.matchAll(URL)) {
    const from = line.from + match.index
    if (pos >= from && pos <= from + match[0].length) return match[0]
  }
  return null
}

const follow = EditorView.domEventHandlers({
  mousedown (event, view) {
    if (!opensLink(event)) return false
    const pos = view.posAtCoords({ x: event.clientX, y: event.clientY })
    const url = pos === null ? null : urlAt(view, pos)
    if (!url) return false // Ctrl+click elsewhere: CodeMirror adds a cursor, as before
    event.preventDefault()
    openLink(url)
    return true
  }
})

/** The extension: addresses underlined and opened with Ctrl/Cmd+click. */
export const textLinks = [underline, follow]
