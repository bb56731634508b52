// Documents in the web app, in real Chromium against a real server: create "Team notes" from
// the home page, rename it in place, download it in every format, make a copy, find it by
// searching, sort, import files (and refused ones), and delete it with a confirmation while a
// second page has it open. Each state is checked with axe-core and screenshotted at 1280 and
// 390 px, light and dark (COLLAB_SHOTS). Run by tests/browser/test_documents.py.
//
//   node documents_e2e.mjs SCENARIO HTTP_URL OUTDIR

const TOKENS = JSON.parse(process.env.COLLAB_E2E_TOKENS || '{}')
import { WAIT, baseUrl, captureLooks, check, log, openEditor, openPage, run, waitSaved, waitStatus } from './common.mjs'

async function roomMeta (room) {
  const res = await fetch(`${baseUrl}/api/rooms/${room}`)
  return res.json()
}

async function listed (page) {
  await page.waitForFunction(() => document.getElementById('room-list').getAttribute('aria-busy') === 'false', null, { timeout: WAIT })
  return page.evaluate(() => [...document.querySelectorAll('#room-list .room-item')].map((li) => ({
    room: li.dataset.room,
    title: li.querySelector('.room-name').textContent,
    sub: li.querySelector('.room-sub').textContent,
    here: li.querySelector('.room-here')?.textContent || ''
  })))
}

async function search (page, words) {
  await page.fill('#room-search', words)
  await page.waitForFunction((w) => new URLSearchParams(location.search).get('q') === (w || null) || (!w && !location.search.includes('q=')), words, { timeout: WAIT })
  return listed(page)
}

async function typeInEditor (page, words) {
  await page.click('.rich-content')
  await page.keyboard.press('Control+End')
  await page.keyboard.type(words, { delay: 5 })
  await waitSaved(page)
}

async function download (page, format) {
  await page.click('#doc-menu-button')
  const [file] = await Promise.all([
    page.waitForEvent('download', { timeout: WAIT }),
    page.click(`[data-action="download-${format}"]`)
  ])
  return { name: file.suggestedFilename(), body: await bytesOf(file) }
}

/** A download's bytes, streamed from the browser (which may run in another process). */
async function bytesOf (file) {
  const chunks = []
  for await (const chunk of await file.createReadStream()) chunks.push(chunk)
  return Buffer.concat(chunks)
}

async function checkDownloads (page, title, words) {
  const text = await download(page, 'text')
  check(text.name === `${title}.txt` && text.body.toString().includes(words), `text download: ${text.name} ${text.body}`)
  const md = await download(page, 'markdown')
  check(md.name === `${title}.md` && md.body.toString().includes(words), `markdown download: ${md.name}`)
  const html = await download(page, 'html')
  check(html.name === `${title}.html` && html.body.toString().includes(`<p>${words}</p>`), `html download: ${html.body}`)
  // A page of its own (issue 25, item 8), not a fragment.
  const whole = html.body.toString()
  check(/^<!doctype html>\n<html lang="[a-zA-Z-]+">\n<head>\n<meta charset="utf-8">/.test(whole) &&
    whole.includes(`<title>${title}</title>`) && whole.includes('<style>'), `html download is no page: ${whole}`)
  const json = JSON.parse((await download(page, 'json')).body.toString())
  check(typeof json.content === 'string' && json.content.includes(words), `json download: ${JSON.stringify(json)}`)
  const yjs = await download(page, 'yjs')
  check(yjs.name === `${title}.yjs` && yjs.body.length > words.length, `yjs download: ${yjs.body.length} bytes`)
  const carried = await download(page, 'collab')
  const file = JSON.parse(carried.body.toString())
  check(carried.name === `${title}.collab` && file.collab === 'document' && file.version === 1 && Array.isArray(file.threads), `collab download: ${carried.name}`)
}

async function rename (page, title) {
  await page.click('.title-button')
  await page.waitForSelector('.title-input', { timeout: WAIT })
  await page.fill('.title-input', title)
  await captureLooks(page, 'title-editing')
  // The page shows the new title at once and stores it with a PATCH: wait for that answer
  // (the tab's title alone says nothing about what the server has).
  const stored = page.waitForResponse((r) => r.request().method() === 'PATCH' && new URL(r.url()).pathname.startsWith('/api/rooms/'), { timeout: WAIT })
  await page.keyboard.press('Enter')
  check((await stored).ok(), 'the rename was refused')
  await page.waitForFunction((t) => document.title === `${t} · collab`, title, { timeout: WAIT })
  const focused = await page.evaluate(() => document.activeElement.className)
  check(focused === 'title-button', `focus after rename is on ${focused}`)
}

