// Browser end-to-end scenarios for the editor page's details (issue 25), run by
// tests/browser/test_page_details.py; see common.mjs for how they are driven: the caret kept
// clear of the sticky header and toolbar, links that end where they end and open with
// Ctrl+click, distinct colours within a room, initials, printing, and the phone header.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import {
  LOOKS, WAIT, baseUrl, check, checkAxe, focusEnd, log, openEditor, openPage, run, waitStatus
} from './common.mjs'

const TOKENS = JSON.parse(process.env.COLLAB_E2E_TOKENS || '{}')

// Screenshots of this work: COLLAB_SHOTS or OUTDIR/page-details.
const SHOTS = () => process.env.COLLAB_SHOTS || join(process.argv[4] || '.', 'page-details')

/**
 * The header's title: its width, text, the part shown (px), a character's width, whether its
 * text is cut and with an ellipsis; `overflow`: header parts beyond the header's edges.
 */
function headerTitle (page) {
  return page.evaluate(() => {
    const el = document.getElementById('doc-title')
    const inner = el.querySelector('.title-button, .title-text') || el
    const header = document.querySelector('.app-header').getBoundingClientRect()
    const overflow = [...document.querySelectorAll('.app-header *')].filter((x) => {
      const r = x.getBoundingClientRect()
      return r.width > 0 && (r.right > header.right + 0.5 || r.left < header.left - 0.5)
    }).map((x) => x.className || x.id)
    const style = getComputedStyle(inner)
    const probe = document.createElement('span')
    probe.textContent = 'abcdefghijklmnopqrstuvwxyz'
    probe.style.font = style.font
    probe.style.position = 'absolute'
    document.body.append(probe)
    const charWidth = probe.getBoundingClientRect().width / 26
    probe.remove()
    return {
      width: el.getBoundingClientRect().width,
      text: inner.textContent,
      shown: inner.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
      charWidth,
      cut: inner.scrollWidth > inner.clientWidth,
      ellipsis: style.textOverflow === 'ellipsis' && style.overflowX === 'hidden' && style.whiteSpace === 'nowrap' && style.display !== 'flex',
      overflow
    }
  })
}

/** The role badge: its accessible text (what a screen reader reads), tooltip and width. */
async function badgeLook (page) {
  const snapshot = await page.locator('#role-badge').ariaSnapshot()
  const look = await page.evaluate(() => {
    const badge = document.getElementById('role-badge')
    return { title: badge.title, width: badge.getBoundingClientRect().width }
  })
  return { name: snapshot.replace(/^- (text: )?/, '').trim(), ...look }
}

/** Two animation frames: CodeMirror and ProseMirror scroll in their measure cycle. */
function frames (page) {
  return page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))))
}

/**
 * Where the caret is drawn and where the page's sticky bars end (client pixels):
 * {top, bottom} of the caret, `covered`: the bottom of the header, and of the rich toolbar.
 */
function caretAndBars (page) {
  return page.evaluate(() => {
    const c = window.collab
    const coords = c.kind === 'text'
      ? c.view.coordsAtPos(c.view.state.selection.main.head)
      : c.editor.view.coordsAtPos(c.editor.state.selection.head)
    const bars = [document.querySelector('.app-header'), document.querySelector('.toolbar-wrap')]
      .filter(Boolean).map((el) => el.getBoundingClientRect().bottom)
    return { top: coords.top, bottom: coords.bottom, covered: Math.max(...bars), height: innerHeight, scrollY }
  })
}

async function expectCaretClear (page, what) {
  await frames(page)
  const at = await caretAndBars(page)
  check(at.top >= at.covered && at.bottom <= at.height, `${what}: the caret (${at.top}-${at.bottom}) is not between the bars (${at.covered}) and the window's bottom (${at.height}); scrollY ${at.scrollY}`)
  return at
}

