// Suggesting mode in the rich-text editor (Tiptap/ProseMirror): the counterpart of
// text-suggest.js. While suggesting, typing (beforeinput), Backspace and Delete (keydown) and
// pasting become suggestions (suggest-draft.js) and no other change of this page reaches the
// document (filterTransaction; changes from Yjs pass). Suggestions are decorations, each placed
// by its Yjs relative positions (an insertion's point, a passage's anchor), resolved again after
// every change from Yjs (y-tiptap redraws the whole document then) and mapped through this
// page's own edits in between, as the comment highlights are (rich-comment-marks.js).
import { Extension } from '@tiptap/core'
import { Plugin, PluginKey, TextSelection } from '@tiptap/pm/state'
import { AddMarkStep, RemoveMarkStep } from '@tiptap/pm/transform'
import { Decoration, DecorationSet } from '@tiptap/pm/view'
import { ySyncPluginKey } from '@tiptap/y-tiptap'
import * as Y from 'yjs'
import { anchorOf, locateRange, resolveAnchor, textStarts } from './rich-comment-marks.js'
import { deletionAttributes, deletionEnd, deletionLabel, formatAttributes, insertedElement } from './suggest-look.js'
import { interpret } from './suggest-draft.js'

const key = new PluginKey('suggestions')
// The marks a format suggestion may add or remove (the server's FORMAT_MARKS).
const FORMAT_MARKS = new Set(['bold', 'italic', 'strike', 'underline', 'code'])

/** Whether two marks objects ({bold: true, ...}) say the same, whatever their order. */
function sameMarks (a, b) {
  const entries = (m) => JSON.stringify(Object.entries(m || {}).sort(([x], [y]) => (x < y ? -1 : 1)))
  return entries(a) === entries(b)
}

/**
 * The marks a transaction of this page adds (true) or removes (false), when adding and removing
 * marks is all it does: {marks, from, to}; null for any other change.
 */
function markChange (tr) {
  if (!tr.steps.length) return null
  const marks = {}
  let from = Infinity
  let to = -Infinity
  for (const step of tr.steps) {
    if (!(step instanceof AddMarkStep) && !(step instanceof RemoveMarkStep)) return null
    marks[step.mark.type.name] = step instanceof AddMarkStep
    from = Math.min(from, step.from)
    to = Math.max(to, step.to)
  }
  return { marks, from, to }
}

function toBase64Url (bytes) {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function fromBase64Url (text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4)
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
}

/**
 * Where each block element's children stand: for every Y.XmlElement that is not a leaf, the
 * ProseMirror position before each of its children and after the last ([k]: after k of them).
 * A paragraph y-tiptap left empty holds no Y.XmlText, so a point there names the element.
 */
function blockBounds (fragment, schema) {
  const bounds = new Map()
  let pos = 0
  const visit = (node) => {
    if (node instanceof Y.XmlText) {
      pos += node.length
    } else if (node instanceof Y.XmlElement) {
      pos += 1
      if (schema.nodes[node.nodeName]?.isLeaf) return
      const own = [pos]
      bounds.set(node, own)
      for (const child of node.toArray()) {
        visit(child)
        own.push(pos)
      }
      pos += 1
    }
  }
  for (const child of fragment.toArray()) visit(child)
  return bounds
}

/** The ProseMirror position of an insertion point (a relative position, base64url), or null. */
function resolvePoint (fragment, at, starts, blocks) {
  try {
    const rel = Y.decodeRelativePosition(fromBase64Url(at))
    if (rel.item && Y.getState(fragment.doc.store, rel.item.client) <= rel.item.clock) return null
    const abs = Y.createAbsolutePositionFromRelativePosition(rel, fragment.doc)
    if (!abs) return null
    if (starts.has(abs.type)) return starts.get(abs.type) + abs.index
    // A point naming a paragraph (made while it was empty): Yjs puts it after its children.
    const own = abs.type instanceof Y.XmlElement ? blocks().get(abs.type) : null
    return own ? own[Math.min(abs.index, own.length - 1)] : null
  } catch {
    return null
  }
}

