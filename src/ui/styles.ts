// Styles of <histoscan-detector> and its views, kept apart from their logic. Colours come from
// documented --histoscan-* custom properties: defaults are set on :host, so a page overrides any of
// them from outside (outer styles win over :host), and a dark set applies under
// prefers-color-scheme: dark unless theme="light", or always with theme="dark".
import { css } from 'lit';

const light = css`
  --histoscan-fg: #1c2430;
  --histoscan-bg: #ffffff;
  --histoscan-surface: #f8fafc;
  --histoscan-muted: #566070;
  --histoscan-border: #c3ccd8;
  --histoscan-rule: #e3e8ef;
  --histoscan-accent: #2563eb;
  --histoscan-accent-fg: #ffffff;
  --histoscan-hover: #eef3ff;
  --histoscan-chip: #eef2f7;
  --histoscan-unusual: #b93c0a;
  --histoscan-typical: #0f766e;
  --histoscan-uncalibrated: #6d28d9;
  --histoscan-error: #9f1239;
  --histoscan-notice-bg: #fff7ed;
  --histoscan-notice-border: #f59e0b;
  --histoscan-bar: #5b7aa8;
  --histoscan-mark: #c81e3a;
  color-scheme: light;
`;

const dark = css`
  --histoscan-fg: #e6ebf2;
  --histoscan-bg: #151a21;
  --histoscan-surface: #1c232d;
  --histoscan-muted: #a3adbb;
  --histoscan-border: #4a5668;
  --histoscan-rule: #2b3440;
  --histoscan-accent: #8ab4ff;
  --histoscan-accent-fg: #0b1220;
  --histoscan-hover: #1f2b3f;
  --histoscan-chip: #252e3a;
  --histoscan-unusual: #fdba74;
  --histoscan-typical: #5eead4;
  --histoscan-uncalibrated: #c4b5fd;
  --histoscan-error: #fda4af;
  --histoscan-notice-bg: #33260f;
  --histoscan-notice-border: #b7791f;
  --histoscan-bar: #7f9cc8;
  --histoscan-mark: #ff7a90;
  color-scheme: dark;
`;

/** Custom-property defaults, light and dark. */
export const themeStyles = css`
  :host { ${light} }
  @media (prefers-color-scheme: dark) { :host(:not([theme='light'])) { ${dark} } }
  :host([theme='dark']) { ${dark} }
`;

export const buttonStyles = css`
  button, .button { font: inherit; border: 1px solid var(--histoscan-border); background: var(--histoscan-bg); border-radius: 8px; padding: 0.4rem 0.8rem; cursor: pointer; color: inherit; text-decoration: none; display: inline-block; }
  button:hover, .button:hover { border-color: var(--histoscan-accent); }
  button:focus-visible, .button:focus-visible, [tabindex]:focus-visible { outline: 3px solid var(--histoscan-accent); outline-offset: 1px; }
  button.primary { background: var(--histoscan-accent); color: var(--histoscan-accent-fg); border-color: var(--histoscan-accent); }
  button[disabled] { opacity: 0.6; cursor: default; }
`;

export const verdictStyles = css`
  .verdict { font-weight: 600; white-space: nowrap; }
  .verdict.flag { color: var(--histoscan-unusual); }
  .verdict.ok { color: var(--histoscan-typical); }
  .verdict.uncal { color: var(--histoscan-uncalibrated); }
  .verdict.err { color: var(--histoscan-error); font-weight: 500; white-space: normal; }
  .reason { font-size: 0.85rem; color: var(--histoscan-uncalibrated); margin: 0.25rem 0; }
`;

/** Text for screen readers only (a live region, a hint), in every element that has some. */
export const srStyles = css`
  .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }
`;

