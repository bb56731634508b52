// The Comments panel of a document, plain or rich text (issue 23): the threads on passages of the
// text, open ones in document order (resolved ones on request), each with its quoted passage and
// its comments; starting a thread on the selection (the Comment button, or Mod-Alt-M), replying,
// editing and deleting one's own comments (admins any), resolving and reopening. The highlights
// in the text are comment-marks.js (CodeMirror) or rich-comment-marks.js (Tiptap), both behind
// `surface.comments`. Threads are fetched again on every comment EVENT, on each
// (re)connect and once edits (this page's saved, or others') stop for a moment. Comment bodies
// and names only ever reach the page as text (textContent), never as markup. Mentions ("@Name"
// in the text, `<@ID>` stored) are mentions.js.
import { commentKeyLabel } from './comment-key.js'
import { bindMentions, showBody } from './mentions.js'
import { problemDetail } from './session.js'
import { describe, suggestionsApi } from './suggest-draft.js'
import { suggestionBox, bulkActions } from './suggest-panel.js'

// After this page's own edits are saved, wait this long for more before asking for the ranges.
const SETTLE = 600

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

const when = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })

/** The REST calls (collab/api/comments.py). Each resolves to the answer's JSON or throws. */
function threadsApi (room, authHeaders) {
  const base = `/api/rooms/${encodeURIComponent(room)}/threads`
  async function call (path, { method = 'GET', body } = {}) {
    const res = await fetch(base + path, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}), ...authHeaders() },
      body: body ? JSON.stringify(body) : undefined
    })
    if (!res.ok) throw new Error(await problemDetail(res))
    return res.json()
  }
  return {
    list: (status) => call(`?status=${status}`),
    // A selection with an anchor (rich text: Yjs relative positions) is sent as such; plain
    // text sends the passage's code point index and length.
    create: (sel, body) => call('', {
      method: 'POST',
      body: sel.anchor ? { anchor: sel.anchor, body } : { passage: { index: sel.index, length: sel.length }, body }
    }),
    reply: (thread, body) => call(`/${thread}/comments`, { method: 'POST', body: { body } }),
    edit: (thread, comment, body) => call(`/${thread}/comments/${comment}`, { method: 'PATCH', body: { body } }),
    remove: (thread, comment) => call(`/${thread}/comments/${comment}`, { method: 'DELETE' }),
    resolve: (thread, resolved) => call(`/${thread}/${resolved ? 'resolve' : 'reopen'}`, { method: 'POST' })
  }
}

/**
 * Wire the Comments panel to the text surface's highlights (`surface.comments`).
 * @param {object} options
 * @param {string} options.room
 * @param {object} options.surface the editor surface (text.js or rich.js)
 * @param {{comment: boolean}} options.can whether this person may comment
 * @param {boolean} options.admin whether they may change anyone's comments
 * @param {() => object} options.authHeaders
 * @param {() => void} [options.onOpen] called when the panel opens (to close the History panel)
 * Returns {open, close, refresh, onEvent, onSaved, threads}.
 */
