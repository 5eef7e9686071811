// "Calibrate on your own images": build a profile in the browser from known-good images, or load a
// .hsp file. A part with its own state and template, so the element only places it.
import { html, nothing, type ReactiveControllerHost } from 'lit';
import type { DetectorClient } from './client.ts';
import type { FocusKeeper } from './a11y.ts';
import { calibrationNeeded } from '../core/verdict.ts';
import { imagesToCalibrate } from '../detector/holdout.ts';
import { emit } from './events.ts';
import { imagesOnly, inputFiles, withPaths } from './files.ts';
import { counted, fmtBytes } from '../core/words.ts';
import { pacer, paceText } from '../core/pace.ts';
import { fmtRate } from './format.ts';

interface BuildState {
  state: 'idle' | 'running' | 'done' | 'error';
  done: number;
  total: number;
  stage: string;
  /** Images per second and the time left, once there is a pace. */
  pace?: string;
  message?: string;
  /** What the build says beyond its outcome (its notes and warnings), each a point of its own under the message: run together they read as a wall of text. */
  points?: string[];
  url?: string;
  /** What the download link offers: the build it came from, in words (a later build that was cancelled or refused leaves it). */
  offers?: string;
}

/** Images a page build needs to flag at this FPR (detector/holdout.ts holdOut). */
const imagesFor = (fpr: number) => imagesToCalibrate(calibrationNeeded(fpr));

