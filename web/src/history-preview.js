// The preview of one version: its head (title, kind, time, people), "Compare with", and the
// "Changes" and "In full" tabs; back to the list.

import { KIND_LABELS, fullTime, peopleLine, peopleNodes, shortTime } from './history-words.js'

/** The preview of the panel `h` (history.js): select, showList, renderPreviewHead, renderCompare. */
export function previewPart (h) {
  const { $, el, state } = h
  const listView = $('history-list-view')
  const preview = $('version-preview')
  const compare = $('compare-with')
  const tabs = { changes: $('tab-changes'), full: $('tab-full') }

  function select (version) {
    state.selected = version
    state.highlight.clear()
    h.say('')
    h.markSelected(version)
    showPreview(true)
    renderPreviewHead()
    h.clearDiff()
    state.against = null
    renderCompare()
    showTab('changes')
    h.loadDiff()
    $('preview-back').focus()
  }

  function showList () {
    state.selected = null
    showPreview(false)
    h.renderList()
  }

  function showPreview (shown) {
    listView.hidden = shown
    h.showForm(!shown)
    preview.hidden = !shown
    h.panel.classList.toggle('is-previewing', shown)
    h.hideConfirm()
  }

  /** "Compare with": the current document, or any other loaded version. */
  function renderCompare () {
    const options = [el('option', '', 'the current document')]
    options[0].value = ''
    for (const version of state.versions) {
      if (!state.selected || version.id === state.selected.id) continue
      const option = el('option', '', `${h.titleOf(version)} · ${shortTime(version.created_at)}`)
      option.value = String(version.id)
      option.selected = state.against === version.id
      options.push(option)
    }
    compare.replaceChildren(...options)
    const against = state.against && state.versions.find((v) => v.id === state.against)
    const other = against && `“${h.titleOf(against)}”, ${shortTime(against.created_at)}`
    // Read in time order: from the older of the two to the newer (ids grow with time).
    const older = against && against.id < state.selected.id
    $('diff-caption-title').textContent = !against
      ? 'Changes since this version'
      : older ? `Changes from ${other} to this version` : `Changes from this version to ${other}`
    $('legend-insert').textContent = against ? 'added' : 'added since'
    $('legend-delete').textContent = against ? 'removed' : 'removed since'
    $('restore-legend').hidden = !!against
    $('diff-view').setAttribute('aria-label', !against
      ? 'This version compared with the current text'
      : older ? `Changes from ${other} to this version` : `Changes from this version to ${other}`)
  }

  function showTab (name) {
    for (const [key, tab] of Object.entries(tabs)) tab.setAttribute('aria-selected', String(key === name))
    $('changes-view').hidden = name !== 'changes'
    h.showFull(name === 'full')
    if (name === 'full') h.loadFull()
  }

  function renderPreviewHead () {
    const version = state.selected
    if (!version) return
    $('preview-title').textContent = h.titleOf(version)
    const kind = $('preview-kind')
    kind.textContent = KIND_LABELS[version.kind] || version.kind
    kind.className = `version-kind kind-${version.kind}`
    const time = $('preview-time')
    time.textContent = shortTime(version.created_at)
    time.dateTime = version.created_at
    time.title = fullTime(version.created_at)
    $('preview-people').replaceChildren(...peopleNodes(version, el))
    $('preview-people').hidden = !peopleLine(version)
  }

  compare.addEventListener('change', () => {
    state.against = compare.value ? Number(compare.value) : null
    renderCompare()
    h.loadDiff()
  })
  tabs.changes.addEventListener('click', () => showTab('changes'))
  tabs.full.addEventListener('click', () => showTab('full'))
  $('preview-back').addEventListener('click', showList)
  return { select, showList, renderPreviewHead, renderCompare, previewShown: () => !preview.hidden }
}
