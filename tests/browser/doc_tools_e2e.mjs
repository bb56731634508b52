// Browser end-to-end scenarios for the tools beside the text (issue 25 items 3 and 4): find and
// replace in rich text, the outline, word and character counts, the keyboard shortcuts help.
// Run by tests/browser/test_doc_tools.py; see common.mjs for how they are driven.
import { join } from 'node:path'
import {
  SHOTS, WAIT, captureLooks, check, checkAxe, log, openEditor, openPage, run, waitSaved, waitStatus
} from './common.mjs'

const TOKENS = JSON.parse(process.env.COLLAB_E2E_TOKENS || '{}')
const FIND_ROOM = 'find-room'

/** Wait until `read()` satisfies `predicate`; fail naming `what` with the last value. */
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

async function openAs (browser, who, query = '', viewport = { width: 1000, height: 700 }) {
  const opened = await openPage(browser, `/d/${FIND_ROOM}${query}#token=${TOKENS[who]}`, { viewport })
  opened.errors = []
  opened.page.on('pageerror', (err) => opened.errors.push(err.message))
  await waitStatus(opened.page, 'connected')
  await opened.page.waitForFunction(() => window.collab, null, { timeout: WAIT })
  await opened.page.waitForSelector('.rich-content', { timeout: WAIT })
  return opened
}

async function openKind (browser, room, kind, options) {
  const opened = await openEditor(browser, room, { ...options, query: `?kind=${kind}` })
  opened.errors = []
  opened.page.on('pageerror', (err) => opened.errors.push(err.message))
  await opened.page.waitForSelector(kind === 'rich' ? '.rich-content' : '.cm-content', { timeout: WAIT })
  return opened
}

const richText = (page) => page.evaluate(() => window.collab.editor.getText({ blockSeparator: '\n' }))
const findCount = (page) => page.textContent('#find-count')
const current = (page) => page.evaluate(() => [...document.querySelectorAll('.find-match.is-current')].map((n) => n.textContent).join(''))
const outlineItems = (page) => page.evaluate(() => [...document.querySelectorAll('#outline-panel .outline-link')].map((b) => b.textContent))
const counts = (page) => page.textContent('#doc-counts')

function noErrors (...opened) {
  const errors = opened.flatMap((o) => o.errors)
  check(errors.length === 0, `page errors: ${errors.join(' | ')}`)
}

const FIND_DOC = '<p>The <strong>qu</strong><em>ick</em> brown fox jumps over the quick dog.</p>' +
  '<h2>Quick notes</h2><p>A <a href="https://example.com">qui</a>ck end.</p>'

