// The WebExtension API object: `browser` (Firefox, promises) or `chrome` (Chrome MV3, promises too).
export const ext = globalThis.browser ?? globalThis.chrome;