/** From the end of a long document: ArrowUp line by line to the top, then Ctrl+End, Ctrl+Home. */
async function walkUp (page, lines, what) {
  await page.keyboard.press('Control+End')
  await expectCaretClear(page, `${what} after Ctrl+End`)
  let scrolled = false
  for (let i = 0; i < lines; i++) {
    await page.keyboard.press('ArrowUp')
    const at = await expectCaretClear(page, `${what} after ArrowUp #${i + 1}`)
    scrolled = scrolled || at.scrollY > 0
  }
  check(scrolled, `${what}: the page never scrolled (the document is not long enough to test)`)
  // Held down (key repeat): the keys come faster than the editor reads the selection.
  await page.keyboard.press('Control+End')
  await expectCaretClear(page, `${what} after the second Ctrl+End`)
  for (let i = 0; i < Math.min(lines, 34); i++) await page.keyboard.press('ArrowUp')
  await expectCaretClear(page, `${what} after ArrowUp held down`)
  await page.keyboard.press('Control+End')
  await page.keyboard.press('Control+Home')
  await expectCaretClear(page, `${what} after Ctrl+Home`)
}

const LINES = 45 // about three windows of text at 640 px: the walk up scrolls twice

async function openRich (browser, room, options = {}) {
  const opened = await openEditor(browser, room, options)
  await opened.page.waitForSelector('.rich-content', { timeout: WAIT })
  check(await opened.page.evaluate(() => window.collab.kind) === 'rich', `${room} did not open in rich mode`)
  return opened
}

/** The FNV-1a hash identity.js colours by, to pick ids that would all get the same colour. */
function hash (text) {
  let h = 2166136261
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619)
  return h >>> 0
}

function clashingIds (count) {
  const ids = []
  for (let i = 0; ids.length < count; i++) {
    const id = `clash${i.toString(16).padStart(11, '0')}`
    if (hash(id) % 12 === 0) ids.push(id)
  }
  return ids
}

/** A page for `room` whose person has this id and name (in localStorage before the page runs). */
async function openAs (browser, room, id, name, viewport = { width: 700, height: 500 }) {
  const context = await browser.newContext({ viewport, baseURL: baseUrl })
  await context.addInitScript(([i, n]) => {
    localStorage.setItem('collab:user-id', i)
    localStorage.setItem('collab:user-name', n)
  }, [id, name])
  const page = await context.newPage()
  page.on('pageerror', (err) => log(`[page error] ${err.message}`))
  await page.goto(`/d/${encodeURIComponent(room)}`)
  await waitStatus(page, 'connected')
  await page.waitForFunction(() => window.collab, null, { timeout: WAIT })
  return { context, page }
}

/** The colour each person present has in this page's awareness: {id: color}. */
function colours (page) {
  return page.evaluate(() => Object.fromEntries([...window.collab.provider.awareness.getStates().values()]
    .filter((s) => s.user).map((s) => [s.user.id, s.user.color])))
}

/** Is `selector` shown (an element, displayed, with a box) in `page`? */
function shown (page, selector) {
  return page.evaluate((sel) => [...document.querySelectorAll(sel)].some((el) => {
    const box = el.getBoundingClientRect()
    return el.checkVisibility() && box.width > 0 && box.height > 0
  }), selector)
}

