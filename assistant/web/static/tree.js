// js_on_load of the section tree (gr.HTML): branches expand with their button or when their
// title is opened, the search box filters the tree, the open section is marked.
const expand = (button, open) => {
  const group = document.getElementById(button.getAttribute('aria-controls'));
  button.setAttribute('aria-expanded', open ? 'true' : 'false');
  if (group) group.hidden = !open;
};

const mark = (id) => {
  element.querySelectorAll('a.vald').forEach((a) => {
    a.classList.remove('vald');
    a.removeAttribute('aria-current');
  });
  const link = id ? element.querySelector(`a[data-avsnitt="${CSS.escape(id)}"]`) : null;
  if (!link) return;
  link.classList.add('vald');
  link.setAttribute('aria-current', 'page');
  for (let group = link.closest('ul'); group; group = group.parentElement.closest('ul')) {
    const button = group.id ? element.querySelector(`[aria-controls="${group.id}"]`) : null;
    if (button) expand(button, true);
  }
};
window.addEventListener('avtal-avsnitt', (event) => mark(event.detail));
watch('value', () => mark(document.querySelector('#avsnitt-vy article[data-avsnitt]')?.dataset.avsnitt));

element.addEventListener('click', (event) => {
  const toggle = event.target.closest('button.vaxla');
  if (toggle) {
    expand(toggle, toggle.getAttribute('aria-expanded') !== 'true');
    return;
  }
  const link = event.target.closest('a[data-avsnitt]');
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  const branch = link.closest('.gren')?.querySelector('button.vaxla');
  if (branch) expand(branch, true);  // a branch title opens the section and expands it
  window.avtalOppna(link.dataset.avsnitt);
});

const fold = (text) => text.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '');
element.addEventListener('input', (event) => {
  if (!event.target.matches('#trad-sokruta')) return;
  const query = fold(event.target.value.trim());
  let hits = 0;
  const visit = (item) => {
    const own = item.querySelector(':scope > .gren');
    const kids = [...item.querySelectorAll(':scope > ul > li')];
    let found = false;
    kids.forEach((kid) => { if (visit(kid)) found = true; });
    const self = !!query && !!own && fold(own.textContent).includes(query);
    if (self && own.querySelector('a')) hits += 1;
    const show = !query || self || found;
    item.classList.toggle('dold', !show);
    if (query && found) {
      const button = own?.querySelector('button.vaxla');
      if (button) expand(button, true);
    }
    return self || found;
  };
  element.querySelectorAll('.trad-rot > li').forEach(visit);
  const note = element.querySelector('.trad-traffar');
  if (note) note.textContent = query ? (hits ? `${hits} avsnitt matchar.` : 'Inga avsnitt matchar.') : '';
});
element.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' || !event.target.matches('#trad-sokruta')) return;
  event.preventDefault();
  const first = [...element.querySelectorAll('.trad-rot li:not(.dold) a[data-avsnitt]')]
    .find((a) => fold(a.textContent).includes(fold(event.target.value.trim())));
  if (first) first.click();
});
