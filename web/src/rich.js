// The rich-text surface: Tiptap (ProseMirror) on the room's XmlFragment "content", with a
// toolbar. Collaboration keeps the document in Yjs and gives each person their own undo
// history; CollaborationCaret shows the others' carets and selections with their names. Comment
// highlights, the Comment shortcut and commenters' read-only text: rich-comment-marks.js.
// Tables, their paste and tools: rich-tables.js. Markdown pasted as rich text: rich-markdown.js.
import { Editor } from '@tiptap/core'
import StarterKit from '@tiptap/starter-kit'
import { TaskItem, TaskList } from '@tiptap/extension-list'
import { Placeholder } from '@tiptap/extensions'
import Collaboration from '@tiptap/extension-collaboration'
import CollaborationCaret from '@tiptap/extension-collaboration-caret'
import { yUndoPluginKey } from '@tiptap/y-tiptap'
import { CONTENT } from './contract.js'
import { buildToolbar } from './toolbar.js'
import { addTableTools, tableExtensions } from './rich-tables.js'
import { CommentMarks, richMarksApi } from './rich-comment-marks.js'
import { BlameMarks, richBlameApi } from './rich-blame-marks.js'
import { bindRichFind } from './rich-find.js'
import { ExclusiveLink, FollowLinks } from './rich-links.js'
import { OPEN_HINT } from './link-hint.js'
import { ScrollClear } from './rich-scroll.js'
import { altTextForm, imageParts } from './rich-images.js'
import { MarkdownPaste } from './rich-markdown.js'
import { Suggestions, richSuggestApi } from './rich-suggest.js'
import { suggestControl } from './suggest-draft.js'
import { modeBar, modeSwitch } from './suggest-mode.js'

/** Only these link schemes are kept (typed, pasted or sent by another client). */
const LINK_PROTOCOLS = ['http', 'https', 'mailto']

function caret (user) {
  const caretEl = document.createElement('span')
  caretEl.className = 'collaboration-carets__caret'
  caretEl.style.setProperty('--caret-color', user.color || '#888')
  const label = document.createElement('span')
  label.className = 'collaboration-carets__label'
  label.textContent = user.name || 'Someone'
  caretEl.append(label)
  return caretEl
}

function extensions ({ ydoc, provider, user, readOnly, commentOnly, hub, images, ctl }) {
  return [
    StarterKit.configure({
      undoRedo: false, // Collaboration's undo is per person; ProseMirror's would undo others too
      link: false // ExclusiveLink below: text typed after a link is not part of it
    }),
    ExclusiveLink.configure({
      openOnClick: readOnly, // editors: Ctrl/Cmd+click (FollowLinks)
      autolink: true,
      linkOnPaste: true,
      protocols: LINK_PROTOCOLS,
      isAllowedUri: (url, ctx) => ctx.defaultValidate(url) && /^(https?:|mailto:|[^:]*$)/i.test(url),
      HTMLAttributes: { rel: 'noopener noreferrer nofollow', target: '_blank' },
      openHint: readOnly ? null : OPEN_HINT
    }),
    FollowLinks,
    ScrollClear,
    TaskList,
    TaskItem.configure({ nested: true }),
    ...tableExtensions(),
    MarkdownPaste,
    Placeholder.configure({ placeholder: readOnly ? 'Nothing here yet.' : 'Start typing… (# for a heading, - for a list)' }),
    Collaboration.configure({ document: ydoc, field: CONTENT }),
    CollaborationCaret.configure({ provider, user, render: caret }),
    CommentMarks({ fragment: ydoc.getXmlFragment(CONTENT), hub, commentOnly }),
    BlameMarks,
    images.extension,
    Suggestions({ ctl, fragment: ydoc.getXmlFragment(CONTENT) })
  ]
}

/**
 * Mount the rich editor in `parent` (a toolbar above it for those who may write). Returns the
 * surface the page drives: focus(), setUser(), clearHistory() (after a restore), text(), and the
 * comment highlights (rich-comment-marks.js) and the authors' colours (rich-blame-marks.js). With `readOnly` and `selectable` (commenters), the
 * text takes the focus and the keyboard selects in it, but nothing changes it.
 */
export function mountRich (parent, { ydoc, provider, user, readOnly, selectable = false, room, authHeaders = () => ({}) }) {
  // What comments.js binds later: the Comment shortcut, clicks on highlights, the selection.
  const hub = {}
  const commentOnly = readOnly && selectable
  const host = document.createElement('div')
  host.className = 'rich-editor'
  const images = imageParts({ room, authHeaders, canUpload: !readOnly })
  parent.append(images.status.box, host)
  const fragment = ydoc.getXmlFragment(CONTENT)
  // Suggesting (rich-suggest.js): editors choose it, commenters may only suggest, viewers neither.
  // Everyone sees the open suggestions marked.
  const ctl = suggestControl({ readOnly, room, authHeaders, awareness: provider.awareness, hub })
  const editor = new Editor({
    element: host,
    editable: !readOnly || commentOnly,
    extensions: extensions({ ydoc, provider, user, readOnly, commentOnly, hub, images, ctl }),
    editorProps: {
      attributes: {
        class: 'rich-content',
        role: 'textbox',
        'aria-multiline': 'true',
        'aria-label': 'Document text',
        spellcheck: 'true',
        ...(readOnly && !commentOnly ? { 'aria-readonly': 'true' } : {})
      }
    }
  })
  const suggest = richSuggestApi(editor, ctl)
  const toggle = !readOnly || commentOnly ? modeSwitch({ canWrite: !readOnly, initial: ctl.mode, onChange: (mode) => { suggest.setMode(mode); editor.commands.focus() } }) : null
  if (toggle) suggest.choose = toggle.choose
  if (!readOnly) {
    const toolbar = buildToolbar(editor, altTextForm(editor))
    addTableTools(toolbar, editor)
    toolbar.querySelector('.toolbar').append(toggle.element)
    parent.prepend(toolbar)
  } else if (toggle) {
    // Commenters: no formatting, only the mode.
    parent.prepend(modeBar(toggle))
  }
  // Find (and replace, for writers): Ctrl/Cmd+F; rich-find.js.
  const find = bindRichFind(editor, parent, { canReplace: !readOnly })
  const undoManager = () => yUndoPluginKey.getState(editor.state)?.undoManager
  return {
    kind: 'rich',
    editor,
    fragment,
    get undoManager () { return undoManager() },
    focus: () => editor.commands.focus(),
    setUser: (next) => editor.commands.updateUser(next),
    clearHistory: () => undoManager()?.clear(),
    text: () => editor.getText({ blockSeparator: '\n' }),
    find,
    comments: { hub, ...richMarksApi(editor, fragment) },
    blame: richBlameApi(editor, fragment),
    suggest
  }
}
