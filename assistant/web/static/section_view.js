// js_on_load of the section view (gr.HTML): links open sections in place, each one a step
// in the browser's history (Back/Forward move between them); the href works without JS.
window.avtalVisa = (id) => trigger('click', {avsnitt: id});
const current = () => element.querySelector('article[data-avsnitt]')?.dataset.avsnitt || '';

element.addEventListener('click', (event) => {
  if (event.target.closest('button.till-innehall')) {  // phones: the contents sit below
    const search = document.querySelector('#trad-sokruta');
    document.querySelector('#avtal-trad')?.scrollIntoView({block: 'start'});
    if (search) search.focus({preventScroll: true});
    return;
  }
  const link = event.target.closest('a[data-avsnitt]');
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  window.avtalOppna(link.dataset.avsnitt);
});

watch('value', () => {
  const id = current();
  window.dispatchEvent(new CustomEvent('avtal-avsnitt', {detail: id}));
  if (!window.avtalFlytta) return;  // only after the reader chose a section
  window.avtalFlytta = false;
  const heading = element.querySelector('h2');
  if (heading) heading.focus({preventScroll: true});
  const top = element.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight * 0.5) element.scrollIntoView({block: 'start'});
});
