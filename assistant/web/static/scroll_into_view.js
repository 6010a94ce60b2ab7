// On phones the section view sits below the tree: bring it into view when it changes.
watch('value', () => {
  if (window.innerWidth < 800 && element.innerHTML.trim()) {
    element.scrollIntoView({behavior: 'smooth', block: 'start'});
  }
});
