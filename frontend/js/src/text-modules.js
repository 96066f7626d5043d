// Text modules in the reply (Zammad's `::` in the editor): typing `::` opens a list of the
// text modules the agent may insert on this ticket, narrowed by what follows (`::than`);
// ArrowUp/ArrowDown choose, Enter or Tab (or a click) inserts the module in place of `::…`,
// Escape closes the list until the next `::`. The list is src/picker.js's.
//
// textModulePicker(el, { load, insert }) -> { onTrigger, onTriggerKey, destroy }
//   el       where the list is shown (appended as the composer's last child)
//   load(query) -> Promise<[{id, name, keywords, content}]>   the modules matching `query`,
//            their placeholders already filled for the ticket (the server does that)
//   insert(html) -> bool   put the chosen module's HTML in place of the trigger
//   onTrigger / onTriggerKey take createComposer's reports of kind 'textModule'.

import { triggerPicker } from './picker.js'

export function textModulePicker (el, { load, insert }) {
  return triggerPicker(el, {
    className: 'text-module-picker',
    label: 'Text modules',
    empty: 'No text module matches.',
    load,
    render (item, li) {
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
    },
    choose: (item) => insert(item.content)
  })
}
