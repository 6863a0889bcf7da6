import assert from 'node:assert/strict';

/**
 * A WAV reader and writer of our own, so a test does not trust sox (or a softphone) to check its own
 * output: 16-bit PCM only, which is what the prompts and the softphones' recorders write.
 */

export interface Wav {
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  samples: Int16Array;
}

export interface ParseWavOptions {
  /**
   * Accept chunk sizes larger than the file and read the data that is there. linphonec 5.1's
   * recorder writes a `data` size (and a RIFF size) too large by the header's length.
   */
  trustFileLength?: boolean;
}

export function parseWav(buf: Buffer, opts: ParseWavOptions = {}): Wav {
  assert.equal(buf.toString('ascii', 0, 4), 'RIFF');
  assert.equal(buf.toString('ascii', 8, 12), 'WAVE');
  if (!opts.trustFileLength) assert.equal(buf.readUInt32LE(4), buf.length - 8, 'RIFF size matches the file');
  let fmt: Omit<Wav, 'samples'> | undefined;
  let samples: Int16Array | undefined;
  for (let off = 12; off + 8 <= buf.length; ) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = buf.subarray(off + 8, off + 8 + size);
    if (!opts.trustFileLength) assert.equal(body.length, size, `chunk ${id} is complete`);
    if (id === 'fmt ') {
      const format = body.readUInt16LE(0);
      // 1 = PCM; 0xFFFE = WAVE_FORMAT_EXTENSIBLE, whose sub-format GUID starts with the format code
      assert.ok(format === 1 || (format === 0xfffe && body.readUInt16LE(24) === 1), `PCM, not format ${format}`);
      fmt = { channels: body.readUInt16LE(2), sampleRate: body.readUInt32LE(4), bitsPerSample: body.readUInt16LE(14) };
      assert.equal(body.readUInt32LE(8), fmt.sampleRate * fmt.channels * (fmt.bitsPerSample / 8), 'byte rate');
      assert.equal(body.readUInt16LE(12), fmt.channels * (fmt.bitsPerSample / 8), 'block align');
    } else if (id === 'data') {
      const copy = Buffer.from(body.subarray(0, body.length & ~1)); // aligned copy for the typed array
      samples = new Int16Array(copy.buffer, copy.byteOffset, copy.length >> 1);
    }
    off += 8 + size + (size & 1);
  }
  assert.ok(fmt, 'has a fmt chunk');
  assert.ok(samples, 'has a data chunk');
  assert.equal(fmt.bitsPerSample, 16, '16-bit samples');
  return { ...fmt, samples };
}

/** The first channel of an interleaved recording. */
export function firstChannel(w: Wav): Int16Array {
  return w.channels === 1 ? w.samples : w.samples.filter((_, i) => i % w.channels === 0);
}

export function rms(samples: ArrayLike<number>, start = 0, end = samples.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += samples[i]! * samples[i]!;
  return end > start ? Math.sqrt(sum / (end - start)) : 0;
}

/** A mono 16-bit PCM WAV of a sine tone. */
export function sineWav(freqHz: number, seconds: number, sampleRate: number, amplitude = 0.5): Buffer {
  const n = Math.round(seconds * sampleRate);
  const buf = Buffer.alloc(44 + 2 * n);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + 2 * n, 4);
  buf.write('WAVEfmt ', 8, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < n; i++) buf.writeInt16LE(Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * freqHz * i) / sampleRate)), 44 + 2 * i);
  return buf;
}
