// Comment highlights in the rich-text editor (Tiptap/ProseMirror on the XmlFragment "content"):
// the rich counterpart of comment-marks.js, driven by comments.js through the same interface
// (`surface.comments`). Highlights are decorations, never marks in the document: commenting does
// not change the text. Each open thread's anchor (two Yjs relative positions, base64url) is
// resolved in this page's own Y.Doc: again after every change from Yjs (y-tiptap redraws the
// whole document then, so nothing could be mapped through it) and mapped through this page's own
// edits in between. New threads are anchored the same way: the passage's first character
// (assoc 0) and its last (assoc -1), each in the Y.XmlText that holds it.
import { Extension } from '@tiptap/core'
import { Plugin, PluginKey, TextSelection } from '@tiptap/pm/state'
import { Decoration, DecorationSet } from '@tiptap/pm/view'
import { ySyncPluginKey } from '@tiptap/y-tiptap'
import * as Y from 'yjs'
import { COMMENT_KEY } from './comment-key.js'

const key = new PluginKey('commentMarks')

/** Bytes of base64url (no padding), as the server sends anchors. */
function fromBase64Url (text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4)
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
}

/** base64url without padding, as the server reads anchors. */
function toBase64Url (bytes) {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/**
 * Where each live Y.XmlText of `fragment` starts in the ProseMirror document: Map<XmlText, pos>.
 * A node's size is as ProseMirror counts it: a leaf (hard break, rule) 1, any other element its
 * content plus its two tags, text its length (UTF-16 units in both models).
 */
export function textStarts (fragment, schema) {
  const starts = new Map()
  let pos = 0
  const walk = (type) => {
    for (const child of type.toArray()) {
      if (child instanceof Y.XmlText) {
        starts.set(child, pos)
        pos += child.length
      } else if (child instanceof Y.XmlElement) {
        if (schema.nodes[child.nodeName]?.isLeaf) {
          pos += 1
        } else {
          pos += 1
          walk(child)
          pos += 1
        }
      }
    }
  }
  walk(fragment)
  return starts
}

/**
 * Where a thread's anchor stands in this page's copy: {from, to} in ProseMirror positions, or
 * null when it cannot be resolved here (the anchored text is not here yet, or is gone).
 */
export function resolveAnchor (fragment, schema, anchor, starts = textStarts(fragment, schema)) {
  try {
    const doc = fragment.doc
    const start = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(fromBase64Url(anchor.start)), doc)
    const end = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(fromBase64Url(anchor.end)), doc)
    if (!start || !end || !starts.has(start.type) || !starts.has(end.type)) return null
    const from = starts.get(start.type) + start.index
    const to = starts.get(end.type) + end.index
    return to > from ? { from, to } : null
  } catch {
    return null
  }
}

/**
 * The anchor of the text in `from`..`to` (ProseMirror positions): {start, end} as the server takes
 * them, and the first and last text positions of that range; null when the range holds no text.
 */
export function anchorOf (state, fragment, from, to) {
  let first = null
  let last = null
  state.doc.nodesBetween(from, to, (node, pos) => {
    if (!node.isText) return true
    const s = Math.max(from, pos)
    const e = Math.min(to, pos + node.nodeSize)
    if (e > s) {
      if (first === null) first = s
      last = e
    }
    return false
  })
  if (first === null) return null
  let start = null
  let end = null
  for (const [text, at] of textStarts(fragment, state.schema)) {
    if (!start && at <= first && first < at + text.length) start = Y.createRelativePositionFromTypeIndex(text, first - at, 0)
    if (!end && at < last && last <= at + text.length) end = Y.createRelativePositionFromTypeIndex(text, last - at, -1)
  }
  if (!start || !end) return null
  return {
    from: first,
    to: last,
    anchor: { start: toBase64Url(Y.encodeRelativePosition(start)), end: toBase64Url(Y.encodeRelativePosition(end)) }
  }
}

function decorations (doc, marks, active) {
  const size = doc.content.size
  const ranges = marks
    .filter((m) => m.to > m.from && m.to <= size)
    .sort((a, b) => a.from - b.from || a.to - b.to)
    .map((m) => Decoration.inline(m.from, m.to, {
      class: m.id === active ? 'rich-comment rich-comment-active' : 'rich-comment',
      'data-thread': m.id
    }, { id: m.id }))
  return DecorationSet.create(doc, ranges)
}

/** Each thread's passage from its anchor, in the document and Y.Doc as they are now. */
function resolveAll (threads, fragment, schema) {
  const starts = textStarts(fragment, schema)
  const marks = []
  for (const thread of threads) {
    const here = resolveAnchor(fragment, schema, thread.anchor, starts)
    if (here) marks.push({ id: thread.id, ...here })
  }
  return marks
}

