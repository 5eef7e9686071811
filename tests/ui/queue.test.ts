// The component's queue without a browser: a fake host (counts update requests) and a fake worker
// client (answers by file name, can die once, can hang as a disposed worker does).
import { describe, expect, it } from 'vitest';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { WorkerDiedError } from '../../src/ui/client.ts';
import type { BatchSummary } from '../../src/ui/events.ts';
import { QueueController, type CheckOptions, type QueueClient } from '../../src/ui/queue.ts';
import { LRU_SIZE } from '../../src/ui/rows.ts';
import type { ImageError, ImageResult } from '../../src/types.ts';

class FakeHost implements ReactiveControllerHost {
  updates = 0;
  controllers: ReactiveController[] = [];
  addController(c: ReactiveController) {
    this.controllers.push(c);
  }
  removeController() {}
  requestUpdate() {
    this.updates++;
  }
  get updateComplete() {
    return Promise.resolve(true);
  }
}

/** q by name: "flag-*" 0.01, "bad-*" an ImageError, others 0.5; calibration of 100 images; a ".jpg" carries a coding note. */
function result(name: string, opts: CheckOptions): ImageResult | ImageError {
  if (name.startsWith('bad')) return { file: name, error: 'not an image', code: 'corrupt' };
  const q = name.startsWith('flag') ? 0.01 : name.startsWith('edge') ? 0.03 : 0.5;
  const verdict = q <= opts.fpr ? 'unusual' : 'typical';
  return {
    file: name, width: 28, height: 28, top: [{ index: 0, label: 'shirt', prob: 0.9 }], score: 10, alpha: 0.1, q, flagged: verdict === 'unusual',
    verdict, calibrationCount: 100, fpr: opts.fpr, scoring: opts.scoring, layers: [], parts: [], subset: new Uint32Array(0), topNodes: [], provider: 'wasm',
    timings: { decode: 1, preprocess: 1, inference: 1, pvalues: 1, scan: 1 },
    ...(name.endsWith('.jpg') ? { codingNote: 'a JPEG: compression alone can make a clean image unusual.' } : {}),
  };
}

class FakeClient implements QueueClient {
  calls: string[] = [];
  restarts = 0;
  /** Names on which the worker dies (once each, or always with dieAlways). */
  dieOn = new Set<string>();
  dieAlways = false;
  /** Names on which the worker dies while another check is in flight (two large images at once), not alone. */
  dieTogether = new Set<string>();
  /** A name whose check never answers (a disposed worker). */
  hangOn = '';
  gate: Promise<void> | null = null;
  /** A dead worker stays dead until restarted: a check sent to it fails at once, as a real one's does. */
  dead = false;
  /** Calls in flight: a death fails them all, as it does in a real worker. */
  private pending = new Set<(e: Error) => void>();
  async check(_file: Blob, name: string, opts: CheckOptions) {
    this.calls.push(name);
    if (this.dead) throw new WorkerDiedError();
    let fail!: (e: Error) => void;
    const died = new Promise<never>((_, rej) => (fail = rej));
    this.pending.add(fail);
    try {
      return await Promise.race([died, this.answer(name, opts)]);
    } finally {
      this.pending.delete(fail);
    }
  }
  private async answer(name: string, opts: CheckOptions) {
    if (this.gate) await this.gate;
    if (name === this.hangOn) return new Promise<never>(() => {});
    if (this.dieOn.has(name) || (this.dieTogether.has(name) && this.pending.size > 1)) {
      if (!this.dieAlways) this.dieOn.delete(name);
      this.dead = true;
      for (const fail of this.pending) fail(new WorkerDiedError());
    }
    return result(name, opts);
  }
  async restart() {
    this.restarts++;
    this.dead = false;
  }
}

