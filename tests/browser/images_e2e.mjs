// Browser end-to-end scenarios for images in rich text (issue 25), run by
// tests/browser/test_images.py: a PNG pasted (a real paste event holding a File) uploads and
// shows, and a second page shows it too; a dropped one as well, and one inside pasted HTML as
// a data: URL; a file that is no image is refused in words; an image by URL stays as it is; the alt text is set under the toolbar and reaches the server's HTML; a
// viewer who came by a token link sees the images (fetched with the bearer token). Screenshots
// at 1280 and 390 px, light and dark, each checked with axe-core (COLLAB_SHOTS).
import { deflateSync, crc32 } from 'node:zlib'
import { WAIT, baseUrl, captureLooks, check, openEditor, openHistory, openPage, run, waitSaved, waitStatus, waitVersions } from './common.mjs'

const TOKENS = JSON.parse(process.env.COLLAB_E2E_TOKENS || '{}')

function chunk (kind, data) {
  const head = Buffer.alloc(4)
  head.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(kind, 'latin1'), data])
  const tail = Buffer.alloc(4)
  tail.writeUInt32BE(crc32(body))
  return Buffer.concat([head, body, tail])
}

/** A real PNG: a `width`×`height` gradient from `from` to `to` (RGB). */
function png (width, height, from = [62, 99, 221], to = [236, 72, 153]) {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 2, 0, 0, 0], 8)
  const rows = []
  for (let y = 0; y < height; y++) {
    const row = [0]
    for (let x = 0; x < width; x++) {
      const t = (x + y) / (width + height)
      row.push(...from.map((c, i) => Math.round(c + (to[i] - c) * t)))
    }
    rows.push(Buffer.from(row))
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))
  ])
}

async function openRich (browser, room, options) {
  const opened = await openEditor(browser, room, { query: '?kind=rich', ...options })
  opened.errors = []
  opened.page.on('pageerror', (err) => opened.errors.push(err.message))
  await opened.page.waitForSelector('.rich-content', { timeout: WAIT })
  return opened
}

/** Dispatch a paste (or, with `drop`, a drop) of one file on the rich text. */
async function sendFile (page, { name, type, bytes, drop = false }) {
  await page.evaluate(({ name, type, data, drop }) => {
    const file = new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], name, { type })
    const transfer = new DataTransfer()
    transfer.items.add(file)
    const target = document.querySelector('.rich-content')
    if (drop) {
      const box = target.querySelector('p:last-of-type').getBoundingClientRect()
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, clientX: box.right - 2, clientY: box.bottom - 4, bubbles: true, cancelable: true }))
    } else {
      target.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }))
    }
  }, { name, type, data: Buffer.from(bytes).toString('base64'), drop })
}

/** Resolves once `count` images show in the page, each decoded (naturalWidth > 0). */
async function waitImages (page, count) {
  await page.waitForFunction((n) => {
    const imgs = [...document.querySelectorAll('.rich-content img.rich-image')]
    return imgs.length === n && imgs.every((img) => img.complete && img.naturalWidth > 0)
  }, count, { timeout: WAIT })
}

async function serverHtml (room, headers = {}) {
  const res = await fetch(`${baseUrl}/api/rooms/${encodeURIComponent(room)}/snapshot?format=html`, { headers })
  check(res.ok, `html snapshot: ${res.status}`)
  return res.text()
}

/** Dispatch a paste of `html` (no files) on the rich text. */
async function sendHtml (page, html) {
  await page.evaluate((html) => {
    const transfer = new DataTransfer()
    transfer.setData('text/html', html)
    transfer.setData('text/plain', 'pasted')
    const target = document.querySelector('.rich-content')
    target.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }))
  }, html)
}

function noErrors (...pages) {
  for (const p of pages) check(p.errors.length === 0, `page errors: ${p.errors.join('; ')}`)
}

