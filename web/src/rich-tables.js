// Tables in the rich editor: @tiptap/extension-table's nodes (table, tableRow, tableHeader,
// tableCell: what y-prosemirror stores and collab/content/tables.py renders), a shortcut to
// insert one, spreadsheet paste, and the toolbar's table tools.
//
// Tab and Shift+Tab move between cells (Tab in the last cell adds a row): the extension's own
// keys. A pasted HTML <table> (spreadsheets, word processors, web pages) keeps its cells through
// the extension's parser (Word's <o:p>&nbsp;</o:p>, its mark of an empty paragraph, dropped);
// text with tabs alone (a spreadsheet that put no HTML on the clipboard), two rows or more of two
// cells or more, becomes a table whose first row is its header (a spreadsheet's first row
// usually names its columns); pasted in a table, it fills the cells from the cursor on (the table
// grows if need be).
import { Extension } from '@tiptap/core'
import { Plugin, PluginKey } from '@tiptap/pm/state'
import { TableKit, TableView } from '@tiptap/extension-table'
import { button } from './toolbar.js'

const MOD = /Mac|iPhone|iPad/.test(navigator.platform) ? '⌘' : 'Ctrl+'
const ALT = /Mac|iPhone|iPad/.test(navigator.platform) ? '⌥' : 'Alt+'
export const INSERT_SHORTCUT = `${MOD}${ALT}Shift+T`

/**
 * Tab-separated text as rows of cells, or null unless it is a grid of at least 2×2. A cell in
 * double quotes may hold tabs, line breaks and doubled quotes (as spreadsheets write them).
 */
export function tsvRows (text) {
  if (!text || !text.includes('\t')) return null
  const source = text.replace(/\r\n?/g, '\n').replace(/\n$/, '')
  const rows = [[]]
  let i = 0
  while (i <= source.length) {
    let cell = ''
    if (source[i] === '"') {
      let j = i + 1
      for (;;) {
        const quote = source.indexOf('"', j)
        if (quote < 0) return null
        cell += source.slice(j, quote)
        if (source[quote + 1] === '"') { cell += '"'; j = quote + 2; continue }
        i = quote + 1
        break
      }
    } else {
      const end = source.slice(i).search(/[\t\n]/)
      const stop = end < 0 ? source.length : i + end
      cell = source.slice(i, stop)
      i = stop
    }
    rows[rows.length - 1].push(cell)
    if (i >= source.length) break
    if (source[i] === '\n') rows.push([])
    else if (source[i] !== '\t') return null // text after a closing quote: not a quoted cell
    i += 1
  }
  const width = rows[0].length
  if (rows.length < 2 || width < 2 || rows.some((row) => row.length !== width)) return null
  return rows
}

const escape = (text) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]))

function cellHtml (name, text) {
  const paragraphs = text.split('\n').map((line) => `<p>${escape(line)}</p>`).join('')
  return `<${name}>${paragraphs}</${name}>`
}

/** Rows of cells as an HTML table, its first row the header if `header`. */
export function tableHtml (rows, header) {
  return '<table>' + rows.map((row, r) =>
    '<tr>' + row.map((cell) => cellHtml(header && r === 0 ? 'th' : 'td', cell)).join('') + '</tr>'
  ).join('') + '</table>'
}

/** A 3×3 table with a header row at the selection; none inside a table (Markdown has no
 *  tables in tables). */
function insertTable (editor) {
  if (editor.isActive('table')) return false
  return editor.chain().focus().insertTable({ rows: 3, cols: 3, withHeaderRow: true }).run()
}

/** Text-only paste of a tab-separated grid: pasted as the table it stands for; Word's HTML
 *  without its empty-paragraph marks. */
const TablePaste = Extension.create({
  name: 'tablePaste',
  priority: 200, // before the table extension's own paste handling, which then places the cells
  addProseMirrorPlugins () {
    return [new Plugin({
      key: new PluginKey('tablePaste'),
      props: {
        // Word marks an empty paragraph (an empty cell's) with <o:p>&nbsp;</o:p>: empty here, not
        // a cell holding a non-breaking space.
        transformPastedHTML (html) {
          return /<o:p>/i.test(html) ? html.replace(/<o:p>(?:\s|&nbsp;|\u00a0)*<\/o:p>/gi, '') : html
        },
        handlePaste (view, event) {
          const data = event.clipboardData
          if (!data || data.getData('text/html').trim()) return false
          if (view.state.selection.$from.parent.type.spec.code) return false
          const rows = tsvRows(data.getData('text/plain'))
          if (!rows) return false
          // Into a table, the cells fill the table's from the cursor on: no header among them.
          view.pasteHTML(tableHtml(rows, !currentTable(view.state)))
          return true
        }
      }
    })]
  },
  addKeyboardShortcuts () {
    return {
      'Mod-Alt-Shift-t': () => insertTable(this.editor)
    }
  }
})

/**
 * The extension's table view (a wrapper that scrolls sideways around the table), reachable from
 * the keyboard: in an editor, the caret moving through the cells scrolls it (the wrapper says
 * it is part of the editable text, contenteditable "inherit", the default); in a read-only
 * document, the wrapper takes the focus itself, so the arrow keys scroll it. The editor's
 * editability is fixed when it is made (rich.js).
 */