export class ProfilePanel {
  build: BuildState = { state: 'idle', done: 0, total: 0, stage: '' };

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement & { renderRoot: ParentNode; budget: number; fpr: number; model: string; localModel: string; focusKeeper: FocusKeeper },
    private readonly client: DetectorClient,
    private readonly onModelFiles: (files: File[]) => void,
    /** Another profile is in use: rows checked under the one before are checked again. */
    private readonly onProfile: () => void,
  ) {}

  get busy(): boolean {
    return this.build.state === 'running';
  }

  /** The element was removed: the built profile's download link lets go of its bytes. */
  forgetDownload(): void {
    if (this.build.url) URL.revokeObjectURL(this.build.url);
    this.set({ url: undefined, offers: undefined });
  }

  /** The model's file name, as a CLI build records it (the profile's modelName). */
  private modelFile(): string {
    return this.host.localModel.split(' + ')[0] || new URL(this.host.model || '.', location.href).pathname.split('/').pop() || '';
  }

  /** The built profile's file name: after the model it is for, and not the name of the profile it came with. */
  private downloadName(): string {
    const stem = this.modelFile().replace(/\.onnx$/i, '');
    // A model named model.onnx is known by its folder (models/extra/photo-model/model.onnx).
    const folder = !this.host.localModel && stem === 'model' ? new URL(this.host.model || '.', location.href).pathname.split('/').at(-2) : '';
    return `${folder || stem || 'profile'}-built.hsp`;
  }

  private set(p: Partial<BuildState>): void {
    // The build's Cancel takes the focus of the button that started it (disabled meanwhile), and its outcome the Cancel's.
    if (p.state && p.state !== this.build.state) this.host.focusKeeper.keepOn(p.state === 'running' ? '.build-progress button' : '[data-build]');
    // A new message brings its own points, or none.
    this.build = { ...this.build, ...('message' in p ? { points: undefined } : {}), ...p };
    this.host.requestUpdate();
  }

  /** A folder's or a pick's files not named as images are left out before the split, as a folder drop leaves them (files.ts imagesOnly). */
  private buildFromChosen(all: File[], where: 'folder' | 'files'): Promise<void> {
    const { files, skipped } = imagesOnly(withPaths(all));
    if (!files.length && all.length) {
      this.set({ state: 'error', message: `No images ${where === 'folder' ? 'in the chosen folder' : 'among the chosen files'} (${counted(skipped, 'other file')}): a build needs known-good PNG, JPEG, WebP, AVIF, GIF, BMP or TIFF images.` });
      return Promise.resolve();
    }
    return this.buildFrom(files.map((f) => f.file), skipped, where);
  }

  /** Build from `files`; `ignored`: other files of the folder or pick, left out. */
  private async buildFrom(files: File[], ignored: number, where: 'folder' | 'files'): Promise<void> {
    if (!files.length) return;
    // The worker says the total (every pass over the images) with its first progress: until then, no bar length.
    this.set({ state: 'running', done: 0, total: 0, stage: 'starting', pace: undefined, message: undefined });
    const pace = pacer();
    // Leaving the page would lose the build under way: the browser asks first.
    const stay = (e: BeforeUnloadEvent) => e.preventDefault();
    addEventListener('beforeunload', stay);
    try {
      const fpr = this.host.fpr;
      const r = await this.client.buildProfile(files, { budgetMB: this.host.budget, fpr, modelName: this.modelFile() || undefined }, (p) => {
        // Its count is of passes (each image is read in more than one stage): a rate of images would read 2–3 times too fast.
        const pacing = paceText(pace(p), 'passes');
        this.set(this.build.stage === 'cancelling' ? { done: p.done } : { ...p, pace: pacing });
      });
      if (this.build.url) URL.revokeObjectURL(this.build.url);
      const url = URL.createObjectURL(new Blob([r.bytes], { type: 'application/octet-stream' }));
      // Each error names its file; past four, the first three and the count of the rest.
      const shown = r.skipped.length > 4 ? 3 : 4;
      const errors = r.skipped.slice(0, shown).map((s) => s.error.replace(/\.$/, ''));
      const more = r.skipped.length > shown ? `; and ${r.skipped.length - shown} more` : '';
      const skipped = (r.skipped.length ? `; ${counted(r.skipped.length, 'file')} skipped (${errors.join('; ')}${more})` : '') + (ignored ? `; ${counted(ignored, 'non-image file')}${where === 'folder' ? ' in the folder' : ''} left out` : '');
      const used = r.calibrated ? ` (${r.count.toLocaleString('en')} for the histograms, ${r.calibrated.toLocaleString('en')} to calibrate)` : '';
      const built = `Profile built from ${counted(r.count + r.calibrated, 'image')}${used} on this device (${fmtBytes(r.bytes.byteLength)})`;
      const offers = `Download the profile built from ${counted(r.count + r.calibrated, 'image')} (.hsp)`;
      // The build's notes (e.g. the energy part left out) and warnings (too few calibration images for the FPR or for one part alone) where it has a calibration.
      const sentences = (ws: string[]) => ws.map((w) => `${w[0].toUpperCase()}${w.slice(1)}`);
      // A profile that cannot flag does not replace one that can: the user keeps a working verdict.
      const need = calibrationNeeded(fpr);
      if (r.calibrated < need && (this.client.info?.calibrated ?? 0) >= need) {
        // The build's own "cannot flag" warning would say it twice.
        const points = sentences(r.warnings.filter((w) => !w.startsWith('this profile cannot flag')));
        const message = `${built}${skipped}, but not put in use: ${r.calibrated} calibration images cannot flag at FPR ${fmtRate(fpr)} (${need} are needed: at least ${imagesFor(fpr)} images in all, as half at most calibrate), so the profile in use stays. Download it, or build again from more images.`;
        this.set({ state: 'done', done: this.build.total, stage: 'done', url, offers, message, points });
        return;
      }
      const info = await this.client.useProfile(r.bytes);
      this.onProfile();
      emit(this.host, 'histoscan-profile', { source: 'built', name: this.downloadName(), info });
      const cal = r.calibrated ? '' : ' It has no calibration (fewer than 10 images), so it cannot flag: verdicts read "Not calibrated".';
      // Without a calibration the message says it cannot flag; the build's other points stand.
      const points = sentences(r.calibrated ? r.warnings : r.warnings.filter((w) => !w.startsWith('this profile cannot flag')));
      this.set({ state: 'done', done: this.build.total, stage: 'done', url, offers, message: `${built} and in use now${skipped}.${cal}`, points });
    } catch (e) {
      // Cancelled by the user: no error, and the profile in use goes on checking.
      if ((e as Error).name === 'CancelledError') {
        const after = this.build.total ? ` after ${this.build.done.toLocaleString('en')} of ${this.build.total.toLocaleString('en')} image passes` : '';
        this.set({ state: 'done', message: `Build cancelled${after}; the profile in use stays.` });
      } else this.set({ state: 'error', message: (e as Error).message });
    } finally {
      removeEventListener('beforeunload', stay);
    }
  }

  /** Stops the build after the images being read (about half a second: detector/features.ts RUN_MS), said at once. */
  private cancel(): void {
    this.client.cancelBuild();
    this.set({ stage: 'cancelling', pace: undefined });
  }

  async loadProfile(file: File | undefined): Promise<void> {
    if (!file) return;
    try {
      const info = await this.client.useProfile(await file.arrayBuffer());
      this.onProfile();
      emit(this.host, 'histoscan-profile', { source: 'file', name: file.name, info });
      const need = calibrationNeeded(this.host.fpr);
      const cannot = info.calibrated < need ? ` It cannot flag at FPR ${fmtRate(this.host.fpr)}: ${info.calibrated ? `${counted(info.calibrated, 'calibration image')}, where ${need} are needed` : 'it has no calibration'}, so verdicts read "Not calibrated". Calibrate it (histoscan calibrate), or build one here.` : '';
      this.set({ state: 'done', done: 0, total: 0, stage: '', message: `Using profile ${file.name}.${cannot}` });
    } catch (e) {
      const error = `${file.name}: ${(e as Error).message}`;
      this.set({ state: 'error', done: 0, total: 0, stage: '', message: error });
      emit(this.host, 'histoscan-error', { file: null, error });
    }
  }

  /** Another model starts: what was built or loaded for the one before is no longer news. */
  forget(): void {
    if (this.busy) return;
    if (this.build.url) URL.revokeObjectURL(this.build.url);
    this.set({ state: 'idle', done: 0, total: 0, stage: '', message: undefined, url: undefined, offers: undefined });
  }

  private pick(id: string): void {
    (this.host.renderRoot.querySelector(`#${id}`) as HTMLInputElement).click();
  }

  render(ready: boolean, localModel: string) {
    const bd = this.build;
    // Another model or profile while a build runs would leave the build's profile for neither.
    const building = bd.state === 'running';
    const wait = building ? 'A profile is being built: wait for it, or cancel it.' : nothing;
    return html`<section class="calibrate" part="profile-panel">
      <h2>Use your own model</h2>
      <p>Pick an ONNX image model with its .hsp profile (built with <code>histoscan profile</code>) and, if the model needs one, its spec .json. The files are read in this browser; nothing is uploaded.</p>
      <div class="actions">
        <button @click=${() => this.pick('own-model')} ?disabled=${building} title=${wait}>Use your own model…</button>
        <input id="own-model" type="file" tabindex="-1" multiple accept=".onnx,.hsp,.json" aria-label="Model (.onnx), profile (.hsp) and optional spec (.json)" @change=${(e: Event) => this.onModelFiles(inputFiles(e))} />
        ${localModel ? html`<span role="status" data-local-model>Using ${localModel} from this device.</span>` : nothing}
      </div>
      <h2>Calibrate on your own images</h2>
      <p>Build a profile from known-good images in this browser (every fifth image calibrates the verdict, more in a small set: ${imagesFor(this.host.fpr)} images at least, to flag at FPR ${fmtRate(this.host.fpr)}), within ${this.host.budget} MB. It is used at once (unless it cannot flag and the profile in use can) and can be downloaded as .hsp; nothing is uploaded.</p>
      <div class="actions">
        <button @click=${() => this.pick('calib')} ?disabled=${building || !ready}>Build a profile from a folder…</button>
        <button @click=${() => this.pick('calib-files')} ?disabled=${building || !ready}>…or from images</button>
        <input id="calib" type="file" tabindex="-1" webkitdirectory multiple aria-label="Folder of known-good images" @change=${(e: Event) => this.buildFromChosen(inputFiles(e), 'folder')} />
        <input id="calib-files" type="file" tabindex="-1" multiple accept="image/*" aria-label="Known-good images" @change=${(e: Event) => this.buildFromChosen(inputFiles(e), 'files')} />
        <button @click=${() => this.pick('hsp')} ?disabled=${building} title=${wait}>Load a .hsp profile…</button>
        <input id="hsp" type="file" tabindex="-1" accept=".hsp" aria-label="Profile file" @change=${(e: Event) => this.loadProfile(inputFiles(e)[0])} />
        ${bd.url && !building ? html`<a class="button" href=${bd.url} download=${this.downloadName()} data-download>${bd.offers ?? 'Download profile (.hsp)'}</a>` : nothing}
      </div>
      ${building
        ? html`<div class="build-progress">
            ${bd.total ? html`<progress max=${bd.total} value=${bd.done} aria-label="Profile build"></progress>` : html`<progress aria-label="Profile build"></progress>`}<span data-build-stage>${bd.stage}${bd.total ? `: ${bd.done.toLocaleString('en')} of ${bd.total.toLocaleString('en')} image passes` : ''}${bd.pace ? `, ${bd.pace}` : ''}</span><span class="sr" aria-live="polite">${bd.stage}</span><button @click=${() => this.cancel()}>Cancel</button>
          </div>`
        : nothing}
      <div class=${bd.state === 'error' ? 'error' : ''} role="status" tabindex="-1" data-build>${bd.message ? html`<p>${bd.message}</p>` : nothing}${bd.points?.length ? html`<ul>${bd.points.map((w) => html`<li>${w}</li>`)}</ul>` : nothing}</div>
    </section>`;
  }
}
