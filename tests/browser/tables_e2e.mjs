// Browser end-to-end scenarios for tables in the rich-text (Tiptap) editor, run by
// tests/browser/test_tables.py; see common.mjs for how they are driven.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  WAIT, baseUrl, outdir, captureLooks, check, focusEnd, log, openEditor, openPage, run, waitSaved, waitStatus
} from './common.mjs'

const TOKENS = JSON.parse(process.env.COLLAB_E2E_TOKENS || '{}')

async function openRich (browser, room, options = {}) {
  const opened = await openEditor(browser, room, options)
  opened.errors = []
  // (openEditor's init script, which stores the name, runs in every frame: in the History
  // panel's sandboxed version frame it cannot reach localStorage. Not the page's error.)
  opened.page.on('pageerror', (err) => {
    if (!/sandboxed and lacks the 'allow-same-origin' flag/.test(err.message)) opened.errors.push(err.message)
  })
  await opened.page.waitForSelector('.rich-content', { timeout: WAIT })
  check(await opened.page.evaluate(() => window.collab.kind) === 'rich', `${room} did not open in rich mode`)
  return opened
}

function noErrors (...opened) {
  const errors = opened.flatMap((o) => o.errors)
  check(errors.length === 0, `page errors: ${errors.join(' | ')}`)
}

/** The document's tables as rows of cells: "#" before a header cell's text, a cell's
 *  paragraphs joined with "\n". */
function tables (page) {
  return page.evaluate(() => {
    const found = []
    const text = (node) => node.text || (node.content || []).map(text).join('')
    const cell = (c) => (c.type === 'tableHeader' ? '#' : '') + (c.content || []).map(text).join('\n')
    const walk = (node) => {
      if (node.type === 'table') found.push(node.content.map((row) => (row.content || []).map(cell)))
      else (node.content || []).forEach(walk)
    }
    walk(window.collab.editor.getJSON())
    return found
  })
}

async function waitTables (page, want, what, timeout = WAIT) {
  const deadline = Date.now() + timeout
  const wanted = JSON.stringify(want)
  let now = []
  while (Date.now() < deadline) {
    now = await tables(page)
    if (JSON.stringify(now) === wanted) return now
    await page.waitForTimeout(100)
  }
  throw new Error(`${what}: tables are ${JSON.stringify(now)}, want ${wanted}`)
}

const html = (page) => page.evaluate(() => window.collab.editor.getHTML())

async function waitHtml (page, want, what) {
  const deadline = Date.now() + WAIT
  let now = ''
  while (Date.now() < deadline) {
    now = await html(page)
    if (now === want) return
    await page.waitForTimeout(100)
  }
  throw new Error(`${what}: document is ${now}, want ${want}`)
}

async function snapshot (room, format) {
  const res = await fetch(`${baseUrl}/api/rooms/${room}/snapshot?format=${format}`)
  check(res.ok, `snapshot ${format}: ${res.status}`)
  return res.text()
}

async function waitSnapshot (room, format, part) {
  const deadline = Date.now() + WAIT
  let now = ''
  while (Date.now() < deadline) {
    now = await snapshot(room, format)
    if (now.includes(part)) return now
    await new Promise((resolve) => setTimeout(resolve, 150))
  }
  throw new Error(`stored ${format} lacks ${JSON.stringify(part)}:\n${now}`)
}

const tool = (page, name) => page.click(`.toolbar [data-tool="${name}"]`)
const cellAt = (row, column) => `.rich-content table tr:nth-child(${row}) > :nth-child(${column})`

/** Type cell after cell, Tab between them. */
async function fill (page, words) {
  for (const [i, word] of words.entries()) {
    if (i) await page.keyboard.press('Tab')
    await page.keyboard.type(word, { delay: 5 })
  }
}

/** The cursor at the end of the document: the paragraph after the last table. */
async function toEnd (page) {
  await focusEnd(page)
  check(!(await page.evaluate(() => window.collab.editor.isActive('table'))), 'the document ends in a table')
}

/** Paste `data` ({type: text}) into the editor as a real paste event. */
function paste (page, data) {
  return page.evaluate((items) => {
    const transfer = new DataTransfer()
    for (const [type, text] of Object.entries(items)) transfer.setData(type, text)
    document.querySelector('.rich-content').dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }))
  }, data)
}

