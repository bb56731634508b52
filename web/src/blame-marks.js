// Blame colours in the plain-text editor (CodeMirror 6): one mark per run the server credits to
// an author (GET /api/rooms/{room}/blame), coloured by author, with the author and time on hover.
// Marks map through edits until the next answer replaces them. Runs count code points; CodeMirror
// counts UTF-16 units.
import { StateEffect, StateField } from '@codemirror/state'
import { Decoration, EditorView } from '@codemirror/view'
import { colourAttrs } from './blame.js'

const setRuns = StateEffect.define() // [{from, to, colour, title}] or null

const blameField = StateField.define({
  create: () => Decoration.none,
  update (deco, tr) {
    deco = deco.map(tr.changes)
    for (const effect of tr.effects) {
      if (effect.is(setRuns)) {
        deco = Decoration.set((effect.value || []).filter((m) => m.to > m.from).map((m) => {
          const look = colourAttrs(m.colour)
          const attributes = { title: m.title, 'data-author': m.author }
          if (look.style) attributes.style = look.style
          return Decoration.mark({ class: `cm-blame ${look.class}`, attributes }).range(m.from, m.to)
        }))
      }
    }
    return deco
  },
  provide: (field) => EditorView.decorations.from(field)
})

/** The extension the text editor mounts. */
export const blameMarks = [blameField]

/** What blame.js drives: show(runs with {text, colour, title, author}) or clear(). Runs that do
 * not spell this page's text (edits the server has not committed yet) are not shown: false. */
export function blameApi (view) {
  return {
    show (runs) {
      const text = view.state.doc.toString()
      // A text longer than the parts asked for is coloured as far as they go.
      if (!text.startsWith(runs.map((r) => r.text).join(''))) return false
      const marks = []
      let at = 0
      for (const run of runs) {
        marks.push({ from: at, to: at + run.text.length, colour: run.colour, title: run.title, author: run.author })
        at += run.text.length
      }
      view.dispatch({ effects: setRuns.of(marks) })
      return true
    },
    clear () { view.dispatch({ effects: setRuns.of(null) }) }
  }
}
