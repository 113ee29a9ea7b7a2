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
    let value = 0;
    let multiplier = 1;
    for (let i = 0; i < 10 && this.position + i < this.buffer.length; i++) {
      const byte = this.buffer[this.position + i]!;
      value += (byte & 0x7f) * multiplier;
      if (byte < 0x80) {
        this.position += i + 1;
        return value;
      }
      multiplier *= 128;
    }
    return undefined;
  }

  async readVarUInt(): Promise<number> {
    const value = this.tryReadVarUInt();
    if (value !== undefined) return value;
    await this.fill(10);
    const retried = this.tryReadVarUInt();
    if (retried === undefined) throw new RangeError('stream ended inside a varint');
    return retried;
  }

  async readBytes(n: number): Promise<Uint8Array> {
    await this.fill(n);
    if (this.available < n) throw new RangeError(`stream ended: needed ${n} bytes, ${this.available} left`);
    return this.take(n);
  }

  /** Everything left, for error messages. */
  async drain(limitBytes: number): Promise<Uint8Array> {
    await this.fill(limitBytes);
    return this.take(Math.min(this.available, limitBytes));
  }
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
