import { defineConfig } from '@playwright/test';

const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// Debian's Chromium, offline: no sandbox as root, no background traffic to hosts we cannot reach.
const args = [
  '--no-sandbox',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
const port = Number(process.env.E2E_PORT || 5174);

export default defineConfig({
  testDir: 'e2e',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: { baseURL: `http://localhost:${port}`, trace: 'off' },
  webServer: {
    command: `npx vite --port ${port} --strictPort`,
    url: `http://localhost:${port}/`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
  },
  projects: [
    {
      name: 'wasm',
      testIgnore: /webgpu\.spec\.ts/,
      use: { launchOptions: { executablePath, args: [...args, '--disable-gpu'] } },
    },
    {
      name: 'webgpu',
      testMatch: /webgpu\.spec\.ts/,
      use: { launchOptions: { executablePath, args: [...args, '--enable-unsafe-webgpu', '--use-angle=swiftshader', '--enable-features=Vulkan'] } },
    },
  ],
});
