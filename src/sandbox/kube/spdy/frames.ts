/**
 * SPDY/3.1 framing (draft-mbelshe-httpbis-spdy-00 with the 3.1 session flow-control additions), written here by
 * hand: kubectl and client-go speak SPDY/3.1 for `port-forward` (plainly, or tunnelled in WebSocket messages),
 * and npm has no maintained SPDY implementation (spdy-transport, the only complete one, has had no release since
 * 2018). This module is the pure part: frames to bytes and bytes to frames, with header blocks uncompressed;
 * ./headers.ts compresses them and ./session.ts runs streams over a connection.
 */

export const SPDY_VERSION = 3;

export const FrameType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

/** FLAG_FIN on DATA, SYN_STREAM, SYN_REPLY and HEADERS: the sender's half of the stream is done. */
export const FLAG_FIN = 0x01;
/** SYN_STREAM's FLAG_UNIDIRECTIONAL: the receiver may not send on the stream. */
export const FLAG_UNIDIRECTIONAL = 0x02;

export const RstStatus = {
  ProtocolError: 1,
  InvalidStream: 2,
  RefusedStream: 3,
  UnsupportedVersion: 4,
  Cancel: 5,
  InternalError: 6,
  FlowControlError: 7,
  StreamInUse: 8,
  StreamAlreadyClosed: 9,
} as const;

export const GoAwayStatus = { Ok: 0, ProtocolError: 1, InternalError: 2 } as const;

const MAX_LENGTH = 0xffffff;
const FRAME_HEADER_LENGTH = 8;

export type SpdyFrame =
  | { kind: 'data'; streamId: number; flags: number; data: Buffer }
  | {
      kind: 'synStream';
      streamId: number;
      associatedStreamId: number;
      priority: number;
      flags: number;
      headerBlock: Buffer;
    }
  | { kind: 'synReply'; streamId: number; flags: number; headerBlock: Buffer }
  | { kind: 'headers'; streamId: number; flags: number; headerBlock: Buffer }
  | { kind: 'rstStream'; streamId: number; status: number }
  | { kind: 'settings'; flags: number; entries: Array<{ flags: number; id: number; value: number }> }
  | { kind: 'ping'; id: number }
  | { kind: 'goAway'; lastGoodStreamId: number; status: number }
  | { kind: 'windowUpdate'; streamId: number; delta: number }
  /** A control frame of a type SPDY/3.1 does not define (the spec says to ignore it). */
  | { kind: 'unknown'; type: number };

export class SpdyProtocolError extends Error {}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_LENGTH) throw new SpdyProtocolError(`control frame of ${payload.length} bytes is too long`);
  const header = Buffer.alloc(FRAME_HEADER_LENGTH);
  header.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  header.writeUInt16BE(type, 2);
  header.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([header, payload]);
}

function words(...values: number[]): Buffer {
  const buffer = Buffer.alloc(values.length * 4);
  values.forEach((value, index) => buffer.writeUInt32BE(value >>> 0, index * 4));
  return buffer;
}

const STREAM_ID_MASK = 0x7fffffff;

/** The bytes of one frame; a frame with a header block carries it already compressed. */
export function encodeFrame(frame: SpdyFrame): Buffer {
  switch (frame.kind) {
    case 'data': {
      if (frame.data.length > MAX_LENGTH) throw new SpdyProtocolError(`data frame of ${frame.data.length} bytes`);
      const header = Buffer.alloc(FRAME_HEADER_LENGTH);
      header.writeUInt32BE(frame.streamId & STREAM_ID_MASK, 0);
      header.writeUInt32BE(((frame.flags & 0xff) << 24) | frame.data.length, 4);
      return Buffer.concat([header, frame.data]);
    }
    case 'synStream': {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt32BE(frame.streamId & STREAM_ID_MASK, 0);
      fixed.writeUInt32BE(frame.associatedStreamId & STREAM_ID_MASK, 4);
      fixed.writeUInt8((frame.priority & 0x07) << 5, 8);
      return controlFrame(FrameType.SynStream, frame.flags, Buffer.concat([fixed, frame.headerBlock]));
    }
    case 'synReply':
      return controlFrame(
        FrameType.SynReply,
        frame.flags,
        Buffer.concat([words(frame.streamId & STREAM_ID_MASK), frame.headerBlock]),
      );
    case 'headers':
      return controlFrame(
        FrameType.Headers,
        frame.flags,
        Buffer.concat([words(frame.streamId & STREAM_ID_MASK), frame.headerBlock]),
      );
    case 'rstStream':
      return controlFrame(FrameType.RstStream, 0, words(frame.streamId & STREAM_ID_MASK, frame.status));
    case 'settings':
      return controlFrame(
        FrameType.Settings,
        frame.flags,
        words(frame.entries.length, ...frame.entries.flatMap((entry) => [(entry.flags << 24) | entry.id, entry.value])),
      );
    case 'ping':
      return controlFrame(FrameType.Ping, 0, words(frame.id));
    case 'goAway':
      return controlFrame(FrameType.GoAway, 0, words(frame.lastGoodStreamId & STREAM_ID_MASK, frame.status));
    case 'windowUpdate':
      return controlFrame(FrameType.WindowUpdate, 0, words(frame.streamId & STREAM_ID_MASK, frame.delta));
    case 'unknown':
      throw new SpdyProtocolError(`cannot encode a frame of unknown type ${frame.type}`);
  }
}

