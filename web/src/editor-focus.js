/**
 * Give the keyboard back to a Tiptap editor at once. Tiptap's focus command focuses in the next
 * animation frame, so keys typed in between (the next one after Enter in a form that closes)
 * would reach the page instead of the document and be lost. ProseMirror's view.focus() is
 * synchronous; the command still runs for its scrolling.
 */
export function focusEditor (editor) {
  if (editor.isDestroyed) return
  editor.view.focus()
  editor.commands.focus()
}
