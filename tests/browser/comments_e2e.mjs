// Browser end-to-end scenario for comments on a plain-text document (issue 23), run by
// tests/browser/test_comments.py; see common.mjs for how it is driven.
import { join } from 'node:path'
import { WAIT, baseUrl, captureLooks, check, log, openPage, outdir, run, waitSaved, waitStatus } from './common.mjs'
import { openShare, signedIn } from './people.mjs'

const TOKENS = JSON.parse(process.env.COLLAB_E2E_TOKENS || '{}')
const ROOM = 'comments-room'
const TEXT = 'The quick brown fox jumps over the lazy dog.'
const HOSTILE = '<img src=x onerror=alert(1)> \u202Eevil\u202C'

async function waitFor (read, predicate, what) {
  const deadline = Date.now() + WAIT
  let now
  while (Date.now() < deadline) {
    now = await read()
    if (predicate(now)) return now
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${what}: got ${JSON.stringify(now)}`)
}

async function open (browser, who) {
  const opened = await openPage(browser, `/d/${ROOM}#token=${TOKENS[who]}`)
  await waitStatus(opened.page, 'connected')
  await opened.page.waitForFunction(() => window.collab, null, { timeout: WAIT })
  return opened
}

const text = (page) => page.evaluate(() => window.collab.ytext.toString())

/** Focus the text and select the first `needle` in it. */
function select (page, needle) {
  return page.evaluate((n) => {
    const view = window.collab.view
    const at = view.state.doc.toString().indexOf(n)
    if (at < 0) throw new Error(`no ${n} in the text`)
    view.focus()
    view.dispatch({ selection: { anchor: at, head: at + n.length } })
  }, needle)
}

/** The highlighted text of each thread in a page's editor: {threadId: text}. */
function highlights (page) {
  return page.evaluate(() => {
    const out = {}
    for (const span of document.querySelectorAll('#editor .cm-comment')) {
      const id = span.dataset.thread
      // Nested marks (overlapping threads) would count twice: only the outermost of each.
      if (span.parentElement.closest(`.cm-comment[data-thread="${id}"]`)) continue
      // Only the text: other people's carets (widgets) inside the passage are not.
      const copy = span.cloneNode(true)
      for (const widget of copy.querySelectorAll('[contenteditable="false"], .cm-widgetBuffer')) widget.remove()
      out[id] = (out[id] || '') + copy.textContent
    }
    return out
  })
}

/** The threads listed in a page's Comments panel. */
function listed (page) {
  return page.evaluate(() => [...document.querySelectorAll('#thread-list .thread')].map((t) => ({
    id: t.dataset.threadId,
    quote: t.querySelector('.thread-passage').textContent,
    resolved: t.classList.contains('is-resolved'),
    detached: t.classList.contains('is-detached'),
    comments: [...t.querySelectorAll('.comment')].map((c) => ({
      author: c.querySelector('.comment-author').textContent,
      body: c.querySelector('.comment-body')?.textContent
    }))
  })))
}

async function openComments (page) {
  if (await page.isHidden('#comments-panel')) await page.click('#comments-toggle')
  await page.waitForSelector('#comments-panel', { state: 'visible', timeout: WAIT })
}

// ---------- Rich text (Tiptap) ----------
const RICH_ROOM = 'rich-comments-room'
const FOX = 'The quick brown fox jumps over the lazy dog.'
const NEXT = 'Second paragraph carries on from here.'
const DOOMED = 'This sentence will be removed entirely.'

/** Some three screens of paragraphs, the fox (its "fox" in bold) half-way down. */
function richDocument () {
  const filler = (n) => `<p>Note ${n}: the committee met again and went through the list of open points one by one, item by item.</p>`
  const parts = ['<h1>Field notes</h1>']
  for (let n = 1; n <= 16; n++) parts.push(filler(n))
  parts.push('<p>The quick brown <strong>fox</strong> jumps over the lazy dog.</p>', `<p>${NEXT}</p>`)
  for (let n = 17; n <= 22; n++) parts.push(filler(n))
  parts.push(`<p>${DOOMED}</p>`)
  for (let n = 23; n <= 30; n++) parts.push(filler(n))
  return parts.join('')
}

async function openRich (browser, who, query = '') {
  const opened = await openPage(browser, `/d/${RICH_ROOM}${query}#token=${TOKENS[who]}`)
  opened.errors = []
  opened.page.on('pageerror', (err) => opened.errors.push(err.message))
  await waitStatus(opened.page, 'connected')
  await opened.page.waitForFunction(() => window.collab?.editor, null, { timeout: WAIT })
  check(await opened.page.evaluate(() => window.collab.kind) === 'rich', `${who}: not the rich editor`)
  return opened
}

const richText = (page) => page.evaluate(() => window.collab.editor.getText({ blockSeparator: '\n' }))

/** The ProseMirror position of the first `needle` in a text block (+ `offset` characters). */
function richPos (page, needle, offset = 0) {
  return page.evaluate(([n, o]) => {
    let found = null
    window.collab.editor.state.doc.descendants((node, pos) => {
      if (found !== null || !node.isTextblock) return found === null
      const at = node.textContent.indexOf(n)
      if (at >= 0) found = pos + 1 + at + o
      return false
    })
    if (found === null) throw new Error(`no ${n} in the document`)
    return found
  }, [needle, offset])
}

/** Focus the rich text and put the caret at `pos` (or select `pos`..`to`), until the text has
 * the focus and that selection, so that keys go there. Done without Tiptap's focus command,
 * which waits for an animation frame, and checked every 100 ms rather than every frame: on a
 * loaded machine the page may paint rarely, and the panel may take the focus back meanwhile. */
async function richSelect (page, pos, to = pos) {
  await page.waitForFunction(([from, end]) => {
    const editor = window.collab.editor
    const { selection } = editor.state
    if (editor.view.hasFocus() && selection.from === from && selection.to === end) return true
    editor.commands.setTextSelection({ from, to: end })
    editor.view.focus()
    editor.commands.scrollIntoView()
    return false
  }, [pos, to], { timeout: WAIT, polling: 100 })
}

/** The highlighted text of each thread in a page's rich editor: {threadId: text}, a line break
 * between blocks. */
function richHighlights (page) {
  return page.evaluate(() => {
    const out = {}
    const blocks = {}
    for (const span of document.querySelectorAll('.rich-content .rich-comment')) {
      const id = span.dataset.thread
      if (span.parentElement.closest(`.rich-comment[data-thread="${CSS.escape(id)}"]`)) continue
      const copy = span.cloneNode(true)
      // Only the text: other people's carets (widgets) inside the passage are not.
      for (const widget of copy.querySelectorAll('.collaboration-carets__caret')) widget.remove()
      const block = span.closest('p, h1, h2, h3, li, pre, blockquote')
      if (id in out && blocks[id] !== block) out[id] += '\n'
      blocks[id] = block
      out[id] = (out[id] || '') + copy.textContent
    }
    return out
  })
}

function noPageErrors (...opened) {
  const errors = opened.flatMap((o) => o.errors)
  check(errors.length === 0, `page errors: ${errors.join(' | ')}`)
}

/** A REST call on the room as `who` (a token of TOKENS); the JSON answer. */
async function rest (who, method, path, body, room = ROOM) {
  const headers = { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) }
  headers.authorization = `Bearer ${TOKENS[who]}`
  const res = await fetch(`${baseUrl}/api/rooms/${room}${path}`, { method, headers, body: body && JSON.stringify(body) })
  check(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`)
  return res.json()
}

/** Start a thread on the first `word` of TEXT, as `who`, over REST. */
function startThread (who, word, body) {
  return rest(who, 'POST', '/threads', { passage: { index: TEXT.indexOf(word), length: word.length }, body })
}

const scenarios = {
  /**
   * Comments on a rich document of some three screens: a commenter selects a passage with the
   * keyboard and comments, the writer sees it at once and replies, a third person's edits move
   * the highlight, a thread over two paragraphs, a detached one put back by an undo, resolving, a
   * reload.
   */
  async 'rich-comment-thread' (browser) {
    const writer = await openRich(browser, 'writer', '?kind=rich')
    await writer.page.evaluate((html) => window.collab.editor.chain().focus().setContent(html).run(), richDocument())
    await waitSaved(writer.page)
    const full = await richText(writer.page)
    check(full.includes(FOX) && full.includes(DOOMED), `the writer's text: ${full.slice(0, 200)}`)
    await openComments(writer.page)

    // The reviewer (a commenter) cannot change the text in any way.
    const reviewer = await openRich(browser, 'reviewer')
    await waitFor(() => richText(reviewer.page), (t) => t === full, 'the reviewer’s text')
    check(await reviewer.page.textContent('#role-badge') === 'Can comment', 'no "Can comment" badge')
    check(await reviewer.page.getAttribute('.rich-content', 'aria-readonly') === 'true', 'the commenter’s text is not marked read-only')
    check(await reviewer.page.locator('.toolbar').count() === 0, 'a commenter has the toolbar')
    await richSelect(reviewer.page, await richPos(reviewer.page, 'brown'))
    await reviewer.page.keyboard.type('typed by a commenter')
    await reviewer.page.keyboard.press('Enter')
    await reviewer.page.keyboard.press('Backspace')
    await reviewer.page.keyboard.press('Control+b')
    await richSelect(reviewer.page, await richPos(reviewer.page, 'brown'), await richPos(reviewer.page, 'jumps'))
    await reviewer.page.keyboard.press('Delete')
    check(await richText(reviewer.page) === full, 'the commenter could change the text')
    const reviewerClient = await reviewer.page.evaluate(() => window.collab.ydoc.clientID)

    // With the keyboard: the caret before "brown", Shift+Right over "brown fox", the Comment button.
    await richSelect(reviewer.page, await richPos(reviewer.page, 'brown'))
    for (let n = 0; n < 'brown fox'.length; n++) await reviewer.page.keyboard.press('Shift+ArrowRight')
    await reviewer.page.waitForSelector('#comment-fab', { state: 'visible', timeout: WAIT })
    await reviewer.page.screenshot({ path: join(outdir, 'rich-comments-button.png') })
    await reviewer.page.click('#comment-fab')
    await reviewer.page.waitForSelector('#comment-compose', { state: 'visible', timeout: WAIT })
    check(await reviewer.page.textContent('#compose-quote') === 'brown fox', `the quote in the composer: ${await reviewer.page.textContent('#compose-quote')}`)
    await reviewer.page.fill('#compose-body', 'Which fox?')
    await reviewer.page.click('#comment-compose button[type="submit"]')
    const [thread] = await waitFor(() => listed(reviewer.page), (l) => l.length === 1, 'the reviewer’s threads')
    check(thread.quote === 'brown fox' && thread.comments[0].author === 'Rita' && thread.comments[0].body === 'Which fox?',
      `the new thread ${JSON.stringify(thread)}`)
    await waitFor(() => richHighlights(reviewer.page), (h) => h[thread.id] === 'brown fox', 'the reviewer’s highlight')

    // The writer sees the thread and the highlight at once (the comment EVENT); the document did
    // not change (nothing of the reviewer's in it); a click on the highlight opens the thread.
    await waitFor(() => listed(writer.page), (l) => l.length === 1 && l[0].id === thread.id, 'the thread on the writer’s page')
    await waitFor(() => richHighlights(writer.page), (h) => h[thread.id] === 'brown fox', 'the writer’s highlight')
    check(await richText(writer.page) === full, 'the text changed when someone commented')
    check(!(await writer.page.evaluate((c) => window.collab.ydoc.store.clients.has(c), reviewerClient)), 'the commenter wrote into the document')
    await writer.page.click('#comments-close')
    await writer.page.click(`.rich-content .rich-comment[data-thread="${thread.id}"] >> nth=0`)
    await writer.page.waitForSelector(`#thread-list .thread.is-active[data-thread-id="${thread.id}"]`, { timeout: WAIT })
    await writer.page.waitForSelector(`.rich-content .rich-comment-active[data-thread="${thread.id}"]`, { timeout: WAIT })
    await writer.page.click(`[data-thread-id="${thread.id}"] .thread-reply`)
    await writer.page.fill(`[data-thread-id="${thread.id}"] textarea`, 'The quick one.')
    await writer.page.click(`[data-thread-id="${thread.id}"] .comment-form button[type="submit"]`)
    await waitFor(() => listed(reviewer.page), (l) => l[0]?.comments.length === 2 && l[0].comments[1].author === 'Wren',
      'the reply on the reviewer’s page')

    // A third person types in an earlier paragraph, before the passage and inside it: the
    // highlight follows on the others' pages, at each change (not only once the threads are
    // fetched again after the edits).
    const third = await openRich(browser, 'third')
    await waitFor(() => richText(third.page), (t) => t === full, 'the third text')
    await writer.page.evaluate((id) => {
      window.lostHighlight = []
      window.collab.editor.on('transaction', ({ transaction }) => {
        const range = transaction.docChanged && window.collab.surface.comments.rangeOf(id)
        if (transaction.docChanged && !(range && range.to > range.from)) window.lostHighlight.push(window.collab.editor.getText().length)
      })
    }, thread.id)
    await richSelect(third.page, await richPos(third.page, 'Note 3:'))
    await third.page.keyboard.type('Early words. ', { delay: 5 })
    await richSelect(third.page, await richPos(third.page, 'brown', 'brown'.length))
    await third.page.keyboard.type(' red', { delay: 5 })
    await richSelect(third.page, await richPos(third.page, 'The quick brown'))
    await third.page.keyboard.type('Oh. ', { delay: 5 })
    await waitSaved(third.page)
    await waitFor(() => richHighlights(writer.page), (h) => h[thread.id] === 'brown red fox', 'the writer’s highlight after the edits')
    await waitFor(() => richHighlights(reviewer.page), (h) => h[thread.id] === 'brown red fox', 'the reviewer’s highlight after the edits')
    await waitFor(() => listed(writer.page), (l) => l[0]?.quote === 'brown red fox', 'the passage in the panel after the edits')
    const lost = await writer.page.evaluate(() => window.lostHighlight)
    check(lost.length === 0, `the highlight was lost after ${lost.length} of the third person's changes`)

    // Choosing the thread in the panel brings its passage into view, marked as the chosen one.
    await writer.page.evaluate(() => window.scrollTo(0, 0))
    await writer.page.click(`[data-thread-id="${thread.id}"] .thread-quote`)
    await writer.page.waitForSelector(`.rich-content .rich-comment-active[data-thread="${thread.id}"]`, { timeout: WAIT })
    await waitFor(() => writer.page.evaluate((id) => {
      const box = document.querySelector(`.rich-content .rich-comment[data-thread="${CSS.escape(id)}"]`).getBoundingClientRect()
      return box.top >= 0 && box.bottom <= window.innerHeight
    }, thread.id), (inView) => inView, 'the chosen passage in view')

    // The shortcut with the caret in a highlight opens its thread.
    await writer.page.click('#comments-close')
    await richSelect(writer.page, await richPos(writer.page, 'red', 1))
    await writer.page.keyboard.press('Control+Alt+m')
    await writer.page.waitForSelector(`#thread-list .thread.is-active[data-thread-id="${thread.id}"]`, { timeout: WAIT })

    // A thread over two paragraphs, by the shortcut.
    await richSelect(reviewer.page, await richPos(reviewer.page, 'lazy dog'), await richPos(reviewer.page, NEXT, 'Second'.length))
    await reviewer.page.keyboard.press('Control+Alt+m')
    await reviewer.page.waitForSelector('#comment-compose', { state: 'visible', timeout: WAIT })
    check(await reviewer.page.textContent('#compose-quote') === 'lazy dog.\nSecond', `the two-paragraph quote: ${await reviewer.page.textContent('#compose-quote')}`)
    await reviewer.page.fill('#compose-body', 'Join these?')
    await reviewer.page.click('#comment-compose button[type="submit"]')
    await reviewer.page.waitForSelector('#comment-compose', { state: 'hidden', timeout: WAIT })
    const two = await waitFor(() => listed(writer.page), (l) => l.length === 2, 'two threads on the writer’s page')
    const span = two.find((t) => t.id !== thread.id)
    await waitFor(() => richHighlights(writer.page), (h) => h[span.id] === 'lazy dog.\nSecond', 'the two-paragraph highlight')
    check(span.quote === 'lazy dog.\nSecond', `the two-paragraph thread's passage ${JSON.stringify(span.quote)}`)

    // A thread whose passage is then deleted: it stays, marked, with its quote.
    await richSelect(reviewer.page, await richPos(reviewer.page, DOOMED), await richPos(reviewer.page, DOOMED, DOOMED.length))
    await reviewer.page.keyboard.press('Control+Alt+m')
    await reviewer.page.waitForSelector('#comment-compose', { state: 'visible', timeout: WAIT })
    await reviewer.page.fill('#compose-body', 'Cut this?')
    await reviewer.page.click('#comment-compose button[type="submit"]')
    const three = await waitFor(() => listed(writer.page), (l) => l.length === 3, 'three threads on the writer’s page')
    const doomed = three.find((t) => t.comments[0].body === 'Cut this?')
    await waitFor(() => richHighlights(writer.page), (h) => h[doomed.id] === DOOMED, 'the highlight of the passage to delete')
    await third.page.evaluate(([from, to]) => window.collab.editor.chain().deleteRange({ from, to }).run(),
      [await richPos(third.page, DOOMED), await richPos(third.page, DOOMED, DOOMED.length)])
    await waitFor(() => writer.page.evaluate((id) => document.querySelector(`[data-thread-id="${id}"]`)?.textContent, doomed.id),
      (t) => t && t.includes('Passage deleted') && t.includes(DOOMED), 'the detached thread')
    await waitFor(() => richHighlights(writer.page), (h) => !(doomed.id in h), 'no highlight for the deleted passage')

    // A viewer sees the highlights, and a click on one opens its thread; nothing to reply with.
    const viewer = await openRich(browser, 'viewer')
    await waitFor(() => richHighlights(viewer.page), (h) => h[thread.id] === 'brown red fox' && h[span.id] === 'lazy dog.\nSecond',
      'the viewer’s highlights')
    check(await viewer.page.getAttribute('.rich-content', 'contenteditable') === 'false', 'the viewer’s text is editable')
    await viewer.page.click(`.rich-content .rich-comment[data-thread="${thread.id}"] >> nth=0`)
    await viewer.page.waitForSelector(`#thread-list .thread.is-active[data-thread-id="${thread.id}"]`, { timeout: WAIT })
    check(await viewer.page.locator('#thread-list .thread-reply, #thread-list .thread-resolve').count() === 0, 'a viewer can reply or resolve')
    noPageErrors(viewer)
    await viewer.context.close()

    // Screenshots with the panel open and the first passage chosen, then of the text alone.
    await writer.page.click(`[data-thread-id="${thread.id}"] .thread-quote`)
    await writer.page.waitForSelector(`.rich-content .rich-comment-active[data-thread="${thread.id}"]`, { timeout: WAIT })
    await captureLooks(writer.page, 'rich-comments')
    await writer.page.click('#comments-close')
    await captureLooks(writer.page, 'rich-comments-text')
    log('screenshots taken')

    // The third person undoes the deletion: the text is back (as new characters), the server
    // finds the thread's passage by its quote, and the others' pages highlight it again.
    await richSelect(third.page, await richPos(third.page, 'Note 23'))
    await third.page.keyboard.press('Control+z')
    await waitFor(() => richText(third.page), (t) => t.includes(DOOMED), 'the deleted passage put back')
    await waitFor(() => listed(writer.page), (l) => l.some((t) => t.id === doomed.id && !t.detached && t.quote === DOOMED), 'the revived thread')
    await waitFor(() => richHighlights(writer.page), (h) => h[doomed.id] === DOOMED, 'the revived highlight')

    // The third person presses Enter at the start of the first thread's paragraph: the editor
    // writes that paragraph anew (new characters); the server finds the passage by its quote.
    await richSelect(third.page, await richPos(third.page, 'Oh. The quick'))
    await third.page.keyboard.press('Enter')
    await waitFor(() => richText(writer.page), (t) => t.includes('\n\nOh. The quick'), 'the paragraph split on the writer’s page')
    await waitFor(() => listed(writer.page), (l) => l.some((t) => t.id === thread.id && !t.detached), 'the thread after the split')
    await waitFor(() => richHighlights(reviewer.page), (h) => h[thread.id] === 'brown red fox', 'the highlight after the split')

    // The writer resolves the first thread: gone from the list and the text, on both pages.
    await openComments(writer.page)
    await writer.page.click(`[data-thread-id="${thread.id}"] .thread-resolve`)
    await waitFor(() => listed(reviewer.page), (l) => !l.some((t) => t.id === thread.id), 'the reviewer’s list after resolving')
    await waitFor(() => richHighlights(reviewer.page), (h) => !(thread.id in h) && h[span.id] === 'lazy dog.\nSecond', 'the reviewer’s highlights after resolving')

    // After a reload: the same threads and highlights; the resolved one on request.
    await writer.page.reload()
    await waitStatus(writer.page, 'connected')
    await openComments(writer.page)
    await waitFor(() => listed(writer.page), (l) => l.length === 2 && !l.some((t) => t.id === thread.id), 'the list after a reload')
    await waitFor(() => richHighlights(writer.page), (h) => !(thread.id in h) && h[span.id] === 'lazy dog.\nSecond' && h[doomed.id] === DOOMED,
      'the highlights after a reload')
    await writer.page.check('#comments-show-resolved')
    const all = await waitFor(() => listed(writer.page), (l) => l.length === 3, 'the list with resolved threads')
    check(all.find((t) => t.id === thread.id)?.resolved, `resolved thread not marked ${JSON.stringify(all)}`)
    check(await richText(reviewer.page) === await richText(third.page), 'the pages differ at the end')
    check(!(await third.page.evaluate((c) => window.collab.ydoc.store.clients.has(c), reviewerClient)), 'the commenter wrote into the document')
    noPageErrors(writer, reviewer, third)
  },

  async 'comment-thread' (browser) {
    // The writer writes; the reviewer (a commenter) cannot type, but selects and comments.
    const writer = await open(browser, 'writer')
    await writer.page.click('.cm-content')
    await writer.page.keyboard.type(TEXT, { delay: 5 })
    await waitSaved(writer.page)
    const alerts = []
    writer.page.on('dialog', (dialog) => alerts.push(dialog.message()))

    const reviewer = await open(browser, 'reviewer')
    await waitFor(() => text(reviewer.page), (t) => t === TEXT, 'the reviewer text')
    check(await reviewer.page.textContent('#role-badge') === 'Can comment', 'no "Can comment" badge')
    await reviewer.page.click('.cm-content')
    await reviewer.page.keyboard.type('typed by a commenter')
    check(await text(reviewer.page) === TEXT, 'the commenter could type')

    await select(reviewer.page, 'brown fox')
    await reviewer.page.waitForSelector('#comment-fab', { state: 'visible', timeout: WAIT })
    check(/Alt\+M|⌥M/.test(await reviewer.page.getAttribute('#comment-fab', 'title')), 'no shortcut in the title')
    await reviewer.page.screenshot({ path: join(outdir, 'comments-button.png') })
    await reviewer.page.click('#comment-fab')
    await reviewer.page.waitForSelector('#comment-compose', { state: 'visible', timeout: WAIT })
    check(await reviewer.page.textContent('#compose-quote') === 'brown fox', 'the quote in the composer')
    await reviewer.page.fill('#compose-body', 'Which fox?')
    await reviewer.page.click('#comment-compose button[type="submit"]')
    const [thread] = await waitFor(() => listed(reviewer.page), (l) => l.length === 1, 'the reviewer’s threads')
    check(thread.quote === 'brown fox' && thread.comments[0].author === 'Rita' && thread.comments[0].body === 'Which fox?',
      `the new thread ${JSON.stringify(thread)}`)

    // The writer sees the highlight at once (the comment EVENT), opens the thread and replies.
    await waitFor(() => highlights(writer.page), (h) => h[thread.id] === 'brown fox', 'the writer’s highlight')
    await writer.page.click(`#editor .cm-comment[data-thread="${thread.id}"]`)
    await writer.page.waitForSelector(`#thread-list .thread.is-active[data-thread-id="${thread.id}"]`, { timeout: WAIT })
    await writer.page.click(`[data-thread-id="${thread.id}"] .thread-reply`)
    await writer.page.fill(`[data-thread-id="${thread.id}"] textarea`, 'The quick one.')
    await writer.page.click(`[data-thread-id="${thread.id}"] .comment-form button[type="submit"]`)
    await waitFor(() => listed(reviewer.page), (l) => l[0]?.comments.length === 2 && l[0].comments[1].author === 'Wren',
      'the reply on the reviewer’s page')

    // A third person types before and inside the passage: the highlight follows.
    const third = await open(browser, 'third')
    await waitFor(() => text(third.page), (t) => t === TEXT, 'the third text')
    await third.page.evaluate(() => {
      const view = window.collab.view
      const doc = view.state.doc.toString()
      view.focus()
      view.dispatch({ selection: { anchor: doc.indexOf('brown') + 'brown'.length } })
    })
    await third.page.keyboard.type(' red', { delay: 5 })
    await third.page.evaluate(() => {
      const view = window.collab.view
      view.focus()
      view.dispatch({ selection: { anchor: view.state.doc.toString().indexOf('The') } })
    })
    await third.page.keyboard.type('Oh. ', { delay: 5 })
    await waitSaved(third.page)
    await waitFor(() => highlights(writer.page), (h) => h[thread.id] === 'brown red fox', 'the highlight after the edits')
    await waitFor(() => highlights(reviewer.page), (h) => h[thread.id] === 'brown red fox', 'the reviewer’s highlight after the edits')
    await waitFor(() => listed(writer.page), (l) => l[0]?.quote === 'brown red fox', 'the passage in the panel after the edits')

    // The shortcut with the caret in a highlight opens its thread.
    await writer.page.click('#comments-close')
    await writer.page.evaluate(() => {
      const view = window.collab.view
      view.focus()
      view.dispatch({ selection: { anchor: view.state.doc.toString().indexOf('red') } })
    })
    await writer.page.keyboard.press('Control+Alt+m')
    await writer.page.waitForSelector(`#thread-list .thread.is-active[data-thread-id="${thread.id}"]`, { timeout: WAIT })

    // A hostile comment, by the shortcut, shows as text.
    await select(reviewer.page, 'lazy dog')
    await reviewer.page.keyboard.press('Control+Alt+m')
    await reviewer.page.waitForSelector('#comment-compose', { state: 'visible', timeout: WAIT })
    await reviewer.page.fill('#compose-body', HOSTILE)
    await reviewer.page.click('#comment-compose button[type="submit"]')
    const both = await waitFor(() => listed(writer.page), (l) => l.length === 2, 'two threads on the writer’s page')
    check(both[0].id === thread.id && both[1].comments[0].body === HOSTILE, `the hostile thread ${JSON.stringify(both)}`)
    await waitFor(() => highlights(writer.page), (h) => h[both[1].id] === 'lazy dog', 'the second highlight')
    check(both[1].quote === 'lazy dog', `the second thread's passage ${both[1].quote}`)
    check(await writer.page.evaluate(() => document.querySelectorAll('#comments-panel img').length) === 0, 'the body became markup')
    check(alerts.length === 0, `alerts: ${alerts}`)

    // The viewer sees the threads and cannot comment.
    const viewer = await open(browser, 'viewer')
    await openComments(viewer.page)
    await waitFor(() => listed(viewer.page), (l) => l.length === 2, 'the viewer’s threads')
    check(await viewer.page.locator('#thread-list .thread-reply, #thread-list .thread-resolve').count() === 0, 'a viewer can reply or resolve')
    await viewer.context.close()

    // Screenshots (light and dark, desktop and phone), each checked with axe-core.
    await writer.page.click(`[data-thread-id="${thread.id}"] .thread-quote`)
    await captureLooks(writer.page, 'comments')
    log('screenshots taken')

    // The writer edits their reply; the reviewer sees it edited.
    await writer.page.click(`[data-thread-id="${thread.id}"] .comment:nth-child(2) .comment-edit`)
    await writer.page.fill(`[data-thread-id="${thread.id}"] .comment-form textarea`, 'The quick red one.')
    await writer.page.click(`[data-thread-id="${thread.id}"] .comment-form button[type="submit"]`)
    await waitFor(() => listed(reviewer.page), (l) => l[0]?.comments[1]?.body === 'The quick red one.', 'the edited reply')
    check(await reviewer.page.locator(`[data-thread-id="${thread.id}"] .comment-edited`).count() === 1, 'no (edited)')
    check(await reviewer.page.locator(`[data-thread-id="${thread.id}"] .comment:nth-child(2) .comment-edit`).count() === 0,
      'the reviewer may edit the writer’s reply')

    // The third person deletes the second passage: its thread stays, marked, with its quote; its
    // author deletes it (the first comment takes the thread with it).
    const second = both[1].id
    await third.page.evaluate(() => {
      const view = window.collab.view
      const at = view.state.doc.toString().indexOf('lazy dog')
      view.dispatch({ changes: { from: at, to: at + 'lazy dog'.length } })
    })
    await waitFor(() => writer.page.evaluate((id) => document.querySelector(`[data-thread-id="${id}"]`)?.textContent, second),
      (t) => t && t.includes('Passage deleted') && t.includes('lazy dog'), 'the detached thread')
    await reviewer.page.click(`[data-thread-id="${second}"] .comment-delete`)
    await waitFor(() => listed(writer.page), (l) => l.length === 1 && l[0].id === thread.id, 'the list after deleting')

    // The writer resolves it: gone from the list and the text, on both pages, and after a reload.
    await writer.page.click(`[data-thread-id="${thread.id}"] .thread-resolve`)
    await waitFor(() => listed(reviewer.page), (l) => l.length === 0, 'the reviewer’s list after resolving')
    await waitFor(() => highlights(reviewer.page), (h) => !(thread.id in h), 'the highlight after resolving')
    await writer.page.reload()
    await waitStatus(writer.page, 'connected')
    await openComments(writer.page)
    // The threads load after the panel opens: the empty-list note shows once they have.
    await waitFor(() => writer.page.isVisible('#comments-empty'), (v) => v, 'the empty-list note after a reload')
    check((await listed(writer.page)).length === 0, 'resolved thread listed after a reload')
    await writer.page.check('#comments-show-resolved')
    const all = await waitFor(() => listed(writer.page), (l) => l.length === 1, 'the list with resolved threads')
    check(all.find((t) => t.id === thread.id)?.resolved, `resolved thread not marked ${JSON.stringify(all)}`)
    check(await text(reviewer.page) === TEXT.replace('The', 'Oh. The').replace('brown', 'brown red').replace('lazy dog', ''), 'the text at the end')
  },

  /**
   * Plain text: a passage deleted, then put back by its writer's undo (new characters): the
   * server finds the thread by its quote, and the page highlights the passage again.
   */
  async 'comment-revived' (browser) {
    const writer = await open(browser, 'writer')
    await writer.page.click('.cm-content')
    await writer.page.keyboard.type('one two three', { delay: 5 })
    await waitSaved(writer.page)
    await select(writer.page, 'two')
    await writer.page.keyboard.press('Control+Alt+m')
    await writer.page.fill('#compose-body', 'Which two?')
    await writer.page.click('#comment-compose button[type="submit"]')
    const [thread] = await waitFor(() => listed(writer.page), (l) => l.length === 1, 'the thread')
    // Another page: the writer's undo puts back new characters there, which its anchor does not
    // name (only the page that undid knows what they stand for).
    const reviewer = await open(browser, 'reviewer')
    await openComments(reviewer.page)
    await waitFor(() => highlights(reviewer.page), (h) => h[thread.id] === 'two', 'the highlight')
    await writer.page.evaluate(() => {
      const view = window.collab.view
      const at = view.state.doc.toString().indexOf('two')
      window.collab.undoManager.stopCapturing()
      view.dispatch({ changes: { from: at, to: at + 'two'.length } })
    })
    await waitFor(() => listed(reviewer.page), (l) => l[0]?.detached, 'the detached thread')
    await waitFor(() => highlights(reviewer.page), (h) => !(thread.id in h), 'no highlight once deleted')
    await writer.page.evaluate(() => window.collab.view.focus())
    await writer.page.keyboard.press('Control+z')
    await waitFor(() => text(reviewer.page), (t) => t === 'one two three', 'the text after the undo')
    await waitFor(() => listed(reviewer.page), (l) => l[0] && !l[0].detached && l[0].quote === 'two', 'the revived thread')
    await waitFor(() => highlights(reviewer.page), (h) => h[thread.id] === 'two', 'the revived highlight')

    // A restore brings a passage back too: a version saved, the passage typed over (its text
    // stands nowhere now), the version restored.
    await waitSaved(writer.page)
    const version = await rest('owner', 'POST', '/versions', { label: 'before the cut' })
    await writer.page.evaluate(() => {
      const view = window.collab.view
      const at = view.state.doc.toString().indexOf('two')
      window.collab.undoManager.stopCapturing()
      view.dispatch({ changes: { from: at, to: at + 'two'.length, insert: '2' } })
    })
    await waitFor(() => listed(reviewer.page), (l) => l[0]?.detached, 'the thread detached again')
    await waitFor(() => highlights(reviewer.page), (h) => !(thread.id in h), 'no highlight once typed over')
    await waitSaved(writer.page)
    await rest('owner', 'POST', `/versions/${version.id}/restore`)
    await waitFor(() => text(reviewer.page), (t) => t === 'one two three', 'the text after the restore')
    await waitFor(() => listed(reviewer.page), (l) => l[0] && !l[0].detached, 'the thread after the restore')
    await waitFor(() => highlights(reviewer.page), (h) => h[thread.id] === 'two', 'the highlight after the restore')
  },

  /**
   * A page that was offline catches up when it is back: while it is away another person starts
   * a thread, replies, edits the reply and resolves the thread it had shown; back online (its
   * provider reconnected), its panel and highlights show all of that.
   */
  async 'comment-offline' (browser) {
    const writer = await open(browser, 'writer')
    await writer.page.click('.cm-content')
    await writer.page.keyboard.type(TEXT, { delay: 5 })
    await waitSaved(writer.page)
    await openComments(writer.page)
    const first = await startThread('reviewer', 'brown fox', 'Which fox?')
    await waitFor(() => listed(writer.page), (l) => l.length === 1 && l[0].id === first.id, 'the first thread, live')
    await waitFor(() => highlights(writer.page), (h) => h[first.id] === 'brown fox', 'the first highlight')

    await writer.context.setOffline(true)
    await waitStatus(writer.page, 'offline')
    check(await writer.page.evaluate(() => !window.collab.provider.wsconnected), 'the provider is still connected')

    const second = await startThread('reviewer', 'lazy dog', 'Unkind to dogs?')
    const reply = await rest('third', 'POST', `/threads/${second.id}/comments`, { body: 'A little' })
    await rest('third', 'PATCH', `/threads/${second.id}/comments/${reply.id}`, { body: 'A little, yes' })
    await rest('third', 'POST', `/threads/${first.id}/resolve`)
    const stale = await listed(writer.page)
    check(stale.length === 1 && stale[0].id === first.id, `the offline page heard of changes: ${JSON.stringify(stale)}`)

    await writer.context.setOffline(false)
    await waitStatus(writer.page, 'connected')
    const caught = await waitFor(() => listed(writer.page), (l) => l.length === 1 && l[0].id === second.id && l[0].comments.length === 2,
      'the panel after reconnecting')
    check(caught[0].quote === 'lazy dog' && caught[0].comments[1].author === 'Theo' && caught[0].comments[1].body === 'A little, yes',
      `the thread started while offline ${JSON.stringify(caught)}`)
    await waitFor(() => highlights(writer.page), (h) => h[second.id] === 'lazy dog' && !(first.id in h), 'the highlights after reconnecting')
    await writer.page.check('#comments-show-resolved')
    const all = await waitFor(() => listed(writer.page), (l) => l.length === 2, 'resolved threads after reconnecting')
    check(all.find((t) => t.id === first.id)?.resolved, `the thread resolved while offline ${JSON.stringify(all)}`)
  },

  /**
   * Make a copy asks whether the comments go along (not by default, resolved ones only when
   * asked): copied, the open thread is on the copy's passage; the resolved one stayed behind.
   */
  async 'comment-copy' (browser) {
    const writer = await open(browser, 'writer')
    await writer.page.click('.cm-content')
    await writer.page.keyboard.type(TEXT, { delay: 5 })
    await waitSaved(writer.page)
    const fox = await startThread('writer', 'brown fox', 'Which fox?')
    const dog = await startThread('writer', 'lazy dog', 'Unkind?')
    await rest('writer', 'POST', `/threads/${dog.id}/resolve`)

    const page = writer.page
    await page.click('#doc-menu-button')
    await page.click('[data-action="duplicate"]')
    await page.waitForSelector('#copy-name', { state: 'visible', timeout: WAIT })
    check(await page.evaluate(() => document.activeElement.id) === 'copy-name', 'the name is not focused')
    check(!(await page.isChecked('#copy-comments')) && await page.isDisabled('#copy-resolved'), 'comments are copied by default')
    await captureLooks(page, 'copy-dialog')
    await page.check('#copy-comments')
    check(await page.isEnabled('#copy-resolved'), 'resolved comments cannot be asked for')
    await page.check('#copy-resolved')
    await page.uncheck('#copy-comments')
    check(!(await page.isChecked('#copy-resolved')) && await page.isDisabled('#copy-resolved'), 'resolved ones without the rest')
    await page.check('#copy-comments')
    await captureLooks(page, 'copy-dialog-comments')
    // Esc cancels: nothing is copied.
    await page.keyboard.press('Escape')
    await page.waitForSelector('#copy-name', { state: 'detached', timeout: WAIT })

    await page.click('#doc-menu-button')
    await page.click('[data-action="duplicate"]')
    await page.fill('#copy-name', 'Reviewed copy')
    await page.check('#copy-comments')
    await Promise.all([page.waitForURL('**/d/reviewed-copy', { timeout: WAIT }), page.click('#copy-confirm')])
    // A link's token is kept for its own document: the copy is opened with one of its own.
    const { page: copy } = await openPage(browser, `/d/reviewed-copy#token=${TOKENS.writer}`)
    await waitStatus(copy, 'connected')
    await copy.waitForFunction(() => window.collab, null, { timeout: WAIT })
    check(await text(copy) === TEXT, 'the copy’s text')
    await openComments(copy)
    const copied = await waitFor(() => listed(copy), (l) => l.length === 1, 'the copied thread')
    check(copied[0].id !== fox.id && copied[0].quote === 'brown fox' && copied[0].comments[0].body === 'Which fox?',
      `the copy's thread ${JSON.stringify(copied)}`)
    await waitFor(() => highlights(copy), (h) => h[copied[0].id] === 'brown fox', 'the copy’s highlight')
    const inCopy = await rest('writer', 'GET', '/threads?status=all', undefined, 'reviewed-copy')
    check(inCopy.items.length === 1, `the resolved thread was copied: ${JSON.stringify(inCopy.items)}`)
    const original = await rest('writer', 'GET', '/threads?status=all')
    check(original.items.length === 2, 'the original lost threads')
  },

  /**
   * A thread on a passage after a character outside the BMP (an emoji: two UTF-16 units, one
   * code point), typed in two goes (so the text is two Yjs items): the highlight is the passage.
   */
  async 'comment-astral' (browser) {
    const writer = await open(browser, 'writer')
    await writer.page.click('.cm-content')
    await writer.page.keyboard.type('one two three', { delay: 5 })
    await writer.page.keyboard.press('Home')
    await writer.page.keyboard.type('🙂 ', { delay: 5 })
    await waitSaved(writer.page)
    await select(writer.page, 'two')
    await writer.page.keyboard.press('Control+Alt+m')
    await writer.page.fill('#compose-body', 'Which two?')
    await writer.page.click('#comment-compose button[type="submit"]')
    const [thread] = await waitFor(() => listed(writer.page), (l) => l.length === 1, 'the thread')
    const lit = await waitFor(() => highlights(writer.page), (h) => thread.id in h, 'the highlight')
    const server = await writer.page.evaluate(() => window.collab.comments.state.threads[0].range)
    check(lit[thread.id] === 'two' && server.text === 'two', `highlighted ${JSON.stringify(lit)}, the server's range ${JSON.stringify(server)}`)
  }
}