async function importFile (page, file) {
  await page.setInputFiles('#import-file', file)
}

/** A printed download: the file the browser saved, and the Content-Type the server sent. */
async function printed (page, format) {
  const answer = page.waitForResponse((r) => r.url().includes(`/snapshot?format=${format}`), { timeout: WAIT })
  const file = await download(page, format)
  return { ...file, type: (await answer).headers()['content-type'] }
}

const scenarios = {
  /** The Document menu offers PDF and Word first; each downloads a real file named after the
   * title (issue 25, item 5). */
  async 'documents-print' (browser) {
    const home = await openPage(browser, '/', { viewport: { width: 1280, height: 800 } })
    await home.page.fill('#new-title', 'Print me Ω')
    await Promise.all([home.page.waitForURL('**/d/print-me*', { timeout: WAIT }), home.page.click('#new-room-form button[type="submit"]')])
    const page = home.page
    await waitStatus(page, 'connected')
    await page.keyboard.press('Escape')
    await typeInEditor(page, 'Printed words')
    await page.click('#doc-menu-button')
    await page.waitForSelector('#doc-menu:not([hidden])', { timeout: WAIT })
    const labels = await page.$$eval('#doc-menu [role="menuitem"]', (items) => items.slice(0, 2).map((item) => item.textContent))
    check(labels.join('|') === 'PDF document (.pdf)|Word document (.docx)', `menu offers ${labels}`)
    await captureLooks(page, 'download-menu')
    await page.keyboard.press('Escape')
    const pdf = await printed(page, 'pdf')
    check(pdf.name === 'Print me Ω.pdf' && pdf.type === 'application/pdf' && pdf.body.subarray(0, 5).toString() === '%PDF-', `pdf download: ${pdf.name} ${pdf.type}`)
    const word = await printed(page, 'docx')
    check(word.name === 'Print me Ω.docx' && word.type === 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' && word.body.subarray(0, 4).toString('latin1') === 'PK\x03\x04', `docx download: ${word.name} ${word.type}`)
    check(word.body.includes(Buffer.from('word/document.xml')), 'the docx holds no word/document.xml')
  },

  async 'documents-flow' (browser) {
    const home = await openPage(browser, '/', { viewport: { width: 1280, height: 800 } })
    check((await listed(home.page)).length === 0, 'a new server lists documents')
    await captureLooks(home.page, 'home-empty')

    // Create "Team notes": lands on /d/team-notes, titled in the header and the tab.
    await home.page.fill('#new-title', 'Team notes')
    await Promise.all([home.page.waitForURL('**/d/team-notes', { timeout: WAIT }), home.page.click('#new-room-form button[type="submit"]')])
    const page = home.page
    await waitStatus(page, 'connected')
    const header = await page.textContent('#doc-title')
    check(header === 'Team notes' && await page.title() === 'Team notes · collab', `header ${header}, tab ${await page.title()}`)
    await page.keyboard.press('Escape')
    await typeInEditor(page, 'Agenda for Monday')
    await captureLooks(page, 'editor-titled')

    // Rename in place; the address stays.
    await rename(page, 'Team notes 2027')
    check((await roomMeta('team-notes')).title === 'Team notes 2027', 'the rename was not stored')
    check(new URL(page.url()).pathname === '/d/team-notes', `renamed page moved to ${page.url()}`)

    await page.click('#doc-menu-button')
    await page.waitForSelector('#doc-menu:not([hidden])', { timeout: WAIT })
    check(await page.evaluate(() => document.activeElement.dataset.action) === 'download-pdf', 'menu does not focus its first item')
    await captureLooks(page, 'document-menu')
    await page.keyboard.press('Escape')
    check(await page.isHidden('#doc-menu') && await page.evaluate(() => document.activeElement.id) === 'doc-menu-button', 'Esc does not close the menu back to its button')
    await checkDownloads(page, 'Team notes 2027', 'Agenda for Monday')

    // Make a copy: the dialog offers "Copy of …" (comments not copied unless asked); it opens it.
    await page.click('#doc-menu-button')
    await page.click('[data-action="duplicate"]')
    await page.waitForSelector('#copy-name', { state: 'visible', timeout: WAIT })
    check(await page.inputValue('#copy-name') === 'Copy of Team notes 2027', 'the copy dialog does not offer "Copy of"')
    check(!(await page.isChecked('#copy-comments')) && await page.isDisabled('#copy-resolved'), 'comments are copied by default')
    await Promise.all([page.waitForURL('**/d/copy-of-team-notes-2027', { timeout: WAIT }), page.click('#copy-confirm')])
    await waitStatus(page, 'connected')
    check(await page.textContent('#doc-title') === 'Copy of Team notes 2027', 'the copy is not titled Copy of')
    await page.waitForFunction(() => document.querySelector('.rich-content')?.textContent.includes('Agenda for Monday'), null, { timeout: WAIT })

    // Someone is in "Team notes": the home page says so; search and sort find the documents.
    const ada = await openEditor(browser, 'team-notes', { name: 'Ada' })
    await page.goto('/')
    let rooms = await listed(page)
    check(rooms.map((r) => r.room).sort().join() === 'copy-of-team-notes-2027,team-notes', `list: ${JSON.stringify(rooms)}`)
    check(!rooms.find((r) => r.room === 'copy-of-team-notes-2027').sub.includes('edited by'), 'a copy names the server as its editor')
    const team = rooms.find((r) => r.room === 'team-notes')
    check(team.title === 'Team notes 2027' && team.here.includes('Ada') && team.sub.includes('edited by'), `team notes item: ${JSON.stringify(team)}`)
    await captureLooks(page, 'home-list')
    rooms = await search(page, 'TEAM NOTES 2027')
    check(rooms.length === 2, `search for the title: ${JSON.stringify(rooms)}`)
    rooms = await search(page, 'copy')
    check(rooms.length === 1 && rooms[0].room === 'copy-of-team-notes-2027', `search copy: ${JSON.stringify(rooms)}`)
    await captureLooks(page, 'home-search')
    await search(page, 'zebra')
    check((await page.textContent('#room-list')).includes('No documents match “zebra”'), 'no empty-search line')
    await captureLooks(page, 'home-no-match')
    await search(page, '')
    await page.selectOption('#room-sort', 'title')
    await page.waitForFunction(() => location.search.includes('sort=title'), null, { timeout: WAIT })
    rooms = await listed(page)
    check(rooms.map((r) => r.room).join() === 'copy-of-team-notes-2027,team-notes', `sorted by title: ${JSON.stringify(rooms)}`)
    await page.reload()
    check(await page.inputValue('#room-sort') === 'title', 'the order is not kept in the address')

    // Import a text file: a new document named after the file (Markdown: markdown_e2e.mjs).
    await Promise.all([page.waitForURL('**/d/meeting-plan', { timeout: WAIT }), importFile(page, { name: 'Meeting plan.txt', mimeType: 'text/plain', buffer: Buffer.from('# Plan\n\n- ship it\n') })])
    await waitStatus(page, 'connected')
    check(await page.textContent('#doc-title') === 'Meeting plan', 'the import is not titled after the file')
    await page.waitForFunction(() => window.collab?.ytext?.toString() === '# Plan\n\n- ship it\n', null, { timeout: WAIT })

    // A collab file (`collab export --format collab`: here one without threads) imports too.
    const update = Buffer.from(await page.evaluate(async () => {
      const res = await fetch('/api/rooms/meeting-plan/snapshot?format=yjs')
      return [...new Uint8Array(await res.arrayBuffer())]
    }))
    const bundle = JSON.stringify({ collab: 'document', version: 1, update: update.toString('base64'), threads: [] })
    await page.goto('/')
    await listed(page)
    await Promise.all([page.waitForURL('**/d/plan-backup', { timeout: WAIT }), importFile(page, { name: 'Plan backup.collab', mimeType: 'application/json', buffer: Buffer.from(bundle) })])
    await waitStatus(page, 'connected')
    await page.waitForFunction(() => window.collab?.ytext?.toString() === '# Plan\n\n- ship it\n', null, { timeout: WAIT })

    // Refused files say why, on the home page.
    await page.goto('/')
    await listed(page)
    await importFile(page, { name: 'report.docx', mimeType: 'application/octet-stream', buffer: Buffer.from('PK') })
    await page.waitForSelector('#home-message[data-tone="error"]', { timeout: WAIT })
    check((await page.textContent('#home-message')).includes('choose a .txt, .md, .json, .yjs or .collab file'), 'no message for a .docx')
    await importFile(page, { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{not json') })
    await page.waitForFunction(() => document.getElementById('home-message').textContent.includes('not JSON'), null, { timeout: WAIT })
    await captureLooks(page, 'home-import-refused')

    // A rename shows at once on Ada's page; then delete it, with a confirmation, while she
    // has it open: she sees the deleted screen.
    await page.goto('/d/team-notes')
    await waitStatus(page, 'connected')
    await page.click('.title-button')
    await page.fill('.title-input', 'Team notes (final)')
    await page.keyboard.press('Enter')
    await ada.page.waitForFunction(() => document.title === 'Team notes (final) · collab' && document.getElementById('doc-title').textContent === 'Team notes (final)', null, { timeout: WAIT })
    await page.click('#doc-menu-button')
    await page.click('[data-action="delete"]')
    await page.waitForSelector('dialog.confirm-dialog[open]', { timeout: WAIT })
    check(await page.evaluate(() => document.activeElement.textContent) === 'Cancel', 'the dialog does not focus Cancel')
    await captureLooks(page, 'delete-dialog')
    await page.keyboard.press('Escape')
    // The dialog's close event, which removes it, is dispatched after the key press returns.
    await page.waitForFunction(() => document.querySelector('dialog.confirm-dialog') === null, null, { timeout: WAIT })
    check(!!(await roomMeta('team-notes')).name, 'Esc did not cancel the delete')
    await page.click('#doc-menu-button')
    await page.click('[data-action="delete"]')
    await Promise.all([page.waitForURL(`${baseUrl}/`, { timeout: WAIT }), page.click('#delete-confirm')])
    await page.waitForSelector('#home-message:not([hidden])', { timeout: WAIT })
    check((await page.textContent('#home-message')).includes('“Team notes (final)” was deleted.'), 'home does not say what was deleted')
    check(!(await listed(page)).some((r) => r.room === 'team-notes'), 'the deleted document is still listed')
    await captureLooks(page, 'home-deleted')
    await ada.page.waitForFunction(() => document.getElementById('state-screen').dataset.state === 'deleted', null, { timeout: WAIT })
    check(await ada.page.textContent('.state-title') === 'This document was deleted', 'Ada does not see the deleted screen')
    await captureLooks(ada.page, 'deleted-while-open')
    log('documents flow done')
  },

  /** What the pages say when the server fails them: the list, a create, a rename. */
  async 'documents-failures' (browser) {
    const { page } = await openPage(browser, '/', { viewport: { width: 1280, height: 800 }, serviceWorkers: 'block' })
    await page.route('**/api/rooms?*', (route) => route.abort())
    await page.reload()
    await page.waitForSelector('#home-message[data-tone="error"]', { timeout: WAIT })
    const unreachable = await page.textContent('#home-message')
    check(unreachable.includes('The list could not be loaded: the server cannot be reached'), `list failure says ${unreachable}`)
    check((await page.textContent('#room-list')).includes('could not be listed'), 'a failed list still says there are no documents')
    await captureLooks(page, 'home-list-failed')
    await page.unroute('**/api/rooms?*')
    await page.click('.room-failed button')
    await page.waitForSelector('#home-message', { state: 'hidden', timeout: WAIT })
    check((await page.textContent('#room-list')).includes('No documents yet'), 'Try again does not list again')
    await page.route('**/api/rooms', (route) => route.request().method() === 'POST'
      ? route.fulfill({ status: 503, contentType: 'application/problem+json', body: JSON.stringify({ status: 503, title: 'Service Unavailable', detail: 'the database is unavailable; retry later' }) })
      : route.continue())
    await page.reload()
    await page.fill('#new-title', 'Team notes')
    await page.click('#new-room-form button[type="submit"]')
    await page.waitForFunction(() => document.getElementById('home-message').textContent.includes('the database is unavailable'), null, { timeout: WAIT })
    check(await page.evaluate(() => document.activeElement.id) === 'new-title' && new URL(page.url()).pathname === '/', 'a failed create leaves the page')
    await captureLooks(page, 'home-create-failed')

    const editor = await openEditor(browser, 'plain-notes', { name: 'Bo', query: '?kind=text', serviceWorkers: 'block' })
    await editor.page.route('**/api/rooms/plain-notes', (route) => route.request().method() === 'PATCH'
      ? route.fulfill({ status: 403, contentType: 'application/problem+json', body: JSON.stringify({ status: 403, title: 'Forbidden', detail: "this needs the editor role on room 'plain-notes'" }) })
      : route.continue())
    await editor.page.keyboard.press('Escape')
    await editor.page.click('.title-button')
    await editor.page.fill('.title-input', 'Not allowed')
    await editor.page.keyboard.press('Enter')
    await editor.page.waitForSelector('#notice:not([hidden])', { timeout: WAIT })
    const notice = await editor.page.textContent('#notice .notice-text')
    check(notice.includes('The title could not be changed: this needs the editor role'), `rename refusal says ${notice}`)
    check(await editor.page.textContent('#doc-title') === 'plain-notes' && await editor.page.title() === 'plain-notes · collab', 'a refused rename keeps the new title')
    await captureLooks(editor.page, 'rename-refused')
    // A plain-text document offers no HTML download.
    await editor.page.click('#doc-menu-button')
    const actions = await editor.page.$$eval('#doc-menu [role="menuitem"]', (items) => items.map((item) => item.dataset.action))
    check(actions.join() === 'download-pdf,download-docx,download-text,download-markdown,download-json,download-yjs,download-collab,duplicate,delete', `plain-text menu: ${actions}`)
  },

  /** On a server with a secret: a viewer sees the title but cannot rename, and may only
   * download; an editor renames with the link's token and may copy but not delete. */
  async 'documents-roles' (browser) {
    const viewer = await openPage(browser, `/d/board-minutes#token=${TOKENS.viewer}`, { viewport: { width: 1280, height: 800 } })
    await waitStatus(viewer.page, 'connected')
    check(await viewer.page.textContent('#doc-title') === 'Board minutes' && await viewer.page.$('.title-button') === null, 'a viewer can rename')
    await viewer.page.click('#doc-menu-button')
    const actions = await viewer.page.$$eval('#doc-menu [role="menuitem"]', (items) => items.map((item) => item.dataset.action))
    check(actions.join() === 'download-pdf,download-docx,download-text,download-markdown,download-html,download-json,download-yjs,download-collab', `viewer menu: ${actions}`)
    await captureLooks(viewer.page, 'viewer-menu')
    const [file] = await Promise.all([viewer.page.waitForEvent('download', { timeout: WAIT }), viewer.page.click('[data-action="download-markdown"]')])
    check(file.suggestedFilename() === 'Board minutes.md', `viewer download ${file.suggestedFilename()}`)

    const editor = await openPage(browser, `/d/board-minutes#token=${TOKENS.editor}`, { viewport: { width: 1280, height: 800 } })
    await waitStatus(editor.page, 'connected')
    await editor.page.keyboard.press('Escape')
    await editor.page.click('.title-button')
    await editor.page.fill('.title-input', 'Board minutes, March')
    await editor.page.keyboard.press('Enter')
    await viewer.page.waitForFunction(() => document.getElementById('doc-title').textContent === 'Board minutes, March', null, { timeout: WAIT })
    await editor.page.click('#doc-menu-button')
    const editorActions = await editor.page.$$eval('#doc-menu [role="menuitem"]', (items) => items.map((item) => item.dataset.action))
    check(editorActions.includes('duplicate') && !editorActions.includes('delete'), `editor menu: ${editorActions}`)
  },

  /** A title with no ASCII letters gets a short random address; the page shows the title. */
  async 'documents-unicode' (browser) {
    const { page } = await openPage(browser, '/', { viewport: { width: 390, height: 844 } })
    await page.fill('#new-title', '議事録 🚀')
    await page.check('input[name="kind"][value="text"]')
    await Promise.all([page.waitForURL(/\/d\/doc-[0-9a-f]{8}$/, { timeout: WAIT }), page.keyboard.press('Enter')])
    await waitStatus(page, 'connected')
    check(await page.textContent('#doc-title') === '議事録 🚀' && await page.title() === '議事録 🚀 · collab', 'the Unicode title is not shown')
    check(await page.evaluate(() => window.collab.kind) === 'text', 'the plain-text choice was lost')
  }
}

run(scenarios)