function setup(fpr = 0.05, schedule?: (cb: () => void) => void) {
  const host = new FakeHost();
  const client = new FakeClient();
  const events: { results: string[]; errors: string[]; done: BatchSummary[]; fatal: Error[] } = { results: [], errors: [], done: [], fatal: [] };
  const opts = { fpr, scoring: 'hc' as const };
  const q = new QueueController(host, client, {
    options: () => opts,
    result: (r) => events.results.push(r.file),
    error: (e) => events.errors.push(e.file),
    batchDone: (s) => events.done.push(s),
    fatal: (e) => events.fatal.push(e),
  }, schedule);
  return { host, client, events, q, opts };
}

const blobs = (names: string[]) => names.map((n) => new File([new Uint8Array([1])], n));
const settle = async () => {
  for (let i = 0; i < 50; i++) await new Promise((r) => setTimeout(r, 0));
};

/** Four images sent while the worker holds its answers until `open()`: IN_FLIGHT of them in flight, the rest queued. */
async function heldBatch() {
  const ctx = setup();
  let release!: () => void;
  ctx.client.gate = new Promise((r) => (release = r));
  ctx.q.start();
  ctx.q.add(blobs(['a.png', 'b.png', 'c.png', 'd.png']));
  await settle();
  const open = () => {
    ctx.client.gate = null;
    release();
  };
  return { ...ctx, open };
}

