// Browser end-to-end scenario for blame (issue 26 item 2): the Authors toggle under the text
// colours a plain-text document by who wrote it, with a legend and each part's author and time
// on hover, and follows another page's edits. Run by tests/browser/test_blame.py; see
// common.mjs for how scenarios are driven.
import { WAIT, captureLooks, check, openEditor, run, waitSaved } from './common.mjs'

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

/** The coloured runs the page shows: [[author, text, title]]. */
const shownRuns = (page) => page.evaluate(() => [...document.querySelectorAll('.cm-blame')].map((n) => [n.dataset.author, n.textContent, n.title]))
const legend = (page) => page.evaluate(() => [...document.querySelectorAll('#blame-legend .blame-author')].map((n) => n.textContent))
const text = (page) => page.evaluate(() => window.collab.ytext.toString())
const richText = (page) => page.evaluate(() => window.collab.editor.getText({ blockSeparator: '\n' }))

function joinedBy (runs, author) {
  return runs.filter(([who]) => who === author).map(([, t]) => t).join('')
}

const scenarios = {
  /** Ada and Bob write; Ada's Authors toggle shows two colours, names in the legend and on
   *  hover; Bob's next words are credited to him on Ada's page without a click; off clears. */
  async 'authors-toggle' (browser) {
    const ada = await openEditor(browser, 'blame-text', { name: 'Ada', query: '?kind=text', viewport: { width: 1280, height: 800 } })
    await ada.page.click('.cm-content')
    await ada.page.keyboard.type('Hello from Ada. ', { delay: 5 })
    await waitSaved(ada.page)
    const bob = await openEditor(browser, 'blame-text', { name: 'Bob' })
    await waitFor(() => text(bob.page), (t) => t === 'Hello from Ada. ', "Bob's copy")
    await bob.page.click('.cm-content')
    await bob.page.keyboard.press('Control+End')
    await bob.page.keyboard.type('Bob adds this.', { delay: 5 })
    await waitSaved(bob.page)
    await waitFor(() => text(ada.page), (t) => t === 'Hello from Ada. Bob adds this.', "Ada's copy")

    check(await ada.page.getAttribute('#blame-toggle', 'aria-pressed') === 'false', 'Authors starts pressed')
    await ada.page.click('#blame-toggle')
    check(await ada.page.getAttribute('#blame-toggle', 'aria-pressed') === 'true', 'Authors is not pressed')
    const runs = await waitFor(() => shownRuns(ada.page), (r) => joinedBy(r, 'Bob') === 'Bob adds this.', 'coloured runs')
    check(joinedBy(runs, 'Ada') === 'Hello from Ada. ', `Ada's runs: ${JSON.stringify(runs)}`)
    const colours = await ada.page.evaluate(() => new Set([...document.querySelectorAll('.cm-blame')].map((n) => getComputedStyle(n).backgroundColor)).size)
    check(colours === 2, `two authors, ${colours} colours`)
    check(JSON.stringify(await legend(ada.page)) === '["Ada","Bob"]', `legend: ${await legend(ada.page)}`)
    // Each author present is shown in the colour of their caret and avatar, as Ada's page has it.
    const looks = await ada.page.evaluate(() => {
      const own = new Map([...window.collab.provider.awareness.getStates().values()].map((s) => [s.user?.name, s.user?.color]))
      return ['Ada', 'Bob'].map((name) => {
        const run = document.querySelector(`.cm-blame[data-author="${name}"]`)
        return [getComputedStyle(run).getPropertyValue('--blame-person').trim().toLowerCase(), (own.get(name) || '').toLowerCase()]
      })
    })
    check(looks.every(([shown, present]) => shown && shown === present), `blame colours against presence colours: ${JSON.stringify(looks)}`)
    // Hovering a run shows its author and when they wrote it.
    await ada.page.hover('.cm-blame[data-author="Bob"]')
    const title = await ada.page.getAttribute('.cm-blame[data-author="Bob"]', 'title')
    check(/^Bob · .*\d/.test(title), `hover title: ${title}`)
    // The outline opens beside the text on wide screens, over it on phones: closed for the shots.
    if (await ada.page.getAttribute('#outline-toggle', 'aria-expanded') === 'true') await ada.page.click('#outline-toggle')
    await captureLooks(ada.page, 'blame')

    // Bob writes on: Ada's page asks again once his edits pause.
    await bob.page.keyboard.type(' More.', { delay: 5 })
    await waitSaved(bob.page)
    await waitFor(() => shownRuns(ada.page), (r) => joinedBy(r, 'Bob') === 'Bob adds this. More.', 'runs after Bob wrote on')

    await ada.page.click('#blame-toggle')
    await waitFor(() => shownRuns(ada.page), (r) => r.length === 0, 'runs after Authors was turned off')
    check(await ada.page.isHidden('#blame-legend'), 'the legend stays after Authors was turned off')
  },

  /** Rich text: Ada's paragraph and Bob's next one, coloured apart on Bob's page. */
  async 'authors-rich' (browser) {
    const ada = await openEditor(browser, 'blame-rich', { name: 'Ada', query: '?kind=rich' })
    await ada.page.waitForSelector('.rich-content', { timeout: WAIT })
    await ada.page.click('.rich-content')
    await ada.page.keyboard.type('Rich words from Ada', { delay: 5 })
    await waitSaved(ada.page)
    const bob = await openEditor(browser, 'blame-rich', { name: 'Bob', viewport: { width: 1280, height: 800 } })
    await bob.page.waitForSelector('.rich-content', { timeout: WAIT })
    await waitFor(() => richText(bob.page), (t) => t === 'Rich words from Ada', "Bob's copy")
    await bob.page.click('.rich-content')
    await bob.page.keyboard.press('Control+End')
    await bob.page.keyboard.press('Enter')
    await bob.page.keyboard.type('A line by Bob', { delay: 5 })
    await waitSaved(bob.page)
    await bob.page.click('#blame-toggle')
    const runs = await waitFor(() => shownRuns(bob.page), (r) => joinedBy(r, 'Bob') === 'A line by Bob', 'coloured rich runs')
    check(joinedBy(runs, 'Ada') === 'Rich words from Ada', `Ada's rich runs: ${JSON.stringify(runs)}`)
    check(JSON.stringify(await legend(bob.page)) === '["Ada","Bob"]', `rich legend: ${await legend(bob.page)}`)
    check(/^Ada · .*\d/.test(await bob.page.getAttribute('.cm-blame[data-author="Ada"]', 'title')), 'rich hover title')
    if (await bob.page.getAttribute('#outline-toggle', 'aria-expanded') === 'true') await bob.page.click('#outline-toggle')
    await captureLooks(bob.page, 'blame-rich')
  }
}

await run(scenarios)
