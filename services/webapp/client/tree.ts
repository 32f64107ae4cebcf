// Host tree: filter hosts by name as you type.
const input = document.querySelector<HTMLInputElement>('#host-filter');
input?.addEventListener('input', () => {
  const q = input.value.trim().toLowerCase();
  for (const li of Array.from(document.querySelectorAll<HTMLLIElement>('.hosts li')))
    li.hidden = q !== '' && !(li.dataset.name ?? '').includes(q);
});
