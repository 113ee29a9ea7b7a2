"""Keras -> TF.js interoperability fixture.

Trains a small Keras 2 (TensorFlow 2.15) regression model on synthetic data, converts it with the
official `tensorflowjs` converter to a TF.js LayersModel and writes:

  <out_dir>/package/model.json, group1-shard1of1.bin   the converted LayersModel
  <out_dir>/package/manifest.json                       our model package manifest (identity preprocessing)
  <out_dir>/parity.json                                 {"inputs": 1000x7, "predictions": 1000x2}, Keras's own predict

Seeded and single-threaded: two runs write byte-identical files. Run it with the interpreter that
infra/python/keras-venv.sh prints.

Usage: python train_and_convert.py <out_dir>
"""

import json
import logging
import os
import shutil
import sys
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Expected noise (see infra/python/keras-requirements.txt): TF-DF 1.8.1 was built for TF 2.15.0 and
# says so on import; tensorflowjs converts through Keras's legacy HDF5 format, which Keras warns about.
logging.getLogger().addFilter(lambda record: "Decision Forests" not in record.getMessage())
warnings.filterwarnings("ignore", message="You are saving your model as an HDF5 file")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

SEED = 20240607
N_FEATURES = 7
OUTPUTS = ("wave", "bowl")
TRAIN_ROWS, PARITY_ROWS = 8_000, 1_000


def targets(x):
    """Two smooth, non-linear functions of the 7 features (float32, shape [n, 2])."""
    wave = np.sin(1.5 * x[:, 0]) + x[:, 1] * x[:, 2] + 0.5 * x[:, 3]
    bowl = np.tanh(x[:, 4]) - 0.5 * x[:, 5] ** 2 + 0.3 * x[:, 6] * x[:, 0]
    return np.stack([wave, bowl], axis=1).astype(np.float32)


def build_model():
    """7 inputs -> Dense 16 tanh -> Dense 8 relu -> Dense 2 linear: one output tensor of width 2."""
    inputs = tf.keras.Input(shape=(N_FEATURES,), name="features")
    h = tf.keras.layers.Dense(16, activation="tanh", name="hidden_tanh")(inputs)
    h = tf.keras.layers.Dense(8, activation="relu", name="hidden_relu")(h)
    outputs = tf.keras.layers.Dense(len(OUTPUTS), activation="linear", name="scores")(h)
    return tf.keras.Model(inputs, outputs, name="keras_parity")


def manifest():
    return {
        "manifestVersion": 1,
        "name": "keras-parity",
        "version": "1.0.0",
        "description": "Keras 2 (TensorFlow %s) regression model converted by tensorflowjs; parity fixture"
        % tf.__version__,
        "format": "layers-model",
        "modelFile": "model.json",
        "features": [{"name": "f%d" % j, "type": "numeric"} for j in range(N_FEATURES)],
        "outputs": [{"name": name, "min": -1e6, "max": 1e6} for name in OUTPUTS],
    }


def check_layers_model(model_json_path):
    """The converter's output must be a LayersModel whose input is [null, 7]."""
    with open(model_json_path) as f:
        model_json = json.load(f)
    if model_json.get("format") != "layers-model":
        sys.exit("%s: format is %r, expected 'layers-model'" % (model_json_path, model_json.get("format")))
    layers = model_json["modelTopology"]["model_config"]["config"]["layers"]
    shape = layers[0]["config"]["batch_input_shape"]
    if layers[0]["class_name"] != "InputLayer" or shape != [None, N_FEATURES]:
        sys.exit("%s: input layer is %s %s, expected InputLayer [null, %d]"
                 % (model_json_path, layers[0]["class_name"], shape, N_FEATURES))


def main(out_dir):
    started = time.monotonic()
    # Determinism: one seed for python/numpy/tf, deterministic kernels, single-threaded TF ops.
    tf.keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    # tensorflowjs imports TF-DF, TF-Hub and JAX at module load; imported here, after the TF set-up.
    from tensorflowjs.converters import save_keras_model
    import tensorflowjs

    rng = np.random.default_rng(SEED)
    x_train = rng.standard_normal((TRAIN_ROWS, N_FEATURES), dtype=np.float32)
    y_train = targets(x_train) + rng.normal(0, 0.05, (TRAIN_ROWS, len(OUTPUTS))).astype(np.float32)
    x_parity = rng.standard_normal((PARITY_ROWS, N_FEATURES), dtype=np.float32)

    model = build_model()
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    history = model.fit(x_train, y_train, batch_size=128, epochs=30, shuffle=True, verbose=0)
    predictions = model.predict(x_parity, batch_size=PARITY_ROWS, verbose=0)
    parity_mse = float(np.mean((predictions - targets(x_parity)) ** 2))

    package_dir = os.path.join(out_dir, "package")
    shutil.rmtree(package_dir, ignore_errors=True)
    save_keras_model(model, package_dir)
    check_layers_model(os.path.join(package_dir, "model.json"))
    with open(os.path.join(package_dir, "manifest.json"), "w") as f:
        json.dump(manifest(), f, indent=2)
        f.write("\n")
    # float(np.float32) is exact in a double and repr round-trips it: JSON holds the float32 values.
    with open(os.path.join(out_dir, "parity.json"), "w") as f:
        json.dump({"inputs": [[float(v) for v in row] for row in x_parity],
                   "predictions": [[float(v) for v in row] for row in predictions]}, f)

    print("keras-interop: tensorflow %s, tensorflowjs %s, train mse %.4f, parity-row mse vs truth %.4f, "
          "%d parity rows, %.1f s -> %s"
          % (tf.__version__, tensorflowjs.__version__, history.history["loss"][-1], parity_mse,
             PARITY_ROWS, time.monotonic() - started, out_dir))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    main(sys.argv[1])
