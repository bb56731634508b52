// Browser end-to-end scenarios for suggesting mode (issue 26) in both editors, run by
// tests/browser/test_suggestions.py; see common.mjs for how it is driven. One person suggests an
// insertion and a deletion (their page shows them at once; the shared text does not change),
// the others see both marked in the author's colour, the writer accepts one and rejects the
// other; every page, a reload and the REST API then show the same text.
import { WAIT, baseUrl, captureLooks, check, control, log, openPage, run, waitSaved, waitStatus } from './common.mjs'

const TOKENS = JSON.parse(process.env.COLLAB_E2E_TOKENS || '{}')
const ROOM = 'suggest-room'
const RICH_ROOM = 'rich-suggest-room'
const TEXT = 'The quick brown fox jumps over the lazy dog.'

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

async function open (browser, who, room, query = '') {
  // Requests are held by page.route in suggestAndDecide: no service worker in between.
  const opened = await openPage(browser, `/d/${room}${query}#token=${TOKENS[who]}`, { viewport: { width: 1280, height: 800 }, serviceWorkers: 'block' })
  opened.errors = []
  opened.page.on('pageerror', (err) => opened.errors.push(err.message))
  await waitStatus(opened.page, 'connected')
  await opened.page.waitForFunction(() => window.collab?.surface, null, { timeout: WAIT })
  return opened
}

function noPageErrors (...opened) {
  const errors = opened.flatMap((o) => o.errors)
  check(errors.length === 0, `page errors: ${errors.join(' | ')}`)
}

/** The document's text on a page (either editor). */
const pageText = (page) => page.evaluate(() => window.collab.surface.text())

/** The document's text as the server has it (REST, as `who`). */
async function serverText (who, room) {
  const res = await fetch(`${baseUrl}/api/rooms/${room}/snapshot?format=text`, { headers: { authorization: `Bearer ${TOKENS[who]}`, accept: 'text/plain' } })
  check(res.ok, `snapshot: ${res.status}`)
  return (await res.text()).replace(/\n+$/, '')
}

/** Whether the server's text (rich: blocks apart by blank lines) is the page's. */
const sameText = (server, page) => server.replace(/\n+/g, '\n') === page