describe('QueueController', () => {
  it('registers with its host and waits for start() before checking', async () => {
    const { host, client, q } = setup();
    expect(host.controllers).toContain(q);
    q.add(blobs(['a.png']));
    await settle();
    expect(client.calls).toEqual([]);
    expect(q.rows[0].state).toBe('queued');
    q.start();
    await settle();
    expect(q.rows[0].state).toBe('done');
    expect(host.updates).toBeGreaterThan(0);
  });

  it('checks in order, one error row per bad image, and reports the batch once', async () => {
    const { client, events, q } = setup();
    q.start();
    q.add(blobs(['a.png', 'bad.png', 'flag.png', 'b.png']));
    await settle();
    expect(client.calls).toEqual(['a.png', 'bad.png', 'flag.png', 'b.png']);
    expect(q.rows.map((r) => r.state)).toEqual(['done', 'error', 'done', 'done']);
    expect(q.rows[1].error).toBe('not an image');
    expect(events.results).toEqual(['a.png', 'flag.png', 'b.png']);
    expect(events.errors).toEqual(['bad.png']);
    expect(events.done).toHaveLength(1);
    expect(events.done[0]).toMatchObject({ total: 4, done: 3, unusual: 1, typical: 2, errors: 1, cancelled: 0 });
    expect(q.batch).toEqual({ done: 4, total: 4, running: false });
  });

  it('counts the unusual images whose lossy coding may be why, not the typical ones', async () => {
    const { events, q } = setup();
    q.start();
    q.add(blobs(['flag-a.jpg', 'b.jpg', 'flag-c.png']));
    await settle();
    expect(events.done[0]).toMatchObject({ done: 3, unusual: 2, typical: 1, lossyUnusual: 1 });
  });

  it('survives a worker death: one restart, the image is retried and the batch goes on', async () => {
    const { client, q } = setup();
    client.dieOn.add('b.png');
    q.start();
    q.add(blobs(['a.png', 'b.png', 'c.png']));
    await settle();
    expect(client.restarts).toBe(1);
    // a and b were in flight together; b died, and from then on one image is in flight: b again, then c.
    expect(client.calls).toEqual(['a.png', 'b.png', 'b.png', 'c.png']);
    expect(q.rows.map((r) => r.state)).toEqual(['done', 'done', 'done']);
  });

  it('a death with two images in flight fails both; they share one restart and are both retried, in order', async () => {
    const { client, events, q } = setup();
    let open!: () => void;
    client.gate = new Promise((r) => (open = r));
    client.dieOn.add('a.png');
    q.start();
    q.add(blobs(['a.png', 'b.png', 'c.png']));
    await settle();
    expect(client.calls).toEqual(['a.png', 'b.png']);
    client.gate = null;
    open();
    await settle();
    expect(client.restarts).toBe(1);
    expect(client.calls).toEqual(['a.png', 'b.png', 'a.png', 'b.png', 'c.png']);
    expect(events.results).toEqual(['a.png', 'b.png', 'c.png']);
  });

  it('images that kill the worker only together are retried one by one, and the rest of the batch goes one at a time', async () => {
    const { client, q } = setup();
    for (const n of ['big1.png', 'big2.png', 'big3.png', 'big4.png']) client.dieTogether.add(n);
    q.start();
    q.add(blobs(['big1.png', 'big2.png', 'big3.png', 'big4.png', 'small.png']));
    await settle();
    expect(q.rows.map((r) => r.state)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(client.restarts).toBe(1);
    // Clear restores two in flight.
    q.clear();
    client.dieTogether.clear();
    q.add(blobs(['a.png', 'b.png']));
    expect(client.calls.slice(-2)).toEqual(['a.png', 'b.png']);
  });

  it('an image that kills the worker twice becomes an error row, not a lost batch', async () => {
    const { client, q } = setup();
    client.dieOn.add('b.png');
    client.dieAlways = true;
    q.start();
    q.add(blobs(['a.png', 'b.png', 'c.png']));
    await settle();
    expect(q.rows.map((r) => r.state)).toEqual(['done', 'error', 'done']);
    expect(q.rows[1].error).toMatch(/died twice/);
  });

  it('an image in flight beside one that kills the worker twice is retried on a live worker, not blamed with it', async () => {
    const { client, q } = setup();
    let open!: () => void;
    client.gate = new Promise((r) => (open = r));
    client.dieOn.add('killer.png');
    client.dieAlways = true;
    q.start();
    q.add(blobs(['killer.png', 'beside.png', 'after.png']));
    await settle();
    client.gate = null;
    open();
    await settle();
    expect(q.rows.map((r) => [r.name, r.state])).toEqual([['killer.png', 'error'], ['beside.png', 'done'], ['after.png', 'done']]);
    expect(q.rows[0].error).toMatch(/died twice/);
    expect(client.restarts).toBe(2);
  });

  it('images no model could check (it did not start) are checked by the next model that starts', async () => {
    const { events, q } = setup();
    q.add(blobs(['a.png', 'b.png']));
    q.failWaiting('Not checked: the model did not start (HTTP 404).');
    expect(q.rows.map((r) => [r.state, r.code])).toEqual([['error', 'no-model'], ['error', 'no-model']]);
    expect(events.done).toEqual([expect.objectContaining({ total: 2, errors: 2 })]);
    q.requeueUnstarted();
    q.start();
    await settle();
    expect(q.rows.map((r) => [r.state, r.error])).toEqual([['done', undefined], ['done', undefined]]);
    expect(events.done[1]).toMatchObject({ total: 2, done: 2, errors: 0 });
  });

  it('cancel marks the queued rest cancelled (a profile build in the worker is not the batch\'s to cancel)', async () => {
    const { client, events, q, open } = await heldBatch();
    q.cancel();
    open();
    await settle();
    // The IN_FLIGHT images already sent finish; the rest is cancelled.
    expect(q.rows.map((r) => r.state)).toEqual(['done', 'done', 'cancelled', 'cancelled']);
    expect(client.calls).toEqual(['a.png', 'b.png']);
    expect(events.done).toHaveLength(1);
    expect(events.done[0].cancelled).toBe(2);
    expect(q.batch.total).toBe(2);
  });

  it("cancel's batch-done comes after the images in flight report: it is the batch's last event", async () => {
    const { events, q, open } = await heldBatch();
    const order: string[] = [];
    q.cancel();
    expect(events.done).toEqual([]); // a and b are still in flight
    const push = events.results.push.bind(events.results);
    events.results.push = (...f: string[]) => (order.push(...f), push(...f));
    const pushDone = events.done.push.bind(events.done);
    events.done.push = (...d: BatchSummary[]) => (order.push('batch-done'), pushDone(...d));
    open();
    await settle();
    expect(order).toEqual(['a.png', 'b.png', 'batch-done']);
    expect(events.done[0]).toMatchObject({ total: 2, done: 2, cancelled: 2 });
  });

  it('clear() mid-batch: the cleared images report nothing, the batch ends at once, and the next batch counts from 0', async () => {
    const { events, q, open } = await heldBatch();
    q.clear();
    expect(events.done).toEqual([{ total: 0, done: 0, unusual: 0, typical: 0, uncalibrated: 0, errors: 0, cancelled: 4, lossyUnusual: 0 }]);
    open();
    q.add(blobs(['e.png', 'f.png']));
    await settle();
    expect(events.results).toEqual(['e.png', 'f.png']);
    expect(events.done).toHaveLength(2);
    expect(events.done[1]).toMatchObject({ total: 2, done: 2 });
    expect(q.batch).toMatchObject({ total: 2, done: 2, running: false });
  });

  it('clear() of a running batch: its batch-done counts the rows since the last Clear as Cancel does, those waiting or in flight cancelled', async () => {
    const { client, events, q } = setup();
    q.start();
    q.add(blobs(['a.png', 'b.png']));
    await settle();
    expect(events.done).toEqual([expect.objectContaining({ total: 2, done: 2, cancelled: 0 })]);
    client.gate = new Promise(() => {});
    q.add(blobs(['c.png', 'd.png', 'e.png']));
    await settle();
    q.clear();
    expect(events.done[1]).toEqual({ ...events.done[0], total: 2, done: 2, cancelled: 3 });
    expect(events.done[1].typical + events.done[1].unusual).toBe(2);
  });

  it('stop() while an image is in flight puts it back; start() on a new worker finishes the batch', async () => {
    const { client, q } = setup();
    client.hangOn = 'b.png';
    q.start();
    q.add(blobs(['a.png', 'b.png', 'c.png']));
    await settle();
    // c was answered, but results come in order: it waits behind b.
    expect(q.rows.map((r) => r.state)).toEqual(['done', 'running', 'running']);
    q.stop();
    await settle();
    expect(q.rows.map((r) => r.state)).toEqual(['done', 'queued', 'queued']);
    client.hangOn = '';
    q.start();
    await settle();
    expect(q.rows.map((r) => r.state)).toEqual(['done', 'done', 'done']);
    expect(client.calls).toEqual(['a.png', 'b.png', 'c.png', 'b.png', 'c.png']);
  });

  it('asks its host for at most one update per frame, however many results arrive', async () => {
    const frames: (() => void)[] = [];
    const { host, events, q } = setup(0.05, (cb) => frames.push(cb));
    q.start();
    q.add(blobs(Array.from({ length: 20 }, (_, i) => `img-${i}.png`)));
    await settle();
    expect(events.results).toHaveLength(20); // events are not held back, only redraws
    expect(host.updates).toBe(0);
    expect(frames).toHaveLength(1);
    frames.shift()!();
    expect(host.updates).toBe(1);
    q.relabel(0.1);
    q.relabel(0.2);
    expect(frames).toHaveLength(1);
  });

  it('keeps the last LRU_SIZE full results', async () => {
    const { q } = setup();
    q.start();
    const rows = q.add(blobs(Array.from({ length: LRU_SIZE + 3 }, (_, i) => `img-${i}.png`)));
    await settle();
    expect(q.result(rows[0].id)).toBeUndefined();
    expect(q.result(rows[2].id)).toBeUndefined();
    expect(q.result(rows[3].id)?.file).toBe('img-3.png');
    expect(q.result(rows.at(-1)!.id)?.file).toBe(`img-${LRU_SIZE + 2}.png`);
  });

  it('a new FPR relabels finished rows from their q without checking again', async () => {
    const { client, q } = setup(0.05);
    q.start();
    const rows = q.add(blobs(['a.png', 'flag.png', 'edge.png']));
    await settle();
    expect(q.rows.map((r) => r.summary!.verdict)).toEqual(['typical', 'unusual', 'unusual']);
    const calls = client.calls.length;
    q.relabel(0.02);
    expect(q.rows.map((r) => r.summary!.verdict)).toEqual(['typical', 'unusual', 'typical']);
    expect(q.result(rows[2].id)).toMatchObject({ fpr: 0.02, verdict: 'typical', flagged: false });
    // 100 calibration images cannot flag at FPR 0.5%: the third state, with its reason.
    q.relabel(0.005);
    expect(q.rows.map((r) => r.summary!.verdict)).toEqual(['uncalibrated', 'uncalibrated', 'uncalibrated']);
    expect(q.rows[0].summary!.reason).toMatch(/at least 199/);
    expect(client.calls.length).toBe(calls);
  });

  it('a new scoring checks finished rows again, and the rows in flight, under it', async () => {
    const { client, events, q, opts } = setup();
    q.start();
    const rows = q.add(blobs(['a.png', 'bad.png', 'b.png']));
    await settle();
    expect(events.done).toHaveLength(1);
    let open!: () => void;
    client.gate = new Promise((r) => (open = r));
    const more = q.add(blobs(['c.png', 'd.png', 'e.png']));
    await settle(); // c and d in flight under hc, e waiting
    opts.scoring = 'bj' as never;
    q.recheck();
    expect(rows[0].state).toBe('queued');
    expect(rows[1].state).toBe('error'); // an image that failed fails under any scoring
    expect(q.batch.running).toBe(true);
    client.gate = null;
    open();
    await settle();
    expect(q.rows.map((r) => r.state)).toEqual(['done', 'error', 'done', 'done', 'done', 'done']);
    for (const r of [rows[0], rows[2], ...more]) expect(q.result(r.id)?.scoring).toBe('bj');
    // c and d were sent twice (their first answers, under hc, are dropped), a and b twice, e once.
    expect(client.calls.slice(5).sort()).toEqual(['a.png', 'b.png', 'c.png', 'd.png', 'e.png']);
    expect(q.summary()).toMatchObject({ total: 6, done: 5, errors: 1 });
    expect(q.batch).toMatchObject({ done: 6, total: 6, running: false });
    expect(events.done).toHaveLength(2);
  });

  it('another model: finished rows go, rows waiting stay for it; a model that does not start fails them with its reason', async () => {
    const { client, events, q } = setup();
    q.start();
    q.add(blobs(['a.png', 'bad.png']));
    await settle();
    let open!: () => void;
    client.gate = new Promise((r) => (open = r));
    q.add(blobs(['b.png', 'c.png', 'd.png']));
    await settle(); // b and c in flight, d waiting
    q.stop();
    q.clear(true);
    expect(q.rows.map((r) => r.name)).toEqual(['b.png', 'c.png', 'd.png']);
    expect(q.batch).toMatchObject({ done: 0, total: 3, running: true });
    client.gate = null;
    open();
    await settle();
    q.failWaiting('Not checked: the model did not start (HTTP 404).');
    expect(q.rows.map((r) => [r.name, r.state, r.error])).toEqual([
      ['b.png', 'error', 'Not checked: the model did not start (HTTP 404).'],
      ['c.png', 'error', 'Not checked: the model did not start (HTTP 404).'],
      ['d.png', 'error', 'Not checked: the model did not start (HTTP 404).'],
    ]);
    expect(events.errors.slice(-3)).toEqual(['b.png', 'c.png', 'd.png']);
    expect(events.done.at(-1)).toMatchObject({ total: 3, errors: 3 });
    expect(q.batch.running).toBe(false);
    // A later model that starts checks nothing twice.
    const calls = client.calls.length;
    q.start();
    await settle();
    expect(client.calls.length).toBe(calls);
  });

  it('another model that starts checks the rows that waited', async () => {
    const { client, q } = setup();
    q.add(blobs(['a.png', 'b.png'])); // added while the first model loads
    q.clear(true);
    q.start();
    await settle();
    expect(q.rows.map((r) => r.state)).toEqual(['done', 'done']);
    expect(client.calls).toEqual(['a.png', 'b.png']);
  });

  it('clear empties rows, progress and cache', async () => {
    const { q } = setup();
    q.start();
    const rows = q.add(blobs(['a.png']));
    await settle();
    q.clear();
    expect(q.rows).toEqual([]);
    expect(q.batch).toEqual({ done: 0, total: 0, running: false });
    expect(q.result(rows[0].id)).toBeUndefined();
  });
});