const TABLE = [['#Owner', '#Task', '#Due'], ['Ada', 'Spec | review', 'Mon'], ['Bob', 'Build', 'Tue!'], ['Cy', 'Test', 'Wed']]
const MARKDOWN = '| Owner | Task | Due |\n| --- | --- | --- |\n| Ada | Spec \\| review | Mon |\n| Bob | Build | Tue! |\n| Cy | Test | Wed |\n'

// A table with spans, a column width and alignment, set as HTML in a real editor; the server's
// renderings of it. tests/content/test_tables.py reads the same table from the Yjs update this
// scenario writes to test-output/browser/tiptap-table.yjs (copied to tests/content/).
const SPANS_HTML = '<p>Budget</p><table><tbody>' +
  '<tr><th colwidth="150"><p>Item</p></th><th style="text-align: right"><p>Q1</p></th><th style="text-align: center"><p>Q2</p></th></tr>' +
  '<tr><td rowspan="2"><p>Rent</p></td><td colspan="2"><p>Paid <strong>yearly</strong> | in advance</p></td></tr>' +
  '<tr><td><p>1</p></td><td><p>2</p><p>more</p></td></tr></tbody></table><p>End</p>'
export const SPANS = {
  markdown: 'Budget\n\n| Item | Q1 | Q2 |\n| --- | ---: | :---: |\n| Rent | Paid **yearly** \\| in advance |  |\n|  | 1 | 2<br>more |\n\nEnd\n',
  html: '<p>Budget</p><table><thead><tr><th><p>Item</p></th><th style="text-align: right"><p>Q1</p></th><th style="text-align: center"><p>Q2</p></th></tr></thead>' +
    '<tbody><tr><td rowspan="2"><p>Rent</p></td><td colspan="2"><p>Paid <strong>yearly</strong> | in advance</p></td></tr>' +
    '<tr><td><p>1</p></td><td><p>2</p><p>more</p></td></tr></tbody></table><p>End</p>',
  text: 'Budget\n\nItem\tQ1\tQ2\nRent\tPaid yearly | in advance\n\t1\t2 more\n\nEnd\n'
}

