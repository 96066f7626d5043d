// Text modules in the reply (Zammad's `::` in the editor): typing `::` opens a list of the
// text modules the agent may insert on this ticket, narrowed by what follows (`::than`);
// ArrowUp/ArrowDown choose, Enter or Tab (or a click) inserts the module in place of `::…`,
// Escape closes the list until the next `::`.
//
// textModulePicker(el, { load, insert }) -> { onTrigger, onTriggerKey, destroy }
//   el       where the list is shown (appended as the composer's last child)
//   load(query) -> Promise<[{id, name, keywords, content}]>   the modules matching `query`,
//            their placeholders already filled for the ticket (the server does that)
//   insert(html) -> bool   put the chosen module's HTML in place of the trigger
//   onTrigger / onTriggerKey go to createComposer's options of the same names.

export function textModulePicker (el, { load, insert }) {
  const list = document.createElement('ul')
  list.className = 'text-module-picker'
  list.setAttribute('role', 'listbox')
  list.setAttribute('aria-label', 'Text modules')
  list.hidden = true
  el.appendChild(list)

  let items = []
  let selected = 0
  let open = false
  let dismissed = false // Escape: closed until the trigger goes away
  let request = 0 // only the answer to the newest query is shown
  let timer = null

  const render = () => {
    list.textContent = ''
    if (!open) { list.hidden = true; return }
    // below the editor (which the composer may have put in `el` after the list)
    if (list !== el.lastElementChild) el.appendChild(list)
    list.hidden = false
    if (items.length === 0) {
      const li = document.createElement('li')
      li.className = 'empty'
      li.textContent = 'No text module matches.'
      list.appendChild(li)
      return
    }
    items.forEach((item, i) => {
      const li = document.createElement('li')
      li.setAttribute('role', 'option')
      li.setAttribute('aria-selected', String(i === selected))
      li.dataset.textModuleId = String(item.id)
      const name = document.createElement('strong')
      name.textContent = item.name
      li.appendChild(name)
      if (item.keywords) {
        const kw = document.createElement('span')
        kw.className = 'keywords'
        kw.textContent = ` ${item.keywords}`
        li.appendChild(kw)
      }
      // mousedown, not click: the editor keeps the focus and the caret stays after `::…`
      li.addEventListener('mousedown', (ev) => { ev.preventDefault(); choose(i) })
      list.appendChild(li)
    })
  }

  const close = () => { open = false; items = []; request++; render() }

  function choose (i) {
    const item = items[i]
    if (!item) return false
    const done = insert(item.content)
    close()
    return done !== false
  }

  function onTrigger (query) {
    if (timer) { clearTimeout(timer); timer = null }
    if (query === null) { dismissed = false; close(); return }
    if (dismissed) return
    const mine = ++request
    timer = setTimeout(() => {
      timer = null
      Promise.resolve(load(query)).then((found) => {
        if (mine !== request || dismissed) return
        items = Array.isArray(found) ? found : []
        selected = 0
        open = true
        render()
      }, () => { if (mine === request) close() })
    }, 80)
  }

  function onTriggerKey (key) {
    if (!open) return false
    switch (key) {
      case 'ArrowDown':
        if (items.length) { selected = (selected + 1) % items.length; render() }
        return true
      case 'ArrowUp':
        if (items.length) { selected = (selected - 1 + items.length) % items.length; render() }
        return true
      case 'Enter':
      case 'Tab':
        return items.length > 0 ? choose(selected) : false
      case 'Escape':
        dismissed = true
        close()
        return true
      default:
        return false
    }
  }

  return {
    onTrigger,
    onTriggerKey,
    destroy () { if (timer) clearTimeout(timer); request++; list.remove() }
  }
}
