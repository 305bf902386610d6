# shellcheck shell=bash disable=SC2154 # status/output come from bats run
# Minimal assertions for bats tests (bats-assert is not packaged in Debian 12).
# They print what was expected and what was seen, then return 1, which fails
# the bats test.  Use after `run ...` (they read $status and $output).

# assert_status N
assert_status() {
  local want=$1
  if [ "$status" != "$want" ]; then
    printf 'expected exit status %s, got %s\noutput:\n%s\n' "$want" "$status" "$output" >&2
    return 1
  fi
}

# assert_output TEXT : $output (CRs from a tty stripped) must equal TEXT exactly.
assert_output() {
  local want=$1 got=${output//$'\r'/}
  if [ "$got" != "$want" ]; then
    printf 'expected output:\n%s\n--- got:\n%s\n--- (exit status %s)\n' "$want" "$got" "$status" >&2
    return 1
  fi
}

# assert_eq WANT GOT [WHAT]
assert_eq() {
  if [ "$1" != "$2" ]; then
    printf '%s: expected [%s], got [%s]\n' "${3:-value}" "$1" "$2" >&2
    return 1
  fi
}

# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains() {
  if [[ $1 != *"$2"* ]]; then
    printf '%s: expected to contain [%s], got:\n%s\n' "${3:-output}" "$2" "$1" >&2
    return 1
  fi
}

assert_not_contains() {
  if [[ $1 == *"$2"* ]]; then
    printf '%s: expected NOT to contain [%s], got:\n%s\n' "${3:-output}" "$2" "$1" >&2
    return 1
  fi
}

# assert_match REGEX GOT [WHAT]
assert_match() {
  if ! [[ $2 =~ $1 ]]; then
    printf '%s: [%s] does not match /%s/\n' "${3:-value}" "$2" "$1" >&2
    return 1
  fi
}

# Skipping a whole file.  bats 1.8.2 (Debian 12) cannot `skip` inside
# setup_file: it reports "setup_file failed".  So setup_file records the
# reason with husk_skip_file and returns early, and setup() calls
# husk_check_skip_file, which skips every test with that reason:
#
#   setup_file() { husk_require_runtime || return 0; ...; }
#   setup() { husk_check_skip_file; }

# husk_skip_file REASON : mark the file skipped (returns 1).
husk_skip_file() {
  export HUSK_SKIP_FILE="$*"
  echo "# skipping: $*" >&3 2>/dev/null || echo "# skipping: $*" >&2
  return 1
}

husk_check_skip_file() {
  if [ -n "${HUSK_SKIP_FILE:-}" ]; then
    skip "$HUSK_SKIP_FILE"
  fi
}

# husk_require_runtime : the runtime under test must exist, else skip
# (loudly, with the path).  In setup_file it marks the file skipped and
# returns 1 (see above); elsewhere it skips the current test.
husk_require_runtime() {
  local rt reason
  rt=$(husk_runtime)
  [ -x "$rt" ] && return 0
  reason="runtime under test not found: $rt (build it, or set RUNTIME=/path/to/runtime)"
  case " ${FUNCNAME[*]} " in
    *" setup_file "*) husk_skip_file "$reason" ;;
    *) skip "$reason" ;;
  esac
}

# wait_for TIMEOUT_S CMD... : retry CMD every 0.1s until it succeeds.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# The container state dirs in a runtime root DIR (husk-runtime's --root, the
# engine's --runroot): what a test checks is left. The root's cache of
# compiled seccomp programs (.seccomp-cache) is not one.
# (.net: the engine's networks, whose leaks leakcheck looks for.)
container_states() { ls -A --ignore=.seccomp-cache --ignore=.net "$1" 2>/dev/null; }
