// Browser end-to-end scenarios for the rich-text (Tiptap) editor, run by
// tests/browser/test_rich_editor.py; see common.mjs for how they are driven.
import { join } from 'node:path'
import {
  WAIT, baseUrl, outdir, check, control, log, openEditor, run, sideBySide, waitSaved, waitStatus
} from './common.mjs'

/** A rich editor page; page errors (Tiptap or y-prosemirror throwing) fail the scenario. */
async function openRich (browser, room, options = {}) {
  const opened = await openEditor(browser, room, options)
  opened.errors = []
  opened.page.on('pageerror', (err) => opened.errors.push(err.message))
  await opened.page.waitForSelector('.rich-content', { timeout: WAIT })
  check(await opened.page.evaluate(() => window.collab.kind) === 'rich', `${room} did not open in rich mode`)
  return opened
}

function html (page) {
  return page.evaluate(() => window.collab.editor.getHTML())
}

/** The document as HTML, without remote carets, once `predicate` holds. */
async function waitHtml (page, predicate, what, timeout = WAIT) {
  const deadline = Date.now() + timeout
  let now = ''
  while (Date.now() < deadline) {
    now = await html(page)
    if (predicate(now)) return now
    await page.waitForTimeout(100)
  }
  throw new Error(`${what}: document is ${now}`)
}

async function typeAtEnd (page, words) {
  await page.click('.rich-content')
  await page.keyboard.press('Control+End')
  await page.keyboard.type(words, { delay: 10 })
}

async function tool (page, name) {
  await page.click(`.toolbar [data-tool="${name}"]`)
}

/** From the start: a heading (toolbar), then a paragraph of `plain` and `bold` (Mod-b). */
async function headingThenBold (page, heading, title, plain, bold) {
  await page.click('.rich-content')
  await tool(page, heading)
  await page.keyboard.type(title, { delay: 10 })
  await page.keyboard.press('Enter')
  await page.keyboard.type(plain, { delay: 10 })
  await page.keyboard.press('Control+b')
  await page.keyboard.type(bold, { delay: 10 })
  await page.keyboard.press('Control+b')
}

async function snapshot (room, format) {
  const res = await fetch(`${baseUrl}/api/rooms/${room}/snapshot?format=${format}`)
  check(res.ok, `snapshot ${format}: ${res.status}`)
  return res.text()
}

function noErrors (...opened) {
  const errors = opened.flatMap((o) => o.errors)
  check(errors.length === 0, `page errors: ${errors.join(' | ')}`)
}