export const detectorStyles = css`
  :host { display: block; font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: var(--histoscan-fg); background: var(--histoscan-bg); }
  .status { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; font-size: 0.85rem; color: var(--histoscan-muted); margin-bottom: 0.75rem; }
  .chip { background: var(--histoscan-chip); border-radius: 999px; padding: 0.15rem 0.6rem; }
  .chip.provider { font-weight: 600; color: var(--histoscan-fg); }
  .error { color: var(--histoscan-error); }
  .drop { border: 2px dashed var(--histoscan-border); border-radius: 12px; padding: 1.25rem; text-align: center; background: var(--histoscan-surface); transition: background 0.15s; }
  .drop.over, .drop:focus-within { background: var(--histoscan-hover); border-color: var(--histoscan-accent); }
  .drop:focus-visible { outline: 3px solid var(--histoscan-accent); outline-offset: 2px; }
  .drop p { margin: 0.25rem 0 0.75rem; }
  .actions { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; justify-content: center; }
  input[type='file'] { display: none; }
  /* The element's sections are the page's second level (under its h1), drawn small: a guest, not the page's title. */
  h2 { font-size: 0.95rem; margin: 1rem 0 0.5rem; }
  .gallery { display: flex; flex-wrap: wrap; gap: 0.4rem; }
  .gallery button { padding: 0.2rem; display: flex; flex-direction: column; align-items: center; font-size: 0.7rem; width: 72px; }
  .gallery img { width: 56px; height: 56px; image-rendering: pixelated; border-radius: 4px; }
  .batch { display: flex; gap: 0.75rem; align-items: center; margin: 0.75rem 0; font-size: 0.9rem; }
  progress { flex: 1; height: 0.8rem; accent-color: var(--histoscan-accent); }
  .notice { background: var(--histoscan-notice-bg); border: 1px solid var(--histoscan-notice-border); border-radius: 8px; padding: 0.5rem 0.75rem; font-size: 0.85rem; margin: 0.5rem 0; }
  .notice:empty { display: none; }
  /* A container: the compact table follows the element's own width (a 300 px column on a wide page), not the
     viewport's. Not the host: its size containment would make it 0 px wide in a page's flex row. */
  .table { overflow-x: auto; container-type: inline-size; }
  .summary { font-size: 0.88rem; margin: 0.25rem 0; }
  .summary-note { background: var(--histoscan-notice-bg); border: 1px solid var(--histoscan-notice-border); border-radius: 8px; padding: 0.5rem 0.75rem; font-size: 0.85rem; margin: 0.25rem 0 0.5rem; }
  button.more { margin-top: 0.5rem; }
  .table-tools { display: flex; flex-wrap: wrap; gap: 0.5rem; margin: 0.25rem 0; font-size: 0.85rem; }
  .table-tools button { padding: 0.2rem 0.6rem; }
  .table-tools button[aria-pressed='true'] { background: var(--histoscan-hover); border-color: var(--histoscan-accent); }
  .none-unusual { font-size: 0.85rem; color: var(--histoscan-muted); }
  table { width: 100%; border-collapse: collapse; font-size: 0.88rem; }
  th { text-align: left; font-weight: 600; color: var(--histoscan-muted); border-bottom: 1px solid var(--histoscan-border); padding: 0.35rem; }
  td { border-bottom: 1px solid var(--histoscan-rule); padding: 0.3rem 0.35rem; vertical-align: middle; }
  tr.row { cursor: pointer; content-visibility: auto; contain-intrinsic-size: auto 44px; }
  tr.row[data-state="error"] { cursor: default; }
  tr.row:hover, tr.row.sel { background: var(--histoscan-hover); }
  tr.row:focus-visible { outline: 3px solid var(--histoscan-accent); outline-offset: -3px; }
  /* Forced colours drop the tint: the open row is outlined instead. */
  @media (forced-colors: active) { tr.row.sel { outline: 2px solid Highlight; outline-offset: -2px; } }
  td img { width: 36px; height: 36px; image-rendering: pixelated; border-radius: 4px; object-fit: contain; background: var(--histoscan-chip); }
  td img.thin { object-fit: cover; }
  .num { font-variant-numeric: tabular-nums; white-space: nowrap; }
  .name { max-width: 16rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  /* The row's control reads as a link: the row, not a button, is what the eye scans. */
  button.open { border: 0; background: none; padding: 0.1rem 0.2rem; color: inherit; text-align: left; max-width: 100%; display: inline-flex; align-items: baseline; min-width: 0; text-decoration: underline dotted var(--histoscan-muted); text-underline-offset: 3px; }
  button.open > * { text-decoration: inherit; }
  button.open .head, .failed .head { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; }
  button.open .tail, .failed .tail { white-space: nowrap; flex: none; }
  .failed { display: inline-flex; max-width: 100%; min-width: 0; padding: 0.1rem 0.2rem; }
  button.open:hover { text-decoration: underline solid var(--histoscan-accent); }
  .calibrate { margin-top: 1.25rem; border-top: 1px solid var(--histoscan-rule); padding-top: 0.5rem; font-size: 0.9rem; }
  .calibrate .actions { justify-content: flex-start; }
  /* A row of its own, so the bar keeps its width beside the stage's words on a phone. */
  .build-progress { display: flex; gap: 0.5rem; align-items: center; margin-top: 0.5rem; }
  .build-progress progress { min-width: 6rem; }
  /* At 320 px (400% zoom) the verdict wraps rather than being cut by the table's box (WCAG 1.4.10). */
  @container (max-width: 560px) { .hide-sm { display: none; } .name { max-width: 6rem; } td, th { padding: 0.25rem 0.2rem; } .verdict { white-space: normal; } }
  /* The build's message is a live region that is always there (one inserted with its words is often not read out). */
  [data-build] > p, [data-build] > ul { margin: 0.5rem 0; }
  [data-build] li { margin: 0.25rem 0; }
`;
