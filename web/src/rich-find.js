// Find and replace in the rich editor (plain text has CodeMirror's own panel): a bar opened by
// Ctrl/Cmd+F while the focus is in the rich editor; matches highlighted with ProseMirror
// decorations (the current one distinct), "n of m", match case, Replace and Replace all (one
// transaction, so one step of the person's undo history). Viewers and commenters find only.
// A match lies within one textblock and may run across marks (several text nodes).
import { Plugin, PluginKey, TextSelection } from '@tiptap/pm/state'
import { Decoration, DecorationSet } from '@tiptap/pm/view'
import { yUndoPluginKey } from '@tiptap/y-tiptap'
import { focusEditor } from './editor-focus.js'

export const findKey = new PluginKey('collab-find')
// An inline leaf (a hard break, a mention) counts as one character no query can contain, so that
// string offsets stay document positions and no match runs across it.
const LEAF = '\ufffc'

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Every match of `query` in `doc` as {from, to}, in document order. */
export function findMatches (doc, query, matchCase) {
  if (!query) return []
  const pattern = new RegExp(escapeRegExp(query), matchCase ? 'gu' : 'giu')
  const matches = []
  doc.descendants((node, pos) => {
    if (!node.isTextblock) return true
    const text = node.textBetween(0, node.content.size, undefined, LEAF)
    for (const found of text.matchAll(pattern)) {
      if (!found[0]) continue
      matches.push({ from: pos + 1 + found.index, to: pos + 1 + found.index + found[0].length })
    }
    return false
  })
  return matches
}

function decorations (doc, { matches, current }) {
  if (!matches.length) return DecorationSet.empty
  return DecorationSet.create(doc, matches.map((m, i) => Decoration.inline(m.from, m.to, {
    class: i === current ? 'find-match is-current' : 'find-match'
  })))
}

/** The plugin's state: the query, its matches and the current one (-1: none yet). */
function findPlugin () {
  const empty = { query: '', matchCase: false, matches: [], current: -1, deco: DecorationSet.empty }
  return new Plugin({
    key: findKey,
    state: {
      init: () => empty,
      apply (tr, prev, _old, state) {
        const meta = tr.getMeta(findKey)
        if (!meta && !tr.docChanged) return prev
        const next = { ...prev, ...meta }
        if (meta?.query !== undefined || meta?.matchCase !== undefined || tr.docChanged) {
          next.matches = findMatches(state.doc, next.query, next.matchCase)
          if (meta?.current === undefined) {
            // Stay on the match at (or after) where the current one was.
            const at = prev.matches[prev.current]
            const from = at ? tr.mapping.map(at.from) : -1
            next.current = from < 0 ? -1 : next.matches.findIndex((m) => m.from >= from)
            if (next.current < 0 && next.matches.length && from >= 0) next.current = 0
          }
        }
        next.deco = decorations(state.doc, next)
        return next
      }
    },
    props: { decorations: (state) => findKey.getState(state).deco }
  })
}

function el (tag, attrs = {}, text) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value)
  if (text !== undefined) node.textContent = text
  return node
}