export function bindComments ({ room, surface, can, admin, authHeaders, onOpen = () => {} }) {
  const $ = (id) => document.getElementById(id)
  const marks = surface.comments
  const api = threadsApi(room, authHeaders)
  const suggestions = suggestionsApi(room, authHeaders)
  const suggest = surface.suggest || null
  const mentions = bindMentions({ room, authHeaders })
  const panel = $('comments-panel')
  const toggle = $('comments-toggle')
  const list = $('thread-list')
  const empty = $('comments-empty')
  const message = $('comments-message')
  const showResolved = $('comments-show-resolved')
  const compose = $('comment-compose')
  const fab = $('comment-fab')
  const state = { threads: [], active: null, replying: null, editing: null, drafts: new Map(), pending: null, loading: null, again: false }
  let settleTimer = null

  const say = (text, tone = 'info') => {
    message.textContent = text
    message.dataset.tone = tone
    message.hidden = !text
  }

  // ---------- Opening and closing ----------
  function open () {
    if (!panel.hidden) return
    onOpen()
    panel.hidden = false
    toggle.setAttribute('aria-expanded', 'true')
    document.body.classList.add('comments-open')
    refresh()
  }
  function close () {
    if (panel.hidden) return
    panel.hidden = true
    toggle.setAttribute('aria-expanded', 'false')
    document.body.classList.remove('comments-open')
    choose(null)
  }
  const shortcut = commentKeyLabel()
  toggle.hidden = false
  toggle.addEventListener('click', () => (panel.hidden ? open() : (close(), toggle.focus())))
  $('comments-close').addEventListener('click', () => { close(); toggle.focus() })
  panel.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return
    if (!compose.hidden) hideCompose()
    else { close(); toggle.focus() }
  })
  showResolved.addEventListener('change', () => refresh())

  // ---------- Loading ----------
  /** Fetch the threads again (one request at a time; a call during one asks for one more). */
  async function refresh () {
    if (state.loading) {
      state.again = true
      return state.loading
    }
    state.loading = (async () => {
      do {
        state.again = false
        try {
          // All of them: the empty note says how many resolved ones are hidden.
          const page = await api.list('all')
          // A suggestion accepted or rejected is settled like a resolved thread.
          state.threads = page.items.map((t) => (t.suggestion && t.suggestion.status !== 'open' ? { ...t, resolved: true } : t))
          say('')
        } catch (err) {
          say(`The comments could not be loaded: ${err.message}`, 'error')
        }
      } while (state.again)
      // Suggestions are marked by the editor's suggesting part, not as comment highlights.
      marks.set(state.threads.filter((t) => !t.suggestion))
      suggest?.set(state.threads)
      render()
    })()
    try { await state.loading } finally { state.loading = null }
  }

  // ---------- Starting a thread ----------
  function startCompose () {
    const sel = marks.selection()
    // The shortcut with the caret in a highlight (and nothing selected) opens its thread.
    const at = !sel.length && marks.threadAtCaret()
    if (at) {
      open()
      choose(at, { select: false })
      return
    }
    if (!can.comment) return
    if (!sel.length || !sel.text.trim()) {
      say('Select the text to comment on first.', 'info')
      open()
      return
    }
    state.pending = sel
    open()
    compose.hidden = false
    $('compose-quote').textContent = sel.text
    const body = $('compose-body')
    body.value = state.drafts.get('new') || ''
    body.focus()
    fab.hidden = true
  }
  function hideCompose () {
    compose.hidden = true
    state.pending = null
    state.drafts.delete('new')
    mentions.forget('new')
  }
  compose.addEventListener('submit', async (event) => {
    event.preventDefault()
    const body = $('compose-body')
    const text = body.value
    const pending = state.pending
    if (!text.trim() || !pending) return
    const post = compose.querySelector('button[type="submit"]')
    post.disabled = true
    // A new passage chosen while this one posts gets its own, empty box: this post then leaves
    // that box alone.
    state.drafts.delete('new')
    const replaced = () => state.pending !== pending
    try {
      const thread = await api.create(pending, mentions.body('new', text))
      if (!replaced()) {
        hideCompose()
        body.value = ''
        state.active = thread.id
      }
      await refresh()
      // The new thread takes the focus the posted box had, unless the person went on meanwhile
      // (selected more text to comment on, say): the list's answer can come after that.
      const focused = document.activeElement
      const wentOn = focused && focused !== document.body && !panel.contains(focused)
      if (state.active === thread.id && !wentOn) focusThread(thread.id)
    } catch (err) {
      if (!replaced()) state.drafts.set('new', text)
      say(`The comment was not posted: ${err.message}`, 'error')
    } finally {
      post.disabled = false
    }
  })
  mentions.attach($('compose-body'), 'new')
  $('compose-body').addEventListener('input', (event) => state.drafts.set('new', event.target.value))
  $('compose-cancel').addEventListener('click', () => { hideCompose(); surface.focus() })

  // The Comment button next to a selection, and the shortcut in its title.
  fab.title = `Comment (${shortcut})`
  fab.setAttribute('aria-keyshortcuts', shortcut.includes('⌘') ? 'Meta+Alt+M' : 'Control+Alt+M')
  fab.addEventListener('mousedown', (event) => event.preventDefault()) // keep the selection
  fab.addEventListener('click', startCompose)
  marks.hub.compose = startCompose
  marks.hub.open = (id) => { open(); choose(id, { select: false }) }
  marks.hub.error = (text) => { open(); say(text, 'error') }
  marks.hub.selected = () => {
    const coords = can.comment && marks.hasSelection() ? marks.selectionCoords() : null
    if (!coords) {
      if (!fab.matches(':focus')) fab.hidden = true
      return
    }
    // Placed in the document's box (its positioned parent), just under the selection's end, or
    // just above it when under would be off the bottom of the window.
    const box = fab.parentElement.getBoundingClientRect()
    fab.hidden = false
    const left = Math.min(coords.left - box.left + 8, box.width - fab.offsetWidth - 8)
    fab.style.left = `${Math.max(8, left)}px`
    const below = coords.bottom + 6 + fab.offsetHeight <= window.innerHeight
    fab.style.top = `${below ? coords.bottom - box.top + 6 : coords.top - box.top - fab.offsetHeight - 6}px`
  }

  // ---------- Choosing a thread ----------
  /** Mark thread `id` as the one chosen: in the list, and its highlight (selected with `select`). */
  function choose (id, { select = true } = {}) {
    state.active = id
    marks.setActive(id)
    for (const item of list.querySelectorAll('.thread')) item.classList.toggle('is-active', item.dataset.threadId === id)
    if (!id) return
    const range = marks.rangeOf(id) || suggest?.rangeOf(id)
    if (select && range) marks.select(range)
    if (!select) focusThread(id)
  }
  function focusThread (id) {
    const item = list.querySelector(`[data-thread-id="${CSS.escape(id)}"]`)
    if (!item) return
    item.scrollIntoView({ block: 'nearest' })
    item.querySelector('.thread-quote').focus({ preventScroll: true })
  }

  // ---------- Rendering ----------
  function render () {
    const focused = document.activeElement
    const refocus = focused && panel.contains(focused) && focused.dataset.key
    const shown = state.threads.filter((t) => showResolved.checked || !t.resolved)
    const count = state.threads.filter((t) => !t.resolved).length
    $('comments-count-open').hidden = !count
    $('comments-count').textContent = count ? String(count) : ''
    $('comments-count').hidden = !count
    list.replaceChildren(...shown.map(renderThread))
    const bulk = $('suggest-bulk')
    if (bulk) bulk.replaceChildren(...(can.write ? bulkActions(state.threads, (verb, author) => act(() => (verb === 'accept' ? suggestions.acceptAll(author) : suggestions.rejectAll(author)))) : []))
    empty.hidden = shown.length > 0
    const resolved = state.threads.length - count
    if (resolved && !showResolved.checked) {
      empty.textContent = `No open comments (${resolved} resolved ${resolved === 1 ? 'thread' : 'threads'} hidden).`
    } else {
      empty.textContent = can.comment ? `No comments yet. Select text and choose Comment (${shortcut}).` : 'No comments yet.'
    }
    if (refocus) list.querySelector(`[data-key="${CSS.escape(refocus)}"]`)?.focus()
  }

  function renderThread (thread) {
    const item = el('li', 'thread')
    item.dataset.threadId = thread.id
    item.classList.toggle('is-resolved', thread.resolved)
    item.classList.toggle('is-suggestion', !!thread.suggestion)
    const colour = thread.suggestion && suggest?.colourOf(thread.created_by)
    if (colour) item.style.setProperty('--suggest-colour', colour)
    item.classList.toggle('is-detached', thread.detached)
    item.classList.toggle('is-active', thread.id === state.active)
    const quote = button('thread-quote')
    quote.dataset.key = `quote:${thread.id}`
    // A space after each flag (not drawn in the grid) keeps the words apart in the text that
    // assistive technology reads off the button, as in its accessible name.
    if (thread.detached) {
      quote.append(el('span', 'thread-flag', 'Passage deleted'), ' ')
      quote.disabled = false
    }
    if (thread.resolved) quote.append(el('span', 'thread-flag is-resolved', 'Resolved'), ' ')
    // The passage as it stands in this page's text (edits the server has not answered for yet).
    const here = !thread.resolved && !thread.suggestion && marks.rangeOf(thread.id)
    const now = here ? marks.textOf(here) : thread.range?.text
    const proposal = thread.suggestion && describe(thread.suggestion.kind, thread.suggestion.text || '', thread.quote || '', thread.suggestion.marks)
    const said = proposal ? proposal[0].toUpperCase() + proposal.slice(1) : thread.detached || now === undefined ? thread.quote : now
    const passage = el('span', 'thread-passage', said)
    passage.dir = 'auto'
    quote.append(passage)
    quote.setAttribute('aria-label', `${thread.detached ? 'Passage deleted' : 'Go to the passage'}: ${thread.resolved ? 'Resolved: ' : ''}${passage.textContent.slice(0, 80)}`)
    quote.addEventListener('click', () => choose(thread.id))
    item.append(quote)
    if (thread.suggestion) {
      item.append(suggestionBox(thread, {
        colour,
        canDecide: can.write,
        act: (verb) => act(() => (verb === 'accept' ? suggestions.accept(thread.id) : verb === 'reject' ? suggestions.reject(thread.id) : suggestions.withdraw(thread.id)))
      }))
    }
    const comments = el('ol', 'comment-list')
    for (const comment of thread.comments) comments.append(renderComment(thread, comment))
    item.append(comments)
    if (state.replying === thread.id) item.append(replyForm(thread))
    if (can.comment) {
      const actions = el('div', 'thread-actions')
      if (state.replying !== thread.id && !thread.resolved) {
        const reply = button('link-button thread-reply', 'Reply')
        reply.dataset.key = `reply:${thread.id}`
        reply.addEventListener('click', () => { state.replying = thread.id; state.editing = null; render(); item.ownerDocument.querySelector(`[data-key="reply-body:${CSS.escape(thread.id)}"]`)?.focus() })
        actions.append(reply)
      }
      // A suggestion is settled by accepting, rejecting or withdrawing it (suggest-panel.js).
      if (!thread.suggestion) {
        const resolve = button('link-button thread-resolve', thread.resolved ? 'Reopen' : 'Resolve')
        resolve.dataset.key = `resolve:${thread.id}`
        resolve.addEventListener('click', () => act(() => api.resolve(thread.id, !thread.resolved)))
        actions.append(resolve)
      }
      if (actions.childElementCount) item.append(actions)
    }
    return item
  }

  function renderComment (thread, comment) {
    const item = el('li', 'comment')
    item.dataset.commentId = comment.id
    const head = el('div', 'comment-head')
    const author = el('bdi', 'comment-author', comment.author.name)
    const time = el('time', 'comment-time', when(comment.created_at))
    time.dateTime = comment.created_at
    head.append(author, time)
    if (comment.edited_at) head.append(el('span', 'comment-edited', '(edited)'))
    item.append(head)
    if (state.editing === comment.id) {
      item.append(editForm(thread, comment))
      return item
    }
    const body = el('p', 'comment-body')
    showBody(body, comment.body, comment.mentions)
    body.dir = 'auto'
    item.append(body)
    if (can.comment && (comment.author.yours || admin)) {
      const actions = el('div', 'comment-actions')
      const edit = button('link-button comment-edit', 'Edit', `Edit ${comment.author.yours ? 'your' : 'this'} comment`)
      edit.dataset.key = `edit:${comment.id}`
      edit.addEventListener('click', () => { state.editing = comment.id; state.replying = null; render(); list.querySelector(`[data-key="edit-body:${CSS.escape(comment.id)}"]`)?.focus() })
      const first = thread.comments[0].id === comment.id
      const remove = button('link-button comment-delete', 'Delete', first ? 'Delete the comment and its thread' : 'Delete the comment')
      remove.dataset.key = `delete:${comment.id}`
      remove.addEventListener('click', () => {
        const ask = first ? 'Delete this comment and its whole thread?' : 'Delete this comment?'
        if (window.confirm(ask)) act(() => api.remove(thread.id, comment.id))
      })
      actions.append(edit, remove)
      item.append(actions)
    }
    return item
  }

  /** A small form: a labelled text area with its draft kept across renders, Save and Cancel. */
  function textForm (key, label, initial, submitText, onSubmit, onCancel) {
    const form = el('form', 'comment-form')
    const id = `f-${key.replace(/[^a-zA-Z0-9_-]/g, '-')}`
    const labelEl = el('label', 'visually-hidden', label)
    labelEl.htmlFor = id
    const area = el('textarea')
    area.id = id
    area.rows = 3
    area.required = true
    area.dataset.key = key
    area.value = state.drafts.has(key) ? state.drafts.get(key) : initial
    form.append(labelEl, area)
    mentions.attach(area, key) // first: its Enter and Escape, while its list is open, are its own
    area.addEventListener('input', () => state.drafts.set(key, area.value))
    area.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit()
      if (event.key === 'Escape') { event.stopPropagation(); onCancel() }
    })
    const row = el('div', 'comment-form-actions')
    const submit = el('button', 'primary-button', submitText)
    submit.type = 'submit'
    const cancel = button('secondary-button', 'Cancel')
    cancel.addEventListener('click', onCancel)
    row.append(submit, cancel)
    form.append(row)
    form.addEventListener('submit', async (event) => {
      event.preventDefault()
      if (!area.value.trim()) return
      submit.disabled = true
      const ok = await act(() => onSubmit(mentions.body(key, area.value)))
      submit.disabled = false
      if (ok) {
        state.drafts.delete(key)
        mentions.forget(key)
      }
    })
    return form
  }

  function replyForm (thread) {
    return textForm(`reply-body:${thread.id}`, 'Your reply', '', 'Reply', async (text) => {
      await api.reply(thread.id, text)
      state.replying = null
    }, () => { state.replying = null; state.drafts.delete(`reply-body:${thread.id}`); mentions.forget(`reply-body:${thread.id}`); render() })
  }

  function editForm (thread, comment) {
    const key = `edit-body:${comment.id}`
    return textForm(key, 'Edit the comment', mentions.editable(key, comment.body, comment.mentions), 'Save', async (text) => {
      await api.edit(thread.id, comment.id, text)
      state.editing = null
    }, () => { state.editing = null; state.drafts.delete(key); mentions.forget(key); render() })
  }

  /** Do a change, then show the threads as they are now; false (and a message) when refused. */
  async function act (change) {
    try {
      await change()
      await refresh()
      return true
    } catch (err) {
      say(`That did not work: ${err.message}`, 'error')
      return false
    }
  }

  // ---------- Staying current ----------
  /** A room event (events.js): any change to a thread, by anyone, on any process. */
  function onEvent (event) {
    if (event.type === 'comment' || String(event.type).startsWith('suggestion.')) refresh()
  }
  /** The page's save state (saved.js): once this page's edits are saved, ask for the ranges. */
  function onSaved (saveState) {
    if (saveState === 'saved') settle()
  }
  /** Anyone's edit reached this page: once edits stop for a moment, ask for the ranges. */
  function settle () {
    clearTimeout(settleTimer)
    if (state.threads.some((t) => !t.resolved)) settleTimer = setTimeout(refresh, SETTLE)
  }

  return { open, close, refresh, onEvent, onSaved, onEdit: settle, compose: startCompose, state }
}
