/**
 * Give the keyboard back to a Tiptap editor at once, and bring its caret into view. Tiptap's
 * focus command focuses in the next animation frame, so keys typed in between (the next one
 * after Enter in a form that closes) would reach the page instead of the document and be
 * lost. ProseMirror's view.focus() is synchronous (after it, Tiptap's focus command would do
 * nothing, its scrolling included, so the caret is scrolled to here).
 */
export function focusEditor (editor) {
  if (editor.isDestroyed) return
  editor.view.focus()
  editor.commands.scrollIntoView()
}
