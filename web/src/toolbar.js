// The rich editor's toolbar: block types, marks, lists, blocks, link, undo. Each button says
// its shortcut in its tooltip and shows whether it applies at the cursor (aria-pressed).

import { focusEditor } from './editor-focus.js'

const MOD = /Mac|iPhone|iPad/.test(navigator.platform) ? '⌘' : 'Ctrl+'
const ALT = /Mac|iPhone|iPad/.test(navigator.platform) ? '⌥' : 'Alt+'

const svg = (d) => `<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path d="${d}" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>`

const ICONS = {
  bulletList: svg('M9 6h11M9 12h11M9 18h11M4.5 6h.01M4.5 12h.01M4.5 18h.01'),
  orderedList: svg('M10 6h10M10 12h10M10 18h10M4 5l1.5-1V9M3.5 14.5a1.5 1.5 0 1 1 2.4 1.2L3.5 19h3'),
  taskList: svg('M3.5 5.5l1.5 1.5 3-3M3.5 15.5l1.5 1.5 3-3M11 6h9M11 16h9'),
  blockquote: svg('M6 7h12M9 12h9M9 17h9M5 11v7'),
  codeBlock: svg('M8 8l-4 4 4 4M16 8l4 4-4 4M13.5 5l-3 14'),
  horizontalRule: svg('M4 12h16'),
  image: svg('M4 5h16v14H4zM4 16l5-5 4 4 2-2 5 5M15.5 9.5h.01'),
  link: svg('M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1'),
  undo: svg('M9 14L4 9l5-5M4 9h10a6 6 0 0 1 0 12h-3'),
  redo: svg('M15 14l5-5-5-5M20 9H10a6 6 0 0 0 0 12h3')
}

/** Toolbar groups; each item: [name, label, shortcut, content, run, isActive]. */
function groups (editor) {
  const chain = () => editor.chain().focus()
  const heading = (level) => [`heading${level}`, `Heading ${level}`, `${MOD}${ALT}${level}`, `H${level}`,
    () => chain().toggleHeading({ level }).run(), () => editor.isActive('heading', { level })]
  return [
    [
      ['paragraph', 'Normal text', `${MOD}${ALT}0`, '¶', () => chain().setParagraph().run(), () => editor.isActive('paragraph')],
      heading(1), heading(2), heading(3)
    ],
    [
      ['bold', 'Bold', `${MOD}B`, 'B', () => chain().toggleBold().run(), () => editor.isActive('bold')],
      ['italic', 'Italic', `${MOD}I`, 'I', () => chain().toggleItalic().run(), () => editor.isActive('italic')],
      ['strike', 'Strikethrough', `${MOD}Shift+S`, 'S', () => chain().toggleStrike().run(), () => editor.isActive('strike')],
      ['code', 'Inline code', `${MOD}E`, '</>', () => chain().toggleCode().run(), () => editor.isActive('code')],
      ['link', 'Link', `${MOD}K`, ICONS.link, null, () => editor.isActive('link')]
    ],
    [
      ['bulletList', 'Bulleted list', `${MOD}Shift+8`, ICONS.bulletList, () => chain().toggleBulletList().run(), () => editor.isActive('bulletList')],
      ['orderedList', 'Numbered list', `${MOD}Shift+7`, ICONS.orderedList, () => chain().toggleOrderedList().run(), () => editor.isActive('orderedList')],
      ['taskList', 'Task list', `${MOD}Shift+9`, ICONS.taskList, () => chain().toggleTaskList().run(), () => editor.isActive('taskList')]
    ],
    [
      ['blockquote', 'Quote', `${MOD}Shift+B`, ICONS.blockquote, () => chain().toggleBlockquote().run(), () => editor.isActive('blockquote')],
      ['codeBlock', 'Code block', `${MOD}${ALT}C`, ICONS.codeBlock, () => chain().toggleCodeBlock().run(), () => editor.isActive('codeBlock')],
      ['horizontalRule', 'Divider', '---', ICONS.horizontalRule, () => chain().setHorizontalRule().run(), null],
      ['image', 'Insert an image', '', ICONS.image, () => editor.commands.pickImage(), null]
    ],
    [
      ['undo', 'Undo your last change', `${MOD}Z`, ICONS.undo, () => chain().undo().run(), null],
      ['redo', 'Redo', `${MOD}Shift+Z`, ICONS.redo, () => chain().redo().run(), null]
    ]
  ]
}

