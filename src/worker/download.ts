// The worker's downloads of a model, profile or spec: counted as they come, and given up where the
// connection stalls. No DOM: Node's fetch runs it too (tests/download-stall.test.ts).
import { bodyLength, isHtml, STALL_MS, stallWatch } from '../model/runtime.ts';

/**
 * A file's bytes; `progress` hears how many of them have come (a model of tens of MB on a slow connection
 * is a long wait that should show), with the file's size where the server says it (else 0: the length of
 * a compressed response is not the length of what its stream gives, until all of it has come).
 */
export async function fetchBytes(src: string | ArrayBuffer, what: string, progress?: (got: number, size: number) => void, stallMs = STALL_MS): Promise<ArrayBuffer> {
  if (typeof src !== 'string') return src;
  const abort = new AbortController();
  const watch = stallWatch(() => abort.abort(new Error(`no data came for ${stallMs / 1000} s`)), stallMs);
  // A connection that fails, stalls or ends halfway says which file, not only "Failed to fetch".
  const failed = (e: unknown) => new Error(`Could not download the ${what} from ${src} (${((abort.signal.aborted ? abort.signal.reason : e) as Error).message}): check the connection, then try again.`);
  watch.poke();
  try {
    const res = await fetch(src, { signal: abort.signal }).catch((e: unknown) => Promise.reject(failed(e)));
    if (!res.ok) throw new Error(`Could not load the ${what} from ${src} (HTTP ${res.status}).`);
    if (isHtml(res)) throw new Error(`Could not load the ${what} from ${src}: the server sent an HTML page instead (is the URL right? many servers answer a missing file with their index page).`);
    if (!res.body) return await res.arrayBuffer().catch((e: unknown) => Promise.reject(failed(e)));
    const size = bodyLength(res);
    // Into one buffer of the size said (a model of hundreds of MB is not held twice); else chunks, joined at the end.
    const out = size ? new Uint8Array(size) : null;
    const parts: Uint8Array[] = [];
    let got = 0;
    try {
      for (const reader = res.body.getReader(); ; ) {
        watch.poke();
        const { done, value } = await reader.read();
        if (done) break;
        if (out && got + value.length > size) throw new Error('the server sent more bytes than it said');
        if (out) out.set(value, got);
        else parts.push(value);
        got += value.length;
        progress?.(got, size);
      }
    } catch (e) {
      throw failed(e);
    }
    if (out) {
      if (got !== size) throw failed(new Error(`${got} of ${size} bytes came`));
      return out.buffer;
    }
    progress?.(got, got); // all of it came: its size is known now
    const joined = new Uint8Array(got);
    parts.reduce((at, p) => (joined.set(p, at), at + p.length), 0);
    return joined.buffer;
  } finally {
    watch.stop();
  }
}