class ScrollingTableView extends TableView {
  constructor (node, cellMinWidth, view, attributes) {
    super(node, cellMinWidth, view, attributes)
    if (view.editable) {
      this.dom.setAttribute('contenteditable', 'inherit')
    } else {
      this.dom.tabIndex = 0
      this.dom.setAttribute('role', 'group')
      this.dom.setAttribute('aria-label', 'Table')
    }
  }
}

/** The editor extensions for tables. */
export function tableExtensions () {
  return [
    // No column resizing: its drag handles are too small for a finger; widths pasted along
    // with a table are kept.
    TableKit.configure({ table: { resizable: false, View: ScrollingTableView } }),
    TablePaste
  ]
}

const svg = (d) => `<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path d="${d}" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>`

const ICONS = {
  table: svg('M4 5h16v14H4zM4 10h16M4 15h16M10 5v14M15 5v14'),
  rowAbove: svg('M4 13h16v7H4zM12 3v7M8.5 6.5h7'),
  rowBelow: svg('M4 4h16v7H4zM12 14v7M8.5 17.5h7'),
  deleteRow: svg('M3 8h12v8H3zM17.5 10l4 4M21.5 10l-4 4'),
  columnLeft: svg('M13 4h7v16h-7zM3 12h7M6.5 8.5v7'),
  columnRight: svg('M4 4h7v16H4zM14 12h7M17.5 8.5v7'),
  deleteColumn: svg('M8 3h8v12H8zM10 17.5l4 4M14 17.5l-4 4'),
  headerRow: svg('M4 5h16v14H4zM4 10h16M7 7.5h10'),
  deleteTable: svg('M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3')
}

/** The table around the selection, or null. */
function currentTable (state) {
  const { $from } = state.selection
  for (let depth = $from.depth; depth > 0; depth--) {
    if ($from.node(depth).type.name === 'table') return $from.node(depth)
  }
  return null
}

function headerRowOn (state) {
  const row = currentTable(state)?.firstChild
  if (!row || !row.childCount) return false
  let all = true
  row.forEach((cell) => { all = all && cell.type.name === 'tableHeader' })
  return all
}

/**
 * Add the table tools to a rich toolbar (toolbar.js's `wrap`): an Insert
 * table button in the toolbar, and a row of table tools under it while the selection is in a
 * table (rows, columns, header row, delete), within reach on a phone.
 */
export function addTableTools (wrap, editor) {
  const chain = () => editor.chain().focus()
  const insert = button(['table', 'Insert table', INSERT_SHORTCUT, ICONS.table,
    () => insertTable(editor), null])
  const group = document.createElement('div')
  group.className = 'tool-group'
  group.append(insert)
  const bar = wrap.querySelector('.toolbar')
  // Next to the other blocks: before the undo/redo group, which stays last.
  bar.insertBefore(group, bar.lastElementChild)

  const tools = document.createElement('div')
  tools.className = 'toolbar table-tools'
  tools.setAttribute('role', 'toolbar')
  tools.setAttribute('aria-label', 'Table')
  tools.hidden = true
  const defs = [
    [
      ['addRowBefore', 'Add row above', null, ICONS.rowAbove, () => chain().addRowBefore().run(), null],
      ['addRowAfter', 'Add row below', 'Tab in the last cell', ICONS.rowBelow, () => chain().addRowAfter().run(), null],
      ['deleteRow', 'Delete row', null, ICONS.deleteRow, () => chain().deleteRow().run(), null]
    ],
    [
      ['addColumnBefore', 'Add column left', null, ICONS.columnLeft, () => chain().addColumnBefore().run(), null],
      ['addColumnAfter', 'Add column right', null, ICONS.columnRight, () => chain().addColumnAfter().run(), null],
      ['deleteColumn', 'Delete column', null, ICONS.deleteColumn, () => chain().deleteColumn().run(), null]
    ],
    [
      ['toggleHeaderRow', 'Header row', null, ICONS.headerRow, () => chain().toggleHeaderRow().run(), () => headerRowOn(editor.state)],
      ['deleteTable', 'Delete table', null, ICONS.deleteTable, () => chain().deleteTable().run(), null]
    ]
  ]
  const label = document.createElement('span')
  label.className = 'table-tools-label'
  label.textContent = 'Table'
  tools.append(label)
  const pressed = []
  for (const defGroup of defs) {
    const box = document.createElement('div')
    box.className = 'tool-group'
    for (const def of defGroup) {
      const el = button(def)
      box.append(el)
      if (def[5]) pressed.push([el, def[5]])
    }
    tools.append(box)
  }
  bar.after(tools)

  const refresh = () => {
    const inTable = editor.isEditable && editor.isActive('table')
    tools.hidden = !inTable
    insert.disabled = editor.isActive('table') || !editor.can().insertTable()
    if (!inTable) return
    for (const [el, on] of pressed) el.setAttribute('aria-pressed', String(on()))
    for (const el of tools.querySelectorAll('button')) {
      const name = el.dataset.tool
      if (name !== 'toggleHeaderRow' && name !== 'deleteTable') el.disabled = !editor.can()[name]()
    }
  }
  editor.on('transaction', refresh)
  editor.on('focus', refresh)
  refresh()
}