export function button ([name, label, shortcut, content, run, isActive]) {
  const el = document.createElement('button')
  el.type = 'button'
  el.className = 'tool'
  el.dataset.tool = name
  el.title = shortcut ? `${label} (${shortcut})` : label
  el.setAttribute('aria-label', label)
  if (isActive) el.setAttribute('aria-pressed', 'false')
  // Our own constant markup only. A glyph ("H1", "B") is a picture of the label, not its words:
  // drawn by CSS (editor.css, .tool[data-glyph]) so that the label alone names the button.
  if (content.startsWith('<svg')) el.innerHTML = content
  else el.dataset.glyph = content
  el.addEventListener('mousedown', (event) => event.preventDefault()) // keep the selection
  if (run) el.addEventListener('click', run)
  return el
}

/** The link popover: the address of the link at the selection, to set, change or remove. */
function linkForm (editor, toolbar) {
  const form = document.createElement('form')
  form.className = 'link-form'
  form.hidden = true
  form.innerHTML = '<label>Link address <input type="url" name="href" placeholder="https://…" autocomplete="off" required></label>' +
    '<button type="submit" class="primary-button">Apply</button>' +
    '<button type="button" class="secondary-button" data-action="unlink">Remove link</button>'
  const input = form.querySelector('input')
  const close = () => { form.hidden = true; focusEditor(editor) }
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const href = input.value.trim()
    const chain = editor.chain().focus().extendMarkRange('link')
    if (editor.state.selection.empty && !editor.isActive('link')) {
      chain.insertContent({ type: 'text', text: href, marks: [{ type: 'link', attrs: { href } }] }).run()
    } else {
      chain.setLink({ href }).run()
    }
    close()
  })
  form.querySelector('[data-action="unlink"]').addEventListener('click', () => {
    editor.chain().focus().extendMarkRange('link').unsetLink().run()
    close()
  })
  input.addEventListener('keydown', (event) => { if (event.key === 'Escape') close() })
  const open = () => {
    input.value = editor.getAttributes('link').href || ''
    form.hidden = false
    input.focus()
    input.select()
  }
  toolbar.querySelector('[data-tool="link"]').addEventListener('click', open)
  editor.setOptions({
    editorProps: {
      ...editor.options.editorProps,
      handleKeyDown: (_view, event) => {
        if ((event.metaKey || event.ctrlKey) && event.key.toLowerCase() === 'k') {
          event.preventDefault()
          open()
          return true
        }
        return false
      }
    }
  })
  return form
}

/** The toolbar element for `editor`, kept in step with the selection; `extra`: a form shown
 * under it (the image's alt text). */
export function buildToolbar (editor, extra = null) {
  const bar = document.createElement('div')
  bar.className = 'toolbar'
  bar.setAttribute('role', 'toolbar')
  bar.setAttribute('aria-label', 'Formatting')
  const tools = []
  for (const group of groups(editor)) {
    const box = document.createElement('div')
    box.className = 'tool-group'
    for (const def of group) {
      const el = button(def)
      box.append(el)
      tools.push({ name: def[0], isActive: def[5], el })
    }
    bar.append(box)
  }
  const wrapper = document.createElement('div')
  wrapper.className = 'toolbar-wrap'
  wrapper.append(bar, linkForm(editor, bar), ...(extra ? [extra] : []))
  const refresh = () => {
    for (const { name, isActive, el } of tools) {
      if (isActive) el.setAttribute('aria-pressed', String(!!isActive()))
      if (name === 'undo') el.disabled = !editor.can().undo()
      if (name === 'redo') el.disabled = !editor.can().redo()
    }
  }
  editor.on('transaction', refresh)
  editor.on('focus', refresh)
  refresh()
  return wrapper
}

/**
 * The toolbar's actions that have a shortcut, as {name, label, shortcut}, in toolbar order:
 * the keyboard shortcuts help (shortcuts-help.js) lists these, so it cannot drift from the
 * toolbar. (groups() only calls the editor when a button is used.)
 */
export function toolbarShortcuts () {
  return groups(null).flat().filter((def) => def[2]).map(([name, label, shortcut]) => ({ name, label, shortcut }))
}