function need(payload: Buffer, length: number, what: string): void {
  if (payload.length < length) throw new SpdyProtocolError(`${what} frame of ${payload.length} bytes is too short`);
}

function decodeControl(type: number, flags: number, payload: Buffer): SpdyFrame {
  switch (type) {
    case FrameType.SynStream:
      need(payload, 10, 'SYN_STREAM');
      return {
        kind: 'synStream',
        streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        associatedStreamId: payload.readUInt32BE(4) & STREAM_ID_MASK,
        priority: payload.readUInt8(8) >> 5,
        flags,
        headerBlock: payload.subarray(10),
      };
    case FrameType.SynReply:
    case FrameType.Headers:
      need(payload, 4, type === FrameType.SynReply ? 'SYN_REPLY' : 'HEADERS');
      return {
        kind: type === FrameType.SynReply ? 'synReply' : 'headers',
        streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        flags,
        headerBlock: payload.subarray(4),
      };
    case FrameType.RstStream:
      need(payload, 8, 'RST_STREAM');
      return { kind: 'rstStream', streamId: payload.readUInt32BE(0) & STREAM_ID_MASK, status: payload.readUInt32BE(4) };
    case FrameType.Settings: {
      need(payload, 4, 'SETTINGS');
      const count = payload.readUInt32BE(0);
      need(payload, 4 + count * 8, 'SETTINGS');
      const entries = Array.from({ length: count }, (_, index) => {
        const word = payload.readUInt32BE(4 + index * 8);
        return { flags: word >>> 24, id: word & 0xffffff, value: payload.readUInt32BE(8 + index * 8) };
      });
      return { kind: 'settings', flags, entries };
    }
    case FrameType.Ping:
      need(payload, 4, 'PING');
      return { kind: 'ping', id: payload.readUInt32BE(0) };
    case FrameType.GoAway:
      need(payload, 8, 'GOAWAY');
      return {
        kind: 'goAway',
        lastGoodStreamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        status: payload.readUInt32BE(4),
      };
    case FrameType.WindowUpdate:
      need(payload, 8, 'WINDOW_UPDATE');
      return {
        kind: 'windowUpdate',
        streamId: payload.readUInt32BE(0) & STREAM_ID_MASK,
        delta: payload.readUInt32BE(4) & STREAM_ID_MASK,
      };
    default:
      return { kind: 'unknown', type };
  }
}

/** Splits a byte stream into frames; bytes of an incomplete frame wait for the next chunk. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): SpdyFrame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: SpdyFrame[] = [];
    while (this.pending.length >= FRAME_HEADER_LENGTH) {
      const length = this.pending.readUInt32BE(4) & MAX_LENGTH;
      if (this.pending.length < FRAME_HEADER_LENGTH + length) break;
      const flags = this.pending.readUInt8(4);
      const payload = this.pending.subarray(FRAME_HEADER_LENGTH, FRAME_HEADER_LENGTH + length);
      const first = this.pending.readUInt32BE(0);
      if (first & 0x80000000) {
        const version = (first >>> 16) & 0x7fff;
        if (version !== SPDY_VERSION) throw new SpdyProtocolError(`SPDY version ${version} is not supported (only 3)`);
        frames.push(decodeControl(first & 0xffff, flags, payload));
      } else frames.push({ kind: 'data', streamId: first & STREAM_ID_MASK, flags, data: Buffer.from(payload) });
      this.pending = this.pending.subarray(FRAME_HEADER_LENGTH + length);
    }
    return frames;
  }
}

/** An uncompressed name/value header block: names lowercase, several values of a name joined by NUL. */
export function encodeHeaderBlock(headers: Record<string, string | string[]>): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [words(entries.length)];
  for (const [name, value] of entries) {
    const nameBytes = Buffer.from(name.toLowerCase(), 'utf8');
    const valueBytes = Buffer.from(Array.isArray(value) ? value.join('\0') : value, 'utf8');
    parts.push(words(nameBytes.length), nameBytes, words(valueBytes.length), valueBytes);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): Record<string, string[]> {
  const headers: Record<string, string[]> = {};
  let offset = 0;
  const read = (length: number): Buffer => {
    if (offset + length > block.length) throw new SpdyProtocolError('header block ends inside an entry');
    const bytes = block.subarray(offset, offset + length);
    offset += length;
    return bytes;
  };
  const count = read(4).readUInt32BE(0);
  for (let index = 0; index < count; index++) {
    const name = read(read(4).readUInt32BE(0)).toString('utf8').toLowerCase();
    const values = read(read(4).readUInt32BE(0)).toString('utf8').split('\0');
    headers[name] = [...(headers[name] ?? []), ...values];
  }
  return headers;
}
