// Comment highlights in the rich-text editor (Tiptap/ProseMirror on the XmlFragment "content"):
// the rich counterpart of comment-marks.js, driven by comments.js through the same interface
// (`surface.comments`). Highlights are decorations, never marks in the document: commenting does
// not change the text. Each open thread's anchor (two Yjs relative positions, base64url) is
// resolved in this page's own Y.Doc: again after every change from Yjs (y-tiptap redraws the
// whole document then, so nothing could be mapped through it) and mapped through this page's own
// edits in between. New threads are anchored the same way: the passage's first character
// (assoc 0) and its last (assoc -1), each in the Y.XmlText that holds it. A passage deleted here
// that the server still shows (put back by an undo: new characters, which the server finds by
// the quote) is found by the server's range and anchored again in this page.
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

/** Whether this page's Y.Doc has the character a relative position names. */
function holds (doc, position) {
  const id = position.item
  return !!id && Y.getState(doc.store, id.client) > id.clock
}

/**
 * Where a thread's anchor stands in this page's copy: {from, to} in ProseMirror positions
 * (from === to when its text is deleted here); {gone: true} when this copy has its characters
 * but not where they were (their paragraph removed); null when it lacks them (not here yet).
 */
export function resolveAnchor (fragment, schema, anchor, starts = textStarts(fragment, schema)) {
  try {
    const doc = fragment.doc
    const startRel = Y.decodeRelativePosition(fromBase64Url(anchor.start))
    const endRel = Y.decodeRelativePosition(fromBase64Url(anchor.end))
    if (!holds(doc, startRel) || !holds(doc, endRel)) return null
    const start = Y.createAbsolutePositionFromRelativePosition(startRel, doc)
    const end = Y.createAbsolutePositionFromRelativePosition(endRel, doc)
    if (!start || !end || !starts.has(start.type) || !starts.has(end.type)) return { gone: true }
    const from = starts.get(start.type) + start.index
    const to = starts.get(end.type) + end.index
    return { from, to: Math.max(from, to) }
  } catch {
    return null
  }
}

/** The UTF-16 offset of code point `index` of `text` (clamped to its end). */
function utf16Offset (text, index) {
  let at = 0
  for (let n = 0; n < index && at < text.length; n++) at += text.codePointAt(at) > 0xffff ? 2 : 1
  return at
}

/**
 * The server's range of a passage ({index, length, text}: code points of the document's text
 * nodes in document order, a line break between nodes) as {from, to} here, when the text there
 * is the range's text; else null.
 */
export function locateRange (doc, starts, range) {
  const parts = []
  let joined = ''
  for (const [text, at] of starts) {
    if (parts.length) joined += '\n'
    parts.push({ at, offset: joined.length, length: text.length })
    joined += doc.textBetween(at, at + text.length)
  }
  const begin = utf16Offset(joined, range.index)
  const finish = utf16Offset(joined, range.index + range.length)
  if (finish <= begin || joined.slice(begin, finish) !== range.text) return null
  const first = parts.find((p) => p.offset <= begin && begin < p.offset + p.length)
  const last = parts.find((p) => p.offset < finish && finish <= p.offset + p.length)
  return first && last ? { from: first.at + begin - first.offset, to: last.at + finish - last.offset } : null
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

/**
 * Each thread's passage from its anchor, in the document and Y.Doc as they are now: {threads,
 * marks}. A thread whose characters are deleted here, but which the server still shows on a
 * passage (an undo put its text back as new characters), is found by its range, if the text
 * there is the same, and anchored again on the text that stands there now.
 */
function resolveAll (threads, fragment, state) {
  const starts = textStarts(fragment, state.schema)
  const marks = []
  const next = threads.map((thread) => {
    const here = resolveAnchor(fragment, state.schema, thread.anchor, starts)
    if (here && here.to > here.from) {
      marks.push({ id: thread.id, from: here.from, to: here.to })
      return thread
    }
    if (!here || !thread.range) return thread
    const found = locateRange(state.doc, starts, thread.range)
    const again = found && anchorOf(state, fragment, found.from, found.to)
    if (!again) return thread
    marks.push({ id: thread.id, from: again.from, to: again.to })
    return { id: thread.id, anchor: again.anchor, range: null }
  })
  return { threads: next, marks }
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
          ({ threads, marks } = resolveAll(threads, fragment, state))
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
      const open = threads.filter((t) => !t.resolved && !t.detached && t.anchor)
        .map((t) => ({ id: t.id, anchor: t.anchor, range: t.range || null }))
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
