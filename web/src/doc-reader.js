// One way to read either editor surface (text.js: CodeMirror on a Y.Text, rich.js: Tiptap on an
// XmlFragment) for the tools beside the text (outline.js, counts.js): its text, the selected
// text, its headings, and going to a place. Plain text documents are read as Markdown: a line
// starting with one to six `#` and a space is a heading (not inside a ``` or ~~~ code fence).

const ATX = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/
const FENCE = /^ {0,3}(`{3,}|~{3,})/

/** The Markdown ATX headings of `text`: [{level, text, pos}] (pos: the line's start). */
export function markdownHeadings (text) {
  const headings = []
  let fence = null
  let pos = 0
  for (const line of text.split('\n')) {
    const fenceMark = FENCE.exec(line)
    if (fenceMark) {
      const mark = fenceMark[1]
      if (!fence) fence = mark
      else if (mark[0] === fence[0] && mark.length >= fence.length) fence = null
    } else if (!fence) {
      const found = ATX.exec(line)
      if (found && found[2].trim()) headings.push({ level: found[1].length, text: found[2].trim(), pos })
    }
    pos += line.length + 1
  }
  return headings
}

/** How far from the top of the window the sticky header (and rich toolbar, find bar) reach. */
export function coveredTop () {
  const header = document.querySelector('.app-header')
  let top = header ? header.getBoundingClientRect().height : 0
  for (const node of document.querySelectorAll('.editor > .toolbar-wrap, .editor > .find-bar')) {
    if (!node.hidden && getComputedStyle(node).position === 'sticky') top += node.getBoundingClientRect().height
  }
  return top
}

function scrollToY (top) {
  window.scrollTo({ top: Math.max(0, window.scrollY + top - coveredTop() - 16) })
}

function richReader (editor) {
  const doc = () => editor.state.doc
  return {
    text: () => doc().textBetween(0, doc().content.size, '\n', '\n'),
    selectedText () {
      const { from, to, empty } = editor.state.selection
      return empty ? '' : doc().textBetween(from, to, '\n', '\n')
    },
    headings () {
      const found = []
      doc().descendants((node, pos) => {
        if (node.type.name === 'heading') found.push({ level: node.attrs.level, text: node.textContent.trim(), pos })
        return !node.isTextblock
      })
      return found.filter((h) => h.text)
    },
    /** Put the caret at the start of the heading at `pos` and scroll it below the header. */
    goTo (pos) {
      editor.chain().setTextSelection(pos + 1).focus(undefined, { scrollIntoView: false }).run()
      const dom = editor.view.nodeDOM(pos)
      if (dom && dom.getBoundingClientRect) scrollToY(dom.getBoundingClientRect().top)
    },
    onChange: (fn) => editor.on('update', fn),
    onSelection: (fn) => editor.on('selectionUpdate', fn)
  }
}

function textReader (view, ytext) {
  return {
    text: () => ytext.toString(),
    selectedText: () => view.state.selection.ranges.filter((r) => !r.empty).map((r) => view.state.sliceDoc(r.from, r.to)).join('\n'),
    headings: () => markdownHeadings(ytext.toString()),
    goTo (pos) {
      const at = Math.min(pos, view.state.doc.length)
      view.focus()
      view.dispatch({ selection: { anchor: at } })
      scrollToY(view.documentTop + view.lineBlockAt(at).top)
    },
    onChange: (fn) => ytext.observe(fn),
    // CodeMirror keeps the page's selection in step with its own while it has the focus.
    onSelection: (fn) => document.addEventListener('selectionchange', () => { if (view.hasFocus) fn() })
  }
}

/** The reader of `surface` (what mountText or mountRich returned). */
export function readerFor (surface) {
  return surface.kind === 'rich' ? richReader(surface.editor) : textReader(surface.view, surface.ytext)
}