/**
 * The insertion point at ProseMirror position `pos` (base64url), or null where none can be
 * made: in text, on a character (or a text node's first); in a paragraph holding no text node,
 * on the paragraph itself, as Yjs makes one in an empty type (the server writes a text node
 * into it when the insertion is accepted).
 */
export function pointAt (state, fragment, pos) {
  for (const [text, at] of textStarts(fragment, state.schema)) {
    if (at <= pos && pos <= at + text.length) {
      const index = pos - at
      return toBase64Url(Y.encodeRelativePosition(Y.createRelativePositionFromTypeIndex(text, index, index === 0 ? 0 : -1)))
    }
  }
  const $pos = state.doc.resolve(pos)
  if (!$pos.parent.isTextblock || $pos.parent.content.size) return null
  for (const [element, own] of blockBounds(fragment, state.schema)) {
    if (own[0] === pos && element.length === 0) {
      return toBase64Url(Y.encodeRelativePosition(Y.createRelativePositionFromTypeIndex(element, 0, 0)))
    }
  }
  return null
}

/** Where `item` stands in `state` ({from, to}), or null. `blocks`: blockBounds, made once. */
function place (item, fragment, state, starts, blocks) {
  if (item.kind === 'insert') {
    const pos = item.at ? resolvePoint(fragment, item.at, starts, blocks) : null
    return pos === null ? null : { from: pos, to: pos }
  }
  const here = item.anchor ? resolveAnchor(fragment, state.schema, item.anchor, starts) : null
  if (here && !here.gone && here.to > here.from) return here
  if (item.range && item.range.length) return locateRange(state.doc, starts, item.range)
  return null
}

function visible ({ server, drafts }) {
  const ids = new Set(drafts.map((d) => d.id).filter(Boolean))
  return [...drafts.filter((d) => !d.gone), ...server.filter((s) => !ids.has(s.id))]
}

function decorations (doc, value) {
  const size = doc.content.size
  const out = []
  const widget = (pos, item, side, make) => Decoration.widget(pos, make, {
    side,
    ignoreSelection: true,
    key: `${item.key}:${side}:${item.kind}:${item.text}:${JSON.stringify(item.marks || null)}:${item.colour}:${item.pending ? 1 : 0}:${item.author?.name}`
  })
  for (const item of visible(value)) {
    if (item.from == null || item.to > size) continue
    if (item.kind === 'insert') {
      if (item.text) out.push(widget(item.from, item, -1, () => insertedElement(item, 'new paragraph')))
      continue
    }
    if (item.to <= item.from) continue
    if (item.kind === 'format') {
      out.push(widget(item.from, item, -1, () => deletionLabel(item)))
      out.push(Decoration.inline(item.from, item.to, { nodeName: 'span', ...formatAttributes(item) }))
      out.push(widget(item.to, item, 1, () => deletionEnd()))
      continue
    }
    out.push(widget(item.from, item, -1, () => deletionLabel(item)))
    out.push(Decoration.inline(item.from, item.to, { nodeName: 'del', ...deletionAttributes(item) }))
    if (item.kind === 'replace' && item.text) out.push(widget(item.to, item, -1, () => insertedElement(item, 'new paragraph')))
    else out.push(widget(item.to, item, 1, () => deletionEnd()))
  }
  return DecorationSet.create(doc, out)
}

/** Every item placed again from its relative positions (a change from Yjs, or new items). */
function placeAll (items, fragment, state) {
  const starts = textStarts(fragment, state.schema)
  let bounds = null
  const blocks = () => (bounds ??= blockBounds(fragment, state.schema))
  return items.map((item) => ({ ...item, ...(place(item, fragment, state, starts, blocks) || { from: null, to: null }) }))
}

/**
 * The Tiptap extension. `ctl`: see suggestControl (suggest-draft.js); `fragment` the document's
 * XmlFragment. Runs before the other extensions (priority), so that while suggesting its key
 * and input handlers come first.
 */
