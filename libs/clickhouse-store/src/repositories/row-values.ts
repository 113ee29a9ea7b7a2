/**
 * JSON output quotes 64-bit integers (see the engine's settings) and, on 18.16, NaN and infinities;
 * these read them back into numbers.
 */
export function toNumber(value: string | number): number {
  if (typeof value === 'number') return value;
  switch (value) {
    case 'nan':
    case '-nan':
      return NaN;
    case 'inf':
    case '+inf':
      return Infinity;
    case '-inf':
      return -Infinity;
    default:
      return Number(value);
  }
}

export function toNumbers(values: readonly (string | number)[]): number[] {
  return values.map(toNumber);
}