/** A signed-in person's page on the document `room`, its Comments panel open. */
async function openAs (browser, email, room) {
  const opened = await signedIn(browser, { email, password: TOKENS.password })
  await opened.page.goto(`/d/${encodeURIComponent(room)}`)
  await waitStatus(opened.page, 'connected')
  await opened.page.waitForFunction(() => window.collab, null, { timeout: WAIT })
  await openComments(opened.page)
  return opened
}

/** The @ list under a comment box: [{name, email, selected}] (empty when closed). */
function mentionList (page) {
  return page.evaluate(() => {
    const list = document.querySelector('.mention-list:not([hidden])')
    if (!list) return []
    return [...list.querySelectorAll('[role="option"]')].map((o) => ({
      name: o.querySelector('.mention-name').textContent,
      email: o.querySelector('.mention-email')?.textContent,
      selected: o.getAttribute('aria-selected') === 'true'
    }))
  })
}

/** Each comment's shown body and the "@Name"s in it, on a page: [{body, mentions}]. */
function shownComments (page) {
  return page.evaluate(() => [...document.querySelectorAll('#thread-list .comment')].map((c) => ({
    body: c.querySelector('.comment-body')?.textContent,
    mentions: [...c.querySelectorAll('.comment-body .mention')].map((m) => m.textContent)
  })))
}