const scenarios = {
  /** Two people write with the toolbar, shortcuts and Markdown shortcuts at once; both pages
   *  converge, carets carry names, and the server stores the structure. */
  async 'rich-concurrent' (browser) {
    const room = 'rich-room'
    const a = await openRich(browser, room, { name: 'Alice', query: '?kind=rich', viewport: { width: 820, height: 640 } })
    const b = await openRich(browser, room, { name: 'Bob', viewport: { width: 820, height: 640 } })
    await headingThenBold(a.page, 'heading1', 'Launch plan', 'We ship ', 'on Friday')
    await a.page.keyboard.type('.', { delay: 10 })
    await waitHtml(b.page, (h) => h.includes('<strong>on Friday</strong>'), 'B never saw A\'s bold text')
    // At once: A adds a numbered list from the toolbar, B a task list from its Markdown shortcut.
    await Promise.all([
      (async () => {
        await typeAtEnd(a.page, '')
        await a.page.keyboard.press('Enter')
        await tool(a.page, 'orderedList')
        await a.page.keyboard.type('Write the notes', { delay: 10 })
        await a.page.keyboard.press('Enter')
        await a.page.keyboard.type('Tell the team', { delay: 10 })
      })(),
      (async () => {
        await b.page.click('.rich-content h1')
        await b.page.keyboard.press('End')
        await b.page.keyboard.press('Enter')
        await b.page.keyboard.type('[ ] Book the room', { delay: 10 })
      })()
    ])
    const want = (h) => h.includes('<ol>') && h.includes('Tell the team') && h.includes('data-type="taskList"') && h.includes('Book the room')
    const htmlA = await waitHtml(a.page, want, 'A misses a list')
    await waitHtml(b.page, (h) => h === htmlA, 'B differs from A')
    // Marks from the toolbar: italic, strike, inline code, and a link through Ctrl+K.
    await typeAtEnd(b.page, '')
    await b.page.keyboard.press('Enter')
    await b.page.keyboard.press('Enter')
    await tool(b.page, 'italic')
    await b.page.keyboard.type('maybe', { delay: 10 })
    await tool(b.page, 'italic')
    await b.page.keyboard.type(' see ', { delay: 10 })
    await b.page.keyboard.press('Control+k')
    await b.page.fill('.link-form input', 'https://example.com/plan')
    await b.page.press('.link-form input', 'Enter')
    await waitHtml(a.page, (h) => h.includes('<em>maybe</em>') && h.includes('href="https://example.com/plan"'), 'A misses B\'s marks')
    // The caret after the link is out of it (what follows is not linked); one step back, in it.
    check(await b.page.getAttribute('.toolbar [data-tool="link"]', 'aria-pressed') === 'false', 'link button pressed after a link')
    await b.page.keyboard.press('ArrowLeft')
    await b.page.waitForSelector('.toolbar [data-tool="link"][aria-pressed="true"]', { timeout: WAIT })
    // Carets with names, both ways.
    await a.page.click('.rich-content h1')
    await b.page.waitForFunction(() => [...document.querySelectorAll('.collaboration-carets__label')].some((el) => el.textContent === 'Alice'), null, { timeout: WAIT })
    await a.page.waitForFunction(() => [...document.querySelectorAll('.collaboration-carets__label')].some((el) => el.textContent === 'Bob'), null, { timeout: WAIT })
    await b.page.waitForSelector('#presence [data-name="Alice"]', { timeout: WAIT })
    await Promise.all([waitSaved(a.page), waitSaved(b.page)])
    await sideBySide(browser, [a.page, b.page], join(outdir, 'rich-two-editors.png'))
    const markdown = await snapshot(room, 'markdown')
    for (const part of ['# Launch plan', '**on Friday**', '1. Write the notes', '2. Tell the team', '- [ ] Book the room', '*maybe*', '(https://example.com/plan)']) {
      check(markdown.includes(part), `stored Markdown lacks ${JSON.stringify(part)}:\n${markdown}`)
    }
    const room2 = await (await fetch(`${baseUrl}/api/rooms/${room}`)).json()
    check(room2.kind === 'rich', `REST kind ${room2.kind}`)
    noErrors(a, b)
    log(`markdown: ${JSON.stringify(markdown)}`)
  },

  /** Offline edits stay in the browser and merge on reconnect; text survives a reload and a
   *  server restart; a page opened later (no browser copy) gets it from the database. */
  async 'rich-offline' (browser) {
    const room = 'rich-offline-room'
    const a = await openRich(browser, room, { name: 'Alice', query: '?kind=rich' })
    const b = await openRich(browser, room, { name: 'Bob' })
    await typeAtEnd(a.page, 'Online words.')
    await waitHtml(b.page, (h) => h.includes('Online words.'), 'B before offline')
    await a.context.setOffline(true)
    await waitStatus(a.page, 'offline')
    await a.page.keyboard.press('Enter')
    await tool(a.page, 'bulletList')
    await a.page.keyboard.type('Written offline', { delay: 10 })
    await waitSaved(a.page, 'unsaved')
    await b.page.waitForTimeout(1000)
    check(!(await html(b.page)).includes('offline'), 'B got offline words while A was offline')
    await a.context.setOffline(false)
    await waitStatus(a.page, 'connected')
    await waitHtml(b.page, (h) => h.includes('<ul><li><p>Written offline</p></li></ul>'), 'B after A came back')
    await waitSaved(a.page)
    const done = await html(a.page)
    await a.page.reload()
    await waitStatus(a.page, 'connected')
    await a.page.waitForSelector('.rich-content')
    await waitHtml(a.page, (h) => h === done, 'after reload')
    await control('stop')
    await control('start')
    const c = await openRich(browser, room, { name: 'Carol' })
    await waitHtml(c.page, (h) => h === done, 'fresh page after restart')
    noErrors(a, b, c)
  },

  /** Pasting from a word processor or a web page keeps headings, lists, marks and links;
   *  undo takes back only the person's own change. */
  async 'rich-paste-undo' (browser) {
    const room = 'rich-paste-room'
    const a = await openRich(browser, room, { name: 'Alice', query: '?kind=rich' })
    const b = await openRich(browser, room, { name: 'Bob' })
    await a.page.click('.rich-content')
    const pasted = '<meta charset="utf-8"><h2 style="font-family:Calibri">Minutes</h2><p class="MsoNormal"><b>Decided:</b> <i>go</i> with <a href="https://example.org/">the plan</a></p><ul><li>first point</li><li>second point</li></ul>'
    await a.page.evaluate((markup) => {
      const data = new DataTransfer()
      data.setData('text/html', markup)
      data.setData('text/plain', 'Minutes\nDecided: go with the plan\nfirst point\nsecond point')
      document.querySelector('.rich-content').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }))
    }, pasted)
    const want = ['<h2>Minutes</h2>', '<strong>Decided:</strong>', '<em>go</em>', 'href="https://example.org/"', '<li><p>first point</p></li><li><p>second point</p></li>']
    const after = await waitHtml(b.page, (h) => want.every((w) => h.includes(w)), 'B misses the pasted structure')
    check(!after.includes('Calibri') && !after.includes('MsoNormal'), `word processor styles kept: ${after}`)
    await waitSaved(a.page)
    await typeAtEnd(b.page, ' Bob was here')
    await waitHtml(a.page, (h) => h.includes('Bob was here'), 'A misses B\'s words')
    await a.page.click('.rich-content h2')
    await a.page.keyboard.press('Control+z')
    await waitHtml(b.page, (h) => !h.includes('Minutes') && h.includes('Bob was here'), 'undo in A took more or less than A\'s paste')
    await a.page.keyboard.press('Control+Shift+z')
    await waitHtml(b.page, (h) => h.includes('<h2>Minutes</h2>') && h.includes('Bob was here'), 'redo in A')
    noErrors(a, b)
  },

  /** History on a rich document: save a version, change text and marks, preview the changes
   *  as text, restore with two Tiptap pages open; both get the old structure and marks back. */
  async 'rich-history' (browser) {
    const room = 'rich-history-room'
    const a = await openRich(browser, room, { name: 'Ada', query: '?kind=rich', viewport: { width: 1280, height: 820 } })
    const b = await openRich(browser, room, { name: 'Ben' })
    await headingThenBold(a.page, 'heading2', 'First draft', 'Keep this ', 'bold')
    const draft = await waitHtml(b.page, (h) => h.includes('<strong>bold</strong>'), 'B misses the draft')
    await Promise.all([waitSaved(a.page), waitSaved(b.page)])
    await a.page.click('#side-toggle')
    await a.page.fill('#version-label', 'First draft')
    await a.page.click('#save-version button[type="submit"]')
    await a.page.waitForSelector('#version-list .version-item[data-kind="named"]', { timeout: WAIT })
    // Change words and formatting: unbold, and add a quote.
    await a.page.dblclick('.rich-content strong')
    await a.page.keyboard.press('Control+b')
    await typeAtEnd(a.page, '')
    await a.page.keyboard.press('Enter')
    await tool(a.page, 'blockquote')
    await a.page.keyboard.type('A later thought', { delay: 10 })
    // And a deletion, which an undo after the restore must not bring back a second time.
    await a.page.click('.rich-content p')
    await a.page.keyboard.press('Home')
    for (let i = 0; i < 'Keep '.length; i++) await a.page.keyboard.press('Delete')
    await waitHtml(b.page, (h) => h.includes('<blockquote>') && !h.includes('<strong>') && !h.includes('Keep'), 'B misses the changes')
    await waitSaved(a.page)
    await a.page.click('#version-list .version-item[data-kind="named"]')
    await a.page.waitForSelector('#diff-view ins.diff-insert', { timeout: WAIT })
    const shown = await a.page.textContent('#diff-view')
    check(shown.includes('First draft') && shown.includes('A later thought'), `diff shows ${JSON.stringify(shown)}`)
    await a.page.screenshot({ path: join(outdir, 'rich-history.png') })
    await a.page.click('#restore-button')
    await a.page.click('#restore-yes')
    await waitHtml(a.page, (h) => h === draft, 'A after restore')
    await waitHtml(b.page, (h) => h === draft, 'B after restore')
    await a.page.click('.rich-content h2')
    await a.page.keyboard.press('Control+z')
    await a.page.keyboard.press('Control+z')
    await a.page.waitForTimeout(800)
    check(await html(a.page) === draft, `undo after the restore changed the document to ${await html(a.page)}`)
    // Both can go on writing in the restored document.
    await typeAtEnd(b.page, ' and more')
    await waitHtml(a.page, (h) => h.includes('and more'), 'A after B types post-restore')
    noErrors(a, b)
  },

  /** A document a Tiptap client filled opens in the rich editor from its plain address, and a
   *  viewer gets no toolbar. */
  async 'rich-detect' (browser) {
    const room = 'rich-detect-room'
    const a = await openRich(browser, room, { name: 'Alice', query: '?kind=rich' })
    await typeAtEnd(a.page, 'Made in Tiptap')
    await waitSaved(a.page)
    const res = await fetch(`${baseUrl}/api/rooms/${room}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"kind": "text"}' })
    const asked = await res.json()
    check(res.status === 200 && asked.kind === 'rich', `asking a rich document for text answered ${res.status} ${asked.kind}`)
    const b = await openRich(browser, room, { name: 'Bob', query: '?kind=text' })
    await waitHtml(b.page, (h) => h.includes('Made in Tiptap'), 'B in rich mode')
    check(await b.page.isVisible('.toolbar'), 'no toolbar for an editor')
    const home = await b.context.newPage()
    await home.goto('/')
    check(await home.textContent(`.room-item[data-kind="rich"] .room-name`) === room, 'home page does not mark the document rich')
    await home.screenshot({ path: join(outdir, 'home-kinds.png') })
    noErrors(a, b)
  },

  /**
   * An agent edits the first paragraph as Markdown over REST (PATCH .../content) while a
   * person's caret sits at the end of the second: the page shows the new words and mark, the
   * caret stays where it was (the second paragraph kept its Yjs items), and what she types
   * next lands there.
   */
  async 'rich-agent-markdown' (browser) {
    const room = 'rich-agent-markdown'
    const rest = (method, path, body) => fetch(`${baseUrl}/api/rooms/${room}${path}`, {
      method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body)
    })
    check((await rest('PUT', '', { kind: 'rich' })).status === 201, 'room not made')
    const first = '# Plan\n\nFirst paragraph.\n\nSecond paragraph here.\n'
    check((await rest('PATCH', '/content', { markdown: first })).ok, 'first content refused')
    const a = await openRich(browser, room, { name: 'Ada' })
    await waitHtml(a.page, (h) => h.includes('Second paragraph here.'), 'the content arrived')
    await a.page.click('.rich-content p:nth-of-type(2)')
    await a.page.keyboard.press('End')
    const caret = () => a.page.evaluate(() => {
      const { state } = window.collab.editor
      const at = state.doc.resolve(state.selection.from)
      return { text: at.parent.textContent, offset: at.parentOffset, size: at.parent.content.size }
    })
    const before = await caret()
    check(before.text === 'Second paragraph here.' && before.offset === before.size, `caret ${JSON.stringify(before)}`)
    const edited = await rest('PATCH', '/content', {
      markdown: first.replace('First paragraph.', 'First paragraph, **rewritten by the agent**.')
    })
    check(edited.ok, `the agent's edit: ${edited.status}`)
    const counts = await edited.json()
    check(counts.kept === 2 && counts.changed === 1, `edit counts ${JSON.stringify(counts)}`)
    await waitHtml(a.page, (h) => h.includes('<strong>rewritten by the agent</strong>'), 'the agent\'s edit shows')
    const after = await caret()
    check(JSON.stringify(after) === JSON.stringify(before), `the caret moved: ${JSON.stringify(after)}`)
    await a.page.keyboard.type(' More.', { delay: 10 })
    await waitSaved(a.page)
    const markdown = await snapshot(room, 'markdown')
    check(markdown === '# Plan\n\nFirst paragraph, **rewritten by the agent**.\n\nSecond paragraph here. More.\n',
      `markdown is ${JSON.stringify(markdown)}`)
    noErrors(a)
  }
}

run(scenarios)