/** The bar's markup: find field, previous/next, match case, the count; replace for writers. */
function buildBar (canReplace) {
  const bar = el('div', { class: 'find-bar', role: 'search', 'aria-label': 'Find in the document' })
  bar.hidden = true
  const findRow = el('div', { class: 'find-row' })
  const findLabel = el('label', { class: 'visually-hidden', for: 'find-query' }, 'Find')
  const query = el('input', { id: 'find-query', type: 'search', placeholder: 'Find', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'find-count' })
  const count = el('span', { class: 'find-count', id: 'find-count', role: 'status', 'aria-live': 'polite' })
  const prev = el('button', { type: 'button', class: 'icon-button', 'data-find': 'prev', title: 'Previous match (Shift+Enter)', 'aria-label': 'Previous match' })
  prev.innerHTML = '<svg viewBox="0 0 24 24" width="17" height="17" aria-hidden="true"><path d="M6 15l6-6 6 6" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>'
  const next = el('button', { type: 'button', class: 'icon-button', 'data-find': 'next', title: 'Next match (Enter)', 'aria-label': 'Next match' })
  next.innerHTML = '<svg viewBox="0 0 24 24" width="17" height="17" aria-hidden="true"><path d="M6 9l6 6 6-6" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>'
  const caseBox = el('input', { type: 'checkbox', id: 'find-case' })
  const caseLabel = el('label', { class: 'find-case', for: 'find-case' })
  caseLabel.append(caseBox, ' Match case')
  const close = el('button', { type: 'button', class: 'icon-button', 'data-find': 'close', title: 'Close (Esc)', 'aria-label': 'Close find' })
  close.innerHTML = '<svg viewBox="0 0 24 24" width="17" height="17" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg>'
  const field = el('div', { class: 'find-field' })
  field.append(query, count)
  findRow.append(findLabel, field, prev, next, caseLabel, close)
  bar.append(findRow)
  const parts = { bar, query, count, prev, next, caseBox, close }
  if (canReplace) {
    const replaceRow = el('div', { class: 'find-row' })
    const replaceLabel = el('label', { class: 'visually-hidden', for: 'find-replace' }, 'Replace with')
    const replace = el('input', { id: 'find-replace', type: 'text', placeholder: 'Replace with', autocomplete: 'off', spellcheck: 'false' })
    const one = el('button', { type: 'button', class: 'secondary-button', 'data-find': 'replace' }, 'Replace')
    const all = el('button', { type: 'button', class: 'secondary-button', 'data-find': 'replace-all' }, 'Replace all')
    replaceRow.append(replaceLabel, replace, one, all)
    bar.append(replaceRow)
    Object.assign(parts, { replace, one, all })
  }
  return parts
}

/** Scroll `pos` into view below the sticky header and toolbar. */
function reveal (view, pos) {
  const coords = view.coordsAtPos(pos)
  const covered = Math.max(0, ...[...document.querySelectorAll('.app-header, .toolbar-wrap, .find-bar')]
    .filter((node) => !node.hidden && getComputedStyle(node).position !== 'static')
    .map((node) => node.getBoundingClientRect().bottom))
  if (coords.top < covered + 8 || coords.bottom > window.innerHeight - 40) {
    window.scrollBy({ top: coords.top - covered - Math.round(window.innerHeight / 4) })
  }
}

/**
 * Add find (and replace, with `canReplace`) to `editor`; the bar goes at the top of `parent`
 * (in the toolbar, when there is one). Returns {open, close, state} for the page and tests.
 */
