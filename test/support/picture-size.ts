/** Width and height from a PNG's IHDR or a JPEG's start-of-frame, without decoding the picture. */
export function pictureSize(buf: Buffer): { width: number; height: number } {
  if (buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) && buf.toString('ascii', 12, 16) === 'IHDR')
    return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
  if (buf[0] === 0xff && buf[1] === 0xd8) {
    for (let off = 2; off + 9 <= buf.length && buf[off] === 0xff; off += 2 + buf.readUInt16BE(off + 2)) {
      const marker = buf[off + 1]!;
      // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC)
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
        return { width: buf.readUInt16BE(off + 7), height: buf.readUInt16BE(off + 5) };
    }
  }
  throw new Error('neither a PNG nor a JPEG with a frame header');
}
