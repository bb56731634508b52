// Markdown pasted into rich text (issue 25, item 6): text that reads as Markdown (headings,
// lists, task lists, quotes, fences, tables, **bold**, [links](…)) and comes with no HTML of its
// own (or only the same text wrapped, as code editors put it) is pasted as the rich content it
// stands for. markdown-it (CommonMark with GitHub's tables and strikethrough, the server's
// import parser's twin: collab/content/markdown_in.py) makes HTML the editor's schema parses, as
// any pasted HTML: raw HTML in the Markdown is escaped into text, links the editor refuses lose
// their link, task items become the editor's, images from the web or this server image nodes
// (others their alt text).
// Ctrl+Shift+V (paste as plain text) pastes the raw text: ProseMirror's plain-text paste,
// without the editor's paste rules (which would still make **x** bold).
import { Extension } from '@tiptap/core'
import { Plugin, PluginKey } from '@tiptap/pm/state'
import MarkdownIt from 'markdown-it'

const md = new MarkdownIt('commonmark', { html: false }).enable(['table', 'strikethrough'])

// The editor's link rule (rich.js): http(s), mailto, or no scheme at all.
const ALLOWED_HREF = /^(https?:|mailto:|[^:]*$)/i
const WEB_URL = /^https?:\/\//i
const TASK = /^\[([ xX])\](?:\s|$)/

const BLOCK_SIGNS = [
  /^#{1,6}\s+\S/, // heading
  /^\s*[-*+]\s+\S/, // bullet item
  /^\s*\d{1,9}[.)]\s+\S/, // numbered item
  /^\s*>\s?/, // quote
  /^\s*(```|~~~)/, // fence
  /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$/ // a table's delimiter row
]
const INLINE_SIGNS = [
  /\*\*[^*\n]+\*\*/, // **bold**
  /__[^_\n]+__/, // __bold__
  /\[[^\]\n]+\]\([^)\s]+\)/, // [link](url)
  /~~[^~\n]+~~/, // ~~strike~~
  /`[^`\n]+`/ // `code`
]

/** Whether `text` reads as Markdown: a line that opens a block, or inline marks. */
export function looksLikeMarkdown (text) {
  if (!text || !text.trim()) return false
  const lines = text.replace(/\r\n?/g, '\n').split('\n')
  if (lines.some((line) => BLOCK_SIGNS.some((sign) => sign.test(line)))) return true
  return INLINE_SIGNS.some((sign) => sign.test(text))
}

const PLAIN_TAGS = new Set(['HTML', 'HEAD', 'BODY', 'META', 'STYLE', 'TITLE', 'DIV', 'SPAN', 'BR', 'P', 'PRE', 'CODE', 'FONT'])
// The text without its white space (block elements' textContent has no line breaks between them).
const words = (text) => text.replace(/\s+/g, '')

/** Whether clipboard HTML is only `plain` wrapped (a code editor's coloured copy): no element
 *  that formats, and the same characters but for white space. */
export function onlyWrapsText (html, plain) {
  if (!html.trim()) return true
  if (html.includes('data-pm-slice')) return false // copied from an editor like this one: its own slice
  const doc = new DOMParser().parseFromString(html, 'text/html')
  for (const el of doc.querySelectorAll('*')) {
    if (!PLAIN_TAGS.has(el.tagName)) return false
  }
  for (const el of doc.querySelectorAll('style, title, meta')) el.remove()
  return words(doc.body.textContent || '') === words(plain)
}

/** Markdown as HTML for the editor's schema (see above). */
export function markdownHtml (text) {
  const template = document.createElement('template') // inert: nothing loads, nothing runs
  template.innerHTML = md.render(text)
  const root = template.content
  for (const a of root.querySelectorAll('a')) {
    if (!ALLOWED_HREF.test(a.getAttribute('href') || '')) a.replaceWith(...a.childNodes)
  }
  for (const img of root.querySelectorAll('img')) {
    const src = img.getAttribute('src') || ''
    // The editor shows images from the web and this server's uploads (rich-images.js): kept
    // as images, which the editor's image node parses. Others become their alt text.
    if ((WEB_URL.test(src) || /^\/(?!\/)/.test(src)) && !/[\s<>"]/.test(src)) continue
    const label = img.getAttribute('alt') || src
    if (WEB_URL.test(src) && ALLOWED_HREF.test(src)) {
      const a = document.createElement('a')
      a.href = src
      a.textContent = label
      img.replaceWith(a)
    } else {
      img.replaceWith(document.createTextNode(label))
    }
  }
  for (const ul of [...root.querySelectorAll('ul')]) splitTaskRuns(ul)
  const box = document.createElement('div')
  box.append(root)
  return box.innerHTML
}

/** The first text of a list item when it opens with `[ ]` or `[x]`, else null. */
function taskText (li) {
  const first = (el) => [...el.childNodes].find((n) => n.nodeType !== Node.TEXT_NODE || n.data.trim())
  let node = first(li)
  if (node && node.nodeName === 'P') node = node.firstChild
  return node && node.nodeType === Node.TEXT_NODE && TASK.test(node.data) ? node : null
}

/** A list's items as a task list per run of task items and a bullet list per run of others
 *  (the editor's lists hold one kind of item). */
function splitTaskRuns (ul) {
  const items = [...ul.children].filter((el) => el.tagName === 'LI')
  if (!items.some(taskText)) return
  const lists = []
  for (const li of items) {
    const text = taskText(li)
    const task = text !== null
    let list = lists[lists.length - 1]
    if (!list || list.task !== task) {
      const el = document.createElement('ul')
      if (task) el.dataset.type = 'taskList'
      list = { task, el }
      lists.push(list)
    }
    if (task) {
      const [, mark] = TASK.exec(text.data)
      text.data = text.data.replace(TASK, '')
      li.dataset.type = 'taskItem'
      li.dataset.checked = String(mark !== ' ')
    }
    list.el.append(li)
  }
  ul.replaceWith(...lists.map((list) => list.el))
}

// Whether Shift is down, per editor view: ProseMirror's own rule for "paste as plain text".
const shiftDown = new WeakMap()

/** Plain-text paste of Markdown: pasted as the rich content it stands for. */
export const MarkdownPaste = Extension.create({
  name: 'markdownPaste',
  priority: 150, // after the table paste (tab-separated grids), before the default paste
  addProseMirrorPlugins () {
    return [new Plugin({
      key: new PluginKey('markdownPaste'),
      props: {
        handleDOMEvents: {
          keydown (view, event) { shiftDown.set(view, event.keyCode === 16 || event.shiftKey); return false },
          keyup (view, event) { if (event.keyCode === 16) shiftDown.set(view, false); return false }
        },
        handlePaste (view, event, slice) {
          const data = event.clipboardData
          if (!data) return false
          if (shiftDown.get(view)) {
            // Paste as plain text: ProseMirror's plain slice, and no "paste" UI event, so the
            // editor's paste rules (**bold**, links) leave the text as it is.
            view.dispatch(view.state.tr.replaceSelection(slice).scrollIntoView().setMeta('paste', true))
            return true
          }
          if (view.state.selection.$from.parent.type.spec.code) return false
          const text = data.getData('text/plain')
          if (!looksLikeMarkdown(text) || !onlyWrapsText(data.getData('text/html'), text)) return false
          view.pasteHTML(markdownHtml(text))
          return true
        }
      }
    })]
  }
})