function marksPlugin (fragment, hub) {
  return new Plugin({
    key,
    state: {
      init: () => ({ threads: [], marks: [], active: null, deco: DecorationSet.empty }),
      apply (tr, value, _old, state) {
        const meta = tr.getMeta(key)
        let { threads, marks, active } = value
        if (meta?.threads) threads = meta.threads
        if ('active' in (meta || {})) active = meta.active
        if (meta?.threads || (tr.docChanged && tr.getMeta(ySyncPluginKey)?.isChangeOrigin)) {
          // The Y.Doc holds what this document shows (new threads, or a change from Yjs).
          marks = resolveAll(threads, fragment, state.schema)
        } else if (tr.docChanged) {
          // This page's own edit: Yjs hears of it only after this transaction.
          marks = marks.map((m) => ({ id: m.id, from: tr.mapping.map(m.from, 1), to: tr.mapping.map(m.to, -1) }))
        } else if (!meta) {
          return value
        }
        return { threads, marks, active, deco: decorations(state.doc, marks, active) }
      }
    },
    props: {
      decorations: (state) => key.getState(state).deco,
      handleDOMEvents: {
        click (view, event) {
          const mark = event.target.closest?.('.rich-comment')
          if (mark && window.getSelection()?.isCollapsed) hub.open?.(mark.dataset.thread)
          return false
        },
        focus: () => { hub.selected?.(); return false },
        blur: () => { hub.selected?.(); return false }
      }
    },
    view: () => ({
      update (view, prev) {
        if (!view.state.selection.eq(prev.selection) || view.state.doc !== prev.doc) hub.selected?.()
      }
    })
  })
}

/**
 * For commenters: the text takes the focus and the keyboard selects, but nothing they do changes
 * the document (typing, deleting, pasting, dropping, shortcuts); changes from Yjs still apply.
 */
function readOnlyPlugin () {
  return new Plugin({
    filterTransaction: (tr) => !tr.docChanged || !!tr.getMeta(ySyncPluginKey)?.isChangeOrigin,
    props: {
      handleDOMEvents: {
        beforeinput: (_view, event) => { event.preventDefault(); return true }
      },
      handleTextInput: () => true,
      handlePaste: () => true,
      handleDrop: () => true
    }
  })
}

/**
 * The Tiptap extension: highlights, the Comment shortcut (hub.compose), clicks on a highlight
 * (hub.open), selection and focus changes (hub.selected); with `commentOnly`, no edits.
 */
export function CommentMarks ({ fragment, hub, commentOnly }) {
  return Extension.create({
    name: 'commentMarks',
    addKeyboardShortcuts () {
      return { [COMMENT_KEY]: () => { hub.compose?.(); return true } }
    },
    addProseMirrorPlugins () {
      return [marksPlugin(fragment, hub), ...(commentOnly ? [readOnlyPlugin()] : [])]
    }
  })
}

/** What comments.js may ask of the rich editor about highlights (see comment-marks.js). */
export function richMarksApi (editor, fragment) {
  const view = () => editor.view
  const current = () => key.getState(editor.state)
  return {
    /** Show `threads` (from the server): the open ones, each where its anchor resolves here. */
    set (threads) {
      const open = threads.filter((t) => !t.resolved && !t.detached && t.anchor).map((t) => ({ id: t.id, anchor: t.anchor }))
      view().dispatch(editor.state.tr.setMeta(key, { threads: open }))
    },
    /** The thread's passage here now ({from, to}), or null. */
    rangeOf (id) {
      const mark = current().marks.find((m) => m.id === id)
      return mark ? { from: mark.from, to: mark.to } : null
    },
    /** The thread whose highlight holds the caret (the innermost), or null. */
    threadAtCaret () {
      const { empty, head } = editor.state.selection
      if (!empty) return null
      const around = current().marks.filter((m) => m.from <= head && head <= m.to)
      around.sort((a, b) => (a.to - a.from) - (b.to - b.from))
      return around.length ? around[0].id : null
    },
    /** The text of `range` ({from, to}) here now, one line break between blocks. */
    textOf ({ from, to }) {
      const size = editor.state.doc.content.size
      return editor.state.doc.textBetween(Math.min(from, size), Math.min(to, size), '\n')
    },
    /** Mark one thread's highlight as the one chosen (null: none). */
    setActive (id) {
      view().dispatch(editor.state.tr.setMeta(key, { active: id }))
    },
    /** Select `from`..`to` and bring it to the middle of the screen. */
    select ({ from, to }) {
      const { doc } = editor.state
      view().dispatch(editor.state.tr.setSelection(TextSelection.create(doc, from, Math.min(to, doc.content.size))))
      const { node } = view().domAtPos(from)
      const element = node.nodeType === Node.TEXT_NODE ? node.parentElement : node
      const mark = element?.closest?.('.rich-comment') || element
      mark?.scrollIntoView?.({ block: 'center' })
    },
    /**
     * The selection: {from, to, text, length} and `anchor` ({start, end} for the server) when it
     * holds text; length 0 without text.
     */
    selection () {
      const { from, to } = editor.state.selection
      const found = from < to ? anchorOf(editor.state, fragment, from, to) : null
      if (!found) return { from, to, text: '', length: 0, anchor: null }
      const text = editor.state.doc.textBetween(found.from, found.to, '\n')
      return { from: found.from, to: found.to, text, length: text.length, anchor: found.anchor }
    },
    /** Whether there is a selection to comment on, in the focused text. */
    hasSelection () {
      return !editor.state.selection.empty && view().hasFocus()
    },
    /** Where the selection ends on screen (for the Comment button), or null. */
    selectionCoords () {
      try {
        return view().coordsAtPos(editor.state.selection.head)
      } catch {
        return null
      }
    }
  }
}
