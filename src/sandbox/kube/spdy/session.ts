/**
 * The server side of a SPDY/3.1 session, as the kubelet's streaming server runs one for `port-forward`: the
 * client opens streams (SYN_STREAM, odd ids), the server accepts each with a SYN_REPLY and both sides exchange
 * DATA until each has sent FIN, or one resets the stream. PINGs from the client are echoed; GOAWAY ends the
 * session once its streams are done.
 *
 * Flow control (SETTINGS' initial window, WINDOW_UPDATE) is parsed and ignored: client-go's SPDY implementation
 * (moby/spdystream) never sends WINDOW_UPDATE and does not honour it, so a peer that kept to the 64 KiB windows
 * would stall the first large transfer.
 *
 * Frames are handled strictly in arrival order and sent strictly in submission order, because header blocks
 * share one zlib context per direction (./headers.ts).
 */
import { EventEmitter } from 'node:events';
import {
  decodeHeaderBlock,
  encodeFrame,
  encodeHeaderBlock,
  FLAG_FIN,
  FrameReader,
  GoAwayStatus,
  RstStatus,
  SpdyProtocolError,
  type SpdyFrame,
} from './frames.js';
import { HeaderCompressor, HeaderDecompressor } from './headers.js';

/** Where the session's bytes go: a socket after an HTTP upgrade, or a WebSocket carrying them in messages. */
export interface SpdyTransport {
  write(bytes: Buffer): void;
  /** Ends the connection (the session is over). */
  close(): void;
}

const MAX_DATA_FRAME = 32 * 1024;

interface SpdyStreamEvents {
  data: [Buffer];
  /** The peer sent FIN: it will send no more. */
  end: [];
  /** The stream is gone before both sides finished: reset by the peer, or the session ended. */
  reset: [];
}

export class SpdyStream extends EventEmitter<SpdyStreamEvents> {
  private localFinished = false;
  private remoteFinished = false;
  private gone = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    /** The SYN_STREAM's headers, names lowercase. */
    readonly headers: Record<string, string[]>,
    remoteFinished: boolean,
  ) {
    super();
    this.remoteFinished = remoteFinished;
  }

  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()]?.[0];
  }

  get closed(): boolean {
    return this.gone || (this.localFinished && this.remoteFinished);
  }

  write(data: Buffer): void {
    if (this.localFinished || this.gone) return;
    for (let offset = 0; offset < data.length; offset += MAX_DATA_FRAME)
      this.session.send({
        kind: 'data',
        streamId: this.id,
        flags: 0,
        data: data.subarray(offset, offset + MAX_DATA_FRAME),
      });
  }

  /** Sends FIN: this side will send no more. */
  end(): void {
    if (this.localFinished || this.gone) return;
    this.localFinished = true;
    this.session.send({ kind: 'data', streamId: this.id, flags: FLAG_FIN, data: Buffer.alloc(0) });
    this.settle();
  }

  reset(status: number = RstStatus.Cancel): void {
    if (this.gone) return;
    this.session.send({ kind: 'rstStream', streamId: this.id, status });
    this.vanish();
  }

  /** @internal */
  receiveData(data: Buffer, fin: boolean): void {
    if (this.gone) return;
    if (data.length > 0) this.emit('data', data);
    if (fin && !this.remoteFinished) {
      this.remoteFinished = true;
      this.emit('end');
      this.settle();
    }
  }

  /** @internal */
  vanish(): void {
    if (this.gone) return;
    this.gone = true;
    this.session.forget(this.id);
    this.emit('reset');
  }

  private settle(): void {
    if (this.localFinished && this.remoteFinished) this.session.forget(this.id);
  }
}

export class SpdySession {
  private readonly reader = new FrameReader();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private inbound: Promise<void> = Promise.resolve();
  private outbound: Promise<void> = Promise.resolve();
  private lastStreamId = 0;
  private goingAway = false;
  private ended = false;

  constructor(
    private readonly transport: SpdyTransport,
    /** A stream the client opened; the session has already replied to it. */
    private readonly onStream: (stream: SpdyStream) => void,
  ) {}

