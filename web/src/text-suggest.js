// Suggesting mode in the plain-text editor (CodeMirror 6). While suggesting, a transaction
// filter turns this page's edits into suggestions (suggest-draft.js: interpret, draftSender)
// instead of changes of the shared text; changes from Yjs pass as always. The open suggestions,
// everyone's (from the server, via comments.js) and this page's drafts (shown at once), are
// decorations: insertions as <ins> widgets, deletions struck through (suggest-look.js), each
// mapped through every change until the next answer from the server.
import { Compartment, EditorState, Prec, StateEffect, StateField } from '@codemirror/state'
import { Decoration, EditorView, WidgetType, keymap } from '@codemirror/view'
import { ySyncAnnotation } from 'y-codemirror.next'
import * as Y from 'yjs'
import { resolveAnchor, utf16Offset } from './comment-marks.js'
import { deletionAttributes, deletionEnd, deletionLabel, insertedElement } from './suggest-look.js'
import { interpret } from './suggest-draft.js'

const setServer = StateEffect.define() // [item]
const putDraft = StateEffect.define() // item (by key)

/** base64url without padding, as the server reads positions. */
export function toBase64Url (bytes) {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Bytes of base64url (no padding). */
export function fromBase64Url (text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4)
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
}

function mapItem (item, changes) {
  if (item.kind === 'insert') {
    const at = changes.mapPos(item.from, -1)
    return at === item.from ? item : { ...item, from: at, to: at }
  }
  const from = changes.mapPos(item.from, 1)
  const to = Math.max(from, changes.mapPos(item.to, -1))
  return from === item.from && to === item.to ? item : { ...item, from, to }
}

/** What is shown: this page's drafts, and the server's suggestions that are not drafts here. */
function visible ({ server, drafts }) {
  const ids = new Set(drafts.map((d) => d.id).filter(Boolean))
  return [...drafts.filter((d) => !d.gone), ...server.filter((s) => !ids.has(s.id))]
}

class Inserted extends WidgetType {
  constructor (item) {
    super()
    this.item = item
  }

  eq (other) {
    const a = this.item
    const b = other.item
    return a.text === b.text && a.id === b.id && a.key === b.key && a.colour === b.colour && a.pending === b.pending && a.author?.name === b.author?.name
  }

  toDOM () { return insertedElement(this.item) }
  ignoreEvent () { return false }
}

class Label extends WidgetType {
  constructor (item, end) {
    super()
    this.item = item
    this.end = end
  }

  eq (other) { return other.end === this.end && other.item.author?.name === this.item.author?.name && other.item.kind === this.item.kind }
  toDOM () { return this.end ? deletionEnd() : deletionLabel(this.item) }
}

function decorate (value, size) {
  const ranges = []
  for (const item of visible(value)) {
    if (item.from > size || item.to > size) continue
    if (item.kind === 'insert') {
      if (item.text) ranges.push(Decoration.widget({ widget: new Inserted(item), side: -1 }).range(item.from))
      continue
    }
    if (item.to <= item.from) continue
    ranges.push(Decoration.widget({ widget: new Label(item, false), side: -1 }).range(item.from))
    ranges.push(Decoration.mark({ attributes: deletionAttributes(item), tagName: 'del' }).range(item.from, item.to))
    if (item.kind === 'replace' && item.text) ranges.push(Decoration.widget({ widget: new Inserted(item), side: -1 }).range(item.to))
    else ranges.push(Decoration.widget({ widget: new Label(item, true), side: 1 }).range(item.to))
  }
  return Decoration.set(ranges, true)
}

const field = StateField.define({
  create: () => ({ server: [], drafts: [], deco: Decoration.none }),
  update (value, tr) {
    let { server, drafts } = value
    if (tr.docChanged) {
      server = server.map((s) => mapItem(s, tr.changes))
      drafts = drafts.map((d) => mapItem(d, tr.changes))
    }
    let touched = tr.docChanged
    for (const effect of tr.effects) {
      if (effect.is(setServer)) {
        server = effect.value.server
        drafts = drafts.filter((d) => effect.value.keep.has(d.key))
        touched = true
      }
      if (effect.is(putDraft)) {
        const at = drafts.findIndex((d) => d.key === effect.value.key)
        drafts = at < 0 ? [...drafts, effect.value] : drafts.map((d, n) => (n === at ? effect.value : d))
        touched = true
      }
    }
    if (!touched) return value
    const next = { server, drafts }
    return { ...next, deco: decorate(next, tr.state.doc.length) }
  },
  provide: (f) => EditorView.decorations.from(f, (value) => value.deco)
})

