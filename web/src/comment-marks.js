// Comment highlights in the plain-text editor (CodeMirror 6): one mark per open thread, set from
// the ranges the server answers (comments.js) and mapped through every change in between, so a
// highlight follows its passage while people type. Also the "Comment" shortcut and the click on
// a highlight. Indexes the server speaks are Unicode code points; CodeMirror's are UTF-16 units.
import { StateEffect, StateField } from '@codemirror/state'
import { Decoration, EditorView, keymap } from '@codemirror/view'
import * as Y from 'yjs'
import { COMMENT_KEY } from './comment-key.js'


/** The UTF-16 offset of code point `index` of `text` (clamped to its end). */
export function utf16Offset (text, index) {
  let at = 0
  for (let n = 0; n < index && at < text.length; n++) at += text.codePointAt(at) > 0xffff ? 2 : 1
  return at
}

/** How many code points `text` holds before UTF-16 offset `offset`. */
export function codePointIndex (text, offset) {
  let n = 0
  for (let at = 0; at < offset && at < text.length; n++) at += text.codePointAt(at) > 0xffff ? 2 : 1
  return n
}

/** Bytes of base64url (no padding), as the server sends anchors. */
function fromBase64Url (text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4)
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
}

/**
 * Where a thread's anchor (two Yjs relative positions, base64url) stands in this page's copy of
 * `ytext`: {from, to} in UTF-16 (CodeMirror's positions); {from, to} equal when the passage is
 * deleted here; null when this copy cannot resolve it (it lacks the anchored text yet).
 */
export function resolveAnchor (ytext, anchor) {
  try {
    const doc = ytext.doc
    const start = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(fromBase64Url(anchor.start)), doc)
    const end = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(fromBase64Url(anchor.end)), doc)
    if (!start || !end || start.type !== ytext || end.type !== ytext) return null
    return { from: start.index, to: Math.max(start.index, end.index) }
  } catch {
    return null
  }
}

const setMarks = StateEffect.define() // [{id, from, to}]
const setActive = StateEffect.define() // thread id or null

function build (marks, active) {
  const ranges = marks
    .filter((m) => m.to > m.from)
    .sort((a, b) => a.from - b.from || a.to - b.to)
    .map((m) => Decoration.mark({
      class: m.id === active ? 'cm-comment cm-comment-active' : 'cm-comment',
      attributes: { 'data-thread': m.id },
      id: m.id
    }).range(m.from, m.to))
  return Decoration.set(ranges)
}

/** The marks a decoration set holds now: [{id, from, to}]. */
function marksOf (deco) {
  const out = []
  for (let it = deco.iter(); it.value; it.next()) out.push({ id: it.value.spec.id, from: it.from, to: it.to })
  return out
}

const marksField = StateField.define({
  create: () => ({ deco: Decoration.none, active: null }),
  update (value, tr) {
    let { deco, active } = value
    deco = deco.map(tr.changes)
    for (const effect of tr.effects) {
      if (effect.is(setMarks)) deco = build(effect.value, active)
      if (effect.is(setActive)) {
        active = effect.value
        deco = build(marksOf(deco), active)
      }
    }
    return deco === value.deco && active === value.active ? value : { deco, active }
  },
  provide: (field) => EditorView.decorations.from(field, (value) => value.deco)
})

/**
 * The extension, and what comments.js drives through `hub`: hub.compose() is called by the
 * shortcut, hub.open(id) by a click on a highlight, hub.selected() on selection and focus changes.
 */
export function commentMarks (hub) {
  return [
    marksField,
    keymap.of([{ key: COMMENT_KEY, preventDefault: true, run: () => { hub.compose?.(); return true } }]),
    EditorView.domEventHandlers({
      click (event, view) {
        const mark = event.target.closest && event.target.closest('.cm-comment')
        if (!mark || !view.state.selection.main.empty) return false
        hub.open?.(mark.dataset.thread)
        return false
      }
    }),
    EditorView.updateListener.of((update) => {
      if (update.selectionSet || update.docChanged || update.focusChanged) hub.selected?.()
    })
  ]
}

/** What comments.js may ask of the text editor about highlights. */
export function marksApi (view, ytext) {
  return {
    /** Show `threads` (from the server) as highlights, each where its anchor resolves in this
     * page's copy of the text; without one, from its range, unless that no longer matches the
     * text here (local edits the server has not seen yet) and a mapped mark is at hand; when its
     * characters are deleted here, from its range only where the range holds its text. */
    set (threads) {
      const text = view.state.doc.toString()
      const current = new Map(marksOf(view.state.field(marksField).deco).map((m) => [m.id, m]))
      const marks = []
      for (const thread of threads) {
        if (thread.resolved) continue
        const here = thread.anchor && text === ytext.toString() ? resolveAnchor(ytext, thread.anchor) : null
        if (here && here.to > here.from) {
          marks.push({ id: thread.id, ...here })
          continue
        }
        if (thread.detached || !thread.range) continue
        const from = utf16Offset(text, thread.range.index)
        const to = utf16Offset(text, thread.range.index + thread.range.length)
        const same = text.slice(from, to) === thread.range.text
        // Its characters are deleted here, yet the server shows it (an undo put its text back as
        // new characters, which the server finds by the quote): where its range holds that text.
        if (here) {
          if (same) marks.push({ id: thread.id, from, to })
          continue
        }
        if (same || !current.has(thread.id)) marks.push({ id: thread.id, from, to })
        else marks.push(current.get(thread.id))
      }
      view.dispatch({ effects: setMarks.of(marks) })
    },
    /** The thread's passage here now ({from, to} in UTF-16), or null. */
    rangeOf (id) {
      return marksOf(view.state.field(marksField).deco).find((m) => m.id === id) || null
    },
    /** The thread whose highlight holds the caret (the innermost), or null. */
    threadAtCaret () {
      const { head } = view.state.selection.main
      const around = marksOf(view.state.field(marksField).deco).filter((m) => m.from <= head && head <= m.to)
      around.sort((a, b) => (a.to - a.from) - (b.to - b.from))
      return around.length ? around[0].id : null
    },
    /** The text of `range` ({from, to}) here now. */
    textOf ({ from, to }) {
      return view.state.doc.sliceString(from, to)
    },
    /** Mark one thread's highlight as the one chosen (null: none). */
    setActive (id) {
      view.dispatch({ effects: setActive.of(id) })
    },
    /** Select `from`..`to` and scroll it into view. */
    select ({ from, to }) {
      view.dispatch({ selection: { anchor: from, head: to }, effects: EditorView.scrollIntoView(from, { y: 'center' }) })
    },
    /** The main selection: {from, to, text, index, length} (index and length in code points). */
    selection () {
      const { from, to } = view.state.selection.main
      const text = view.state.doc.toString()
      const index = codePointIndex(text, from)
      return { from, to, text: text.slice(from, to), index, length: codePointIndex(text, to) - index }
    },
    /** Whether there is a selection to comment on, in the focused text. */
    hasSelection () {
      return !view.state.selection.main.empty && view.hasFocus
    },
    /** Where the selection ends on screen (for the Comment button), or null. */
    selectionCoords () {
      const { head } = view.state.selection.main
      return view.coordsAtPos(head)
    }
  }
}
