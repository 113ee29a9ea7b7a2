/**
 * Bytes arriving in chunks of any size, read front to back. Parsers check `available` and await
 * `fill(n)` only when short, so the common case stays synchronous; the unread tail is copied
 * once when chunks are joined, keeping the cost linear in the stream's size.
 */
export class ByteQueue {
  private buffer: Uint8Array = new Uint8Array(0);
  private position = 0;
  private ended = false;
  private readonly source: AsyncIterator<Uint8Array>;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.source = source[Symbol.asyncIterator]();
  }

  get available(): number {
    return this.buffer.length - this.position;
  }

  /** Reads until at least `n` bytes are available or the stream ends. */
  async fill(n: number): Promise<void> {
    if (this.available >= n || this.ended) return;
    const parts: Uint8Array[] = [this.buffer.subarray(this.position)];
    let total = this.available;
    while (total < n) {
      const next = await this.source.next();
      if (next.done === true) {
        this.ended = true;
        break;
      }
      parts.push(next.value);
      total += next.value.length;
    }
    this.buffer = parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
    this.position = 0;
  }

  /** True when every byte has been read and the source is exhausted. */
  async atEnd(): Promise<boolean> {
    await this.fill(1);
    return this.available === 0;
  }

  /** The next `n` bytes without consuming them (fewer at the end of the stream). */
  peek(n: number): Uint8Array {
    return this.buffer.subarray(this.position, this.position + n);
  }

  /** Consumes `n` bytes that the caller made available. The view is valid until the next fill. */
  take(n: number): Uint8Array {
    if (this.available < n) throw new RangeError(`need ${n} bytes, ${this.available} available`);
    const view = this.buffer.subarray(this.position, this.position + n);
    this.position += n;
    return view;
  }

  /** LEB128 unsigned varint, as ClickHouse writes lengths and counts; undefined if not all bytes are here. */
  tryReadVarUInt(): number | undefined {
    const cursor = { position: this.position };
    const value = readVarUIntAt(this.buffer, cursor);
    if (value < 0) return undefined;
    this.position = cursor.position;
    return value;
  }

  async readVarUInt(): Promise<number> {
    const value = this.tryReadVarUInt();
    if (value !== undefined) return value;
    await this.fill(10);
    const retried = this.tryReadVarUInt();
    if (retried === undefined) throw new RangeError('stream ended inside a varint');
    return retried;
  }

  /**
   * Fills `target` with the next target.length bytes. Each byte is copied once, straight from the
   * chunk it arrived in: large fixed-width columns are not first joined into a buffer of their own.
   */
  async readInto(target: Uint8Array): Promise<void> {
    let filled = Math.min(this.available, target.length);
    target.set(this.buffer.subarray(this.position, this.position + filled));
    this.position += filled;
    while (filled < target.length) {
      const next = await this.source.next();
      if (next.done === true) {
        this.ended = true;
        throw new RangeError(`stream ended: needed ${target.length} bytes, ${filled} left`);
      }
      const used = Math.min(next.value.length, target.length - filled);
      target.set(next.value.subarray(0, used), filled);
      filled += used;
      this.buffer = next.value;
      this.position = used;
    }
  }

  async readBytes(n: number): Promise<Uint8Array> {
    await this.fill(n);
    if (this.available < n) throw new RangeError(`stream ended: needed ${n} bytes, ${this.available} left`);
    return this.take(n);
  }

  /**
   * Hands the buffered bytes to `scan` in place, from the first unread one; `scan` returns the
   * index after the last byte it consumed. For values many and small: no view per value.
   */
  consumeBuffered(scan: (bytes: Uint8Array, start: number) => number): void {
    const end = scan(this.buffer, this.position);
    if (end < this.position || end > this.buffer.length) throw new RangeError(`consumed up to ${end}, outside the buffered bytes`);
    this.position = end;
  }

  /** Everything left, for error messages. */
  async drain(limitBytes: number): Promise<Uint8Array> {
    await this.fill(limitBytes);
    return this.take(Math.min(this.available, limitBytes));
  }
}

/**
 * The LEB128 varint at `cursor.position`, moving the cursor past it; -1 (cursor unmoved) when
 * `bytes` ends inside it. A cursor rather than a result object: parsers call this per value.
 */
export function readVarUIntAt(bytes: Uint8Array, cursor: { position: number }): number {
  let value = 0;
  let multiplier = 1;
  const start = cursor.position;
  for (let index = start; index < start + 10 && index < bytes.length; index++) {
    const byte = bytes[index]!;
    value += (byte & 0x7f) * multiplier;
    if (byte < 0x80) {
      cursor.position = index + 1;
      return value;
    }
    multiplier *= 128;
  }
  return -1;
}

export function varUIntLength(value: number): number {
  let length = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    length++;
  }
  return length;
}

export function writeVarUInt(target: Uint8Array, offset: number, value: number): number {
  while (value >= 128) {
    target[offset++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  target[offset++] = value;
  return offset;
}
