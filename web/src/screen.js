// What the page shows: `loading` (nothing to read yet), `editor` (the document, live or from
// this browser's copy) or `blocked` (a final state from states.js, drawn in place of the editor
// with its ways forward). body[data-view] carries it; editor.css hides what does not belong.
import { ACTIONS, finalState, reasonLine } from './states.js'
import { signInUrl } from './session.js'

// How long the page waits for the first sync before it shows the browser's copy anyway
// (server down or unreachable: the person can still write, the line under the header says so).
const LOADING_AT_MOST = 4000

function actionButton (action, { primary, onDiscard }) {
  const className = primary ? 'primary-button' : 'secondary-button'
  if (action === 'home' || action === 'signin') {
    const link = document.createElement('a')
    const href = action === 'home' ? '/' : signInUrl(location.pathname)
    Object.assign(link, { className, href, textContent: ACTIONS[action] })
    return link
  }
  const button = document.createElement('button')
  Object.assign(button, { type: 'button', className, textContent: ACTIONS[action] })
  button.dataset.action = action
  button.addEventListener('click', action === 'discard' ? onDiscard : () => location.reload())
  return button
}

/** Draw the final state `final` ({code, reason}) into `screen`. */
export function showFinal (screen, final, { unsaved, onDiscard }) {
  const state = finalState(final.code, final.reason, final)
  screen.dataset.state = state.id
  screen.dataset.code = String(final.code)
  screen.querySelector('.state-title').textContent = state.title
  screen.querySelector('.state-text').textContent = state.text
  const note = screen.querySelector('.state-unsaved')
  note.hidden = !unsaved || state.id === 'read-only-refused'
  screen.querySelector('.state-reason').textContent = reasonLine(final.code, final.reason)
  const actions = state.actions.map((action, i) => actionButton(action, { primary: i === 0, onDiscard }))
  screen.querySelector('.state-actions').replaceChildren(...actions)
  // The tab says it too (a tab in the background, a screen reader's window list).
  document.title = `${state.title} · collab`
  return state
}

/**
 * Drive body[data-view]. `onEditor()` runs once, when the document is first shown (the name
 * prompt and the focus wait for it). Returns {update()}, to call on every status change.
 */
export function bindView ({ provider, reconnect, ydoc, screen, isUnsaved, onDiscard, onEditor }) {
  const body = document.body
  let shownEditor = false
  const show = (view) => {
    if (body.dataset.view === view) return
    body.dataset.view = view
    if (view === 'editor' && !shownEditor) {
      shownEditor = true
      onEditor()
    }
    if (view === 'blocked') screen.querySelector('.state-title').focus()
  }
  const update = () => {
    const final = reconnect.state.final
    if (final) {
      showFinal(screen, final, { unsaved: isUnsaved(), onDiscard })
      show('blocked')
    } else if (provider.synced || shownEditor || ydoc.store.clients.size > 0) {
      show('editor')
    } else {
      show('loading')
    }
  }
  setTimeout(() => { if (!reconnect.state.final) { shownEditor || show('editor'); update() } }, LOADING_AT_MOST)
  provider.on('sync', update)
  update()
  return { update }
}
