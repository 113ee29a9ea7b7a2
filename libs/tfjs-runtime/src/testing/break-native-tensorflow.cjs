// Test preload: makes @tensorflow/tfjs-node fail to load as it does on a machine without
// libtensorflow, so the fallback path runs for real in a child process.
const Module = require('node:module');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveWithoutNativeTensorflow(request, ...rest) {
  if (request === '@tensorflow/tfjs-node') {
    throw new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory');
  }
  return resolveFilename.call(this, request, ...rest);
};
