// How suggestions look in the text, in both editors (text-suggest.js, rich-suggest.js): an
// insertion is an underlined <ins> in its author's colour, a deletion struck through; each says
// who suggested it in its title (on hover) and, for screen readers, in words inside the text.

import { marksWords } from './suggest-draft.js'

/** The words a screen reader reads before a suggestion's text. */
export function spokenLabel (item) {
  const who = item.author?.name || 'Someone'
  if (item.kind === 'insert') return `${who} suggests inserting: `
  if (item.kind === 'delete') return `${who} suggests deleting: `
  if (item.kind === 'format') return `${who} suggests formatting (${marksWords(item.marks)}): `
  return `${who} suggests replacing: `
}

/** The title shown on hover. */
export function hoverTitle (item) {
  const who = item.author?.name || 'Someone'
  const pending = item.pending ? ' (not saved yet)' : ''
  if (item.kind === 'insert') return `Suggested by ${who}: insert${pending}`
  if (item.kind === 'delete') return `Suggested by ${who}: delete${pending}`
  if (item.kind === 'format') return `Suggested by ${who}: ${marksWords(item.marks)}${pending}`
  return `Suggested by ${who}: replace${pending}`
}

function hidden (text) {
  const span = document.createElement('span')
  span.className = 'visually-hidden'
  span.textContent = text
  return span
}

/**
 * The suggested text with each newline shown as a pilcrow and a break, and named for screen
 * readers (`breakName`: "new paragraph" in rich text, "line break" in plain text).
 */
function withBreaks (text, breakName) {
  const parts = []
  text.split('\n').forEach((line, n) => {
    if (n > 0) {
      const mark = document.createElement('span')
      mark.className = 'suggest-break'
      mark.setAttribute('aria-hidden', 'true')
      mark.textContent = '¶'
      parts.push(mark, hidden(` (${breakName}) `), document.createElement('br'))
    }
    if (line) parts.push(line)
  })
  return parts
}

/** The inserted text of a suggestion (insert, or replace after its passage), as an element. */
export function insertedElement (item, breakName = 'line break') {
  const ins = document.createElement('ins')
  ins.className = 'suggest-ins'
  if (item.pending) ins.classList.add('is-pending')
  if (item.id) ins.dataset.suggestion = item.id
  ins.dataset.suggestionKey = item.key
  ins.title = hoverTitle(item)
  ins.style.setProperty('--suggest-colour', item.colour)
  // A replacement's label stands before its struck passage; its new text says "with".
  ins.append(hidden(item.kind === 'insert' ? spokenLabel(item) : ' with: '), ...withBreaks(item.text, breakName), hidden(' (end of suggestion) '))
  return ins
}

/** The screen readers' words before a suggested deletion or replacement. */
export function deletionLabel (item) {
  const span = hidden(spokenLabel(item))
  span.classList.add('suggest-label')
  return span
}

/** The end of a suggested deletion, for screen readers. */
export function deletionEnd () {
  const span = hidden(' (end of suggestion) ')
  span.classList.add('suggest-label')
  return span
}

/** The attributes of a suggested deletion's (or replaced passage's) text. */
export function deletionAttributes (item) {
  return {
    class: `suggest-del${item.pending ? ' is-pending' : ''}`,
    title: hoverTitle(item),
    style: `--suggest-colour: ${item.colour}`,
    ...(item.id ? { 'data-suggestion': item.id } : {}),
    'data-suggestion-key': item.key
  }
}

/**
 * The attributes of a passage a format suggestion would change: outlined in its author's
 * colour and drawn as the marks would make it (bold, not italic, ...), so the change shows
 * before anyone accepts it.
 */
export function formatAttributes (item) {
  const looks = Object.entries(item.marks || {}).map(([mark, add]) => `suggest-${add ? '' : 'no-'}${mark}`)
  return {
    class: ['suggest-format', ...looks, ...(item.pending ? ['is-pending'] : [])].join(' '),
    title: hoverTitle(item),
    style: `--suggest-colour: ${item.colour}`,
    ...(item.id ? { 'data-suggestion': item.id } : {}),
    'data-suggestion-key': item.key
  }
}
