// Suggesting mode, the part both editors share (text-suggest.js for CodeMirror, rich-suggest.js
// for Tiptap): the REST calls of suggestions, what a keystroke means while suggesting
// (interpret), and the drafts: this page's own suggestions while their author is still typing,
// each sent as it grows (POST once, then PATCH with the latest text or passage; DELETE when it
// is taken back to nothing), one request at a time per draft. Editors keep the drafts'
// positions; here they are abstract {from, to} numbers in the editor's own coordinates.
import { colorFor } from './identity.js'
import { problemDetail } from './session.js'

/** The REST calls of suggestions (the contract: plan/suggestions-contract.md). */
export function suggestionsApi (room, authHeaders) {
  const base = `/api/rooms/${encodeURIComponent(room)}/suggestions`
  async function call (path, { method = 'GET', body } = {}) {
    const res = await fetch(base + path, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}), ...authHeaders() },
      body: body ? JSON.stringify(body) : undefined
    })
    if (!res.ok) {
      const error = new Error(await problemDetail(res))
      error.status = res.status
      throw error
    }
    return res.status === 204 ? null : res.json()
  }
  return {
    create: (body) => call('', { method: 'POST', body }),
    patch: (id, body) => call(`/${id}`, { method: 'PATCH', body }),
    withdraw: (id) => call(`/${id}`, { method: 'DELETE' }),
    accept: (id) => call(`/${id}/accept`, { method: 'POST' }),
    reject: (id) => call(`/${id}/reject`, { method: 'POST' }),
    acceptAll: (author) => call('/accept-all', { method: 'POST', body: { author } }),
    rejectAll: (author) => call('/reject-all', { method: 'POST', body: { author } })
  }
}

/** `text` without its last character (a whole code point, never half of one). */
export function dropLast (text) {
  return Array.from(text).slice(0, -1).join('')
}

/** The point where typing grows a suggestion: the end of an insert, the end of a replaced passage. */
const growsAt = (item) => (item.kind === 'insert' ? item.from : item.to)

/** Whether typing at its growing point adds to this item's text (a format has no text). */
const grows = (item) => item.kind === 'insert' || item.kind === 'replace'

/**
 * What an edit made while suggesting means. `edit`: {from, to, text, direction} (the passage the
 * editor would have replaced, what it would have put there, and 'backward' for Backspace,
 * 'forward' for Delete); `items`: the suggestions shown now, {key, kind, from, to, text, mine};
 * `caret`: where the caret was (an empty selection) or null.
 * Returns one of
 *   {type: 'grow', item, text, caret}       the item's text becomes `text`
 *   {type: 'move', item, from, to, caret}   the item's passage becomes from..to (a deletion grows)
 *   {type: 'new', kind, from, to, text, caret}
 *   {type: 'none', caret}
 * `caret` is where the caret goes (the document does not change).
 */
export function interpret (edit, items, caret) {
  const mine = items.filter((item) => item.mine && !item.gone)
  const { from, to, text, direction } = edit
  if (text && from === to) {
    const item = mine.find((i) => grows(i) && growsAt(i) === from)
    if (item) return { type: 'grow', item, text: item.text + text, caret: from }
    return { type: 'new', kind: 'insert', from, to: from, text, caret: from }
  }
  if (text) return { type: 'new', kind: 'replace', from, to, text, caret: to }
  if (to <= from) return { type: 'none', caret }
  // Backspace at the end of one's own pending text takes back its last character.
  if (direction === 'backward' && caret === to) {
    const item = mine.find((i) => grows(i) && i.text && growsAt(i) === to)
    if (item) return { type: 'grow', item, text: dropLast(item.text), caret: to }
  }
  if (direction === 'backward') {
    const item = mine.find((i) => i.kind === 'delete' && i.from === to)
    if (item) return { type: 'move', item, from, to: item.to, caret: from }
  }
  if (direction === 'forward') {
    const item = mine.find((i) => i.kind === 'delete' && i.to === from)
    if (item) return { type: 'move', item, from: item.from, to, caret: to }
  }
  return { type: 'new', kind: 'delete', from, to, text: '', caret: direction === 'forward' ? to : from }
}

/**
 * The drafts of this page: `where(draft)` gives a draft's place for the server now ({at} or
 * {anchor}, from the editor's positions), null when it has none; `onError(message)` says why a
 * draft could not be sent; `onSent()` is called after each answer.
 */
