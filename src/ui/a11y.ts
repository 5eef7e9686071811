// What keyboard and screen-reader users need of an element beyond its markup: focus kept inside it when
// the control that has it leaves with an update (WCAG 2.4.3), and a live region that says each change.
import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** Keeps keyboard focus in the element when a control with focus goes (a Cancel that ends with its build, a "Show more" that shows the last rows), not dropped to the page's top. */
export class FocusKeeper implements ReactiveController {
  private target = '';
  private had = false;

  constructor(private readonly host: ReactiveControllerHost & HTMLElement & { renderRoot: ParentNode }) {
    host.addController(this);
  }

  /** Focus `selector` if the control that has focus leaves the element, or is disabled, with the update this change makes. */
  keepOn(selector: string): void {
    this.target = selector;
  }

  hostUpdate(): void {
    this.had = !!this.host.shadowRoot?.activeElement;
  }

  hostUpdated(): void {
    // A control disabled under focus loses it at the browser's next focus fixup, after this update.
    const at = this.host.shadowRoot?.activeElement as HTMLButtonElement | null | undefined;
    if (this.target && this.had && (!at || at.disabled)) this.host.renderRoot.querySelector<HTMLElement>(this.target)?.focus();
    this.target = '';
  }
}

/** The words of a live region: said again when they repeat (a region says a change, so a blank comes between). */
export class Announcer {
  text = '';

  constructor(private readonly host: ReactiveControllerHost) {}

  say(text: string): void {
    if (text !== this.text) return this.set(text);
    this.set('');
    void this.host.updateComplete.then(() => this.set(text));
  }

  clear(): void {
    this.set('');
  }

  private set(text: string): void {
    this.text = text;
    this.host.requestUpdate();
  }
}
