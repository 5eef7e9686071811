// What comes into <histoscan-detector>: the drop zone with its pickers, a drop (files, folders or a
// sample thumbnail), a paste, and the note about files a folder held that are no images.
import { html } from 'lit';
import { droppedFiles, imagesOnly, inputFiles, pastedFiles, skippedNote } from './files.ts';

export interface IntakeHooks {
  /** Queue these images. */
  add(files: File[]): void;
  /** A same-origin URL dropped instead of files (a sample thumbnail dragged). */
  addUrl(url: string): Promise<void>;
  /** Tell the user something about what came in. */
  note(text: string): void;
}

export class FileIntake {
  constructor(
    private readonly host: HTMLElement & { renderRoot: ParentNode },
    private readonly hooks: IntakeHooks,
  ) {
    // Paste reaches the element only while focus is inside it (clipboard events are composed).
    host.addEventListener('paste', (e: ClipboardEvent) => {
      const files = pastedFiles(e);
      if (files.length) hooks.add(files);
    });
  }

  private async drop(e: DragEvent): Promise<void> {
    e.preventDefault();
    (e.currentTarget as HTMLElement).classList.remove('over');
    const dt = e.dataTransfer;
    if (!dt) return;
    const url = dt.getData('text/uri-list') || dt.getData('text/plain');
    const { files, skipped } = await droppedFiles(dt);
    if (skipped) this.hooks.note(skippedNote(skipped, 'dropped'));
    if (files.length) this.hooks.add(files);
    else if (url && new URL(url, location.href).origin === location.origin) await this.hooks.addUrl(url);
  }

  private folder(all: File[]): void {
    const { files, skipped } = imagesOnly(all);
    if (skipped) this.hooks.note(skippedNote(skipped, 'chosen'));
    this.hooks.add(files);
  }

  private pick(id: string): void {
    (this.host.renderRoot.querySelector(`#${id}`) as HTMLInputElement).click();
  }

  render() {
    const over = (e: DragEvent, on: boolean) => (e.currentTarget as HTMLElement).classList.toggle('over', on);
    return html`<div class="drop" part="drop-zone" tabindex="0" role="group" aria-label="Drop zone: drop images or folders here, or focus it and paste an image"
        @dragover=${(e: DragEvent) => (e.preventDefault(), over(e, true))}
        @dragleave=${(e: DragEvent) => over(e, false)}
        @drop=${(e: DragEvent) => this.drop(e)}>
        <p><strong>Drop images or folders here</strong>, or paste an image. PNG, JPEG, WebP, AVIF, GIF, BMP or TIFF; they never leave this device.</p>
        <div class="actions">
          <button class="primary" @click=${() => this.pick('files')}>Choose images</button>
          <button @click=${() => this.pick('folder')}>Choose a folder</button>
        </div>
        <input id="files" type="file" tabindex="-1" accept="image/png,image/jpeg,image/*" multiple aria-label="Choose images" @change=${(e: Event) => this.hooks.add(inputFiles(e))} />
        <input id="folder" type="file" tabindex="-1" webkitdirectory multiple aria-label="Choose a folder" @change=${(e: Event) => this.folder(inputFiles(e))} />
      </div>`;
  }
}
