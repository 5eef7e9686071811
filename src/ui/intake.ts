// What comes into <histoscan-detector>: the drop zone with its pickers, a drop (files, folders or a
// sample thumbnail), a paste, and the note about files a folder held that are no images.
import { html } from 'lit';
import { dropNote, droppedFiles, droppedLinks, imagesOnly, inputFiles, pastedFiles, skippedNote, withPaths } from './files.ts';

/** A field that takes pasted text (the profile panel's), where a paste without an image is no mistake. */
export const editable = (t: EventTarget | undefined): boolean =>
  (t instanceof HTMLInputElement && /^(text|search|url|tel|email|password|number)$/.test(t.type)) || t instanceof HTMLTextAreaElement || (t instanceof HTMLElement && t.isContentEditable);

export interface IntakeHooks {
  /** Queue these images (under these names: paths in a folder). */
  add(files: File[], names?: string[]): void;
  /** A same-origin URL dropped instead of files (a sample or a row's thumbnail dragged); says itself what went wrong. */
  addUrl(url: string): void | Promise<void>;
}

export class FileIntake {
  /** What the last drop, pick or paste brought that the user should know (files left out, nothing to check). */
  said = '';

  constructor(
    private readonly host: HTMLElement & { renderRoot: ParentNode; requestUpdate(): void },
    private readonly hooks: IntakeHooks,
  ) {
    // A drop anywhere on the element is taken, not only on the zone: one beside it would open the file in the tab.
    host.addEventListener('dragover', (e) => e.preventDefault());
    host.addEventListener('drop', (e) => void this.drop(e));
    // Paste reaches the element only while focus is inside it (clipboard events are composed); a page of
    // its own may hand it the paste of the whole page (src/main.ts).
    host.addEventListener('paste', (e: ClipboardEvent) => this.paste(e));
  }

  /** Queue a paste's images, or say there were none. */
  paste(e: ClipboardEvent): void {
    const files = pastedFiles(e);
    if (files.length) {
      this.say('');
      this.hooks.add(files);
    } else if (!editable(e.composedPath()[0])) this.say('The clipboard holds no image to check: copy an image (not its address), then paste.');
  }

  /** Queue a drop's images (a folder walked), or fetch this page's links, or say what could not be taken. */
  async drop(e: DragEvent): Promise<void> {
    if (editable(e.composedPath()[0])) return; // text dropped into a field of the profile panel is the field's
    e.preventDefault();
    this.host.renderRoot.querySelector('.drop')?.classList.remove('over');
    const dt = e.dataTransfer;
    if (!dt) return;
    const links = droppedLinks(dt, location.href);
    const dropped = await droppedFiles(dt);
    this.say(dropNote(dropped));
    if (dropped.files.length) return this.hooks.add(dropped.files, dropped.names);
    if (dropped.folders || dropped.unreadable) return;
    for (const url of links.own) await this.hooks.addUrl(url);
    if (links.other) this.say('Images from other sites are not fetched here: save the image, then drop the file.');
    else if (!links.own.length) this.say('Only image files and folders can be dropped here.');
  }

  private folder(all: File[]): void {
    const { files, skipped } = imagesOnly(withPaths(all));
    this.say(skipped ? skippedNote(skipped, 'chosen') : '');
    this.hooks.add(files.map((f) => f.file), files.map((f) => f.path));
  }

  private files(e: Event): void {
    this.say('');
    this.hooks.add(inputFiles(e));
  }

  say(text: string): void {
    this.said = text;
    this.host.requestUpdate();
  }

  private pick(id: string): void {
    (this.host.renderRoot.querySelector(`#${id}`) as HTMLInputElement).click();
  }

  render() {
    const over = (e: DragEvent, on: boolean) => (e.currentTarget as HTMLElement).classList.toggle('over', on);
    // Enter or Space on the zone opens the picker, as a click on "Choose images" does.
    const key = (e: KeyboardEvent) => e.target === e.currentTarget && (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), this.pick('files'));
    return html`<div class="drop" part="drop-zone" tabindex="0" role="group" aria-label="Drop zone: drop images or folders here, or focus it and paste an image; Enter chooses images"
        @keydown=${key}
        @dragover=${(e: DragEvent) => (e.preventDefault(), over(e, true))}
        @dragleave=${(e: DragEvent) => over(e, false)}>
        <p><strong>Drop images or folders here</strong>, or click here and paste an image. PNG, JPEG, WebP, AVIF, GIF, BMP or TIFF; they never leave this device.</p>
        <div class="actions">
          <button class="primary" @click=${() => this.pick('files')}>Choose images</button>
          <button @click=${() => this.pick('folder')}>Choose a folder</button>
        </div>
        <input id="files" type="file" tabindex="-1" accept="image/png,image/jpeg,image/*" multiple aria-label="Choose images" @change=${(e: Event) => this.files(e)} />
        <input id="folder" type="file" tabindex="-1" webkitdirectory multiple aria-label="Choose a folder" @change=${(e: Event) => this.folder(inputFiles(e))} />
      </div>`;
  }
}
