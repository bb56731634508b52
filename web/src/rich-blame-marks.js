// Blame colours in the rich-text editor (Tiptap/ProseMirror on the XmlFragment "content"): the
// rich counterpart of blame-marks.js, driven by blame.js through the same interface
// (`surface.blame`). The server's runs count code points over the text nodes joined by one line
// break (as comment passages do); each run becomes inline decorations, one per text node it
// covers. Decorations never change the document.
import { colourAttrs } from './blame.js'
import { Extension } from '@tiptap/core'
import { Plugin, PluginKey } from '@tiptap/pm/state'
import { Decoration, DecorationSet } from '@tiptap/pm/view'
import { textStarts } from './rich-comment-marks.js'

const key = new PluginKey('blameMarks')

/** The text nodes here: [{at (ProseMirror position), offset (UTF-16, in the joined text), length}]
 * and their joined text. */
function layout (doc, fragment, schema) {
  const parts = []
  let joined = ''
  for (const [text, at] of textStarts(fragment, schema)) {
    if (parts.length) joined += '\n'
    parts.push({ at, offset: joined.length, length: text.length })
    joined += doc.textBetween(at, at + text.length)
  }
  return { parts, joined }
}

/** Decorations for `runs` ({text, colour, title, author}, in order), or null when they do not
 * spell this page's text (edits the server has not committed yet). */
function decorate (state, fragment, runs) {
  const { parts, joined } = layout(state.doc, fragment, state.schema)
  // A text longer than the parts asked for is coloured as far as they go.
  if (!joined.startsWith(runs.map((r) => r.text).join(''))) return null
  const found = []
  let begin = 0
  for (const run of runs) {
    const end = begin + run.text.length
    for (const part of parts) {
      const from = Math.max(begin, part.offset)
      const to = Math.min(end, part.offset + part.length)
      if (to <= from) continue
      const look = colourAttrs(run.colour)
      const attrs = { class: `cm-blame ${look.class}`, title: run.title, 'data-author': run.author }
      if (look.style) attrs.style = look.style
      found.push(Decoration.inline(part.at + from - part.offset, part.at + to - part.offset, attrs))
    }
    begin = end
  }
  return DecorationSet.create(state.doc, found)
}

function blamePlugin () {
  return new Plugin({
    key,
    state: {
      init: () => DecorationSet.empty,
      apply (tr, deco) {
        const meta = tr.getMeta(key)
        if (meta) return meta.deco
        return tr.docChanged ? deco.map(tr.mapping, tr.doc) : deco
      }
    },
    props: { decorations: (state) => key.getState(state) }
  })
}

/** The Tiptap extension the rich editor mounts. */
export const BlameMarks = Extension.create({
  name: 'blameMarks',
  addProseMirrorPlugins () { return [blamePlugin()] }
})

/** What blame.js drives: show(runs) (false when they do not spell this page's text) or clear(). */
export function richBlameApi (editor, fragment) {
  return {
    show (runs) {
      const deco = decorate(editor.state, fragment, runs)
      if (!deco) return false
      editor.view.dispatch(editor.state.tr.setMeta(key, { deco }))
      return true
    },
    clear () { editor.view.dispatch(editor.state.tr.setMeta(key, { deco: DecorationSet.empty })) }
  }
}
