import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { track } from './harness';

/**
 * Plain forwarding, the floor of what a content fan-out can cost: a process that sends every UDP
 * packet it receives on to each of a list of loopback ports, unchanged. No RTP rewriting, no floor,
 * no keyframe requests: what any forwarder must at least do.
 */

export interface Fanout {
  pid: number;
  port: number;
  close(): Promise<void>;
}

export async function startFanout(targets: readonly number[]): Promise<Fanout> {
  const child = track(fork(__filename, ['serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', () => reject(new Error('the fan-out relay exited')));
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.send({ targets });
  });
  let closed = false;
  return {
    pid: child.pid!,
    port,
    async close() {
      if (closed) return;
      closed = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function serve(): void {
  process.once('message', (m: { targets: number[] }) => {
    const socket = createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
    socket.on('message', (packet) => {
      for (const port of m.targets) socket.send(packet, port, '127.0.0.1');
    });
    socket.bind(0, '127.0.0.1', () => process.send!({ port: socket.address().port }));
  });
  process.on('SIGTERM', () => process.exit(0));
  process.on('disconnect', () => process.exit(0));
}

if (require.main === module && process.argv[2] === 'serve') serve();