const scenarios = {
  /** Find across marks, next and previous, match case, Replace, Replace all undone in one
   *  step; a viewer finds but cannot replace. */
  async 'rich-find' (browser) {
    const writer = await openAs(browser, 'writer', '?kind=rich')
    const { page } = writer
    await page.evaluate((html) => window.collab.editor.chain().setContent(html).setTextSelection(1).focus().run(), FIND_DOC)
    await waitSaved(page)
    await page.keyboard.press('Control+f')
    await page.waitForSelector('.find-bar', { state: 'visible', timeout: WAIT })
    check(await page.evaluate(() => document.activeElement.id) === 'find-query', 'Ctrl+F did not focus the find field')
    check(await page.getAttribute('#find-count', 'aria-live') === 'polite', 'the count is not a live region')
    await page.keyboard.type('quick')
    // Four matches, one split over <strong> and <em>, one over a link and plain text.
    await waitFor(() => findCount(page), (c) => c === '1 of 4', 'count after typing')
    check(await current(page) === 'quick', `current match across marks: ${await current(page)}`)
    check(await page.locator('.find-match').count() >= 6, 'the marks-spanning matches are not highlighted in parts')
    await captureLooks(page, 'find-bar')
    // Far down a long document, the current match shows below the sticky toolbar and find bar.
    await page.evaluate(() => {
      const filler = Array.from({ length: 60 }, (_, i) => `<p>Line ${i + 1} of filler.</p>`).join('')
      const editor = window.collab.editor
      editor.chain().insertContentAt(editor.state.doc.content.size, filler + '<p>The last zebra.</p>').run()
    })
    await page.fill('#find-query', 'zebra')
    await waitFor(() => findCount(page), (c) => c === '1 of 1', 'count for a match far down')
    const shown = await page.evaluate(() => {
      const top = document.querySelector('.find-match.is-current').getBoundingClientRect().top
      return { top, under: document.querySelector('.toolbar-wrap').getBoundingClientRect().bottom, height: innerHeight }
    })
    check(shown.top >= shown.under && shown.top < shown.height - 40, `the far match is not in sight: ${JSON.stringify(shown)}`)
    await page.evaluate(() => {
      const editor = window.collab.editor
      const end = editor.state.doc.content.size
      const start = editor.state.doc.child(0).nodeSize + editor.state.doc.child(1).nodeSize + editor.state.doc.child(2).nodeSize
      editor.chain().deleteRange({ from: start, to: end }).setTextSelection(1).run()
    })
    check(await richText(page) === 'The quick brown fox jumps over the quick dog.\nQuick notes\nA quick end.', `text after the filler went: ${await richText(page)}`)
    await page.fill('#find-query', 'quick')
    await waitFor(() => findCount(page), (c) => c === '1 of 4', 'count again')
    await page.focus('#find-query')
    await page.keyboard.press('Enter')
    await waitFor(() => findCount(page), (c) => c === '2 of 4', 'Enter: next')
    await page.keyboard.press('Shift+Enter')
    await waitFor(() => findCount(page), (c) => c === '1 of 4', 'Shift+Enter: previous')
    await page.keyboard.press('Shift+Enter')
    await waitFor(() => findCount(page), (c) => c === '4 of 4', 'Shift+Enter wraps to the last')
    check(await current(page) === 'quick', 'the last match (link + plain) is not current')
    // Match case: "Quick notes" no longer counts.
    await page.check('#find-case')
    await waitFor(() => findCount(page), (c) => c === '3 of 3', 'match case')
    // Replace the current one ("A quick end"), then all the others at once.
    await page.fill('#find-replace', 'slow')
    await page.click('[data-find="replace"]')
    await waitFor(() => richText(page), (t) => t.includes('A slow end.'), 'Replace')
    await waitFor(() => findCount(page), (c) => c === '1 of 2', 'count after Replace')
    await page.fill('#find-replace', 'fast')
    await page.click('[data-find="replace-all"]')
    const replaced = await waitFor(() => richText(page), (t) => !t.includes('quick'), 'Replace all')
    check(replaced.includes('The fast brown fox jumps over the fast dog.') && replaced.includes('Quick notes'), `after Replace all: ${replaced}`)
    check((await findCount(page)) === 'Replaced 2', `count after Replace all: ${await findCount(page)}`)
    // Esc closes the bar and gives the text the focus; one undo brings every "quick" back.
    await page.focus('#find-query')
    await page.keyboard.press('Escape')
    await page.waitForSelector('.find-bar', { state: 'hidden', timeout: WAIT })
    // (Tiptap's focus command gives the focus on the next animation frame.)
    await page.waitForFunction(() => document.activeElement?.classList.contains('ProseMirror'), null, { timeout: WAIT })
      .catch(() => check(false, 'Esc did not return the focus to the text'))
    check(await page.locator('.find-match').count() === 0, 'highlights stay after closing')
    await page.keyboard.press('Control+z')
    const undone = await waitFor(() => richText(page), (t) => !t.includes('fast'), 'one undo after Replace all')
    check(undone.includes('The quick brown fox jumps over the quick dog.') && undone.includes('A slow end.'), `after one undo: ${undone}`)
    log(`after undo: ${await page.evaluate(() => window.collab.editor.getHTML())}`)
    await waitSaved(page)

    // A viewer finds (Ctrl+F in the read-only text) but has nothing to replace with.
    const viewer = await openAs(browser, 'viewer')
    await waitFor(() => richText(viewer.page), (t) => t === undone, 'the viewer’s text')
    await viewer.page.click('.rich-content p')
    await viewer.page.keyboard.press('Control+f')
    await viewer.page.waitForSelector('.find-bar', { state: 'visible', timeout: WAIT })
    check(await viewer.page.locator('#find-replace, [data-find="replace"], [data-find="replace-all"]').count() === 0, 'a viewer has replace controls')
    await viewer.page.fill('#find-query', 'quick')
    await waitFor(() => findCount(viewer.page), (c) => / of 3$/.test(c), 'the viewer’s count')
    await viewer.page.keyboard.press('Enter')
    check(await richText(viewer.page) === undone, 'the viewer changed the text')
    noErrors(writer, viewer)
  },

  /** The outline lists headings a second page types, at once; a click puts the caret there
   *  and shows it below the header; phones start without it; plain text reads Markdown. */
  async 'outline-live' (browser) {
    const room = 'outline-room'
    const a = await openKind(browser, room, 'rich', { name: 'Alice', viewport: { width: 1280, height: 800 } })
    const b = await openKind(browser, room, 'rich', { name: 'Bob', viewport: { width: 900, height: 700 } })
    check(await a.page.isVisible('#outline-panel'), 'the outline is not open on a wide screen')
    check(await b.page.isHidden('#outline-panel'), 'the outline is open on a narrower screen')
    await a.page.waitForSelector('.outline-empty', { state: 'visible', timeout: WAIT })
    await b.page.click('.rich-content')
    await b.page.click('.toolbar [data-tool="heading1"]')
    await b.page.keyboard.type('Launch plan', { delay: 10 })
    await waitFor(() => outlineItems(a.page), (i) => i.join('|') === 'Launch plan', 'A’s outline after B’s first heading')
    await b.page.keyboard.press('Enter')
    await b.page.evaluate(() => {
      const filler = Array.from({ length: 40 }, (_, i) => `<p>Paragraph ${i + 1} of the plan.</p>`).join('')
      window.collab.editor.chain().focus('end').insertContent(filler).run()
    })
    await b.page.keyboard.press('Enter')
    await b.page.click('.toolbar [data-tool="heading2"]')
    await b.page.keyboard.type('Risks', { delay: 10 })
    await b.page.evaluate(() => {
      const filler = Array.from({ length: 30 }, (_, i) => `<p>Risk ${i + 1} and what we do about it.</p>`).join('')
      window.collab.editor.chain().focus('end').insertContent(filler).run()
    })
    await waitFor(() => outlineItems(a.page), (i) => i.join('|') === 'Launch plan|Risks', 'A’s outline after B’s second heading')
    // The paragraphs after Risks must be on A's page too, or there is nothing to scroll it up by.
    await waitFor(() => a.page.evaluate(() => window.collab.editor.getText().includes('Risk 30 and')), (has) => has, 'B’s paragraphs after Risks on A’s page')
    check(await a.page.getAttribute('#outline-panel .outline-item:nth-child(2)', 'data-level') === '2', 'Risks is not a level 2 entry')
    await a.page.click('#outline-panel .outline-link >> text=Risks')
    // (Tiptap's focus command gives the focus on the next animation frame.)
    await a.page.waitForFunction(() => document.activeElement?.classList.contains('ProseMirror'), null, { timeout: WAIT })
      .catch(() => check(false, 'the click on a heading did not give the text the focus'))
    const at = await a.page.evaluate(() => {
      const { $from } = window.collab.editor.state.selection
      const h2 = [...document.querySelectorAll('.rich-content h2')].find((h) => h.textContent === 'Risks')
      const under = document.querySelector('.toolbar-wrap').getBoundingClientRect().bottom
      return { text: $from.parent.textContent, offset: $from.parentOffset, focus: document.activeElement.classList.contains('ProseMirror'), top: h2.getBoundingClientRect().top, under, height: innerHeight }
    })
    check(at.text === 'Risks' && at.offset === 0 && at.focus, `caret after the click: ${JSON.stringify(at)}`)
    check(at.top >= at.under && at.top < at.height / 2, `Risks is not shown below the header and toolbar: ${JSON.stringify(at)}`)
    await captureLooks(a.page, 'outline')

    // The window narrowed to a phone's width with the outline open: it would be a sheet over
    // the text, so it closes (not remembered as the person's choice); widened, it is back.
    // The looks narrowed the window to 390 px and back: the outline closed, and opens again on
    // the resize event that widening sends, which may come after the viewport call returns.
    await a.page.waitForSelector('#outline-panel', { state: 'visible', timeout: WAIT })
      .catch(() => check(false, 'the outline is not open at 1280 px after the looks'))
    await a.page.setViewportSize({ width: 390, height: 844 })
    await a.page.waitForSelector('#outline-panel', { state: 'hidden', timeout: WAIT })
      .catch(() => check(false, 'the outline stayed open (a sheet over the text) when the window narrowed'))
    const narrow = await a.page.evaluate(() => {
      const text = document.querySelector('.rich-content').getBoundingClientRect()
      const x = text.left + text.width / 2
      const y = Math.min(innerHeight - 1, Math.max(text.top, 0) + 200)
      return {
        expanded: document.getElementById('outline-toggle').getAttribute('aria-expanded'),
        open: document.body.classList.contains('outline-open'),
        onTop: !!document.elementFromPoint(x, y)?.closest('.rich-content'),
        stored: localStorage.getItem('collab:outline')
      }
    })
    check(narrow.expanded === 'false' && !narrow.open && narrow.onTop && narrow.stored !== 'closed', `narrowed with the outline open: ${JSON.stringify(narrow)}`)
    await a.page.setViewportSize({ width: 1280, height: 800 })
    await a.page.waitForSelector('#outline-panel', { state: 'visible', timeout: WAIT })
      .catch(() => check(false, 'the outline closed by narrowing did not come back when the window widened'))

    // A phone starts without the outline; its toggle opens it as a sheet.
    const phone = await openKind(browser, room, 'rich', { name: 'Pia', viewport: { width: 390, height: 844 } })
    check(await phone.page.isHidden('#outline-panel'), 'the outline is open on a phone')
    await phone.page.click('#outline-toggle')
    await waitFor(() => outlineItems(phone.page), (i) => i.join('|') === 'Launch plan|Risks', 'the phone’s outline')
    check(await phone.page.getAttribute('#outline-toggle', 'aria-expanded') === 'true', 'the toggle is not expanded')
    for (const scheme of ['light', 'dark']) {
      await phone.page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' })
      await phone.page.screenshot({ path: join(SHOTS, `outline-sheet-390-${scheme}.png`) })
      await checkAxe(phone.page, `the outline sheet at 390 px, ${scheme}`)
    }
    await phone.page.emulateMedia({ colorScheme: 'light' })
    await phone.page.click('#outline-panel .outline-link >> text=Risks')
    await phone.page.waitForSelector('#outline-panel', { state: 'hidden', timeout: WAIT })

    // Plain text: Markdown headings, not those in a code fence.
    const textRoom = 'outline-text-room'
    const c = await openKind(browser, textRoom, 'text', { name: 'Carol', viewport: { width: 1280, height: 800 } })
    await c.page.evaluate(() => window.collab.ytext.insert(0, '# Notes\n\nSome words.\n\n```\n# not a heading\n```\n\n## Next steps\n'))
    const d = await openKind(browser, textRoom, 'text', { name: 'Dan', viewport: { width: 1280, height: 800 } })
    await waitFor(() => outlineItems(d.page), (i) => i.join('|') === 'Notes|Next steps', 'D’s Markdown outline')
    await c.page.click('.cm-content')
    await c.page.keyboard.press('Control+End')
    await c.page.keyboard.type('\n### Typed live', { delay: 10 })
    await waitFor(() => outlineItems(d.page), (i) => i.join('|') === 'Notes|Next steps|Typed live', 'D’s outline after C typed')
    await d.page.click('#outline-panel .outline-link >> text=Next steps')
    const caret = await d.page.evaluate(() => ({ head: window.collab.view.state.selection.main.head, want: window.collab.ytext.toString().indexOf('## Next steps'), focus: window.collab.view.hasFocus }))
    check(caret.head === caret.want && caret.focus, `plain-text caret after the click: ${JSON.stringify(caret)}`)
    noErrors(a, b, phone, c, d)
  },

  /** Counts of the whole document, and of the selection when there is one, in both editors. */
  async counts (browser) {
    const r = await openKind(browser, 'counts-rich', 'rich', { name: 'Rita', viewport: { width: 1280, height: 800 } })
    await r.page.evaluate(() => window.collab.editor.chain().setContent('<p>One <strong>two</strong> three</p><p>four five</p>').setTextSelection(1).focus().run())
    await waitFor(() => counts(r.page), (c) => c === '5 words · 22 characters', 'rich document counts')
    await r.page.evaluate(() => {
      const text = window.collab.editor.state.doc.textBetween(0, window.collab.editor.state.doc.content.size, '\n', '\n')
      const from = text.indexOf('two') + 1
      window.collab.editor.chain().setTextSelection({ from, to: from + 'two three'.length }).focus().run()
    })
    await waitFor(() => counts(r.page), (c) => c === '2 of 5 words · 9 of 22 characters', 'rich selection counts')
    // The outline (open on a wide screen) closes from its toggle, which says so.
    await r.page.click('#outline-toggle')
    await r.page.waitForSelector('#outline-panel', { state: 'hidden', timeout: WAIT })
    check(await r.page.getAttribute('#outline-toggle', 'aria-expanded') === 'false', 'the toggle still says expanded')
    await captureLooks(r.page, 'counts')
    const t = await openKind(browser, 'counts-text', 'text', { name: 'Tom' })
    await t.page.click('.cm-content')
    await t.page.keyboard.type('Hello big world', { delay: 10 })
    await t.page.keyboard.press('Enter')
    await t.page.keyboard.type('again 😀', { delay: 10 })
    await waitFor(() => counts(t.page), (c) => c === '4 words · 22 characters', 'plain document counts')
    await t.page.evaluate(() => window.collab.view.dispatch({ selection: { anchor: 6, head: 9 } }))
    await waitFor(() => counts(t.page), (c) => c === '1 of 4 words · 3 of 22 characters', 'plain selection counts')
    noErrors(r, t)
  },

  /** `?` outside the text and Ctrl+/ anywhere open the help; Esc closes it; Bold is listed with
   *  its shortcut; neither key changes the text. */
  async shortcuts (browser) {
    const r = await openKind(browser, 'keys-rich', 'rich', { name: 'Kim', viewport: { width: 1280, height: 800 } })
    await r.page.click('.rich-content')
    await r.page.keyboard.type('Some words', { delay: 10 })
    // Esc leaves the text (keyboard.js); there `?` opens the help.
    await r.page.keyboard.press('Escape')
    const outside = await r.page.evaluate(() => document.activeElement.id)
    await r.page.keyboard.press('?')
    await r.page.waitForSelector('#shortcuts-dialog[open]', { timeout: WAIT })
    const rows = await r.page.evaluate(() => [...document.querySelectorAll('#shortcuts-dialog .shortcuts-row')].map((row) => [row.querySelector('dt').textContent, row.querySelector('kbd').textContent]))
    const bold = rows.find(([label]) => label === 'Bold')
    check(bold && bold[1] === 'Ctrl+B', `Bold in the help: ${JSON.stringify(rows)}`)
    for (const label of ['Italic', 'Heading 1', 'Bulleted list', 'Link', 'Find', 'Undo your last change', 'Comment on the selection']) {
      check(rows.some(([l]) => l === label), `the help lacks ${label}: ${JSON.stringify(rows)}`)
    }
    await captureLooks(r.page, 'shortcuts')
    await r.page.keyboard.press('Tab')
    check(await r.page.evaluate(() => !!document.activeElement.closest('#shortcuts-dialog')), 'the focus left the dialog')
    await r.page.keyboard.press('Escape')
    await r.page.waitForSelector('#shortcuts-dialog:not([open])', { state: 'attached', timeout: WAIT })
    check(await r.page.evaluate(() => document.activeElement.id) === outside, 'the focus did not come back')
    // Ctrl+/ in the text opens it too; `?` in the text is typed.
    await r.page.click('.rich-content')
    await r.page.keyboard.press('End')
    await r.page.keyboard.press('Control+/')
    await r.page.waitForSelector('#shortcuts-dialog[open]', { timeout: WAIT })
    await r.page.keyboard.press('Escape')
    await r.page.waitForSelector('#shortcuts-dialog:not([open])', { state: 'attached', timeout: WAIT })
    check(await r.page.evaluate(() => document.activeElement.classList.contains('ProseMirror')), 'the focus did not return to the text')
    await r.page.keyboard.press('?')
    await waitFor(() => richText(r.page), (text) => text === 'Some words?', 'a ? typed in the text')
    check(await r.page.evaluate(() => !document.getElementById('shortcuts-dialog').open), '? in the text opened the help')
    // Plain text: Ctrl+/ opens the help instead of CodeMirror's toggle comment.
    const t = await openKind(browser, 'keys-text', 'text', { name: 'Kai' })
    await t.page.click('.cm-content')
    await t.page.keyboard.type('plain', { delay: 10 })
    await t.page.keyboard.press('Control+/')
    await t.page.waitForSelector('#shortcuts-dialog[open]', { timeout: WAIT })
    check(await t.page.evaluate(() => window.collab.ytext.toString()) === 'plain', 'Ctrl+/ changed the plain text')
    const plainRows = await t.page.evaluate(() => [...document.querySelectorAll('#shortcuts-dialog dt')].map((n) => n.textContent))
    check(plainRows.includes('Find and replace') && !plainRows.includes('Bold'), `plain-text help: ${plainRows}`)
    await t.page.keyboard.press('Escape')
    await t.page.waitForSelector('#shortcuts-dialog:not([open])', { state: 'attached', timeout: WAIT })
    noErrors(r, t)
  }
}

await run(scenarios)
