// Browser end-to-end scenarios for Markdown in rich text (issue 25, item 6), run by
// tests/browser/test_markdown.py: a .md file imported from the home page opens as a rich
// document (and edits), and Markdown pasted as plain text becomes rich content, unless pasted
// with Ctrl+Shift+V (as plain text) or it came with HTML of its own. See common.mjs.
import {
  WAIT, baseUrl, captureLooks, check, focusEnd, openEditor, openPage, run, waitSaved, waitStatus
} from './common.mjs'

const FILE = `# Launch plan

The **launch** is on *Monday*; see [the brief](https://example.org/brief) and \`make launch\`.

## Tasks

- [x] Write the spec
- [ ] Test on phones

1. Build
   - the editor
   - the server
2. Ship

> Keep it ~~complicated~~ simple.

| Owner | Task | Due |
| --- | --- | ---: |
| Ada | Spec | Mon |
| Bob | Build | Tue |

\`\`\`sh
make launch
\`\`\`
`

const editorJson = (page) => page.evaluate(() => window.collab.editor.getJSON())
const html = (page) => page.evaluate(() => window.collab.editor.getHTML())

/** The node types of the document's top level. */
async function topTypes (page) {
  return (await editorJson(page)).content.map((node) => node.type + (node.attrs?.level ? node.attrs.level : ''))
}

