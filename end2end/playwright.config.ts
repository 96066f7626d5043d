import { defineConfig } from "@playwright/test";

// Debian's Chromium, never a downloaded browser. The no-network flags keep Chromium from
// reaching for Google's hosts on this closed network.
export default defineConfig({
  testDir: "./tests",
  globalSetup: "./global-setup.ts",
  outputDir: "./test-results",
  // a guard against hangs, not a speed check: on a slow 2-core machine (the trivial handler
  // at 17,000-30,000 /s against 80,000 elsewhere) tests with three browsers on the debug
  // bundle took 20-51 s each; one failed at 30 s in its last step with every step passing,
  // only slowly (45.8 s when run again). The assertions keep their own 10 s
  timeout: 120_000,
  expect: { timeout: 10_000 },
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: "list",
  use: {
    baseURL: process.env.BASE_URL ?? "http://127.0.0.1:3000",
    browserName: "chromium",
    headless: true,
    screenshot: "on", // kept in test-results/ with the screenshots the tests take themselves
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
});
