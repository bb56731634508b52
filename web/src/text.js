// The plain-text surface: CodeMirror 6 on the room's Y.Text "content", Markdown highlighted.
import { yCollab, yUndoManagerKeymap } from 'y-codemirror.next'
import * as Y from 'yjs'
import { EditorState } from '@codemirror/state'
import {
  EditorView, keymap, drawSelection, dropCursor, highlightActiveLine,
  highlightSpecialChars, placeholder, rectangularSelection
} from '@codemirror/view'
import { defaultKeymap, indentWithTab } from '@codemirror/commands'
import { highlightSelectionMatches, search, searchKeymap } from '@codemirror/search'
import { markdown } from '@codemirror/lang-markdown'
import { defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language'
import { CONTENT } from './contract.js'
import { commentMarks, marksApi } from './comment-marks.js'
import { blameApi, blameMarks } from './blame-marks.js'
import { coveredTop } from './scroll-margin.js'
import { textLinks } from './text-links.js'
import { textSuggest } from './text-suggest.js'
import { suggestControl } from './suggest-draft.js'
import { modeBar, modeSwitch } from './suggest-mode.js'

/**
 * Mount the text editor in `parent`. Returns the surface the page drives: focus(), setUser()
 * (awareness carries the name to the others' carets), clearHistory() (after a restore), the
 * comment highlights (comment-marks.js), the authors' colours (blame-marks.js) and the CodeMirror view and undo manager for tests.
 */
export function mountText (parent, { ydoc, awareness, user, readOnly, selectable = false, room, authHeaders = () => ({}) }) {
  // What comments.js binds later: the Comment shortcut, clicks on highlights, the selection.
  const hub = {}
  const ytext = ydoc.getText(CONTENT)
  const undoManager = new Y.UndoManager(ytext)
  awareness.setLocalStateField('user', user)
  // Suggesting (text-suggest.js): editors choose it, commenters may only suggest, viewers neither.
  // Everyone sees the open suggestions marked.
  const suggestable = !readOnly || selectable
  const ctl = suggestControl({ readOnly, room, authHeaders, awareness, hub })
  const suggesting = textSuggest(ctl)
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
      // The find bar at the top, where Google Docs and most editors put it.
      search({ top: true }),
      markdown(),
      syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
      EditorState.allowMultipleSelections.of(true),
      EditorView.lineWrapping,
      // The caret scrolled into view lands below the sticky header, not under it.
      EditorView.scrollMargins.of(() => ({ top: coveredTop() })),
      EditorView.contentAttributes.of({ 'aria-label': 'Document text', spellcheck: 'true' }),
      // Viewers: no edits from the keyboard, paste or drop (the server would refuse them, 4403).
      // Commenters' text is read-only too, but while they suggest (text-suggest.js).
      suggesting.extension,
      // Commenters: no edits either, but the text takes the focus, so the keyboard selects a
      // passage to comment on.
      EditorView.editable.of(!readOnly || selectable),
      placeholder(readOnly ? 'Nothing here yet.' : 'Start typing…'),
      yCollab(ytext, awareness, { undoManager }),
      commentMarks(hub),
      blameMarks,
      textLinks
    ]
  })
  const view = new EditorView({ state, parent })
  const suggest = suggesting.bind(view, ytext)
  suggest.mode = () => ctl.mode
  if (suggestable) {
    const toggle = modeSwitch({ canWrite: !readOnly, initial: ctl.mode, onChange: (mode) => { suggest.setMode(mode); view.focus() } })
    parent.prepend(modeBar(toggle))
    suggest.choose = toggle.choose
  }
  return {
    kind: 'text',
    view,
    ytext,
    undoManager,
    focus: () => view.focus(),
    setUser: (next) => awareness.setLocalStateField('user', next),
    clearHistory: () => undoManager.clear(),
    text: () => ytext.toString(),
    comments: { hub, ...marksApi(view, ytext) },
    blame: blameApi(view),
    suggest
  }
}