export function draftSender (api, { where, onError = () => {}, onSent = () => {} }) {
  let next = 1
  const drafts = new Map()

  async function sync (draft) {
    if (draft.busy) return
    draft.busy = true
    try {
      // The editor shows the draft first (it dispatches after creating it), then it is sent.
      await Promise.resolve()
      while (true) {
        if (draft.gone) {
          if (draft.id) await api.withdraw(draft.id)
          drafts.delete(draft.key)
          break
        }
        if (draft.recreate) {
          // A replacement whose new text was erased is a deletion: the server keeps a
          // suggestion's kind, so the replacement goes and a deletion of its passage comes.
          draft.recreate = false
          if (draft.id) await api.withdraw(draft.id)
          draft.id = null
          continue
        }
        if (!draft.id) {
          const place = where(draft)
          if (!place) throw new Error('this place in the text cannot hold a suggestion')
          // What was sent: the draft may grow while the request is under way.
          const text = draft.text
          const thread = await api.create({ kind: draft.kind, text, ...draft.extra, ...place })
          draft.id = thread.id
          draft.sent = { text, place: JSON.stringify(place) }
          continue
        }
        const body = {}
        if (draft.text !== draft.sent.text) body.text = draft.text
        const place = draft.kind !== 'insert' ? where(draft) : null
        const placeKey = place ? JSON.stringify(place) : draft.sent.place
        if (place && placeKey !== draft.sent.place) Object.assign(body, place)
        if (!Object.keys(body).length) break
        const sent = { text: draft.text, place: placeKey }
        await api.patch(draft.id, body)
        draft.sent = sent
      }
    } catch (err) {
      onError(err.message)
      drafts.delete(draft.key)
      draft.failed = true
    } finally {
      draft.busy = false
      onSent(draft)
    }
  }

  return {
    /** A new draft (sent at once); its `key` names it in the editor. `extra`: more of its
     *  body (a format's `marks`). */
    create (kind, text, extra = {}) {
      const draft = { key: `draft:${next++}`, id: null, kind, text, extra, gone: false, busy: false, sent: null }
      drafts.set(draft.key, draft)
      sync(draft)
      return draft
    },
    /** A draft for one's own suggestion already on the server (typing on at its end). */
    adopt (id, kind, text) {
      const found = [...drafts.values()].find((d) => d.id === id)
      if (found) return found
      const draft = { key: `draft:${next++}`, id, kind, text, gone: false, busy: false, sent: { text, place: null } }
      drafts.set(draft.key, draft)
      return draft
    },
    /** The draft's text or place changed: send the change (after any request under way). */
    changed (draft) {
      if (!draft.text && draft.kind === 'insert') draft.gone = true
      if (!draft.text && draft.kind === 'replace') {
        draft.kind = 'delete'
        draft.recreate = true
      }
      sync(draft)
    },
    get: (key) => drafts.get(key),
    /** Whether the draft has nothing left to send. */
    settled: (draft) => !draft.busy && (draft.gone || (draft.id && draft.sent && draft.sent.text === draft.text)),
    all: () => [...drafts.values()],
    forget: (key) => drafts.delete(key)
  }
}

/** The colour of a suggestion's author: theirs in the room's awareness when they are here, else
 * one from their id or name (identity.js). */
export function authorColour (author, awareness, colorFor) {
  if (awareness) {
    for (const state of awareness.getStates().values()) {
      const user = state && state.user
      if (user && user.color && user.name === author.name) return user.color
    }
  }
  return colorFor(author.person_id || author.name || '?')
}

/** The marks a format suggestion adds or removes, in words: "bold, not italic". */
export function marksWords (marks) {
  const names = { bold: 'bold', italic: 'italic', strike: 'strikethrough', underline: 'underline', code: 'code' }
  return Object.entries(marks || {}).map(([mark, add]) => `${add ? '' : 'not '}${names[mark] || mark}`).join(', ')
}

/**
 * What a suggestion proposes, in words: "insert “x”", "delete “y”", "replace “y” with “x”",
 * "format “y”: bold".
 */
export function describe (kind, text, quote, marks) {
  // A line break in the text shows as a pilcrow (a paragraph break in rich text).
  const q = (s) => `“${(s.length > 60 ? `${s.slice(0, 60)}…` : s).replace(/\n/g, '¶')}”`
  if (kind === 'insert') return `insert ${q(text)}`
  if (kind === 'delete') return `delete ${q(quote)}`
  if (kind === 'format') return `format ${q(quote)}: ${marksWords(marks)}`
  return `replace ${q(quote)} with ${q(text)}`
}

/** What text-suggest.js and rich-suggest.js are driven by: the mode, who this is, the drafts' sender. */
export function suggestControl ({ readOnly, room, authHeaders, awareness, hub }) {
  const ctl = {
    mode: readOnly ? 'viewing' : 'editing',
    canWrite: !readOnly,
    me: () => awareness.getLocalState()?.user || { name: 'You', color: '#888' },
    colourOf: (author) => author?.yours ? ctl.me().color : authorColour(author || {}, awareness, colorFor),
    onOpen: (id) => hub.open?.(id),
    say: (message) => hub.error?.(message)
  }
  ctl.sender = draftSender(suggestionsApi(room, authHeaders), {
    where: (draft) => ctl.where?.(draft),
    onSent: (draft) => ctl.sent?.(draft),
    onError: (message) => hub.error?.(`The suggestion was not saved: ${message}`)
  })
  return ctl
}