const scenarios = {
  /** Insert a table from the toolbar, fill it with Tab (a new row from the last cell), go back
   *  with Shift+Tab; add and remove a row and a column, turn the header row off and on, insert
   *  one with the shortcut and delete it. The other page converges; the server renders the
   *  table; restoring a version brings the table back as it was. */
  async 'table-edit' (browser) {
    const room = 'table-room'
    const a = await openRich(browser, room, { name: 'Ada', query: '?kind=rich', viewport: { width: 1280, height: 800 } })
    const b = await openRich(browser, room, { name: 'Bob' })
    const { page } = a
    await page.click('.rich-content')
    await page.keyboard.type('Plan', { delay: 5 })
    await page.keyboard.press('Enter')
    check(await page.isHidden('.table-tools'), 'table tools shown outside a table')
    await tool(page, 'table')
    await page.waitForSelector('.table-tools', { state: 'visible', timeout: WAIT })
    check(await page.isDisabled('.toolbar [data-tool="table"]'), 'Insert table enabled inside a table')
    await fill(page, ['Owner', 'Task', 'Due', 'Ada', 'Spec | review', 'Mon', 'Bob', 'Build', 'Tue'])
    await page.keyboard.press('Tab') // in the last cell: a new row
    await page.keyboard.type('Cy', { delay: 5 })
    await page.keyboard.press('Shift+Tab') // back to "Tue" (its text selected)
    await page.keyboard.press('End')
    await page.keyboard.type('!', { delay: 5 })
    await page.keyboard.press('Tab')
    await page.keyboard.press('End')
    await page.keyboard.press('Tab')
    await fill(page, ['Test', 'Wed'])
    await waitTables(page, [TABLE], 'A after typing')
    await waitTables(b.page, [TABLE], 'B after A typed')

    // A column to the right of "Task", filled, then deleted.
    await page.click(`${cellAt(2, 2)} p`)
    await tool(page, 'addColumnAfter')
    await page.click(`${cellAt(2, 3)} p`)
    await page.keyboard.type('Note', { delay: 5 })
    const withColumn = TABLE.map((row, r) => [...row.slice(0, 2), r === 1 ? 'Note' : (r === 0 ? '#' : ''), ...row.slice(2)])
    await waitTables(b.page, [withColumn], 'B after a column was added')
    await tool(page, 'deleteColumn')
    await waitTables(b.page, [TABLE], 'B after the column was deleted')
    // A row above "Bob", then deleted.
    await page.click(`${cellAt(3, 1)} p`)
    await tool(page, 'addRowBefore')
    const withRow = [...TABLE.slice(0, 2), ['', '', ''], ...TABLE.slice(2)]
    await waitTables(b.page, [withRow], 'B after a row was added')
    await page.click(`${cellAt(3, 1)} p`)
    await tool(page, 'deleteRow')
    await waitTables(b.page, [TABLE], 'B after the row was deleted')
    // The header row off and on.
    check(await page.getAttribute('.table-tools [data-tool="toggleHeaderRow"]', 'aria-pressed') === 'true', 'header row not shown as on')
    await tool(page, 'toggleHeaderRow')
    await waitTables(b.page, [TABLE.map((row) => row.map((c) => c.replace('#', '')))], 'B after the header row went')
    check(await page.getAttribute('.table-tools [data-tool="toggleHeaderRow"]', 'aria-pressed') === 'false', 'header row still shown as on')
    await tool(page, 'toggleHeaderRow')
    await waitTables(b.page, [TABLE], 'B after the header row came back')
    // The shortcut inserts a table (below "Plan"); Delete table removes it.
    await page.click('.rich-content > p')
    await page.keyboard.press('End')
    await page.keyboard.press('Enter')
    await page.keyboard.press('Control+Alt+Shift+T')
    await waitTables(b.page, [[['#', '#', '#'], ['', '', ''], ['', '', '']], TABLE], 'B after the shortcut')
    await tool(page, 'deleteTable')
    await waitTables(b.page, [TABLE], 'B after Delete table')
    const inTable = await page.evaluate(() => window.collab.editor.isActive('table'))
    check(await page.isVisible('.table-tools') === inTable, `table tools ${inTable ? 'hidden in' : 'shown outside'} a table`)

    // The server's renderings of the table the editor made.
    const markdown = await waitSnapshot(room, 'markdown', MARKDOWN)
    check(markdown.startsWith('Plan\n\n'), `Markdown: ${JSON.stringify(markdown)}`)
    const page1 = await snapshot(room, 'html')
    for (const part of ['<table><thead><tr><th><p>Owner</p></th><th><p>Task</p></th><th><p>Due</p></th></tr></thead>', '<td><p>Spec | review</p></td>', '<tr><td><p>Cy</p></td><td><p>Test</p></td><td><p>Wed</p></td></tr></tbody></table>']) {
      check(page1.includes(part), `HTML lacks ${part}: ${page1}`)
    }
    const text = await snapshot(room, 'text')
    check(text.includes('Owner\tTask\tDue\nAda\tSpec | review\tMon\nBob\tBuild\tTue!\nCy\tTest\tWed\n'), `text: ${JSON.stringify(text)}`)
    log(`markdown: ${JSON.stringify(markdown)}`)

    // A version with the table; the table changes; the restore brings it back on both pages.
    await Promise.all([waitSaved(page), waitSaved(b.page)])
    const saved = await html(page)
    await page.click('#side-toggle')
    await page.fill('#version-label', 'With the table')
    await page.click('#save-version button[type="submit"]')
    await page.waitForSelector('#version-list .version-item[data-kind="named"]', { timeout: WAIT })
    await page.click(`${cellAt(3, 1)} p`)
    await tool(page, 'deleteRow')
    await page.click(`${cellAt(2, 1)} p`)
    await page.keyboard.press('End')
    await page.keyboard.type(' Lovelace', { delay: 5 })
    await tool(page, 'addColumnAfter')
    const changed = [['#Owner', '#', '#Task', '#Due'], ['Ada Lovelace', '', 'Spec | review', 'Mon'], ['Cy', '', 'Test', 'Wed']]
    await waitTables(b.page, [changed], 'B after the changes')
    await waitSaved(page)
    await page.click('#version-list .version-item[data-kind="named"]')
    await page.waitForSelector('#diff-view ins.diff-insert, #diff-view del.diff-delete', { timeout: WAIT })
    const shown = await page.textContent('#diff-view')
    check(shown.includes('Bob') && shown.includes('Lovelace'), `diff shows ${JSON.stringify(shown)}`)
    await page.screenshot({ path: join(outdir, 'table-history.png') })
    // The version in full: the table rendered, its header row a <thead>.
    await page.click('#tab-full')
    const frame = await (await page.waitForSelector('#full-view iframe.full-rich', { timeout: WAIT })).contentFrame()
    await frame.waitForSelector('table thead th', { timeout: WAIT })
    const cells = await frame.evaluate(() => [...document.querySelectorAll('tr')].map((tr) => [...tr.children].map((c) => c.textContent)))
    check(JSON.stringify(cells) === JSON.stringify(TABLE.map((row) => row.map((c) => c.replace('#', '')))), `the version in full shows ${JSON.stringify(cells)}`)
    await page.screenshot({ path: join(outdir, 'table-history-full.png') })
    await page.click('#restore-button')
    await page.click('#restore-yes')
    await waitHtml(page, saved, 'A after restore')
    await waitHtml(b.page, saved, 'B after restore')
    await waitSnapshot(room, 'markdown', MARKDOWN)
    noErrors(a, b)
  },

  /** Pasting a table: the HTML a spreadsheet puts on the clipboard keeps its cells (bug 3:
   *  they were glued into one paragraph); tab-separated text alone becomes a table with a
   *  header row; one line with a tab stays text. */
  async 'table-paste' (browser) {
    const room = 'table-paste-room'
    const a = await openRich(browser, room, { name: 'Ada', query: '?kind=rich' })
    const b = await openRich(browser, room, { name: 'Bob' })
    const { page } = a
    await page.click('.rich-content')
    // As Google Sheets writes it (no header cells), with the same cells as text beside it.
    const sheets = '<meta charset="utf-8"><google-sheets-html-origin><style type="text/css"><!--td {border: 1px solid #cccccc;}--></style>' +
      '<table xmlns="http://www.w3.org/1999/xhtml" cellspacing="0" cellpadding="0" dir="ltr" border="1" style="table-layout:fixed;font-size:10pt;font-family:Arial;width:0px;border-collapse:collapse;border:none">' +
      '<colgroup><col width="100"><col width="100"></colgroup><tbody>' +
      '<tr style="height:21px;"><td style="overflow:hidden;padding:2px 3px 2px 3px;vertical-align:bottom;">Owner</td><td style="overflow:hidden;padding:2px 3px 2px 3px;vertical-align:bottom;">Task</td></tr>' +
      '<tr style="height:21px;"><td>Ada</td><td>Spec</td></tr><tr style="height:21px;"><td>Bob</td><td>Build</td></tr></tbody></table></google-sheets-html-origin>'
    await paste(page, { 'text/html': sheets, 'text/plain': 'Owner\tTask\nAda\tSpec\nBob\tBuild' })
    const fromHtml = [['Owner', 'Task'], ['Ada', 'Spec'], ['Bob', 'Build']]
    await waitTables(b.page, [fromHtml], 'B after the HTML paste')
    check(!(await html(b.page)).includes('OwnerTask'), 'cells glued together')
    // Text alone: a quoted cell may hold a line break and quotes.
    await toEnd(page)
    await paste(page, { 'text/plain': 'Name\tQty\r\nApples\t3\r\nPears\t"two\nlines, ""ripe"""\r\n' })
    const fromText = [['#Name', '#Qty'], ['Apples', '3'], ['Pears', 'two\nlines, "ripe"']]
    await waitTables(b.page, [fromHtml, fromText], 'B after the text paste')
    // One line with a tab, or a single column: text, no table.
    await toEnd(page)
    await paste(page, { 'text/plain': 'just\tone line' })
    await page.keyboard.press('Enter')
    await paste(page, { 'text/plain': 'one\ncolumn' })
    await b.page.waitForFunction(() => window.collab.editor.getText().includes('column'), null, { timeout: WAIT })
    check((await tables(b.page)).length === 2, 'a table made of text that is no grid')
    check((await html(b.page)).includes('<p>just\tone line</p>'), `one line: ${await html(b.page)}`)
    // In a cell, a pasted grid fills the cells from there.
    await page.locator('.rich-content table').first().locator('tr:nth-child(2) > :nth-child(2) p').click()
    await paste(page, { 'text/plain': 'Plan\tx\nDraft\ty' })
    const filled = [['Owner', 'Task', ''], ['Ada', 'Plan', 'x'], ['Bob', 'Draft', 'y']]
    await waitTables(b.page, [filled, fromText], 'B after a paste into cells (no header cells in the middle)')
    // From Google Docs: the table inside its <b id="docs-internal-guid-…"> wrapper (not bold),
    // a <p> in each cell, a bold run in the first row (no header cells).
    await toEnd(page)
    const run = (text, bold) => `<span style="font-size:11pt;font-family:Arial,sans-serif;color:#000000;background-color:transparent;font-weight:${bold ? 700 : 400};font-style:normal;font-variant:normal;text-decoration:none;vertical-align:baseline;white-space:pre;white-space:pre-wrap;">${text}</span>`
    const docsCell = (text, bold) => '<td style="border-left:solid #000000 1pt;border-right:solid #000000 1pt;border-bottom:solid #000000 1pt;border-top:solid #000000 1pt;vertical-align:top;padding:5pt 5pt 5pt 5pt;overflow:hidden;overflow-wrap:break-word;">' +
      `<p dir="ltr" style="line-height:1.2;margin-top:0pt;margin-bottom:0pt;">${run(text, bold)}</p></td>`
    const docs = '<meta charset="utf-8"><b style="font-weight:normal;" id="docs-internal-guid-5d2f8a31-7fff-3c1e-9b0a-2f6c1d4e8a77"><div dir="ltr" style="margin-left:0pt;" align="left">' +
      '<table style="border:none;border-collapse:collapse;"><colgroup><col width="200" /><col width="200" /><col width="200" /></colgroup><tbody>' +
      '<tr style="height:0pt">' + docsCell('Step', true) + docsCell('Owner', true) + docsCell('When', true) + '</tr>' +
      '<tr style="height:0pt">' + docsCell('Draft', false) + docsCell('Ada', false) + docsCell('May 2', false) + '</tr>' +
      '<tr style="height:0pt">' + docsCell('Review &amp; sign', false) + docsCell('Bob', false) + docsCell('May 9', false) + '</tr>' +
      '</tbody></table></div><br /></b>'
    await paste(page, { 'text/html': docs, 'text/plain': 'Step\tOwner\tWhen\nDraft\tAda\tMay 2\nReview & sign\tBob\tMay 9' })
    const fromDocs = [['Step', 'Owner', 'When'], ['Draft', 'Ada', 'May 2'], ['Review & sign', 'Bob', 'May 9']]
    await waitTables(b.page, [filled, fromText, fromDocs], 'B after the Google Docs paste')
    // From Word: mso- styles, <p class=MsoNormal> in the cells with Word's line breaks and
    // <o:p> marks, an empty cell as Word writes it (&nbsp;), the last row one cell over two
    // columns.
    await toEnd(page)
    const wordCell = (text, extra = '') => `<td width=301 valign=top ${extra}style='width:225.4pt;border:solid windowtext 1.0pt;mso-border-alt:solid windowtext .5pt;padding:0cm 5.4pt 0cm 5.4pt'>\n  <p class=MsoNormal><span lang=EN-GB style='mso-ansi-language:EN-GB'>${text}<o:p></o:p></span></p>\n  </td>`
    const word = '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns="http://www.w3.org/TR/REC-html40">\n' +
      '<head><meta http-equiv=Content-Type content="text/html; charset=utf-8"><meta name=ProgId content=Word.Document><meta name=Generator content="Microsoft Word 15">' +
      '<style><!--\n p.MsoNormal, li.MsoNormal, div.MsoNormal {mso-style-unhide:no; mso-style-qformat:yes; margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif;}\n table.MsoTableGrid {mso-style-name:"Table Grid"; mso-tstyle-rowband-size:0;}\n--></style></head>\n' +
      "<body lang=EN-GB style='tab-interval:36.0pt;word-wrap:break-word'>\n<!--StartFragment-->\n" +
      "<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0 style='border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt;mso-yfti-tbllook:1184;mso-padding-alt:0cm 5.4pt 0cm 5.4pt'>\n" +
      " <tr style='mso-yfti-irow:0;mso-yfti-firstrow:yes'>\n  " + wordCell('Item') + '\n  ' + wordCell('Cost') + '\n </tr>\n' +
      " <tr style='mso-yfti-irow:1'>\n  " + wordCell('Rent for the\n  office') + '\n  ' + wordCell('<o:p>&nbsp;</o:p>') + '\n </tr>\n' +
      " <tr style='mso-yfti-irow:2;mso-yfti-lastrow:yes'>\n  " + wordCell('Paid yearly', 'colspan=2 ') + '\n </tr>\n' +
      "</table>\n<p class=MsoNormal><o:p>&nbsp;</o:p></p>\n<!--EndFragment-->\n</body>\n</html>"
    await paste(page, { 'text/html': word, 'text/plain': 'Item\tCost\r\nRent for the office\t\r\nPaid yearly\r\n' })
    const fromWord = [['Item', 'Cost'], ['Rent for the office', ''], ['Paid yearly']]
    await waitTables(b.page, [filled, fromText, fromDocs, fromWord], 'B after the Word paste')
    const spansOf = await b.page.evaluate(() => {
      const tables = []
      const walk = (node) => { if (node.type === 'table') tables.push(node); else (node.content || []).forEach(walk) }
      walk(window.collab.editor.getJSON())
      return tables.map((t) => t.content.map((row) => row.content.map((c) => c.attrs.colspan)))
    })
    check(JSON.stringify(spansOf[2]) === '[[1,1,1],[1,1,1],[1,1,1]]' && JSON.stringify(spansOf[3]) === '[[1,1],[1,1],[2]]',
      `the pasted tables' column spans: ${JSON.stringify(spansOf)}`)
    const pasted = await html(b.page)
    // The bold runs stay bold; the wrapper (font-weight normal) makes nothing else bold.
    check(pasted.includes('<p><strong>Step</strong></p>') && !/<strong>(Draft|Ada|Review)/.test(pasted), `the Google Docs table's bold: ${pasted}`)
    check(!/[\u00a0]/.test(await b.page.evaluate(() => window.collab.editor.getText())), 'a non-breaking space from Word is left in the text')
    // Spans, a column width and alignment, as the editor stores them: the server's renderings.
    const spans = await openRich(browser, 'table-spans-room', { name: 'Ada', query: '?kind=rich' })
    await spans.page.evaluate((markup) => window.collab.editor.commands.setContent(markup), SPANS_HTML)
    await waitSaved(spans.page)
    for (const [format, want] of Object.entries(SPANS)) {
      const got = await snapshot('table-spans-room', format)
      check(got === want, `${format} of the table with spans: ${JSON.stringify(got)}, want ${JSON.stringify(want)}`)
    }
    const update = await fetch(`${baseUrl}/api/rooms/table-spans-room/snapshot?format=yjs`)
    writeFileSync(join(outdir, 'tiptap-table.yjs'), Buffer.from(await update.arrayBuffer()))
    const markdown = await waitSnapshot(room, 'markdown', '| Name | Qty |\n| --- | --- |\n| Apples | 3 |\n| Pears | two<br>lines, "ripe" |\n')
    check(markdown.includes('| Owner | Task |  |\n| --- | --- | --- |\n| Ada | Plan | x |\n'), `Markdown: ${JSON.stringify(markdown)}`)
    noErrors(a, b, spans)
  },

  /** A document with a table (and its tools) at 1280 and 390 px, light and dark, checked with
   *  axe-core; on a phone a wide table scrolls inside the page, which does not. */
  async 'table-looks' (browser) {
    const room = 'table-looks-room'
    const a = await openRich(browser, room, { name: 'Ada', query: '?kind=rich', viewport: { width: 1280, height: 800 } })
    const { page } = a
    await page.click('.rich-content')
    await page.keyboard.type('Launch checklist', { delay: 5 })
    await page.keyboard.press('Enter')
    await paste(page, { 'text/plain': 'Owner\tTask\tDue\tStatus\tNotes\nAda\tWrite the spec\tMonday\tDone\tReviewed by Bob\nBob\tBuild the editor\tTuesday\tIn progress\tTables next\nCy\tTest on phones\tWednesday\tTo do\tAndroid and iOS' })
    await waitTables(page, [[['#Owner', '#Task', '#Due', '#Status', '#Notes'], ['Ada', 'Write the spec', 'Monday', 'Done', 'Reviewed by Bob'], ['Bob', 'Build the editor', 'Tuesday', 'In progress', 'Tables next'], ['Cy', 'Test on phones', 'Wednesday', 'To do', 'Android and iOS']]], 'the pasted table')
    await page.click(`${cellAt(2, 2)} p`)
    await page.waitForSelector('.table-tools', { state: 'visible', timeout: WAIT })
    await waitSaved(page)
    await captureLooks(page, 'rich-table')
    await page.setViewportSize({ width: 390, height: 844 })
    const widths = await page.evaluate(() => {
      const wrapper = document.querySelector('.rich-content .tableWrapper')
      const tools = document.querySelector('.table-tools').getBoundingClientRect()
      return { page: document.documentElement.scrollWidth, wrapper: wrapper.clientWidth, table: wrapper.scrollWidth, toolsRight: tools.right }
    })
    log(`390 px: ${JSON.stringify(widths)}`)
    check(widths.page <= 390, `the page scrolls sideways: ${JSON.stringify(widths)}`)
    check(widths.table > widths.wrapper, `the table does not scroll inside its wrapper: ${JSON.stringify(widths)}`)
    check(widths.toolsRight <= 390, `table tools off screen: ${JSON.stringify(widths)}`)
    const lastTool = await page.$('.table-tools [data-tool="deleteTable"]')
    const box = await lastTool.boundingBox()
    check(box.x >= 0 && box.x + box.width <= 390 && box.y >= 0, `Delete table out of reach: ${JSON.stringify(box)}`)
    noErrors(a)
  },

  /** A viewer (read-only, no toolbar) on a phone: the wide table's wrapper takes the focus and
   *  the arrow keys scroll it; axe-core finds nothing serious. */
  async 'table-viewer' (browser) {
    const room = 'table-view'
    const writer = await openPage(browser, `/d/${room}?kind=rich#token=${TOKENS.editor}`)
    await waitStatus(writer.page, 'connected')
    await writer.page.waitForSelector('.rich-content', { timeout: WAIT })
    await writer.page.click('.rich-content')
    await paste(writer.page, { 'text/plain': 'Owner\tTask\tDue\tStatus\tNotes\nAda\tWrite the spec\tMonday\tDone\tReviewed by Bob\nBob\tBuild the editor\tTuesday\tIn progress\tTables next' })
    await waitSaved(writer.page)
    const viewer = await openPage(browser, `/d/${room}#token=${TOKENS.viewer}`, { viewport: { width: 390, height: 844 } })
    await waitStatus(viewer.page, 'connected')
    const wrapper = '.rich-content .tableWrapper'
    await viewer.page.waitForSelector(`${wrapper} td`, { timeout: WAIT })
    check(await viewer.page.isHidden('.toolbar'), 'a viewer has a toolbar')
    check(await viewer.page.getAttribute(wrapper, 'tabindex') === '0', 'the table cannot take the focus')
    await viewer.page.focus(wrapper)
    await viewer.page.keyboard.press('ArrowRight')
    await viewer.page.keyboard.press('ArrowRight')
    await viewer.page.waitForFunction((w) => document.querySelector(w).scrollLeft > 0, wrapper, { timeout: WAIT })
    await viewer.page.evaluate((w) => { document.querySelector(w).scrollLeft = 0 }, wrapper)
    await captureLooks(viewer.page, 'rich-table-viewer')
    // On a phone a viewer's short document still fills the screen: the bar under the text sits
    // at its bottom edge, with no empty strip below it (a viewer has no toolbar).
    await viewer.page.setViewportSize({ width: 390, height: 844 })
    const gap = await viewer.page.evaluate(() => window.innerHeight - document.querySelector('.doc-status').getBoundingClientRect().bottom)
    check(Math.abs(gap) < 1, `the viewer's page leaves ${gap} px under the bar at 390 px`)
  }
}

run(scenarios)
