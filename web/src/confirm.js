// A question before something that cannot be taken back quietly: a native modal <dialog>
// (Cancel focused, Esc cancels) in the look of the delete dialog (documents.css).

function el (tag, attrs = {}, text) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value)
  if (text !== undefined) node.textContent = text
  return node
}

/**
 * Ask `title` (with `text` under it, then `body`, a node, if any); resolves true when the
 * person presses `yes`. `danger` colours that button red; `id` names the dialog (its button is
 * `${id}-yes`).
 */
export function confirmDialog ({ title, text, yes, no = 'Cancel', danger = false, id = 'confirm', body = null }) {
  const dialog = el('dialog', { class: 'confirm-dialog', id, 'aria-labelledby': `${id}-title`, 'aria-describedby': `${id}-text` })
  dialog.append(el('h2', { id: `${id}-title` }, title), el('p', { id: `${id}-text` }, text))
  if (body) dialog.append(body)
  const actions = el('div', { class: 'dialog-actions' })
  const cancel = el('button', { type: 'button', class: 'secondary-button' }, no)
  const confirm = el('button', { type: 'button', class: danger ? 'danger-button' : 'primary-button', id: `${id}-yes` }, yes)
  actions.append(cancel, confirm)
  dialog.append(actions)
  document.body.append(dialog)
  return new Promise((resolve) => {
    cancel.addEventListener('click', () => dialog.close('cancel'))
    confirm.addEventListener('click', () => dialog.close('yes'))
    dialog.addEventListener('close', () => { dialog.remove(); resolve(dialog.returnValue === 'yes') })
    dialog.showModal()
    cancel.focus()
  })
}