const scenarios = {
  /** Plain text: ArrowUp, Ctrl+End and Ctrl+Home keep the caret below the sticky header. */
  async 'caret-clear-text' (browser) {
    const a = await openEditor(browser, 'caret-text', { name: 'Ada', viewport: { width: 900, height: 640 } })
    const text = Array.from({ length: LINES }, (_, i) => `Line ${i + 1} of a long plain document.`).join('\n')
    await a.page.evaluate((t) => window.collab.ytext.insert(0, t), text)
    await a.page.click('.cm-content')
    await walkUp(a.page, LINES + 2, 'plain text at 900 px')
    await a.page.setViewportSize({ width: 390, height: 700 })
    await walkUp(a.page, 12, 'plain text at 390 px')
  },

  /** Rich text: the same, below the header and the sticky toolbar. */
  async 'caret-clear-rich' (browser) {
    const a = await openRich(browser, 'caret-rich', { name: 'Ada', query: '?kind=rich', viewport: { width: 900, height: 640 } })
    const html = Array.from({ length: LINES }, (_, i) => `<p>Paragraph ${i + 1} of a long rich document.</p>`).join('')
    await a.page.evaluate((h) => window.collab.editor.commands.setContent(h), html)
    await a.page.click('.rich-content')
    await walkUp(a.page, LINES + 2, 'rich text at 900 px')
    await a.page.setViewportSize({ width: 390, height: 700 })
    await walkUp(a.page, 12, 'rich text at 390 px')
  },

  /** Text typed after a link is not part of it: after Ctrl+K at the caret and after a click at
   *  the end of a link. Ctrl+click on a link opens it in a new tab. */
  async 'rich-links' (browser) {
    const a = await openRich(browser, 'rich-links', { name: 'Ada', query: '?kind=rich' })
    const target = `${baseUrl}/`
    await a.page.click('.rich-content')
    await a.page.keyboard.type('See ', { delay: 10 })
    await a.page.keyboard.press('Control+k')
    await a.page.waitForSelector('.link-form input', { state: 'visible', timeout: WAIT })
    await a.page.fill('.link-form input', target)
    // Applying the link gives the keyboard back to the document at once, not a frame later:
    // a key typed in between would be lost (the space of " for more" once was).
    const focused = await a.page.evaluate(() => {
      document.querySelector('.link-form').requestSubmit()
      return !!document.activeElement?.closest('.rich-content')
    })
    check(focused, 'the document does not have the keyboard right after the link is applied')
    await a.page.keyboard.type(' for more', { delay: 10 })
    const first = await a.page.evaluate(() => window.collab.editor.getHTML())
    check(/<a [^>]*>[^<]*<\/a> for more<\/p>/.test(first) && (first.match(/<a /g) || []).length === 1,
      `after Ctrl+K at the caret: ${first}`)
    // A link at the end of its paragraph; a click just after its last letter, then typing.
    await a.page.keyboard.press('Enter')
    await a.page.keyboard.type('Go here', { delay: 10 })
    await a.page.keyboard.down('Shift')
    for (let i = 0; i < 4; i++) await a.page.keyboard.press('ArrowLeft')
    await a.page.keyboard.up('Shift')
    await a.page.keyboard.press('Control+k')
    await a.page.fill('.link-form input', target)
    await a.page.keyboard.press('Enter')
    await a.page.keyboard.press('Home')
    const box = await a.page.locator('.rich-content p:nth-child(2) a').boundingBox()
    await a.page.mouse.click(box.x + box.width - 1, box.y + box.height / 2)
    await a.page.keyboard.type('!', { delay: 10 })
    const second = await a.page.evaluate(() => window.collab.editor.getHTML())
    check(/>here<\/a>!<\/p>/.test(second), `after a click at the end of a link: ${second}`)
    // Ctrl+click follows the link, in a new tab; a plain click only places the caret.
    const popup = a.context.waitForEvent('page', { timeout: WAIT })
    await a.page.click('.rich-content p:nth-child(2) a', { modifiers: ['Control'] })
    const opened = await popup
    await opened.waitForLoadState('domcontentloaded')
    check(opened.url() === target, `Ctrl+click opened ${opened.url()}`)
    const pages = a.context.pages().length
    await a.page.click('.rich-content p:nth-child(1) a')
    await frames(a.page)
    check(a.context.pages().length === pages, 'a plain click opened the link')
    const title = await a.page.getAttribute('.rich-content p:nth-child(1) a', 'title')
    check(/Ctrl\+click|⌘-click|⌘\+click/.test(title || ''), `the link does not say how to open it: title ${title}`)
  },

  /** Plain text: web addresses are underlined and Ctrl+click opens one in a new tab. */
  async 'text-links' (browser) {
    const a = await openEditor(browser, 'text-links', { name: 'Ada' })
    const target = `${baseUrl}/`
    await a.page.click('.cm-content')
    await a.page.keyboard.type(`Read ${target}, then write.`, { delay: 5 })
    await a.page.waitForSelector('.cm-url', { timeout: WAIT })
    check(await a.page.textContent('.cm-url') === target, `underlined: ${await a.page.textContent('.cm-url')}`)
    const popup = a.context.waitForEvent('page', { timeout: WAIT })
    await a.page.click('.cm-url', { modifiers: ['Control'] })
    const opened = await popup
    await opened.waitForLoadState('domcontentloaded')
    check(opened.url() === target, `Ctrl+click opened ${opened.url()}`)
    const pages = a.context.pages().length
    await a.page.click('.cm-url')
    await frames(a.page)
    check(a.context.pages().length === pages, 'a plain click opened the address')
    const text = await a.page.evaluate(() => window.collab.ytext.toString())
    check(text === `Read ${target}, then write.`, `the text changed: ${text}`)
  },

  /** Six people whose ids would all give the same colour end up with six colours; initials
   *  take letters and digits only. */
  async 'room-colours' (browser) {
    const room = 'colour-room'
    const names = ['Team (admin)', 'Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Edsger Dijkstra', 'Barbara Liskov']
    const ids = clashingIds(names.length)
    // All at once, as when a meeting starts.
    const opened = await Promise.all(ids.map((id, i) => openAs(browser, room, id, names[i])))
    const deadline = Date.now() + WAIT
    let seen = []
    while (Date.now() < deadline) {
      seen = await Promise.all(opened.map(({ page }) => colours(page)))
      const settled = seen.every((m) => Object.keys(m).length === names.length &&
        new Set(Object.values(m)).size === names.length &&
        JSON.stringify(Object.entries(m).sort()) === JSON.stringify(Object.entries(seen[0]).sort()))
      if (settled) break
      await opened[0].page.waitForTimeout(100)
    }
    check(seen.every((m) => new Set(Object.values(m)).size === names.length && Object.keys(m).length === names.length),
      `colours in the room: ${JSON.stringify(seen)}`)
    // The avatars show those colours, and the initials are letters.
    const avatars = await opened[0].page.evaluate(() => [...document.querySelectorAll('#presence .avatar:not(.avatar-more)')]
      .map((el) => ({ name: el.dataset.name, text: el.textContent, color: el.style.getPropertyValue('--avatar-color') })))
    const team = avatars.find((x) => x.name === 'Team (admin)')
    check(team && team.text === 'TA', `initials of "Team (admin)": ${JSON.stringify(team)}`)
    check(new Set(avatars.map((x) => x.color)).size === avatars.length, `avatar colours: ${JSON.stringify(avatars)}`)
    // One more person, later: a seventh colour, the six others unchanged.
    const before = seen[0]
    const late = await openAs(browser, room, clashingIds(names.length + 1)[names.length], 'Late Comer')
    await late.page.waitForFunction((n) => {
      const users = [...window.collab.provider.awareness.getStates().values()].filter((s) => s.user).map((s) => s.user.color)
      return users.length === n && new Set(users).size === n
    }, names.length + 1, { timeout: WAIT })
    const after = await colours(late.page)
    for (const [id, color] of Object.entries(before)) check(after[id] === color, `${id} changed colour on a newcomer: ${color} -> ${after[id]}`)
  },

  /** Printing shows the document alone, black on white, in the rich and the plain editor: with
   *  the find bar open and (rich text) the caret in a table, the bars, table tools and panels
   *  are not printed; the table (whole, not cut at the page's edge) and an image are. */
  async print (browser) {
    const dir = SHOTS()
    mkdirSync(dir, { recursive: true })
    for (const kind of ['rich', 'text']) {
      const room = `print-${kind}`
      const a = await openEditor(browser, room, { name: 'Ada', query: `?kind=${kind}`, viewport: { width: 1280, height: 800 } })
      if (kind === 'rich') {
        await a.page.evaluate(() => window.collab.editor.commands.setContent('<h1>Quarterly plan</h1><p>We ship <strong>on Friday</strong>, then <a href="https://example.com">review</a>.</p><ul><li><p>Budget</p></li><li><p>Hiring</p></li></ul>' +
          '<table><tbody><tr><th><p>Owner</p></th><th><p>Task</p></th><th><p>Due</p></th><th><p>Status</p></th></tr>' +
          '<tr><td><p>Ada</p></td><td><p>Write the specification</p></td><td><p>Monday</p></td><td><p>Done</p></td></tr>' +
          '<tr><td><p>Bob</p></td><td><p>Build the editor</p></td><td><p>Tuesday</p></td><td><p>In progress</p></td></tr></tbody></table><p>The chart:</p>'))
        // An image as another editor puts it on the clipboard (a data: URL): uploaded.
        await focusEnd(a.page)
        await a.page.evaluate(() => {
          const canvas = document.createElement('canvas')
          canvas.width = 360
          canvas.height = 160
          const ctx = canvas.getContext('2d')
          const gradient = ctx.createLinearGradient(0, 0, 360, 160)
          gradient.addColorStop(0, '#3e63dd')
          gradient.addColorStop(1, '#ec4899')
          ctx.fillStyle = gradient
          ctx.fillRect(0, 0, 360, 160)
          const transfer = new DataTransfer()
          transfer.setData('text/html', `<img src="${canvas.toDataURL('image/png')}" alt="Chart of the quarter">`)
          transfer.setData('text/plain', 'chart')
          document.querySelector('.rich-content').dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }))
        })
        await a.page.waitForFunction(() => [...document.querySelectorAll('.rich-content img')].some((img) => !img.src.startsWith('data:') && img.complete && img.naturalWidth === 360), null, { timeout: WAIT })
          .catch(() => check(false, 'the pasted image was not uploaded and shown'))
      } else {
        await a.page.evaluate(() => window.collab.ytext.insert(0, '# Quarterly plan\n\nWe ship on Friday, then review.\n\n- Budget\n- Hiring\n'))
      }
      await a.page.click('#side-toggle') // the History panel open
      await a.page.waitForSelector('#side-panel', { state: 'visible', timeout: WAIT })
      // The find bar open, then (rich text) the caret in a table cell: its tools shown.
      await a.page.click(kind === 'rich' ? '.rich-content h1' : '.cm-content')
      await a.page.keyboard.press('Control+f')
      await a.page.waitForSelector(kind === 'rich' ? '.find-bar' : '.find-bar, .cm-panels', { state: 'visible', timeout: WAIT })
      await a.page.keyboard.type('plan', { delay: 10 })
      const hidden = ['.app-header', '.toolbar-wrap', '#side-panel', '#comments-panel', '#presence', '#share-dialog', '.connection-banner', '#notice', '.comment-fab', '.cm-ySelectionInfo', '.collaboration-carets__label', '.doc-status', '#outline-panel', '.find-bar', '.cm-panels', '.image-status']
      if (kind === 'rich') {
        await a.page.click('.rich-content table tr:nth-child(2) > td:nth-child(2) p')
        await a.page.waitForSelector('.table-tools', { state: 'visible', timeout: WAIT })
        check(await shown(a.page, '.find-bar'), 'rich: the find bar closed when the caret went into the table')
        hidden.push('.table-tools')
      }
      for (const width of [1280, 390]) {
        await a.page.setViewportSize({ width, height: width === 1280 ? 800 : 844 })
        for (const scheme of ['light', 'dark']) {
          await a.page.emulateMedia({ media: 'print', colorScheme: scheme })
          const what = `${kind}, print at ${width} px, ${scheme}`
          for (const sel of hidden) check(!(await shown(a.page, sel)), `${what}: ${sel} is shown`)
          const text = kind === 'rich' ? '.rich-content' : '.cm-content'
          check(await shown(a.page, text), `${what}: the text is not shown`)
          check(await a.page.evaluate((sel) => {
            const first = document.querySelector(sel).firstElementChild.getBoundingClientRect()
            return !!document.elementFromPoint(first.left + 4, first.top + first.height / 2)?.closest(sel)
          }, text), `${what}: the text's first line is not there to print (hidden or covered)`)
          const look = await a.page.evaluate((sel) => {
            const el = document.querySelector(sel)
            const surface = el.closest('.doc-surface')
            return { color: getComputedStyle(el).color, bg: getComputedStyle(document.body).backgroundColor, surface: getComputedStyle(surface).backgroundColor, left: el.getBoundingClientRect().left }
          }, text)
          check(look.color === 'rgb(0, 0, 0)' && ['rgb(255, 255, 255)', 'rgba(0, 0, 0, 0)'].includes(look.surface) && look.bg === 'rgb(255, 255, 255)',
            `${what}: text ${look.color} on ${look.surface} / ${look.bg}`)
          // The find bar's matches (of "plan") are not marked on paper.
          const marks = await a.page.evaluate(() => [...document.querySelectorAll('.find-match, .cm-searchMatch')].map((m) => {
            const style = getComputedStyle(m)
            return `${style.backgroundColor} ${style.outlineStyle} ${style.boxShadow}`
          }))
          check(marks.length > 0 && marks.every((m) => m === 'rgba(0, 0, 0, 0) none none'), `${what}: the find matches are marked: ${JSON.stringify(marks)}`)
          if (kind === 'rich') {
            const printed = await a.page.evaluate(() => {
              const table = document.querySelector('.rich-content table')
              const wrapper = table.closest('.tableWrapper')
              const img = document.querySelector('.rich-content img')
              const box = (el) => { const r = el.getBoundingClientRect(); return { width: r.width, height: r.height } }
              return {
                table: table.checkVisibility() ? box(table) : null,
                cells: [...table.querySelectorAll('th, td')].map((c) => c.textContent).join('|'),
                clipped: wrapper ? wrapper.scrollWidth > wrapper.clientWidth + 1 : false,
                image: img && img.checkVisibility() ? { ...box(img), natural: img.naturalWidth } : null
              }
            })
            check(printed.table && printed.table.width > 0 && printed.cells.startsWith('Owner|Task|Due|Status|Ada|Write the specification'), `${what}: the table is not printed: ${JSON.stringify(printed)}`)
            check(!printed.clipped, `${what}: the table is cut at the page's edge: ${JSON.stringify(printed)}`)
            check(printed.image && printed.image.width > 0 && printed.image.height > 0 && printed.image.natural === 360, `${what}: the image is not printed: ${JSON.stringify(printed)}`)
          }
          await a.page.screenshot({ path: join(dir, `print-${kind}-${width}-${scheme}.png`), fullPage: true })
        }
      }
      await a.page.emulateMedia({ media: 'screen', colorScheme: 'light' })
      await a.context.close()
    }
  },

  /** On a phone, the offline status does not squeeze the title; a viewer's "View only" badge
   *  (an eye there, its words still announced) leaves the title a readable part, cut with an
   *  ellipsis. */
  async 'phone-header' (browser) {
    const room = 'Q3-planning-and-budget-review'
    const phone = { viewport: { width: 390, height: 844 } }
    const a = await openPage(browser, `/d/${room}#token=${TOKENS.editor}`, phone)
    await waitStatus(a.page, 'connected')
    const online = await headerTitle(a.page)
    await a.context.setOffline(true)
    await waitStatus(a.page, 'offline')
    // Changes made offline: the saved indicator says "Unsaved changes".
    await a.page.click('.cm-content')
    await a.page.keyboard.type('Written offline.', { delay: 10 })
    await a.page.waitForFunction(() => document.getElementById('saved').dataset.state === 'unsaved', null, { timeout: WAIT })
    const offline = await headerTitle(a.page)
    check(offline.width >= online.width - 8, `the title shrank offline: ${JSON.stringify({ online, offline })}`)
    check(offline.overflow.length === 0, `the header overflows offline: ${offline.overflow}`)
    await a.context.setOffline(false)
    await waitStatus(a.page, 'connected')

    // A viewer, with the editor here too (two avatars).
    const v = await openPage(browser, `/d/${room}#token=${TOKENS.viewer}`, phone)
    await waitStatus(v.page, 'connected')
    await v.page.waitForFunction(() => document.querySelectorAll('#presence .avatar').length === 2, null, { timeout: WAIT })
    check(await v.page.isVisible('#role-badge'), 'a viewer has no View only badge')
    for (const scheme of ['light', 'dark']) {
      await v.page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' })
      await v.page.screenshot({ path: join(SHOTS(), `phone-header-viewer-390-${scheme}.png`) })
      await checkAxe(v.page, `the viewer's phone header, ${scheme}`)
    }
    const viewer = await headerTitle(v.page)
    log(`viewer at 390 px: ${JSON.stringify(viewer)}`)
    check(viewer.text === room, `the viewer's title reads ${JSON.stringify(viewer.text)}`)
    check(viewer.overflow.length === 0, `the viewer's header overflows: ${viewer.overflow}`)
    // Readable: room for 8 characters or more; cut with an ellipsis (the title does not fit).
    check(viewer.shown >= 8 * viewer.charWidth, `the viewer's title keeps ${viewer.shown} px (${viewer.charWidth} px a character): ${JSON.stringify(viewer)}`)
    check(viewer.cut && viewer.ellipsis, `the viewer's title is cut without an ellipsis: ${JSON.stringify(viewer)}`)
    const badge = await badgeLook(v.page)
    check(badge.name === 'View only' && badge.title === 'View only', `the badge on a phone is announced as ${JSON.stringify(badge)}`)
    check(badge.width <= 40, `the badge on a phone is ${badge.width} px wide`)
    // On a wide screen the badge says it in words, and the whole title is shown.
    await v.page.setViewportSize({ width: 1280, height: 800 })
    await v.page.emulateMedia({ colorScheme: 'light' })
    const wide = await headerTitle(v.page)
    const wideBadge = await badgeLook(v.page)
    check(!wide.cut && wide.text === room, `the viewer's title at 1280 px: ${JSON.stringify(wide)}`)
    check(wideBadge.name === 'View only' && wideBadge.width > 60, `the badge at 1280 px: ${JSON.stringify(wideBadge)}`)
    await v.page.screenshot({ path: join(SHOTS(), 'phone-header-viewer-1280-light.png') })
  },

  /** Screenshots (1280 and 390 px, light and dark) of both editors, each checked by axe-core. */
  async shots (browser) {
    const dir = SHOTS()
    mkdirSync(dir, { recursive: true })
    for (const kind of ['text', 'rich']) {
      const room = `Q3-planning-${kind}`
      const a = await openEditor(browser, room, { name: 'Team (admin)', query: `?kind=${kind}` })
      const b = await openEditor(browser, room, { name: 'Ada Lovelace' })
      if (kind === 'rich') {
        await a.page.evaluate(() => window.collab.editor.commands.setContent('<h1>Quarterly plan</h1><p>We ship <strong>on Friday</strong>, then <a href="https://example.com">review</a> it.</p>' + '<p>Another paragraph of the plan, to fill the page.</p>'.repeat(60)))
      } else {
        await a.page.evaluate(() => window.collab.ytext.insert(0, '# Quarterly plan\n\nWe ship on Friday, then review it: https://example.com\n' + 'Another line of the plan, to fill the page.\n'.repeat(80)))
      }
      await a.page.click(kind === 'rich' ? '.rich-content' : '.cm-content')
      for (const look of LOOKS) {
        await a.page.setViewportSize({ width: look.width, height: look.height })
        await a.page.emulateMedia({ colorScheme: look.scheme, reducedMotion: 'reduce' })
        // From the end, up past the top of the window: the page scrolls with the caret.
        await a.page.keyboard.press('Control+End')
        for (let i = 0; i < 34; i++) await a.page.keyboard.press('ArrowUp')
        await expectCaretClear(a.page, `${kind} at ${look.width} ${look.scheme}`)
        await a.page.screenshot({ path: join(dir, `editor-${kind}-${look.width}-${look.scheme}.png`) })
        await checkAxe(a.page, `${kind} editor at ${look.width} px, ${look.scheme}`)
      }
      await a.context.setOffline(true)
      await waitStatus(a.page, 'offline')
      await a.page.keyboard.type('Offline. ', { delay: 10 })
      await a.page.waitForFunction(() => document.getElementById('saved').dataset.state === 'unsaved', null, { timeout: WAIT })
      for (const scheme of ['light', 'dark']) {
        await a.page.setViewportSize({ width: 390, height: 844 })
        await a.page.emulateMedia({ colorScheme: scheme })
        await a.page.screenshot({ path: join(dir, `editor-${kind}-390-${scheme}-offline.png`) })
        await checkAxe(a.page, `${kind} editor offline at 390 px, ${scheme}`)
      }
      await a.context.close()
      await b.context.close()
    }
  }
}

run(scenarios)
