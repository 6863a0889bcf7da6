import type { Page } from 'playwright-core';

/**
 * The media side of a fake bridge, played by a second browser page: it answers the join page's
 * SDP offer with a moving test picture and a tone, so the page's in-call view, its controls and
 * `__diemcau.stats()` can be tested without FreeSWITCH. Browser code is a string: the test
 * tsconfig has no DOM types.
 */
const ANSWER = `async (offer) => {
  const pc = new RTCPeerConnection({ iceServers: [] });
  window.bridgePc = pc;
  const canvas = document.createElement('canvas');
  canvas.width = 640; canvas.height = 360;
  const g = canvas.getContext('2d');
  let n = 0;
  setInterval(() => {
    g.fillStyle = 'hsl(' + (210 + (n++ % 40)) + ', 55%, 32%)';
    g.fillRect(0, 0, 640, 360);
    g.fillStyle = '#fff';
    g.font = 'bold 34px sans-serif';
    g.fillText('Phòng họp huyện Chư Sê', 110, 170);
    g.font = '22px sans-serif';
    g.fillText('test bridge · ' + n, 250, 215);
  }, 40);
  const video = canvas.captureStream(25).getVideoTracks()[0];
  const ac = new AudioContext();
  const osc = ac.createOscillator();
  const dst = ac.createMediaStreamDestination();
  osc.connect(dst); osc.start();
  const audio = dst.stream.getAudioTracks()[0];
  await pc.setRemoteDescription({ type: 'offer', sdp: offer });
  for (const t of pc.getTransceivers()) {
    t.direction = 'sendrecv';
    await t.sender.replaceTrack(t.receiver.track.kind === 'audio' ? audio : video);
  }
  await pc.setLocalDescription(await pc.createAnswer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    setTimeout(resolve, 2000);
  });
  return pc.localDescription.sdp;
}`;

export async function answerOffer(bridge: Page, offer: string): Promise<string> {
  return bridge.evaluate(`(${ANSWER})(${JSON.stringify(offer)})`) as Promise<string>;
}

/** Packets the bridge page has received from the join page, per kind. */
export async function bridgeInbound(bridge: Page): Promise<{ audio: number; video: number }> {
  return bridge.evaluate(`(async () => {
    const out = { audio: 0, video: 0 };
    (await window.bridgePc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp') out[r.kind] += r.packetsReceived; });
    return out;
  })()`) as Promise<{ audio: number; video: number }>;
}
