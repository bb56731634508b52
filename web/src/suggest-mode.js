// The switch between Editing and Suggesting (Viewing and Suggesting for commenters, who may only
// suggest): two toggle buttons (aria-pressed) in the editor's toolbar, each a Tab stop;
// Ctrl+Alt+Shift+Z and Ctrl+Alt+Shift+X choose them too, as in Google Docs.

const PEN = '<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true"><path d="M4 20h4L19 9l-4-4L4 16zM14 6l4 4" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/></svg>'
const SUGGEST = '<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true"><path d="M4 20h4L19 9l-4-4L4 16zM13 20h7" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"/></svg>'
const EYE = '<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true"><path d="M2 12s4-7 10-7 10 7 10 7-4 7-10 7S2 12 2 12z" fill="none" stroke="currentColor" stroke-width="2"/><circle cx="12" cy="12" r="3" fill="none" stroke="currentColor" stroke-width="2"/></svg>'

/**
 * The switch: `canWrite` says whether the first choice is Editing (editors) or Viewing
 * (commenters); `onChange(mode)` ('editing'|'viewing'|'suggesting') on each choice.
 * Returns {element, set(mode)}.
 */
export function modeSwitch ({ canWrite, initial, onChange }) {
  const group = document.createElement('div')
  group.className = 'mode-switch tool-group'
  group.setAttribute('role', 'group')
  group.setAttribute('aria-label', 'Mode')
  const modes = canWrite
    ? [['editing', 'Editing', 'Edit the document directly', PEN, 'Z'], ['suggesting', 'Suggesting', 'Edits become suggestions', SUGGEST, 'X']]
    : [['viewing', 'Viewing', 'Read and comment', EYE, 'Z'], ['suggesting', 'Suggesting', 'Edits become suggestions', SUGGEST, 'X']]
  const buttons = modes.map(([mode, label, hint, icon, key]) => {
    const el = document.createElement('button')
    el.type = 'button'
    el.className = 'mode-button'
    el.dataset.mode = mode
    el.title = `${hint} (Ctrl+Alt+Shift+${key})`
    el.setAttribute('aria-keyshortcuts', `Control+Alt+Shift+${key}`)
    el.innerHTML = icon // our own constant markup
    const text = document.createElement('span')
    text.className = 'mode-label' // on a phone, only the pressed mode shows its word
    text.textContent = label
    el.append(text)
    el.addEventListener('mousedown', (event) => event.preventDefault()) // keep the selection
    el.addEventListener('click', () => choose(mode))
    group.append(el)
    return el
  })
  let current = null
  function set (mode) {
    current = mode
    for (const el of buttons) el.setAttribute('aria-pressed', String(el.dataset.mode === mode))
    document.body.dataset.mode = mode
  }
  function choose (mode) {
    if (mode === current) return
    set(mode)
    onChange(mode)
  }
  document.addEventListener('keydown', (event) => {
    if (!event.ctrlKey || !event.altKey || !event.shiftKey) return
    const hit = modes.find((m) => event.code === `Key${m[4]}`)
    if (!hit) return
    event.preventDefault()
    choose(hit[0])
  })
  set(initial)
  return { element: group, set, choose }
}

/** A bar of its own for the switch (the plain-text editor, and commenters, have no toolbar). */
export function modeBar (toggle) {
  const bar = document.createElement('div')
  bar.className = 'toolbar-wrap mode-bar'
  const tools = document.createElement('div')
  tools.className = 'mode-tools'
  tools.setAttribute('role', 'toolbar')
  tools.setAttribute('aria-label', 'Mode')
  tools.append(toggle.element)
  bar.append(tools)
  return bar
}