/** A REST call on `room` as `who`; the JSON answer. */
async function rest (who, room, method, path, body) {
  const headers = { accept: 'application/json', authorization: `Bearer ${TOKENS[who]}`, ...(body ? { 'content-type': 'application/json' } : {}) }
  const res = await fetch(`${baseUrl}/api/rooms/${room}${path}`, { method, headers, body: body && JSON.stringify(body) })
  check(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`)
  return res.status === 204 ? null : res.json()
}

/**
 * The suggestions marked in a page's text: {ins: [{text, title, id}], del: [{text, title, id}]}
 * (the words only screen readers get are left out of `text`, and kept in `spoken`).
 */
function marked (page) {
  return page.evaluate(() => {
    const shown = (el) => {
      const copy = el.cloneNode(true)
      for (const hidden of copy.querySelectorAll('.visually-hidden, .collaboration-carets__caret, .cm-widgetBuffer')) hidden.remove()
      return copy.textContent
    }
    const ins = [...document.querySelectorAll('#editor ins.suggest-ins')].map((el) => ({
      text: shown(el), breaks: el.querySelectorAll('br').length, title: el.title, id: el.dataset.suggestion || null, spoken: el.textContent, colour: el.style.getPropertyValue('--suggest-colour'),
      pending: el.classList.contains('is-pending')
    }))
    const del = {}
    for (const el of document.querySelectorAll('#editor del.suggest-del')) {
      const k = el.dataset.suggestionKey
      del[k] = del[k] || { text: '', title: el.title, id: el.dataset.suggestion || null, colour: el.style.getPropertyValue('--suggest-colour') }
      del[k].text += shown(el)
    }
    const spoken = [...document.querySelectorAll('#editor .suggest-label')].map((el) => el.textContent)
    return { ins, del: Object.values(del), spoken }
  })
}

/** The suggestion threads in a page's Comments panel. */
function listed (page) {
  return page.evaluate(() => [...document.querySelectorAll('#thread-list .thread.is-suggestion')].map((t) => ({
    id: t.dataset.threadId,
    what: t.querySelector('.thread-passage').textContent,
    who: t.querySelector('.suggestion-author')?.textContent,
    status: t.querySelector('.suggestion-box')?.dataset.status,
    accept: !!t.querySelector('.suggestion-accept'),
    withdraw: !!t.querySelector('.suggestion-withdraw'),
    comments: [...t.querySelectorAll('.comment-body')].map((c) => c.textContent)
  })))
}

async function openComments (page) {
  if (await page.isHidden('#comments-panel')) await page.click('#comments-toggle')
  await page.waitForSelector('#comments-panel', { state: 'visible', timeout: WAIT })
}

/** The mode buttons of a page: [{mode, pressed}]. */
const modes = (page) => page.evaluate(() => [...document.querySelectorAll('.mode-switch .mode-button')].map((b) => ({ mode: b.dataset.mode, pressed: b.getAttribute('aria-pressed') })))

/** Put the CodeMirror caret at `offset` characters after the first `needle`. */
function caretText (page, needle, offset = 0) {
  return page.evaluate(([n, o]) => {
    const view = window.collab.view
    const at = view.state.doc.toString().indexOf(n)
    if (at < 0) throw new Error(`no ${n} in the text`)
    view.focus()
    view.dispatch({ selection: { anchor: at + o } })
  }, [needle, offset])
}

/** The ProseMirror position `offset` characters after the first `needle` in a text block. */
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

async function caretRich (page, needle, offset = 0) {
  const pos = await richPos(page, needle, offset)
  await page.evaluate((p) => window.collab.editor.chain().focus().setTextSelection(p).run(), pos)
  await page.waitForFunction(() => window.collab.editor.view.hasFocus(), null, { timeout: WAIT })
}

/** Whether client `clientID` of some page wrote into the document held by `page`. */
const wrote = (page, clientID) => page.evaluate((c) => window.collab.ydoc.store.clients.has(c), clientID)

/**
 * The common part: `author` suggests " red" after "quick" (typing, a Backspace inside their own
 * pending text, typing again) and deleting "lazy " (five Backspaces before "dog"); the writer
 * and `watcher` see both marked; the writer accepts the insertion and rejects the deletion.
 */
async function suggestAndDecide ({ writer, author, watcher, authorName, room, caret, bulk, initial = TEXT }) {
  const clientID = await author.page.evaluate(() => window.collab.ydoc.clientID)
  await caret(author.page, 'quick', 'quick'.length)
  // The first request waits (held here, then sent as it was) until the page has shown the text.
  let release
  const held = new Promise((resolve) => { release = resolve })
  let first = true
  await author.page.route('**/api/rooms/*/suggestions', async (route) => {
    if (first && route.request().method() === 'POST') {
      first = false
      await held
    }
    await route.continue()
  })
  await author.page.keyboard.type(' ree', { delay: 10 })
  // Shown at once on the author's page (before the server answers), while the shared text stays as it was.
  const early = await waitFor(() => marked(author.page), (m) => m.ins.some((i) => i.text === ' ree'), 'the author’s pending insertion')
  check(!early.ins[0].id && early.ins[0].pending, `the insertion was saved before its request went: ${JSON.stringify(early)}`)
  release()
  await waitFor(() => marked(author.page), (m) => m.ins.length === 1 && m.ins[0].id && !m.ins[0].pending, 'the insertion saved')
  await author.page.unroute('**/api/rooms/*/suggestions')
  await author.page.keyboard.press('Backspace')
  await author.page.keyboard.type('d', { delay: 10 })
  await waitFor(() => marked(author.page), (m) => m.ins.length === 1 && m.ins[0].text === ' red', 'the insertion after a Backspace in it')
  check(await pageText(author.page) === initial, `the author's text changed: ${await pageText(author.page)}`)
  await caret(author.page, 'dog')
  for (let n = 0; n < 5; n++) await author.page.keyboard.press('Backspace')
  await waitFor(() => marked(author.page), (m) => m.del.length === 1 && m.del[0].text === 'lazy ', 'the author’s deletion')
  check(await pageText(author.page) === initial, 'the author’s text changed by the deletion')

  // Everyone sees both, marked in the author's colour, with their name on hover and for screen readers.
  await openComments(writer.page)
  const threads = await waitFor(() => listed(writer.page), (l) => l.length === 2 && l.every((t) => t.status === 'open') &&
    l.some((t) => t.what === 'Insert “ red”') && l.some((t) => t.what === 'Delete “lazy ”'), 'the writer’s suggestion threads')
  const ins = threads.find((t) => t.what.startsWith('Insert'))
  const del = threads.find((t) => t.what.startsWith('Delete'))
  check(ins && ins.what === 'Insert “ red”' && del && del.what === 'Delete “lazy ”', `the threads ${JSON.stringify(threads)}`)
  check(threads.every((t) => t.who === authorName && t.accept && !t.withdraw), `who may decide ${JSON.stringify(threads)}`)
  for (const page of [writer.page, watcher.page, author.page]) {
    const m = await waitFor(() => marked(page), (x) => x.ins.length === 1 && x.ins[0].text === ' red' && x.del.length === 1 && x.del[0].text === 'lazy ' && x.ins[0].id && x.del[0].id,
      'the suggestions marked on every page')
    check(m.ins[0].title.includes(authorName) && m.del[0].title.includes(authorName), `titles ${JSON.stringify(m)}`)
    check(m.ins[0].spoken.includes(`${authorName} suggests inserting`) && m.spoken.some((s) => s.includes(`${authorName} suggests deleting`)), `spoken ${JSON.stringify(m)}`)
    check(m.ins[0].colour && m.ins[0].colour === m.del[0].colour, `colours ${JSON.stringify(m)}`)
    check(await pageText(page) === initial, 'a page’s text changed before a decision')
  }
  check(sameText(await serverText('writer', room), initial), 'the server’s text changed before a decision')
  const authorList = await waitFor(() => listed(author.page), (l) => l.length === 2, 'the author’s list')
  check(authorList.every((t) => t.withdraw), `the author cannot withdraw ${JSON.stringify(authorList)}`)

  // A reply on the insertion, as on any thread.
  await writer.page.click(`[data-thread-id="${ins.id}"] .thread-reply`)
  await writer.page.fill(`[data-thread-id="${ins.id}"] textarea`, 'Red it is.')
  await writer.page.click(`[data-thread-id="${ins.id}"] .comment-form button[type="submit"]`)
  await waitFor(() => listed(author.page), (l) => l.find((t) => t.id === ins.id)?.comments.includes('Red it is.'), 'the reply on the author’s page')

  await captureLooks(writer.page, `${room}-open`)
  // The text itself as the author sees it, while suggesting (the panels closed).
  if (await author.page.isVisible('#outline-panel')) await author.page.click('#outline-panel [aria-label="Close the outline"]')
  await captureLooks(author.page, `${room}-marked`)

  // Accept the insertion, reject the deletion (one by one, or all of the author's at once).
  await writer.page.click(`[data-thread-id="${ins.id}"] .suggestion-accept`)
  const expected = initial.replace('quick', 'quick red')
  await waitFor(() => pageText(author.page), (t) => t === expected, 'the accepted text on the author’s page')
  if (bulk) {
    await waitFor(() => writer.page.locator('.suggest-reject-all').count(), (n) => n === 1, 'one "Reject all" button')
    check((await writer.page.textContent('.suggest-reject-all')) === `Reject all from ${authorName}`, 'the Reject all button')
    await writer.page.click('.suggest-reject-all')
  } else {
    await writer.page.click(`[data-thread-id="${del.id}"] .suggestion-reject`)
  }
  for (const page of [writer.page, watcher.page, author.page]) {
    await waitFor(() => pageText(page), (t) => t === expected, 'the text after the decisions')
    await waitFor(() => marked(page), (m) => m.ins.length === 0 && m.del.length === 0, 'no marks after the decisions')
  }
  await waitSaved(writer.page)
  check(sameText(await serverText('writer', room), expected), `the server's text: ${await serverText('writer', room)}`)
  const open = await rest('writer', room, 'GET', '/suggestions?status=all')
  const status = Object.fromEntries(open.items.map((t) => [t.id, t.suggestion.status]))
  check(status[ins.id] === 'accepted' && status[del.id] === 'rejected', `statuses ${JSON.stringify(status)}`)
  check(!(await wrote(writer.page, clientID)), 'the suggester’s page wrote into the document')

  // After a reload: the same text, nothing marked, both in the resolved list.
  await author.page.reload()
  await waitStatus(author.page, 'connected')
  await author.page.waitForFunction(() => window.collab?.surface, null, { timeout: WAIT })
  await waitFor(() => pageText(author.page), (t) => t === expected, 'the text after a reload')
  await openComments(author.page)
  await author.page.check('#comments-show-resolved')
  const after = await waitFor(() => listed(author.page), (l) => l.length === 2, 'the resolved suggestions after a reload')
  check(after.find((t) => t.id === ins.id).status === 'accepted' && after.find((t) => t.id === del.id).status === 'rejected', `after ${JSON.stringify(after)}`)
  check((await marked(author.page)).ins.length === 0, 'marks after a reload')
  return expected
}

const scenarios = {
  /** Plain text: a commenter suggests, the writer decides, a viewer watches. */
  async 'suggest-text' (browser) {
    const writer = await open(browser, 'writer', ROOM)
    await writer.page.click('.cm-content')
    await writer.page.keyboard.type(TEXT, { delay: 5 })
    await waitSaved(writer.page)
    check(JSON.stringify(await modes(writer.page)) === JSON.stringify([{ mode: 'editing', pressed: 'true' }, { mode: 'suggesting', pressed: 'false' }]), 'the writer’s modes')

    const reviewer = await open(browser, 'reviewer', ROOM)
    await waitFor(() => pageText(reviewer.page), (t) => t === TEXT, 'the reviewer’s text')
    check(JSON.stringify(await modes(reviewer.page)) === JSON.stringify([{ mode: 'viewing', pressed: 'true' }, { mode: 'suggesting', pressed: 'false' }]), 'the commenter’s modes')
    // Viewing: nothing typed goes anywhere.
    await reviewer.page.click('.cm-content')
    await reviewer.page.keyboard.type('x')
    check((await marked(reviewer.page)).ins.length === 0 && await pageText(reviewer.page) === TEXT, 'a commenter typed while viewing')
    // The switch by the keyboard: Tab from the text reaches no switch; focus it and press Space.
    await reviewer.page.focus('.mode-button[data-mode="suggesting"]')
    await reviewer.page.keyboard.press('Space')
    await waitFor(() => modes(reviewer.page), (m) => m[1].pressed === 'true', 'Suggesting chosen')
    check(await reviewer.page.getAttribute('.cm-content', 'aria-readonly') !== 'true', 'the commenter’s text stays read-only while suggesting')

    const viewer = await open(browser, 'viewer', ROOM)
    check((await modes(viewer.page)).length === 0, 'a viewer has the mode switch')

    const expected = await suggestAndDecide({ writer, author: reviewer, watcher: viewer, authorName: 'Rita', room: ROOM, caret: caretText })

    // A passage selected, then typing: a replacement (struck passage, new text after it); its
    // new text erased, a deletion; its author withdraws it and it is gone everywhere.
    // The reload brought the commenter back to Viewing; the shortcut chooses Suggesting.
    check((await modes(reviewer.page))[0].pressed === 'true', 'the commenter is not viewing after a reload')
    await reviewer.page.keyboard.press('Control+Alt+Shift+X')
    await waitFor(() => modes(reviewer.page), (m) => m[1].pressed === 'true', 'Suggesting by the shortcut')
    await reviewer.page.evaluate(() => {
      const view = window.collab.view
      const at = view.state.doc.toString().indexOf('brown')
      view.focus()
      view.dispatch({ selection: { anchor: at, head: at + 'brown'.length } })
    })
    await reviewer.page.keyboard.type('tan', { delay: 10 })
    for (const page of [reviewer.page, writer.page]) {
      await waitFor(() => marked(page), (m) => m.del.length === 1 && m.del[0].text === 'brown' && m.ins.length === 1 && m.ins[0].text === 'tan' && m.ins[0].id,
        'the replacement marked')
    }
    await waitFor(() => listed(reviewer.page), (l) => l.some((t) => t.status === 'open' && t.what === 'Replace “brown” with “tan”'), 'the replacement listed')
    // Backspace erases the new text: what is left is a deletion of the passage.
    for (let n = 0; n < 3; n++) await reviewer.page.keyboard.press('Backspace')
    for (const page of [reviewer.page, writer.page]) {
      await waitFor(() => marked(page), (m) => m.del.length === 1 && m.del[0].text === 'brown' && m.del[0].id && m.ins.length === 0,
        'the emptied replacement marked as a deletion')
    }
    const replaced = await waitFor(() => listed(reviewer.page), (l) => l.filter((t) => t.status === 'open').length === 1 && l.some((t) => t.status === 'open' && t.what === 'Delete “brown”'),
      'the deletion listed instead of the replacement')
    const mine = replaced.find((t) => t.status === 'open')
    await reviewer.page.click(`[data-thread-id="${mine.id}"] .suggestion-withdraw`)
    for (const page of [reviewer.page, writer.page, viewer.page]) {
      await waitFor(() => marked(page), (m) => m.del.length === 0 && m.ins.length === 0, 'no marks after withdrawing')
      check(await pageText(page) === expected, 'the text after withdrawing')
    }
    check(await serverText('writer', ROOM) === expected, 'the server’s text after withdrawing')

    // An input method's composition while suggesting: one insertion of the committed text.
    await reviewer.page.evaluate(() => {
      const view = window.collab.view
      const at = view.state.doc.toString().indexOf('dog')
      view.focus()
      view.dispatch({ selection: { anchor: at } })
    })
    const ime = await reviewer.page.context().newCDPSession(reviewer.page)
    await ime.send('Input.imeSetComposition', { text: 'に', selectionStart: 1, selectionEnd: 1 })
    await ime.send('Input.imeSetComposition', { text: 'にほん', selectionStart: 3, selectionEnd: 3 })
    await ime.send('Input.insertText', { text: '日本' })
    for (const page of [reviewer.page, writer.page]) {
      await waitFor(() => marked(page), (m) => m.ins.length === 1 && m.ins[0].text === '日本' && m.ins[0].id && !m.ins[0].pending, 'the composed insertion marked')
      await waitFor(() => page.evaluate(() => {
        const copy = document.querySelector('.cm-content').cloneNode(true)
        for (const mark of copy.querySelectorAll('ins.suggest-ins')) mark.remove()
        return copy.textContent
      }), (t) => !/[にほ日本]/.test(t), 'no trace of the composition outside its mark')
      check(await pageText(page) === expected, 'the text changed by a composition')
    }
    const [composed] = (await listed(reviewer.page)).filter((t) => t.status === 'open')
    await reviewer.page.click(`[data-thread-id="${composed.id}"] .suggestion-withdraw`)
    await waitFor(() => marked(writer.page), (m) => m.ins.length === 0, 'the composed insertion withdrawn')
    await ime.detach()

    // Enter, then typing straight on: one insertion of a line break and the new line's text,
    // shown with a pilcrow and a break; accepted, the line is split on every page.
    await caretText(reviewer.page, 'dog.', 4)
    await reviewer.page.keyboard.press('Enter')
    await reviewer.page.keyboard.type('Next', { delay: 10 })
    check(!await reviewer.page.evaluate(() => window.collab.view.composing), 'the editor still composes after the input method is done')
    for (const page of [reviewer.page, writer.page]) {
      await waitFor(() => marked(page), (m) => m.ins.length === 1 && m.ins[0].text === '¶Next' && m.ins[0].breaks === 1 && m.ins[0].id && !m.ins[0].pending,
        'the line break and its text marked as one insertion')
      check(await pageText(page) === expected, 'the text changed by suggesting a line break')
    }
    const [broken] = (await listed(writer.page)).filter((t) => t.status === 'open')
    check(broken.what === 'Insert “¶Next”', `the line break listed as ${broken.what}`)
    await writer.page.click(`[data-thread-id="${broken.id}"] .suggestion-accept`)
    for (const page of [writer.page, reviewer.page, viewer.page]) {
      await waitFor(() => pageText(page), (t) => t === `${expected}\nNext`, 'the accepted line break in the text')
      await waitFor(() => marked(page), (m) => m.ins.length === 0, 'no marks after accepting the line break')
    }
    check(await serverText('writer', ROOM) === `${expected}\nNext`, 'the server’s text after accepting the line break')
    noPageErrors(writer, reviewer, viewer)
  },

  /** Rich text: an editor switches to Suggesting (Ctrl+Alt+Shift+X), suggests; the writer
   * accepts one and rejects the rest with "Reject all from"; a commenter watches. */
  async 'suggest-rich' (browser) {
    const writer = await open(browser, 'writer', RICH_ROOM, '?kind=rich')
    check(await writer.page.evaluate(() => window.collab.kind) === 'rich', 'not the rich editor')
    await writer.page.evaluate((t) => window.collab.editor.chain().focus().setContent(`<h1>Notes</h1><p>${t.replace('fox', '<strong>fox</strong>')}</p><p>Second paragraph.</p>`).run(), TEXT)
    await waitSaved(writer.page)
    const full = `Notes\n${TEXT}\nSecond paragraph.`
    check(await pageText(writer.page) === full, `the writer's text ${await pageText(writer.page)}`)

    const editor = await open(browser, 'third', RICH_ROOM)
    await waitFor(() => pageText(editor.page), (t) => t === full, 'the editor’s text')
    check(await editor.page.locator('.toolbar .mode-switch').count() === 1, 'no mode switch in the toolbar')
    await caretRich(editor.page, 'quick')
    await editor.page.keyboard.press('Control+Alt+Shift+X')
    await waitFor(() => modes(editor.page), (m) => m[1].mode === 'suggesting' && m[1].pressed === 'true', 'Suggesting by the shortcut')
    const reviewer = await open(browser, 'reviewer', RICH_ROOM)
    await waitFor(() => pageText(reviewer.page), (t) => t === full, 'the reviewer’s text')

    await suggestAndDecide({ writer, author: editor, watcher: reviewer, authorName: 'Theo', room: RICH_ROOM, caret: caretRich, bulk: true, initial: full })
    // Backspace takes one's own pending insertion back to nothing: withdrawn everywhere.
    await editor.page.keyboard.press('Control+Alt+Shift+X')
    await waitFor(() => modes(editor.page), (m) => m[1].pressed === 'true', 'Suggesting again after the reload')
    await caretRich(editor.page, 'Second', 'Second'.length)
    await editor.page.keyboard.type('ab', { delay: 10 })
    await waitFor(() => marked(writer.page), (m) => m.ins.length === 1 && m.ins[0].text === 'ab', 'the second insertion on the writer’s page')
    await editor.page.keyboard.press('Backspace')
    await editor.page.keyboard.press('Backspace')
    await waitFor(() => marked(editor.page), (m) => m.ins.length === 0, 'the insertion gone on its author’s page')
    await waitFor(() => marked(writer.page), (m) => m.ins.length === 0, 'the withdrawn insertion on the writer’s page')
    await waitFor(async () => (await rest('writer', RICH_ROOM, 'GET', '/suggestions?status=open')).items.length, (n) => n === 0, 'open suggestions after withdrawing')
    // Delete (forward) three times before "paragraph": one deletion of "par", rejected.
    await caretRich(editor.page, 'paragraph')
    for (let n = 0; n < 3; n++) await editor.page.keyboard.press('Delete')
    await waitFor(() => marked(writer.page), (m) => m.del.length === 1 && m.del[0].text === 'par' && m.del[0].id, 'the forward deletion on the writer’s page')
    const [par] = await waitFor(() => listed(writer.page), (l) => l.filter((t) => t.status === 'open').length === 1 && l[0].what === 'Delete “par”', 'the forward deletion listed')
    await writer.page.click(`[data-thread-id="${par.id}"] .suggestion-reject`)
    await waitFor(() => marked(editor.page), (m) => m.del.length === 0, 'the rejected deletion on its author’s page')

    // Enter while suggesting: a paragraph break and the new paragraph's text are one insertion,
    // its break shown by a pilcrow; accepted, the paragraph is split there on every page.
    await caretRich(editor.page, 'Second paragraph.', 'Second paragraph.'.length)
    await editor.page.keyboard.press('Enter')
    await editor.page.keyboard.type('Third', { delay: 10 })
    const [brk] = (await waitFor(() => marked(writer.page), (m) => m.ins.length === 1 && m.ins[0].text === '¶Third' && m.ins[0].breaks === 1 && m.ins[0].id, 'the suggested paragraph on the writer’s page')).ins
    check(brk.spoken.includes('(new paragraph)'), `the break is not said: ${brk.spoken}`)
    await waitFor(() => listed(writer.page), (l) => l.some((t) => t.id === brk.id && t.what === 'Insert “¶Third”'), 'the suggested paragraph listed')
    check((await pageText(writer.page)).endsWith('\nSecond paragraph.'), 'the text changed before the accept')
    await captureLooks(writer.page, 'rich-suggest-paragraph')
    await writer.page.click(`[data-thread-id="${brk.id}"] .suggestion-accept`)
    for (const [who, page] of [['author', editor.page], ['reviewer', reviewer.page], ['writer', writer.page]]) {
      await waitFor(() => pageText(page), (t) => t.endsWith('\nSecond paragraph.\nThird'), `the split paragraph on the ${who}’s page`)
    }
    await waitFor(() => marked(editor.page), (m) => m.ins.length === 0, 'the accepted paragraph unmarked on its author’s page')

    // An input method's composition (Japanese here) while suggesting: the committed text is
    // one insertion, and the document itself is unchanged on every page.
    await caretRich(editor.page, 'Third', 'Third'.length)
    const ime = await editor.page.context().newCDPSession(editor.page)
    await ime.send('Input.imeSetComposition', { text: 'に', selectionStart: 1, selectionEnd: 1 })
    await ime.send('Input.imeSetComposition', { text: 'にほん', selectionStart: 3, selectionEnd: 3 })
    await ime.send('Input.insertText', { text: '日本' })
    const [composed] = (await waitFor(() => marked(writer.page), (m) => m.ins.length === 1 && m.ins[0].text === '日本' && m.ins[0].id, 'the composed insertion on the writer’s page')).ins
    await waitFor(() => marked(editor.page), (m) => m.ins.length === 1 && m.ins[0].text === '日本' && !m.ins[0].pending, 'the composed insertion saved on its author’s page')
    for (const [who, page] of [['author', editor.page], ['writer', writer.page]]) {
      await waitFor(() => pageText(page), (t) => t.endsWith('\nSecond paragraph.\nThird'), `the text unchanged by the composition on the ${who}’s page`)
    }
    // What the page shows, not only its state: no trace of the composition outside the mark.
    await waitFor(() => editor.page.evaluate(() => {
      const copy = document.querySelector('#editor .ProseMirror').cloneNode(true)
      for (const mark of copy.querySelectorAll('ins.suggest-ins, .collaboration-carets__caret')) mark.remove()
      return copy.textContent
    }), (t) => !/[にほ日本]/.test(t) && t.endsWith('Third'), 'the composition’s text only in its mark on its author’s page')
    await writer.page.click(`[data-thread-id="${composed.id}"] .suggestion-reject`)
    await waitFor(() => marked(editor.page), (m) => m.ins.length === 0, 'the rejected composition gone on its author’s page')
    await ime.detach()
    // Keys typed after the composition are suggested as ever, each adding to the one insertion.
    await caretRich(editor.page, 'Third', 'Third'.length)
    await editor.page.keyboard.type('ly', { delay: 10 })
    const [after] = (await waitFor(() => marked(writer.page), (m) => m.ins.length === 1 && m.ins[0].text === 'ly' && m.ins[0].id, 'the keys typed after a composition on the writer’s page')).ins
    await writer.page.click(`[data-thread-id="${after.id}"] .suggestion-reject`)
    await waitFor(() => marked(editor.page), (m) => m.ins.length === 0, 'the rejected insertion gone on its author’s page')

    // An empty paragraph, as y-tiptap writes one (an element with no text node in it): the
    // writer makes it by Enter at the end; the suggester types there, and then presses Enter
    // and types again. The page's point names the paragraph itself; accepting writes the text
    // into it and splits it there, as typing and Enter would.
    await caretRich(writer.page, 'Third', 'Third'.length)
    await writer.page.keyboard.press('Enter')
    await waitFor(() => editor.page.evaluate(() => {
      const last = window.collab.editor.state.doc.lastChild
      return last.type.name === 'paragraph' && last.content.size === 0
    }), (empty) => empty, 'the empty paragraph on the suggester’s page')
    await editor.page.evaluate(() => window.collab.editor.chain().focus().setTextSelection(window.collab.editor.state.doc.content.size - 1).run())
    await editor.page.waitForFunction(() => window.collab.editor.view.hasFocus(), null, { timeout: WAIT })
    await editor.page.keyboard.type('Four', { delay: 10 })
    await editor.page.keyboard.press('Enter')
    await editor.page.keyboard.type('Five', { delay: 10 })
    const [empty] = (await waitFor(() => marked(writer.page), (m) => m.ins.length === 1 && m.ins[0].text === 'Four¶Five' && m.ins[0].id && !m.ins[0].pending, 'the insertion in the empty paragraph on the writer’s page')).ins
    await waitFor(() => listed(writer.page), (l) => l.some((t) => t.id === empty.id && t.what === 'Insert “Four¶Five”'), 'the insertion in the empty paragraph listed')
    await captureLooks(writer.page, 'rich-suggest-empty-paragraph')
    await writer.page.click(`[data-thread-id="${empty.id}"] .suggestion-accept`)
    for (const [who, page] of [['author', editor.page], ['reviewer', reviewer.page], ['writer', writer.page]]) {
      await waitFor(() => pageText(page), (t) => t.endsWith('\nThird\nFour\nFive'), `the empty paragraph filled on the ${who}’s page`)
    }
    await waitFor(() => serverText('writer', RICH_ROOM), (t) => t.replace(/\n+/g, '\n').endsWith('\nThird\nFour\nFive'), 'the empty paragraph filled on the server')
    await waitFor(() => marked(editor.page), (m) => m.ins.length === 0, 'the accepted insertion unmarked on its author’s page')

    // Formatting while suggesting: Ctrl+B over "Second" (the keyboard) and the Italic button
    // over "paragraph" (the toolbar) become format suggestions, drawn as they would look; the
    // document keeps its marks until the writer accepts one and rejects the other. Ctrl+B
    // again over the same passage takes the bold back, and Bold once more suggests it again.
    const select = async (page, needle) => {
      const from = await richPos(page, needle)
      await page.evaluate(([a, b]) => window.collab.editor.chain().focus().setTextSelection({ from: a, to: b }).run(), [from, from + needle.length])
    }
    await select(editor.page, 'Second')
    await editor.page.keyboard.press('Control+b')
    const formats = (page) => page.evaluate(() => [...document.querySelectorAll('#editor .suggest-format')].map((el) => ({
      text: el.textContent, id: el.dataset.suggestion || null, bold: getComputedStyle(el).fontWeight === '700', italic: getComputedStyle(el).fontStyle === 'italic', title: el.title
    })))
    await waitFor(() => formats(writer.page), (f) => f.length === 1 && f[0].text === 'Second' && f[0].bold && f[0].id && f[0].title.includes('Theo'), 'the suggested bold on the writer’s page')
    await editor.page.keyboard.press('Control+b')
    await waitFor(() => formats(writer.page), (f) => f.length === 0, 'the bold taken back by Ctrl+B again')
    await editor.page.keyboard.press('Control+b')
    await select(editor.page, 'paragraph')
    await editor.page.click('.toolbar button[data-tool="italic"]')
    const [boldSecond, italicParagraph] = await waitFor(() => formats(writer.page), (f) => f.length === 2 && f.every((x) => x.id) && f[0].bold && f[1].italic, 'both format suggestions on the writer’s page')
    check(!(await writer.page.evaluate(() => window.collab.editor.getHTML())).includes('<strong>Second'), 'the bold is in the document before an accept')
    await waitFor(() => listed(writer.page), (l) => l.some((t) => t.id === boldSecond.id && t.what === 'Format “Second”: bold') && l.some((t) => t.id === italicParagraph.id && t.what === 'Format “paragraph”: italic'), 'the format suggestions listed')
    await captureLooks(writer.page, 'rich-suggest-format')
    await writer.page.click(`[data-thread-id="${boldSecond.id}"] .suggestion-accept`)
    await writer.page.click(`[data-thread-id="${italicParagraph.id}"] .suggestion-reject`)
    for (const [who, page] of [['author', editor.page], ['reviewer', reviewer.page], ['writer', writer.page]]) {
      await waitFor(() => page.evaluate(() => window.collab.editor.getHTML()), (h) => h.includes('<strong>Second</strong> paragraph.') && !h.includes('<em>'), `the accepted bold on the ${who}’s page`)
      await waitFor(() => formats(page), (f) => f.length === 0, `no format suggestion left on the ${who}’s page`)
    }

    // Back to Editing: typing changes the text again.
    await editor.page.click('.mode-button[data-mode="editing"]')
    await caretRich(editor.page, 'Second', 'Second'.length)
    await editor.page.keyboard.type(' new')
    await waitFor(() => pageText(writer.page), (t) => t.includes('Second new paragraph.'), 'an edit after Editing again')
    noPageErrors(writer, editor, reviewer)
    log('done')
  },

  /** An agent limited to suggesting reads the document over MCP and suggests a change (the
   *  test runs the MCP SDK's client when asked); the writer's open page shows it marked with
   *  the agent's name, and she accepts it. */
  async 'mcp-suggestion' (browser) {
    const room = 'q3-plan'
    const initial = 'The plan ships in March.'
    const writer = await open(browser, 'writer', room)
    await waitFor(() => pageText(writer.page), (t) => t === initial, 'the text on the writer’s page')
    await openComments(writer.page)
    await control('mcp-suggest')
    const m = await waitFor(() => marked(writer.page), (x) => x.ins.length === 1 && x.ins[0].text === 'April' &&
      x.del.length === 1 && x.del[0].text === 'March' && x.ins[0].id, 'the agent’s suggestion marked on the open page')
    check(m.ins[0].title.includes('Scribe') && m.del[0].title.includes('Scribe'), `titles ${JSON.stringify(m)}`)
    const [thread] = await waitFor(() => listed(writer.page), (l) => l.length === 1 && l[0].status === 'open', 'the agent’s suggestion listed')
    check(thread.what === 'Replace “March” with “April”' && thread.who.includes('Scribe') && thread.accept, `the thread ${JSON.stringify(thread)}`)
    check(await pageText(writer.page) === initial, 'the text changed before anyone accepted')
    await writer.page.click(`[data-thread-id="${thread.id}"] .suggestion-accept`)
    const expected = 'The plan ships in April.'
    await waitFor(() => pageText(writer.page), (t) => t === expected, 'the accepted text on the writer’s page')
    await waitFor(() => serverText('writer', room), (t) => t === expected, 'the accepted text on the server')
    await waitFor(() => marked(writer.page), (x) => x.ins.length === 0 && x.del.length === 0, 'no marks after the accept')
    noPageErrors(writer)
    log('done')
  }
}

run(scenarios)
