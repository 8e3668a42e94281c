/**
 * A pull-based byte source that can look ahead: the chunker reads a sample to sniff the input, then hands
 * the sample and the rest of the input on, unconsumed, as one stream. Nothing is read before it is asked for.
 */
export class ByteReader {
  private buffered: Buffer[] = [];
  private bufferedLength = 0;
  private joined: Buffer | undefined;
  private ended = false;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /** True once the source is exhausted: the buffered bytes are the whole rest of the input. */
  get atEnd(): boolean {
    return this.ended;
  }

  get length(): number {
    return this.bufferedLength;
  }

  /** Reads until at least `bytes` are buffered or the input ends. */
  async fill(bytes: number): Promise<void> {
    while (!this.ended && this.bufferedLength < bytes) {
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
      } else if (next.value.length > 0) {
        this.buffered.push(next.value);
        this.bufferedLength += next.value.length;
        this.joined = undefined;
      }
    }
  }

  /** The buffered bytes as one buffer, joined once per fill; the input buffers are kept as they came. */
  peek(): Buffer {
    if (!this.joined) {
      this.joined =
        this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered, this.bufferedLength);
    }
    return this.joined;
  }

  /** Drops `bytes` from the front of the buffered bytes (they were consumed from peek()). */
  skip(bytes: number): void {
    let left = Math.min(bytes, this.bufferedLength);
    this.bufferedLength -= left;
    while (left > 0) {
      const first = this.buffered[0]!;
      if (first.length > left) {
        this.buffered[0] = first.subarray(left);
        break;
      }
      this.buffered.shift();
      left -= first.length;
    }
    this.joined = undefined;
  }

  /** The buffered bytes, then the rest of the source. The reader must not be used afterwards. */
  async *drain(): AsyncGenerator<Buffer, void, undefined> {
    const buffered = this.buffered;
    this.buffered = [];
    this.bufferedLength = 0;
    this.joined = undefined;
    try {
      yield* buffered;
      if (this.ended) return;
      for (;;) {
        const next = await this.source.next();
        if (next.done) return;
        if (next.value.length > 0) yield next.value;
      }
    } finally {
      // Stopping early (the consumer returned) must release the source: it destroys the input stream.
      await this.source.return?.();
    }
  }
}