  /** Bytes from the client. */
  receive(chunk: Buffer): void {
    if (this.ended) return;
    let frames: SpdyFrame[];
    try {
      frames = this.reader.push(chunk);
    } catch (error) {
      this.fail(error);
      return;
    }
    for (const frame of frames)
      this.inbound = this.inbound
        .then(() => (this.ended ? undefined : this.handle(frame)))
        .catch((error) => this.fail(error));
  }

  /** The connection closed under the session: every open stream is gone. */
  terminate(): void {
    if (this.ended) return;
    this.ended = true;
    for (const stream of [...this.streams.values()]) stream.vanish();
    this.compressor.close();
    this.decompressor.close();
  }

  /** Ends the session from this side: GOAWAY, then the connection closes once it is written. */
  goAway(status: number = GoAwayStatus.Ok): void {
    if (this.ended) return;
    this.send({ kind: 'goAway', lastGoodStreamId: this.lastStreamId, status });
    const outbound = this.outbound;
    this.terminate();
    void outbound.then(() => this.transport.close());
  }

  /** @internal Queues a frame; frames go out in the order they were queued. */
  send(frame: SpdyFrame): void {
    if (this.ended) return;
    this.outbound = this.outbound
      .then(async () => {
        if (frame.kind === 'synReply')
          frame = { ...frame, headerBlock: await this.compressor.compress(frame.headerBlock) };
        this.transport.write(encodeFrame(frame));
      })
      .catch((error) => this.fail(error));
  }

  /** @internal */
  forget(id: number): void {
    this.streams.delete(id);
    if (this.goingAway && this.streams.size === 0) this.goAway();
  }

  private async handle(frame: SpdyFrame): Promise<void> {
    switch (frame.kind) {
      case 'synStream': {
        // Decompressed even for a stream that is refused: the block is part of the shared zlib context.
        const headers = decodeHeaderBlock(await this.decompressor.decompress(frame.headerBlock));
        if (this.goingAway)
          return this.send({ kind: 'rstStream', streamId: frame.streamId, status: RstStatus.RefusedStream });
        if (frame.streamId % 2 === 0 || frame.streamId <= this.lastStreamId)
          return this.send({ kind: 'rstStream', streamId: frame.streamId, status: RstStatus.ProtocolError });
        this.lastStreamId = frame.streamId;
        const stream = new SpdyStream(this, frame.streamId, headers, (frame.flags & FLAG_FIN) !== 0);
        this.streams.set(frame.streamId, stream);
        this.send({ kind: 'synReply', streamId: frame.streamId, flags: 0, headerBlock: encodeHeaderBlock({}) });
        this.onStream(stream);
        return;
      }
      case 'headers':
      case 'synReply':
        // Keeps the zlib context in step; a client has nothing to tell the port-forward server in them.
        await this.decompressor.decompress(frame.headerBlock);
        if (frame.flags & FLAG_FIN) this.streams.get(frame.streamId)?.receiveData(Buffer.alloc(0), true);
        return;
      case 'data':
        // Frames for a stream already gone (reset by either side) are dropped, as spdystream does.
        this.streams.get(frame.streamId)?.receiveData(frame.data, (frame.flags & FLAG_FIN) !== 0);
        return;
      case 'rstStream':
        this.streams.get(frame.streamId)?.vanish();
        return;
      case 'ping':
        // Odd ids are the client's pings, to be echoed; even ones would answer pings this side never sends.
        if (frame.id % 2 === 1) this.send(frame);
        return;
      case 'goAway':
        this.goingAway = true;
        if (this.streams.size === 0) this.goAway();
        return;
      case 'settings':
      case 'windowUpdate':
      case 'unknown':
        return;
    }
  }

  private fail(error: unknown): void {
    if (this.ended) return;
    if (!(error instanceof SpdyProtocolError)) console.error('kube sandbox SPDY session failed:', error);
    this.goAway(error instanceof SpdyProtocolError ? GoAwayStatus.ProtocolError : GoAwayStatus.InternalError);
  }
}
