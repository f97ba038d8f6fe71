/** SPDY/3.1 framing and header compression, and the port-forward handler's pure decisions. */
import { describe, expect, it } from 'vitest';
import {
  decodeHeaderBlock,
  encodeFrame,
  encodeHeaderBlock,
  FLAG_FIN,
  FrameReader,
  SpdyProtocolError,
  type SpdyFrame,
} from '../../src/sandbox/kube/spdy/frames.js';
import { HeaderCompressor, HeaderDecompressor, SPDY3_DICTIONARY } from '../../src/sandbox/kube/spdy/headers.js';
import { chooseWebSocketProtocol, parsePortsParameter } from '../../src/sandbox/kube/handlers/portforward.js';

const FRAMES: SpdyFrame[] = [
  { kind: 'data', streamId: 3, flags: FLAG_FIN, data: Buffer.from('hello') },
  { kind: 'synStream', streamId: 5, associatedStreamId: 0, priority: 2, flags: 0, headerBlock: Buffer.from([1, 2, 3]) },
  { kind: 'synReply', streamId: 5, flags: FLAG_FIN, headerBlock: Buffer.from([4]) },
  { kind: 'headers', streamId: 7, flags: 0, headerBlock: Buffer.alloc(0) },
  { kind: 'rstStream', streamId: 9, status: 5 },
  { kind: 'settings', flags: 0, entries: [{ flags: 1, id: 7, value: 65536 }] },
  { kind: 'ping', id: 1 },
  { kind: 'goAway', lastGoodStreamId: 11, status: 0 },
  { kind: 'windowUpdate', streamId: 0, delta: 1 << 20 },
];

describe('SPDY/3.1 frames', () => {
  it('decodes what it encodes, across chunk boundaries', () => {
    const bytes = Buffer.concat(FRAMES.map(encodeFrame));
    const reader = new FrameReader();
    const decoded: SpdyFrame[] = [];
    for (let offset = 0; offset < bytes.length; offset += 5)
      decoded.push(...reader.push(bytes.subarray(offset, offset + 5)));
    expect(decoded).toEqual(FRAMES);
  });

  it('lays out a control frame as the draft does: version 3, type, flags, 24-bit length', () => {
    expect([...encodeFrame({ kind: 'ping', id: 0x01020304 })]).toEqual([0x80, 3, 0, 6, 0, 0, 0, 4, 1, 2, 3, 4]);
    expect([...encodeFrame({ kind: 'data', streamId: 1, flags: FLAG_FIN, data: Buffer.from('a') })]).toEqual([
      0, 0, 0, 1, 1, 0, 0, 1, 0x61,
    ]);
  });

  it('refuses another SPDY version and a truncated control frame', () => {
    const ping = encodeFrame({ kind: 'ping', id: 1 });
    expect(() => new FrameReader().push(Buffer.concat([Buffer.from([0x80, 2]), ping.subarray(2)]))).toThrow(
      SpdyProtocolError,
    );
    const short = Buffer.from([0x80, 3, 0, 6, 0, 0, 0, 2, 0, 0]);
    expect(() => new FrameReader().push(short)).toThrow('PING frame of 2 bytes is too short');
  });

  it('encodes header blocks with lowercase names and NUL-joined values', () => {
    const block = encodeHeaderBlock({ StreamType: 'data', Accept: ['a', 'b'] });
    expect(decodeHeaderBlock(block)).toEqual({ streamtype: ['data'], accept: ['a', 'b'] });
    expect(() => decodeHeaderBlock(block.subarray(0, block.length - 1))).toThrow(SpdyProtocolError);
  });
});

describe('SPDY/3 header compression', () => {
  it('keeps one zlib context across blocks, each readable as soon as it is flushed', async () => {
    const compressor = new HeaderCompressor();
    const decompressor = new HeaderDecompressor();
    try {
      const blocks: Array<Record<string, string>> = [
        { streamtype: 'error', port: '15000' },
        { streamtype: 'data', port: '15000' },
        {},
      ];
      for (const headers of blocks) {
        const block = encodeHeaderBlock(headers);
        expect(await decompressor.decompress(await compressor.compress(block))).toEqual(block);
      }
    } finally {
      compressor.close();
      decompressor.close();
    }
  });

  it('primes zlib with the SPDY/3 dictionary (the stream names its Adler-32, as Go checks)', async () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    const compressor = new HeaderCompressor();
    const first = await compressor.compress(encodeHeaderBlock({ a: 'b' }));
    compressor.close();
    // FDICT set in the zlib header, then the dictionary id (Adler-32 of the dictionary, 0xe3c6a7c2 for SPDY/3).
    expect(first[1]! & 0x20).toBe(0x20);
    expect(first.readUInt32BE(2)).toBe(0xe3c6a7c2);
  });
});

describe('port-forward requests', () => {
  it('picks the tunnelling subprotocol first, else a v4 channel protocol', () => {
    expect(chooseWebSocketProtocol(['v4.channel.k8s.io', 'SPDY/3.1+portforward.k8s.io'])).toBe(
      'SPDY/3.1+portforward.k8s.io',
    );
    expect(chooseWebSocketProtocol(['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io'])).toBe(
      'v4.channel.k8s.io',
    );
    expect(chooseWebSocketProtocol(['v5.channel.k8s.io'])).toBe(false);
  });

  it('reads ports as the kubelet does: repeated or comma-separated, each 1-65535', () => {
    expect(parsePortsParameter(['8080', '9090,15000'])).toEqual([8080, 9090, 15000]);
    expect(() => parsePortsParameter([])).toThrow('query parameter "port" is required');
    expect(() => parsePortsParameter(['0'])).toThrow('unable to parse "0" as a port');
    expect(() => parsePortsParameter(['http'])).toThrow('unable to parse "http" as a port');
  });
});