/**
 * The suggesting part of the text editor. `ctl`: {mode, canWrite, me() (the user: name and
 * colour), sender (draftSender, bound later), colourOf(author), onOpen(id)}.
 * Returns {extension, bind(view, ytext) -> the surface's `suggest` API}.
 */
export function textSuggest (ctl) {
  const readOnly = new Compartment()
  // Commenters' text is read-only, but while they suggest.
  const lock = (mode) => {
    const locked = !ctl.canWrite && mode !== 'suggesting'
    return [EditorState.readOnly.of(locked), locked ? EditorView.contentAttributes.of({ 'aria-readonly': 'true' }) : []]
  }

  // The input method's composition under way: where, its draft's key, the draft's text before.
  let composition = null

  function filter (tr) {
    if (ctl.mode !== 'suggesting' || !tr.docChanged || tr.annotation(ySyncAnnotation)) return tr
    // Typing, pasting, dropping and deleting become suggestions; other changes (moving lines,
    // replacing all found, …) are not made while suggesting.
    if (!tr.isUserEvent('input') && !tr.isUserEvent('delete')) return {}
    let edit = null
    tr.changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
      if (!edit) edit = { from: fromA, to: toA, text: inserted.toString() }
    })
    edit.direction = tr.isUserEvent('delete.backward') ? 'backward' : tr.isUserEvent('delete.forward') ? 'forward' : null
    const sel = tr.startState.selection.main
    const value = tr.startState.field(field)
    // An input method's composition arrives state by state, each the whole composition so far
    // (the document never took the one before): each replaces the one before in the draft.
    const previous = composition
    composition = null
    // A line break is never part of a composition.
    const compose = tr.isUserEvent('input.type.compose') && !edit.text.includes('\n')
    const going = compose && !tr.isUserEvent('input.type.compose.start') && previous
    const item = going && edit.from === previous.from && edit.to === edit.from &&
      visible(value).find((i) => i.key === previous.key)
    const action = item
      ? { type: 'grow', item, text: previous.base + edit.text, caret: edit.from }
      : interpret(edit, visible(value), sel.empty ? sel.head : null)
    const effects = act(action, value)
    if (compose && (action.type === 'new' || action.type === 'grow') && effects.length) {
      const base = item ? previous.base : action.type === 'grow' ? action.item.text : ''
      composition = { from: edit.from, key: effects[0].value.key, base }
    }
    const caret = action.caret ?? sel.head
    return { selection: { anchor: caret }, effects, scrollIntoView: true, userEvent: 'select' }
  }

  /** The effects that show `action` at once; the draft goes to the server after this. */
  function act (action, value) {
    if (action.type === 'none') return []
    const me = ctl.me()
    if (action.type === 'new') {
      const draft = ctl.sender.create(action.kind, action.text)
      return [putDraft.of({ key: draft.key, id: null, kind: action.kind, from: action.from, to: action.to, text: action.text, author: { name: me.name }, colour: me.color, mine: true, pending: true })]
    }
    const item = action.item
    let draft = ctl.sender.get(item.key)
    if (!draft) draft = ctl.sender.adopt(item.id, item.kind, item.text)
    const next = { ...item, key: draft.key, pending: true }
    if (action.type === 'grow') {
      draft.text = action.text
      next.text = action.text
    } else {
      next.from = action.from
      next.to = action.to
    }
    ctl.sender.changed(draft)
    next.gone = !!draft.gone
    next.kind = draft.kind // an emptied replacement is a deletion
    return [putDraft.of(next)]
  }

  const extension = [
    field,
    readOnly.of(lock(ctl.mode)),
    EditorState.transactionFilter.of(filter),
    // Undo and redo change the shared text directly (Yjs): not while suggesting.
    Prec.highest(keymap.of(['Mod-z', 'Mod-y', 'Mod-Shift-z'].map((key) => ({ key, run: () => ctl.mode === 'suggesting' })))),
    EditorView.domEventHandlers({
      click (event) {
        const mark = event.target.closest?.('[data-suggestion]')
        if (mark) ctl.onOpen?.(mark.dataset.suggestion)
        return false
      }
    })
  ]

  function bind (view, ytext) {
    // While suggesting, the text under an input method's composition is drawn anew at each of
    // its steps (the document does not take it), and Chrome may then commit it without a
    // compositionend: CodeMirror would go on treating every key as part of a composition
    // (ignoring Enter's command, each key replacing the one before in the draft). A key that
    // the browser says is not composing ends that composition first.
    view.dom.addEventListener('keydown', (event) => {
      if (ctl.mode !== 'suggesting' || !view.composing || event.isComposing || event.keyCode === 229) return
      composition = null
      view.contentDOM.dispatchEvent(new CompositionEvent('compositionend', { data: '' }))
    }, true)
    const rel = (index, assoc) => toBase64Url(Y.encodeRelativePosition(Y.createRelativePositionFromTypeIndex(ytext, index, assoc)))
    /** Where a draft is, for the server. */
    ctl.where = (draft) => {
      const item = view.state.field(field).drafts.find((d) => d.key === draft.key)
      if (!item) return null
      if (item.kind === 'insert') return { at: rel(item.from, item.from === 0 ? 0 : -1) }
      if (item.to <= item.from) return null
      return { anchor: { start: rel(item.from, 0), end: rel(item.to, -1) } }
    }
    /** A draft's answer came: show it as saved (or gone). */
    ctl.sent = (draft) => {
      const item = view.state.field(field).drafts.find((d) => d.key === draft.key)
      if (!item) return
      const settled = ctl.sender.settled(draft)
      view.dispatch({ effects: putDraft.of({ ...item, id: draft.id, kind: draft.kind, pending: !settled, gone: draft.gone || !!draft.failed }) })
    }
    return {
      /** Show the open suggestions of `threads` (the server's list). */
      set (threads) {
        const text = view.state.doc.toString()
        const same = text === ytext.toString()
        const server = []
        for (const thread of threads) {
          const s = thread.suggestion
          if (!s || s.status !== 'open') continue
          const item = { key: `s:${thread.id}`, id: thread.id, kind: s.kind, text: s.text || '', author: thread.created_by, colour: ctl.colourOf(thread.created_by), mine: !!thread.created_by?.yours, pending: false }
          let place = null
          if (same && s.kind === 'insert' && s.at) {
            try {
              const abs = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(fromBase64Url(s.at)), ytext.doc)
              if (abs && abs.type === ytext) place = { from: abs.index, to: abs.index }
            } catch {}
          } else if (same && thread.anchor) {
            const here = resolveAnchor(ytext, thread.anchor)
            if (here && here.to > here.from) place = here
          }
          if (!place && s.range) {
            const from = utf16Offset(text, s.range.index)
            place = { from, to: utf16Offset(text, s.range.index + s.range.length) }
          }
          if (!place || (s.kind !== 'insert' && place.to <= place.from)) continue
          server.push({ ...item, ...place })
        }
        // Drafts with nothing left to send give way to the server's copy.
        const keep = new Set(ctl.sender.all().filter((d) => !ctl.sender.settled(d)).map((d) => d.key))
        for (const d of ctl.sender.all()) if (!keep.has(d.key)) ctl.sender.forget(d.key)
        view.dispatch({ effects: setServer.of({ server, keep }) })
      },
      /** Editing, suggesting or viewing (commenters' read-only text). */
      setMode (mode) {
        ctl.mode = mode
        view.dispatch({ effects: readOnly.reconfigure(lock(mode)) })
      },
      /** Where suggestion `id` is shown now ({from, to}), or null. */
      rangeOf (id) {
        const item = visible(view.state.field(field)).find((i) => i.id === id)
        return item ? { from: item.from, to: item.to } : null
      },
      colourOf: (author) => ctl.colourOf(author),
      /** What is shown now: [{key, id, kind, from, to, text, pending}] (for tests). */
      shown: () => visible(view.state.field(field)).map(({ key, id, kind, from, to, text, pending }) => ({ key, id, kind, from, to, text, pending }))
    }
  }
  return { extension, bind }
}