export function bindRichFind (editor, parent, { canReplace }) {
  editor.registerPlugin(findPlugin())
  const ui = buildBar(canReplace)
  // Writers: inside the sticky toolbar, so that the two stay together under the header.
  const toolbar = parent.querySelector('.toolbar-wrap')
  if (toolbar) toolbar.append(ui.bar)
  else parent.prepend(ui.bar)
  const state = () => findKey.getState(editor.state)
  const set = (meta) => editor.view.dispatch(editor.state.tr.setMeta(findKey, meta))

  const render = () => {
    const { query, matches, current } = state()
    ui.count.textContent = !query ? '' : matches.length === 0 ? 'No matches' : `${current < 0 ? 0 : current + 1} of ${matches.length}`
    ui.prev.disabled = ui.next.disabled = matches.length === 0
    if (ui.one) ui.one.disabled = ui.all.disabled = matches.length === 0 || !editor.isEditable
  }
  /** Make match `index` current: selected in the text and scrolled to. */
  const go = (index) => {
    const { matches } = state()
    if (!matches.length) return render()
    const i = (index + matches.length) % matches.length
    const m = matches[i]
    editor.view.dispatch(editor.state.tr.setMeta(findKey, { current: i }).setSelection(TextSelection.create(editor.state.doc, m.from, m.to)))
    reveal(editor.view, m.from)
    render()
  }
  const step = (delta) => {
    const { matches, current } = state()
    if (!matches.length) return
    if (current >= 0) return go(current + delta)
    // No current match yet: the first after the caret (or the last before it, going back).
    const head = editor.state.selection.from
    const after = matches.findIndex((m) => m.from >= head)
    if (delta > 0) go(after < 0 ? 0 : after)
    else go(after <= 0 ? matches.length - 1 : after - 1)
  }
  const search = () => {
    set({ query: ui.query.value, matchCase: ui.caseBox.checked, current: -1 })
    // As the person types, the first match at or after the caret becomes current.
    const { matches } = state()
    const head = editor.state.selection.from
    const after = matches.findIndex((m) => m.from >= head)
    if (matches.length) go(after < 0 ? 0 : after)
    else render()
  }
  /** Undo treats this change as a step of its own (not merged with typing just before). */
  const ownUndoStep = () => yUndoPluginKey.getState(editor.state)?.undoManager?.stopCapturing()
  const replaceOne = () => {
    const { matches, current } = state()
    if (!editor.isEditable || !canReplace || !matches.length) return
    if (current < 0) return step(1)
    const m = matches[current]
    ownUndoStep()
    editor.view.dispatch(editor.state.tr.insertText(ui.replace.value, m.from, m.to).setMeta(findKey, { current: -1 }))
    ownUndoStep()
    // On to the next match after the new text (which may itself contain the query).
    const after = state().matches.findIndex((x) => x.from >= m.from + ui.replace.value.length)
    if (state().matches.length) go(after < 0 ? 0 : after)
    else render()
  }
  const replaceAll = () => {
    const { matches } = state()
    if (!editor.isEditable || !canReplace || !matches.length) return
    // One transaction, from the end so that earlier positions stay put: one undo step.
    const tr = editor.state.tr
    for (const m of [...matches].reverse()) tr.insertText(ui.replace.value, m.from, m.to)
    ownUndoStep()
    editor.view.dispatch(tr.setMeta(findKey, { current: -1 }))
    ownUndoStep()
    const count = matches.length
    render()
    ui.count.textContent = `Replaced ${count}`
  }
  const open = () => {
    const wasHidden = ui.bar.hidden
    ui.bar.hidden = false
    const { from, to } = editor.state.selection
    const picked = editor.state.doc.textBetween(from, to, ' ')
    if (picked && !picked.includes('\n') && picked.length < 200) ui.query.value = picked
    ui.query.focus()
    ui.query.select()
    if (wasHidden || picked) search()
  }
  const close = () => {
    ui.bar.hidden = true
    set({ query: '', current: -1 })
    focusEditor(editor)
  }

  ui.query.addEventListener('input', search)
  ui.caseBox.addEventListener('change', search)
  ui.prev.addEventListener('click', () => step(-1))
  ui.next.addEventListener('click', () => step(1))
  ui.close.addEventListener('click', close)
  ui.one?.addEventListener('click', replaceOne)
  ui.all?.addEventListener('click', replaceAll)
  ui.bar.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault()
      close()
    } else if (event.key === 'Enter' && event.target === ui.query) {
      event.preventDefault()
      step(event.shiftKey ? -1 : 1)
    } else if (event.key === 'Enter' && event.target === ui.replace) {
      event.preventDefault()
      replaceOne()
    }
  })
  // Ctrl/Cmd+F in the rich editor (text, toolbar, this bar) opens the bar; so does it on the
  // page itself when the selection is in the text (a viewer's text does not take the focus).
  document.addEventListener('keydown', (event) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.key.toLowerCase() !== 'f') return
    const onPage = event.target === document.body || event.target === document.documentElement
    const anchor = window.getSelection()?.anchorNode
    if (!parent.contains(event.target) && !(onPage && anchor && parent.contains(anchor))) return
    event.preventDefault()
    open()
  })
  editor.on('transaction', ({ transaction }) => {
    if (transaction.docChanged && !ui.bar.hidden) render()
  })
  return { open, close, state }
}
