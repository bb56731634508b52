// The shortcut that comments on the selection, in both editors (comment-marks.js for plain
// text, rich-comment-marks.js for rich text) and in the Comments panel's hints (comments.js).

/** The shortcut in CodeMirror's and ProseMirror's notation. */
export const COMMENT_KEY = 'Mod-Alt-m'

/** The shortcut as people read it on this platform. */
export function commentKeyLabel () {
  const mac = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent)
  return mac ? '⌘⌥M' : 'Ctrl+Alt+M'
}