scenarios['comment-mention'] = async (browser) => {
  // Ada (the owner) and Grace (an editor) open the document, signed in.
  const { room, hostile } = TOKENS
  const ada = await openAs(browser, TOKENS.ada, room)
  const grace = await openAs(browser, TOKENS.grace, room)
  const alerts = []
  for (const page of [ada.page, grace.page]) page.on('dialog', (dialog) => alerts.push(dialog.message()))

  // Ada comments on a passage and types @ then letters: the people who can read it are listed.
  await select(ada.page, 'brown fox')
  await ada.page.keyboard.press('Control+Alt+m')
  await ada.page.waitForSelector('#comment-compose', { state: 'visible', timeout: WAIT })
  await ada.page.type('#compose-body', 'Ask @', { delay: 10 })
  const everyone = await waitFor(() => mentionList(ada.page), (l) => l.length === 3, 'the @ list')
  check(JSON.stringify(everyone.map((p) => p.name)) === JSON.stringify([hostile, 'Ada Lovelace', 'Grace Hopper']),
    `the people listed ${JSON.stringify(everyone)}`)
  check(everyone[0].selected && everyone[1].email === 'ada@example.org', `the first choice ${JSON.stringify(everyone)}`)
  // The arrows move the choice; Escape closes the list and not the comment box.
  await ada.page.keyboard.press('ArrowDown')
  await waitFor(() => mentionList(ada.page), (l) => l[1]?.selected, 'the choice after ArrowDown')
  const described = await ada.page.evaluate(() => {
    const box = document.getElementById('compose-body')
    return { active: box.getAttribute('aria-activedescendant'), controls: box.getAttribute('aria-controls'), auto: box.getAttribute('aria-autocomplete') }
  })
  check(described.active && described.auto === 'list' && described.controls, `the box's ARIA ${JSON.stringify(described)}`)
  await ada.page.keyboard.press('Escape')
  await waitFor(() => mentionList(ada.page), (l) => l.length === 0, 'the list after Escape')
  check(await ada.page.isVisible('#comment-compose'), 'Escape in the list closed the comment box')

  // Letters narrow it; the screenshots (light and dark, desktop and phone) show it open.
  await ada.page.type('#compose-body', 'gra', { delay: 10 })
  await waitFor(() => mentionList(ada.page), (l) => l.length === 1 && l[0].name === 'Grace Hopper', 'the list for "@gra"')
  await captureLooks(ada.page, 'mentions-picker')
  await waitFor(() => mentionList(ada.page), (l) => l.length === 1, 'the list after the screenshots')
  await ada.page.keyboard.press('Enter')
  await waitFor(() => mentionList(ada.page), (l) => l.length === 0, 'the list after picking')
  await ada.page.type('#compose-body', 'please.', { delay: 10 })
  check(await ada.page.inputValue('#compose-body') === 'Ask @Grace Hopper please.', `the box reads ${await ada.page.inputValue('#compose-body')}`)
  await ada.page.click('#comment-compose button[type="submit"]')

  // Grace sees "@Grace Hopper" (the server kept her id), at once.
  const [first] = await waitFor(() => shownComments(grace.page), (l) => l.length === 1, 'the comment on Grace’s page')
  check(first.body === 'Ask @Grace Hopper please.' && first.mentions[0] === '@Grace Hopper', `Grace sees ${JSON.stringify(first)}`)
  // (Ada's own panel takes it from the answer to her post, which may come after Grace's event.)
  const stored = await waitFor(() => ada.page.evaluate(() => window.collab.comments.state.threads[0]?.comments[0] ?? null), (c) => c !== null, 'the comment in Ada’s panel')
  check(/^Ask <@[0-9a-f]{24}> please\.$/.test(stored.body) && stored.mentions[0].name === 'Grace Hopper', `stored ${JSON.stringify(stored)}`)

  // A reply mentioning the teammate with the hostile name, picked with the mouse: text only.
  const threadId = stored.thread
  await grace.page.click(`[data-thread-id="${threadId}"] .thread-reply`)
  const reply = `[data-thread-id="${threadId}"] .comment-form textarea`
  await grace.page.type(reply, 'Also @img', { delay: 10 })
  await waitFor(() => mentionList(grace.page), (l) => l.length === 1 && l[0].name === hostile, 'the hostile name listed')
  await grace.page.click('.mention-list [role="option"]')
  await grace.page.type(reply, 'ok?', { delay: 10 })
  await grace.page.click(`[data-thread-id="${threadId}"] .comment-form button[type="submit"]`)
  const both = await waitFor(() => shownComments(ada.page), (l) => l.length === 2, 'the reply on Ada’s page')
  check(both[1].mentions[0] === `@${hostile}` && both[1].body === `Also @${hostile} ok?`, `the reply ${JSON.stringify(both[1])}`)
  for (const page of [ada.page, grace.page]) {
    check(await page.evaluate(() => document.querySelectorAll('#comments-panel img, #comments-panel script').length) === 0, 'a name became markup')
  }
  check(alerts.length === 0, `alerts: ${alerts}`)
  await captureLooks(grace.page, 'mentions-shown')

  // Ada edits her comment: the box shows "@Grace Hopper", and saving keeps the mention.
  await ada.page.click(`[data-thread-id="${threadId}"] .comment:nth-child(1) .comment-edit`)
  const edit = `[data-thread-id="${threadId}"] .comment-form textarea`
  check(await ada.page.inputValue(edit) === 'Ask @Grace Hopper please.', `the edit box reads ${await ada.page.inputValue(edit)}`)
  await ada.page.press(edit, 'End')
  await ada.page.type(edit, ' Thanks!', { delay: 10 })
  await ada.page.click(`[data-thread-id="${threadId}"] .comment-form button[type="submit"]`)
  await waitFor(() => shownComments(grace.page), (l) => l[0]?.body === 'Ask @Grace Hopper please. Thanks!' && l[0].mentions[0] === '@Grace Hopper',
    'the edited comment on Grace’s page')

  // Resolved: the empty note says there is no open comment, and how many are hidden.
  await grace.page.click(`[data-thread-id="${threadId}"] .thread-resolve`)
  const note = await waitFor(() => ada.page.evaluate(() => {
    const empty = document.getElementById('comments-empty')
    return empty.hidden ? '' : empty.textContent
  }), (t) => t !== '', 'the empty note after resolving')
  check(note === 'No open comments (1 resolved thread hidden).', `the empty note reads ${note}`)

  // The Share dialog offers "Can comment" between view and edit, everywhere a role is chosen.
  await openShare(ada.page)
  const roles = await ada.page.evaluate(() => Object.fromEntries(['#share-person-role', '#share-org', '#share-role',
    '#access-list [data-email="grace@example.org"] select'].map((at) => [at, [...document.querySelector(at).options].map((o) => o.value)])))
  for (const [at, values] of Object.entries(roles)) {
    const view = values.indexOf('viewer')
    check(view >= 0 && values[view + 1] === 'commenter' && values[view + 2] === 'editor', `${at} offers ${values}`)
  }
  await ada.page.selectOption('#access-list [data-email="grace@example.org"] select', 'commenter')
  await ada.page.waitForSelector('#access-list [data-email="grace@example.org"][data-role="commenter"]', { timeout: WAIT })
  // Her lower role closes her editor, which opens again with it (a navigation: reads may fail).
  await waitFor(() => grace.page.evaluate(() => document.getElementById('role-badge')?.textContent).catch(() => null),
    (t) => t === 'Can comment', 'Grace’s badge once she may comment only')
}

run(scenarios)
