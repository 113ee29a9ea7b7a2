#!/usr/bin/env bash
# Gives @tensorflow/tfjs-node its native TensorFlow without the package's install script, which
# downloads libtensorflow from a host we cannot reach (package.json's allowScripts denies it).
# libtensorflow comes from the tensorflow-cpu wheel (via pip), the N-API addon is built here with
# node-gyp, and both are cached outside the repo and hard-linked into node_modules.
#
# Usage: infra/tensorflow/provision-tfjs-node.sh [<path to node_modules/@tensorflow/tfjs-node>]
#
# Idempotent and non-destructive to the cache: when the package already loads on the tensorflow
# backend it only checks (one node process, ~0.5 s), and not even that when the addon, the
# libraries and node are the very files it last checked (a stamp in the package, ~10 ms); when the
# cache is warm it links and checks (~1 s); only a cold cache downloads and builds (~15 s).
#
# Env: PLATFORM_CACHE_DIR (~/.cache/lambda-platform), TFJS_TF_VERSION (2.15.1),
#      TFJS_STRIP (1: strip the .so files, ~165 MB less), NODEDIR (prefix of the running node),
#      NODE_GYP (npm's bundled node-gyp.js), PYTHON (python3, with pip).
set -euo pipefail

log() { printf '[tensorflow] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PKG_DIR="${1:-$REPO_ROOT/node_modules/@tensorflow/tfjs-node}"
[[ -f "$PKG_DIR/package.json" && -f "$PKG_DIR/binding.gyp" ]] ||
  die "no @tensorflow/tfjs-node package at $PKG_DIR (run npm install first)"
PKG_DIR="$(cd "$PKG_DIR" && pwd -P)"

TF_VERSION="${TFJS_TF_VERSION:-2.15.1}"
# tfjs-node lists napi_versions 3..8 and node-pre-gyp loads the highest one Node supports:
# lib/napi-v8 on every Node >= 14.
NAPI_BUILD=8
ADDON_REL="lib/napi-v$NAPI_BUILD/tfjs_binding.node"
PLATFORM_CACHE_DIR="${PLATFORM_CACHE_DIR:-$HOME/.cache/lambda-platform}"
# Set by main once the package turns out to need provisioning (keeps the check path to one node).
TFJS_VERSION="" CACHE="" WORK=""
trap '[[ -z "$WORK" ]] || rm -rf "$WORK"' EXIT

# Loads the package the way the app does and checks backend, libtensorflow version and a matMul.
# Prints one line to stderr either way; the exit status says whether it passed.
verify() {
  # shellcheck disable=SC2016 # JavaScript template literals, not shell
  TF_CPP_MIN_LOG_LEVEL=2 node -e '
    const [pkg, want] = process.argv.slice(1);
    let tf;
    try { tf = require(pkg); } catch (e) { console.error("[tensorflow] load failed: " + e.message.split("\n")[0]); process.exit(1); }
    const backend = tf.getBackend();
    const have = backend === "tensorflow" ? tf.backend().binding.TF_Version : "-";
    const r = tf.tensor2d([[1, 2], [3, 4]]).matMul(tf.tensor2d([[1], [1]])).dataSync();
    const ok = backend === "tensorflow" && have === want && r[0] === 3 && r[1] === 7;
    console.error(`[tensorflow] ${ok ? "ok" : "check failed"}: tfjs-node ${tf.version["tfjs-node"]}, backend ${backend}, libtensorflow ${have} (want ${want}), matMul [${r}]`);
    process.exit(ok ? 0 : 1);' "$PKG_DIR" "$TF_VERSION"
}

NATIVE_FILES=("$ADDON_REL" deps/lib/libtensorflow_cc.so.2 deps/lib/libtensorflow_framework.so.2)
VERIFIED_STAMP="$PKG_DIR/.native-tensorflow-verified"

# Identifies what a check ran against: the native files (inode, size, mtime: a reinstall or a
# rebuild changes them), the node binary and the wanted libtensorflow version.
fingerprint() {
  (cd "$PKG_DIR" && stat -L -c '%n %i %s %Y' "${NATIVE_FILES[@]}") && stat -L -c '%i %s %Y' "$(command -v node)" && echo "$TF_VERSION"
}

# Cheap file checks first so a freshly (re)installed package skips the node start; a package that
# passed the check with these very files needs no second one.
package_ready() {
  local file
  for file in "${NATIVE_FILES[@]}"; do [[ -f "$PKG_DIR/$file" ]] || return 1; done
  [[ -f "$VERIFIED_STAMP" && "$(cat "$VERIFIED_STAMP")" == "$(fingerprint)" ]] && return 0
  verify && fingerprint >"$VERIFIED_STAMP"
}

# The path node-pre-gyp's find() resolves for the addon; must be where we put it.
check_binding_path() {
  local found
  found="$(node -e '
    const pkg = process.argv[1];
    const pre = require(require.resolve("@mapbox/node-pre-gyp", { paths: [pkg] }));
    console.log(pre.find(require("path").join(pkg, "package.json")));' "$PKG_DIR")"
  [[ "$found" == "$PKG_DIR/$ADDON_REL" ]] ||
    die "tfjs-node looks for its addon at $found, this script provides $ADDON_REL"
}

build_into_cache() {
  local nodedir node_gyp python t0 lib
  nodedir="${NODEDIR:-$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")}"
  [[ -f "$nodedir/include/node/common.gypi" && -f "$nodedir/include/node/node_api.h" ]] ||
    die "no Node headers under $nodedir/include/node (set NODEDIR)"
  node_gyp="${NODE_GYP:-$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js}"
  [[ -f "$node_gyp" ]] || die "node-gyp not found at $node_gyp (set NODE_GYP)"
  python="${PYTHON:-python3}"
  "$python" -m pip --version >/dev/null 2>&1 || die "$python has no pip (set PYTHON)"
  if ! command -v g++ >/dev/null || ! command -v make >/dev/null; then
    die "need g++ and make to build the addon"
  fi
  [[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]] || die "only linux x86_64 wheels are wired up"

  # Build beside the cache dir and publish it with one rename, so a killed run never leaves a
  # cache that looks complete. We hold this key's lock, so any older build dir is a leftover.
  rm -rf "$CACHE".build.*
  WORK="$(mktemp -d "$CACHE.build.XXXXXX")"

  t0=$SECONDS
  log "downloading the tensorflow-cpu==$TF_VERSION wheel (pip, ~200 MB)"
  # Tags pinned so the result does not depend on the local Python: only the wheel's shared
  # libraries and C headers are used. No pip cache: the extracted result is what we keep.
  "$python" -m pip download --quiet --no-deps --no-cache-dir --only-binary=:all: \
    --implementation cp --python-version 3.11 --abi cp311 --platform manylinux2014_x86_64 \
    "tensorflow-cpu==$TF_VERSION" -d "$WORK/wheel" >&2 ||
    die "pip download of tensorflow-cpu==$TF_VERSION failed"
  log "  download: $((SECONDS - t0)) s, $(du -sh "$WORK/wheel" | cut -f1)"

  t0=$SECONDS
  log "extracting libtensorflow and its C headers"
  mkdir -p "$WORK/out/deps/lib" "$WORK/out/deps/include"
  "$python" - "$WORK"/wheel/*.whl "$WORK/out/deps" <<'PY'
# The two shared libs, plus the #include "..." closure of the headers tfjs-node's binding/*.cc
# use: the header set moves between TF versions, so it is not a fixed list.
import os, re, shutil, sys, zipfile
whl, out = sys.argv[1], sys.argv[2]
libs = ["tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2"]
roots = ["tensorflow/c/c_api.h", "tensorflow/c/eager/c_api.h", "tensorflow/c/tf_datatype.h",
         "tensorflow/c/tf_status.h", "tensorflow/c/tf_tensor.h",
         "tensorflow/core/platform/ctstring_internal.h"]
inc = "tensorflow/include/"
with zipfile.ZipFile(whl) as z:
    names = set(z.namelist())
    def put(member, dst, mode):
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with z.open(member) as src, open(dst, "wb") as f:
            shutil.copyfileobj(src, f, 1 << 22)
        os.chmod(dst, mode)
    for m in libs:
        if m not in names:
            sys.exit(f"wheel lacks {m} (tensorflow-cpu >= 2.12 ships it)")
        put(m, os.path.join(out, "lib", os.path.basename(m)), 0o755)
    seen, todo, copied = set(), list(roots), 0
    while todo:
        h = todo.pop()
        if h in seen:
            continue
        seen.add(h)
        if inc + h not in names:
            if h in roots:
                sys.exit(f"wheel lacks header {h}")
            continue  # system or platform-conditional includes
        text = z.read(inc + h).decode("utf-8", "replace")
        todo += re.findall(r'^\s*#\s*include\s+"([^"]+)"', text, re.M)
        put(inc + h, os.path.join(out, "include", h), 0o644)
        copied += 1
    print(f"[tensorflow]   headers: {copied}", file=sys.stderr)
PY
  rm -rf "$WORK/wheel"
  lib="$WORK/out/deps/lib"
  # The wheel's libs carry .symtab and some debug info (614 MB -> 449 MB stripped).
  if [[ "${TFJS_STRIP:-1}" == 1 ]] && command -v strip >/dev/null; then
    strip --strip-unneeded "$lib/libtensorflow_cc.so.2" "$lib/libtensorflow_framework.so.2"
  fi
  # Linker names for binding.gyp's -ltensorflow -ltensorflow_framework (the addon then needs the
  # SONAME libtensorflow_cc.so.2). The *.so.2.9.1 names are what tfjs-node's install script
  # checks: with them a stray `npm rebuild` rebuilds offline instead of wiping deps/.
  ln -s libtensorflow_cc.so.2 "$lib/libtensorflow.so"
  ln -s libtensorflow_framework.so.2 "$lib/libtensorflow_framework.so"
  ln -s libtensorflow_cc.so.2 "$lib/libtensorflow.so.2.9.1"
  ln -s libtensorflow_framework.so.2 "$lib/libtensorflow_framework.so.2.9.1"
  # Read-only: node_modules gets hard links to these inodes, so an in-place write there would
  # corrupt the cache.
  chmod a-w "$lib/libtensorflow_cc.so.2" "$lib/libtensorflow_framework.so.2"
  log "  extract + strip: $((SECONDS - t0)) s"

  t0=$SECONDS
  log "building the addon (node-gyp, headers from $nodedir, N-API $NAPI_BUILD)"
  # A scratch copy of the sources, so the installed package is never half-built.
  mkdir -p "$WORK/src"
  cp -a "$PKG_DIR/binding" "$PKG_DIR/binding.gyp" "$PKG_DIR/package.json" "$WORK/src/"
  ln -s "$WORK/out/deps" "$WORK/src/deps"
  # --nodedir: otherwise node-gyp downloads Node headers. --napi_build_version: otherwise
  # config.gypi's (9) is used and the addon lands where node-pre-gyp does not look.
  if ! (cd "$WORK/src" && node "$node_gyp" rebuild --nodedir="$nodedir" \
    --napi_build_version="$NAPI_BUILD" --module_name=tfjs_binding \
    --module_path="$WORK/out/lib/napi-v$NAPI_BUILD" -j "$(nproc)") >"$WORK/build.log" 2>&1; then
    tail -n 40 "$WORK/build.log" >&2
    die "node-gyp build failed"
  fi
  [[ -f "$WORK/out/$ADDON_REL" ]] || die "node-gyp produced no $ADDON_REL"
  log "  build: $((SECONDS - t0)) s"

  printf 'tfjs-node=%s tensorflow-cpu=%s napi=%s node=%s built=%s\n' "$TFJS_VERSION" "$TF_VERSION" \
    "$NAPI_BUILD" "$(node -v)" "$(date -u +%FT%TZ)" >"$WORK/out/.complete"
  # An unmarked dir at the cache path is an unfinished copy (not ours: we publish by rename).
  [[ ! -e "$CACHE" ]] || mv "$CACHE" "$WORK/stale"
  mv "$WORK/out" "$CACHE"
  rm -rf "$WORK"
  WORK=""
}

# Hard links when node_modules is on the cache's filesystem (instant, no extra disk), else copies.
# Only the package's own deps/ and addon dir are replaced; removing links never touches the cache.
install_from_cache() {
  local addon_dir="$PKG_DIR/${ADDON_REL%/*}"
  rm -rf "$PKG_DIR/deps" "$addon_dir"
  if ! cp -al "$CACHE/deps" "$PKG_DIR/deps" 2>/dev/null; then
    rm -rf "$PKG_DIR/deps"
    cp -a "$CACHE/deps" "$PKG_DIR/deps"
  fi
  # The addon is copied, not linked: a rebuild in node_modules writes it in place.
  mkdir -p "$addon_dir"
  cp "$CACHE/$ADDON_REL" "$addon_dir/"
}

main() {
  local t0=$SECONDS
  if package_ready; then
    log "native TensorFlow in place ($PKG_DIR)"
    return 0
  fi

  # The cache key: an N-API addon is Node-version independent, so tfjs-node + TF versions only.
  TFJS_VERSION="$(node -p 'require(process.argv[1]).version' "$PKG_DIR/package.json")"
  CACHE="$PLATFORM_CACHE_DIR/tfjs-node-$TFJS_VERSION-tf$TF_VERSION"
  # Serialise provisioning of the same cache key (parallel runs, other clones).
  mkdir -p "$PLATFORM_CACHE_DIR"
  exec 9>"$CACHE.lock"
  flock 9
  if package_ready; then
    log "native TensorFlow in place (provisioned by a concurrent run)"
    return 0
  fi
  check_binding_path
  if [[ -f "$CACHE/.complete" ]]; then
    log "installing from cache $CACHE"
  else
    log "cache miss: building $CACHE"
    build_into_cache
  fi
  install_from_cache
  verify || die "native TensorFlow does not load after provisioning ($PKG_DIR)"
  fingerprint >"$VERIFIED_STAMP"
  log "provisioned in $((SECONDS - t0)) s (cache: $(du -sh "$CACHE" | cut -f1))"
}

main