async function waitFor (what, probe) {
  const deadline = Date.now() + WAIT
  let now
  while (Date.now() < deadline) {
    now = await probe()
    if (now.ok) return now.value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${what}: ${JSON.stringify(now?.value)}`)
}

async function snapshot (room, format) {
  const res = await fetch(`${baseUrl}/api/rooms/${room}/snapshot?format=${format}`)
  check(res.ok, `snapshot ${format}: ${res.status}`)
  return res.text()
}

/** Paste `data` ({type: text}) into the editor as a real paste event. */
function paste (page, data) {
  return page.evaluate((items) => {
    const transfer = new DataTransfer()
    for (const [type, text] of Object.entries(items)) transfer.setData(type, text)
    document.querySelector('.rich-content').dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }))
  }, data)
}

function watchErrors (page) {
  const errors = []
  page.on('pageerror', (err) => {
    if (!/sandboxed and lacks the 'allow-same-origin' flag/.test(err.message)) errors.push(err.message)
  })
  return errors
}

// The last paragraph is the editor's (StarterKit's trailing node, after a closing code block).
const WANT_TOP = ['heading1', 'paragraph', 'heading2', 'taskList', 'orderedList', 'blockquote', 'table', 'codeBlock', 'paragraph']

const scenarios = {
  /** A .md file from the home page: a rich document with headings, lists, a table; it edits,
   *  and the server's Markdown of it is the file's; screenshots with axe-core. */
  async 'markdown-import' (browser) {
    const home = await openPage(browser, '/', { viewport: { width: 1280, height: 800 } })
    const { page } = home
    const errors = watchErrors(page)
    await Promise.all([
      page.waitForURL('**/d/launch-plan', { timeout: WAIT }),
      page.setInputFiles('#import-file', { name: 'Launch plan.md', mimeType: 'text/markdown', buffer: Buffer.from(FILE) })
    ])
    await waitStatus(page, 'connected')
    await page.waitForSelector('.rich-content h1', { timeout: WAIT })
    check(await page.evaluate(() => window.collab.kind) === 'rich', 'the import did not open as rich text')
    const top = await waitFor('top-level nodes', async () => {
      const value = await topTypes(page)
      return { ok: JSON.stringify(value) === JSON.stringify(WANT_TOP), value }
    })
    check(top.length === WANT_TOP.length, 'nodes')
    const shown = await html(page)
    for (const part of [
      '<strong>launch</strong>', '<em>Monday</em>', '<code>make launch</code>', '<s>complicated</s>',
      'href="https://example.org/brief"', 'data-checked="true"', 'data-type="taskItem"',
      '<p>Owner</p></th>', '<li><p>the editor</p></li>'
    ]) check(shown.includes(part), `the editor lacks ${part}: ${shown}`)
    check(await page.locator('.rich-content table td').count() === 6, 'table cells')
    check(await page.locator('.rich-content ul[data-type="taskList"] input[type="checkbox"]').count() === 2, 'task boxes')
    check(await snapshot('launch-plan', 'markdown') === FILE, 'the server\'s Markdown of the import is not the file')
    // It edits as any rich document: a line typed at the end reaches the server.
    await focusEnd(page)
    await page.keyboard.type('Added after the import', { delay: 5 })
    await waitSaved(page)
    await waitFor('the typed line on the server', async () => {
      const value = await snapshot('launch-plan', 'markdown')
      return { ok: value.endsWith('```\n\nAdded after the import\n'), value }
    })
    await page.evaluate(() => window.scrollTo(0, 0))
    await captureLooks(page, 'markdown-import')
    check(errors.length === 0, `page errors: ${errors.join(' | ')}`)
  },

  /** Markdown pasted as plain text becomes rich content; with Ctrl+Shift+V it stays raw; text a
   *  code editor wrapped in HTML converts too; real HTML is pasted as HTML. */
  async 'markdown-paste' (browser) {
    const room = 'markdown-paste-room'
    const { page } = await openEditor(browser, room, { name: 'Ada', query: '?kind=rich' })
    const errors = watchErrors(page)
    await page.waitForSelector('.rich-content', { timeout: WAIT })
    await page.click('.rich-content')
    const text = '## Pasted\n\nSome **bold** and [a link](https://example.org) and [bad](javascript:alert(1)) <b>raw</b>\n\n' +
      '- one\n- two\n\n- [ ] todo\n\n![a diagram](https://example.invalid/d.png)\n\n![not shown](ftp://e.org/x.png)\n\n' +
      '| A | B |\n| --- | --- |\n| 1 | 2 |\n'
    await paste(page, { 'text/plain': text })
    const got = await waitFor('the pasted Markdown', async () => {
      const value = await html(page)
      return { ok: value.includes('<table'), value }
    })
    for (const part of [
      '<h2>Pasted</h2>', '<strong>bold</strong>', 'href="https://example.org"', '&lt;b&gt;raw&lt;/b&gt;',
      '<li><p>one</p></li>', 'data-checked="false"', '<p>A</p></th>',
      '[bad](javascript:alert(1))', '<img src="https://example.invalid/d.png" alt="a diagram"', 'not shown'
    ]) check(got.includes(part), `the paste lacks ${part}: ${got}`)
    check(!got.includes('ftp://'), `an image the editor does not show was kept: ${got}`)
    check(!got.includes('href="javascript'), `a javascript: link was kept: ${got}`)
    await waitFor('the pasted table on the server', async () => {
      const value = await snapshot(room, 'markdown')
      return { ok: value.includes('## Pasted\n') && value.includes('| A | B |\n| --- | --- |\n| 1 | 2 |\n'), value }
    })

    // Ctrl+Shift+V: the raw text, a paragraph per line, as ProseMirror pastes plain text.
    await focusEnd(page)
    await page.keyboard.down('Shift')
    await paste(page, { 'text/plain': '# Not a heading\n**not bold**' })
    await page.keyboard.up('Shift')
    const raw = await waitFor('the raw paste', async () => {
      const value = await html(page)
      return { ok: value.includes('# Not a heading'), value }
    })
    check(!raw.includes('<h1>') && raw.includes('**not bold**'), `Shift paste was converted: ${raw}`)

    // A code editor's copy: the same text in coloured spans: converted (on a line of its own:
    // pasted inside a paragraph, the first block joins it, as any pasted HTML's does).
    await focusEnd(page)
    await page.keyboard.press('Enter')
    const code = '### From an editor\n\n- item'
    await paste(page, {
      'text/plain': code,
      'text/html': '<meta charset="utf-8"><div style="color: #d4d4d4;"><div><span style="color: #569cd6;">### From an editor</span></div><br><div><span>- item</span></div></div>'
    })
    await waitFor('the wrapped Markdown', async () => {
      const value = await html(page)
      return { ok: value.includes('<h3>From an editor</h3><ul><li><p>item</p></li></ul>'), value }
    })
    // HTML of its own (a web page's): pasted as that HTML, the Markdown signs left alone.
    await focusEnd(page)
    await page.keyboard.press('Enter')
    await paste(page, { 'text/plain': '# Title', 'text/html': '<p><em># Title</em></p>' })
    await waitFor('the HTML paste', async () => {
      const value = await html(page)
      return { ok: value.includes('<p><em># Title</em></p>'), value }
    })
    // Copied from a ProseMirror editor (its slice on the clipboard): pasted as it was, the
    // literal asterisks kept.
    await focusEnd(page)
    await page.keyboard.press('Enter')
    await paste(page, { 'text/plain': 'literal **stars**', 'text/html': '<p data-pm-slice="1 1 []">literal **stars**</p>' })
    await waitFor('the editor slice paste', async () => {
      const value = await html(page)
      return { ok: value.includes('<p>literal **stars**</p>'), value }
    })
    await waitSaved(page)
    check(errors.length === 0, `page errors: ${errors.join(' | ')}`)
  }
}

run(scenarios)
