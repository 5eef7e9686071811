// Demo page: the component with the bundled model, profile and samples.
import './ui/index.ts';

const el = document.querySelector('histoscan-detector')!;
el.addEventListener('histoscan-ready', () => {
  document.documentElement.dataset.ready = 'true';
});
document.documentElement.dataset.loaded = 'true';
