// The worker's downloads (worker/download.ts fetchBytes) against a real local server: a connection that
// stalls is given up with the file named; one that is slow but keeps sending is not.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchBytes } from '../../src/worker/download.ts';

let server: Server;
let base = '';
const open = new Set<import('node:http').ServerResponse>();

beforeAll(async () => {
  server = createServer((req, res) => {
    open.add(res);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '600' });
    if (req.url === '/stall') res.write(Buffer.alloc(300, 1)); // half, then nothing more
    else if (req.url === '/slow') {
      let sent = 0;
      const tick = setInterval(() => {
        res.write(Buffer.alloc(100, 2));
        if ((sent += 100) === 600) (clearInterval(tick), res.end());
      }, 120);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  for (const res of open) res.destroy();
  server.close();
});

describe('fetchBytes', () => {
  it('gives up a download that stalls, naming the file and why', async () => {
    const heard: number[] = [];
    await expect(fetchBytes(`${base}/stall`, 'model', (got) => heard.push(got), 400)).rejects.toThrow(`Could not download the model from ${base}/stall (no data came for 0.4 s): check the connection, then try again.`);
    expect(heard).toEqual([300]);
  });

  it('keeps a slow download that keeps sending, longer in all than the stall limit', async () => {
    const heard: number[] = [];
    const bytes = await fetchBytes(`${base}/slow`, 'profile', (got) => heard.push(got), 400);
    expect(bytes.byteLength).toBe(600);
    expect(heard.at(-1)).toBe(600);
  });
});
