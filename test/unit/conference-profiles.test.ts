import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The params of each profile in dialplans/freeswitch/autoload_configs/conference.conf.xml. */
function profiles(): Map<string, Map<string, string>> {
  const xml = readFileSync(join(__dirname, '..', '..', '..', 'dialplans', 'freeswitch', 'autoload_configs', 'conference.conf.xml'), 'utf8');
  const found = new Map<string, Map<string, string>>();
  for (const [, name, body] of xml.matchAll(/<profile name="([^"]+)">([\s\S]*?)<\/profile>/g)) {
    found.set(name!, new Map([...body!.matchAll(/<param name="([^"]+)" value="([^"]*)"\/>/g)].map(([, k, v]) => [k!, v!])));
  }
  return found;
}

describe('conference profiles', () => {
  it('makes the secondary profile the video profile with a second canvas, nothing else', () => {
    const all = profiles();
    const video = all.get('diemcau-video');
    const secondary = all.get('diemcau-video-secondary');
    assert.ok(video && secondary);
    assert.equal(secondary.get('video-canvas-count'), '2');
    secondary.delete('video-canvas-count');
    assert.deepEqual(secondary, video);
  });
});
