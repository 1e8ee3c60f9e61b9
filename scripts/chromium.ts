/**
 * Where the browser tests and benches find Chromium: SWITCHYARD_CHROMIUM (or the older CHROMIUM),
 * else Debian's /usr/bin/chromium. playwright-core downloads no browser of its own.
 */
export const CHROMIUM_PATH = process.env.SWITCHYARD_CHROMIUM || process.env.CHROMIUM || '/usr/bin/chromium';

/** Flags for a headless Chromium in a container or CI, with no background traffic. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