export function Suggestions ({ ctl, fragment }) {
  const suggesting = () => ctl.mode === 'suggesting'
  const views = { view: null }

  /** Carry out an edit meant while suggesting: {from, to, text, direction}. */
  function edit (view, change) {
    const { state } = view
    const sel = state.selection
    const value = key.getState(state)
    const action = interpret(change, visible(value).filter((i) => i.from != null), sel.empty ? sel.head : null)
    const me = ctl.me()
    let tr = state.tr
    if (action.type === 'new') {
      let rel
      let { from, to } = action
      if (action.kind === 'insert') {
        const at = pointAt(state, fragment, from)
        rel = at && { at }
      } else {
        const found = anchorOf(state, fragment, from, to)
        if (found) ({ from, to } = found)
        rel = found && { anchor: found.anchor }
      }
      if (!rel) {
        // Outside any text block (a selected image, say): there is no place for text.
        ctl.say?.('Text can only be suggested inside a paragraph or heading. Put the caret in one, or switch to Editing.')
        return true
      }
      const draft = ctl.sender.create(action.kind, action.text)
      tr = tr.setMeta(key, { draft: { key: draft.key, id: null, kind: action.kind, ...rel, from, to, text: action.text, author: { name: me.name }, colour: me.color, mine: true, pending: true } })
    } else if (action.type !== 'none') {
      const item = action.item
      const draft = ctl.sender.get(item.key) || ctl.sender.adopt(item.id, item.kind, item.text)
      const next = { ...item, key: draft.key, pending: true }
      if (action.type === 'grow') {
        draft.text = action.text
        next.text = action.text
      } else {
        const found = anchorOf(state, fragment, action.from, action.to)
        if (!found) return true
        Object.assign(next, { from: found.from, to: found.to, anchor: found.anchor })
      }
      ctl.sender.changed(draft)
      next.gone = !!draft.gone
      next.kind = draft.kind // an emptied replacement is a deletion
      tr = tr.setMeta(key, { draft: next })
    }
    const caret = Math.min(action.caret ?? sel.head, tr.doc.content.size)
    tr = tr.setSelection(TextSelection.create(tr.doc, caret)).scrollIntoView()
    view.dispatch(tr)
    return true
  }

  /**
   * Formatting meant while suggesting ({marks, from, to}, from a mark command): a format
   * suggestion over that passage; the same marks again on one's own format suggestion of the
   * same passage take it back (a toggle pressed twice).
   */
  function format (view, change) {
    const names = Object.keys(change.marks)
    if (names.some((name) => !FORMAT_MARKS.has(name))) {
      ctl.say?.('Only bold, italic, strikethrough, underline and code can be suggested. Switch to Editing to change links.')
      return
    }
    const { state } = view
    const value = key.getState(state)
    const found = anchorOf(state, fragment, change.from, change.to)
    const spot = found || change
    const same = visible(value).find((i) => i.mine && !i.gone && i.kind === 'format' && i.from === spot.from && i.to === spot.to &&
      sameMarks(i.marks, change.marks))
    if (same) {
      const draft = ctl.sender.get(same.key) || ctl.sender.adopt(same.id, same.kind, '')
      draft.gone = true
      ctl.sender.changed(draft)
      view.dispatch(state.tr.setMeta(key, { draft: { ...same, key: draft.key, gone: true, pending: true } }))
      return
    }
    if (!found) {
      ctl.say?.('Formatting can only be suggested over text. Select some text, or switch to Editing.')
      return
    }
    const me = ctl.me()
    const draft = ctl.sender.create('format', '', { marks: change.marks })
    view.dispatch(state.tr.setMeta(key, { draft: { key: draft.key, id: null, kind: 'format', marks: change.marks, anchor: found.anchor, from: found.from, to: found.to, text: '', author: { name: me.name }, colour: me.color, mine: true, pending: true } }))
  }

  /** Joining two paragraphs alone is not a passage a suggestion can hold (docs/suggestions.md). */
  function joinRefused () {
    ctl.say?.('Joining paragraphs cannot be suggested on its own: select the break with a character on either side, or switch to Editing.')
    return true
  }

  /** Backspace ('backward') or Delete ('forward') at the selection. */
  function remove (view, direction) {
    const { selection } = view.state
    if (!selection.empty) return edit(view, { from: selection.from, to: selection.to, text: '', direction: null })
    const $pos = selection.$head
    const parent = $pos.parent
    if (direction === 'backward') {
      const before = $pos.nodeBefore
      if (!before && $pos.parentOffset === 0 && $pos.depth > 0) return joinRefused()
      if (!before || !before.isText) return edit(view, { from: $pos.pos, to: $pos.pos, text: '', direction })
      const code = before.text.charCodeAt(before.text.length - 1)
      const width = code >= 0xdc00 && code <= 0xdfff && before.text.length > 1 ? 2 : 1
      return edit(view, { from: $pos.pos - width, to: $pos.pos, text: '', direction })
    }
    const after = $pos.nodeAfter
    if ($pos.parentOffset >= parent.content.size && $pos.depth > 0) return joinRefused()
    if (!after || !after.isText) return true
    const code = after.text.charCodeAt(0)
    const width = code >= 0xd800 && code <= 0xdbff && after.text.length > 1 ? 2 : 1
    return edit(view, { from: $pos.pos, to: $pos.pos + width, text: '', direction })
  }

  function typed (view, text) {
    if (!text) return true
    const { from, to } = view.state.selection
    // Suggested text is plain text; each line break in it is a paragraph break (Enter), which
    // accepting it makes by splitting the paragraph there (docs/suggestions.md).
    return edit(view, { from, to, text: text.replace(/\r\n?/g, '\n'), direction: null })
  }

  const plugin = new Plugin({
    key,
    state: {
      init: () => ({ server: [], drafts: [], deco: DecorationSet.empty }),
      apply (tr, value, _old, state) {
        const meta = tr.getMeta(key)
        let { server, drafts } = value
        if (meta?.server) {
          server = meta.server
          drafts = drafts.filter((d) => meta.keep.has(d.key))
        }
        if (meta?.draft) {
          const at = drafts.findIndex((d) => d.key === meta.draft.key)
          drafts = at < 0 ? [...drafts, meta.draft] : drafts.map((d, n) => (n === at ? meta.draft : d))
        }
        if (meta?.server || (tr.docChanged && tr.getMeta(ySyncPluginKey)?.isChangeOrigin)) {
          server = placeAll(server, fragment, state)
          drafts = placeAll(drafts, fragment, state)
        } else if (tr.docChanged) {
          // This page's own edit (editing mode): Yjs hears of it only after this transaction.
          const map = (item) => (item.from == null
            ? item
            : item.kind === 'insert'
              ? { ...item, from: tr.mapping.map(item.from, -1), to: tr.mapping.map(item.from, -1) }
              : { ...item, from: tr.mapping.map(item.from, 1), to: tr.mapping.map(item.to, -1) })
          server = server.map(map)
          drafts = drafts.map(map)
        } else if (!meta) {
          return value
        }
        const next = { server, drafts }
        return { ...next, deco: decorations(state.doc, next) }
      }
    },
    filterTransaction (tr, state) {
      if (!suggesting() || !tr.docChanged || tr.getMeta(ySyncPluginKey)?.isChangeOrigin) return true
      // A mark command (the toolbar, Ctrl+B) becomes a format suggestion, made once this
      // transaction is refused (a plugin cannot dispatch while a transaction is filtered).
      // Only a transaction dispatched on the page's state is someone's command: those other
      // plugins append (a link found in text another page wrote) are filtered against the
      // state the first one made, and are refused without a word.
      const change = markChange(tr)
      const view = views.view
      if (change && view && state === view.state) queueMicrotask(() => format(view, change))
      return false
    },
    view (editorView) {
      views.view = editorView
      return { destroy () { views.view = null } }
    },
    props: {
      decorations: (state) => key.getState(state).deco,
      // Commenters' text is read-only, but while they suggest.
      attributes: () => (!ctl.canWrite && !suggesting() ? { 'aria-readonly': 'true' } : {}),
      handleKeyDown (view, event) {
        if (!suggesting() || event.isComposing) return false
        const mod = event.ctrlKey || event.metaKey
        if (event.key === 'Backspace') return remove(view, 'backward')
        if (event.key === 'Delete') return remove(view, 'forward')
        if (event.key === 'Enter') return event.shiftKey ? true : typed(view, '\n') // Shift+Enter: no line breaks within a paragraph
        if (mod && ['z', 'y'].includes(event.key.toLowerCase())) return true // undo changes the document directly
        if (mod && event.repeat) return true // a held Ctrl+B would suggest and withdraw by turns
        return false
      },
      handleDOMEvents: {
        beforeinput (view, event) {
          if (!suggesting()) return false
          event.preventDefault()
          const type = event.inputType
          if (type === 'insertText' || type === 'insertReplacementText') {
            typed(view, event.data ?? event.dataTransfer?.getData('text/plain') ?? '')
          } else if (type === 'insertParagraph') {
            typed(view, '\n')
          } else if (type.startsWith('delete')) {
            remove(view, type.includes('Forward') ? 'forward' : 'backward')
          }
          return true
        },
        click (_view, event) {
          const mark = event.target.closest?.('[data-suggestion]')
          if (mark) ctl.onOpen?.(mark.dataset.suggestion)
          return false
        }
      },
      handlePaste (view, event) {
        if (!suggesting()) return false
        return typed(view, event.clipboardData?.getData('text/plain') || '')
      },
      handleDrop: () => suggesting(),
      // An input method's composition is read from the page as it goes (each state of it);
      // only the text it commits, read once it ends, is suggested.
      handleTextInput: (view, from, to, text) => (suggesting() ? view.composing || typed(view, text) : false)
    }
  })

  return Extension.create({
    name: 'suggestions',
    priority: 1000,
    addProseMirrorPlugins: () => [plugin]
  })
}