const scenarios = {
  /** Paste, drop, refusal and alt text; a second page sees every image. */
  async 'image-paste-drop-alt' (browser) {
    const room = 'pictures'
    const a = await openRich(browser, room, { name: 'Alice' })
    const b = await openRich(browser, room, { name: 'Bob' })
    await a.page.click('.rich-content')
    await a.page.keyboard.type('Our colours, as a picture:', { delay: 5 })
    await a.page.keyboard.press('Enter')

    await sendFile(a.page, { name: 'colours.png', type: 'image/png', bytes: png(480, 200) })
    await waitImages(a.page, 1)
    await waitImages(b.page, 1)
    const src = await a.page.evaluate(() => window.collab.editor.getJSON().content.find((n) => n.type === 'image').attrs.src)
    check(/^\/api\/rooms\/pictures\/images\/[A-Za-z0-9_-]{22}$/.test(src), `image src ${src}`)
    check((await a.page.textContent('.image-status')).includes('uploaded'), 'no word that the upload is done')

    // A PNG named .txt, dropped at the end of the text: its bytes say what it is.
    await a.page.keyboard.press('Control+End')
    await a.page.keyboard.type('And dropped:', { delay: 5 })
    await sendFile(a.page, { name: 'renamed.txt', type: 'text/plain', bytes: png(160, 90, [31, 157, 85], [250, 204, 21]), drop: true })
    await waitImages(a.page, 2)
    await waitImages(b.page, 2)

    // HTML holding an image as a data: URL (a copy from another editor): the image is
    // uploaded, not dropped without a word.
    const inline = Buffer.from(png(120, 60, [196, 52, 58], [62, 99, 221])).toString('base64')
    await sendHtml(a.page, `<p>Copied:</p><img src="data:image/png;base64,${inline}" alt="copied">`)
    await waitImages(a.page, 3)
    await waitImages(b.page, 3)

    // Text named .png: refused, and said so.
    await sendFile(a.page, { name: 'notes.png', type: 'image/png', bytes: Buffer.from('Just some notes.\n') })
    await a.page.waitForSelector('.image-status.refused', { timeout: WAIT })
    const refused = await a.page.textContent('.image-status.refused')
    check(refused.includes('notes.png was not added') && refused.includes('PNG, JPEG, GIF or WebP'), `refusal: ${refused}`)
    check(await a.page.getAttribute('.image-status-text', 'role') === 'alert', 'a refusal is not an alert')
    check(await a.page.locator('.image-uploading').count() === 0, 'a placeholder stayed')
    check(await a.page.locator('.rich-content img.rich-image').count() === 3, 'the refused file left an image')
    await captureLooks(a.page, 'image-refused')

    // Alt text: select the first image, describe it.
    await a.page.click('.rich-content img.rich-image >> nth=0')
    await a.page.waitForSelector('.alt-form:not([hidden])', { timeout: WAIT })
    await captureLooks(a.page, 'image-alt-form')
    await a.page.fill('.alt-form input', 'A blue to pink gradient')
    await a.page.click('.alt-form button[type="submit"]')
    await b.page.waitForSelector('.rich-content img.rich-image[alt="A blue to pink gradient"]', { timeout: WAIT })
    await waitSaved(a.page)
    const html = await serverHtml(room)
    check(html.includes(`<img src="${src}" alt="A blue to pink gradient">`), `server HTML: ${html}`)
    const text = await (await fetch(`${baseUrl}/api/rooms/${room}/snapshot?format=text`)).text()
    check(text.includes('[image: A blue to pink gradient]'), `server text: ${text}`)
    await b.page.click('.rich-content p >> nth=0') // B's selection off the images
    await captureLooks(b.page, 'image-document')

    // An image by URL (a web page's HTML) stays a link to the outside: nothing is uploaded.
    const uploads = []
    a.page.on('request', (req) => { if (req.method() === 'POST' && req.url().includes('/images')) uploads.push(req.url()) })
    await a.page.keyboard.press('Control+End')
    await sendHtml(a.page, '<img src="https://example.org/outside.png" alt="outside">')
    await a.page.waitForFunction(() => window.collab.editor.getJSON().content.some((n) => n.type === 'image' && n.attrs.src === 'https://example.org/outside.png'), null, { timeout: WAIT })
    check(uploads.length === 0, `an image by URL was uploaded: ${uploads}`)
    noErrors(a, b)
  },

  /** A viewer who came by a token link sees the images: fetched with the bearer token. */
  async 'image-token-viewer' (browser) {
    const room = 'token-pictures'
    const editor = await openPage(browser, `/d/${room}?kind=rich#token=${TOKENS.editor}`)
    await waitStatus(editor.page, 'connected')
    await editor.page.waitForSelector('.rich-content', { timeout: WAIT })
    await editor.page.click('.rich-content')
    await editor.page.keyboard.type('Shared picture:', { delay: 5 })
    await editor.page.keyboard.press('Enter')
    await sendFile(editor.page, { name: 'shared.png', type: 'image/png', bytes: png(200, 100) })
    await waitImages(editor.page, 1)
    await waitSaved(editor.page)
    const viewer = await openPage(browser, `/d/${room}#token=${TOKENS.viewer}`)
    await waitStatus(viewer.page, 'connected')
    await waitImages(viewer.page, 1)
    check(await viewer.page.locator('.toolbar').count() === 0, 'a viewer got the toolbar')
    // Without the token, the image's URL answers nothing.
    const src = await viewer.page.evaluate(() => document.querySelector('img.rich-image').dataset.src)
    const bare = await fetch(`${baseUrl}${src}`)
    check(bare.status === 401, `the image without a token answered ${bare.status}`)
    const shown = await viewer.page.evaluate(() => document.querySelector('img.rich-image').src)
    check(shown.startsWith('blob:'), `viewer's image is shown from ${shown}`)

    // A version shown in full (a sandboxed frame no token reaches) shows the image too.
    await openHistory(editor.page)
    await editor.page.fill('#version-label', 'With picture')
    await editor.page.click('#save-version button[type="submit"]')
    await waitVersions(editor.page, (v) => v.some((i) => i.label === 'With picture'), 'the version saved')
    await openHistory(viewer.page)
    const saved = (await waitVersions(viewer.page, (v) => v.some((i) => i.label === 'With picture'), 'the version')).find((i) => i.label === 'With picture')
    await viewer.page.click(`#version-list .version-item[data-version-id="${saved.id}"]`)
    await viewer.page.click('#tab-full')
    const frame = await (await viewer.page.waitForSelector('#full-view iframe.full-rich', { timeout: WAIT })).contentFrame()
    await frame.waitForFunction(() => { const img = document.querySelector('img'); return img && img.complete && img.naturalWidth > 0 }, null, { timeout: WAIT })
  }
}

run(scenarios)
