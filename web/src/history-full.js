// The preview's "In full" tab: the selected version as it was, read-only.
import { inlineImages } from './image-inline.js'

/** The full view of the panel `h` (history.js): loadFull. */
export function fullPart (h) {
  const { el, state } = h
  const fullView = h.$('full-view')

  let fullRequest = 0

  /**
   * The selected version as it was: its text, or a rich document rendered. Shown unless
   * another was asked for since; the same version by a newer object (a room event renamed it
   * meanwhile) is still the one asked for.
   */
  async function loadFull () {
    const version = state.selected
    if (!version) return
    const request = ++fullRequest
    const current = () => request === fullRequest && state.selected?.id === version.id
    fullView.replaceChildren(el('p', 'diff-placeholder', 'Loading this version…'))
    try {
      const rendered = await h.api.full(version.id, h.kind === 'rich' ? 'html' : 'text')
      const body = h.kind === 'rich' ? await inlineImages(rendered, h) : rendered
      if (!current()) return
      fullView.replaceChildren(h.kind === 'rich' ? richFrame(state.selected, body) : plain(body))
    } catch (err) {
      if (current()) fullView.replaceChildren(el('p', 'diff-placeholder is-error', `Could not load this version. ${err.message}`))
    }
  }

  const plain = (body) => body ? el('pre', 'full-text', body) : el('p', 'diff-placeholder', 'This version is empty.')

  function richFrame (version, body) {
    // The server escapes every text and attribute; a sandbox without scripts holds it anyway.
    const frame = el('iframe', 'full-rich')
    frame.title = `${h.titleOf(version)}, in full`
    frame.setAttribute('sandbox', '')
    frame.srcdoc = `<!doctype html><meta charset="utf-8"><style>${FULL_STYLE}</style><body>${body}</body>`
    return frame
  }

  return { loadFull, showFull: (shown) => { fullView.hidden = !shown } }
}

/** Styles of a rich version shown in full (inside its sandboxed frame). */
const FULL_STYLE = 'body{margin:0;padding:14px 16px;font:14.5px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2024}' +
  'h1,h2,h3{line-height:1.25;margin:.9em 0 .3em}h1{font-size:1.6em}h2{font-size:1.3em}h3{font-size:1.1em}' +
  'p{margin:0 0 .6em}ul,ol{padding-left:1.4em;margin:0 0 .6em}blockquote{margin:0 0 .6em;padding-left:12px;border-left:3px solid #e3e6ea;color:#646b75}' +
  'pre{background:#1c2024;color:#eef0f3;padding:10px 12px;border-radius:6px;overflow:auto}code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}' +
  'hr{border:0;border-top:2px solid #e3e6ea}a{color:#3e63dd}li>p{margin:0}img{max-width:100%;height:auto}' +
  'table{border-collapse:collapse;margin:0 0 .6em}th,td{padding:4px 8px;border:1px solid #8b929c;vertical-align:top;text-align:left}' +
  'th{background:#f0f2f5}th>p,td>p{margin:0}th>p+p,td>p+p{margin-top:.4em}' +
  'ul[data-type="taskList"]{list-style:none;padding-left:.2em}li[data-checked]>label>input{margin:0 .45em 0 0;vertical-align:-.1em}'
