// Jest runs each test file in its own V8 context, with its own typed-array constructors. Native
// TensorFlow (tfjs-node) hands back typed arrays made in the main context, and tfjs-core then fails
// `instanceof Float32Array` when it saves trained weights ("Unsupported TypedArray subtype").
// This environment gives tests the main context's constructors, so both sides agree.
const { TestEnvironment } = require('jest-environment-node');

const SHARED_CONSTRUCTORS = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class NativeRealmEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED_CONSTRUCTORS) this.global[name] = globalThis[name];
  }
}

module.exports = NativeRealmEnvironment;
