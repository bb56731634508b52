// How far below the window's top a caret scrolled into view must land: the page's sticky bars
// (the header, and the rich editor's toolbar under it) cover the band above. Both editors scroll
// the caret into view themselves (CodeMirror: EditorView.scrollMargins in text.js; ProseMirror:
// scrollThreshold/scrollMargin in rich-scroll.js); without this it lands under the bars.

// Space kept between the bars and the caret's line.
const GAP = 8

/** The bottom of the band the sticky bars cover when stuck (client pixels), plus a gap. */
export function coveredTop (doc = document) {
  let bottom = 0
  for (const el of doc.querySelectorAll('.app-header, .toolbar-wrap')) {
    const style = getComputedStyle(el)
    if (style.position !== 'sticky' && style.position !== 'fixed') continue
    bottom = Math.max(bottom, (parseFloat(style.top) || 0) + el.offsetHeight)
  }
  return bottom + GAP
}

/**
 * Keep the page's scroll-padding-top equal to the band the bars cover, so that what the
 * browser scrolls into view itself (the caret it moves with the arrow keys before an editor
 * looks, a focused field, a #fragment) lands below them too. Measured again whenever the
 * header or the toolbar changes size.
 */
export function bindScrollPadding (doc = document) {
  const root = doc.documentElement
  const update = () => { root.style.scrollPaddingTop = `${coveredTop(doc)}px` }
  const observer = new ResizeObserver(update)
  for (const el of doc.querySelectorAll('.app-header, .toolbar-wrap')) observer.observe(el)
  update()
}
