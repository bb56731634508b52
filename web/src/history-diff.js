// A version's changes made readable: whole-word edits, long unchanged runs cut to their edges.

/** Unchanged runs longer than this are shortened to CONTEXT characters on each side. */
const LONG_EQUAL = 600
const CONTEXT = 160

const WORD_END = /[\p{L}\p{N}_]+$/u
const WORD_START = /^[\p{L}\p{N}_]+/u
const STARTS_WORD = /^[\p{L}\p{N}_]/u
const ENDS_WORD = /[\p{L}\p{N}_]$/u

/**
 * Make a character diff readable: edits separated only by part of a word (or one space)
 * become one edit, and edits grow to whole words ("S[till h]ip" becomes "[Ship]→[Still]").
 * Returns [{op, text}] where each change is one delete then one insert; the texts still spell
 * the old text (equal + delete) and the new text (equal + insert).
 */
export function wordDiff (ops) {
  const out = []
  let region = null
  const flush = () => {
    if (!region) return
    if (region.del) out.push({ op: 'delete', text: region.del })
    if (region.ins) out.push({ op: 'insert', text: region.ins })
    region = null
  }
  ops.forEach((op, i) => {
    if (!op.text) return
    if (op.op !== 'equal') {
      region = region || { del: '', ins: '' }
      if (op.op === 'delete') region.del += op.text
      else region.ins += op.text
      return
    }
    const between = region && i < ops.length - 1
    if (between && (op.text === ' ' || (op.text.length <= 12 && !/\s/.test(op.text)))) {
      region.del += op.text
      region.ins += op.text
      return
    }
    flush()
    out.push({ op: 'equal', text: op.text })
  })
  flush()
  // Grow every change to word boundaries, borrowing from the unchanged text around it.
  for (let i = 0; i < out.length; i++) {
    if (out[i].op === 'equal') continue
    let end = i
    while (end + 1 < out.length && out[end + 1].op !== 'equal') end++
    const del = out[i].op === 'delete' ? out[i] : null
    const ins = out[end].op === 'insert' ? out[end] : null
    const texts = [del && del.text, ins && ins.text].filter(Boolean)
    const before = out[i - 1]
    const head = before && ENDS_WORD.test(before.text) && texts.some((t) => STARTS_WORD.test(t))
      ? before.text.match(WORD_END)[0] : ''
    const after = out[end + 1]
    const tail = after && STARTS_WORD.test(after.text) && texts.some((t) => ENDS_WORD.test(t))
      ? after.text.match(WORD_START)[0] : ''
    if (!head && !tail) {
      i = end
      continue
    }
    const oldText = head + (del ? del.text : '') + tail
    const newText = head + (ins ? ins.text : '') + tail
    const change = []
    if (oldText) change.push({ op: 'delete', text: oldText })
    if (newText) change.push({ op: 'insert', text: newText })
    if (head) before.text = before.text.slice(0, -head.length)
    if (tail) after.text = after.text.slice(tail.length)
    out.splice(i, end - i + 1, ...change)
    i += change.length - 1
  }
  return out.filter((op) => op.text)
}

/**
 * Turn diff ops into preview pieces; long unchanged runs are cut to their edges.
 * Returns [{op: 'equal'|'insert'|'delete'|'skip', text}] (skip: text is the number of characters left out).
 */
export function previewPieces (ops) {
  const pieces = []
  ops.forEach((op, i) => {
    if (op.op !== 'equal' || op.text.length <= LONG_EQUAL) {
      pieces.push({ op: op.op, text: op.text })
      return
    }
    const first = i === 0
    const last = i === ops.length - 1
    if (first && last) {
      pieces.push({ op: 'equal', text: op.text })
      return
    }
    const head = first ? '' : op.text.slice(0, CONTEXT)
    const tail = last ? '' : op.text.slice(-CONTEXT)
    if (head) pieces.push({ op: 'equal', text: head })
    pieces.push({ op: 'skip', text: String(op.text.length - head.length - tail.length) })
    if (tail) pieces.push({ op: 'equal', text: tail })
  })
  return pieces
}
