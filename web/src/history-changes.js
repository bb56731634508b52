// The preview's "Changes" tab: what changed from the selected version to the current text (or
// another version), kept current while people type.

import { previewPieces, wordDiff } from './history-diff.js'

/**
 * The versions to diff, in time order: from the older to the newer (ids grow with time), so
 * what was written later shows as added. `against` null: from the version to the current text.
 */
function diffOrder (id, against) {
  return against && against < id ? [against, id] : [id, against]
}

/** The changes view of the panel `h` (history.js): loadDiff. */
export function changesPart (h) {
  const { $, el, state } = h
  const diffView = $('diff-view')
  let diffRequest = 0
  let refreshTimer = null

  async function loadDiff () {
    const version = state.selected
    if (!version) return
    const request = ++diffRequest
    h.setLoading(1)
    try {
      const diff = await h.api.diff(...diffOrder(version.id, state.against))
      // The same version by a newer object (a room event renamed it meanwhile) still counts.
      if (request !== diffRequest || state.selected?.id !== version.id) return
      renderDiff(diff)
    } catch (err) {
      if (request !== diffRequest) return
      diffView.replaceChildren(el('p', 'diff-placeholder is-error', `Could not load the changes. ${err.message}`))
    } finally {
      h.setLoading(-1)
    }
  }

  function renderStats (diff) {
    const { inserted_chars: added = 0, deleted_chars: removed = 0 } = diff.stats || {}
    const stats = $('diff-stats')
    stats.replaceChildren()
    if (!added && !removed) {
      stats.append(el('span', 'stat-same', state.against ? 'No changes' : 'Same as the current text'))
    } else {
      stats.append(el('span', 'stat-added', `+${added} added`), el('span', 'stat-removed', `−${removed} removed`))
    }
  }

  function renderDiff (diff) {
    renderStats(diff)
    const nodes = previewPieces(wordDiff(diff.chars || [])).map((piece) => {
      if (piece.op === 'insert') return el('ins', 'diff-insert', piece.text)
      if (piece.op === 'delete') return el('del', 'diff-delete', piece.text)
      if (piece.op === 'skip') return el('span', 'diff-skip', `… ${Number(piece.text).toLocaleString()} unchanged characters …`)
      return document.createTextNode(piece.text)
    })
    if (!nodes.length) nodes.push(el('p', 'diff-placeholder', 'Both texts are empty.'))
    diffView.replaceChildren(...nodes)
    h.enableRestore()
  }

  /** Before the selected version's changes arrive. */
  function clearDiff () {
    diffView.replaceChildren(el('p', 'diff-placeholder', 'Loading the changes…'))
    $('diff-stats').textContent = ''
  }

  // The preview compares with the current text: keep it current while people type.
  h.ydoc.on('update', () => {
    if (h.panel.hidden || !state.selected || state.against) return
    clearTimeout(refreshTimer)
    refreshTimer = setTimeout(loadDiff, 1200)
  })

  return { loadDiff, clearDiff }
}
