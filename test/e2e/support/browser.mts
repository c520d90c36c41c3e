import { chromium, type Browser } from "playwright-core";

/** Debian's chromium (scripts/setup.sh installs it); CHROMIUM_PATH overrides. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Flags that keep chromium off the network (the machines here have none). */
const OFFLINE_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface LaunchedBrowser {
  readonly browser: Browser;
  close(): Promise<void>;
}

/**
 * Chromium with a fresh profile (playwright gives every launch a new temporary one); with `fakeCamera`, the camera
 * plays that .y4m file in a loop and getUserMedia is granted without a prompt, unless `cameraPermission` is
 * "context": then a browser context grants it (`context.grantPermissions(["camera"])`) and can take it back
 * (`context.clearPermissions()`), which ends the camera's tracks as revoking it in the browser does; with
 * `hostAliases`, those host names resolve to 127.0.0.1.
 */
export async function launchChromium(
  options: { fakeCamera?: string; cameraPermission?: "auto" | "context"; hostAliases?: readonly string[] } = {},
): Promise<LaunchedBrowser> {
  const args = [...OFFLINE_FLAGS];
  if (options.hostAliases?.length) args.push(`--host-resolver-rules=${options.hostAliases.map((h) => `MAP ${h} 127.0.0.1`).join(", ")}`);
  if (options.fakeCamera) {
    args.push("--use-fake-device-for-media-stream", `--use-file-for-fake-video-capture=${options.fakeCamera}`);
    if (options.cameraPermission !== "context") args.push("--use-fake-ui-for-media-stream");
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args, headless: true });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}
