import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../../src/log';
import { MeetingEvents } from '../../src/meetings/meeting-events';
import { signWebhook, WebhookSender } from '../../src/meetings/webhooks';

describe('webhooks', () => {
  it("POSTs every event signed (content sharing's too), retrying a receiver that fails, in order", async () => {
    const received: { headers: IncomingMessage['headers']; body: string }[] = [];
    let failures = 1;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (failures-- > 0) {
          res.writeHead(503).end();
          return;
        }
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const events = new MeetingEvents();
    const sender = new WebhookSender(
      events,
      { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, secret: 'a-secret-of-16-chars', retryDelaysMs: [50, 50] },
      silentLogger,
    );
    try {
      events.publish('m1', { type: 'meeting.state', status: 'live' });
      events.publish('m1', { type: 'participant.muted', participantId: 'p1', muted: true });
      const presenter = { participantId: 'p1', name: 'Xã Ia Pal', siteId: null, protocol: 'h323' };
      events.publish('m1', { type: 'content.started', presenter });
      events.publish('m1', { type: 'content.stopped', presenter, reason: 'revoked' });
      for (let i = 0; i < 100 && received.length < 4; i++) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(
        received.map((r) => JSON.parse(r.body).type),
        ['meeting.state', 'participant.muted', 'content.started', 'content.stopped'],
      );
      assert.equal(received[3]!.headers['x-diemcau-event'], 'content.stopped');
      assert.deepEqual(JSON.parse(received[3]!.body).presenter, presenter);
      assert.equal(JSON.parse(received[3]!.body).reason, 'revoked');
      const first = received[0]!;
      assert.equal(first.headers['x-diemcau-signature'], signWebhook('a-secret-of-16-chars', first.body));
      assert.equal(first.headers['x-diemcau-event'], 'meeting.state');
      for (let i = 0; i < 50 && sender.pending > 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(sender.pending, 0, 'nothing left to deliver');
    } finally {
      sender.close();
      server.close();
    }
  });
});
