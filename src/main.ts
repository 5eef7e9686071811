// Demo page: the component with the bundled model, profile and samples.
import './ui/index.ts';

const el = document.querySelector('histoscan-detector')!;
el.addEventListener('histoscan-ready', () => {
  document.documentElement.dataset.ready = 'true';
});
// Colours: follow the system, or force one scheme on the page and the element alike.
const theme = document.querySelector<HTMLSelectElement>('#theme');
theme?.addEventListener('change', () => {
  for (const node of [document.documentElement, el]) {
    if (theme.value) node.setAttribute(node === el ? 'theme' : 'data-theme', theme.value);
    else node.removeAttribute(node === el ? 'theme' : 'data-theme');
  }
});
document.documentElement.dataset.loaded = 'true';
