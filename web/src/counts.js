// Word and character counts, for the document and for the selection when there is one, in the
// status bar under the text (doc-tools.js): always in sight as in a word processor's status
// bar, and never in the way (a dialog like Google Docs' Ctrl+Shift+C has to be opened again
// after each change). Not a live region: it would speak at every keystroke.

const segmenter = typeof Intl !== 'undefined' && Intl.Segmenter ? new Intl.Segmenter(undefined, { granularity: 'word' }) : null

/** Words in `text`: what Intl.Segmenter calls word-like (so Chinese or Japanese count too). */
export function countWords (text) {
  if (!text) return 0
  if (!segmenter) return (text.match(/[\p{L}\p{N}]+(?:['’_-][\p{L}\p{N}]+)*/gu) || []).length
  let words = 0
  for (const part of segmenter.segment(text)) if (part.isWordLike) words += 1
  return words
}

/** Characters in `text`, spaces included, line breaks not (code points, so an emoji is one). */
export function countCharacters (text) {
  let chars = 0
  for (const ch of text) if (ch !== '\n') chars += 1
  return chars
}

const plural = (n, one, many) => `${n.toLocaleString()} ${n === 1 ? one : many}`

/** "120 words · 640 characters", or "3 of 120 words · 15 of 640 characters" for a selection. */
export function countsLabel (text, selected) {
  const words = countWords(text)
  const chars = countCharacters(text)
  if (!selected) return `${plural(words, 'word', 'words')} · ${plural(chars, 'character', 'characters')}`
  return `${countWords(selected).toLocaleString()} of ${plural(words, 'word', 'words')} · ${countCharacters(selected).toLocaleString()} of ${plural(chars, 'character', 'characters')}`
}
