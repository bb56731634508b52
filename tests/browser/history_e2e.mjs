// Browser end-to-end scenarios for live history (issue 10 item 6), run by
// tests/browser/test_history_live.py; see common.mjs for how they are driven.
import { join } from 'node:path'
import {
  WAIT, baseUrl, captureLooks, outdir, check, log, openEditor, openHistory, run, waitSaved, waitVersions
} from './common.mjs'

function text (page) {
  return page.evaluate(() => window.collab.ytext.toString())
}

async function waitFor (page, read, predicate, what, timeout = WAIT) {
  const deadline = Date.now() + timeout
  let now
  while (Date.now() < deadline) {
    now = await read(page)
    if (predicate(now)) return now
    await page.waitForTimeout(100)
  }
  throw new Error(`${what}: got ${JSON.stringify(now)}`)
}

async function waitNotice (page, predicate, what) {
  return waitFor(page, (p) => p.evaluate(() => {
    const box = document.getElementById('notice')
    return box.hidden ? '' : box.textContent.trim()
  }), predicate, what)
}

async function versionsOf (room) {
  const res = await fetch(`${baseUrl}/api/rooms/${room}/versions`)
  return (await res.json()).items
}

const scenarios = {
  /** A name picked at the prompt credits the edits made after it, without reconnecting; a
   *  version or a restore appears in every open History panel at once, with a notice; undo
   *  after a restore does not bring back what the restore already did. */
  async 'history-live' (browser) {
    const room = 'live-history-room'
    const a = await openEditor(browser, room, { viewport: { width: 1200, height: 760 } })
    const placeholder = await a.page.inputValue('#name-input')
    await a.page.fill('#name-input', 'Ada')
    await a.page.press('#name-input', 'Enter')
    const sockets = await a.page.evaluate(() => window.collab.provider.wsUnsuccessfulReconnects)
    const b = await openEditor(browser, room, { name: 'Ben', viewport: { width: 1200, height: 760 } })
    await openHistory(b.page)
    await openHistory(a.page)
    await a.page.click('.cm-content')
    await a.page.keyboard.type('Hello brave world.', { delay: 10 })
    await waitFor(b.page, text, (t) => t === 'Hello brave world.', 'B sees A')
    await waitSaved(a.page)
    // A names a version; B's panel shows it without a refresh, with a notice.
    await a.page.fill('#version-label', 'First draft')
    await a.page.click('#save-version button[type="submit"]')
    const items = await waitVersions(b.page, (v) => v.some((i) => i.label === 'First draft'), 'B\'s panel never showed the version')
    const named = items.find((i) => i.label === 'First draft')
    check(named.text.includes('edits by Ada') && !named.text.includes(placeholder),
      `the version credits ${JSON.stringify(named.text)} (placeholder was ${placeholder})`)
    await waitNotice(b.page, (n) => n.includes('Ada saved the version “First draft”'), 'B\'s notice for the version')
    check(await a.page.evaluate(() => window.collab.provider.wsUnsuccessfulReconnects) === sockets, 'A reconnected')
    const stored = (await versionsOf(room)).find((v) => v.label === 'First draft')
    check(JSON.stringify(stored.authors) === '["Ada"]', `stored authors ${JSON.stringify(stored.authors)}`)
    // A deletes a word; B restores the draft from the panel; A is told, and A's undo is safe.
    await a.page.click('.cm-content')
    await a.page.keyboard.press('Control+End')
    for (let i = 0; i < ' brave world.'.length; i++) await a.page.keyboard.press('Backspace')
    await a.page.keyboard.type('!', { delay: 10 })
    await waitFor(b.page, text, (t) => t === 'Hello!', 'B sees the deletion')
    await waitSaved(a.page)
    await b.page.click(`#version-list .version-item[data-version-id="${named.id}"]`)
    await b.page.click('#restore-button')
    await b.page.click('#restore-yes')
    await waitFor(a.page, text, (t) => t === 'Hello brave world.', 'A after the restore')
    await waitNotice(a.page, (n) => n === 'Ben restored “First draft”.×' || n.startsWith('Ben restored “First draft”.'), 'A\'s restore notice')
    await waitVersions(a.page, (v) => v.some((i) => i.kind === 'restore'), 'A\'s panel never showed the restore')
    await a.page.screenshot({ path: join(outdir, 'history-live-notice.png') })
    await a.page.click('.cm-content')
    await a.page.keyboard.press('Control+z')
    await a.page.keyboard.press('Control+z')
    await a.page.waitForTimeout(800)
    const after = await text(a.page)
    check(after === 'Hello brave world.', `undo after the restore changed the text to ${JSON.stringify(after)}`)
    await waitFor(b.page, text, (t) => t === 'Hello brave world.', 'B after A pressed undo')
  },

  /** Any two versions compare, and a version opens read-only in full (plain and rich). */
  async 'history-compare' (browser) {
    const room = 'compare-room'
    const a = await openEditor(browser, room, { name: 'Ada', viewport: { width: 1200, height: 760 } })
    await openHistory(a.page)
    const save = async (label) => {
      await waitSaved(a.page)
      await a.page.fill('#version-label', label)
      await a.page.click('#save-version button[type="submit"]')
      await waitVersions(a.page, (v) => v.some((i) => i.label === label), `version ${label}`)
    }
    await a.page.click('.cm-content')
    await a.page.keyboard.type('one', { delay: 10 })
    await save('One')
    const typeEnd = async (words) => {
      await a.page.click('.cm-content')
      await a.page.keyboard.press('Control+End')
      await a.page.keyboard.type(words, { delay: 10 })
    }
    await typeEnd(' two')
    await save('Two')
    await typeEnd(' three')
    await waitSaved(a.page)
    const items = await waitVersions(a.page, (v) => v.length >= 2, 'versions')
    const one = items.find((i) => i.label === 'One')
    const two = items.find((i) => i.label === 'Two')
    await a.page.click(`#version-list .version-item[data-version-id="${one.id}"]`)
    await a.page.waitForSelector('#diff-view ins.diff-insert', { timeout: WAIT })
    await a.page.selectOption('#compare-with', String(two.id))
    await waitFor(a.page, (p) => p.evaluate(() => [...document.querySelectorAll('#diff-view ins')].map((n) => n.textContent).join('')),
      (t) => t === ' two', 'One compared with Two')
    const caption = () => a.page.textContent('#diff-caption-title')
    check(/^Changes from this version to “Two”, .*\d/.test(await caption()), `compare caption: ${await caption()}`)
    check(await a.page.isHidden('#restore-legend'), 'the restore legend is shown for a version-to-version diff')
    // Issue 25, item 7: compared with an older version, the later text reads as added (time
    // order), and the caption says which version, by its time.
    await a.page.click('#preview-back')
    await a.page.click(`#version-list .version-item[data-version-id="${two.id}"]`)
    await a.page.waitForSelector('#diff-view ins.diff-insert', { timeout: WAIT })
    await a.page.selectOption('#compare-with', String(one.id))
    const changes = await waitFor(a.page, (p) => p.evaluate(() => [...document.querySelectorAll('#diff-view ins, #diff-view del')].map((n) => `${n.nodeName}:${n.textContent}`).join('|')),
      (t) => t && !t.includes(' three'), 'Two compared with One')
    check(changes === 'INS: two', `Two compared with the older One: ${changes}`)
    check(/^Changes from “One”, .*\d.* to this version$/.test(await caption()), `caption in time order: ${await caption()}`)
    check((await a.page.textContent('#diff-stats')).startsWith('+4 added'), `stats: ${await a.page.textContent('#diff-stats')}`)
    await a.page.click('#tab-full')
    await waitFor(a.page, (p) => p.evaluate(() => document.querySelector('#full-view .full-text')?.textContent), (t) => t === 'one two', 'version Two in full')
    check(await a.page.evaluate(() => window.collab.ytext.toString()) === 'one two three', 'viewing a version changed the document')
    await a.page.screenshot({ path: join(outdir, 'history-compare.png') })
    // A rich document's version in full: rendered, in a frame that runs nothing.
    const r = await openEditor(browser, 'compare-rich-room', { name: 'Ada', query: '?kind=rich', viewport: { width: 1200, height: 760 } })
    await r.page.waitForSelector('.rich-content')
    await r.page.click('.rich-content')
    await r.page.click('.toolbar [data-tool="heading1"]')
    await r.page.keyboard.type('Rich title', { delay: 10 })
    await r.page.keyboard.press('Enter')
    await r.page.keyboard.type('<img src=x onerror=alert(1)> stays text', { delay: 5 })
    await r.page.keyboard.press('Enter')
    await r.page.click('.toolbar [data-tool="taskList"]')
    await r.page.keyboard.type('Buy milk', { delay: 5 })
    await waitSaved(r.page)
    await openHistory(r.page)
    await r.page.fill('#version-label', 'Rich one')
    await r.page.click('#save-version button[type="submit"]')
    const rich = (await waitVersions(r.page, (v) => v.some((i) => i.label === 'Rich one'), 'rich version')).find((i) => i.label === 'Rich one')
    await r.page.click(`#version-list .version-item[data-version-id="${rich.id}"]`)
    await r.page.click('#tab-full')
    const frame = await (await r.page.waitForSelector('#full-view iframe.full-rich', { timeout: WAIT })).contentFrame()
    await frame.waitForSelector('h1', { timeout: WAIT })
    check(await frame.textContent('h1') === 'Rich title', 'rich version heading')
    check((await frame.textContent('p')).includes('<img src=x onerror=alert(1)> stays text'), 'markup in the text was not kept as text')
    check(await r.page.getAttribute('#full-view iframe', 'sandbox') === '', 'the frame is not sandboxed')
    // Issue 25, item 8: a task item is its box and its text on one line, with no bullet.
    const task = await frame.evaluate(() => {
      const item = document.querySelector('ul[data-type="taskList"] > li[data-checked="false"]')
      const box = item && item.querySelector('input[type="checkbox"]')
      if (!box) return null
      const words = document.createRange()
      words.selectNodeContents(item)
      const text = [...words.getClientRects()].filter((r) => r.left > box.getBoundingClientRect().right)
      const middle = (r) => (r.top + r.bottom) / 2
      return {
        bullet: getComputedStyle(item).listStyleType,
        disabled: box.disabled,
        text: item.textContent.trim(),
        apart: text.length ? Math.abs(middle(text[0]) - middle(box.getBoundingClientRect())) : null
      }
    })
    check(task && task.text === 'Buy milk' && task.disabled, `task item: ${JSON.stringify(task)}`)
    check(task.bullet === 'none', `a task item shows a bullet: ${task.bullet}`)
    check(task.apart !== null && task.apart < 8, `the task's text is not on its box's line: ${JSON.stringify(task)}`)
    await r.page.screenshot({ path: join(outdir, 'history-rich-full.png') })
    await captureLooks(r.page, 'history-rich-full')
    log('compare ok')
  },

  /** Issue 25, item 5: on a phone (390 px) the preview fits its sheet: the "Compare with" list
   *  (as wide as its longest option) widened it to 462 px, cutting off the badge, the counts,
   *  the diff and the restore confirmation. */
  async 'history-phone' (browser) {
    const a = await openEditor(browser, 'phone-history-room', { name: 'Ada', viewport: { width: 390, height: 844 } })
    const save = async (label) => {
      await waitSaved(a.page)
      await a.page.fill('#version-label', label)
      await a.page.click('#save-version button[type="submit"]')
      return (await waitVersions(a.page, (v) => v.some((i) => i.label === label), `version ${label}`)).find((i) => i.label === label)
    }
    await a.page.click('.cm-content')
    await a.page.keyboard.type('First words of the plan.', { delay: 5 })
    await openHistory(a.page)
    const long = await save('Before the big rewrite of the introduction, the summary and every appendix')
    await a.page.click('#side-toggle') // the panel covers the text on a phone
    await a.page.click('.cm-content')
    await a.page.keyboard.press('Control+End')
    await a.page.keyboard.type(' Then the second part, written later.', { delay: 5 })
    await openHistory(a.page)
    const later = await save('Later')
    await a.page.click(`#version-list .version-item[data-version-id="${later.id}"]`)
    await a.page.waitForSelector('#version-preview', { state: 'visible', timeout: WAIT })
    await a.page.selectOption('#compare-with', String(long.id))
    // (Against the current text, the same as Later, nothing is marked.)
    await waitFor(a.page, (p) => p.evaluate(() => [...document.querySelectorAll('#diff-view ins, #diff-view del')].map((n) => n.textContent).join('')),
      (t) => t.includes('second part'), 'Later compared with the older version')
    const parts = ['#preview-back', '#preview-title', '#preview-kind', '#preview-time', '#tab-full', '#compare-with',
      '#diff-caption-title', '#diff-stats', '#diff-view', '#restore-button']
    const overflow = (selectors) => a.page.evaluate((selectors) => {
      const width = document.documentElement.clientWidth
      const bad = []
      for (const id of ['side-panel', 'version-preview', 'changes-view', 'diff-view']) {
        const node = document.getElementById(id)
        if (node.scrollWidth > node.clientWidth) bad.push(`#${id} is ${node.scrollWidth} px wide in ${node.clientWidth}`)
      }
      for (const selector of selectors) {
        const box = document.querySelector(selector)?.getBoundingClientRect()
        if (!box || !box.width) bad.push(`${selector} is not shown`)
        else if (box.left < 0 || box.right > width) bad.push(`${selector} spans ${Math.round(box.left)}..${Math.round(box.right)} of ${width} px`)
      }
      return bad
    }, selectors)
    let bad = await overflow(parts)
    check(!bad.length, `the preview does not fit 390 px: ${bad.join('; ')}`)
    await captureLooks(a.page, 'history-preview-compare')
    await a.page.setViewportSize({ width: 390, height: 844 })
    await a.page.click('#restore-button')
    await a.page.waitForSelector('#restore-confirm', { state: 'visible', timeout: WAIT })
    bad = await overflow(['#restore-confirm', '#restore-confirm-text', '#restore-yes', '#restore-no'])
    check(!bad.length, `the restore confirmation does not fit 390 px: ${bad.join('; ')}`)
    await captureLooks(a.page, 'history-restore-confirm')
    log('phone ok')
  }
}

run(scenarios)