/** What the page asks of the rich editor's suggestions (see text-suggest.js). */
export function richSuggestApi (editor, ctl) {
  const view = () => editor.view
  const drafts = () => key.getState(editor.state).drafts
  ctl.where = (draft) => {
    const item = drafts().find((d) => d.key === draft.key)
    if (!item) return null
    return item.kind === 'insert' ? (item.at ? { at: item.at } : null) : (item.anchor ? { anchor: item.anchor } : null)
  }
  ctl.sent = (draft) => {
    const item = drafts().find((d) => d.key === draft.key)
    if (!item) return
    const settled = ctl.sender.settled(draft)
    view().dispatch(editor.state.tr.setMeta(key, { draft: { ...item, id: draft.id, kind: draft.kind, pending: !settled, gone: draft.gone || !!draft.failed } }))
  }
  return {
    set (threads) {
      const server = []
      for (const thread of threads) {
        const s = thread.suggestion
        if (!s || s.status !== 'open') continue
        server.push({
          key: `s:${thread.id}`,
          id: thread.id,
          kind: s.kind,
          text: s.text || '',
          marks: s.marks || null,
          at: s.at || null,
          anchor: thread.anchor || null,
          range: s.range || null,
          author: thread.created_by,
          colour: ctl.colourOf(thread.created_by),
          mine: !!thread.created_by?.yours,
          pending: false
        })
      }
      const keep = new Set(ctl.sender.all().filter((d) => !ctl.sender.settled(d)).map((d) => d.key))
      for (const d of ctl.sender.all()) if (!keep.has(d.key)) ctl.sender.forget(d.key)
      view().dispatch(editor.state.tr.setMeta(key, { server, keep }))
    },
    setMode (mode) {
      ctl.mode = mode
      view().dispatch(editor.state.tr.setMeta(key, { mode }))
    },
    mode: () => ctl.mode,
    rangeOf (id) {
      const item = visible(key.getState(editor.state)).find((i) => i.id === id && i.from != null)
      return item ? { from: item.from, to: item.to } : null
    },
    colourOf: (author) => ctl.colourOf(author),
    shown: () => visible(key.getState(editor.state)).map(({ key: k, id, kind, from, to, text, marks, pending }) => ({ key: k, id, kind, from, to, text, marks, pending }))
  }
}
