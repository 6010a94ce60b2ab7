// js_on_load of a gr.HTML: section links open the section in place (the href works without JS).
element.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-avsnitt]');
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  const url = new URL(window.location.href);
  url.searchParams.set('avsnitt', link.dataset.avsnitt);
  url.searchParams.delete('markera');
  window.history.replaceState(null, '', url);
  element.querySelectorAll('a.vald').forEach((a) => a.classList.remove('vald'));
  link.classList.add('vald');
  trigger('click', {avsnitt: link.dataset.avsnitt});
});
