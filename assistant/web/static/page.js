() => {
  // When the user clicks the chat tab, drop ?avsnitt= so that a reload opens the chat.
  // (A tab .select listener would also fire while the page mounts and erase the link.)
  document.addEventListener('click', (event) => {
    if (!event.target.closest('#flik-fraga-button')) return;
    const url = new URL(window.location.href);
    url.searchParams.delete('avsnitt');
    url.searchParams.delete('markera');
    window.history.replaceState(null, '', url);
  });
}
