() => {
  // The page is Swedish (the server also rewrites <html lang>; this covers any other route).
  document.documentElement.lang = 'sv';

  // Views and sections are steps in the browser's history: ?avsnitt=<id> is a section,
  // ?vy=avtalet the Avtalet view, no parameter the chat. Back and Forward move between them.
  const tabButton = (name) => document.querySelector(`#flik-${name}-button`);
  let restoring = false;
  const go = (params) => {
    const url = new URL(window.location.href);
    url.search = new URLSearchParams(params).toString();
    if (url.href !== window.location.href) window.history.pushState(params, '', url);
  };
  window.avtalOppna = (id) => {
    go({avsnitt: id});
    window.avtalFlytta = true;
    if (window.avtalVisa) window.avtalVisa(id);
  };
  document.addEventListener('click', (event) => {
    if (restoring) return;
    if (event.target.closest('#flik-fraga-button')) go({});
    if (event.target.closest('#flik-avtalet-button')) {
      const params = new URL(window.location.href).searchParams;
      if (!params.get('avsnitt')) go({vy: 'avtalet'});
    }
  });
  window.addEventListener('popstate', () => {
    const params = new URL(window.location.href).searchParams;
    const browse = params.has('avsnitt') || params.get('vy') === 'avtalet';
    const button = tabButton(browse ? 'avtalet' : 'fraga');
    if (button && button.getAttribute('aria-selected') !== 'true') {
      restoring = true;
      button.click();
      restoring = false;
    }
    const id = params.get('avsnitt');
    const shown = document.querySelector('#avsnitt-vy article[data-avsnitt]')?.dataset.avsnitt;
    if (id && id !== shown && window.avtalVisa) window.avtalVisa(id);
  });
}
