// extensions/build.mjs: both extensions come from common/ + their own folder + the page's modules, the
// classic bundle exposes the same functions as the modules, and every file a manifest or page names exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { build, classicBody, classicBundle, SHARED_JS, TARGETS } from '../../../extensions/build.mjs';
import * as resample from '../../../whisper_live/web/static/js/resample.js';
import * as protocol from '../../../whisper_live/web/static/js/protocol.js';
import * as transcript from '../../../whisper_live/web/static/js/transcript.js';

const out = mkdtempSync(join(tmpdir(), 'wl-ext-'));
const built = Object.fromEntries(TARGETS.map((t) => [t, build(t, out)]));

test('the classic bundle exposes exactly the modules\' exports, and they work', () => {
  const sandbox = { TextEncoder, URL, crypto: globalThis.crypto };
  sandbox.globalThis = sandbox;
  vm.runInNewContext(classicBundle(), sandbox);
  const shared = sandbox.WhisperLiveShared;
  const expected = [...Object.keys(resample), ...Object.keys(protocol), ...Object.keys(transcript)].sort();
  assert.deepEqual(Object.keys(shared).sort(), expected);
  const chunks = [];
  const c = new shared.ChunkedResampler(48000, { chunkSamples: 160, onChunk: (x) => chunks.push(x) });
  c.push([new Float32Array(4800)]);
  assert.equal(chunks.length, 9); // 1600 outputs minus the filter's look-ahead
  assert.equal(JSON.parse(shared.buildOptions({}, 'x')).uid, 'x');
});

test('classicBody refuses modules it cannot flatten', () => {
  assert.throws(() => classicBody("import { a } from './a.js';\nexport const b = a;", 'x.js'), /imports/);
  assert.throws(() => classicBody('export default 1;', 'x.js'), /unsupported export/);
});

function referencedFiles(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const files = [];
  if (manifest.background.service_worker) files.push(manifest.background.service_worker);
  files.push(...(manifest.background.scripts || []));
  files.push(manifest.action.default_popup);
  files.push(manifest.options_page || manifest.options_ui.page);
  // scripts and styles named by the HTML pages, and ES module imports, followed transitively
  const seen = new Set();
  const queue = [...files];
  while (queue.length) {
    const file = queue.shift();
    if (seen.has(file)) continue;
    seen.add(file);
    const path = join(dir, file);
    assert.ok(existsSync(path), `${file} is referenced but missing from ${dir}`);
    const text = readFileSync(path, 'utf8');
    const base = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
    const refs = [...text.matchAll(/(?:src|href)="([^"#:]+)"/g), ...text.matchAll(/from '(\.[^']+)'/g),
      ...text.matchAll(/files: \[([^\]]+)\]/g)].flatMap((m) => (m[1].includes("'") ? [...m[1].matchAll(/'([^']+)'/g)].map((x) => x[1]) : [m[1]]));
    for (const ref of refs) queue.push(new URL(ref, `file:///${base}`).pathname.slice(1));
  }
  return seen;
}

for (const target of TARGETS) {
  test(`${target}: every file the manifest reaches exists in the build`, () => {
    const files = referencedFiles(built[target]);
    assert.ok(files.has('lib/session.js') && files.has('lib/protocol.js'));
    for (const file of readdirSync(SHARED_JS)) assert.ok(existsSync(join(built[target], 'lib', file)));
  });
}

test('chrome: MV3 with tabCapture and offscreen; firefox: gecko id, no Chrome-only APIs', () => {
  const chrome = JSON.parse(readFileSync(join(built.chrome, 'manifest.json'), 'utf8'));
  assert.equal(chrome.manifest_version, 3);
  for (const p of ['tabCapture', 'offscreen', 'storage', 'scripting', 'activeTab']) assert.ok(chrome.permissions.includes(p), p);
  assert.equal(chrome.background.type, 'module');
  const firefox = JSON.parse(readFileSync(join(built.firefox, 'manifest.json'), 'utf8'));
  assert.ok(firefox.browser_specific_settings.gecko.id);
  assert.ok(!firefox.permissions.includes('tabCapture') && !firefox.permissions.includes('offscreen'));
  const bg = readFileSync(join(built.firefox, 'background.js'), 'utf8');
  assert.ok(!/chrome\.(tabCapture|offscreen)/.test(bg));
});

test('chrome/ and firefox/ share no file: common code lives in common/ or the page\'s modules', () => {
  const here = new URL('../../../extensions/', import.meta.url).pathname;
  const chromeFiles = readdirSync(join(here, 'chrome'));
  const firefoxFiles = readdirSync(join(here, 'firefox'));
  const common = readdirSync(join(here, 'common'));
  for (const f of chromeFiles.filter((x) => x !== 'manifest.json')) {
    assert.ok(!firefoxFiles.includes(f) && !common.includes(f), `${f} is in two places`);
  }
});

test('--host-permission adds host_permissions to the built manifest only', () => {
  const dir = build('chrome', mkdtempSync(join(tmpdir(), 'wl-ext-')), { hostPermissions: ['http://127.0.0.1/*'] });
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).host_permissions, ['http://127.0.0.1/*']);
  const source = JSON.parse(readFileSync(new URL('../../../extensions/chrome/manifest.json', import.meta.url), 'utf8'));
  assert.equal(source.host_permissions, undefined);
});
