#!/usr/bin/env bash
# ctest's driver for the fuzz harnesses (tests/fuzz/CMakeLists.txt):
#   run.sh build SOURCE_DIR FUZZ_BUILD_DIR [LAUNCHER]   configure + build with clang
#   run.sh regressions FUZZ_SRC FUZZ_BUILD_DIR TARGET   every kept input, once each
#   run.sh fuzz FUZZ_SRC FUZZ_BUILD_DIR TARGET SECONDS  fuzz from the seeds for SECONDS
# Any crash, leak, UBSan report, timeout or broken harness check fails the
# test; libFuzzer prints the path of the input it saved.
set -euo pipefail

# Symbolised stack traces in every report.
for s in llvm-symbolizer /usr/lib/llvm-14/bin/llvm-symbolizer; do
  if command -v "$s" >/dev/null; then
    export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v "$s")}
    break
  fi
done
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
# fuzz_unpack makes and removes a directory tree per input: on tmpfs.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  export TMPDIR=/dev/shm
fi

build() {
  local src=$1 dir=$2 launcher=${3:-}
  command -v clang++ >/dev/null || { echo "fuzz: clang++ not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
  local args=(-S "$src" -B "$dir" -DHUSK_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo)
  [ -n "$launcher" ] && args+=(-DCMAKE_CXX_COMPILER_LAUNCHER="$launcher")
  cmake "${args[@]}" >/dev/null
  cmake --build "$dir" -j"$(nproc)"
}

# The harness for TARGET, after the build fixture made it.
harness() {
  local bin=$1/fuzz_$2
  [ -x "$bin" ] || { echo "fuzz: $bin is missing (did fuzz/build fail?)" >&2; exit 1; }
  echo "$bin"
}

on_failure() {
  local artifacts=$1 target=$2
  echo "fuzz: $target FAILED; inputs saved under $artifacts:" >&2
  ls -1 "$artifacts" >&2 || true
  echo "fuzz: reproduce with: $3 FILE; keep a fixed one in tests/fuzz/regressions/$target/" >&2
}

regressions() {
  local fsrc=$1 dir=$2 target=$3 bin
  bin=$(harness "$dir" "$target")
  local artifacts=$dir/artifacts/$target
  mkdir -p "$artifacts"
  # Files, not directories: libFuzzer runs each once and stops.
  mapfile -t inputs < <(find "$fsrc/regressions/$target" "$fsrc/corpus/$target" -type f ! -name '.*' | sort)
  [ ${#inputs[@]} -gt 0 ] || { echo "fuzz: no inputs for $target" >&2; exit 1; }
  echo "fuzz: $target: ${#inputs[@]} kept inputs"
  # The "Running: FILE" line before a report names the input that failed.
  local log=$artifacts.log rc=0
  "$bin" -artifact_prefix="$artifacts/" "${inputs[@]}" >"$log" 2>&1 || rc=$?
  grep -v '^Executed ' "$log" || true
  if [ "$rc" -ne 0 ]; then
    on_failure "$artifacts" "$target" "$bin"
    exit 1
  fi
}

fuzz() {
  local fsrc=$1 dir=$2 target=$3 seconds=$4 bin
  bin=$(harness "$dir" "$target")
  local work=$dir/corpus/$target artifacts=$dir/artifacts/$target
  mkdir -p "$work" "$artifacts"
  # New inputs go to the build's corpus ($work); the repo's seeds and
  # regressions are read only. No fixed -seed: each run explores anew, and
  # libFuzzer prints the seed it drew.
  local rc=0 dict=()
  [ -f "$fsrc/dict/$target.dict" ] && dict=(-dict="$fsrc/dict/$target.dict")
  # -max_len: a regression input may be large (deep nesting); fuzzing
  # stays at the seeds' sizes.
  "$bin" -max_total_time="$seconds" -max_len=20480 -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
    -artifact_prefix="$artifacts/" "$work" "$fsrc/corpus/$target" "$fsrc/regressions/$target" || rc=$?
  if [ "$rc" -ne 0 ]; then
    on_failure "$artifacts" "$target" "$bin"
    exit 1
  fi
}

cmd=$1
shift
"$cmd" "$@"
