// js_on_load of the conversation (gr.HTML): keep the newest answer in view, keep the
// conversation in this browser's localStorage (nothing is sent anywhere else) and run the
// buttons inside answers. Only 👍/👎 and "Spara" talk to the server; copying and printing stay here.
const KEY = 'avtalsassistenten-samtal';
const keep = () => {
  const data = element.querySelector('section.samtal')?.dataset.turer;
  if (data === undefined) return;
  try {
    if (data === '[]') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, data);
  } catch (error) { /* storage full or disabled: the conversation just is not kept */ }
};
const kept = () => {
  try { return JSON.parse(localStorage.getItem(KEY) || '[]'); } catch (error) { return []; }
};
const saved = kept();
if (saved.length) trigger('click', {action: 'aterstall', turer: saved});
let shown = '';
const reveal = () => {
  const turns = element.querySelectorAll('.tur');
  const last = turns[turns.length - 1];
  const key = `${turns.length}:${last ? last.className : ''}`;
  if (key === shown) return;  // a re-render of the same turns (a rating): stay where you are
  shown = key;
  if (!last) return;
  // The question of the newest turn at the top, its answer right below it; the question
  // field stays reachable at the bottom of the screen (it is sticky).
  last.scrollIntoView({block: 'start', behavior: 'instant'});
};
watch('value', () => {
  keep();
  requestAnimationFrame(reveal);
});
requestAnimationFrame(() => { shown = `${element.querySelectorAll('.tur').length}:`; });

const askAgain = (text) => {
  const box = document.querySelector('#fraga textarea');
  const send = document.querySelector('#skicka');
  if (!box || !send) return;
  box.value = text;
  box.dispatchEvent(new Event('input', {bubbles: true}));
  setTimeout(() => send.click(), 0);
};

const copyText = async (text) => {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (error) {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
};

const printTurn = (turn) => {
  const opened = [...turn.querySelectorAll('details:not([open])')];
  opened.forEach((d) => { d.open = true; });
  turn.classList.add('utskrift');
  document.body.classList.add('skriv-ut-svar');
  const done = () => {
    opened.forEach((d) => { d.open = false; });
    turn.classList.remove('utskrift');
    document.body.classList.remove('skriv-ut-svar');
    window.removeEventListener('afterprint', done);
  };
  window.addEventListener('afterprint', done);
  window.print();
};

element.addEventListener('click', async (event) => {
  const example = event.target.closest('button.exempel');
  if (example) {
    askAgain(example.dataset.fraga);
    return;
  }
  const rating = event.target.closest('button.betyg');
  if (rating) {
    trigger('click', {action: 'betyg', tur: Number(rating.dataset.tur), betyg: rating.dataset.betyg});
    return;
  }
  const copy = event.target.closest('button.kopiera');
  if (copy) {
    const link = copy.parentElement.querySelector('a.fraga-lank');
    const url = link ? new URL(link.getAttribute('href'), window.location.href).href : '';
    const ok = await copyText(copy.dataset.kopia + (url ? `\n\nLänk: ${url}` : ''));
    const note = copy.parentElement.querySelector('.kopierat');
    if (note) note.textContent = ok ? 'Kopierat.' : 'Kunde inte kopiera.';
    return;
  }
  const save = event.target.closest('button.spara');
  if (save) {  // show the collection form below the buttons, its name field focused
    const form = element.querySelector(`#spara-${save.dataset.tur}`);
    if (!form) return;
    form.hidden = !form.hidden;
    save.setAttribute('aria-expanded', String(!form.hidden));
    if (!form.hidden) form.querySelector('input')?.focus();
    return;
  }
  const print = event.target.closest('button.skriv-ut');
  if (print) printTurn(print.closest('.tur'));
});

// "Spara svaret": the server puts the answer into the named collection ("Sparat i …").
element.addEventListener('submit', (event) => {
  const form = event.target.closest('form.spara-form');
  if (!form) return;
  event.preventDefault();
  const name = form.querySelector('input')?.value || '';
  trigger('click', {action: 'spara', tur: Number(form.dataset.tur), samling: name});
});

// ?fraga=… (the link under each answer) asks that question once the kept conversation is
// back on screen, then leaves the address so a reload does not ask it again.
const linked = new URL(window.location.href).searchParams.get('fraga');
if (linked && linked.trim()) {
  const started = Date.now();
  const ready = () => document.querySelector('#fraga textarea') && document.querySelector('#skicka')
    && (!saved.length || element.querySelector('.tur') || Date.now() - started > 4000);
  const wait = setInterval(() => {
    if (!ready()) return;
    clearInterval(wait);
    const url = new URL(window.location.href);
    url.searchParams.delete('fraga');
    url.searchParams.delete('omfang');
    window.history.replaceState(window.history.state, '', url);
    setTimeout(() => askAgain(linked.trim()), 300);  // after ?omfang= reached the scope menu
  }, 100);
}

// Printing the whole conversation (Ctrl+P): every answer with its sources, then as before.
let openedForPrint = [];
window.addEventListener('beforeprint', () => {
  if (document.body.classList.contains('skriv-ut-svar')) return;  // "Skriv ut" did it
  openedForPrint = [...element.querySelectorAll('details.visa-mer:not([open])')];
  openedForPrint.forEach((d) => { d.open = true; });
});
window.addEventListener('afterprint', () => {
  openedForPrint.forEach((d) => { d.open = false; });
  openedForPrint = [];
});
