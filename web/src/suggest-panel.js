// Suggestions in the Comments panel (comments.js): what a suggestion thread proposes, who
// proposed it in their colour, its state, and Accept / Reject (for those who may edit) or
// Withdraw (its author); above the list, "Accept all from NAME" and "Reject all from NAME".

function el (tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

function button (className, text, label) {
  const node = el('button', className, text)
  node.type = 'button'
  if (label) node.setAttribute('aria-label', label)
  return node
}

const STATUS = { accepted: 'Accepted', rejected: 'Rejected' }

/**
 * The suggestion part of `thread`'s card: `colour` its author's, `canDecide` whether this person
 * may accept and reject, `act(verb)` ('accept'|'reject'|'withdraw') carries a choice out.
 */
export function suggestionBox (thread, { colour, canDecide, act }) {
  const s = thread.suggestion
  const box = el('div', 'suggestion-box')
  box.dataset.status = s.status
  if (colour) box.style.setProperty('--suggest-colour', colour)
  const who = el('p', 'suggestion-who')
  const swatch = el('span', 'suggestion-swatch')
  swatch.setAttribute('aria-hidden', 'true')
  const kind = { insert: 'an insertion', delete: 'a deletion', format: 'formatting' }[s.kind] || 'a replacement'
  who.append(swatch, el('bdi', 'suggestion-author', thread.created_by?.name || 'Someone'), ` suggests ${kind}`)
  box.append(who)
  if (s.status !== 'open') {
    const by = s.decided_by?.name
    box.append(el('p', 'suggestion-status', `${STATUS[s.status] || s.status}${by ? ` by ${by}` : ''}`))
    return box
  }
  const actions = el('div', 'suggestion-actions')
  const what = (thread.quote || s.text || '').slice(0, 40)
  if (canDecide) {
    const accept = button('primary-button suggestion-accept', 'Accept', `Accept the suggestion: ${what}`)
    accept.dataset.key = `accept:${thread.id}`
    accept.addEventListener('click', () => act('accept'))
    const reject = button('secondary-button suggestion-reject', 'Reject', `Reject the suggestion: ${what}`)
    reject.dataset.key = `reject:${thread.id}`
    reject.addEventListener('click', () => act('reject'))
    actions.append(accept, reject)
  }
  if (thread.created_by?.yours) {
    const withdraw = button('link-button suggestion-withdraw', 'Withdraw', `Withdraw your suggestion: ${what}`)
    withdraw.dataset.key = `withdraw:${thread.id}`
    withdraw.addEventListener('click', () => act('withdraw'))
    actions.append(withdraw)
  }
  if (actions.childElementCount) box.append(actions)
  return box
}

/**
 * "Accept all from NAME" and "Reject all from NAME" for each author of open suggestions in
 * `threads`; `onBulk(verb, author)` with 'accept'|'reject' and the author's person id or name.
 */
export function bulkActions (threads, onBulk) {
  const authors = new Map()
  for (const thread of threads) {
    if (!thread.suggestion || thread.suggestion.status !== 'open') continue
    const who = thread.created_by || { name: 'Someone' }
    // A person's own suggestions by their id; an agent's (acting for them) apart, by its name.
    const id = (!who.agent && who.person_id) || who.name
    const entry = authors.get(id) || { id, name: who.name, count: 0 }
    entry.count += 1
    authors.set(id, entry)
  }
  return [...authors.values()].map(({ id, name, count }) => {
    const row = el('div', 'suggest-bulk-row')
    const accept = button('link-button suggest-accept-all', `Accept all from ${name}`, `Accept all from ${name} (${count})`)
    accept.addEventListener('click', () => onBulk('accept', id))
    const reject = button('link-button suggest-reject-all', `Reject all from ${name}`, `Reject all from ${name} (${count})`)
    reject.addEventListener('click', () => onBulk('reject', id))
    row.append(accept, reject)
    return row
  })
}
